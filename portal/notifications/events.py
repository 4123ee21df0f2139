"""The one entry point other domains call when something happened that people may need to know.

    notify("comment", need, actor, mentioned=[user, …])
    notify("document", project, actor)

``kind`` names the event (``portal.notifications.kinds``); ``record`` is a registered record
(``portal.core.records``, or the agreement, or a user); ``actor`` is who did it (None for the
scheduler). Call it from a service after the change is flushed. Who is told is decided here:
the people who follow the record (by taking part, or by choice) and those ``mentioned``, never
the actor, never anyone who may not see the record. Each gets an inbox row and, unless they
chose "never", an e-mail delivery; immediate ones are queued once the transaction commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import g, has_request_context, request
from sqlalchemy import Integer, String, bindparam, event, select
from sqlalchemy.orm import Session, SessionTransaction

from portal.accounts import services as accounts
from portal.accounts.models import User
from portal.core.bulk import insert_or_skip
from portal.core.enums import Side
from portal.core.statements import KeptStatements, read_columns
from portal.core.transaction import call_after_commit
from portal.core.types import utcnow
from portal.extensions import db
from portal.notifications import records
from portal.notifications.kinds import DEFAULT_FREQUENCY
from portal.notifications.models import (
    Delivery,
    Follow,
    Frequency,
    Notification,
    NotificationEvent,
    NotificationPreference,
)

_WAITING = "portal_notification_deliveries"


def notify(
    kind: str,
    record: Any,
    actor: Any | None,
    *,
    mentioned: Iterable[Any] = (),
    key: str | None = None,
    detail: str | None = None,
) -> NotificationEvent | None:
    """Record an event about ``record`` for the people who follow it (and those ``mentioned``).
    ``key`` makes the event happen once (a scheduled reminder); returns None when it already
    did or nobody is to be told."""
    if key is not None and db.session.scalar(
        select(NotificationEvent.id).where(NotificationEvent.key == key)
    ):
        return None
    record_kind = records.record_kind_of(record)
    values = {
        "kind": kind,
        "record_kind": record_kind,
        "record_id": record.id,
        "actor_id": getattr(actor, "id", None),
        "key": key,
        "detail": detail,
        "created_at": utcnow(),
    }
    if key is None:
        event = NotificationEvent(**values)
        db.session.add(event)
    else:
        # Another scheduler run may make the same reminder at the same moment: the unique key
        # decides, and the loser's transaction stays usable.
        made = insert_unless_exists(NotificationEvent, values, ["key"])
        if made is None:
            return None
        event = made
    mentioned_people = [u for u in mentioned if isinstance(u, User)]
    told: dict[int, tuple[User, bool]] = {}
    for person in audience(kind, record_kind, record, actor):
        told[person.id] = (person, False)
    for person in mentioned_people:
        told[person.id] = (person, True)
    actor_id = getattr(actor, "id", None)
    recipients = [
        (person, is_mention)
        for person, is_mention in told.values()
        if person.id != actor_id and records.can_view(record_kind, record, person)
    ]
    if not recipients:
        return event
    frequencies = _frequencies([p.id for p, _ in recipients], {kind, "mention"})
    for person, is_mention in recipients:
        event_kind = "mention" if is_mention else kind
        notification = Notification(
            event=event,
            user_id=person.id,
            kind=event_kind,
            record_kind=record_kind,
            record_id=record.id,
            is_mention=is_mention,
        )
        db.session.add(notification)
        frequency = frequencies.get((person.id, event_kind), DEFAULT_FREQUENCY)
        if frequency != Frequency.NEVER:
            delivery = Delivery(notification=notification, channel="email", frequency=frequency)
            db.session.add(delivery)
            if frequency == Frequency.IMMEDIATELY:
                db.session.info.setdefault(_WAITING, []).append(delivery)
    db.session.flush()
    call_after_commit(_queue_immediate)
    return event


def insert_unless_exists(model: Any, values: dict[str, Any], unique: list[str]) -> Any | None:
    """Insert a row unless one with the same ``unique`` columns exists (``ON CONFLICT DO
    NOTHING``); the stored row, or None."""
    statement = (
        insert_or_skip(model)
        .values(**values)
        .on_conflict_do_nothing(index_elements=unique)
        .returning(model)
    )
    return db.session.scalars(statement).one_or_none()


def _frequencies(user_ids: list[int], kinds: set[str]) -> dict[tuple[int, str], Frequency]:
    rows = db.session.execute(
        select(
            NotificationPreference.user_id,
            NotificationPreference.kind,
            NotificationPreference.frequency,
        ).where(
            NotificationPreference.user_id.in_(user_ids),
            NotificationPreference.kind.in_(kinds),
        )
    )
    return {(r.user_id, r.kind): r.frequency for r in rows}


@event.listens_for(Session, "after_soft_rollback")
def _forget_waiting(session: Session, previous: SessionTransaction) -> None:
    """A rolled-back transaction's deliveries never existed: nothing to queue for them."""
    if previous.parent is None:
        session.info.pop(_WAITING, None)


def _queue_immediate() -> None:
    from portal.jobs import enqueue
    from portal.notifications.delivery import RETRIES, deliver

    waiting: list[Delivery] = db.session.info.pop(_WAITING, [])
    ids = [d.id for d in waiting if d.id is not None]
    for delivery_id in ids:
        enqueue(deliver, delivery_id, retries=RETRIES)


def audience(kind: str, record_kind: str, record: Any, actor: Any | None) -> list[User]:
    """Who hears of ``kind`` on ``record`` (before the actor and the invisible are left out)."""
    if kind == "proposal":
        return _deciding_side(record)
    if kind == "invitation_accepted":
        return _inviter(record)
    followed_kind, followed = records.followed_record(record_kind, record)
    return followers(followed_kind, followed)


def followers(kind: str, record: Any) -> list[User]:
    """The people who follow ``record``: its participants unless they muted it, and those who
    chose to follow it."""
    choices = {
        f.user_id: f
        for f in db.session.scalars(
            select(Follow).where(Follow.record_kind == kind, Follow.record_id == record.id)
        )
    }
    people = {
        p.id: p
        for p in records.participants(kind, record)
        if p.id not in choices or choices[p.id].active
    }
    chosen = [uid for uid, f in choices.items() if f.active and uid not in people]
    if chosen:
        for person in db.session.scalars(
            select(User).where(User.id.in_(chosen), User.is_active_account)
        ):
            people[person.id] = person
    return list(people.values())


_STATEMENTS = KeptStatements()


def _choice_statement() -> Any:
    return _STATEMENTS.get(
        "follow choice",
        lambda: select(Follow.active).where(
            Follow.user_id == bindparam("user_id", type_=Integer),
            Follow.record_kind == bindparam("follow_kind", type_=String),
            Follow.record_id == bindparam("follow_record_id", type_=Integer),
        ),
    )


def is_following(user: User, kind: str, record: Any) -> bool:
    # Their own choice, if they made one (the column alone: no ORM row for a page's button),
    # read with the person's own row when this is the record's page (_with_person).
    prefetched = g.pop(_PREFETCHED, None) if has_request_context() else None
    if prefetched is not None and prefetched[:3] == (user.id, kind, record.id):
        choice = prefetched[3]
    else:
        choice = read_columns(
            _choice_statement(),
            {"user_id": user.id, "follow_kind": kind, "follow_record_id": record.id},
        ).scalar()
    if choice is not None:
        return bool(choice)
    return records.takes_part(user, kind, record)


# The record pages with a follow button, and the name of their record's id in the address.
_FOLLOWABLE_PAGES = {
    "needs.detail": ("need", "need_id"),
    "offers.detail": ("offer", "offer_id"),
    "matching.detail": ("match", "match_id"),
    "projects.detail": ("project", "project_id"),
}
_PREFETCHED = "notifications_follow_choice_read_with_person"


def _with_person(person: int) -> accounts.ReadWithPerson | None:
    """The follow button's choice, read in the statement that loads the signed-in person, for
    the GET of a record page (its button shows it): one round trip to the database fewer on
    every signed-in record page. The record is the one the address names; the button asks for
    it by the record it shows (``is_following``), and anything else reads the choice itself."""
    if not has_request_context() or request.method != "GET" or request.headers.get("HX-Request"):
        return None
    page = _FOLLOWABLE_PAGES.get(request.endpoint or "")
    record_id = (request.view_args or {}).get(page[1]) if page else None
    if page is None or not isinstance(record_id, int):
        return None
    kind = page[0]

    def found(user: User, _key: Any, value: Any) -> None:
        setattr(g, _PREFETCHED, (user.id, kind, record_id, value))

    return accounts.ReadWithPerson(
        "follow choice",
        lambda: _choice_statement().correlate(None).scalar_subquery(),
        found,
        {"follow_kind": kind, "follow_record_id": record_id},
    )


accounts.read_with_person(_with_person)


@event.listens_for(Session, "after_flush")
def _forget_prefetched(session: Session, _context: Any) -> None:
    """A request that writes anything reads the choice again: the one read with the person was
    read before it."""
    if has_request_context():
        g.pop(_PREFETCHED, None)


def _deciding_side(match: Any) -> list[User]:
    """The people of the side(s) still to decide on a proposed match."""
    organisation_ids = []
    if not match.has_accepted(Side.REQUESTER):
        organisation_ids.append(match.need.organisation_id)
    if not match.has_accepted(Side.EXPERT):
        organisation_ids.append(match.offer.organisation_id)
    if not organisation_ids:
        return []
    from portal.core.enums import Role

    return list(
        db.session.scalars(
            select(User).where(
                User.organisation_id.in_(organisation_ids),
                User.is_active_account,
                User.role.in_((Role.REQUESTER, Role.EXPERT)),
            )
        )
    )


def _inviter(user: User) -> list[User]:
    """Who invited ``user`` (from the audit log), else every admin."""
    from portal.audit.models import AuditEvent
    from portal.core.enums import Role

    inviter_id = db.session.scalar(
        select(AuditEvent.actor_id)
        .where(
            AuditEvent.action == "invite",
            AuditEvent.record_type == "user",
            AuditEvent.record_id == user.id,
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    if inviter_id is not None:
        inviter = db.session.get(User, inviter_id)
        if inviter is not None and inviter.is_active_account:
            return [inviter]
    return list(
        db.session.scalars(select(User).where(User.role == Role.ADMIN, User.is_active_account))
    )
