"""Conflict-safe edits: an edit made on a stale version is refused, and nothing is lost."""

from __future__ import annotations

from typing import Any


class EditConflict(Exception):
    """Someone saved the record after the editor loaded it.

    ``theirs`` is the record as it is now; the view re-renders the editor's input beside it
    with status 409 so the editor can merge and save again.
    """

    def __init__(self, record: Any, expected_version: int) -> None:
        super().__init__(f"stale version {expected_version} of {record!r}")
        self.record = record
        self.expected_version = expected_version


def check_version(record: Any, expected_version: int | None) -> None:
    if expected_version is None or int(expected_version) != record.version:
        raise EditConflict(record, int(expected_version or 0))
