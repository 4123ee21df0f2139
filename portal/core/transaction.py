"""Work that must wait until the request's transaction is committed.

Services flush and never commit (the request commits once, see ``portal.core.http``). Whatever
must not happen before the data is durable — forgetting a cached list that other workers would
otherwise fill again from the old rows, sending mail — is handed to :func:`call_after_commit`.
A rollback drops what was waiting, so nothing is announced that did not happen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from portal.extensions import db

_KEY = "portal_after_commit"


def call_after_commit(callback: Callable[[], Any]) -> None:
    """Run ``callback`` once the current transaction commits; never if it rolls back. The same
    callback waits only once per transaction."""
    waiting: list[Callable[[], Any]] = db.session.info.setdefault(_KEY, [])
    if callback not in waiting:
        waiting.append(callback)


@event.listens_for(Session, "after_commit")
def _run_waiting(session: Session) -> None:
    waiting = session.info.pop(_KEY, [])
    for callback in waiting:
        callback()


@event.listens_for(Session, "after_soft_rollback")
def _drop_waiting(session: Session, previous: SessionTransaction) -> None:
    if previous.parent is None:  # the outermost transaction; a savepoint keeps what waits
        session.info.pop(_KEY, None)
