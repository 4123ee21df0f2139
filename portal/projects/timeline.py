"""A project's course in time: its timeline (milestones, status reports and status changes in
the order they happened or are due) and what is due for a user: milestones coming due or
overdue, and status reports not written within the report interval. The start page shows what
is due from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from flask_babel import to_user_timezone
from sqlalchemy import ColumnElement, and_, bindparam, exists, func, select, true

from portal.accounts.models import User
from portal.audit.models import AuditEvent
from portal.core.enums import ProjectStatus
from portal.core.statements import KeptStatements, read_columns
from portal.core.visibility import is_signed_in
from portal.extensions import db
from portal.projects.models import Milestone, Project, StatusReport, project_organisations

DUE_SOON_DAYS = 14  # a milestone is "due" this many days ahead
REPORT_INTERVAL_DAYS = 30  # each organisation reports on each active project this often
RUNNING_PROJECT_STATES = (ProjectStatus.PLANNED, ProjectStatus.ACTIVE, ProjectStatus.ON_HOLD)


# ---------------------------------------------------------------- the timeline


@dataclass(frozen=True)
class TimelineEntry:
    """One dated thing on a project's timeline. ``day`` orders; ``at`` is set for events
    that have a time of day (reports, status changes)."""

    day: date
    kind: str  # "milestone_due", "milestone_done", "report", "status"
    at: datetime | None = None
    milestone: Milestone | None = None
    report: StatusReport | None = None
    status: ProjectStatus | None = None
    previous: ProjectStatus | None = None
    actor: User | Actor | None = None

    @property
    def sort_key(self) -> tuple[date, float]:
        return (self.day, self.at.timestamp() if self.at else 0.0)

    def shown(self) -> tuple[Any, ...]:
        """Everything the entry's line on the project page shows: its day or time, the
        statuses and who changed them, the milestone's title in every language and whether it
        is overdue today, the report's organisation and status."""
        milestone, report = self.milestone, self.report
        return (
            self.kind,
            self.day,
            self.at,
            self.status,
            self.previous,
            self.actor.name if self.actor is not None else None,
            (milestone.title.shown(), milestone.is_overdue()) if milestone is not None else None,
            (report.organisation.name, report.status) if report is not None else None,
        )


def _local_day(at: datetime) -> date:
    try:
        return to_user_timezone(at).date()
    except RuntimeError:  # outside a request
        return at.date()


class Actor(NamedTuple):
    """Who changed a project's status, as its timeline names them."""

    name: str


class StatusChange(NamedTuple):
    at: datetime
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    actor: Actor | None


_STATEMENTS = KeptStatements()


def status_changes(project: Project) -> list[StatusChange]:
    """The project's start and status changes from the audit log, with the name of who made
    each: one Core select of what the timeline shows."""
    return [
        StatusChange(at, before, after, Actor(name) if name is not None else None)
        for at, before, after, name in read_columns(
            _STATEMENTS.get(
                "status changes",
                lambda: (
                    select(AuditEvent.at, AuditEvent.before, AuditEvent.after, User.name)
                    .outerjoin(User, User.id == AuditEvent.actor_id)
                    .where(
                        AuditEvent.record_type == "project",
                        AuditEvent.record_id == bindparam("project_id"),
                        AuditEvent.action.in_(("create", "status")),
                    )
                    .order_by(AuditEvent.at, AuditEvent.id)
                ),
            ),
            {"project_id": project.id},
        )
    ]


def timeline(project: Project, today: date | None = None) -> list[TimelineEntry]:
    """Milestones, status reports and status changes of a project in the order they happened
    (or are due)."""
    entries: list[TimelineEntry] = []
    for event in status_changes(project):
        after = event.after or {}
        before = event.before or {}
        if "status" not in after:
            continue
        entries.append(
            TimelineEntry(
                day=_local_day(event.at),
                kind="status",
                at=event.at,
                status=ProjectStatus(after["status"]),
                previous=ProjectStatus(before["status"]) if before.get("status") else None,
                actor=event.actor,
            )
        )
    for milestone in project.milestones:
        if milestone.done_on is not None:
            entries.append(TimelineEntry(milestone.done_on, "milestone_done", milestone=milestone))
        else:
            entries.append(TimelineEntry(milestone.due_on, "milestone_due", milestone=milestone))
    for report in project.reports:
        entries.append(
            TimelineEntry(
                _local_day(report.created_at),
                "report",
                at=report.created_at,
                report=report,
                actor=report.author,
            )
        )
    return sorted(entries, key=lambda e: e.sort_key)


# ---------------------------------------------------------------- what is due


def _participates(user: Any) -> ColumnElement[bool]:
    """The user's organisation takes part in the project."""
    return exists(
        select(project_organisations.c.project_id).where(
            project_organisations.c.project_id == Project.id,
            project_organisations.c.organisation_id == user.organisation_id,
        )
    )


def milestones_due(user: User | None, today: date, limit: int) -> tuple[list[Any], int]:
    """Milestones not done, overdue or due within DUE_SOON_DAYS, in running projects where the
    user's organisation takes part (every visible project for coordinators), soonest first:
    at most ``limit`` rows (``id``, ``title_id``, ``due_on``, ``project_id``,
    ``project_title_id``) and how many there are in all."""
    if not is_signed_in(user):
        return [], 0
    rows = db.session.execute(
        select(
            Milestone.id,
            Milestone.title_id,
            Milestone.due_on,
            Project.id.label("project_id"),
            Project.title_id.label("project_title_id"),
            func.count(Milestone.id).over().label("total"),
        )
        .join(Project, Project.id == Milestone.project_id)
        .where(
            Milestone.done_on.is_(None),
            Milestone.due_on <= today + timedelta(days=DUE_SOON_DAYS),
            Project.status.in_(RUNNING_PROJECT_STATES),
            Project.visible_to(user),
            true() if user.is_coordinator else _participates(user),
        )
        .order_by(Milestone.due_on, Milestone.id)
        .limit(limit)
    ).all()
    return list(rows), int(rows[0].total) if rows else 0


def reports_due(user: User | None, now: datetime, limit: int) -> tuple[list[Any], int]:
    """Active projects of the user's organisation with no status report from that organisation
    within REPORT_INTERVAL_DAYS, the one ending first first: at most ``limit`` rows (``id``,
    ``title_id``, ``last_report_at``) and how many there are in all. Only for the roles that
    write reports (requesters, experts, coordinators)."""
    if not is_signed_in(user):
        return [], 0
    if not (user.is_requester or user.is_expert or user.is_coordinator):
        return [], 0
    ours = and_(
        StatusReport.project_id == Project.id,
        StatusReport.organisation_id == user.organisation_id,
    )
    last_report = select(func.max(StatusReport.created_at)).where(ours).scalar_subquery()
    recent = exists(
        select(StatusReport.id).where(
            ours, StatusReport.created_at >= now - timedelta(days=REPORT_INTERVAL_DAYS)
        )
    )
    rows = db.session.execute(
        select(
            Project.id,
            Project.title_id,
            last_report.label("last_report_at"),
            func.count(Project.id).over().label("total"),
        )
        .where(
            Project.status == ProjectStatus.ACTIVE,
            Project.visible_to(user),
            _participates(user),
            ~recent,
        )
        .order_by(Project.ends_on, Project.id)
        .limit(limit)
    ).all()
    return list(rows), int(rows[0].total) if rows else 0
