"""The records people discuss, follow and attach documents to, by kind.

A kind is the short name the portal already uses for a record in URLs, audit events and text
owners ("need", "offer", "match", "project", "milestone", "status_report"). Comments, documents,
follows and notifications store ``(kind, id)`` instead of a foreign key per table; this registry
turns the pair back into the record, and every record answers ``can_view(user)`` — milestones and
status reports with their project's rule.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from portal.extensions import db

# kind → model class, filled as the domain models are defined (``register_record_kind``;
# ``TextOwnerMixin`` registers each text owner under its text kind).
RECORD_KINDS: dict[str, type[Any]] = {}


def register_record_kind(kind: str, model: type[Any]) -> None:
    RECORD_KINDS[kind] = model
    model.__record_kind__ = kind


def record_kind(kind: str) -> Callable[[type[Any]], type[Any]]:
    """Class decorator: ``@record_kind("match")``."""

    def register(model: type[Any]) -> type[Any]:
        register_record_kind(kind, model)
        return model

    return register


def kind_of(record: Any) -> str:
    """The kind of a registered record (``LookupError`` for anything else)."""
    kind = getattr(type(record), "__record_kind__", None)
    if kind is None or RECORD_KINDS.get(kind) is not type(record):
        raise LookupError(type(record).__name__)
    return kind


def load_record(kind: str, record_id: int | None) -> Any | None:
    """The record of this kind and id, or None when the kind is unknown or the row is gone.
    Visibility is the caller's to check (``record.can_view(user)``)."""
    model = RECORD_KINDS.get(kind)
    if model is None or record_id is None:
        return None
    return db.session.get(model, record_id)


def visible_ids(kind: str, user: Any) -> Any:
    """SQL: the ids of the records of ``kind`` that ``user`` may see (``Select`` of one column).

    Each record's own ``visible_to`` where it has one; a match also needs its need and offer
    joined; milestones and status reports answer with their project's rule."""
    from sqlalchemy import select

    model = RECORD_KINDS[kind]
    if hasattr(model, "visible_to"):
        statement = select(model.id)
        if kind == "match":
            need = model.need.property.mapper.class_
            offer = model.offer.property.mapper.class_
            statement = statement.join(need, model.need).join(offer, model.offer)
        return statement.where(model.visible_to(user))
    project = model.project.property.mapper.class_
    return select(model.id).join(project, model.project).where(project.visible_to(user))


class AttachedToRecordMixin:
    """Columns and visibility of a row that hangs off any record (a comment, a document): the
    record's kind and id, and the record's own rule for who may see it."""

    # The kinds a row of this class may hang off (a subset of RECORD_KINDS).
    attachable_kinds: tuple[str, ...] = ()

    record_kind: Any
    record_id: Any

    @property
    def record(self) -> Any | None:
        return load_record(self.record_kind, self.record_id)

    def can_view(self, user: Any) -> bool:
        record = self.record
        return record is not None and bool(record.can_view(user))

    @classmethod
    def visible_to(cls, user: Any) -> Any:
        """SQL predicate: the rows whose record ``user`` may see."""
        from sqlalchemy import and_, or_

        return or_(
            *(
                and_(cls.record_kind == kind, cls.record_id.in_(visible_ids(kind, user)))
                for kind in cls.attachable_kinds
            )
        )
