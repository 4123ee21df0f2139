"""Keyset pagination of the lists people page through (needs, offers, projects).

A page starts after (or ends before) the row whose sort key values and id the link carries, so
page 500 costs the database what page 1 does, where OFFSET read and threw away every row before
it. The link's cursor is those values, signed with the portal's secret key: a cursor that was
not made here for this list and this order is ignored and the first page shown (it could only
ever move where a page starts, never widen what the viewer's visibility rule lets through).

An old ``?page=N`` link still works: it is read with OFFSET once (at most ``MAX_PAGE``), and its
next and previous links are cursors.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache, lru_cache, partial
from typing import Any

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import ColumnElement, Select, and_, false, or_

from portal.core.paging import MAX_PAGE, page_number
from portal.core.statements import KeptStatements, read_columns
from portal.extensions import db

CURSOR_MAX = 400  # characters; a made cursor is about a hundred


@dataclass(frozen=True)
class SortKey:
    """One column (or expression) of a list's order. ``nullable`` keys put NULLs last."""

    expr: Any
    descending: bool = False
    nullable: bool = False

    def ordering(self, backwards: bool = False) -> Any:
        descending = self.descending != backwards
        term = self.expr.desc() if descending else self.expr.asc()
        if self.nullable:
            term = term.nulls_first() if backwards else term.nulls_last()
        return term

    def equal(self, value: Any) -> ColumnElement[bool]:
        return self.expr.is_(None) if value is None else self.expr == value

    def beyond(self, value: Any, backwards: bool) -> ColumnElement[bool]:
        """The rows strictly after ``value`` in this key's order (before it, ``backwards``)."""
        if value is None:  # NULLs come last
            return self.expr.is_not(None) if backwards else false()
        later = self.expr < value if self.descending != backwards else self.expr > value
        if self.nullable and not backwards:
            return or_(later, self.expr.is_(None))
        return later


@dataclass(frozen=True)
class Order:
    """A list's order: sort keys ending in a unique one (the id). ``name`` names the list and
    the order, so that a cursor of another list or order is refused."""

    name: str
    keys: tuple[SortKey, ...]

    def order_by(self, backwards: bool = False) -> list[Any]:
        return [key.ordering(backwards) for key in self.keys]

    def beyond(self, values: Sequence[Any], backwards: bool = False) -> ColumnElement[bool]:
        """The rows after the row with these key values (before it, ``backwards``)."""
        either: list[ColumnElement[bool]] = []
        for position, key in enumerate(self.keys):
            same = [k.equal(v) for k, v in zip(self.keys[:position], values, strict=False)]
            either.append(and_(*same, key.beyond(values[position], backwards)))
        condition = or_(*either)
        first, value = self.keys[0], values[0]
        if not first.nullable and value is not None:
            # Redundant, but an index on the first key can serve it (the OR above it cannot).
            bound = first.expr <= value if first.descending != backwards else first.expr >= value
            condition = and_(bound, condition)
        return condition


# ---------------------------------------------------------------- cursors


def _serializer() -> URLSafeSerializer:
    # Signed with the current key; a link made before a key rotation still reads.
    config = current_app.config
    return _serializer_of(
        (*reversed(config.get("SECRET_KEY_FALLBACKS") or []), config["SECRET_KEY"])
    )


@lru_cache(maxsize=8)
def _serializer_of(keys: tuple[str, ...]) -> URLSafeSerializer:
    """One serializer per set of keys, made once: a list page makes two cursors."""
    return URLSafeSerializer(list(keys), salt="list-cursor")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return ["t", value.isoformat()]
    if isinstance(value, date):
        return ["d", value.isoformat()]
    if hasattr(value, "value") and not isinstance(value, bool | int):  # an enum
        return ["s", str(value.value)]
    return value


def _value(plain: Any) -> Any:
    if isinstance(plain, list):
        tag, text = plain
        if tag == "t":
            parsed = datetime.fromisoformat(text)
            if parsed.tzinfo is None:
                raise ValueError(text)
            return parsed
        if tag == "d":
            return date.fromisoformat(text)
        if tag == "s":
            return str(text)
        raise ValueError(tag)
    if plain is None or (isinstance(plain, int | str) and not isinstance(plain, bool)):
        return plain
    raise ValueError(plain)


def encode_cursor(order: Order, values: Sequence[Any]) -> str:
    return str(_serializer().dumps([order.name, [_plain(v) for v in values]]))


def decode_cursor(order: Order, cursor: str | None) -> list[Any] | None:
    """The key values ``cursor`` carries, or None for anything not made for this order."""
    if not cursor or len(cursor) > CURSOR_MAX:
        return None
    try:
        name, plain = _serializer().loads(cursor)
        if name != order.name or len(plain) != len(order.keys):
            return None
        return [_value(v) for v in plain]
    except (BadData, ValueError, TypeError):
        return None


# ---------------------------------------------------------------- pages


@dataclass
class KeysetPage:
    """One page of a list. ``after`` and ``before`` are the cursors of the next and previous
    pages; ``has_prev`` with no ``before`` means the previous page is the first."""

    items: list[Any]
    after: str | None = None
    before: str | None = None
    has_prev: bool = False
    count: Any = None  # the list's count as the page shows it (portal.core.counts.ListCount)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def has_next(self) -> bool:
        return self.after is not None


# The first page of a list (what most visits read) per what its statement is built from
# (``keyset_page``'s ``kept_as``): built and hashed once, not on every request.
_FIRST_PAGES = KeptStatements()


def _keyed(stmt: Select[Any], order: Order, backwards: bool, limit: int, offset: int = 0) -> Any:
    """``stmt`` in ``order`` with its sort keys' values as its last columns, one row past
    ``limit`` (there is a next page when it comes)."""
    keyed = stmt.order_by(None).order_by(*order.order_by(backwards))
    keyed = keyed.add_columns(*(key.expr for key in order.keys)).limit(limit + 1)
    return keyed.offset(offset) if offset else keyed


def _run(keyed: Any, order: Order, whole_rows: bool) -> list[tuple[Any, tuple[Any, ...]]]:
    """The rows of a keyed statement with their sort key values. A select of shown columns
    (``whole_rows``) is run past the ORM's execution layer (``read_columns``)."""
    width = len(order.keys)
    if whole_rows:
        return [(row, tuple(row[-width:])) for row in read_columns(keyed, {})]
    return [(row[0], tuple(row[-width:])) for row in db.session.execute(keyed)]


def _read(
    stmt: Select[Any],
    order: Order,
    backwards: bool,
    limit: int,
    offset: int = 0,
    whole_rows: bool = False,
):
    return _run(_keyed(stmt, order, backwards, limit, offset), order, whole_rows)


def keyset_page(
    stmt: Select[Any] | Callable[[], Select[Any]],
    order: Order,
    args: Mapping[str, str],
    per_page: int,
    *,
    whole_rows: bool = False,
    kept_as: Hashable | None = None,
) -> KeysetPage:
    """The page of ``stmt`` (its WHERE and loader options kept, its order replaced by
    ``order``'s) that ``args`` ask for: ``after``/``before`` a cursor, an old ``page=N``, or
    the first page. Its items are the first column of each row (the record, for a select of
    one entity), or with ``whole_rows`` the rows (a Core select of the shown columns).

    ``stmt`` may be given as the function that builds it. With ``kept_as`` (everything the
    statement is built from: the reader's ``Scope``, the filters, the language) the first
    page's statement is built once and kept under it, as ``KeptStatements`` are."""
    per_page = max(per_page, 1)
    statement = (lambda: stmt) if isinstance(stmt, Select) else cache(stmt)
    _rows = partial(_read, whole_rows=whole_rows)
    after = decode_cursor(order, args.get("after"))
    before = decode_cursor(order, args.get("before")) if after is None else None
    if before is not None:
        rows = _rows(statement().where(order.beyond(before, backwards=True)), order, True, per_page)
        if len(rows) > per_page:
            rows = rows[:per_page][::-1]
            return _page(order, rows, per_page, more=True, has_prev=True, before=True)
        # Nothing before these: the first page (full, even if rows moved meanwhile).
        rows = _rows(statement(), order, False, per_page)
        return _page(order, rows, per_page, more=len(rows) > per_page, has_prev=False)
    if after is not None:
        rows = _rows(statement().where(order.beyond(after)), order, False, per_page)
        return _page(order, rows, per_page, more=len(rows) > per_page, has_prev=True)
    number = page_number(args) if "page" in args else 1
    offset = (min(number, MAX_PAGE) - 1) * per_page
    if kept_as is not None and not offset:
        keyed = _FIRST_PAGES.get(
            (kept_as, order.name, per_page),
            lambda: _keyed(statement(), order, False, per_page),
        )
        rows = _run(keyed, order, whole_rows)
    else:
        rows = _rows(statement(), order, False, per_page, offset)
    return _page(order, rows, per_page, more=len(rows) > per_page, has_prev=offset > 0)


def _page(
    order: Order,
    rows: list[tuple[Any, tuple[Any, ...]]],
    per_page: int,
    more: bool,
    has_prev: bool,
    before: bool = False,
) -> KeysetPage:
    if before:
        # Read backwards: there are rows before the first shown, and the next page follows.
        shown = rows
        return KeysetPage(
            items=[item for item, _ in shown],
            after=encode_cursor(order, shown[-1][1]) if shown else None,
            before=encode_cursor(order, shown[0][1]) if shown else None,
            has_prev=True,
        )
    shown = rows[:per_page]
    return KeysetPage(
        items=[item for item, _ in shown],
        after=encode_cursor(order, shown[-1][1]) if more and shown else None,
        before=encode_cursor(order, shown[0][1]) if has_prev and shown else None,
        has_prev=has_prev and bool(shown),
    )
