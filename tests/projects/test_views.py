"""The project pages, per role, with htmx and without, and with bad input."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from portal.agreements.services import default_agreement
from portal.core.enums import ProjectStatus, ReportStatus, Visibility
from portal.extensions import db
from portal.projects import services
from portal.projects.models import Milestone, Project
from tests.conftest import count_queries
from tests.projects import factories as f

ROLES = ["requester", "expert", "coordinator", "admin", "other_requester", "other_expert"]
PARTICIPANTS = {"requester", "expert", "coordinator"}
HX = {"HX-Request": "true"}


def body(response) -> str:
    return response.get_data(as_text=True)


def as_role(login, who):
    """Sign in as ``who``; "anonymous" stays signed out."""
    if who != "anonymous":
        login(who)


@pytest.fixture
def project(app, users):
    """A partners-only project of the requester's and the expert's organisations, with two
    milestones (weights 1 and 3, the light one overdue)."""
    match = f.agreed_match(users, visibility=Visibility.PARTNERS)
    with app.test_request_context():
        project = f.start(users, [match])
        db.session.commit()
    f.milestone(project, "Survey of pressure zones", weight=1, due_on=f.START)
    f.milestone(project, "Pilot installation", weight=3, due_on=f.END)
    return project


@pytest.fixture
def restricted(app, users):
    match = f.agreed_match(users, visibility=Visibility.RESTRICTED, need_title="Secret pumps")
    with app.test_request_context():
        project = f.start(users, [match], title="Pumping station renewal")
        db.session.commit()
    return project


# ---------------------------------------------------------------- the list


def test_anonymous_list_shows_public_projects_only(app, client, users, project, restricted):
    with app.test_request_context():
        public = f.start(users, title="Open data for school meals")
        db.session.commit()
    response = client.get("/projects/")
    assert response.status_code == 200
    html = body(response)
    assert "Open data for school meals" in html
    assert "Leak detection pilot" not in html  # partners
    assert "Pumping station renewal" not in html  # restricted
    assert "1 project" in html
    assert f"/projects/{public.id}" in html
    assert html.count("<h1") == 1


@pytest.mark.parametrize("who", ROLES)
def test_restricted_project_is_listed_only_for_participants(login, client, restricted, who):
    as_role(login, who)
    html = body(client.get("/projects/"))
    detail = client.get(f"/projects/{restricted.id}")
    if who in PARTICIPANTS:
        assert "Pumping station renewal" in html
        assert detail.status_code == 200
    else:
        assert "Pumping station renewal" not in html
        assert "0 projects" in html
        assert detail.status_code == 404
        assert "Pumping station renewal" not in body(detail)


def test_htmx_filter_returns_only_the_fragment(app, client, users, project):
    with app.test_request_context():
        f.start(users, [f.agreed_match(users, theme_code="education")], title="School kitchens")
        db.session.commit()
    response = client.get("/projects/?theme=education", headers=HX)
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    html = body(response)
    assert "<html" not in html and "<h1" not in html
    assert "School kitchens" in html
    assert "Leak detection pilot" not in html
    assert 'id="project-count" hx-swap-oob="innerHTML"' in html
    assert "1 project" in html


def test_full_page_for_history_restore_and_plain_requests(client, project):
    restore = client.get("/projects/", headers={**HX, "HX-History-Restore-Request": "true"})
    assert "<h1" in body(restore)
    page = body(client.get("/projects/?q=nothing-like-this"))
    assert "<h1" in page
    assert 'hx-get="/projects/"' in page
    assert "No projects match these filters." in page


@pytest.mark.parametrize(
    "query",
    [
        "?status=bogus",
        "?theme=%00",
        "?page=-3",
        "?page=abc",
        "?page=99999999999999999999",
        "?district=x" * 50,
        "?q=" + "ж" * 500,
    ],
)
def test_junk_filters_never_fail(client, project, query):
    assert client.get("/projects/" + query).status_code == 200


def test_filters_narrow_the_list(app, login, client, users, project):
    with app.test_request_context():
        school = f.start(
            users,
            [f.agreed_match(users, theme_code="education", district_name="Podilskyi")],
            title="Шкільні їдальні",
            lang="uk",
        )
        services.change_status(users["coordinator"], school, ProjectStatus.ACTIVE)
        db.session.commit()
    login("expert")
    assert "Шкільні їдальні" in body(client.get("/projects/?status=active"))
    assert "Leak detection pilot" not in body(client.get("/projects/?status=active"))
    assert "Leak detection pilot" in body(client.get("/projects/?district=UA80000000000551439"))
    assert "Шкільні їдальні" in body(client.get("/projects/?q=їдальні"))
    assert "Leak detection pilot" not in body(client.get("/projects/?q=їдальні"))


def test_paging(app, client, users):
    for n in range(25):
        f.bare_project(users, n)
    db.session.commit()
    first = body(client.get("/projects/"))
    second = body(client.get("/projects/?page=2"))
    assert "25 projects" in first
    assert 'rel="next"' in first and 'rel="prev"' not in first
    assert first.count("<li>\n    <h2>") == 20
    assert second.count("<li>\n    <h2>") == 5


@pytest.mark.parametrize("who", ["anonymous", "coordinator", "expert"])
def test_list_issues_the_same_queries_for_10_and_500_projects(app, login, client, users, who):
    as_role(login, who)
    client.get("/projects/")  # warm up: the session, the user and the reference data

    def queries_for(total: int) -> int:
        existing = db.session.scalar(db.select(db.func.count(Project.id)))
        for n in range(existing, total):
            f.bare_project(users, n)
        db.session.commit()
        db.session.expire_all()
        with count_queries(app) as statements:
            response = client.get("/projects/?page=1")
        assert response.status_code == 200
        assert "Project" in body(response)
        return len(statements)

    ten = queries_for(10)
    five_hundred = queries_for(500)
    assert ten == five_hundred
    assert ten <= 15


# ---------------------------------------------------------------- starting a project


def test_new_project_form_says_the_allowed_range_before_saving(app, login, client, users):
    match = f.agreed_match(users)
    other = f.agreed_match(users, need_title="Another need")
    login("coordinator")
    response = client.get(f"/projects/new?match={match.id}")
    assert response.status_code == 200
    html = body(response)
    agreement = default_agreement()
    with app.test_request_context():
        hint = services.validity_hint(agreement)
    assert hint in html
    assert "Must lie between 1 July 2023 and" in html
    assert f'min="{agreement.valid_from.isoformat()}"' in html
    assert f'max="{agreement.valid_until.isoformat()}"' in html
    assert re.search(rf'value="{match.id}" id="match-{match.id}" checked', html)
    assert re.search(rf'value="{other.id}" id="match-{other.id}">', html)
    assert 'aria-describedby="starts_on-hint"' in html
    assert html.count("<h1") == 1


def test_start_a_project(login, client, users):
    match = f.agreed_match(users)
    login("coordinator")
    response = client.post(
        "/projects/new",
        data={
            "match": [str(match.id)],
            "title": "Leak detection pilot",
            "description": "Two pressure zones.",
            "lang": "en",
            "starts_on": "2024-03-01",
            "ends_on": "2025-06-30",
            "visibility": "",
            "requester_lead": "",
            "expert_lead": "",
        },
    )
    assert response.status_code == 302
    project = db.session.scalar(db.select(Project))
    assert project is not None
    assert response.headers["Location"].endswith(f"/projects/{project.id}")
    assert project.visibility == Visibility.PUBLIC
    assert project.matches[0].id == match.id


def new_project_data(agreed, /, **changes):
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


def test_a_start_that_fails_halfway_leaves_nothing_written(login, client, users, monkeypatch):
    """The service has flushed the project, its texts and the need's new status when the audit
    store fails: the request rolls all of it back."""
    match = f.agreed_match(users)
    need_id, need_status = match.need_id, match.need.status
    login("coordinator")

    def broken(*args, **kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(services.audit, "record", broken)
    assert client.post("/projects/new", data=new_project_data(match)).status_code == 500
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count(Project.id))) == 0
    assert db.session.get(type(match), match.id).project_id is None
    assert db.session.get(type(match.need), need_id).status == need_status


def test_control_characters_are_dropped_not_a_500(login, client, users):
    match = f.agreed_match(users)
    login("coordinator")
    data = new_project_data(match, title="Leak\x00 detection", description="Two\x00 zones.")
    assert client.post("/projects/new", data=data).status_code == 302
    project = db.session.scalar(db.select(Project))
    assert project.title.original == "Leak detection"


def test_dates_outside_the_validity_are_refused_beside_the_field(login, client, users):
    match = f.agreed_match(users)
    login("coordinator")
    too_late = (default_agreement().valid_until + timedelta(days=1)).isoformat()
    response = client.post(
        "/projects/new", data=new_project_data(match, ends_on=too_late, title="Kept title")
    )
    assert response.status_code == 422
    html = body(response)
    assert 'id="ends_on-error"' in html
    assert "The end must lie between 1 July 2023 and" in html
    assert "the validity of KS 2022/428" in html
    assert 'aria-invalid="true"' in html
    assert f'value="{too_late}"' in html  # input kept
    assert 'value="Kept title"' in html
    assert db.session.scalar(db.select(db.func.count(Project.id))) == 0


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"starts_on": "2024-02-30"}, "starts_on", "Not a valid date value"),
        ({"ends_on": "junk"}, "ends_on", "Not a valid date value"),
        ({"starts_on": ""}, "starts_on", "Enter the start date."),
        ({"title": ""}, "title", "Enter a title."),
        ({"description": ""}, "description", "Describe the project."),
        ({"title": "x" * 201}, "title", "200"),
        ({"match": []}, "matches", "Choose at least one agreed match."),
        ({"match": ["abc"]}, "matches", "could not be coerced"),
        ({"match": ["999999"]}, "matches", "not a valid choice"),
        ({"visibility": "secret"}, "visibility", "Invalid Choice"),
        ({"visibility": "public"}, "visibility", "cannot be more open"),
        ({"lang": "de"}, "lang", "Not a valid choice"),
        ({"requester_lead": "abc"}, "requester_lead", "Invalid Choice"),
        ({"starts_on": "2025-06-30", "ends_on": "2024-03-01"}, "ends_on", "before the start"),
    ],
)
def test_bad_input_on_new_project_is_422_with_messages(
    login, client, users, changes, field, message
):
    match = f.agreed_match(users, visibility=Visibility.PARTNERS)
    login("coordinator")
    response = client.post("/projects/new", data=new_project_data(match, **changes))
    assert response.status_code == 422
    html = body(response)
    assert message in html
    assert f'id="{field}-error"' in html
    assert db.session.scalar(db.select(db.func.count(Project.id))) == 0


@pytest.mark.parametrize("who", ["requester", "expert", "admin", "other_expert"])
def test_only_coordinators_start_projects(login, client, users, who):
    match = f.agreed_match(users)
    login(who)
    assert client.get("/projects/new").status_code == 403
    assert client.post("/projects/new", data=new_project_data(match)).status_code == 403
    assert db.session.scalar(db.select(db.func.count(Project.id))) == 0


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/projects/new")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    htmx = client.get("/projects/new", headers=HX)
    assert htmx.status_code == 401
    assert "/login" in htmx.headers["HX-Redirect"]


def test_new_project_without_candidates_says_so(login, client):
    login("coordinator")
    assert "No agreed matches are waiting" in body(client.get("/projects/new"))


# ---------------------------------------------------------------- the project page


@pytest.mark.parametrize("who", ["anonymous", *ROLES])
def test_project_page_per_role(login, client, project, who):
    as_role(login, who)
    response = client.get(f"/projects/{project.id}")
    if who == "anonymous":
        assert response.status_code == 404  # partners only
        return
    assert response.status_code == 200
    html = body(response)
    assert html.count("<h1") == 1
    assert "Leak detection pilot in Obolonskyi" in html
    assert '<progress id="project-progress" class="progress" max="100" value="0">' in html
    assert '<label for="project-progress">Progress</label>' in html
    assert "Overdue" in html  # in words, not only colour
    assert "Kyivvodokanal" in html and "Stockholm Vatten och Avfall" in html
    assert "Timeline" in html
    assert "Leak detection in the water network" in html  # the match it came from
    manage = who == "coordinator"
    report = who in PARTICIPANTS
    assert ("Change status" in html) == manage
    assert ("Add a milestone" in html) == manage
    assert ("Edit the project" in html) == manage
    assert ("Mark as done" in html) == report
    assert ("Write a status report" in html) == report


def test_project_page_shows_reports_latest_first(app, client, login, users, project):
    with app.test_request_context():
        services.add_report(
            users["expert"], project, status=ReportStatus.AT_RISK, body="Parts late.", lang="en"
        )
        services.add_report(
            users["requester"], project, status=ReportStatus.ON_TRACK, body="Parts in.", lang="en"
        )
        db.session.commit()
    login("expert")
    html = body(client.get(f"/projects/{project.id}"))
    assert html.index("Parts in.") < html.index("Parts late.")
    assert "Status report from Kyivvodokanal: On track." in html


def test_unknown_project_is_404(client):
    assert client.get("/projects/999999").status_code == 404


# ---------------------------------------------------------------- ticking milestones


def heavy_milestone(project) -> Milestone:
    return next(m for m in project.milestones if m.weight == 3)


def test_tick_with_htmx_returns_the_fragment_with_progress(login, client, project):
    login("requester")
    milestone = heavy_milestone(project)
    url = f"/projects/{project.id}/milestones/{milestone.id}/toggle"
    response = client.post(url, data={"done": "1"}, headers=HX)
    assert response.status_code == 200
    html = body(response)
    assert "<html" not in html and "<h1" not in html
    assert 'value="75"' in html and "75%" in html
    assert f'id="milestone-{milestone.id}"' in html
    assert '<div id="messages" hx-swap-oob="innerHTML">' in html
    assert "Milestone “Pilot installation” is done. Progress: 75%." in html
    assert "data-focus-after-swap" in html
    db.session.expire_all()
    assert db.session.get(Milestone, milestone.id).done_on == date.today()


def test_tick_without_javascript_redirects(login, client, project):
    login("expert")
    milestone = heavy_milestone(project)
    url = f"/projects/{project.id}/milestones/{milestone.id}/toggle"
    response = client.post(url, data={"done": "1"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/projects/{project.id}#milestones")
    page = body(client.get(f"/projects/{project.id}"))
    assert "is done. Progress: 75%." in page
    # The same form sent again (double click) keeps it done.
    client.post(url, data={"done": "1"})
    db.session.expire_all()
    assert db.session.get(Milestone, milestone.id).is_done
    client.post(url, data={"done": "0"})
    db.session.expire_all()
    assert not db.session.get(Milestone, milestone.id).is_done


@pytest.mark.parametrize("who", ["admin", "other_requester", "other_expert"])
def test_outsiders_cannot_tick(login, client, project, who):
    login(who)
    milestone = heavy_milestone(project)
    url = f"/projects/{project.id}/milestones/{milestone.id}/toggle"
    assert client.post(url, data={"done": "1"}).status_code == 403
    db.session.expire_all()
    assert not db.session.get(Milestone, milestone.id).is_done


def test_tick_of_a_restricted_project_is_404_for_outsiders(login, client, users, restricted):
    m = f.milestone(restricted)
    login("other_expert")
    url = f"/projects/{restricted.id}/milestones/{m.id}/toggle"
    assert client.post(url, data={"done": "1"}).status_code == 404


def test_milestone_of_another_project_is_404(app, login, client, users, project):
    with app.test_request_context():
        other = f.start(users, title="Other")
        db.session.commit()
    m = f.milestone(other)
    login("requester")
    url = f"/projects/{project.id}/milestones/{m.id}/toggle"
    assert client.post(url, data={"done": "1"}).status_code == 404


def test_tick_without_csrf_token_is_refused(login, client, project):
    login("requester")
    milestone = heavy_milestone(project)
    url = f"/projects/{project.id}/milestones/{milestone.id}/toggle"
    assert client.post(url, data={"done": "1"}, csrf=False).status_code == 400


# ---------------------------------------------------------------- adding milestones


def test_coordinator_adds_a_milestone(login, client, project):
    login("coordinator")
    response = client.post(
        f"/projects/{project.id}/milestones",
        data={
            "milestone-title": "Training",
            "milestone-lang": "sv",
            "milestone-due_on": "2024-09-01",
            "milestone-weight": "2",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    added = db.session.scalar(db.select(Milestone).where(Milestone.weight == 2))
    assert added is not None and added.title.original_lang == "sv"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"milestone-weight": "0"}, "weight", "Use a whole number from 1 to 100."),
        ({"milestone-weight": str(10**9)}, "weight", "Use a whole number from 1 to 100."),
        ({"milestone-weight": "abc"}, "weight", "Not a valid integer value"),
        ({"milestone-weight": ""}, "weight", "Enter a weight."),
        ({"milestone-title": ""}, "title", "Enter what the milestone is."),
        ({"milestone-due_on": "31/12/2024"}, "due_on", "Not a valid date value"),
        ({"milestone-due_on": "2030-01-01"}, "due_on", "the period of the project"),
    ],
)
def test_bad_milestone_input_is_422(login, client, project, changes, field, message):
    login("coordinator")
    data = {
        "milestone-title": "Training",
        "milestone-lang": "en",
        "milestone-due_on": "2024-09-01",
        "milestone-weight": "1",
        **changes,
    }
    response = client.post(f"/projects/{project.id}/milestones", data=data)
    assert response.status_code == 422
    html = body(response)
    assert message in html
    assert f'id="milestone-{field}-error"' in html
    db.session.expire_all()
    assert len(db.session.get(Project, project.id).milestones) == 2


@pytest.mark.parametrize("who", ["requester", "expert", "admin"])
def test_only_coordinators_add_milestones(login, client, project, who):
    login(who)
    data = {"milestone-title": "x", "milestone-lang": "en", "milestone-due_on": "2024-09-01"}
    assert client.post(f"/projects/{project.id}/milestones", data=data).status_code == 403


# ---------------------------------------------------------------- status reports


def test_participant_writes_a_report(login, client, project):
    login("requester")
    response = client.post(
        f"/projects/{project.id}/reports",
        data={"report-status": "at_risk", "report-body": "Pipes are late.", "report-lang": "uk"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Project, project.id).latest_report_status == ReportStatus.AT_RISK


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"report-body": "x", "report-lang": "en"}, "status", "Choose how the project is going."),
        ({"report-status": "great", "report-body": "x", "report-lang": "en"}, "status", "valid"),
        ({"report-status": "on_track", "report-body": "", "report-lang": "en"}, "body", "Write"),
    ],
)
def test_bad_report_input_is_422(login, client, project, data, field, message):
    login("expert")
    response = client.post(f"/projects/{project.id}/reports", data=data)
    assert response.status_code == 422
    html = body(response)
    assert message in html
    assert f"report-{field}-error" in html


@pytest.mark.parametrize("who", ["admin", "other_requester", "other_expert"])
def test_outsiders_cannot_report(login, client, project, who):
    login(who)
    data = {"report-status": "on_track", "report-body": "x", "report-lang": "en"}
    assert client.post(f"/projects/{project.id}/reports", data=data).status_code == 403


# ---------------------------------------------------------------- status


def test_coordinator_changes_status(login, client, project):
    login("coordinator")
    response = client.post(f"/projects/{project.id}/status", data={"status-status": "active"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Project, project.id).status == ProjectStatus.ACTIVE
    page = body(client.get(f"/projects/{project.id}"))
    assert "Status changed from Planned to Active." in page


def test_illegal_transition_is_409(login, client, project):
    login("coordinator")
    response = client.post(f"/projects/{project.id}/status", data={"status-status": "completed"})
    assert response.status_code == 409
    assert "cannot become completed" in body(response)


def test_junk_status_is_422(login, client, project):
    login("coordinator")
    response = client.post(f"/projects/{project.id}/status", data={"status-status": "done!"})
    assert response.status_code == 422
    assert 'id="status-status-error"' in body(response)


@pytest.mark.parametrize("who", ["requester", "expert", "admin"])
def test_only_coordinators_change_status(login, client, project, who):
    login(who)
    response = client.post(f"/projects/{project.id}/status", data={"status-status": "active"})
    assert response.status_code == 403


# ---------------------------------------------------------------- editing


def edit_data(project, **changes):
    data = {
        "title": "Renamed",
        "description": "Still two zones.",
        "lang": "en",
        "starts_on": project.starts_on.isoformat(),
        "ends_on": project.ends_on.isoformat(),
        "visibility": project.visibility.value,
        "requester_lead": str(project.requester_lead_id),
        "expert_lead": str(project.expert_lead_id),
        "version": str(project.version),
    }
    data.update(changes)
    return data


def test_edit_project(login, client, project):
    login("coordinator")
    form = client.get(f"/projects/{project.id}/edit")
    assert form.status_code == 200
    assert 'value="Leak detection pilot in Obolonskyi"' in body(form)
    response = client.post(f"/projects/{project.id}/edit", data=edit_data(project))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Project, project.id).title.original == "Renamed"


def test_edit_on_a_stale_version_is_409_and_keeps_both(login, client, project):
    login("coordinator")
    stale = edit_data(project, title="Mine")
    client.post(f"/projects/{project.id}/edit", data=edit_data(project, title="Theirs"))
    response = client.post(f"/projects/{project.id}/edit", data=stale)
    assert response.status_code == 409
    html = body(response)
    assert "Someone else saved this project" in html
    assert "Theirs" in html and 'value="Mine"' in html
    db.session.expire_all()
    assert db.session.get(Project, project.id).title.original == "Theirs"


def test_edit_dates_outside_validity_is_422(login, client, project):
    login("coordinator")
    response = client.post(
        f"/projects/{project.id}/edit", data=edit_data(project, starts_on="2023-06-30")
    )
    assert response.status_code == 422
    assert "The start must lie between" in body(response)


@pytest.mark.parametrize("who", ["requester", "expert", "admin"])
def test_only_coordinators_edit(login, client, project, who):
    login(who)
    assert client.get(f"/projects/{project.id}/edit").status_code == 403
    assert client.post(f"/projects/{project.id}/edit", data=edit_data(project)).status_code == 403


# ---------------------------------------------------------------- after expiry


def test_expired_agreement_makes_the_project_read_only_until_extended(
    login, client, users, project
):
    agreement = default_agreement()
    agreement.valid_until = date.today() - timedelta(days=1)
    db.session.commit()

    login("coordinator")
    page = body(client.get(f"/projects/{project.id}"))
    assert "read-only until an amendment extends it" in page
    assert "Change status" not in page
    assert "Add a milestone" not in page
    assert "Mark as done" not in page
    assert "Start a project" not in body(client.get("/projects/"))
    f.agreed_match(users)
    new_page = body(client.get("/projects/new"))
    assert "No project can start until an amendment extends it." in new_page
    assert "Start the project" not in new_page

    response = client.post(f"/projects/{project.id}/status", data={"status-status": "active"})
    assert response.status_code == 409
    assert "Its records are read-only until an amendment extends it." in body(response)
    db.session.expire_all()
    assert db.session.get(Project, project.id).status == ProjectStatus.PLANNED

    amendment = client.post(
        f"/agreements/{agreement.id}/amendments/new",
        data={
            "kind": "extension",
            "new_valid_until": (date.today() + timedelta(days=400)).isoformat(),
            "decided_on": date.today().isoformat(),
            "reason": "The City Council extended the agreement.",
            "reason_lang": "en",
        },
    )
    assert amendment.status_code == 302

    response = client.post(f"/projects/{project.id}/status", data={"status-status": "active"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Project, project.id).status == ProjectStatus.ACTIVE
    assert "Change status" in body(client.get(f"/projects/{project.id}"))


def test_the_page_names_only_the_needs_and_offers_its_reader_may_see(app, login, client, users):
    """A project of two cities' partners: each names the restricted need and offer of the
    other partners only as "A need you may not see"; the page asks the lists' own rule."""
    ours = f.agreed_match(
        users,
        visibility=Visibility.RESTRICTED,
        offer_visibility=Visibility.RESTRICTED,
        need_title="Secret pumps",
        offer_title="Pump know-how",
    )
    theirs = f.agreed_match(
        users,
        requester="other_requester",
        expert="other_expert",
        visibility=Visibility.RESTRICTED,
        offer_visibility=Visibility.RESTRICTED,
        need_title="Hidden valves",
        offer_title="Valve know-how",
    )
    with app.test_request_context():
        project = f.start(users, [ours, theirs], title="Pumps and valves")
        db.session.commit()
    titles = ["Secret pumps", "Pump know-how", "Hidden valves", "Valve know-how"]
    expected = {
        "requester": {"Secret pumps", "Pump know-how"},
        "other_expert": {"Hidden valves", "Valve know-how"},
        "coordinator": set(titles),
    }
    for who, shown in expected.items():
        client.logout()
        login(who)
        html = body(client.get(f"/projects/{project.id}"))
        assert "Pumps and valves" in html, who
        assert {t for t in titles if t in html} == shown, who
        assert html.count("A need you may not see") == 2 - len(shown) // 2, who
        assert html.count("An offer you may not see") == 2 - len(shown) // 2, who
        # The same answer as the rule each record states for itself.
        with app.test_request_context():
            reader = db.session.get(type(users[who]), users[who].id)
            for match in db.session.get(Project, project.id).matches:
                for record in (match.need, match.offer):
                    assert (record.title.original in html) == record.can_view(reader), who
