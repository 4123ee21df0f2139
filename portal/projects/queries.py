"""Reading projects: the list with its filters, one project with what its page shows, and
the options the project forms offer (agreed matches not yet in a project, organisations).

Every list goes through ``projects_query`` (``Project.visible_to``), so that a project a user
may not see never shows up.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import BindParameter, Select, bindparam, exists, func, inspect, or_, select
from sqlalchemy.orm import joinedload, lazyload, load_only, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from portal.accounts.models import User
from portal.agreements.models import Agreement
from portal.comments.models import Comment
from portal.content.models import (
    ShownText,
    Text,
    load_texts,
    load_versions,
    shown_texts,
    with_text_in,
)
from portal.content.search import any_version_contains
from portal.core import empty
from portal.core.counts import count_list
from portal.core.enums import MatchStatus, ProjectStatus, ReportStatus
from portal.core.i18n import current_language
from portal.core.keyset import KeysetPage, Order, SortKey, keyset_page
from portal.core.statements import KeptStatements, read_columns
from portal.core.text import clean_text
from portal.core.visibility import Scope
from portal.documents.models import Document
from portal.extensions import db
from portal.matching.models import Match
from portal.needs.models import Need
from portal.offers.models import Offer
from portal.projects.models import (
    Milestone,
    Project,
    StatusReport,
    progress_share,
    project_organisations,
)
from portal.reference import lists as reference_lists
from portal.reference.lists import Named
from portal.reference.models import District, Organisation, Theme


@dataclass(frozen=True)
class ProjectFilters:
    """What the project list is narrowed to. Unknown values are ignored, not errors: a stale
    bookmark still shows a list."""

    theme: str | None = None  # Theme.code
    status: ProjectStatus | None = None
    district: str | None = None  # District.code (KATOTTH)
    q: str | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> ProjectFilters:
        try:
            status: ProjectStatus | None = ProjectStatus(args.get("status") or "")
        except ValueError:
            status = None
        return cls(
            theme=clean_text(args.get("theme"))[:40] or None,
            status=status,
            district=clean_text(args.get("district"))[:24] or None,
            q=clean_text(args.get("q"))[:200] or None,
        )

    @property
    def is_empty(self) -> bool:
        return not (self.theme or self.status or self.district or self.q)


# What a list row shows, loaded in a fixed number of queries whatever the number of rows:
# title, theme and district joined into the main query; the leads (users, who bring their
# organisation and city) and milestones in one more query each. (Joining the leads too makes
# nine relations, past PostgreSQL's join_collapse_limit: it then joined every visible project
# before sorting, 60 ms at 10,000 projects instead of 1.)
LIST_OPTIONS = (
    joinedload(Project.title),
    joinedload(Project.theme),
    joinedload(Project.district),
    selectinload(Project.requester_lead),
    selectinload(Project.expert_lead),
    selectinload(Project.milestones),
)


def visible_projects(viewer: User | None, filters: ProjectFilters | None = None) -> Select:
    """The projects ``viewer`` may see, narrowed by ``filters``, in no order."""
    filters = filters or ProjectFilters()
    query = select(Project).where(Project.visible_to(viewer))
    if filters.theme:
        query = query.where(
            Project.theme_id.in_(select(Theme.id).where(Theme.code == filters.theme))
        )
    if filters.district:
        query = query.where(
            Project.district_id.in_(select(District.id).where(District.code == filters.district))
        )
    if filters.status:
        query = query.where(Project.status == filters.status)
    if filters.q:
        searched = [Project.title_id, Project.description_id]
        query = query.where(any_version_contains(searched, filters.q))
    return query


NEWEST_FIRST = Order(
    "project:newest",
    (SortKey(Project.created_at, descending=True), SortKey(Project.id, descending=True)),
)


def projects_query(viewer: User | None, filters: ProjectFilters | None = None) -> Select:
    """The projects ``viewer`` may see, narrowed by ``filters``, newest first."""
    return visible_projects(viewer, filters).order_by(*NEWEST_FIRST.order_by())


@dataclass(frozen=True, slots=True)
class ListedProject:
    """A project as the list shows it, read by Core selects of the shown columns (no ORM rows:
    loading twenty projects with their relations cost more than rendering them)."""

    id: int
    title: ShownText
    status: ProjectStatus
    theme: Named
    district: Named | None
    starts_on: date
    ends_on: date
    requester_lead: Named
    expert_lead: Named
    latest_report_status: ReportStatus | None
    progress: int


def _milestone_weight(project_id: Any, done_only: bool) -> Any:
    weights = select(func.coalesce(func.sum(Milestone.weight), 0)).where(
        Milestone.project_id == project_id
    )
    if done_only:
        weights = weights.where(Milestone.done_on.is_not(None))
    return weights.scalar_subquery()


def _listed_columns(stmt: Select) -> Select:
    """``stmt`` (projects, filtered) with the columns a list row shows instead of the entity,
    and the milestones' done and total weight as subqueries, which the list reads off
    ``ix_milestones_project_id`` for its twenty rows only. The theme's, district's and leads'
    names come from the kept reference lists (``reference.lists.names``), not from joins: with
    the title's two versions joined too, PostgreSQL spent 9 ms planning the eight tables'
    join order for half a millisecond of work."""
    return stmt.with_only_columns(
        Project.id,
        Project.status,
        Project.starts_on,
        Project.ends_on,
        Project.latest_report_status,
        Project.title_id,
        Project.theme_id,
        Project.district_id,
        Project.requester_lead_id,
        Project.expert_lead_id,
        _milestone_weight(Project.id, done_only=True).label("done_weight"),
        _milestone_weight(Project.id, done_only=False).label("total_weight"),
    )


def _listed(rows: list[Any], lang: str) -> list[ListedProject]:
    """The list's rows with their titles, read for a reader of ``lang`` by the same select
    (``with_text_in``), and their names from the kept reference lists (no query, usually)."""
    titles = shown_texts(rows, [row.title_id for row in rows], lang)
    themes = reference_lists.names("themes", (row.theme_id for row in rows))
    districts = reference_lists.names("districts", (row.district_id for row in rows))
    leads = reference_lists.names(
        "organisations",
        (lead for row in rows for lead in (row.requester_lead_id, row.expert_lead_id)),
    )
    return [
        ListedProject(
            id=row.id,
            title=title,
            status=row.status,
            theme=themes[row.theme_id],
            district=districts[row.district_id] if row.district_id is not None else None,
            starts_on=row.starts_on,
            ends_on=row.ends_on,
            requester_lead=leads[row.requester_lead_id],
            expert_lead=leads[row.expert_lead_id],
            latest_report_status=row.latest_report_status,
            progress=progress_share(int(row.done_weight), int(row.total_weight)),
        )
        for row, title in zip(rows, titles, strict=True)
    ]


def list_projects(
    viewer: User | None,
    filters: ProjectFilters | None = None,
    args: Mapping[str, str] | None = None,
    per_page: int = 20,
) -> KeysetPage:
    """The page of ``projects_query`` that ``args`` ask for (``after``/``before`` a cursor, an
    old ``page``), with the list's count. Its items are ``ListedProject``s."""
    filters = filters or ProjectFilters()
    scope = Scope.of(viewer)
    lang = current_language()
    page = keyset_page(
        lambda: with_text_in(
            _listed_columns(visible_projects(viewer, filters)), Project.title_id, lang
        ),
        NEWEST_FIRST,
        args or {},
        min(max(per_page, 1), 100),
        whole_rows=True,
        # The first page's statement is kept per scope, filters and the reader's language (its
        # titles are read in it); a search's is not kept, one per set of words.
        kept_as=None if filters.q else ("project", scope, filters, lang),
    )
    page.items = _listed(page.items, lang)
    page.count = count_list(
        lambda: visible_projects(viewer, filters),
        Project.id,
        "project",
        scope.key,
        filters,
        searched=bool(filters.q),
    )
    return page


# What the project page shows, each table once: an organisation's city and a report author's
# organisation (joined by default) are not shown; the matches the project came from are read
# apart as shown values (``project_origins``), and the texts' versions come in one query
# (``load_versions``).
_NAMED = lazyload(Organisation.city)
DETAIL_OPTIONS = (
    joinedload(Project.title).lazyload(Text.versions),
    joinedload(Project.description).lazyload(Text.versions),
    joinedload(Project.theme),
    joinedload(Project.district),
    # The page shows the agreement's reference and whether it has expired, not its two cities
    # (the agreement's own joined loads: two more joins of every project page's statement).
    joinedload(Project.agreement).options(
        lazyload(Agreement.requester_city), lazyload(Agreement.expert_city)
    ),
    joinedload(Project.requester_lead).options(_NAMED),
    joinedload(Project.expert_lead).options(_NAMED),
    lazyload(Project.organisations),
    lazyload(Project.milestones),
    lazyload(Project.reports),
    lazyload(Project.matches),
)


@functools.cache
def _collections() -> tuple[tuple[str, str | None, Select[Any]], ...]:
    """The project's collections the page shows, each read by a statement of its own (in the
    relationship's order) and put in place as if loaded with the project: ``selectinload``'s
    machinery cost the page about a millisecond of CPU per collection of a few rows. Each is
    (the collection, the attribute pointing back at the project, the statement)."""
    project_id: BindParameter[int] = bindparam("project_id")
    return (
        (
            "organisations",
            None,
            select(Organisation)
            .join(project_organisations, project_organisations.c.organisation_id == Organisation.id)
            .where(project_organisations.c.project_id == project_id)
            .options(_NAMED),
        ),
        (
            "milestones",
            "project",
            select(Milestone)
            .where(Milestone.project_id == project_id)
            .options(joinedload(Milestone.title).lazyload(Text.versions))
            .order_by(Milestone.due_on, Milestone.id),
        ),
        (
            "reports",
            "project",
            select(StatusReport)
            .where(StatusReport.project_id == project_id)
            .options(
                joinedload(StatusReport.body).lazyload(Text.versions),
                # The page shows the author's name only (a users row has 46 columns).
                joinedload(StatusReport.author).options(
                    load_only(User.id, User.name), lazyload(User.organisation)
                ),
                joinedload(StatusReport.organisation).options(_NAMED),
            )
            .order_by(StatusReport.created_at.desc()),
        ),
    )


def _load_collections(project: Project) -> None:
    """The collections ``_collections`` reads, for those of ``project`` not loaded already (as
    ``selectinload`` leaves a loaded collection as it is)."""
    loaded = inspect(project).dict
    for name, back, statement in _collections():
        if name in loaded:
            continue
        rows = list(db.session.scalars(statement, {"project_id": project.id}).unique())
        set_committed_value(project, name, rows)
        if back is not None:
            for row in rows:
                set_committed_value(row, back, project)


def _any_comment() -> Any:
    """Whether any comment is on the project (its page's thread)."""
    return exists().where(Comment.record_kind == "project", Comment.record_id == Project.id)


def _any_document() -> Any:
    """Whether any document is attached to the project, one of its milestones or one of its
    status reports (its page lists them all): three EXISTS, each on an index."""
    on_parts = [
        exists()
        .where(
            Document.record_kind == kind,
            Document.record_id == part.id,
            part.project_id == Project.id,
        )
        .correlate(Project)
        for kind, part in (("milestone", Milestone), ("status_report", StatusReport))
    ]
    return or_(
        exists().where(Document.record_kind == "project", Document.record_id == Project.id),
        *on_parts,
    )


# The project page's statement, built once per visibility scope (its tree of loader options cost
# more to build and hash than to run).
_DETAIL = KeptStatements()


def get_project(viewer: User | None, project_id: int) -> Project | None:
    """The project if ``viewer`` may see it, else None (the view answers 404), with what its
    page shows."""
    scope = Scope.of(viewer)
    row = db.session.execute(
        _DETAIL.get(
            scope,
            lambda: (
                select(
                    Project,
                    _any_comment().label("has_comments"),
                    _any_document().label("has_documents"),
                )
                .where(Project.id == bindparam("project_id"), Project.visible_to(viewer))
                .options(*DETAIL_OPTIONS)
            ),
        ),
        {"project_id": project_id},
    ).first()
    if row is None:
        return None
    project: Project = row[0]
    _load_collections(project)
    # The thread and the documents list on the page (its own, its milestones', its reports')
    # are read only if the statement found something in them.
    if not row.has_comments:
        empty.found_empty("comments", "project", project.id)
    if not row.has_documents:
        empty.found_empty("documents", "project", project.id)
        for milestone in project.milestones:
            empty.found_empty("documents", "milestone", milestone.id)
        for report in project.reports:
            empty.found_empty("documents", "status_report", report.id)
    load_versions(
        [
            project.title,
            project.description,
            *(milestone.title for milestone in project.milestones),
            *(report.body for report in project.reports),
        ]
    )
    return project


@dataclass(frozen=True, slots=True)
class ShownOrigin:
    """A match the project came from, as its page shows it: its need and its offer, each with
    its title and organisation when the reader may see it (None: the page says only that it
    exists)."""

    need_title: ShownText | None
    need_organisation: Named | None
    offer_title: ShownText | None
    offer_organisation: Named | None


_ORIGINS = KeptStatements()


def _origins_statement(viewer: User | None) -> Any:
    """The project's matches (``:project_id``) with whether ``viewer`` may see each side, asked
    with the lists' own visibility rule (``visible_to``) in the same select."""
    return (
        select(
            Need.title_id.label("need_title_id"),
            Need.organisation_id.label("need_organisation_id"),
            Need.visible_to(viewer).label("need_shown"),
            Offer.title_id.label("offer_title_id"),
            Offer.organisation_id.label("offer_organisation_id"),
            Offer.visible_to(viewer).label("offer_shown"),
        )
        .select_from(Match)
        .join(Need, Need.id == Match.need_id)
        .join(Offer, Offer.id == Match.offer_id)
        .where(Match.project_id == bindparam("project_id"))
        .order_by(Match.id)
    )


def project_origins(viewer: User | None, project_id: int) -> list[ShownOrigin]:
    """The matches ``project_id`` came from, for ``viewer``: one select of the shown columns,
    one for the titles the reader may see (none when there are no matches); the organisations'
    names come from the kept reference lists. (Loading each match with its need, offer, their
    titles and organisations as ORM rows cost the project page more than rendering it.)"""
    rows = read_columns(
        _ORIGINS.get(Scope.of(viewer), lambda: _origins_statement(viewer)),
        {"project_id": project_id},
    ).all()
    if not rows:
        return []
    titles = load_texts(
        [row.need_title_id for row in rows if row.need_shown]
        + [row.offer_title_id for row in rows if row.offer_shown]
    )
    names = reference_lists.names(
        "organisations",
        [row.need_organisation_id for row in rows] + [row.offer_organisation_id for row in rows],
    )
    return [
        ShownOrigin(
            need_title=titles[row.need_title_id] if row.need_shown else None,
            need_organisation=names[row.need_organisation_id] if row.need_shown else None,
            offer_title=titles[row.offer_title_id] if row.offer_shown else None,
            offer_organisation=names[row.offer_organisation_id] if row.offer_shown else None,
        )
        for row in rows
    ]


def candidate_matches(agreement: Agreement | None = None) -> list[Match]:
    """Agreed matches not yet in a project, oldest agreement first."""
    query = (
        select(Match)
        .join(Need, Need.id == Match.need_id)
        .where(Match.status == MatchStatus.AGREED, Match.project_id.is_(None))
        .options(
            selectinload(Match.need).selectinload(Need.title),
            selectinload(Match.need).selectinload(Need.organisation),
            selectinload(Match.need).selectinload(Need.agreement),
            selectinload(Match.offer).selectinload(Offer.title),
            selectinload(Match.offer).selectinload(Offer.organisation),
        )
        .order_by(Match.decided_at, Match.id)
    )
    if agreement is not None:
        query = query.where(Need.agreement_id == agreement.id)
    return list(db.session.scalars(query))


def organisations_in(city_id: int) -> list[Organisation]:
    return list(
        db.session.scalars(
            select(Organisation)
            .where(Organisation.city_id == city_id, Organisation.is_active.is_(True))
            .order_by(Organisation.name_en)
        )
    )
