"""What an export of each list holds: its columns, and its rows from the list's own query.

A list's export is the list page's query (``PostingService.query``, ``matches_query``,
``projects_query``) with the same filter parsing as the page, so the file holds exactly what the
page would list to the same person — never a second filter implementation. Rows are read with
``yield_per`` (a server-side cursor on PostgreSQL), so an export of 100,000 needs holds one batch
in memory at a time.

A cell is ``None``, ``str``, ``int``, ``date`` or ``datetime``; the writers (``writers.py``) give
each type its own cell type (numbers as numbers, dates as dates).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import LazyString, to_user_timezone
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from portal.content.models import Text
from portal.core.http import MAX_ID
from portal.core.i18n import current_language
from portal.extensions import db
from portal.mail.services import external_url

# Rows read from the database at a time: big enough for few round trips, small enough that a
# batch (with its titles' versions) stays a few megabytes.
BATCH = 500

Cell = str | int | date | datetime | None


@dataclass(frozen=True)
class Column:
    header: LazyString
    value: Callable[[Any], Cell]


@dataclass(frozen=True)
class Table:
    """One list's export: a name for the file and sheet, the columns, and the query from the
    list's arguments (``viewer`` sees what the list would show them)."""

    name: str
    sheet: LazyString
    columns: tuple[Column, ...]
    query: Callable[[Any, Mapping[str, str]], Select[Any]]
    needs_sign_in: bool = False

    def headers(self) -> list[str]:
        return [str(column.header) for column in self.columns]

    def rows(self, viewer: Any, args: Mapping[str, str]) -> Iterator[list[Cell]]:
        """The rows, read as they are written. The statement (with the viewer's visibility) is
        built now, in the request: a streamed CSV reads its rows after the request has committed
        and let go of the signed-in user's row, which could then no longer be asked who it is
        (found by ``make scan``: a 500 from gunicorn on every CSV export, signed in)."""
        stmt = self.query(viewer, args).execution_options(yield_per=BATCH)
        return self._read(stmt)

    def _read(self, stmt: Select[Any]) -> Iterator[list[Cell]]:
        for record in db.session.scalars(stmt):
            yield [column.value(record) for column in self.columns]


# ---------------------------------------------------------------- cells


def title(text: Text | None) -> str:
    """The text in the reader's language, else its original (as the page shows it)."""
    return text.render(current_language()).body if text is not None else ""


# Enum labels by (language, member): a column of 100,000 statuses asks for the same few
# translations over and over, and each gettext costs more than writing the cell.
# (StrEnum members of different enums with the same value compare equal: the type is in the key.)
_labels: dict[tuple[str, type, str], str] = {}


def label(enum: Any) -> str:
    if enum is None:
        return ""
    key = (current_language(), type(enum), str(enum))
    found = _labels.get(key)
    if found is None:
        found = _labels[key] = enum.label
    return found


def name(named: Any) -> str:
    return named.name if named is not None else ""


def local_date(moment: datetime | None) -> date | None:
    """A moment as the day it was in the reader's time zone."""
    return to_user_timezone(moment).date() if moment is not None else None


def record_link(endpoint: str, argument: str) -> Callable[[Any], str]:
    """The absolute address of each record's page, from PORTAL_BASE_URL (never the request's
    host). Built once per export: binding the URL map for each of 100,000 rows would cost more
    than writing them."""
    placeholder = str(MAX_ID)
    pattern = external_url(endpoint, **{argument: MAX_ID})

    def link(record: Any) -> str:
        return pattern.replace(placeholder, str(record.id))

    return link


# ---------------------------------------------------------------- the lists' queries


def needs_query(viewer: Any, args: Mapping[str, str]) -> Select[Any]:
    from portal.needs.forms import NeedFilterForm
    from portal.needs.services import service

    return service.query(viewer, NeedFilterForm(formdata=args).filters())


def offers_query(viewer: Any, args: Mapping[str, str]) -> Select[Any]:
    from portal.offers.forms import OfferFilterForm
    from portal.offers.services import service

    return service.query(viewer, OfferFilterForm(formdata=args).filters())


def matches_query(viewer: Any, args: Mapping[str, str]) -> Select[Any]:
    from portal.matching.forms import MatchFilterForm
    from portal.matching.queries import matches_query as query

    return query(viewer, MatchFilterForm(formdata=args).filters())


def projects_query(viewer: Any, args: Mapping[str, str]) -> Select[Any]:
    from portal.projects.queries import LIST_OPTIONS, ProjectFilters
    from portal.projects.queries import projects_query as query

    return query(viewer, ProjectFilters.from_args(args)).options(*LIST_OPTIONS)


def milestones_query(viewer: Any, args: Mapping[str, str]) -> Select[Any]:
    """The milestones of the projects the project list shows with these filters."""
    from portal.projects.models import Milestone, Project
    from portal.projects.queries import ProjectFilters
    from portal.projects.queries import projects_query as query

    projects = query(viewer, ProjectFilters.from_args(args)).order_by(None)
    return (
        select(Milestone)
        .where(Milestone.project_id.in_(projects.with_only_columns(Project.id)))
        .options(
            joinedload(Milestone.title),
            joinedload(Milestone.project).joinedload(Project.title),
        )
        .order_by(Milestone.project_id, Milestone.due_on, Milestone.id)
    )


def status_reports_query(viewer: Any, args: Mapping[str, str]) -> Select[Any]:
    """The status reports of the projects the project list shows with these filters."""
    from portal.projects.models import Project, StatusReport
    from portal.projects.queries import ProjectFilters
    from portal.projects.queries import projects_query as query

    projects = query(viewer, ProjectFilters.from_args(args)).order_by(None)
    return (
        select(StatusReport)
        .where(StatusReport.project_id.in_(projects.with_only_columns(Project.id)))
        .options(
            joinedload(StatusReport.body),
            joinedload(StatusReport.organisation),
            joinedload(StatusReport.project).joinedload(Project.title),
        )
        .order_by(StatusReport.project_id, StatusReport.created_at.desc(), StatusReport.id)
    )


# ---------------------------------------------------------------- the tables


def _needs() -> Table:
    link = record_link("needs.detail", "need_id")
    return Table(
        "needs",
        _l("Needs"),
        (
            Column(_l("ID"), lambda n: n.id),
            Column(_l("Title"), lambda n: title(n.title)),
            Column(_l("Status"), lambda n: label(n.status)),
            Column(_l("Priority"), lambda n: label(n.priority)),
            Column(_l("Theme"), lambda n: name(n.theme)),
            Column(_l("Kind of help"), lambda n: label(n.help_kind)),
            Column(_l("Organisation"), lambda n: name(n.organisation)),
            Column(_l("District"), lambda n: name(n.district)),
            Column(_l("Wanted from"), lambda n: n.wanted_from),
            Column(_l("Wanted until"), lambda n: n.wanted_until),
            Column(_l("Person-days"), lambda n: n.person_days),
            Column(_l("Visibility"), lambda n: label(n.visibility)),
            Column(_l("Published on"), lambda n: local_date(n.published_at)),
            Column(_l("Address"), link),
        ),
        needs_query,
    )


def _offers() -> Table:
    link = record_link("offers.detail", "offer_id")
    return Table(
        "offers",
        _l("Offers"),
        (
            Column(_l("ID"), lambda o: o.id),
            Column(_l("Title"), lambda o: title(o.title)),
            Column(_l("Status"), lambda o: label(o.status)),
            Column(_l("Themes"), lambda o: ", ".join(t.name for t in o.themes)),
            Column(_l("Kind of help"), lambda o: label(o.help_kind)),
            Column(_l("Organisation"), lambda o: name(o.organisation)),
            Column(_l("Capacity (person-days)"), lambda o: o.capacity_days),
            Column(_l("Committed (person-days)"), lambda o: o.committed_days),
            Column(_l("Available from"), lambda o: o.available_from),
            Column(_l("Available until"), lambda o: o.available_until),
            Column(_l("Visibility"), lambda o: label(o.visibility)),
            Column(_l("Published on"), lambda o: local_date(o.published_at)),
            Column(_l("Address"), link),
        ),
        offers_query,
    )


def _matches() -> Table:
    link = record_link("matching.detail", "match_id")
    return Table(
        "matches",
        _l("Matches"),
        (
            Column(_l("ID"), lambda m: m.id),
            Column(_l("Need"), lambda m: title(m.need.title)),
            Column(_l("Requesting organisation"), lambda m: name(m.need.organisation)),
            Column(_l("Offer"), lambda m: title(m.offer.title)),
            Column(_l("Offering organisation"), lambda m: name(m.offer.organisation)),
            Column(_l("Status"), lambda m: label(m.status)),
            Column(_l("Score"), lambda m: m.score),
            Column(_l("Person-days"), lambda m: m.person_days),
            Column(_l("Proposed on"), lambda m: local_date(m.proposed_at)),
            Column(_l("Decided on"), lambda m: local_date(m.decided_at)),
            Column(_l("Address"), link),
        ),
        matches_query,
        needs_sign_in=True,
    )


def _projects() -> Table:
    link = record_link("projects.detail", "project_id")
    return Table(
        "projects",
        _l("Projects"),
        (
            Column(_l("ID"), lambda p: p.id),
            Column(_l("Title"), lambda p: title(p.title)),
            Column(_l("Status"), lambda p: label(p.status)),
            Column(_l("Theme"), lambda p: name(p.theme)),
            Column(_l("District"), lambda p: name(p.district)),
            Column(_l("Lead organisation in Kyiv"), lambda p: name(p.requester_lead)),
            Column(_l("Lead organisation in Stockholm"), lambda p: name(p.expert_lead)),
            Column(_l("Starts on"), lambda p: p.starts_on),
            Column(_l("Ends on"), lambda p: p.ends_on),
            Column(_l("Progress (%)"), lambda p: p.progress),
            Column(_l("Latest report"), lambda p: label(p.latest_report_status)),
            Column(_l("Visibility"), lambda p: label(p.visibility)),
            Column(_l("Address"), link),
        ),
        projects_query,
    )


def _milestones() -> Table:
    return Table(
        "milestones",
        _l("Milestones"),
        (
            Column(_l("Project ID"), lambda m: m.project_id),
            Column(_l("Project"), lambda m: title(m.project.title)),
            Column(_l("Milestone"), lambda m: title(m.title)),
            Column(_l("Due on"), lambda m: m.due_on),
            Column(_l("Done on"), lambda m: m.done_on),
            Column(_l("Weight"), lambda m: m.weight),
        ),
        milestones_query,
    )


def _status_reports() -> Table:
    return Table(
        "status-reports",
        _l("Status reports"),
        (
            Column(_l("Project ID"), lambda r: r.project_id),
            Column(_l("Project"), lambda r: title(r.project.title)),
            Column(_l("Written on"), lambda r: local_date(r.created_at)),
            Column(_l("Status"), lambda r: label(r.status)),
            Column(_l("Organisation"), lambda r: name(r.organisation)),
            Column(_l("Report"), lambda r: title(r.body)),
        ),
        status_reports_query,
    )


# The lists that can be exported, by the name their URL uses. Built per request: the record
# links depend on the configuration of the app serving it.
TABLES: dict[str, Callable[[], Table]] = {
    "needs": _needs,
    "offers": _offers,
    "matches": _matches,
    "projects": _projects,
    "milestones": _milestones,
    "status-reports": _status_reports,
}


def table(name: str) -> Table | None:
    make = TABLES.get(name)
    return make() if make is not None else None
