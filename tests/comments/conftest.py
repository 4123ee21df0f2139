"""Fixtures for the comments tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def told(monkeypatch):
    """What the services told the notifications, read at the time: (event kind, record kind,
    record id, actor's e-mail, mentioned people's e-mails) each."""
    calls: list[tuple] = []

    def notify(kind, record, actor, *, mentioned=()):
        from portal.core.records import kind_of

        calls.append((kind, kind_of(record), record.id, actor.email, [p.email for p in mentioned]))

    monkeypatch.setattr("portal.comments.services.notify", notify)
    monkeypatch.setattr("portal.documents.services.notify", notify)
    return calls
