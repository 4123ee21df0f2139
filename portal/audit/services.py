"""Recording audit events. Callers pass the acting user explicitly."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from flask import has_request_context, request
from sqlalchemy import inspect

from portal.audit.models import AuditEvent
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


def client_ip() -> str | None:
    if has_request_context():
        return request.remote_addr
    return None


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
        ip=client_ip(),
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
