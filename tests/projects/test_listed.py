"""The project list reads its rows by Core selects of the shown columns (``ListedProject``):
each row must show what the project's own ORM row shows, for every reader, in every language."""

from __future__ import annotations

from datetime import date

import pytest

from portal.core.enums import ProjectStatus, ReportStatus, Visibility
from portal.extensions import db
from portal.projects import queries
from portal.projects.models import Milestone, Project
from portal.projects.queries import ProjectFilters
from tests.factories import district, text, theme
from tests.projects import factories as pf


def _varied_projects(users) -> None:
    """Projects that differ in everything a list row shows."""
    pf.bare_project(users, 1)  # plain: public, active, two milestones
    restricted = pf.bare_project(users, 2, visibility=Visibility.RESTRICTED)
    restricted.latest_report_status = ReportStatus.AT_RISK
    partners = pf.bare_project(users, 3, visibility=Visibility.PARTNERS)
    partners.district = None
    partners.theme = theme("education")
    swedish = pf.bare_project(users, 4, status=ProjectStatus.PLANNED)
    swedish.title = text("Vattenledningar i Obolon", "sv", translations={"uk": "Водогони Оболоні"})
    swedish.requester_lead = users["other_requester"].organisation
    # Done weight 1 of 8: 12.5 per cent, which the page rounds as Python does (to 12).
    swedish.milestones[0].done_on = date(2024, 4, 1)
    swedish.milestones.append(
        Milestone(title=text("Third"), due_on=pf.START, weight=5, done_on=None)
    )
    empty = pf.bare_project(users, 5, status=ProjectStatus.ON_HOLD)
    empty.milestones.clear()
    done = pf.bare_project(users, 6, status=ProjectStatus.COMPLETED)
    for milestone in done.milestones:
        milestone.done_on = date(2024, 5, 1)
    db.session.commit()


def _shown(project, lang: str) -> tuple:
    """What a list row shows of a project (ORM or listed) to a reader of ``lang``."""
    district = project.district.name if project.district is not None else None
    return (
        project.id,
        project.title.render(lang),
        project.status,
        project.theme.name,
        district,
        project.starts_on,
        project.ends_on,
        project.requester_lead.name,
        project.expert_lead.name,
        project.latest_report_status,
        project.progress,
    )


@pytest.mark.parametrize(
    "who", [None, "requester", "other_requester", "expert", "other_expert", "coordinator"]
)
@pytest.mark.parametrize("lang", ["en", "sv", "uk"])
def test_each_listed_row_shows_what_the_project_shows(app, users, who, lang):
    _varied_projects(users)
    viewer = users[who] if who else None
    with app.test_request_context(f"/projects/?lang={lang}"):
        from flask_babel import force_locale

        with force_locale(lang):
            listed = queries.list_projects(viewer, ProjectFilters(), {}, per_page=50).items
            orm = list(db.session.scalars(queries.projects_query(viewer)))
            assert [_shown(p, lang) for p in listed] == [_shown(p, lang) for p in orm]
    assert {0, 12, 100} <= {p.progress for p in listed}  # the public ones, seen by everyone


def test_progress_and_names_come_from_the_database_as_it_is_now(app, users):
    _varied_projects(users)
    listed = {p.id: p for p in queries.list_projects(users["coordinator"], per_page=50).items}
    by_title = {p.title.render("en").body: p for p in listed.values()}
    assert by_title["Project 6"].progress == 100
    assert by_title["Project 5"].progress == 0
    assert by_title["Vattenledningar i Obolon"].progress == 12
    with app.app_context(), app.test_request_context("/projects/?lang=uk"):
        from flask_babel import force_locale

        with force_locale("uk"):
            in_ukrainian = queries.list_projects(users["coordinator"], per_page=50).items
    obolon = by_title["Vattenledningar i Obolon"].id
    # Each reader's list reads the titles in their own language (and the original) only.
    assert {p.id: p.title.render("uk").body for p in in_ukrainian}[obolon] == "Водогони Оболоні"
    assert by_title["Project 3"].district is None
    assert by_title["Project 2"].latest_report_status is ReportStatus.AT_RISK
    stored = db.session.get(Project, by_title["Project 1"].id)
    stored.milestones[0].done_on = date(2024, 6, 1)  # weight 1 of 3
    db.session.commit()
    again = {p.id: p for p in queries.list_projects(users["coordinator"], per_page=50).items}
    assert again[stored.id].progress == 33


def test_a_filtered_list_lists_the_same_projects_as_the_orm_query(app, users):
    _varied_projects(users)
    for filters in (
        ProjectFilters(theme="education"),
        ProjectFilters(status=ProjectStatus.PLANNED),
        ProjectFilters(district=district().code),
        ProjectFilters(q="Obolon"),
        ProjectFilters(q="Project 2"),
    ):
        for viewer in (None, users["other_expert"], users["coordinator"]):
            listed = [p.id for p in queries.list_projects(viewer, filters, per_page=50).items]
            orm = [p.id for p in db.session.scalars(queries.projects_query(viewer, filters))]
            assert listed == orm, (filters, viewer)
