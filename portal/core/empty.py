"""Lists a record's page was told are empty by the statement that loaded its record.

A need's or offer's page reads its record with whether any comment and any document is attached
to it (two EXISTS columns of the same statement); most records have neither, and their page then
reads neither list: two statements fewer. The answer holds for the GET that read it only, and
only until that request writes anything."""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

_FOUND_EMPTY = "lists_found_empty"


def found_empty(listed: str, kind: str, record_id: int) -> None:
    """The record's ``listed`` (comments, documents) has nothing in it, as read just now."""
    if has_request_context() and request.method == "GET":
        g.setdefault(_FOUND_EMPTY, set()).add((listed, kind, record_id))


def known_empty(listed: str, kind: str, record_id: int) -> bool:
    return has_request_context() and (listed, kind, record_id) in g.get(_FOUND_EMPTY, ())


def _forget() -> None:
    if has_request_context():
        g.pop(_FOUND_EMPTY, None)


@event.listens_for(Session, "after_flush")
def _forget_after_flush(_session: Session, _context: Any) -> None:
    _forget()


@event.listens_for(Session, "do_orm_execute")
def _forget_after_writing(state: ORMExecuteState) -> None:
    if not state.is_select:
        _forget()
