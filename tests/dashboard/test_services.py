"""The dashboard's numbers for a known dataset (see conftest.py), per viewer."""

from __future__ import annotations

from datetime import date

from flask import Flask

from portal.core.enums import NeedStatus, ProjectStatus, ReportStatus
from portal.dashboard import services
from portal.dashboard.services import Filters
from tests.dashboard import builders as b


def _funnel(viewer, filters=None):
    return {s.key: s.count for s in services.funnel(viewer, filters or Filters())}


def _by_theme(breakdown):
    return {theme.code: total for theme, _counts, total in breakdown.by_theme}


def _by_status(breakdown):
    return {c.key: c.count for c in breakdown.by_status if c.count}


def _ages(viewer, filters=None):
    return [c.count for c in services.unmatched_by_age(viewer, filters or Filters())]


def test_funnel_for_coordinator_counts_everything_published(dataset, users):
    assert _funnel(users["coordinator"]) == {
        "published": 9,  # n1-n8 and the restricted n11; not the draft, not the withdrawn
        "matched": 3,  # n6, n7, n8
        "in_project": 2,  # n7, n8
        "completed": 1,  # n8
    }


def test_funnel_leaves_out_restricted_records_of_other_organisations(dataset, users):
    # Kyivvodokanal sees its own restricted n4 but not KCSA education's restricted n11.
    assert _funnel(users["requester"]) == {
        "published": 8,
        "matched": 3,
        "in_project": 2,
        "completed": 1,
    }
    # Stokab sees neither restricted need.
    assert _funnel(users["other_expert"])["published"] == 7


def test_funnel_shares_are_of_the_first_stage(dataset, users):
    stages = services.funnel(users["coordinator"], Filters())
    assert [round(s.share, 3) for s in stages] == [1.0, round(3 / 9, 3), round(2 / 9, 3), 0.111]


def test_funnel_in_project_stage_honours_project_visibility(app, dataset, users):
    # A partners need in a restricted project: someone outside the project sees the need but
    # not that it is in a project.
    from portal.core.enums import MatchStatus

    need = b.need(users["other_requester"], "it_digital", "N12", status=NeedStatus.IN_PROJECT)
    offer = b.offer(users["other_expert"], "it_digital", "O12")
    b.match(
        need,
        offer,
        users["other_expert"],
        status=MatchStatus.AGREED,
        requester=users["other_requester"],
        expert=users["other_expert"],
        project=dataset.p3,
    )
    app.extensions["sqlalchemy"].session.commit()
    assert _funnel(users["requester"])["in_project"] == 2
    assert _funnel(users["coordinator"])["in_project"] == 3
    assert _funnel(users["other_expert"])["in_project"] == 3


def test_needs_by_theme_and_status(dataset, users):
    themes = services.themes()
    coordinator = services.needs_by_theme_and_status(users["coordinator"], Filters(), themes)
    assert _by_theme(coordinator) == {"water_sewage": 7, "education": 2, "it_digital": 1}
    assert _by_status(coordinator) == {
        "open": 6,
        "matched": 1,
        "in_project": 1,
        "closed": 1,
        "withdrawn": 1,
    }
    assert coordinator.total == 10
    requester = services.needs_by_theme_and_status(users["requester"], Filters(), themes)
    assert "it_digital" not in _by_theme(requester)
    assert requester.total == 9


def test_projects_by_theme_and_status(dataset, users):
    themes = services.themes()
    coordinator = services.projects_by_theme_and_status(users["coordinator"], Filters(), themes)
    assert _by_theme(coordinator) == {"water_sewage": 3, "education": 1, "it_digital": 1}
    assert _by_status(coordinator) == {"active": 2, "planned": 1, "completed": 1, "cancelled": 1}
    requester = services.projects_by_theme_and_status(users["requester"], Filters(), themes)
    assert _by_theme(requester) == {"water_sewage": 3, "education": 1}
    # The restricted project counts for the organisations taking part in it.
    other = services.projects_by_theme_and_status(users["other_expert"], Filters(), themes)
    assert _by_theme(other)["it_digital"] == 1


def _progress(viewer, filters=None):
    rows = services.progress_by_theme(viewer, filters or Filters(), services.themes())
    return {row.theme.code: (row.projects, round(row.share, 3)) for row in rows}


def test_progress_by_theme_averages_the_running_projects(dataset, users):
    # Water: p1 (1 of 4 equal milestones done) and the planned p4 (none done); not the
    # cancelled p5. IT: the restricted p3. The completed p2 is not running.
    assert _progress(users["coordinator"]) == {"water_sewage": (2, 0.125), "it_digital": (1, 0.0)}
    assert _progress(users["requester"]) == {"water_sewage": (2, 0.125)}
    assert _progress(users["other_expert"])["it_digital"] == (1, 0.0)
    water = b.theme("water_sewage")
    assert _progress(users["coordinator"], Filters(theme_id=water.id)) == {
        "water_sewage": (2, 0.125)
    }


def test_progress_weighs_milestones_and_counts_a_project_without_any_as_zero(app, dataset, users):
    from portal.extensions import db

    dataset.m1.weight = 6  # p1: done 1 of 9
    b.project(
        users["coordinator"],
        dataset.p1.requester_lead,
        dataset.p1.expert_lead,
        "water_sewage",
        "No milestones yet",
    )
    db.session.commit()
    share = (1 / 9 + 0 + 0) / 3
    assert _progress(users["coordinator"])["water_sewage"] == (3, round(share, 3))


def test_unmatched_needs_by_age(dataset, users):
    # under 30 days, 30-90, 90-180, over 180. n5 has a live (proposed) match; n2's only match
    # was declined, so it counts.
    assert _ages(users["coordinator"]) == [2, 1, 1, 1]
    assert _ages(users["requester"]) == [1, 1, 1, 1]
    assert _ages(users["other_expert"]) == [1, 1, 1, 0]


def test_age_bucket_boundaries(app, users):
    for age in (29, 30, 89, 90, 179, 180):
        b.need(users["requester"], "education", f"aged {age}", published_days_ago=age)
    app.extensions["sqlalchemy"].session.commit()
    assert _ages(users["coordinator"]) == [1, 2, 2, 1]


def test_overdue_and_due_soon_milestones(dataset, users):
    overdue, soon = services.milestones_to_watch(users["coordinator"], Filters(), date.today())
    assert [m.milestone_id for m in overdue.items] == [dataset.m1.id, dataset.m6.id]
    assert overdue.total == 2
    assert all(m.is_overdue for m in overdue.items)
    assert [m.days_to_due for m in overdue.items + soon.items] == [
        (m.due_on - date.today()).days for m in overdue.items + soon.items
    ]
    assert overdue.items[0].days_to_due == -5
    assert [m.milestone_id for m in soon.items] == [dataset.m2.id, dataset.m7.id]
    assert soon.total == 2
    assert soon.items[0].project_id == dataset.p1.id

    overdue, soon = services.milestones_to_watch(users["requester"], Filters(), date.today())
    assert [m.milestone_id for m in overdue.items] == [dataset.m1.id]
    assert [m.milestone_id for m in soon.items] == [dataset.m2.id, dataset.m7.id]


def test_milestone_lists_are_capped_with_their_total(app, dataset, users):
    for i in range(12):
        b.milestone(dataset.p4, f"late {i}", -20 - i)
    app.extensions["sqlalchemy"].session.commit()
    overdue, soon = services.milestones_to_watch(users["coordinator"], Filters(), date.today())
    assert len(overdue.items) == services.LIST_LIMIT
    assert overdue.total == 14
    assert overdue.more == 4
    assert overdue.items[0].due_on == b.days(-31)  # oldest first
    assert soon.total == 2


def test_projects_at_risk(dataset, users):
    at_risk = services.projects_at_risk(users["coordinator"], Filters(), date.today())
    # Off track first; the cancelled project is not running.
    assert [p.project_id for p in at_risk.items] == [dataset.p3.id, dataset.p1.id]
    assert at_risk.total == 2
    mine = services.projects_at_risk(users["requester"], Filters(), date.today())
    assert [p.project_id for p in mine.items] == [dataset.p1.id]
    assert mine.total == 1


def test_each_project_panel_lists_its_own_projects(app, dataset, users):
    """The panels' statements are kept per panel (``_project_list``): a project ending soon
    that nobody reported at risk is in one panel only, and one at risk ending later in the
    other only."""
    coordinator = users["coordinator"]
    soon = b.project(
        coordinator,
        b.org_of(users["requester"]),
        b.org_of(users["expert"]),
        "education",
        "Ends soon, on track",
        ends_in=10,
    )
    late = b.project(
        coordinator,
        b.org_of(users["requester"]),
        b.org_of(users["expert"]),
        "education",
        "At risk, ends late",
        ends_in=200,
        latest=ReportStatus.AT_RISK,
    )
    app.extensions["sqlalchemy"].session.commit()
    ending = services.projects_ending_soon(coordinator, Filters(), date.today())
    at_risk = services.projects_at_risk(coordinator, Filters(), date.today())
    ending_ids = {p.project_id for p in ending.items}
    at_risk_ids = {p.project_id for p in at_risk.items}
    assert soon.id in ending_ids and soon.id not in at_risk_ids
    assert late.id in at_risk_ids and late.id not in ending_ids


def test_projects_ending_within_60_days(dataset, users):
    ending = services.projects_ending_soon(users["coordinator"], Filters(), date.today())
    assert [(p.project_id, p.days_to_end) for p in ending.items] == [
        (dataset.p3.id, 30),
        (dataset.p1.id, 45),
    ]
    mine = services.projects_ending_soon(users["requester"], Filters(), date.today())
    assert [p.project_id for p in mine.items] == [dataset.p1.id]


def test_filters_by_theme_and_district(dataset, users):
    coordinator = users["coordinator"]
    water = Filters(theme_id=b.theme("water_sewage").id)
    assert _funnel(coordinator, water) == {
        "published": 6,
        "matched": 1,
        "in_project": 1,
        "completed": 0,
    }
    darnytskyi = Filters(district_id=b.district("Darnytskyi").id)
    assert _funnel(coordinator, darnytskyi)["published"] == 1
    themes = services.themes()
    projects = services.projects_by_theme_and_status(coordinator, darnytskyi, themes)
    assert _by_status(projects) == {"active": 1}
    overdue, soon = services.milestones_to_watch(coordinator, darnytskyi, date.today())
    assert [m.milestone_id for m in overdue.items] == [dataset.m1.id]
    assert [m.milestone_id for m in soon.items] == [dataset.m2.id]
    education = Filters(theme_id=b.theme("education").id)
    assert services.projects_at_risk(coordinator, education, date.today()).total == 0


def test_agreement_countdown_warns_under_90_days(app):
    agreement = b.agreement()
    far = services.agreement_countdown(agreement, agreement.valid_until.replace(year=2020))
    assert far is not None and not far.is_ending_soon and not far.has_expired
    from datetime import timedelta

    near = services.agreement_countdown(agreement, agreement.valid_until - timedelta(days=89))
    assert near is not None and near.days_left == 89 and near.is_ending_soon
    edge = services.agreement_countdown(agreement, agreement.valid_until - timedelta(days=90))
    assert edge is not None and not edge.is_ending_soon
    gone = services.agreement_countdown(agreement, agreement.valid_until + timedelta(days=1))
    assert gone is not None and gone.has_expired and gone.days_left == 0


def test_build_fills_every_panel_and_the_titles(app: Flask, dataset, users):
    with app.test_request_context("/dashboard/"):
        board = services.build(
            users["coordinator"],
            Filters(agreement_id=b.agreement().id),
            all_themes=services.themes(),
            agreement=b.agreement(),
        )
        assert board.funnel[0].count == 9
        assert board.overdue_milestones.items[0].title.original == "Survey done"
        assert board.overdue_milestones.items[0].project_title.original == "Leak detection pilot"
        assert board.projects_at_risk.items[0].title.original == "Restricted data centre"
        assert board.projects_ending_soon.total == 2
        assert board.agreement is not None and board.agreement.days_left > 0
        assert board.projects.by_status[0].key == ProjectStatus.PLANNED.value
