"""Recording audit events. Callers pass the acting user explicitly."""

from __future__ import annotations

import enum
import functools
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Integer, Select, and_, bindparam, inspect, or_, select
from sqlalchemy.orm import joinedload

from portal.audit.models import AuditEvent
from portal.content.search import like_pattern
from portal.core.statements import read_columns
from portal.extensions import db

if TYPE_CHECKING:
    from portal.accounts.models import User


# Never copied into an audit row.
_SECRET_COLUMNS = {"password_hash", "totp_secret_encrypted", "totp_last_step"}


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def snapshot(obj: Any) -> dict[str, Any]:
    """The record's own columns as plain JSON values."""
    mapper = inspect(obj).mapper
    return {
        col.key: _plain(getattr(obj, col.key))
        for col in mapper.column_attrs
        if col.key not in _SECRET_COLUMNS
    }


# The address the current request came from, set by the web layer for each request
# (portal.web), so that services record it without reading the request themselves. Commands and
# jobs have none.
client_address: ContextVar[str | None] = ContextVar("client_address", default=None)


def record(
    actor: User | None,
    action: str,
    record_type: str,
    record_id: int | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    if before is not None and after is not None:
        changed = {k for k in after if before.get(k) != after.get(k)}
        before = {k: v for k, v in before.items() if k in changed}
        after = {k: v for k, v in after.items() if k in changed}
    event = AuditEvent(
        actor_id=actor.id if actor is not None and getattr(actor, "id", None) else None,
        ip=client_address.get(),
        action=action,
        record_type=record_type,
        record_id=record_id,
        before=before,
        after=after,
    )
    db.session.add(event)
    return event


def history(record_type: str, record_id: int, limit: int = 50) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            db.select(AuditEvent)
            .where(AuditEvent.record_type == record_type, AuditEvent.record_id == record_id)
            .options(db.selectinload(AuditEvent.actor))  # one query for every actor shown
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .limit(limit)
        )
    )


@functools.cache
def _shown_history_statement() -> Any:
    """``shown_history``'s statement, built once: the record and the limit are parameters."""
    from portal.accounts.models import User

    return (
        select(AuditEvent.at, AuditEvent.action, AuditEvent.after, User.name.label("actor_name"))
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(
            AuditEvent.record_type == bindparam("record_type"),
            AuditEvent.record_id == bindparam("record_id", type_=Integer),
        )
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(bindparam("limit", type_=Integer))
    )


def shown_history(record_type: str, record_id: int, limit: int = 50) -> list[Any]:
    """What a record's page shows of its history, newest first, as rows of the shown columns:
    ``at``, ``action``, ``after`` (what a change left, for the changed fields) and
    ``actor_name`` (None for the system)."""
    values = {"record_type": record_type, "record_id": record_id, "limit": limit}
    return list(read_columns(_shown_history_statement(), values))


# ---------------------------------------------------------------- reading the log


def visible_events(viewer: User) -> ColumnElement[bool]:
    """Events about records the viewer may not see are left out, like the records themselves.
    Records are judged as they are now (a need created as a draft shows its whole history once
    it is published)."""
    from portal.matching.models import Match
    from portal.needs.models import Need
    from portal.offers.models import Offer
    from portal.projects.models import Milestone, Project, StatusReport

    guarded: dict[str, Any] = {
        "need": select(Need.id).where(Need.visible_to(viewer)),
        "offer": select(Offer.id).where(Offer.visible_to(viewer)),
        "project": select(Project.id).where(Project.visible_to(viewer)),
        "milestone": select(Milestone.id)
        .join(Project, Project.id == Milestone.project_id)
        .where(Project.visible_to(viewer)),
        "status_report": select(StatusReport.id)
        .join(Project, Project.id == StatusReport.project_id)
        .where(Project.visible_to(viewer)),
    }
    guarded["match"] = (
        select(Match.id)
        .join(Need, Need.id == Match.need_id)
        .join(Offer, Offer.id == Match.offer_id)
        .where(Match.visible_to(viewer))
    )
    return or_(
        AuditEvent.record_type.not_in(list(guarded)),
        *(
            and_(AuditEvent.record_type == kind, AuditEvent.record_id.in_(ids))
            for kind, ids in guarded.items()
        ),
    )


# The log holds nothing outside these years; clamping keeps a date like 0001-01-01 or 9999-12-31
# from overflowing when it is moved to UTC.
_EARLIEST, _LATEST = date(1900, 1, 1), date(9998, 12, 30)


def _start_of_day(day: date, time_zone: tzinfo) -> datetime:
    """Midnight at the start of ``day`` in the reader's time zone."""
    day = min(max(day, _EARLIEST), _LATEST)
    return datetime.combine(day, time.min, tzinfo=time_zone)


@dataclass(frozen=True)
class AuditFilters:
    record_type: str | None = None
    action: str | None = None
    actor_email: str | None = None  # part of the acting person's e-mail address
    date_from: date | None = None
    date_until: date | None = None
    time_zone: tzinfo = UTC  # the reader's: a day starts at their midnight


def events_query(viewer: User, filters: AuditFilters) -> Select[Any]:
    """The events ``viewer`` may read, newest first, narrowed by ``filters``."""
    from portal.accounts.models import User

    query = (
        select(AuditEvent)
        .options(joinedload(AuditEvent.actor))
        .where(visible_events(viewer))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )
    if filters.record_type:
        query = query.where(AuditEvent.record_type == filters.record_type)
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.actor_email:
        query = query.where(
            AuditEvent.actor_id.in_(
                select(User.id).where(
                    User.email.like(like_pattern(filters.actor_email), escape="\\")
                )
            )
        )
    if filters.date_from:
        query = query.where(AuditEvent.at >= _start_of_day(filters.date_from, filters.time_zone))
    if filters.date_until:
        until = min(filters.date_until, _LATEST)
        query = query.where(
            AuditEvent.at < _start_of_day(until + timedelta(days=1), filters.time_zone)
        )
    return query
