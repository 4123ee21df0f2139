"""The API's cursor pagination: the lists' own keyset paging (``portal.core.keyset``), one
direction and one cursor parameter, and a cursor that was not made for the list is an error
(a program should learn it sent a wrong one; a person's link just starts again).

The cursor is opaque to callers (signed by the portal). One someone made up could only move
where the page starts: the query it narrows still holds the viewer's visibility rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select

from portal.core import keyset


class BadCursor(ValueError):
    """The cursor was not made by this API (or by this list)."""


@dataclass(frozen=True)
class Keyset:
    """The order of a list: one sort column (``key``) then the id, both in one direction."""

    name: str  # which list the cursor belongs to: a cursor of another list is refused
    key: Any
    id: Any
    descending: bool = True

    @property
    def order(self) -> keyset.Order:
        keys = [self.key] if self.key is self.id else [self.key, self.id]
        return keyset.Order(
            self.name, tuple(keyset.SortKey(key, descending=self.descending) for key in keys)
        )


@dataclass
class Page:
    items: Sequence[Any]
    next_cursor: str | None


def keyset_page(stmt: Select[Any], by: Keyset, cursor: str | None, limit: int) -> Page:
    """One page of ``stmt`` (which keeps its WHERE and loader options; its order is replaced
    by the keyset's): ``limit`` rows after ``cursor`` and the cursor of the next page."""
    order = by.order
    if cursor and keyset.decode_cursor(order, cursor) is None:
        raise BadCursor(cursor)
    page = keyset.keyset_page(stmt, order, {"after": cursor} if cursor else {}, limit)
    return Page(page.items, page.after)
