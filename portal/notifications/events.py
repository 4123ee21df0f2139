"""The one entry point other domains call when something happened that people may need to know.

    notify("comment", need, actor, mentioned=[user, …])
    notify("document", project, actor)

``kind`` names the event (see ``portal.notifications`` for the full list); ``record`` is a
registered record (``portal.core.records``); ``actor`` is who did it (None for the scheduler).
Call it from a service after the change is flushed; who is told, in which language and how, is
decided here, and nothing leaves before the transaction commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def notify(
    kind: str,
    record: Any,
    actor: Any | None,
    *,
    mentioned: Iterable[Any] = (),
) -> None:
    """Record an event about ``record`` for the people who follow it (and those ``mentioned``).

    Placeholder while the notifications package is written: it records nothing yet."""
    return None
