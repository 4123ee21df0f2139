"""Values that stay current until the next write: read once, then kept until anything changes.

A list a page must show as it is now (the dashboard's overdue milestones and projects at risk, a
short list's exact count) need not be read again on every request: it is the same until a
transaction writes something a page may show, and every such transaction bumps the **data
version** once it has committed (``core.pagecache``). A value kept under the version and the day
it was read in (lists that say "overdue" or "ends within 60 days" read the date) is therefore
exactly what reading it again would give, on every worker and app server sharing Redis. The
version is read before the value is built, so a value never claims a version older than what it
read.

The key carries the viewer's visibility scope (``Scope.key``, the object the SQL rules are built
from) as every kept page does: people who see different records never share a value. Without a
data version (Redis unreachable) or without ``seconds`` nothing is kept: the value is read.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Hashable
from datetime import date
from typing import Any, TypeVar

from portal.core import pagecache
from portal.extensions import cache

log = logging.getLogger(__name__)
T = TypeVar("T")


def moment() -> tuple[int, str] | None:
    """The data version the request reads under and today's date; None when the cache does not
    answer (then nothing can be kept as current)."""
    version = pagecache.data_version()
    return None if version is None else (version, date.today().isoformat())


def key(name: str, scope_key: Hashable, parts: Hashable) -> str:
    """Where ``name``'s value is kept for this scope and ``parts`` (the filters, a length): the
    key ``kept_until_written`` takes, which a caller may read with other entries in one round
    trip."""
    digest = hashlib.sha256(repr((scope_key, parts)).encode()).hexdigest()[:32]
    return f"current:{pagecache.release()}:{name}:{digest}"


# ``read`` of a caller that has not read the entry itself.
UNREAD: Any = object()


def kept_until_written(
    where: str, build: Callable[[], T], seconds: int, *, read: Any = UNREAD
) -> T:
    """What ``build()`` gives, kept under ``where`` (made by ``key``) and read again only after
    a write (or a new day, or ``seconds`` as a backstop). ``read`` is the entry under ``where``
    when the caller has read it already."""
    now = moment() if seconds > 0 else None
    if now is None:
        return build()
    kept: Any = read
    if kept is UNREAD:
        try:
            kept = cache.get(where)
        except Exception as error:  # Redis away: read, keep nothing
            log.warning("cache unavailable: %s", error)
            return build()
    if isinstance(kept, tuple) and len(kept) == 2 and kept[0] == now:
        return kept[1]
    value = build()
    try:
        cache.set(where, (now, value), timeout=seconds)
    except Exception as error:
        log.warning("cache unavailable: %s", error)
    return value
