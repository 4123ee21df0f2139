"""The projects services, without HTTP."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from portal.agreements.models import Agreement, AgreementExpired
from portal.agreements.services import default_agreement
from portal.audit.models import AuditEvent
from portal.core.conflicts import EditConflict
from portal.core.enums import (
    MatchStatus,
    NeedStatus,
    ProjectStatus,
    ReportStatus,
    Visibility,
)
from portal.core.transitions import IllegalTransition
from portal.core.types import utcnow
from portal.extensions import db
from portal.projects import queries, services, timeline
from portal.projects.models import Project
from portal.projects.queries import ProjectFilters
from portal.projects.services import NotAllowed, ProjectRuleError
from tests.projects import factories as f

pytestmark = pytest.mark.usefixtures("req")

DAY = timedelta(days=1)


def audit_actions(record_type: str, record_id: int) -> list[str]:
    return list(
        db.session.scalars(
            db.select(AuditEvent.action)
            .where(AuditEvent.record_type == record_type, AuditEvent.record_id == record_id)
            .order_by(AuditEvent.id)
        )
    )


# ---------------------------------------------------------------- starting a project


def test_start_project_from_an_agreed_match(users):
    match = f.agreed_match(users)
    project = f.start(users, [match])

    assert project.status == ProjectStatus.PLANNED
    assert project.agreement.id == default_agreement().id
    assert project.theme.code == "water_sewage"
    assert project.district is not None and project.district.name_en == "Obolonskyi"
    assert project.requester_lead.id == users["requester"].organisation_id
    assert project.expert_lead.id == users["expert"].organisation_id
    assert {o.id for o in project.organisations} == {
        users["requester"].organisation_id,
        users["expert"].organisation_id,
    }
    assert project.visibility == Visibility.PUBLIC
    assert match.project_id == project.id
    assert match.need.status == NeedStatus.IN_PROJECT
    assert project.title.original == "Leak detection pilot in Obolonskyi"
    assert project.title.original_lang == "en"
    assert audit_actions("project", project.id) == ["create"]
    assert audit_actions("need", match.need.id) == ["in_project"]


def test_start_project_from_several_matches_takes_the_most_restrictive_visibility(users):
    first = f.agreed_match(users, visibility=Visibility.PUBLIC)
    second = f.agreed_match(
        users, requester="other_requester", visibility=Visibility.RESTRICTED, theme_code="education"
    )
    project = f.start(users, [first, second])

    assert project.visibility == Visibility.RESTRICTED
    assert project.theme.code == "water_sewage"  # from the first match's need
    assert users["other_requester"].organisation_id in {o.id for o in project.organisations}
    assert all(m.project_id == project.id for m in (first, second))


def test_leads_can_be_chosen_and_join_the_participants(users):
    education = f.organisation("KCSA Department of Education and Science")
    stokab = f.organisation("Stokab")
    project = f.start(users, requester_lead=education, expert_lead=stokab)

    assert project.requester_lead.id == education.id
    assert project.expert_lead.id == stokab.id
    ids = {o.id for o in project.organisations}
    assert {education.id, stokab.id, users["requester"].organisation_id} <= ids


def test_lead_from_the_wrong_city_is_refused(users):
    stokab = f.organisation("Stokab")
    with pytest.raises(ProjectRuleError) as refused:
        f.start(users, requester_lead=stokab)
    assert refused.value.field == "requester_lead"
    assert "Kyiv" in refused.value.message


def test_a_project_cannot_be_more_open_than_its_needs(users):
    match = f.agreed_match(users, visibility=Visibility.RESTRICTED)
    with pytest.raises(ProjectRuleError) as refused:
        f.start(users, [match], visibility=Visibility.PUBLIC)
    assert refused.value.field == "visibility"
    assert match.project_id is None
    assert db.session.scalar(db.select(db.func.count(Project.id))) == 0


@pytest.mark.parametrize("status", [MatchStatus.PROPOSED, MatchStatus.DECLINED])
def test_only_agreed_matches_start_a_project(users, status):
    match = f.agreed_match(users, status=status)
    with pytest.raises(ProjectRuleError) as refused:
        f.start(users, [match])
    assert refused.value.field == "matches"
    assert db.session.scalar(db.select(db.func.count(Project.id))) == 0


def test_a_match_already_in_a_project_cannot_start_another(users):
    match = f.agreed_match(users)
    f.start(users, [match])
    with pytest.raises(ProjectRuleError, match="already part of a project"):
        f.start(users, [match])


def test_no_matches_is_refused(users):
    with pytest.raises(ProjectRuleError) as refused:
        f.start(users, [])
    assert refused.value.field == "matches"


def test_matches_of_different_agreements_are_refused(users):
    base = default_agreement()
    other = Agreement(
        reference="KS 2025/999",
        title_en="Another",
        title_sv="Ett annat",
        title_uk="Інша",
        requester_city_id=base.requester_city_id,
        expert_city_id=base.expert_city_id,
        signed_on=base.signed_on,
        valid_from=base.valid_from,
        valid_until=base.valid_until,
    )
    db.session.add(other)
    db.session.commit()
    first = f.agreed_match(users)
    second = f.agreed_match(users, agreement=other)
    with pytest.raises(ProjectRuleError, match="same agreement"):
        f.start(users, [first, second])


@pytest.mark.parametrize("who", ["requester", "expert", "admin", "other_expert"])
def test_only_coordinators_start_projects(users, who):
    match = f.agreed_match(users)
    with pytest.raises(NotAllowed):
        services.start_project(
            users[who],
            [match],
            title="x",
            description="y",
            lang="en",
            starts_on=f.START,
            ends_on=f.END,
        )
    assert match.project_id is None


def test_a_withdrawn_need_cannot_become_a_project(users):
    match = f.agreed_match(users, need_status=NeedStatus.WITHDRAWN)
    with pytest.raises(ProjectRuleError, match="withdrawn"):
        f.start(users, [match])


# ---------------------------------------------------------------- dates inside the validity


def test_first_and_last_valid_day_are_accepted(users):
    agreement = default_agreement()
    project = f.start(users, starts_on=agreement.valid_from, ends_on=agreement.valid_until)
    assert project.starts_on == agreement.valid_from
    assert project.ends_on == agreement.valid_until


def test_one_day_before_the_validity_is_refused(users):
    agreement = default_agreement()
    with pytest.raises(ProjectRuleError) as refused:
        f.start(users, starts_on=agreement.valid_from - DAY, ends_on=f.END)
    assert refused.value.field == "starts_on"
    assert "KS 2022/428" in refused.value.message
    assert str(agreement.valid_from.year) in refused.value.message


def test_one_day_after_the_validity_is_refused(users):
    agreement = default_agreement()
    with pytest.raises(ProjectRuleError) as refused:
        f.start(users, starts_on=f.START, ends_on=agreement.valid_until + DAY)
    assert refused.value.field == "ends_on"
    assert "KS 2022/428" in refused.value.message


def test_end_before_start_is_refused(users):
    with pytest.raises(ProjectRuleError) as refused:
        f.start(users, starts_on=f.END, ends_on=f.START)
    assert refused.value.field == "ends_on"


def test_start_and_end_on_the_same_day_is_accepted(users):
    project = f.start(users, starts_on=f.START, ends_on=f.START)
    assert project.starts_on == project.ends_on


def test_validity_hint_names_the_range_and_the_reference(users):
    hint = services.validity_hint(default_agreement())
    assert hint.startswith("Must lie between 1 July 2023 and ")
    assert hint.endswith(", the validity of KS 2022/428.")


# ---------------------------------------------------------------- milestones and progress


def test_progress_is_weighted_by_milestone(users):
    project = f.start(users)
    light = services.add_milestone(
        users["coordinator"], project, title="Survey", lang="en", due_on=f.START, weight=1
    )
    heavy = services.add_milestone(
        users["coordinator"], project, title="Pilot", lang="en", due_on=f.END, weight=3
    )
    assert project.progress == 0
    services.set_milestone_done(users["requester"], heavy, True)
    assert project.progress == 75
    services.set_milestone_done(users["expert"], light, True)
    assert project.progress == 100
    services.set_milestone_done(users["expert"], heavy, False)
    assert project.progress == 25
    assert audit_actions("milestone", heavy.id) == ["create", "done", "undone"]


def test_ticking_twice_changes_nothing_the_second_time(users):
    project = f.start(users)
    m = f.milestone(project)
    services.set_milestone_done(users["requester"], m, True)
    first_done_on = m.done_on
    services.set_milestone_done(users["expert"], m, True)
    assert m.done_on == first_done_on
    assert m.done_by.id == users["requester"].id
    assert audit_actions("milestone", m.id) == ["done"]


def test_no_milestones_means_no_progress(users):
    assert f.start(users).progress == 0


@pytest.mark.parametrize("weight", [0, -1, 101, 10**9])
def test_milestone_weight_out_of_range_is_refused(users, weight):
    project = f.start(users)
    with pytest.raises(ProjectRuleError) as refused:
        services.add_milestone(
            users["coordinator"], project, title="x", lang="en", due_on=f.START, weight=weight
        )
    assert refused.value.field == "weight"
    assert project.milestones == []


@pytest.mark.parametrize("offset", [-1, 1])
def test_milestone_due_outside_the_project_is_refused(users, offset):
    project = f.start(users)
    due = f.START - DAY if offset < 0 else f.END + DAY
    with pytest.raises(ProjectRuleError) as refused:
        services.add_milestone(users["coordinator"], project, title="x", lang="en", due_on=due)
    assert refused.value.field == "due_on"


@pytest.mark.parametrize("who", ["requester", "expert", "admin"])
def test_only_coordinators_add_milestones(users, who):
    project = f.start(users)
    with pytest.raises(NotAllowed):
        services.add_milestone(users[who], project, title="x", lang="en", due_on=f.START)


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("requester", True),
        ("expert", True),
        ("coordinator", True),
        ("admin", False),
        ("other_requester", False),
        ("other_expert", False),
    ],
)
def test_who_ticks_milestones(users, who, allowed):
    project = f.start(users)
    m = f.milestone(project)
    if allowed:
        services.set_milestone_done(users[who], m, True)
        assert m.is_done
    else:
        with pytest.raises(NotAllowed):
            services.set_milestone_done(users[who], m, True)
        db.session.rollback()
        assert not m.is_done


# ---------------------------------------------------------------- status reports


def test_report_updates_the_latest_status(users):
    project = f.start(users)
    assert project.latest_report_status is None
    report = services.add_report(
        users["expert"], project, status=ReportStatus.AT_RISK, body="Delayed parts.", lang="sv"
    )
    assert project.latest_report_status == ReportStatus.AT_RISK
    assert report.organisation_id == users["expert"].organisation_id
    assert report.body.original_lang == "sv"
    services.add_report(
        users["requester"], project, status=ReportStatus.ON_TRACK, body="Parts came.", lang="uk"
    )
    assert project.latest_report_status == ReportStatus.ON_TRACK
    assert [r.status for r in project.reports] == [ReportStatus.ON_TRACK, ReportStatus.AT_RISK]
    assert audit_actions("project", project.id) == ["create", "report", "report"]


@pytest.mark.parametrize("who", ["admin", "other_requester", "other_expert"])
def test_outsiders_cannot_report(users, who):
    project = f.start(users)
    with pytest.raises(NotAllowed):
        services.add_report(users[who], project, status=ReportStatus.ON_TRACK, body="x", lang="en")


def test_empty_report_is_refused(users):
    project = f.start(users)
    with pytest.raises(ProjectRuleError) as refused:
        services.add_report(
            users["expert"], project, status=ReportStatus.ON_TRACK, body="   ", lang="en"
        )
    assert refused.value.field == "body"


# ---------------------------------------------------------------- status


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ([ProjectStatus.ACTIVE], True),
        ([ProjectStatus.ON_HOLD, ProjectStatus.ACTIVE], True),
        ([ProjectStatus.CANCELLED], True),
        ([ProjectStatus.ACTIVE, ProjectStatus.COMPLETED], True),
        ([ProjectStatus.COMPLETED], False),
        ([ProjectStatus.PLANNED], False),
        ([ProjectStatus.CANCELLED, ProjectStatus.ACTIVE], False),
        ([ProjectStatus.ACTIVE, ProjectStatus.COMPLETED, ProjectStatus.ACTIVE], False),
    ],
)
def test_transitions(users, path, allowed):
    project = f.start(users)
    *before, last = path
    for step in before:
        services.change_status(users["coordinator"], project, step)
    if allowed:
        services.change_status(users["coordinator"], project, last)
        assert project.status == last
    else:
        current = project.status
        with pytest.raises(IllegalTransition):
            services.change_status(users["coordinator"], project, last)
        db.session.rollback()
        assert project.status == current


def test_completing_closes_the_needs(users):
    match = f.agreed_match(users)
    project = f.start(users, [match])
    services.change_status(users["coordinator"], project, ProjectStatus.ACTIVE)
    assert match.need.status == NeedStatus.IN_PROJECT
    services.change_status(users["coordinator"], project, ProjectStatus.COMPLETED)
    assert match.need.status == NeedStatus.CLOSED
    assert audit_actions("need", match.need.id) == ["in_project", "close"]
    assert audit_actions("project", project.id) == ["create", "status", "status"]


@pytest.mark.parametrize("who", ["requester", "expert", "admin"])
def test_only_coordinators_change_status(users, who):
    project = f.start(users)
    with pytest.raises(NotAllowed):
        services.change_status(users[who], project, ProjectStatus.ACTIVE)


def test_a_closed_project_takes_no_more_milestones_or_reports(users):
    project = f.start(users)
    m = f.milestone(project)
    services.change_status(users["coordinator"], project, ProjectStatus.CANCELLED)
    with pytest.raises(IllegalTransition):
        services.add_milestone(users["coordinator"], project, title="x", lang="en", due_on=f.START)
    with pytest.raises(IllegalTransition):
        services.set_milestone_done(users["expert"], m, True)
    with pytest.raises(IllegalTransition):
        services.add_report(
            users["expert"], project, status=ReportStatus.ON_TRACK, body="x", lang="en"
        )


# ---------------------------------------------------------------- editing


def edit(users, project, **changes):
    values = {
        "expected_version": project.version,
        "title": "New title",
        "description": "New description",
        "lang": "en",
        "starts_on": project.starts_on,
        "ends_on": project.ends_on,
        "visibility": project.visibility,
        "requester_lead": project.requester_lead,
        "expert_lead": project.expert_lead,
    }
    values.update(changes)
    return services.update_project(users["coordinator"], project, **values)


def test_update_project(users):
    project = f.start(users)
    edit(users, project, ends_on=date(2026, 6, 30), title="Новий заголовок", lang="uk")
    assert project.ends_on == date(2026, 6, 30)
    assert project.title.version("uk").body == "Новий заголовок"
    assert project.title.original == "Leak detection pilot in Obolonskyi"
    assert audit_actions("project", project.id) == ["create", "update"]


def test_update_with_a_stale_version_is_refused(users):
    project = f.start(users)
    stale = project.version
    edit(users, project, title="First edit")
    with pytest.raises(EditConflict):
        edit(users, project, expected_version=stale, title="Second edit")
    db.session.rollback()
    assert project.title.original == "First edit"


def test_update_keeps_dates_inside_the_validity(users):
    project = f.start(users)
    agreement = default_agreement()
    with pytest.raises(ProjectRuleError) as refused:
        edit(users, project, ends_on=agreement.valid_until + DAY)
    assert refused.value.field == "ends_on"
    db.session.rollback()
    assert project.ends_on == f.END


# ---------------------------------------------------------------- after expiry


def test_after_expiry_every_write_is_refused_until_an_extension(users):
    from portal.agreements.services import record_amendment
    from portal.core.enums import AmendmentKind

    project = f.start(users)
    m = f.milestone(project)
    spare = f.agreed_match(users)
    agreement = default_agreement()
    agreement.valid_until = date.today() - DAY
    db.session.commit()

    attempts = [
        lambda: services.change_status(users["coordinator"], project, ProjectStatus.ACTIVE),
        lambda: services.set_milestone_done(users["requester"], m, True),
        lambda: services.add_milestone(
            users["coordinator"], project, title="x", lang="en", due_on=f.START
        ),
        lambda: services.add_report(
            users["expert"], project, status=ReportStatus.ON_TRACK, body="x", lang="en"
        ),
        lambda: f.start(users, [spare]),
    ]
    for attempt in attempts:
        with pytest.raises(AgreementExpired):
            attempt()
        db.session.rollback()
    assert project.status == ProjectStatus.PLANNED
    assert not m.is_done
    assert project.reports == [] and len(project.milestones) == 1
    assert spare.project_id is None

    record_amendment(
        users["coordinator"],
        agreement,
        kind=AmendmentKind.EXTENSION,
        reason="Extended by the City Council.",
        reason_lang="en",
        decided_on=date.today(),
        new_valid_until=date.today() + timedelta(days=365),
    )
    services.change_status(users["coordinator"], project, ProjectStatus.ACTIVE)
    assert project.status == ProjectStatus.ACTIVE


# ---------------------------------------------------------------- reading


def test_visibility_in_queries(users):
    public = f.start(users, title="Public one")
    partners_match = f.agreed_match(users, visibility=Visibility.PARTNERS)
    partners = f.start(users, [partners_match], title="Partners one")
    restricted_match = f.agreed_match(users, visibility=Visibility.RESTRICTED)
    restricted = f.start(users, [restricted_match], title="Restricted one")

    def visible(user):
        return {p.id for p in db.session.scalars(queries.projects_query(user))}

    assert visible(None) == {public.id}
    assert visible(users["other_requester"]) == {public.id, partners.id}
    assert visible(users["other_expert"]) == {public.id, partners.id}
    assert visible(users["admin"]) == {public.id, partners.id}
    everything = {public.id, partners.id, restricted.id}
    assert visible(users["requester"]) == everything
    assert visible(users["expert"]) == everything
    assert visible(users["coordinator"]) == everything


def test_filters(users):
    water = f.start(users, title="Water meters")
    school = f.start(
        users,
        [f.agreed_match(users, theme_code="education", district_name="Podilskyi")],
        title="Школа майбутнього",
        lang="uk",
    )
    services.change_status(users["coordinator"], school, ProjectStatus.ACTIVE)

    def ids(**filters):
        query = queries.projects_query(users["coordinator"], ProjectFilters(**filters))
        return {p.id for p in db.session.scalars(query)}

    assert ids() == {water.id, school.id}
    assert ids(theme="education") == {school.id}
    assert ids(status=ProjectStatus.PLANNED) == {water.id}
    assert ids(district="UA80000000000719633") == {school.id}
    assert ids(q="ШКОЛА") == {school.id}
    assert ids(q="meters") == {water.id}
    assert ids(theme="no-such-theme") == set()


def test_filters_from_query_arguments_ignore_junk():
    filters = ProjectFilters.from_args({"status": "bogus", "theme": " education ", "q": "  "})
    assert filters == ProjectFilters(theme="education")
    assert ProjectFilters.from_args({"status": "active"}).status == ProjectStatus.ACTIVE


def test_milestones_due(users):
    today = date.today()
    project = f.start(
        users, starts_on=today - timedelta(days=60), ends_on=today + timedelta(days=90)
    )
    soon = f.milestone(project, "Soon", due_on=today + timedelta(days=14))
    overdue = f.milestone(project, "Overdue", due_on=today - timedelta(days=3))
    f.milestone(project, "Later", due_on=today + timedelta(days=15))
    done = f.milestone(project, "Done", due_on=today)
    services.set_milestone_done(users["requester"], done, True)

    def due(who):
        rows, total = timeline.milestones_due(users.get(who), today, limit=10)
        assert total == len(rows)
        return [row.id for row in rows]

    assert due("requester") == [overdue.id, soon.id]
    assert due("expert") == [overdue.id, soon.id]
    assert due("other_requester") == []
    assert due(None) == []


def test_reports_due(users):
    def due(who):
        rows, total = timeline.reports_due(users[who], utcnow(), limit=10)
        assert total == len(rows)
        return [row.id for row in rows]

    project = f.start(users)
    assert due("requester") == []  # planned, not active yet
    services.change_status(users["coordinator"], project, ProjectStatus.ACTIVE)
    assert due("requester") == [project.id]
    services.add_report(
        users["requester"], project, status=ReportStatus.ON_TRACK, body="Fine.", lang="uk"
    )
    assert due("requester") == []
    assert due("expert") == [project.id]
    assert due("other_expert") == []
    # A report older than 30 days no longer counts.
    project.reports[0].created_at -= timedelta(days=31)
    db.session.commit()
    assert due("requester") == [project.id]


def test_timeline_merges_milestones_reports_and_status_changes(users):
    project = f.start(users)
    m = f.milestone(project, "Survey", due_on=f.END)
    services.change_status(users["coordinator"], project, ProjectStatus.ACTIVE)
    services.add_report(
        users["expert"], project, status=ReportStatus.ON_TRACK, body="Fine.", lang="sv"
    )
    entries = timeline.timeline(project)
    kinds = [e.kind for e in entries]
    assert sorted(kinds) == ["milestone_due", "report", "status", "status"]
    assert [e.sort_key for e in entries] == sorted(e.sort_key for e in entries)
    statuses = [e.status for e in entries if e.kind == "status"]
    assert statuses == [ProjectStatus.PLANNED, ProjectStatus.ACTIVE]
    # Each status change names who made it; the report, who wrote it.
    coordinator, expert = users["coordinator"].name, users["expert"].name
    assert [e.actor.name for e in entries if e.kind == "status"] == [coordinator, coordinator]
    assert next(e for e in entries if e.kind == "report").actor.name == expert
    assert next(e for e in entries if e.kind == "milestone_due").milestone.id == m.id
