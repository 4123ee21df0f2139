"""What notifications need to know of the records they are about: who takes part in one (and
so follows it without asking), its title for a sentence, its page, and the SQL twin of
``can_view`` for a notification row.

Besides the records of ``portal.core.records`` an event may be about the agreement (its end is
near) or a user (an invitation accepted).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true

from portal.accounts.models import User
from portal.agreements.models import Agreement
from portal.core.enums import Role
from portal.core.records import kind_of, load_record
from portal.core.visibility import is_signed_in
from portal.extensions import db

FOLLOWABLE = ("need", "offer", "match", "project")
# Comments and documents on these are heard by the followers of the project they belong to.
PROJECT_PARTS = ("milestone", "status_report")


def record_kind_of(record: Any) -> str:
    if isinstance(record, Agreement):
        return "agreement"
    if isinstance(record, User):
        return "user"
    return kind_of(record)


def load(kind: str, record_id: int) -> Any | None:
    if kind == "agreement":
        return db.session.get(Agreement, record_id)
    if kind == "user":
        return db.session.get(User, record_id)
    return load_record(kind, record_id)


def can_view(kind: str, record: Any, user: User | None) -> bool:
    if record is None or not is_signed_in(user) or user is None or not user.is_active:
        return False
    if kind == "agreement":
        return True
    if kind == "user":
        return user.is_admin
    return bool(record.can_view(user))


def followed_record(kind: str, record: Any) -> tuple[str, Any]:
    """The record whose followers hear of an event on ``record``."""
    if kind in PROJECT_PARTS:
        return "project", record.project
    return kind, record


def _organisation_ids(kind: str, record: Any) -> list[int]:
    if kind in ("need", "offer"):
        return [record.organisation_id]
    if kind == "match":
        return [record.need.organisation_id, record.offer.organisation_id]
    if kind == "project":
        return [o.id for o in record.organisations]
    return []


def participants(kind: str, record: Any) -> list[User]:
    """Who follows a record by taking part: the people of its organisations (both sides of a
    match, every organisation of a project), whoever proposed a match or started a project;
    coordinators follow the agreement."""
    if kind in PROJECT_PARTS:
        return participants("project", record.project)
    if kind == "agreement":
        return list(
            db.session.scalars(
                select(User).where(User.role == Role.COORDINATOR, User.is_active_account)
            )
        )
    people: list[User] = []
    ids = _organisation_ids(kind, record)
    if ids:
        people = list(
            db.session.scalars(
                select(User).where(
                    User.organisation_id.in_(ids),
                    User.is_active_account,
                    User.role != Role.ADMIN,
                )
            )
        )
    # Whoever proposed a match or started a project follows it (a coordinator, say, whose
    # organisation is on neither side).
    starter = record.proposed_by if kind == "match" else getattr(record, "created_by", None)
    if kind in ("match", "project") and starter is not None and starter not in people:
        people.append(starter)
    return people


def takes_part(user: User, kind: str, record: Any) -> bool:
    """Whether ``user`` is among ``participants(kind, record)``, read off the user and the
    record instead of loading everyone who takes part (a record's page asks it for the follow
    button)."""
    if kind in PROJECT_PARTS:
        return takes_part(user, "project", record.project)
    if kind == "match" and record.proposed_by_id == user.id:
        return True
    if kind == "project" and record.created_by_id == user.id:
        return True
    if not user.is_active_account:
        return False
    if kind == "agreement":
        return user.role == Role.COORDINATOR
    return user.role != Role.ADMIN and user.organisation_id in _organisation_ids(kind, record)


def title(kind: str, record: Any, lang: str) -> str:
    """The record's title in ``lang`` (its original when there is no version in ``lang``)."""
    if kind in ("need", "offer", "project", "milestone"):
        return record.title.render(lang).body
    if kind == "match":
        need, offer = record.need.title.render(lang).body, record.offer.title.render(lang).body
        return f"{need} ↔ {offer}"
    if kind == "status_report":
        return record.project.title.render(lang).body
    if kind == "agreement":
        return record.reference
    if kind == "user":
        return record.name
    return ""


def page_endpoint(kind: str, record: Any) -> tuple[str, dict[str, Any]]:
    """The endpoint and values of the record's page (a milestone's or report's: its project's)."""
    if kind in PROJECT_PARTS:
        return "projects.detail", {"project_id": record.project_id}
    endpoints = {
        "need": ("needs.detail", "need_id"),
        "offer": ("offers.detail", "offer_id"),
        "match": ("matching.detail", "match_id"),
        "project": ("projects.detail", "project_id"),
        "agreement": ("agreements.detail", "agreement_id"),
        "user": ("admin.edit_user", "user_id"),
    }
    endpoint, arg = endpoints[kind]
    return endpoint, {arg: record.id}


def visible_rows(user: User, kind_column: Any, id_column: Any) -> ColumnElement[bool]:
    """SQL: the row's ``(kind, id)`` names a record ``user`` may see (``can_view``'s twin)."""
    from portal.matching.models import Match
    from portal.needs.models import Need
    from portal.offers.models import Offer
    from portal.projects.models import Milestone, Project, StatusReport

    if not is_signed_in(user):
        return false()
    parts = [
        and_(
            kind_column == "need",
            exists(select(Need.id).where(Need.id == id_column, Need.visible_to(user))),
        ),
        and_(
            kind_column == "offer",
            exists(select(Offer.id).where(Offer.id == id_column, Offer.visible_to(user))),
        ),
        and_(
            kind_column == "match",
            exists(
                select(Match.id)
                .join(Need, Need.id == Match.need_id)
                .join(Offer, Offer.id == Match.offer_id)
                .where(Match.id == id_column, Match.visible_to(user))
            ),
        ),
        and_(
            kind_column == "project",
            exists(select(Project.id).where(Project.id == id_column, Project.visible_to(user))),
        ),
        and_(
            kind_column == "milestone",
            exists(
                select(Milestone.id)
                .join(Project, Project.id == Milestone.project_id)
                .where(Milestone.id == id_column, Project.visible_to(user))
            ),
        ),
        and_(
            kind_column == "status_report",
            exists(
                select(StatusReport.id)
                .join(Project, Project.id == StatusReport.project_id)
                .where(StatusReport.id == id_column, Project.visible_to(user))
            ),
        ),
        kind_column == "agreement",
        and_(kind_column == "user", true() if user.is_admin else false()),
    ]
    return or_(*parts)
