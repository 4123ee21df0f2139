"""/dashboard per role: the page, the htmx fragment, filters, junk filters, query cost."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from itertools import pairwise

import pytest

from portal.core.enums import MatchStatus, NeedStatus, ProjectStatus, ReportStatus, Visibility
from portal.extensions import db
from tests.conftest import count_queries
from tests.dashboard import builders as b

HTMX = {"HX-Request": "true", "HX-Target": "dashboard-panels"}


def _body(response) -> str:
    return response.get_data(as_text=True)


def _funnel_row(body: str, label: str) -> str:
    match = re.search(
        r'<th scope="row">' + re.escape(label) + r'</th><td class="num">([^<]+)</td>', body
    )
    assert match, label
    return match.group(1)


def test_login_required(client):
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_login_wall_tells_htmx_where_to_go(client):
    response = client.get("/dashboard/", headers=HTMX)
    assert response.status_code == 401
    assert "/login" in response.headers["HX-Redirect"]


@pytest.mark.parametrize(
    "who", ["requester", "expert", "coordinator", "admin", "other_requester", "other_expert"]
)
def test_every_signed_in_role_may_open_it(login, who, dataset):
    response = login(who).get("/dashboard/")
    assert response.status_code == 200
    body = _body(response)
    assert body.count("<h1") == 1
    assert "HX-Request" in response.headers["Vary"]


def test_full_page_has_form_charts_and_tables(login, dataset):
    body = _body(login("coordinator").get("/dashboard/"))
    assert '<html lang="en">' in body
    # the filter form: htmx when there is JavaScript, a plain GET when there is not
    assert 'method="get"' in body
    assert 'hx-get="/dashboard/"' in body
    assert 'hx-target="#dashboard-panels"' in body
    assert 'hx-push-url="true"' in body
    assert 'hx-trigger="change, submit"' in body
    assert 'id="dashboard-panels"' in body
    # charts are inline SVG with an accessible name and description, and a table beside each
    svgs = re.findall(r"<svg [^>]*>", body)
    assert len(svgs) == 6
    for svg in svgs:
        assert 'role="img"' in svg
        chart_id = re.search(r'id="([^"]+)"', svg).group(1)
        assert f'aria-labelledby="{chart_id}-title {chart_id}-desc"' in svg
        assert f'<title id="{chart_id}-title">' in body
        assert f'<desc id="{chart_id}-desc">' in body
    for svg in re.findall(r"<svg .*?</svg>", body, re.S):
        ET.fromstring(svg)  # noqa: S314 (well-formed; our own output)
    assert body.count("<caption>") >= 6
    assert "<script" not in body.split("</head>")[1]  # no chart library, no inline script
    # headings in order: one h1, then h2, h3 only below an h2
    levels = [int(level) for level in re.findall(r"<h([1-6])", body)]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(after - before <= 1 for before, after in pairwise(levels))


def test_panels_show_the_known_numbers(login, dataset):
    body = _body(login("coordinator").get("/dashboard/"))
    assert _funnel_row(body, "Needs published") == "9"
    assert _funnel_row(body, "Matched") == "3"
    assert _funnel_row(body, "In a project") == "2"
    # the funnel's definitions are on the page
    assert "How the stages are counted" in body
    assert "both sides have accepted" in body
    # lists with links to the records' pages
    assert "Survey done" in body and "Restricted data centre" in body
    assert "2 milestones are overdue." in body
    assert "days left in the agreement" in body


def test_a_milestone_row_says_what_the_milestone_is_now(app, login, dataset):
    """The rows of the lists are kept rendered (web.kept_row) under what they show: a moved
    due date, a done milestone or a renamed project is a new row at once."""
    from portal.projects.models import Milestone, Project

    client = login("coordinator")

    def row(title: str) -> str:
        body = _body(client.get("/dashboard/"))
        return next((r for r in body.split("<li>") if title in r), "").split("</li>")[0]

    assert "5 days overdue" in row("Survey done")
    assert "5 days overdue" in row("Survey done")  # the kept row
    db.session.get(Milestone, dataset.m1.id).due_on -= timedelta(days=2)
    db.session.commit()
    assert "7 days overdue" in row("Survey done")
    project = db.session.get(Project, dataset.p1.id)
    project.title.set_version("en", "Renamed pilot", None)
    db.session.commit()
    assert "Renamed pilot" in row("Survey done")
    db.session.get(Milestone, dataset.m1.id).done_on = b.days(0)
    db.session.commit()
    assert row("Survey done") == ""


def test_restricted_records_stay_out_of_other_organisations_pages(login, dataset):
    body = _body(login("requester").get("/dashboard/"))
    assert "Restricted data centre" not in body
    assert "Restricted milestone" not in body
    assert _funnel_row(body, "Needs published") == "8"
    assert "1 milestone is overdue." in body


def test_htmx_request_gets_only_the_panels(login, dataset):
    client = login("coordinator")
    response = client.get("/dashboard/", headers=HTMX)
    body = _body(response)
    assert response.status_code == 200
    assert "<html" not in body and "<h1" not in body and "<form" not in body
    assert 'id="panel-funnel"' in body
    assert "HX-Request" in response.headers["Vary"]
    # a history restore needs the whole page
    restore = client.get("/dashboard/", headers={**HTMX, "HX-History-Restore-Request": "true"})
    assert "<h1" in _body(restore)


def test_filters_narrow_the_panels(login, dataset):
    client = login("coordinator")
    water = b.theme("water_sewage").id
    body = _body(client.get(f"/dashboard/?theme={water}", headers=HTMX))
    assert _funnel_row(body, "Needs published") == "6"
    assert "Water and sewage" in body and "Restricted data centre" not in body
    district = b.district("Darnytskyi").id
    body = _body(client.get(f"/dashboard/?district={district}"))
    assert _funnel_row(body, "Needs published") == "1"
    assert f'<option selected value="{district}">' in body or (
        f'value="{district}" selected' in body
    )


@pytest.mark.parametrize(
    "query",
    [
        "theme=abc",
        "district=99999",
        "theme=-1&district=x",
        "theme=1e3",
        "theme=99999999999999999999999",
        "district=1.5",
    ],
)
def test_junk_filters_are_ignored_with_a_message(login, dataset, query):
    response = login("coordinator").get(f"/dashboard/?{query}")
    assert response.status_code == 200
    body = _body(response)
    assert "is unknown; showing all" in body
    assert _funnel_row(body, "Needs published") == "9"


# NUL characters are dropped from every value before the view sees it: "%00" is an empty filter.
@pytest.mark.parametrize("query", ["theme=&district=", "page=2", "theme=1&theme=abc", "theme=%00"])
def test_empty_and_unrelated_arguments_are_not_junk(login, dataset, query):
    response = login("coordinator").get(f"/dashboard/?{query}")
    assert response.status_code == 200
    assert "unknown" not in _body(response)


def test_the_start_of_a_junk_filter_does_not_leak_in_htmx(login, dataset):
    response = login("coordinator").get("/dashboard/?theme=abc", headers=HTMX)
    assert response.status_code == 200
    assert "The theme in the address is unknown" in _body(response)


def test_agreement_warning_under_90_days(login, app, dataset):
    agreement = b.agreement()
    agreement.valid_until = b.TODAY + timedelta(days=45)
    db.session.commit()
    body = _body(login("coordinator").get("/dashboard/"))
    assert "Warning:" in body
    assert "The agreement ends in 45 days." in body


def test_empty_portal_shows_empty_states(login):
    response = login("expert").get("/dashboard/")
    body = _body(response)
    assert response.status_code == 200
    assert "No published needs match these filters." in body
    assert "No milestone is overdue." in body
    assert "<svg" not in body


def test_page_is_in_the_readers_language(login, dataset):
    body = _body(login("coordinator").get("/dashboard/?lang=uk"))
    assert '<html lang="uk">' in body
    assert "Водопостачання та водовідведення" in body  # theme names in the chart and table


# ---------------------------------------------------------------- constant query cost


def _bulk(users, n: int) -> None:
    """n needs, n offers, n matches and n projects with milestones and reports, in bulk."""
    req, exp, coord = users["requester"], users["expert"], users["coordinator"]
    themes = ["water_sewage", "education", "it_digital", "transport"]
    statuses = [NeedStatus.OPEN, NeedStatus.MATCHED, NeedStatus.IN_PROJECT, NeedStatus.CLOSED]
    for i in range(n):
        theme = themes[i % len(themes)]
        project = b.project(
            coord,
            req.organisation,
            exp.organisation,
            theme,
            f"Project {i}",
            status=[ProjectStatus.ACTIVE, ProjectStatus.PLANNED, ProjectStatus.COMPLETED][i % 3],
            visibility=[Visibility.PARTNERS, Visibility.RESTRICTED][i % 2],
            ends_in=i % 90,
            latest=[ReportStatus.AT_RISK, ReportStatus.OFF_TRACK, None][i % 3],
            district_name="Darnytskyi" if i % 5 == 0 else None,
        )
        b.milestone(project, f"Milestone {i}", (i % 30) - 15)
        need = b.need(
            req,
            theme,
            f"Need {i}",
            status=statuses[i % 4],
            visibility=[Visibility.PUBLIC, Visibility.RESTRICTED][i % 2],
            published_days_ago=i % 250,
        )
        offer = b.offer(exp, theme, f"Offer {i}")
        b.match(
            need,
            offer,
            exp,
            status=MatchStatus.AGREED if i % 2 else MatchStatus.PROPOSED,
            requester=req if i % 2 else None,
            expert=exp,
            project=project if i % 4 == 2 else None,
        )
        if i % 3 == 0:
            b.report(project, req, i % 60)
    db.session.commit()


def _dashboard_queries(app, client, path="/dashboard/") -> int:
    client.get(path)  # once before counting: what is kept until a write is read again after one
    with count_queries(app) as statements:
        response = client.get(path)
    assert response.status_code == 200
    return len(statements)


@pytest.mark.parametrize("who", ["coordinator", "other_expert"])
def test_query_count_does_not_grow_with_the_data(app, login, users, who):
    client = login(who)
    _bulk(users, 10)
    small = _dashboard_queries(app, client)
    _bulk(users, 490)
    large = _dashboard_queries(app, client)
    assert small == large
    assert large <= 15
    water = b.theme("water_sewage").id
    assert _dashboard_queries(app, client, f"/dashboard/?theme={water}") == large
