"""Keyset pagination: a page ends where the last row's sort key and id say, not at an offset.

The cursor is opaque to callers: the last row's sort key and id as JSON, base64url-encoded. A
cursor someone made up only moves where the page starts: the query it narrows still holds the
viewer's visibility rule, so it can never show more.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_

from portal.extensions import db


class BadCursor(ValueError):
    """The cursor was not made by this API (or by this list)."""


def _datetime(value: Any) -> datetime:
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(value)
    return parsed


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**31:
        raise ValueError(value)
    return value


DECODERS: dict[type, Callable[[Any], Any]] = {
    datetime: _datetime,
    date: date.fromisoformat,
    int: _int,
}


@dataclass(frozen=True)
class Keyset:
    """The order of a list: one sort column (``key``, of ``key_type``) then the id, both in one
    direction."""

    name: str  # which list the cursor belongs to: a cursor of another list is refused
    key: Any
    key_type: type
    id: Any
    descending: bool = True

    def order_by(self) -> list[Any]:
        if self.descending:
            return [self.key.desc(), self.id.desc()]
        return [self.key.asc(), self.id.asc()]

    def after(self, values: tuple[Any, int]) -> ColumnElement[bool]:
        key, last_id = values
        if self.descending:
            return or_(self.key < key, and_(self.key == key, self.id < last_id))
        return or_(self.key > key, and_(self.key == key, self.id > last_id))

    def encode(self, row: Any) -> str:
        key = getattr(row, self.key.key)
        plain = key.isoformat() if isinstance(key, date | datetime) else key
        raw = json.dumps([self.name, plain, row.id], separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def decode(self, cursor: str) -> tuple[Any, int]:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            name, key, last_id = json.loads(raw)
            if name != self.name:
                raise BadCursor(cursor)
            return DECODERS[self.key_type](key), _int(last_id)
        except (BadCursor, ValueError, TypeError, binascii.Error, UnicodeDecodeError) as error:
            raise BadCursor(cursor) from error


@dataclass
class Page:
    items: Sequence[Any]
    next_cursor: str | None


def keyset_page(stmt: Select[Any], keyset: Keyset, cursor: str | None, limit: int) -> Page:
    """One page of ``stmt`` (which keeps its WHERE and loader options; its order is replaced
    by the keyset's): ``limit`` rows after ``cursor`` and the cursor of the next page."""
    stmt = stmt.order_by(None).order_by(*keyset.order_by())
    if cursor:
        stmt = stmt.where(keyset.after(keyset.decode(cursor)))
    rows = list(db.session.scalars(stmt.limit(limit + 1)).unique())
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, keyset.encode(rows[-1]) if more and rows else None)
