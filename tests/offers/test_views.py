"""Offers pages per role: lists and filters, detail, editor, state changes, refusals."""

from __future__ import annotations

import re
from datetime import date

import pytest

from portal.core.enums import HelpKind, OfferStatus, Visibility
from portal.extensions import db
from portal.offers import services
from portal.offers.models import Offer
from tests.conftest import count_queries
from tests.factories import reload


def body(response) -> str:
    return response.get_data(as_text=True)


def form_data(all_themes, **overrides) -> dict:
    data = {
        "title": "Leak detection with acoustic loggers",
        "description": "Our network team has done this for twenty years.",
        "lang": "sv",
        "themes": [str(all_themes["water_sewage"].id), str(all_themes["it_digital"].id)],
        "help_kind": "training",
        "capacity_days": "40",
        "available_from": "2026-02-01",
        "available_until": "2026-12-31",
        "visibility": "",
    }
    data.update(overrides)
    return data


# ---------------------------------------------------------------- refusals


def test_restricted_offer_is_404_for_others_and_absent_from_their_lists(login, make_offer, client):
    restricted = make_offer("Secret capacity", visibility=Visibility.RESTRICTED)
    make_offer("Open teaching", themes=("education",))
    login("other_expert")
    assert client.get(f"/offers/{restricted.id}").status_code == 404
    assert client.post(f"/offers/{restricted.id}/withdraw").status_code == 404
    listing = body(client.get("/offers/?status=all&q=secret"))
    assert "Secret capacity" not in listing and "0 offers" in listing
    client.logout()
    login("coordinator")
    assert client.get(f"/offers/{restricted.id}").status_code == 200
    assert "Secret capacity" in body(client.get("/offers/?q=secret"))


def test_anonymous_sees_only_public_offers(client, make_offer):
    make_offer("Public teaching", themes=("education",))
    make_offer("Partners water", themes=("water_sewage",))
    make_offer("Draft offer", themes=("education",), publish=False)
    page = body(client.get("/offers/?status=all"))
    assert "Public teaching" in page
    assert "Partners water" not in page and "Draft offer" not in page
    assert "1 offer" in page


def test_illegal_transition_is_409(login, make_offer, users):
    offer = make_offer()
    client = login("expert")
    response = client.post(f"/offers/{offer.id}/publish")
    assert response.status_code == 409
    assert "Only a draft can be published" in body(response)


# ---------------------------------------------------------------- list


def test_list_full_page_and_htmx_fragment(client, make_offer):
    make_offer("Public teaching", themes=("education",))
    full = client.get("/offers/")
    assert "HX-Request" in full.headers["Vary"]
    page = body(full)
    assert page.count("<h1") == 1 and 'hx-get="/offers/"' in page
    assert 'aria-live="polite"' in page
    fragment = client.get("/offers/", headers={"HX-Request": "true"})
    assert "HX-Request" in fragment.headers["Vary"]
    text = body(fragment)
    assert "<html" not in text and "Public teaching" in text
    assert 'id="offers-count" hx-swap-oob="innerHTML"' in text and "1 offer" in text


@pytest.mark.parametrize(
    "query",
    [
        "page=abc",
        "page=0",
        "page=123456789012345678901234",
        "theme=999999",
        "theme=%FF",
        "sort=evil",
        "status=nonsense",
        "help_kind=all",
        "organisation=abc",
        "q=" + "%" * 300,
        "q=%00",
    ],
)
def test_junk_query_parameters_never_break_the_list(client, make_offer, query):
    make_offer("Public teaching", themes=("education",))
    response = client.get(f"/offers/?{query}")
    assert response.status_code == 200
    assert "offer" in body(response)


def test_filters_narrow_the_list(login, make_offer, themes, users):
    make_offer("Teaching", themes=("education",), help_kind=HelpKind.ADVICE)
    make_offer("Transport secondment", themes=("transport",), help_kind=HelpKind.SECONDMENT)
    gone = make_offer("Gone", themes=("transport",))
    services.withdraw_offer(users["expert"], gone)
    db.session.commit()
    client = login("requester")
    page = body(client.get(f"/offers/?theme={themes['transport'].id}"))
    assert "Transport secondment" in page and "Teaching" not in page and "Gone" not in page
    page = body(client.get("/offers/?help_kind=advice"))
    assert "Teaching" in page and "Transport secondment" not in page
    page = body(client.get("/offers/?status=withdrawn"))
    assert "Gone" in page and "Teaching" not in page
    page = body(client.get(f"/offers/?status=all&theme={themes['transport'].id}"))
    assert "Gone" in page and "Transport secondment" in page
    assert re.search(r'<option selected value="all">', page)


def test_search_finds_an_offer_by_its_ukrainian_version(client, make_offer):
    offer = make_offer("Läcksökning", themes=("education",))
    offer.title.set_version("uk", "Пошук витоків", None)
    db.session.commit()
    page = body(client.get("/offers/?q=%D0%BF%D0%BE%D1%88%D1%83%D0%BA"))  # "пошук"
    assert f'href="/offers/{offer.id}"' in page


def _bulk_offers(users, themes, count: int) -> None:
    from portal.agreements.services import default_agreement
    from portal.content.models import Text

    agreement = default_agreement()
    expert = users["expert"]
    theme_list = list(themes.values())
    for i in range(count):
        db.session.add(
            Offer(
                agreement=agreement,
                organisation_id=expert.organisation_id,
                created_by=expert,
                themes=[theme_list[i % 12], theme_list[(i + 5) % 12]],
                title=Text.new(f"Bulk offer {i}", ("uk", "sv", "en")[i % 3], expert),
                description=Text.new("Described.", "sv", expert),
                help_kind=HelpKind.ADVICE,
                capacity_days=10 + i,
                committed_days=0,
                available_from=date(2026, 1, 1),
                available_until=date(2026, 12, 31),
                visibility=Visibility.PUBLIC,
                status=OfferStatus.OPEN,
            )
        )
    db.session.commit()


def test_list_query_count_does_not_grow_with_the_rows(login, app, users, themes):
    app.config["PAGE_SIZE"] = 500
    client = login("requester")
    client.get("/offers/")
    _bulk_offers(users, themes, 10)
    db.session.expire_all()
    with count_queries(app) as small:
        response = client.get("/offers/?sort=available")
    assert "10 offers" in body(response)
    _bulk_offers(users, themes, 490)
    db.session.expire_all()
    with count_queries(app) as large:
        response = client.get("/offers/?sort=available")
    page = body(response)
    assert "500 offers" in page and page.count("Bulk offer ") == 500
    assert len(large) == len(small), large
    assert len(small) <= 15


def test_paging(login, make_offer, app):
    app.config["PAGE_SIZE"] = 2
    for i in range(3):
        make_offer(f"Offer number {i}")
    client = login("requester")
    first = body(client.get("/offers/"))
    assert 'rel="next"' in first and "Offer number 2" in first
    assert "Offer number 0" not in first
    assert "Offer number 0" in body(client.get("/offers/?page=2"))


# ---------------------------------------------------------------- detail


def test_detail_shows_the_offer_and_owner_actions(login, make_offer):
    offer = make_offer(publish=False)
    client = login("expert")
    page = body(client.get(f"/offers/{offer.id}"))
    assert page.count("<h1") == 1
    assert "Leak detection with acoustic loggers" in page
    assert "40 person-days" in page and "40 left" in page
    assert f'action="/offers/{offer.id}/publish"' in page
    assert f'action="/offers/{offer.id}/withdraw"' in page
    assert f'href="/offers/{offer.id}/edit"' in page
    assert 'id="matches-heading"' in page
    assert "History" in page
    assert f'href="/texts/{offer.title_id}/uk?next=/offers/{offer.id}"' in page


@pytest.mark.parametrize("who", ["other_expert", "requester", "coordinator", "admin"])
def test_detail_hides_actions_from_others(login, make_offer, who):
    offer = make_offer()
    page = body(login(who).get(f"/offers/{offer.id}"))
    for action in ("edit", "publish", "withdraw"):
        assert f"/offers/{offer.id}/{action}" not in page


def test_anonymous_detail_has_no_history(client, make_offer):
    offer = make_offer(themes=("education",))
    page = body(client.get(f"/offers/{offer.id}"))
    assert "Leak detection" in page and "History" not in page


# ---------------------------------------------------------------- create and edit


def test_expert_makes_an_offer(login, themes, users):
    client = login("expert")
    page = body(client.get("/offers/new"))
    assert page.count("<h1") == 1
    assert "<legend>Themes</legend>" in page and 'type="checkbox"' in page
    response = client.post("/offers/new", data=form_data(themes))
    assert response.status_code == 302
    offer = db.session.scalars(db.select(Offer)).one()
    assert response.headers["Location"] == f"/offers/{offer.id}"
    assert offer.status == OfferStatus.DRAFT
    assert offer.visibility == Visibility.PARTNERS  # water and sewage is critical
    assert {t.code for t in offer.themes} == {"water_sewage", "it_digital"}
    assert offer.organisation_id == users["expert"].organisation_id


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"themes": []}, "Choose at least one theme."),
        ({"themes": ["999999"]}, "Choose themes from the list."),
        ({"themes": ["abc"]}, "Choose at least one theme."),
        ({"capacity_days": ""}, "Enter the capacity in person-days."),
        ({"capacity_days": "0"}, "Enter a capacity from 1"),
        ({"available_from": ""}, "Enter the first day"),
        ({"available_until": "2026-01-01"}, "cannot be before its start"),
        ({"help_kind": "magic"}, "Choose a kind of help from the list."),
        ({"visibility": "secret"}, "Choose a visibility from the list."),
    ],
)
def test_bad_input_is_422_with_the_message_beside_the_field(login, themes, overrides, message):
    response = login("expert").post("/offers/new", data=form_data(themes, **overrides))
    assert response.status_code == 422
    page = body(response)
    assert message in page
    assert 'class="error"' in page and 'role="alert"' in page
    assert "Our network team has done this for twenty years." in page
    assert db.session.scalar(db.select(db.func.count(Offer.id))) == 0


def test_control_characters_are_dropped(login, themes):
    response = login("expert").post(
        "/offers/new", data=form_data(themes, title="Läck\x00sökning", description="A\r\nB")
    )
    assert response.status_code == 302
    offer = db.session.scalars(db.select(Offer)).one()
    assert offer.title.original == "Läcksökning"
    assert offer.description.original == "A\nB"


def test_theme_errors_are_tied_to_the_group(login, themes):
    page = body(login("expert").post("/offers/new", data=form_data(themes, themes=[])))
    assert 'aria-describedby="themes-hint themes-error"' in page
    assert 'id="themes-error"' in page


def test_extra_form_fields_cannot_change_owner_or_commitments(login, make_offer, themes, users):
    offer = make_offer()
    other_org = users["other_expert"].organisation_id
    response = login("expert").post(
        f"/offers/{offer.id}/edit",
        data=form_data(
            themes,
            version=str(offer.version),
            visibility="public",
            organisation_id=str(other_org),
            committed_days="35",
            status="withdrawn",
        ),
    )
    assert response.status_code == 302
    offer = reload(offer)
    assert offer.organisation_id == users["expert"].organisation_id
    assert offer.committed_days == 0 and offer.status == OfferStatus.OPEN
    assert offer.visibility == Visibility.PUBLIC


def test_edit_form_is_prefilled(login, make_offer):
    offer = make_offer(themes=("waste", "education"))
    page = body(login("expert").get(f"/offers/{offer.id}/edit"))
    assert 'value="Leak detection with acoustic loggers"' in page
    assert f'name="version" type="hidden" value="{offer.version}"' in page
    checked = re.findall(r'<input checked id="themes-\d+" name="themes" type="checkbox"', page)
    assert len(checked) == 2


def test_stale_edit_is_409_and_keeps_both_versions(login, make_offer, themes, users):
    offer = make_offer()
    loaded = offer.version
    services.update_offer(
        users["expert"], offer, expected_version=loaded, capacity_days=99, title="Theirs"
    )
    db.session.commit()
    client = login("expert")
    response = client.post(
        f"/offers/{offer.id}/edit",
        data=form_data(themes, title="Mine", version=str(loaded), visibility="partners"),
    )
    assert response.status_code == 409
    page = body(response)
    assert 'value="Mine"' in page and "Theirs" in page
    assert "Someone else saved this offer" in page and "differs from your input" in page
    assert f'name="version" type="hidden" value="{loaded + 1}"' in page
    saved = reload(offer)
    assert saved.title.original == "Theirs" and saved.capacity_days == 99


# ---------------------------------------------------------------- state changes


def test_publish_then_withdraw(login, make_offer):
    offer = make_offer(publish=False)
    client = login("expert")
    response = client.post(f"/offers/{offer.id}/publish")
    assert response.status_code == 302
    assert "The offer was published." in body(client.get(response.headers["Location"]))
    response = client.post(f"/offers/{offer.id}/withdraw", headers={"HX-Request": "true"})
    assert response.status_code == 200
    fragment = body(response)
    assert "<html" not in fragment and "The offer was withdrawn." in fragment
    assert "/withdraw" not in fragment and "badge-withdrawn" in fragment
    offer = reload(offer)
    assert offer.status == OfferStatus.WITHDRAWN
