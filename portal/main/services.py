"""What waits for a signed-in user, and what a visitor sees first."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Waiting:
    proposals: list[Any] = field(default_factory=list)
    milestones_due: list[Any] = field(default_factory=list)
    reports_due: list[Any] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.proposals or self.milestones_due or self.reports_due)


def waiting_for(user: Any) -> Waiting:
    return Waiting()


def public_overview() -> dict[str, Any]:
    return {}
