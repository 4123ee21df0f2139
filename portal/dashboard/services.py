"""Every number on the dashboard, computed in SQL for one viewer.

Each panel is one aggregate query (COUNT, SUM(CASE ...), GROUP BY, window functions) filtered by
``Need.visible_to``/``Project.visible_to``, so a restricted record never reaches the counts of a
user who may not see it, and the page costs the same number of queries with ten records or ten
thousand. Lists are capped at ``LIST_LIMIT`` rows and carry their full count; their titles are
loaded afterwards in a single query.

The funnel's stages (also explained on the page) count needs, each stage a subset of the one
before:

1. published: needs that have been published and not withdrawn, whatever their stage now;
2. matched: of those, needs with at least one agreed match (both sides accepted);
3. in a project: of those, needs with an agreed match that belongs to a project that was not
   cancelled;
4. completed: of those, needs with an agreed match whose project is completed.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import (
    ColumnElement,
    Date,
    Float,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    select,
    union_all,
)

from portal.agreements.models import Agreement
from portal.agreements.services import AgreementTerms
from portal.content.models import ShownText, load_texts
from portal.core import current
from portal.core.enums import MatchStatus, NeedStatus, ProjectStatus, ReportStatus
from portal.core.http import record_url
from portal.core.statements import KeptStatements, read_columns
from portal.core.types import utcnow
from portal.core.visibility import Scope
from portal.extensions import cache, db
from portal.matching.models import LIVE_MATCH_STATES, Match
from portal.needs.models import Need
from portal.projects.models import Milestone, Project
from portal.reference import lists as reference_lists
from portal.reference.lists import Named
from portal.reference.models import Theme

log = logging.getLogger(__name__)

LIST_LIMIT = 10
DUE_SOON_DAYS = 14
ENDING_SOON_DAYS = 60
AGREEMENT_WARNING_DAYS = 90
# Projects whose work is still ahead: their milestones, risks and end dates matter.
RUNNING_PROJECT_STATES = (ProjectStatus.PLANNED, ProjectStatus.ACTIVE, ProjectStatus.ON_HOLD)
AT_RISK_STATES = (ReportStatus.AT_RISK, ReportStatus.OFF_TRACK)

FUNNEL_STAGES = (
    (
        "published",
        _l("Needs published"),
        _l("Every need that has been published and not withdrawn, whatever its stage now."),
    ),
    (
        "matched",
        _l("Matched"),
        _l("Published needs with at least one agreed match: both sides have accepted."),
    ),
    (
        "in_project",
        _l("In a project"),
        _l("Matched needs whose agreed match belongs to a project that was not cancelled."),
    ),
    (
        "completed",
        _l("Completed"),
        _l("Needs in a project that has been completed."),
    ),
)

# (key, label, lower bound in days since publication, upper bound or None)
AGE_BUCKETS = (
    ("under_30", _l("Less than 30 days"), 0, 30),
    ("30_90", _l("30 to 90 days"), 30, 90),
    ("90_180", _l("90 to 180 days"), 90, 180),
    ("over_180", _l("More than 180 days"), 180, None),
)


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class Filters:
    """What the dashboard is narrowed to. None means "all"."""

    theme_id: int | None = None
    district_id: int | None = None
    agreement_id: int | None = None


@dataclass
class Count:
    key: str
    label: Any  # a lazy string, a theme name or an enum label
    count: int
    note: Any = None


@dataclass
class FunnelStage(Count):
    share: float = 0.0  # of the first stage


@dataclass
class Breakdown:
    """Records counted by theme and by status from one GROUP BY theme, status."""

    statuses: list[Any]  # the status enum members, in life-cycle order
    by_theme: list[tuple[Theme, dict[Any, int], int]]  # theme, count per status, total
    by_status: list[Count]
    total: int

    @property
    def theme_pairs(self) -> list[tuple[str, int]]:
        return [(theme.name, total) for theme, _counts, total in self.by_theme]

    @property
    def status_pairs(self) -> list[tuple[Any, int]]:
        return [(c.label, c.count) for c in self.by_status]


@dataclass
class ThemeProgress:
    """The running projects of a theme and their average progress (0.25 is 25 %)."""

    theme: Theme
    projects: int
    share: float


# The items of the dashboard's lists are values (frozen: a row is kept rendered under its item,
# web.kept_row); the titles are filled in by ``_build`` once they are read.


@dataclass(frozen=True)
class MilestoneItem:
    milestone_id: int
    title_id: int
    due_on: date
    project_id: int
    project_title_id: int
    is_overdue: bool
    days_to_due: int  # negative when overdue
    title: ShownText | None = None
    project_title: ShownText | None = None

    @property
    def url(self) -> str | None:
        return record_url("projects.detail", self.project_id, "projects.index")


@dataclass(frozen=True)
class ProjectItem:
    project_id: int
    title_id: int
    ends_on: date
    latest_report_status: ReportStatus | None
    status: ProjectStatus
    days_to_end: int
    title: ShownText | None = None

    @property
    def url(self) -> str | None:
        return record_url("projects.detail", self.project_id, "projects.index")


@dataclass
class Capped:
    """The first LIST_LIMIT items of a list and how many there are in all."""

    items: list[Any] = field(default_factory=list)
    total: int = 0

    @property
    def more(self) -> int:
        return max(self.total - len(self.items), 0)


@dataclass
class AgreementCountdown:
    agreement: Agreement | AgreementTerms
    days_left: int
    has_expired: bool
    is_ending_soon: bool


@dataclass
class Dashboard:
    filters: Filters
    agreement: AgreementCountdown | None
    funnel: list[FunnelStage]
    needs: Breakdown
    projects: Breakdown
    progress_by_theme: list[ThemeProgress]
    unmatched_by_age: list[Count]
    overdue_milestones: Capped
    milestones_due_soon: Capped
    projects_at_risk: Capped
    projects_ending_soon: Capped
    today: date
    # When the oldest kept count used was made (None: every figure was counted just now). The
    # page then says "figures as of ..." so nobody takes a minute-old count for this instant's.
    counted_at: datetime | None = None
    # The key of the aggregate panels' HTML while their rows are kept (figures_html); None
    # when any of them was counted without the cache.
    figures_key: str | None = None

    @property
    def funnel_pairs(self) -> list[tuple[Any, int]]:
        return [(stage.label, stage.count) for stage in self.funnel]

    @property
    def age_pairs(self) -> list[tuple[Any, int]]:
        return [(bucket.label, bucket.count) for bucket in self.unmatched_by_age]

    @property
    def unmatched_total(self) -> int:
        return sum(bucket.count for bucket in self.unmatched_by_age)


# ---------------------------------------------------------------- scopes


def need_scope(viewer: Any, filters: Filters) -> list[ColumnElement[bool]]:
    """The needs a panel may count for ``viewer``: visible to them, published, filtered."""
    conditions: list[ColumnElement[bool]] = [
        Need.visible_to(viewer),
        Need.status != NeedStatus.DRAFT,
    ]
    if filters.agreement_id is not None:
        conditions.append(Need.agreement_id == filters.agreement_id)
    if filters.theme_id is not None:
        conditions.append(Need.theme_id == filters.theme_id)
    if filters.district_id is not None:
        conditions.append(Need.district_id == filters.district_id)
    return conditions


def project_scope(viewer: Any, filters: Filters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Project.visible_to(viewer)]
    if filters.agreement_id is not None:
        conditions.append(Project.agreement_id == filters.agreement_id)
    if filters.theme_id is not None:
        conditions.append(Project.theme_id == filters.theme_id)
    if filters.district_id is not None:
        conditions.append(Project.district_id == filters.district_id)
    return conditions


# ---------------------------------------------------------------- aggregate rows, kept a while

# The aggregate panels (funnel, breakdowns, progress, unmatched by age) count every visible need
# or project: tens to hundreds of milliseconds of database time each at 100,000 needs. Their
# rows are kept in the shared cache (Redis in production, so every worker and app server uses
# the same entries) for DASHBOARD_CACHE_SECONDS (60 by default, 0 under test) per visibility
# scope and filters, so a dashboard's counts may be that much behind; the lists of milestones
# and projects below them are always current. Without the cache (Redis down) they are counted.
# The panels whose rows are kept, each named in its cache key.
AGGREGATE_PANELS = ("funnel", "needs", "projects", "progress", "unmatched")
_clock = time.time  # wall-clock: entries are compared across processes and machines
# The rows of each aggregate panel of the dashboard being built (see build()): when they were
# counted, and whether they were kept (counted by an earlier dashboard) or counted just now.
_counted: ContextVar[list[tuple[str, float, bool]] | None] = ContextVar(
    "dashboard_counted", default=None
)


def visibility_scope(viewer: Any) -> str:
    """Viewers who see the same records: the key of the scope the visibility rules themselves
    are built from (portal.core.visibility.Scope), as for every kept page and list."""
    return Scope.of(viewer).key


def cache_key(panel: str, viewer: Any, filters: Filters, today: date) -> str:
    scope = repr((panel, visibility_scope(viewer), filters, today.isoformat()))
    return "dashboard:" + hashlib.sha256(scope.encode()).hexdigest()[:32]


# The aggregate panels' kept rows, read in one round trip when a dashboard is built (_prefetch)
# and taken from here by each panel's first read.
_prefetched: ContextVar[dict[str, Any] | None] = ContextVar("dashboard_prefetched", default=None)


def _prefetch(viewer: Any, filters: Filters) -> dict[str, Any] | None:
    """The kept rows of every aggregate panel, by key, in one round trip to the shared cache
    instead of one per panel; None when panels are not kept or Redis is unreachable."""
    seconds = current_app.config.get("DASHBOARD_CACHE_SECONDS", 0) if has_app_context() else 0
    if not seconds or seconds <= 0:
        return None
    today = date.today()  # as _rows keys them
    keys = [cache_key(panel, viewer, filters, today) for panel in AGGREGATE_PANELS]
    keys.append(_lists_key(viewer, filters, today))  # the lists below them (current_lists)
    try:
        values = cache.get_many(*keys)
    except Exception as error:
        log.warning("dashboard cache unavailable: %s", error)
        return None
    return dict(zip(keys, values, strict=True))


def _kept(key: str) -> Any:
    """The shared cache's entry under ``key``, or None (also when Redis is unreachable: the
    dashboard is then counted and drawn as without a cache)."""
    prefetched = _prefetched.get()
    if prefetched is not None and key in prefetched:
        return prefetched.pop(key)
    try:
        return cache.get(key)
    except Exception as error:
        log.warning("dashboard cache unavailable: %s", error)
        return None


def _keep(key: str, value: Any, seconds: float) -> bool:
    """Keep ``value`` under ``key`` a second longer than ``seconds``; False if it could not."""
    try:
        cache.set(key, value, timeout=int(seconds) + 1)
    except Exception as error:
        log.warning("dashboard cache unavailable: %s", error)
        return False
    return True


def _rows(
    panel: str, viewer: Any, filters: Filters, statement: Callable[[], Any]
) -> list[tuple[Any, ...]]:
    """The rows of ``panel``'s aggregate, kept or counted now. ``statement`` builds its query:
    only called when the rows are counted (building it costs more than reading kept rows)."""
    seconds = current_app.config.get("DASHBOARD_CACHE_SECONDS", 0) if has_app_context() else 0
    if not seconds or seconds <= 0:
        return [tuple(row) for row in db.session.execute(statement())]
    key = cache_key(panel, viewer, filters, date.today())
    now = _clock()
    kept = _kept(key)
    counted = _counted.get()
    if kept is not None and kept[0] > now:
        if counted is not None:
            counted.append((panel, kept[2], True))
        return list(kept[1])
    rows = [tuple(row) for row in db.session.execute(statement())]
    if _keep(key, (now + seconds, rows, now), seconds) and counted is not None:
        counted.append((panel, now, False))
    return rows


def _flag(condition: ColumnElement[bool]) -> Any:
    """SUM over this counts the rows where ``condition`` holds (0 rather than NULL when none)."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


# ---------------------------------------------------------------- panels


def funnel(viewer: Any, filters: Filters) -> list[FunnelStage]:
    """The four stages of the funnel in one query; see the module docstring for definitions.

    The agreed matches are summed up per need once (GROUP BY need) and joined to the needs,
    rather than three correlated EXISTS per need: at 100,000 needs those cost the database
    a second per dashboard."""

    def statement() -> Any:
        in_project = and_(Project.id.is_not(None), Project.status != ProjectStatus.CANCELLED)
        agreed = (
            select(
                Match.need_id.label("need_id"),
                func.max(case((in_project, 1), else_=0)).label("in_project"),
                func.max(case((Project.status == ProjectStatus.COMPLETED, 1), else_=0)).label(
                    "completed"
                ),
            )
            .select_from(Match)
            .outerjoin(Project, and_(Project.id == Match.project_id, Project.visible_to(viewer)))
            .where(Match.status == MatchStatus.AGREED)
            .group_by(Match.need_id)
            .subquery()
        )
        return (
            select(
                func.count(Need.id),
                func.count(agreed.c.need_id),
                func.coalesce(func.sum(agreed.c.in_project), 0),
                func.coalesce(func.sum(agreed.c.completed), 0),
            )
            .select_from(Need)
            .outerjoin(agreed, agreed.c.need_id == Need.id)
            .where(*need_scope(viewer, filters), Need.status != NeedStatus.WITHDRAWN)
        )

    (row,) = _rows("funnel", viewer, filters, statement)
    first = int(row[0])
    return [
        FunnelStage(key, label, int(value), note, share=(int(value) / first if first else 0.0))
        for (key, label, note), value in zip(FUNNEL_STAGES, row, strict=True)
    ]


def _breakdown(rows: Iterable[Any], themes: list[Theme], statuses: list[Any]) -> Breakdown:
    per_theme: dict[int, dict[Any, int]] = {}
    per_status: dict[Any, int] = dict.fromkeys(statuses, 0)
    for theme_id, status, count in rows:
        per_theme.setdefault(theme_id, dict.fromkeys(statuses, 0))[status] = int(count)
        per_status[status] = per_status.get(status, 0) + int(count)
    by_theme = [
        (theme, per_theme[theme.id], sum(per_theme[theme.id].values()))
        for theme in themes
        if theme.id in per_theme
    ]
    return Breakdown(
        statuses=statuses,
        by_theme=by_theme,
        by_status=[Count(s.value, s.label, per_status[s]) for s in statuses],
        total=sum(per_status.values()),
    )


def needs_by_theme_and_status(viewer: Any, filters: Filters, themes: list[Theme]) -> Breakdown:
    rows = _rows(
        "needs",
        viewer,
        filters,
        lambda: (
            select(Need.theme_id, Need.status, func.count(Need.id))
            .where(*need_scope(viewer, filters))
            .group_by(Need.theme_id, Need.status)
        ),
    )
    statuses = [s for s in NeedStatus if s != NeedStatus.DRAFT]
    return _breakdown(rows, themes, statuses)


def projects_by_theme_and_status(viewer: Any, filters: Filters, themes: list[Theme]) -> Breakdown:
    rows = _rows(
        "projects",
        viewer,
        filters,
        lambda: (
            select(Project.theme_id, Project.status, func.count(Project.id))
            .where(*project_scope(viewer, filters))
            .group_by(Project.theme_id, Project.status)
        ),
    )
    return _breakdown(rows, themes, list(ProjectStatus))


def progress_by_theme(viewer: Any, filters: Filters, themes: list[Theme]) -> list[ThemeProgress]:
    """Running projects by theme with their average progress, each project's progress being the
    weighted share of its done milestones (0 without milestones), as on the project's page."""

    def statement() -> Any:
        done_weight = func.sum(case((Milestone.done_on.is_not(None), Milestone.weight), else_=0))
        per_project = (
            select(
                Project.theme_id.label("theme_id"),
                func.coalesce(
                    cast(done_weight, Float) / func.nullif(func.sum(Milestone.weight), 0), 0.0
                ).label("share"),
            )
            .select_from(Project)
            .outerjoin(Milestone, Milestone.project_id == Project.id)
            .where(*project_scope(viewer, filters), Project.status.in_(RUNNING_PROJECT_STATES))
            .group_by(Project.id, Project.theme_id)
            .subquery()
        )
        return select(per_project.c.theme_id, func.count(), func.avg(per_project.c.share)).group_by(
            per_project.c.theme_id
        )

    rows = _rows("progress", viewer, filters, statement)
    found = {theme_id: (int(count), float(share or 0)) for theme_id, count, share in rows}
    return [ThemeProgress(theme, *found[theme.id]) for theme in themes if theme.id in found]


def unmatched_by_age(viewer: Any, filters: Filters, now: datetime | None = None) -> list[Count]:
    """Open needs with no live (proposed or agreed) match, by days since publication."""
    moment = now or utcnow()

    def statement() -> Any:
        published = func.coalesce(Need.published_at, Need.created_at)
        live_match = exists(
            select(Match.id).where(Match.need_id == Need.id, Match.status.in_(LIVE_MATCH_STATES))
        )
        columns = []
        for _key, _label, lower, upper in AGE_BUCKETS:
            # At least ``lower`` days old and less than ``upper`` days old.
            bounds = []
            if lower:
                bounds.append(published <= moment - timedelta(days=lower))
            if upper is not None:
                bounds.append(published > moment - timedelta(days=upper))
            columns.append(_flag(and_(*bounds)))
        return select(*columns).where(
            *need_scope(viewer, filters), Need.status == NeedStatus.OPEN, ~live_match
        )

    (row,) = _rows("unmatched", viewer, filters, statement)
    return [
        Count(key, label, int(value))
        for (key, label, _lower, _upper), value in zip(AGE_BUCKETS, row, strict=True)
    ]


def milestones_to_watch(
    viewer: Any, filters: Filters, today: date, limit: int = LIST_LIMIT
) -> tuple[Capped, Capped]:
    """Open milestones of running projects that are overdue, and those due within 14 days:
    the first ``limit`` of each (oldest first) and their totals, in two statements whatever
    their number. The first of each list are read in due order off ``ix_milestones_open_due``
    until ``limit`` are found; the totals are counted from that index too. (Numbering every
    open milestone with a window function and sorting them all cost PostgreSQL 12.6 ms at
    10,000 projects; this costs 0.9 + 4.3.)"""
    first, totals = _WATCHED.get(
        (Scope.of(viewer), filters, limit), lambda: _watch_statements(viewer, filters, limit)
    )
    dates = {"today": today, "soon": today + timedelta(days=DUE_SOON_DAYS)}
    lists = {True: Capped(), False: Capped()}
    for row in read_columns(first, dates):
        lists[bool(row.is_overdue)].items.append(
            MilestoneItem(
                milestone_id=row.milestone_id,
                title_id=row.title_id,
                due_on=row.due_on,
                project_id=row.project_id,
                project_title_id=row.project_title_id,
                is_overdue=bool(row.is_overdue),
                days_to_due=(row.due_on - today).days,
            )
        )
    for capped in lists.values():
        capped.items.sort(key=lambda item: (item.due_on, item.milestone_id))
    overdue_total, due_soon_total = read_columns(totals, dates).one()
    lists[True].total, lists[False].total = int(overdue_total), int(due_soon_total)
    return lists[True], lists[False]


# The milestone panel's two statements per visibility scope, filters and length (their tree
# cost more to build and hash than to run), the day as a bound parameter.
_WATCHED = KeptStatements()


def _watch_statements(viewer: Any, filters: Filters, limit: int) -> tuple[Any, Any]:
    """The first ``limit`` overdue and due-soon open milestones (one statement), and their
    totals (another), for ``:today`` and ``:soon`` (the last day counted as due soon)."""
    today, soon = bindparam("today", type_=Date), bindparam("soon", type_=Date)
    open_to_watch = (
        Milestone.done_on.is_(None),
        Milestone.due_on <= soon,
        Project.status.in_(RUNNING_PROJECT_STATES),
        *project_scope(viewer, filters),
    )

    def first(overdue: bool) -> Any:
        due = Milestone.due_on < today if overdue else Milestone.due_on >= today
        return (
            select(
                Milestone.id.label("milestone_id"),
                Milestone.title_id,
                Milestone.due_on,
                Project.id.label("project_id"),
                Project.title_id.label("project_title_id"),
                literal(overdue).label("is_overdue"),
            )
            .join(Project, Project.id == Milestone.project_id)
            .where(due, *open_to_watch)
            .order_by(Milestone.due_on, Milestone.id)
            .limit(limit)
            .subquery()
        )

    listed = union_all(*(select(*part.c) for part in (first(True), first(False))))
    totals = (
        select(
            func.count(Milestone.id).filter(Milestone.due_on < today),
            func.count(Milestone.id).filter(Milestone.due_on >= today),
        )
        .join(Project, Project.id == Milestone.project_id)
        .where(*open_to_watch)
    )
    return listed, totals


# The project panels' statements per panel, visibility scope, filters and length, the day as a
# bound parameter (as the milestone panel's).
_PROJECT_LISTS = KeptStatements()


def _project_list(
    panel: str,
    viewer: Any,
    filters: Filters,
    today: date,
    conditions: Callable[[], list[ColumnElement[bool]]],
    order_by: Callable[[], list[Any]],
    limit: int,
    values: dict[str, Any] | None = None,
) -> Capped:
    """The first ``limit`` projects in ``viewer``'s ``filters`` that meet ``conditions``, in
    ``order_by``, with their total; ``values`` are the conditions' bound parameters."""
    statement = _PROJECT_LISTS.get(
        (panel, Scope.of(viewer), filters, limit),
        lambda: (
            select(
                Project.id,
                Project.title_id,
                Project.ends_on,
                Project.latest_report_status,
                Project.status,
                func.count(Project.id).over().label("total"),
            )
            .where(*project_scope(viewer, filters), *conditions())
            .order_by(*order_by(), Project.id)
            .limit(limit)
        ),
    )
    rows = read_columns(statement, values or {}).all()
    return Capped(
        items=[
            ProjectItem(
                project_id=row.id,
                title_id=row.title_id,
                ends_on=row.ends_on,
                latest_report_status=row.latest_report_status,
                status=row.status,
                days_to_end=(row.ends_on - today).days,
            )
            for row in rows
        ],
        total=int(rows[0].total) if rows else 0,
    )


def projects_at_risk(viewer: Any, filters: Filters, today: date, limit: int = LIST_LIMIT) -> Capped:
    """Running projects whose latest status report says at risk or off track, worst first."""
    return _project_list(
        "at-risk",
        viewer,
        filters,
        today,
        lambda: [
            Project.status.in_(RUNNING_PROJECT_STATES),
            Project.latest_report_status.in_(AT_RISK_STATES),
        ],
        lambda: [
            case((Project.latest_report_status == ReportStatus.OFF_TRACK, 0), else_=1),
            Project.ends_on,
        ],
        limit,
    )


def projects_ending_soon(
    viewer: Any, filters: Filters, today: date, limit: int = LIST_LIMIT
) -> Capped:
    """Running projects that end between today and 60 days from today, soonest first."""
    return _project_list(
        "ending",
        viewer,
        filters,
        today,
        lambda: [
            Project.status.in_(RUNNING_PROJECT_STATES),
            Project.ends_on >= bindparam("today", type_=Date),
            Project.ends_on <= bindparam("until", type_=Date),
        ],
        lambda: [Project.ends_on],
        limit,
        {"today": today, "until": today + timedelta(days=ENDING_SOON_DAYS)},
    )


def agreement_countdown(
    agreement: Agreement | AgreementTerms | None, today: date
) -> AgreementCountdown | None:
    if agreement is None:
        return None
    days_left = agreement.days_left(today)
    return AgreementCountdown(
        agreement=agreement,
        days_left=days_left,
        has_expired=agreement.has_expired(today),
        is_ending_soon=days_left < AGREEMENT_WARNING_DAYS,
    )


# ---------------------------------------------------------------- reference data and the page


def themes() -> list[Named]:
    return reference_lists.themes()


def districts() -> list[Named]:
    """Districts of the requesting city (only Kyiv's are in the reference data)."""
    return reference_lists.districts()  # sorted in the reader's alphabet


def build(
    viewer: Any,
    filters: Filters,
    *,
    all_themes: list[Theme],
    agreement: Agreement | AgreementTerms | None,
    today: date | None = None,
    now: datetime | None = None,
) -> Dashboard:
    """Every panel for ``viewer``. The caller passes the themes and the agreement it has
    already loaded for the filter form, so nothing is queried twice."""
    today = today or date.today()
    counted: list[tuple[str, float, bool]] = []
    token = _counted.set(counted)
    prefetched = _prefetched.set(_prefetch(viewer, filters))
    try:
        return _build(viewer, filters, all_themes, agreement, today, now, counted)
    finally:
        _prefetched.reset(prefetched)
        _counted.reset(token)


def _build(
    viewer: Any,
    filters: Filters,
    all_themes: list[Theme],
    agreement: Agreement | AgreementTerms | None,
    today: date,
    now: datetime | None,
    counted: list[tuple[str, float, bool]],
) -> Dashboard:
    prefetched = _prefetched.get()
    lists_key = _lists_key(viewer, filters, today)
    overdue, due_soon, at_risk, ending = current.kept_until_written(
        lists_key,
        lambda: current_lists(viewer, filters, today),
        int(current_app.config.get("DASHBOARD_CACHE_SECONDS", 0)),
        read=prefetched.pop(lists_key, current.UNREAD) if prefetched else current.UNREAD,
    )
    board = Dashboard(
        filters=filters,
        agreement=agreement_countdown(agreement, today),
        funnel=funnel(viewer, filters),
        needs=needs_by_theme_and_status(viewer, filters, all_themes),
        projects=projects_by_theme_and_status(viewer, filters, all_themes),
        progress_by_theme=progress_by_theme(viewer, filters, all_themes),
        unmatched_by_age=unmatched_by_age(viewer, filters, now),
        overdue_milestones=overdue,
        milestones_due_soon=due_soon,
        projects_at_risk=at_risk,
        projects_ending_soon=ending,
        today=today,
    )
    kept_moments = [moment for _panel, moment, kept in counted if kept]
    if kept_moments:
        board.counted_at = datetime.fromtimestamp(min(kept_moments), UTC)
    if len(counted) == len(AGGREGATE_PANELS):
        board.figures_key = figures_key(viewer, filters, today, counted)
    return board


def _lists_key(viewer: Any, filters: Filters, today: date) -> str:
    """Where ``current_lists`` are kept (``core.current``), per scope, filters and day."""
    return current.key(
        "dashboard-lists", visibility_scope(viewer), (filters, today.isoformat(), LIST_LIMIT)
    )


def current_lists(
    viewer: Any, filters: Filters, today: date
) -> tuple[Capped, Capped, Capped, Capped]:
    """The lists below the figures, as they are now, with their titles: overdue milestones,
    milestones due soon, projects at risk and projects ending soon (five statements). Kept
    until the next write (``core.current``): each of them is what reading it again would give,
    and reading them cost PostgreSQL about 4 ms at 10,000 projects."""
    overdue, due_soon = milestones_to_watch(viewer, filters, today)
    at_risk = projects_at_risk(viewer, filters, today)
    ending = projects_ending_soon(viewer, filters, today)
    texts = load_texts(
        [m.title_id for m in overdue.items + due_soon.items]
        + [m.project_title_id for m in overdue.items + due_soon.items]
        + [p.title_id for p in at_risk.items + ending.items]
    )
    for milestones in (overdue, due_soon):
        milestones.items = [
            replace(m, title=texts.get(m.title_id), project_title=texts.get(m.project_title_id))
            for m in milestones.items
        ]
    for projects in (at_risk, ending):
        projects.items = [replace(p, title=texts.get(p.title_id)) for p in projects.items]
    return overdue, due_soon, at_risk, ending


def figures_key(
    viewer: Any, filters: Filters, today: date, counted: list[tuple[str, float, bool]]
) -> str:
    """The key of the aggregate panels' HTML drawn from these kept rows, in the reader's
    language (see figures_html): the rows' own moments are part of it, so rows counted again
    make a new key and the HTML is never older than the rows it was drawn from."""
    moments = sorted((panel, moment) for panel, moment, _kept in counted)
    scope = repr((visibility_scope(viewer), filters, today.isoformat(), moments))
    return "dashboard-figures:" + hashlib.sha256(scope.encode()).hexdigest()[:32]


def figures_html(board: Dashboard, language: str, render: Callable[[], str]) -> Markup:
    """The aggregate panels (funnel, unmatched by age, the breakdowns, progress by theme) as
    HTML, drawn by ``render`` or, for rows that are kept, kept with them.

    Drawing those panels (charts, tables, hundreds of formatted numbers) costs the dashboard
    more than reading their kept rows; while the rows are the same, so is the HTML, per
    language. It is kept as long as the rows (DASHBOARD_CACHE_SECONDS), under a key made of
    the rows' scope, filters and moments (figures_key) and the language: a theme renamed in
    the reference data shows on the dashboard when its counts are next made. Rows counted
    just now without the cache (Redis down, or the cache off) are drawn every time."""
    if board.figures_key is None:
        return Markup(render())  # noqa: S704 - a rendered (autoescaped) template
    key = f"{board.figures_key}:{language}"
    kept = _kept(key)
    if isinstance(kept, str):
        return Markup(kept)  # noqa: S704 - the same template's output, kept
    html = str(render())
    _keep(key, html, current_app.config.get("DASHBOARD_CACHE_SECONDS", 0))
    return Markup(html)  # noqa: S704 - a rendered (autoescaped) template
