"""Adding or correcting a language version through HTTP, the versions fragment other pages
include, and the coordinators' "needs translation" page."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask import render_template_string
from flask_login import login_user

from portal.content.models import Text
from portal.core.enums import Visibility
from portal.extensions import db
from tests.content.factories import agreement, make_need, make_offer, theme, translate_fully

HTMX = {"HX-Request": "true"}


@pytest.fixture
def need(users):
    return make_need(
        users["requester"],
        title="Пошук витоків у водопровідній мережі",
        description="Потрібна порада щодо акустичного пошуку витоків.",
        lang="uk",
        visibility=Visibility.PARTNERS,
    )


def _loaded(client, url: str) -> str:
    """The version token the form at ``url`` carries."""
    page = client.get(url).get_data(as_text=True)
    return page.split('name="loaded" value="')[1].split('"')[0]


def _url(text_id: int, lang: str, **args) -> str:
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return f"/texts/{text_id}/{lang}" + (f"?{query}" if query else "")


# ---------------------------------------------------------------- the form


def test_full_page_shows_the_original_beside_the_form(login, need):
    response = login("requester").get(_url(need.title_id, "sv"))
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.count("<h1") == 1 and "<h1>Add a Swedish version</h1>" in body
    assert '<blockquote lang="uk"><p>Пошук витоків у водопровідній мережі</p></blockquote>' in body
    field_id = f"version-{need.title_id}-sv"
    assert f'<label for="{field_id}">Swedish version</label>' in body
    assert f'id="{field_id}"' in body
    assert 'lang="sv"' in body and 'name="body"' in body


def test_htmx_get_returns_the_form_fragment(login, need):
    response = login("requester").get(_url(need.title_id, "en"), headers=HTMX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert body.lstrip().startswith("<form")
    assert "<h1" not in body and "<html" not in body
    assert f'hx-target="#text-{need.title_id}-en"' in body
    assert "HX-Request" in response.headers["Vary"]


def test_htmx_post_saves_and_returns_the_version_with_its_author(login, need):
    client = login("requester")
    response = client.post(
        _url(need.title_id, "sv"),
        data={"body": "Läcksökning i vattennätet", "loaded": ""},
        headers=HTMX,
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert '<blockquote lang="sv"><p>Läcksökning i vattennätet</p></blockquote>' in body
    assert "Written by Olena Kovalenko on" in body
    assert "<html" not in body
    db.session.expire_all()
    assert need.title.version("sv").body == "Läcksökning i vattennätet"
    assert need.title.version("sv").author.email == "requester@kyiv.test"


def test_post_without_javascript_redirects_back_within_the_portal(login, need):
    client = login("requester")
    response = client.post(
        _url(need.description_id, "en"),
        data={"body": "We need advice on acoustic leak detection.", "next": "/needs/42?tab=x"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/needs/42?tab=x"
    for n, evil in enumerate(("https://evil.example/", "//evil.example/", "/\\evil.example")):
        url = _url(need.description_id, "en")
        response = client.post(
            url, data={"body": f"Corrected {n}.", "next": evil, "loaded": _loaded(client, url)}
        )
        assert response.status_code == 302
        assert response.headers["Location"] == _url(need.description_id, "en")


def test_correcting_shows_the_existing_version_and_who_wrote_it(login, users, need):
    need.title.set_version("en", "Leak detection", users["coordinator"])
    db.session.commit()
    body = login("requester").get(_url(need.title_id, "en")).get_data(as_text=True)
    assert "<h1>Correct the English version</h1>" in body
    assert "Written by Erik Sandberg on" in body
    assert "Leak detection</textarea>" in body


@pytest.mark.parametrize(
    "body, message",
    [
        ("", "An empty version cannot be saved"),
        ("   ", "An empty version cannot be saved"),
        ("x" * 100_000, "too long: 100,000 characters"),
        ("\x00\x00", "An empty version cannot be saved"),
    ],
)
def test_bad_input_is_explained_never_500(login, need, body, message):
    client = login("requester")
    response = client.post(_url(need.title_id, "sv"), data={"body": body, "loaded": ""})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    response = client.post(
        _url(need.title_id, "sv"), data={"body": body, "loaded": ""}, headers=HTMX
    )
    assert response.status_code == 200  # htmx swaps only 2xx: the form comes back with the error
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert need.title.version("sv") is None


def test_nul_bytes_are_dropped_from_a_version(login, need):
    client = login("requester")
    url = _url(need.title_id, "sv")
    response = client.post(url, data={"body": "Läck\x00sökning", "loaded": "", "next": "/\x00x"})
    # The portal drops NUL from every value before the view sees it: "/x" is a path inside it.
    assert response.status_code == 302 and response.headers["Location"] == "/x"
    db.session.expire_all()
    assert need.title.version("sv").body == "Läcksökning"


def test_stale_form_is_refused_and_shows_their_version(login, users, need):
    client = login("requester")
    loaded = _loaded(client, _url(need.title_id, "sv"))
    need.title.set_version("sv", "Koordinatorns version", users["coordinator"])
    db.session.commit()
    response = client.post(
        _url(need.title_id, "sv"), data={"body": "Min version", "loaded": loaded}
    )
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "Koordinatorns version" in body and "Min version" in body
    db.session.expire_all()
    assert need.title.version("sv").body == "Koordinatorns version"


def test_post_without_csrf_token_is_refused(login, need):
    response = login("requester").post(_url(need.title_id, "sv"), data={"body": "x"}, csrf=False)
    assert response.status_code == 400
    db.session.expire_all()
    assert need.title.version("sv") is None


def test_expired_agreement_answers_409(login, need):
    agreement().valid_until = date.today() - timedelta(days=1)
    db.session.commit()
    response = login("requester").post(_url(need.title_id, "sv"), data={"body": "Läcksökning"})
    assert response.status_code == 409
    assert "read-only" in response.get_data(as_text=True)


# ---------------------------------------------------------------- who may


def test_the_requesting_organisation_may_translate_others_may_not(login, need):
    assert login("requester").get(_url(need.title_id, "sv")).status_code == 200


@pytest.mark.parametrize("who", ["other_requester", "expert", "admin"])
def test_who_sees_but_may_not_edit_gets_403(login, need, who):
    client = login(who)
    assert client.get(_url(need.title_id, "sv")).status_code == 403
    assert client.post(_url(need.title_id, "sv"), data={"body": "x"}).status_code == 403
    db.session.expire_all()
    assert need.title.version("sv") is None


def test_coordinator_may_translate(login, need):
    response = login("coordinator").post(_url(need.description_id, "sv"), data={"body": "Råd."})
    assert response.status_code == 302


def test_invisible_text_is_404(login, users):
    restricted = make_need(users["requester"], visibility=Visibility.RESTRICTED)
    client = login("other_requester")
    assert client.get(_url(restricted.title_id, "sv")).status_code == 404
    assert client.post(_url(restricted.title_id, "sv"), data={"body": "x"}).status_code == 404


def test_anonymous_is_sent_to_sign_in_for_a_public_text_and_404_for_others(client, users):
    public = make_need(users["requester"], visibility=Visibility.PUBLIC)
    partners = make_need(users["requester"], visibility=Visibility.PARTNERS)
    response = client.get(_url(public.title_id, "sv"))
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get(_url(partners.title_id, "sv")).status_code == 404


@pytest.mark.parametrize("lang", ["de", "SV", "xx", "uk"])
def test_other_languages_and_the_original_are_404(login, need, lang):
    # "uk" is this need's original: it is edited on the need itself.
    assert login("requester").get(_url(need.title_id, lang)).status_code == 404


def test_unknown_and_orphan_texts_are_404(login):
    orphan = Text.new("Nobody's", "en", None)
    db.session.add(orphan)
    db.session.commit()
    client = login("coordinator")
    assert client.get(_url(999_999, "sv")).status_code == 404
    assert client.get(_url(orphan.id, "sv")).status_code == 404


# ---------------------------------------------------------------- the fragment other pages include


TEMPLATE = '{% from "content/_versions.html" import versions %}{{ versions(record.title, record) }}'


def _render_versions(app, user, record) -> str:
    with app.test_request_context("/needs/1"):
        if user is not None:
            login_user(user)
        return render_template_string(TEMPLATE, record=record)


def test_versions_fragment_offers_to_add_the_missing_languages(app, users, need):
    need.title.set_version("en", "Leak detection", users["requester"])
    db.session.commit()
    html = _render_versions(app, users["requester"], need)
    assert "No Swedish version yet" in html
    assert f'href="/texts/{need.title_id}/sv?next=/needs/1"' in html
    assert f'hx-target="#text-{need.title_id}-sv"' in html
    assert "English version" in html and "correct it" in html
    assert "No Ukrainian version yet" not in html  # the original


@pytest.mark.parametrize("who", ["other_requester", "expert", None])
def test_versions_fragment_is_empty_for_who_may_not_translate(app, users, need, who):
    html = _render_versions(app, users[who] if who else None, need)
    assert html.strip() == ""


# ---------------------------------------------------------------- needs translation


def test_missing_page_is_for_coordinators(client, login, need):
    response = client.get("/texts/missing")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    for who in ("requester", "expert", "admin", "other_requester"):
        client = login(who)
        assert client.get("/texts/missing").status_code == 403, who
        client.logout()
    response = login("coordinator").get("/texts/missing")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.count("<h1") == 1 and "<caption>" in body


def test_texts_index_leads_to_the_missing_list(login):
    response = login("coordinator").get("/texts/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/texts/missing")


def test_missing_page_counts_and_filters(login, users, need):
    offer = make_offer(users["expert"], theme_codes=("education",))
    done = make_need(users["requester"])
    translate_fully(done.title, users["requester"])
    translate_fully(done.description, users["requester"])
    client = login("coordinator")
    body = client.get("/texts/missing").get_data(as_text=True)
    assert "2 records need translation" in body
    assert f"/texts/{need.title_id}/sv" in body and f"/texts/{offer.title_id}/uk" in body

    body = client.get(f"/texts/missing?theme={theme('education').id}").get_data(as_text=True)
    assert "1 record needs translation" in body and f"/texts/{offer.title_id}/uk" in body

    offer.title.set_version("uk", "Навчання", users["expert"])
    offer.description.set_version("uk", "Два інженери.", users["expert"])
    db.session.commit()
    body = client.get("/texts/missing?missing=uk").get_data(as_text=True)
    assert "0 records need translation" in body or "Nothing needs translating" in body
    # The filter does not switch the interface language.
    assert '<html lang="en">' in body


def test_missing_page_ignores_nonsense_filters(login):
    response = login("coordinator").get("/texts/missing?theme=abc&missing=de&page=-2")
    assert response.status_code == 200


def test_missing_page_answers_htmx_with_the_results_only(login, need):
    response = login("coordinator").get("/texts/missing", headers=HTMX)
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="missing-results">')
    assert "<h1" not in body


def test_missing_page_costs_the_same_whatever_the_number_of_records(app, login, users, need):
    from tests.conftest import count_queries

    client = login("coordinator")
    make_offer(users["expert"])
    with count_queries(app) as few:
        client.get("/texts/missing")
    for _ in range(5):
        make_need(users["requester"])
        make_offer(users["expert"], theme_codes=("waste", "education"))
    db.session.expire_all()
    with count_queries(app) as many:
        client.get("/texts/missing")
    assert len(many) == len(few)


def test_project_milestone_and_report_texts_are_translated_by_participants(login, users):
    from tests.content.factories import add_milestone, add_report, make_project

    project = make_project(
        users["coordinator"], users["requester"].organisation, users["expert"].organisation
    )
    milestone = add_milestone(project, users["expert"], title="Survey done")
    report = add_report(project, users["requester"], body="Усе за планом.")
    client = login("expert")
    for text_id, lang in (
        (project.title_id, "sv"),
        (milestone.title_id, "uk"),
        (report.body_id, "sv"),
    ):
        response = client.get(_url(text_id, lang))
        assert response.status_code == 200, text_id
        assert "Leak detection in Darnytskyi" in response.get_data(as_text=True)
    response = client.post(_url(report.body_id, "en"), data={"body": "All on track.", "loaded": ""})
    assert response.status_code == 302
    client.logout()
    assert login("other_expert").get(_url(report.body_id, "sv")).status_code == 404
