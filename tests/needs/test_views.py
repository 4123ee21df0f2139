"""Needs pages per role: lists and filters, detail, editor, state changes, refusals."""

from __future__ import annotations

import re
from datetime import date

import pytest

from portal.core.enums import HelpKind, NeedStatus, Priority, Visibility
from portal.extensions import db
from portal.needs import services
from portal.needs.models import Need
from tests.conftest import count_queries
from tests.factories import reload


def body(response) -> str:
    return response.get_data(as_text=True)


def form_data(themes, **overrides) -> dict[str, str]:
    data = {
        "title": "Leak detection in the water network",
        "description": "Help us find leaks faster.",
        "lang": "en",
        "theme": str(themes["it_digital"].id),
        "priority": "high",
        "help_kind": "advice",
        "district": "",
        "wanted_from": "2026-03-01",
        "wanted_until": "2026-06-30",
        "person_days": "30",
        "visibility": "",
    }
    data.update(overrides)
    return data


# ---------------------------------------------------------------- refusals


def test_illegal_transition_is_a_409_with_the_message(login, make_need, users):
    need = make_need()
    services.close_need(users["requester"], need)
    db.session.commit()
    client = login("requester")
    response = client.post(f"/needs/{need.id}/withdraw")
    assert response.status_code == 409
    assert "cannot become withdrawn" in body(response)


def test_post_without_csrf_token_is_refused(login, make_need):
    need = make_need()
    client = login("requester")
    assert client.post(f"/needs/{need.id}/close", csrf=False).status_code == 400
    need = reload(need)
    assert reload(need).status == NeedStatus.OPEN


# ---------------------------------------------------------------- visibility


def test_restricted_need_of_kyivvodokanal(login, make_need, client):
    restricted = make_need("Pump station status", theme="water_sewage")
    public = make_need("Teacher training", theme="education")
    assert restricted.visibility == Visibility.RESTRICTED

    login("other_requester")
    assert client.get(f"/needs/{restricted.id}").status_code == 404
    listing = body(client.get("/needs/?status=all"))
    assert "Teacher training" in listing and "Pump station" not in listing
    assert "1 need" in listing
    assert "Pump station" not in body(client.get("/needs/?q=pump&status=all"))
    client.logout()

    login("coordinator")
    assert client.get(f"/needs/{restricted.id}").status_code == 200
    listing = body(client.get("/needs/"))
    assert "Pump station status" in listing and "2 needs" in listing
    assert "Pump station status" in body(client.get("/needs/?q=PUMP"))
    client.logout()

    assert client.get(f"/needs/{restricted.id}").status_code == 404
    assert client.get(f"/needs/{public.id}").status_code == 200


def test_anonymous_list_shows_only_public_published_needs(client, make_need):
    make_need("Public need", theme="education")
    make_need("Partners need", visibility=Visibility.PARTNERS)
    make_need("Draft need", publish=False, theme="education")
    page = body(client.get("/needs/?status=all"))
    assert "Public need" in page
    assert "Partners need" not in page and "Draft need" not in page


def test_search_finds_a_need_by_a_translation(client, make_need, users):
    need = make_need("Виявлення витоків у мережі", lang="uk", theme="education")
    need.title.set_version("sv", "Läcksökning i ledningsnätet", users["expert"])
    db.session.commit()
    page = body(client.get("/needs/?q=l%C3%A4cks%C3%B6kning"))
    assert f"/needs/{need.id}" in page
    assert "1 need" in page
    assert f"/needs/{need.id}" not in body(client.get("/needs/?q=nothing+like+it"))


# ---------------------------------------------------------------- list, htmx, filters


def test_list_full_page_and_htmx_fragment(client, make_need):
    make_need("Public need", theme="education")
    full = client.get("/needs/")
    assert full.status_code == 200
    assert "HX-Request" in full.headers["Vary"]
    page = body(full)
    assert page.count("<h1") == 1
    assert 'hx-get="/needs/"' in page and 'hx-push-url="true"' in page
    assert 'aria-live="polite"' in page
    assert "Public need" in page

    fragment = client.get("/needs/?q=public", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "HX-Request" in fragment.headers["Vary"]
    text = body(fragment)
    assert "<html" not in text and "<h1" not in text
    assert "Public need" in text
    assert 'hx-swap-oob="innerHTML"' in text and "1 need" in text

    # The back button after htmx's history cache was emptied asks for the whole page.
    restore = client.get(
        "/needs/", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in body(restore)


@pytest.mark.parametrize(
    "query",
    [
        "page=abc",
        "page=-1",
        "page=99999999999999999999",
        "theme=999999",
        "theme=abc",
        "sort=evil",
        "status=nonsense",
        "priority=urgent",
        "district=1e9",
        "organisation=-5",
        "help_kind=%00",
        "q=%00",
        "q=leak%00s%1F",
        "q=" + "x" * 500,
        "q=%25%5F%5C",
    ],
)
def test_junk_query_parameters_never_break_the_list(client, make_need, query):
    make_need("Public need", theme="education")
    response = client.get(f"/needs/?{query}")
    assert response.status_code == 200


def test_filters_narrow_the_list(login, make_need, themes, users):
    make_need("Critical school", theme="education", priority=Priority.CRITICAL)
    make_need("Low school", theme="education", priority=Priority.LOW)
    closed = make_need("Closed need", theme="transport")
    services.close_need(users["requester"], closed)
    db.session.commit()
    client = login("expert")
    page = body(client.get("/needs/?priority=critical"))
    assert "Critical school" in page and "Low school" not in page
    page = body(client.get(f"/needs/?theme={themes['transport'].id}"))
    assert "Closed need" not in page and "0 needs" in page
    page = body(client.get(f"/needs/?theme={themes['transport'].id}&status=all"))
    assert "Closed need" in page
    page = body(client.get("/needs/?status=closed"))
    assert "Closed need" in page and "school" not in page
    assert re.search(r'<option selected value="closed">|<option value="closed" selected', page)


def test_paging(login, make_need, app):
    app.config["PAGE_SIZE"] = 2
    for i in range(5):
        make_need(f"Need number {i}", theme="education")
    client = login("expert")
    first = body(client.get("/needs/"))
    assert 'rel="next"' in first and 'rel="prev"' not in first and "5 needs" in first
    assert "Need number 4" in first and "Need number 2" not in first
    third = body(client.get("/needs/?page=3"))  # an old link: still the third page
    assert "Need number 0" in third and "Need number 4" not in third
    assert 'rel="next"' not in third and 'rel="prev"' in third


def _bulk_needs(users, themes, districts, count: int) -> None:
    """Rows straight through the models: fast, and independent of the services under test."""
    from portal.agreements.services import default_agreement
    from portal.content.models import Text

    agreement = default_agreement()
    requester = users["requester"]
    theme_list = list(themes.values())
    district_list = list(districts.values())
    for i in range(count):
        db.session.add(
            Need(
                agreement=agreement,
                organisation_id=requester.organisation_id,
                created_by=requester,
                theme=theme_list[i % len(theme_list)],
                district=district_list[i % len(district_list)],
                title=Text.new(f"Bulk need {i}", ("uk", "sv", "en")[i % 3], requester),
                description=Text.new("Described.", "en", requester),
                priority=list(Priority)[i % 4],
                help_kind=HelpKind.ADVICE,
                visibility=Visibility.PUBLIC,
                status=NeedStatus.OPEN,
                wanted_from=date(2026, 1, 1),
            )
        )
    db.session.commit()


def test_list_query_count_does_not_grow_with_the_rows(login, app, users, themes, districts):
    app.config["PAGE_SIZE"] = 500
    client = login("expert")
    client.get("/needs/")  # warm up: the user and the session are loaded once
    _bulk_needs(users, themes, districts, 10)
    db.session.expire_all()
    with count_queries(app) as small:
        response = client.get("/needs/?sort=priority")
    assert "10 needs" in body(response)
    _bulk_needs(users, themes, districts, 490)
    db.session.expire_all()
    with count_queries(app) as large:
        response = client.get("/needs/?sort=priority")
    assert "500 needs" in body(response)
    assert body(response).count('href="/needs/') >= 500
    assert len(large) == len(small), large
    assert len(small) <= 15


# ---------------------------------------------------------------- detail


def test_detail_shows_the_need_and_its_owner_actions(login, make_need, districts):
    need = make_need(
        "Leak detection",
        publish=False,
        district=districts["Darnytskyi"],
        wanted_from=date(2026, 3, 1),
        wanted_until=date(2026, 6, 30),
        person_days=25,
    )
    client = login("requester")
    page = body(client.get(f"/needs/{need.id}"))
    assert page.count("<h1") == 1
    assert "Leak detection" in page and "Darnytskyi" in page and "Kyivvodokanal" in page
    assert "We need help to find leaks faster." in page
    assert "1 March 2026" in page and "25" in page
    assert f'action="/needs/{need.id}/publish"' in page
    assert f'action="/needs/{need.id}/withdraw"' in page
    assert f'action="/needs/{need.id}/close"' not in page
    assert f'href="/needs/{need.id}/edit"' in page
    assert 'id="matches-heading"' in page
    assert "History" in page and "Created" in page
    # a bilingual reader can add the missing language versions
    assert f'href="/texts/{need.title_id}/uk?next=/needs/{need.id}"' in page
    assert f'href="/texts/{need.description_id}/sv?next=/needs/{need.id}"' in page


@pytest.mark.parametrize("who", ["other_requester", "expert", "coordinator", "admin"])
def test_detail_hides_actions_from_others(login, make_need, who):
    need = make_need()
    page = body(login(who).get(f"/needs/{need.id}"))
    for action in ("edit", "publish", "withdraw", "close"):
        assert f"/needs/{need.id}/{action}" not in page
    assert "History" in page


def test_anonymous_detail_has_no_history(client, make_need):
    need = make_need(theme="education")
    page = body(client.get(f"/needs/{need.id}"))
    assert "Leak detection" in page and "History" not in page


def test_detail_marks_a_fallback_to_the_original_language(login, make_need):
    need = make_need("Виявлення витоків", lang="uk", theme="education")
    page = body(login("expert").get(f"/needs/{need.id}?lang=en"))
    assert 'lang="uk"' in page and "Original in Ukrainian" in page


# ---------------------------------------------------------------- create and edit


def test_requester_posts_a_need(login, themes, users):
    client = login("requester")
    page = body(client.get("/needs/new"))
    assert page.count("<h1") == 1
    assert 'name="visibility"' in page and "restricted by default" in page
    response = client.post("/needs/new", data=form_data(themes, theme=themes["water_sewage"].id))
    assert response.status_code == 302
    need = db.session.scalars(db.select(Need)).one()
    assert response.headers["Location"] == f"/needs/{need.id}"
    assert need.status == NeedStatus.DRAFT
    assert need.visibility == Visibility.RESTRICTED
    assert need.organisation_id == users["requester"].organisation_id
    assert need.person_days == 30


def test_language_defaults_to_the_interface_language(login):
    client = login("requester")
    client.get("/?lang=uk")
    page = body(client.get("/needs/new"))
    assert re.search(r'<option[^>]*\bselected\b[^>]*value="uk"', page)
    assert not re.search(r'<option[^>]*\bselected\b[^>]*value="en"', page)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": ""}, "Enter a title."),
        ({"description": "  "}, "Describe what is needed."),
        ({"theme": ""}, "Choose a theme."),
        ({"theme": "999999"}, "Choose a theme from the list."),
        ({"priority": "urgent"}, "Choose a priority from the list."),
        ({"district": "abc"}, "Choose a district from the list."),
        ({"wanted_until": "2026-01-01"}, "cannot be before its start"),
        ({"wanted_from": "yesterday"}, "Not a valid date value"),
        ({"person_days": "0"}, "person-days from 1"),
        ({"person_days": "many"}, "Not a valid integer value"),
        ({"lang": "de"}, "Choose the language"),
        ({"title": "x" * 201}, "under 200 characters"),
    ],
)
def test_bad_input_is_422_with_the_message_beside_the_field(login, themes, overrides, message):
    client = login("requester")
    response = client.post("/needs/new", data=form_data(themes, **overrides))
    assert response.status_code == 422
    page = body(response)
    assert message in page
    assert 'aria-invalid="true"' in page and "-error" in page
    assert 'role="alert"' in page  # the error summary
    assert "Help us find leaks faster." in page or overrides.get("description")
    assert db.session.scalar(db.select(db.func.count(Need.id))) == 0


def test_extra_form_fields_cannot_change_owner_or_status(login, themes, make_need, users):
    other_org = users["other_requester"].organisation_id
    client = login("requester")
    client.post(
        "/needs/new",
        data=form_data(themes, organisation_id=str(other_org), status="open", created_by_id="1"),
    )
    need = db.session.scalars(db.select(Need)).one()
    assert need.organisation_id == users["requester"].organisation_id
    assert need.status == NeedStatus.DRAFT
    assert need.created_by_id == users["requester"].id

    response = client.post(
        f"/needs/{need.id}/edit",
        data=form_data(
            themes,
            version="1",
            visibility="public",
            organisation_id=str(other_org),
            status="closed",
            agreement_id="9",
        ),
    )
    assert response.status_code == 302
    need = reload(need)
    assert need.organisation_id == users["requester"].organisation_id
    assert need.status == NeedStatus.DRAFT


def test_control_characters_are_dropped_and_line_ends_kept(login, themes):
    client = login("requester")
    response = client.post(
        "/needs/new",
        data=form_data(themes, title="Leak\x00 detection\x07", description="One\r\nTwo\rThree"),
    )
    assert response.status_code == 302
    need = db.session.scalars(db.select(Need)).one()
    assert need.title.original == "Leak detection"
    assert need.description.original == "One\nTwo\nThree"


def test_a_browser_resubmitting_crlf_text_is_not_a_difference(login, make_need, themes, users):
    need = make_need("Title", description="One\nTwo")
    loaded = need.version
    services.update_need(users["requester"], need, expected_version=loaded, title="Theirs")
    db.session.commit()
    response = login("requester").post(
        f"/needs/{need.id}/edit",
        data=form_data(
            themes, title="Mine", description="One\r\nTwo", version=str(loaded), visibility="public"
        ),
    )
    assert response.status_code == 409
    page = body(response)
    start = page.index("<dt>Description</dt>")
    assert "differs from your input" not in page[start : page.index("<dt>", start + 5)]
    assert "differs from your input" in page[: page.index("<dt>Description</dt>")]


def test_edit_form_is_prefilled_in_the_original_language(login, make_need):
    need = make_need("Виявлення витоків", lang="uk")
    page = body(login("requester").get(f"/needs/{need.id}/edit"))
    assert 'value="Виявлення витоків"' in page
    assert f'name="version" type="hidden" value="{need.version}"' in page
    assert "Default for the theme" not in page


def test_editing_in_the_original_language_updates_that_version(login, make_need, themes):
    need = make_need("Виявлення витоків", lang="uk")
    client = login("requester")
    response = client.post(
        f"/needs/{need.id}/edit",
        data=form_data(
            themes,
            title="Виявлення витоків, етап 2",
            lang="uk",
            version=str(need.version),
            visibility="public",
        ),
    )
    assert response.status_code == 302
    need = reload(need)
    assert need.title.original_lang == "uk"
    assert [(v.lang, v.body) for v in need.title.versions] == [("uk", "Виявлення витоків, етап 2")]


def test_stale_edit_is_409_and_keeps_both_versions(login, make_need, themes, users):
    need = make_need("Original title")
    loaded_version = need.version
    # Someone else in the organisation saves first.
    services.update_need(
        users["requester"],
        need,
        expected_version=loaded_version,
        title="Their title",
        priority=Priority.CRITICAL,
    )
    db.session.commit()
    client = login("requester")
    response = client.post(
        f"/needs/{need.id}/edit",
        data=form_data(
            themes,
            title="My title",
            version=str(loaded_version),
            visibility="public",
        ),
    )
    assert response.status_code == 409
    page = body(response)
    assert 'value="My title"' in page  # my input is kept
    assert "Their title" in page  # their saved value is shown
    assert "Someone else saved this need" in page
    assert "differs from your input" in page
    # the next save may go ahead knowingly
    assert f'name="version" type="hidden" value="{loaded_version + 1}"' in page
    assert reload(need).title.original == "Their title"

    again = client.post(
        f"/needs/{need.id}/edit",
        data=form_data(
            themes, title="My title", version=str(loaded_version + 1), visibility="public"
        ),
    )
    assert again.status_code == 302
    assert reload(need).title.original == "My title"


def test_edit_without_version_is_a_conflict_not_an_overwrite(login, make_need, themes):
    need = make_need("Original title")
    response = login("requester").post(
        f"/needs/{need.id}/edit", data=form_data(themes, title="Blind", visibility="public")
    )
    assert response.status_code == 409
    assert reload(need).title.original == "Original title"


# ---------------------------------------------------------------- state changes


def test_publish_redirects_with_a_flash(login, make_need):
    need = make_need(publish=False)
    client = login("requester")
    response = client.post(f"/needs/{need.id}/publish")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/needs/{need.id}"
    page = body(client.get(response.headers["Location"]))
    assert "The need was published." in page
    need = reload(need)
    assert reload(need).status == NeedStatus.OPEN


def test_htmx_state_change_returns_the_state_fragment(login, make_need):
    need = make_need()
    client = login("requester")
    response = client.post(f"/needs/{need.id}/close", headers={"HX-Request": "true"})
    assert response.status_code == 200
    page = body(response)
    assert "<html" not in page
    assert "The need was closed." in page
    assert f"/needs/{need.id}/close" not in page
    assert "badge-closed" in page
    need = reload(need)
    assert need.status == NeedStatus.CLOSED


def test_withdraw(login, make_need):
    need = make_need()
    client = login("requester")
    assert client.post(f"/needs/{need.id}/withdraw").status_code == 302
    need = reload(need)
    assert need.status == NeedStatus.WITHDRAWN
    page = body(client.get(f"/needs/{need.id}"))
    assert f"/needs/{need.id}/edit" not in page and "Withdrawn" in page
