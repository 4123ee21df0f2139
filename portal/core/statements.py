"""Reading statements built once and kept, and run past the ORM's execution layer.

A statement that carries a visibility rule (``visible_to``) is a large tree: building it and
computing its cache key on every request cost more than running it (the need page's matches
panel: 18 million instructions of 93 per page). Such a statement is built once per what its
rule is made of (the reader's ``Scope``, and what else the builder reads of the reader), with
the record, the person and the dates as bound parameters, and kept in the worker: SQLAlchemy
remembers a statement's cache key on the statement, so a kept one is neither built nor hashed
again.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from portal.extensions import db


class KeptStatements:
    """Statements by key, built by ``build()`` the first time a key is asked for. The key must
    hold everything the statement is built from but its bound parameters; the reader's scope
    (``Scope.of``, the visibility rules' own input) is always part of it. At ``limit`` keys
    they are all forgotten and built again as asked (a key per organisation and language)."""

    def __init__(self, limit: int = 1024) -> None:
        self.limit = limit
        self._kept: dict[Hashable, Any] = {}

    def get(self, key: Hashable, build: Callable[[], Any]) -> Any:
        statement = self._kept.get(key)
        if statement is None:
            if len(self._kept) >= self.limit:
                self._kept.clear()
            statement = self._kept[key] = build()
        return statement

    def find(self, key: Hashable) -> Any | None:
        """The statement kept under ``key``, if one was built."""
        return self._kept.get(key)


def read_columns(statement: Any, values: dict[str, Any]) -> Any:
    """A reading statement run on the session's connection, past the ORM's execution layer
    (which cost a fifth of a read: these statements load no ORM rows). Changes waiting in the
    session are flushed first, as the session's own execute would."""
    db.session.flush()
    return db.session.connection().execute(statement, values)


# psycopg turns a query's %(name)s placeholders into PostgreSQL's $1, $2 with a regular
# expression, and keeps the result only for queries of at most 4,096 bytes and 50 parameters.
# The portal runs a fixed set of statements; a few are longer (a signed-in page's person with
# the header's unread count: 5.3 kB, 48 parameters), and those were converted again on every
# request: a fifth of the needs list's instructions. Kept up to these sizes instead.
PSYCOPG_KEPT_QUERY_BYTES = 16_384
PSYCOPG_KEPT_QUERY_PARAMETERS = 200


def keep_long_queries_converted() -> None:
    """Let psycopg keep the conversion of the portal's longer statements (once per process)."""
    try:
        from psycopg import _queries
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return
    limits = (
        ("MAX_CACHED_STATEMENT_LENGTH", PSYCOPG_KEPT_QUERY_BYTES),
        ("MAX_CACHED_STATEMENT_PARAMS", PSYCOPG_KEPT_QUERY_PARAMETERS),
    )
    for name, value in limits:
        if isinstance(getattr(_queries, name, None), int):
            setattr(_queries, name, max(getattr(_queries, name), value))
