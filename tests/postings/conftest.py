"""The two kinds of posting, described once so that a test of what they share runs for both."""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest

from portal.core.enums import NeedStatus, OfferStatus
from portal.needs import services as need_services
from portal.needs.models import Need
from portal.offers import services as offer_services
from portal.offers.models import Offer
from tests.factories import post_need, post_offer


@dataclass(frozen=True)
class Kind:
    name: str  # "need"
    model: type
    services: ModuleType
    post: Any  # post_need / post_offer from tests/factories.py
    owner: str  # who posts one in the standard cast
    outsiders: tuple[str, ...]  # who may see a posting but not change it
    other_roles: tuple[str, ...]  # who may not post this kind at all
    state_changes: tuple[str, ...]  # the state-change endpoints

    @property
    def prefix(self) -> str:
        return f"/{self.name}s"

    @property
    def status(self) -> Any:
        return self.model.Status

    def change(self, action: str) -> Any:
        """The service function behind a state change: ``publish_need``, ``withdraw_offer`` …"""
        return getattr(self.services, f"{action}_{self.name}")


NEED = Kind(
    name="need",
    model=Need,
    services=need_services,
    post=post_need,
    owner="requester",
    outsiders=("other_requester", "expert", "coordinator", "admin"),
    other_roles=("expert", "coordinator", "admin", "other_expert"),
    state_changes=("publish", "withdraw", "close"),
)
OFFER = Kind(
    name="offer",
    model=Offer,
    services=offer_services,
    post=post_offer,
    owner="expert",
    outsiders=("other_expert", "requester", "coordinator", "admin"),
    other_roles=("requester", "other_requester", "coordinator", "admin"),
    state_changes=("publish", "withdraw"),
)
KINDS = [pytest.param(NEED, id="need"), pytest.param(OFFER, id="offer")]
assert NeedStatus.DRAFT == OfferStatus.DRAFT == "draft"


@pytest.fixture(params=KINDS)
def kind(request) -> Kind:
    return request.param


@pytest.fixture
def make_posting(kind, users):
    """``make_posting(publish=True, who=<the kind's owner>, **values)`` through the services."""

    def make(*, who: str | None = None, **values: Any):
        return kind.post(users[who or kind.owner], **values)

    return make
