"""Writes: following and unfollowing, reading, mail preferences, unsubscribing. Each takes the
person acting, checks, changes, audits and flushes; the request commits."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from portal.accounts.models import User
from portal.audit.services import record as audit
from portal.core.transitions import IllegalTransition
from portal.core.types import utcnow
from portal.extensions import db
from portal.notifications import records
from portal.notifications.events import is_following
from portal.notifications.kinds import EVENT_KINDS
from portal.notifications.models import (
    Delivery,
    DeliveryStatus,
    Follow,
    Frequency,
    Notification,
    NotificationPreference,
)


def set_following(actor: User, kind: str, record: Any, follow: bool) -> bool:
    """Follow or unfollow ``record``; returns whether ``actor`` follows it now. Someone who
    follows by taking part and unfollows keeps a muted row."""
    if kind not in records.FOLLOWABLE or not records.can_view(kind, record, actor):
        raise IllegalTransition("not followable")
    choice = db.session.scalar(
        select(Follow).where(
            Follow.user_id == actor.id, Follow.record_kind == kind, Follow.record_id == record.id
        )
    )
    if choice is None:
        choice = Follow(user_id=actor.id, record_kind=kind, record_id=record.id, active=follow)
        db.session.add(choice)
    choice.active = follow
    db.session.flush()
    audit(actor, "follow" if follow else "unfollow", kind, record.id)
    db.session.flush()
    return is_following(actor, kind, record)


def mark_read(actor: User, notification: Notification) -> None:
    if notification.user_id != actor.id:
        raise IllegalTransition("not yours")
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.flush()


def mark_all_read(actor: User, kind: str | None = None) -> int:
    statement = (
        update(Notification)
        .where(Notification.user_id == actor.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if kind:
        statement = statement.where(Notification.kind == kind)
    count = db.session.execute(statement).rowcount  # type: ignore[attr-defined]
    db.session.flush()
    return int(count or 0)


def preferences(user: User) -> dict[str, Frequency]:
    from portal.notifications.kinds import DEFAULT_FREQUENCY

    chosen = {
        p.kind: p.frequency
        for p in db.session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == user.id)
        )
    }
    return {kind: chosen.get(kind, DEFAULT_FREQUENCY) for kind in EVENT_KINDS}


def set_preferences(actor: User, user: User, chosen: dict[str, Frequency]) -> None:
    """Store ``user``'s mail choices (only the kinds given). Waiting mail follows the choice:
    "never" drops what waits; another frequency moves it to that frequency."""
    if actor.id != user.id:
        raise IllegalTransition("not yours")
    before = preferences(user)
    current = {
        p.kind: p
        for p in db.session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == user.id)
        )
    }
    changed = {}
    for kind, frequency in chosen.items():
        if kind not in EVENT_KINDS:
            continue
        row = current.get(kind)
        if row is None:
            db.session.add(NotificationPreference(user_id=user.id, kind=kind, frequency=frequency))
        else:
            row.frequency = frequency
        if before[kind] != frequency:
            changed[kind] = frequency
            _follow_choice_on_waiting(user, kind, frequency)
    db.session.flush()
    if changed:
        audit(
            actor,
            "notification_settings",
            "user",
            user.id,
            {k: before[k].value for k in changed},
            {k: v.value for k, v in changed.items()},
        )
        db.session.flush()


def _follow_choice_on_waiting(user: User, kind: str, frequency: Frequency) -> None:
    mine = select(Notification.id).where(Notification.user_id == user.id, Notification.kind == kind)
    waiting = (
        update(Delivery)
        .where(
            Delivery.notification_id.in_(mine),
            Delivery.status == DeliveryStatus.PENDING,
            Delivery.digest_id.is_(None),
        )
        .execution_options(synchronize_session=False)
    )
    if frequency == Frequency.NEVER:
        db.session.execute(waiting.values(status=DeliveryStatus.SKIPPED))
    else:
        db.session.execute(waiting.values(frequency=frequency))


def unsubscribe(user: User, kind: str) -> list[str]:
    """The one-click unsubscribe (no sign-in: the signed token names the person): no more mail
    of ``kind`` (or, for a digest's link, of any kind that comes in digests). Returns the kinds
    now set to "never"."""
    from portal.notifications.delivery import DIGEST_KIND

    current = preferences(user)
    if kind == DIGEST_KIND:
        kinds = [k for k, f in current.items() if f in (Frequency.DAILY, Frequency.WEEKLY)]
    elif kind in EVENT_KINDS:
        kinds = [kind]
    else:
        kinds = []
    set_preferences(user, user, dict.fromkeys(kinds, Frequency.NEVER))
    return kinds
