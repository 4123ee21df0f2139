"""Demo notifications: a few unread ones in each demo account's inbox, about records that
account may see, so that the header's count and the inbox show something on a first visit.
Written as rows (no e-mail is queued for them)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from portal.accounts.models import User
from portal.agreements.services import default_agreement
from portal.core.enums import Role
from portal.core.types import utcnow
from portal.extensions import db
from portal.matching.models import Match
from portal.needs.models import Need
from portal.notifications import records
from portal.notifications.models import Notification, NotificationEvent
from portal.offers.models import Offer
from portal.projects.models import Project, StatusReport


def _visible(model: Any, user: User) -> list[Any]:
    rows = list(db.session.scalars(select(model).order_by(model.id.desc()).limit(40)))
    kind = records.record_kind_of(rows[0]) if rows else ""
    return [r for r in rows if records.can_view(kind, r, user)]


def _tell(user: User, kind: str, record: Any, actor: User | None, hours_ago: int) -> None:
    if record is None:
        return
    record_kind = records.record_kind_of(record)
    at = utcnow() - timedelta(hours=hours_ago)
    event = NotificationEvent(
        kind=kind, record_kind=record_kind, record_id=record.id, actor=actor, created_at=at
    )
    db.session.add(event)
    db.session.add(
        Notification(
            event=event,
            user_id=user.id,
            kind=kind,
            record_kind=record_kind,
            record_id=record.id,
            is_mention=kind == "mention",
            created_at=at,
        )
    )


def _first(items: list[Any]) -> Any | None:
    return items[0] if items else None


def load_demo_notifications(emails: list[str]) -> None:
    people = {u.role: u for u in db.session.scalars(select(User).where(User.email.in_(emails)))}
    requester, expert = people.get(Role.REQUESTER), people.get(Role.EXPERT)
    coordinator, admin = people.get(Role.COORDINATOR), people.get(Role.ADMIN)
    if requester and expert:
        matches = _visible(Match, requester)
        projects = _visible(Project, requester)
        _tell(requester, "proposal", _first(matches), expert, 3)
        _tell(requester, "report_posted", _first(_visible(StatusReport, requester)), expert, 20)
        _tell(requester, "comment", _first(projects), expert, 30)
        _tell(expert, "proposal", _first(_visible(Match, expert)), requester, 2)
        _tell(expert, "project_started", _first(_visible(Project, expert)), coordinator, 26)
        _tell(expert, "mention", _first(_visible(Need, expert)), requester, 50)
    if coordinator:
        _tell(coordinator, "mention", _first(_visible(Project, coordinator)), requester, 5)
        _tell(coordinator, "match_accepted", _first(_visible(Match, coordinator)), expert, 8)
        _tell(coordinator, "agreement_ending", default_agreement(), None, 12)
    if admin:
        invited = (
            db.session.scalar(select(User).where(User.email.not_in(emails)).order_by(User.id))
            or requester
        )
        _tell(admin, "invitation_accepted", invited, invited, 4)
        _tell(admin, "document", _first(_visible(Offer, admin)), expert, 9)
    db.session.flush()
