"""The writes of this package: making and renewing a person's calendar address."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from sqlalchemy import select

from portal.audit import services as audit
from portal.core.types import utcnow
from portal.exports.models import CalendarToken, token_digest
from portal.extensions import db

if TYPE_CHECKING:
    from portal.accounts.models import User

TOKEN_BYTES = 32


def calendar_token_of(user: User) -> CalendarToken | None:
    return db.session.scalar(select(CalendarToken).where(CalendarToken.user_id == user.id))


def renew_calendar_token(actor: User) -> str:
    """A new secret address for ``actor``'s calendar; any earlier one stops working. Returns
    the token: it is shown once and never stored."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    existing = calendar_token_of(actor)
    action = "renew_calendar" if existing is not None else "create_calendar"
    if existing is None:
        existing = CalendarToken(user_id=actor.id)
        db.session.add(existing)
    existing.digest = token_digest(token)
    existing.created_at = utcnow()
    db.session.flush()
    audit.record(actor, action, "user", actor.id)
    return token


def user_for_calendar_token(token: str) -> User | None:
    """The active person whose calendar address carries ``token``, else None."""
    if not token or len(token) > 100:
        return None
    found = db.session.scalar(
        select(CalendarToken).where(CalendarToken.digest == token_digest(token))
    )
    if found is None or not found.user.is_active:
        return None
    return found.user
