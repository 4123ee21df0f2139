"""How many records a filtered list holds, without counting every one of them on every request.

Up to ``EXACT_UP_TO`` the count is exact and current: the database stops reading at the first
row past the limit (``LIMIT`` in a subquery), so it costs at most what reading a thousand ids
does, and the number always agrees with the list under it (a need just posted is counted). It
is kept too, but only for the **data version** (which every committed write bumps) and day it
was counted in (``core.current.moment``): the next reader of the same list and scope reads it
until anything is written. (An expert's list filtered by theme and priority cost 8 ms of
PostgreSQL per request to count, at 100,000 needs.) Past it, the number changes while people
read it anyway and nobody counts "12,346 needs" one by one: the whole count is made once and
kept in the shared cache for ``LIST_COUNT_SECONDS`` per list, **visibility scope** and
filters, and shown rounded as "about 12,000 needs". A text search past the limit (and any list
when counts are not kept) says "more than 1,000": counting every match of a search is what
costs most.

The cache key carries the viewer's ``core.visibility.Scope.key``, the very object every
``visible_to`` is built from, so people who see different records never share a kept count.

A kept count read from the shared cache is also kept in the worker for ``LOCAL_SECONDS`` (per
app, under the same key), so that a list page or the welcome page (three counts) does not ask
Redis for a number it asked for a moment ago: "about 12,000" a few seconds older is still
about 12,000, and the shared entry is a minute old already.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from threading import Lock
from typing import Any

from cachetools import TTLCache
from flask import Flask, current_app, has_app_context
from sqlalchemy import Select, func, select

from portal.core import current
from portal.extensions import cache, db

log = logging.getLogger(__name__)

EXACT_UP_TO = 1_000
LOCAL_SECONDS = 5  # a kept count read from the shared cache, kept in the worker this long
LOCAL_COUNTS = 4096  # at most this many per worker (lists x scopes x filters)


@dataclass(frozen=True)
class ListCount:
    """``value`` records, exactly when ``exact``; else about that many (``at_least``: more than
    that many, not counted further)."""

    value: int
    exact: bool = True
    at_least: bool = False

    @property
    def shown(self) -> int:
        """The number to print: exact, or rounded so that it does not pretend to be."""
        if self.exact or self.at_least:
            return self.value
        step = 100 if self.value < 10_000 else 1_000
        return max(EXACT_UP_TO, round(self.value / step) * step)


def _key(list_name: str, scope: Any, filters: Any) -> str:
    raw = repr((list_name, scope, filters))
    return "list-count:" + hashlib.sha256(raw.encode()).hexdigest()[:32]


def count_list(
    stmt: Select[Any] | Callable[[], Select[Any]],
    id_column: Any,
    list_name: str,
    scope: Any,
    filters: Any,
    *,
    searched: bool = False,
) -> ListCount:
    """The count of the rows of ``stmt`` (a filtered select without order or loader options,
    or the function that builds it: a kept count needs none) as a list shows it. ``scope`` is
    the viewer's visibility scope, ``filters`` what narrowed ``stmt``."""
    seconds = current_app.config.get("LIST_COUNT_SECONDS", 0) if has_app_context() else 0
    kept_here = bool(seconds) and not searched
    key = _key(list_name, scope, filters)
    counted_at = None
    if kept_here:
        kept = _get(key, seconds)
        if isinstance(kept, ListCount):  # a long list, counted a moment ago
            return kept
        counted_at = current.moment()
        if counted_at is not None and isinstance(kept, ShortCount) and kept.at == counted_at:
            return kept.count  # a short list, counted since the last write
    if not isinstance(stmt, Select):
        stmt = stmt()
    rows = stmt.order_by(None).with_only_columns(id_column)
    bounded = (
        db.session.scalar(select(func.count()).select_from(rows.limit(EXACT_UP_TO + 1).subquery()))
        or 0
    )
    if bounded <= EXACT_UP_TO:
        exact = ListCount(bounded)
        if counted_at is not None:
            _put(key, ShortCount(counted_at, exact), seconds)
        return exact
    if not kept_here:
        return ListCount(EXACT_UP_TO, exact=False, at_least=True)
    total = db.session.scalar(select(func.count()).select_from(rows.subquery())) or 0
    found = ListCount(total, exact=False)
    _put(key, found, seconds)
    return found


@dataclass(frozen=True)
class ShortCount:
    """An exact count kept under the list's key, good only at the moment it was counted in."""

    at: tuple[int, str]  # the data version and the day
    count: ListCount


def _put(key: str, found: ListCount | ShortCount, seconds: float) -> None:
    try:
        cache.set(key, found, timeout=int(seconds))
    except Exception as error:
        log.warning("list count cache unavailable: %s", error)
    _local(seconds).put(key, found)


class _LocalCounts:
    """The worker's own copy of kept counts (``LOCAL_SECONDS``), one per app: the test suite's
    apps, each on a database of its own, never read each other's."""

    def __init__(self, seconds: float) -> None:
        self._kept: TTLCache[str, ListCount | ShortCount] = TTLCache(
            maxsize=LOCAL_COUNTS, ttl=seconds
        )
        self._lock = Lock()

    def get(self, key: str) -> ListCount | ShortCount | None:
        with self._lock:
            return self._kept.get(key)

    def put(self, key: str, count: ListCount | ShortCount) -> None:
        with self._lock:
            self._kept[key] = count


def _local(seconds: float) -> _LocalCounts:
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    local = app.extensions.get("portal_list_counts")
    if local is None:
        local = app.extensions["portal_list_counts"] = _LocalCounts(min(LOCAL_SECONDS, seconds))
    return local


def _get(key: str, seconds: float) -> Any:
    local = _local(seconds)
    found = local.get(key)
    if found is not None:
        return found
    try:
        found = cache.get(key)
    except Exception as error:  # Redis unreachable: count, as without a cache
        log.warning("list count cache unavailable: %s", error)
        return None
    if isinstance(found, ListCount | ShortCount):
        local.put(key, found)
    return found
