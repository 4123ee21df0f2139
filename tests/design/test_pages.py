"""What people see: error summaries, next steps after an agreed match, breadcrumbs, one
welcome, the stale draft message, the dashboard's headline figures and the design page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from portal.agreements.services import default_agreement
from portal.extensions import db
from portal.projects.models import Project
from tests.conftest import PASSWORD
from tests.factories import post_need
from tests.projects import factories as f

HX = {"HX-Request": "true"}


def body(response) -> str:
    return response.get_data(as_text=True)


def title_of(html: str) -> str:
    match = re.search(r"<title>(.*?)</title>", html, re.S)
    assert match
    return match.group(1).strip()


def new_project_data(agreed, **changes):
    data = {
        "match": [str(agreed.id)],
        "title": "Leak detection pilot",
        "description": "Two pressure zones.",
        "lang": "en",
        "starts_on": "2024-03-01",
        "ends_on": "2025-06-30",
        "visibility": "",
        "requester_lead": "",
        "expert_lead": "",
    }
    data.update(changes)
    return data


# ---------------------------------------------------------------- forms that guide


def test_a_refused_project_start_leads_with_an_error_summary_and_keeps_everything(
    login, client, users
):
    match = f.agreed_match(users)
    login("coordinator")
    too_late = (default_agreement().valid_until + timedelta(days=1)).isoformat()
    response = client.post(
        "/projects/new",
        data=new_project_data(match, ends_on=too_late, title="Kept title", description="Kept"),
    )
    assert response.status_code == 422
    html = body(response)
    assert title_of(html).startswith("Error: Start a project")
    summary = html[
        html.index("data-error-summary") : html.index("</div>", html.index("data-error-summary"))
    ]
    assert 'href="#ends_on"' in summary
    assert "The end must lie between" in summary
    # The summary comes before the form, the message also beside the field.
    assert html.index("data-error-summary") < html.index('action="/projects/new"')
    assert 'id="ends_on-error"' in html
    assert 'value="Kept title"' in html and "Kept</textarea>" in html
    assert f'value="{too_late}"' in html
    assert re.search(rf'value="{match.id}" id="match-{match.id}" checked', html)
    assert db.session.scalar(db.select(db.func.count(Project.id))) == 0


@pytest.mark.parametrize(("lang", "prefix"), [("en", "Error:"), ("sv", "Fel:"), ("uk", "Помилка:")])
def test_a_refused_sign_in_says_error_in_the_title_in_each_language(client, lang, prefix):
    response = client.post(
        f"/login?lang={lang}", data={"email": "nobody@example.org", "password": "x"}
    )
    html = body(response)
    assert response.status_code == 422
    assert title_of(html).startswith(prefix + " ")
    assert 'href="#password"' in html
    assert html.count("data-error-summary") == 1


def test_a_page_without_errors_has_no_error_prefix_nor_summary(client):
    html = body(client.get("/login"))
    assert not title_of(html).startswith("Error")
    assert "data-error-summary" not in html


def test_radios_sit_in_a_fieldset_with_a_legend_each_beside_its_label(client):
    html = body(client.get("/design"))
    fieldset = html[
        html.index('id="priority"') - 60 : html.index("</fieldset>", html.index('id="priority"'))
    ]
    assert "<fieldset" in fieldset and "<legend>Priority</legend>" in fieldset
    assert re.search(
        r'<li class="choice"><input [^>]*type="radio"[^>]*> <label for="priority-0"', fieldset
    )


# ---------------------------------------------------------------- no dead ends


def test_an_agreed_match_offers_a_coordinator_to_start_its_project(login, client, users):
    match = f.agreed_match(users, need_title="Pressure zones of Obolon")
    login("coordinator")
    html = body(client.get(f"/matches/{match.id}"))
    assert f'href="/projects/new?match={match.id}"' in html
    form = body(client.get(f"/projects/new?match={match.id}"))
    # Pre-filled from the match: chosen, and titled as the need.
    assert re.search(rf'value="{match.id}" id="match-{match.id}" checked', form)
    assert 'value="Pressure zones of Obolon"' in form


def test_a_participant_sees_who_starts_the_project(login, client, users):
    match = f.agreed_match(users)
    login("expert")
    html = body(client.get(f"/matches/{match.id}"))
    assert "/projects/new" not in html
    assert "A coordinator starts the project." in html


def test_a_match_in_a_project_links_to_it(app, login, client, users):
    match = f.agreed_match(users)
    with app.test_request_context():
        project = f.start(users, [match], title="Pilot in Obolon")
        db.session.commit()
    login("coordinator")
    html = body(client.get(f"/matches/{match.id}"))
    assert f'href="/projects/{project.id}"' in html
    assert "/projects/new?match=" not in html


def test_a_published_need_offers_its_suggested_matches(login, client, users):
    need = post_need(users["requester"], "Smart meters for Kyiv")
    login("coordinator")
    html = body(client.get(f"/needs/{need.id}"))
    assert 'href="#suggestions-heading"' in html
    assert 'id="suggestions-heading"' in html


def test_after_publishing_the_draft_message_is_gone(login, client, users):
    need = post_need(users["requester"], "Smart meters for Kyiv", publish=False)
    login("requester")
    html = body(client.post(f"/needs/{need.id}/publish", headers=HX))
    assert '<div hx-swap-oob="innerHTML:#messages"></div>' in html


def test_one_welcome_after_signing_in(client, users):
    response = client.post("/login", data={"email": users["requester"].email, "password": PASSWORD})
    assert response.status_code == 302
    html = body(client.get(response.headers["Location"]))
    assert html.count("Welcome, ") == 1


def test_record_pages_say_where_you_are(app, login, client, users):
    need = post_need(users["requester"], "Smart meters for Kyiv")
    match = f.agreed_match(users)
    with app.test_request_context():
        project = f.start(users, [match], title="Pilot in Obolon")
        db.session.commit()
    login("coordinator")
    for path, section in (
        (f"/needs/{need.id}", 'href="/needs/"'),
        (f"/matches/{match.id}", 'href="/matches/"'),
        (f"/projects/{project.id}", 'href="/projects/"'),
    ):
        html = body(client.get(path))
        crumbs = html[
            html.index('class="breadcrumbs"') : html.index(
                "</nav>", html.index('class="breadcrumbs"')
            )
        ]
        assert section in crumbs, path
        assert 'aria-current="page"' in crumbs, path


# ---------------------------------------------------------------- the dashboard


def test_the_dashboard_leads_with_its_headline_figures(login, client, users):
    post_need(users["requester"], "Smart meters for Kyiv")
    login("coordinator")
    html = body(client.get("/dashboard/"))
    figures = html.index('class="figures"')
    assert figures < html.index('class="panels"')
    assert "Days left in the agreement" in html
    assert "Milestones overdue" in html
    assert "Figures as of" not in html  # counted now: no cache under test


def test_the_dashboard_says_when_its_kept_figures_were_counted(app, login, client, users):
    app.config["DASHBOARD_CACHE_SECONDS"] = 60
    try:
        login("coordinator")
        client.get("/dashboard/")
        html = body(client.get("/dashboard/"))
    finally:
        app.config["DASHBOARD_CACHE_SECONDS"] = 0
    assert "Figures as of" in html


# ---------------------------------------------------------------- the design page


@pytest.mark.parametrize("lang", ["en", "sv", "uk"])
def test_the_design_page_is_public_in_three_languages(client, lang):
    response = client.get(f"/design?lang={lang}")
    assert response.status_code == 200
    html = body(response)
    assert f'<html lang="{lang}"' in html
    for component in ("error-summary", "table-wrap", "figures", "badge", "facts", "filters", "svg"):
        assert component in html
    assert "data-error-summary" not in html  # the sample neither takes the focus nor says Error
