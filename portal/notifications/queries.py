"""Reading the inbox: the unread count for the header and a page of notifications, both
limited to records the reader may see now, at a cost that does not grow with the data."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from flask import g, has_request_context, request
from flask_login import user_logged_in
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Integer, bindparam, event, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from portal.accounts import services as accounts
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
# What each person's count was last read under in this worker: the key a page's GET guesses
# before their row says what it is now. At the limit they are all forgotten (a guess missing
# costs one statement, never a wrong count).
_LAST_KEY: dict[int, tuple[Scope, bool]] = {}
_LAST_KEY_LIMIT = 10_000
_PREFETCHED = "notifications_unread_read_with_person"


def _key(user: Any) -> tuple[Scope, bool]:
    return Scope.of(user), bool(user.is_admin)


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

    return _UNREAD.get(_key(user), build)


def unread_count(user: User) -> int:
    """Unread notifications about records ``user`` may see, up to COUNT_CAP: one query on the
    (user, read_at) index, unless it came with the person's own row (``_with_person``)."""
    key = _key(user)
    if has_request_context():
        prefetched = g.pop(_PREFETCHED, None)
        if prefetched is not None and prefetched[:2] == (user.id, key):
            return prefetched[2]
    count = int(read_columns(_unread_statement(user), {"user_id": user.id}).scalar() or 0)
    _remember(user.id, key)
    return count


def _remember(person: int, key: tuple[Scope, bool]) -> None:
    if len(_LAST_KEY) >= _LAST_KEY_LIMIT:
        _LAST_KEY.clear()
    _LAST_KEY[person] = key


def _with_person(person: int) -> accounts.ReadWithPerson | None:
    """The header's unread count, read in the statement that loads the signed-in person, for a
    GET that renders a page (the header shows it): one round trip to the database fewer on
    every signed-in page. The person's scope is known only from the row that statement loads,
    so the count is read under the scope of their last count here and kept for the page only
    if the row says it is still theirs (``_read_with_person``); otherwise the header counts
    again as before. Not when the page cache already holds the count (read with its versions)."""
    if (
        not has_request_context()
        or request.method != "GET"
        or request.headers.get("HX-Request")
        or request.path.startswith("/api/")
        or g.get("pagecache_unread_kept") is not None
    ):
        return None
    key = _LAST_KEY.get(person)
    if key is None:
        return None
    statement = _UNREAD.find(key)
    if statement is None:
        return None
    return accounts.ReadWithPerson(
        key, lambda: statement.correlate(None).scalar_subquery(), _read_with_person
    )


def _read_with_person(user: User, key: Any, value: Any) -> None:
    if _key(user) == key:
        setattr(g, _PREFETCHED, (user.id, key, int(value or 0)))


accounts.read_with_person(_with_person)


@user_logged_in.connect
def _signed_in(_app: Any, user: Any) -> None:
    """A person who signs in is known to this worker from then on: the page they go to reads
    its header's count with them at once."""
    _unread_statement(user)
    _remember(user.id, _key(user))


@event.listens_for(Session, "after_flush")
def _forget_prefetched(session: Session, _context: Any) -> None:
    """A request that writes anything counts again: the count read with the person was read
    before it (notifications are marked read by POSTs, which never read it early)."""
    if has_request_context():
        g.pop(_PREFETCHED, None)


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
