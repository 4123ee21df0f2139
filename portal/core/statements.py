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
