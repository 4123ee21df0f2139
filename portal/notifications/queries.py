"""Reading the inbox: the unread count for the header and a page of notifications, both
limited to records the reader may see now, at a cost that does not grow with the data."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Integer, bindparam, func, select
from sqlalchemy.orm import joinedload, selectinload

from portal.accounts.models import User
from portal.core.statements import KeptStatements, read_columns
from portal.core.visibility import Scope
from portal.extensions import db
from portal.notifications import records
from portal.notifications.models import Notification, NotificationEvent

PER_PAGE = 25
COUNT_CAP = 100  # the header says "99+" beyond this; counting stops there


# The count's statement per reader's scope and whether they are an admin (what the visibility
# rule of notifications is made of); the person is a parameter. Built and hashed per request
# it cost more than the count.
_UNREAD = KeptStatements()


def _unread_statement(user: User) -> Any:
    def build() -> Any:
        unread = (
            select(Notification.id)
            .where(
                Notification.user_id == bindparam("user_id", type_=Integer),
                Notification.read_at.is_(None),
                records.visible_rows(user, Notification.record_kind, Notification.record_id),
            )
            .limit(COUNT_CAP)
            .subquery()
        )
        return select(func.count()).select_from(unread)

    return _UNREAD.get((Scope.of(user), bool(user.is_admin)), build)


def unread_count(user: User) -> int:
    """Unread notifications about records ``user`` may see, up to COUNT_CAP: one query on the
    (user, read_at) index."""
    return int(read_columns(_unread_statement(user), {"user_id": user.id}).scalar() or 0)


@dataclass
class Item:
    notification: Notification
    record: Any

    @property
    def kind(self) -> str:
        return self.notification.kind


def inbox(
    user: User, *, kind: str | None, unread_only: bool, page: int
) -> tuple[Pagination, list[Item]]:
    """A page of ``user``'s notifications, newest first, with their records loaded in one query
    per kind of record."""
    statement = (
        select(Notification)
        .where(
            Notification.user_id == user.id,
            records.visible_rows(user, Notification.record_kind, Notification.record_id),
        )
        .options(joinedload(Notification.event).joinedload(NotificationEvent.actor))
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    if kind:
        statement = statement.where(Notification.kind == kind)
    if unread_only:
        statement = statement.where(Notification.read_at.is_(None))
    pagination = db.paginate(statement, page=page, per_page=PER_PAGE, error_out=False, count=True)
    rows: list[Notification] = list(pagination.items)
    loaded = _load_records(rows)
    items = [
        Item(n, loaded.get((n.record_kind, n.record_id)))
        for n in rows
        if loaded.get((n.record_kind, n.record_id)) is not None
    ]
    return pagination, items


def _load_records(rows: list[Notification]) -> dict[tuple[str, int], Any]:
    from portal.matching.models import Match
    from portal.needs.models import Need
    from portal.offers.models import Offer
    from portal.projects.models import Milestone, Project, StatusReport

    wanted: dict[str, set[int]] = defaultdict(set)
    for n in rows:
        wanted[n.record_kind].add(n.record_id)
    loaders: dict[str, tuple[Any, list[Any]]] = {
        "need": (Need, [selectinload(Need.title)]),
        "offer": (Offer, [selectinload(Offer.title)]),
        "match": (
            Match,
            [
                joinedload(Match.need).selectinload(Need.title),
                joinedload(Match.offer).selectinload(Offer.title),
            ],
        ),
        "project": (Project, [selectinload(Project.title)]),
        "milestone": (Milestone, [selectinload(Milestone.title)]),
        "status_report": (
            StatusReport,
            [joinedload(StatusReport.project).selectinload(Project.title)],
        ),
    }
    from portal.agreements.models import Agreement

    loaders["agreement"] = (Agreement, [])
    loaders["user"] = (User, [])
    found: dict[tuple[str, int], Any] = {}
    for kind in sorted(wanted):
        if kind not in loaders:
            continue
        model, options = loaders[kind]
        for record in db.session.scalars(
            select(model).where(model.id.in_(wanted[kind])).options(*options)
        ).unique():
            found[(kind, record.id)] = record
    return found
