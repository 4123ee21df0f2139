"""Needs, offers and matches for the matching tests, built directly with the models
(tests/factories.py) with the defaults these tests share."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from portal.agreements.models import Agreement
from portal.core.enums import (
    HelpKind,
    MatchStatus,
    Side,
)
from portal.extensions import db
from portal.matching.models import Match
from portal.needs.models import Need
from portal.offers.models import Offer
from portal.reference.models import Theme
from tests import factories

TODAY = date.today()


@pytest.fixture
def agreement(app) -> Agreement:
    agreement = db.session.scalar(db.select(Agreement).filter_by(is_default=True))
    assert agreement is not None
    # The tests must not start failing the day the real agreement expires.
    agreement.valid_from = min(agreement.valid_from, TODAY - timedelta(days=365))
    agreement.valid_until = max(agreement.valid_until, TODAY + timedelta(days=3 * 365))
    db.session.commit()
    return agreement


@pytest.fixture
def themes(app) -> dict[str, Theme]:
    return {t.code: t for t in db.session.scalars(db.select(Theme))}


@pytest.fixture
def make_need(users, agreement, themes) -> Callable[..., Need]:
    def make(
        title: str = "Leak detection in the water network",
        description: str = "Training for engineers who look for leaks in old pipes.",
        *,
        lang: str = "en",
        by: str = "requester",
        theme: str = "water_sewage",
        help_kind: HelpKind = HelpKind.TRAINING,
        person_days: int | None = 30,
        **values: Any,
    ) -> Need:
        return factories.make_need(
            users[by],
            title=title,
            description=description,
            lang=lang,
            theme_code=theme,
            help_kind=help_kind,
            person_days=person_days,
            in_agreement=agreement,
            **values,
        )

    return make


@pytest.fixture
def make_offer(users, agreement, themes) -> Callable[..., Offer]:
    def make(
        title: str = "Leak detection training",
        description: str = "Our engineers teach acoustic leak detection.",
        *,
        lang: str = "en",
        by: str = "expert",
        capacity_days: int = 40,
        available_until: date | None = None,
        **values: Any,
    ) -> Offer:
        return factories.make_offer(
            users[by],
            title=title,
            description=description,
            lang=lang,
            capacity_days=capacity_days,
            available_until=available_until or TODAY + timedelta(days=365),
            in_agreement=agreement,
            **values,
        )

    return make


@pytest.fixture
def make_match(users) -> Callable[..., Match]:
    """A match stored as it is, without the services (for lists and query counts)."""

    def make(
        need: Need,
        offer: Offer,
        *,
        by: str = "requester",
        status: MatchStatus = MatchStatus.PROPOSED,
        commit: bool = True,
    ) -> Match:
        user = users[by]
        return factories.make_match(
            need,
            offer,
            user,
            status=status,
            requester=user if user.side == Side.REQUESTER else None,
            expert=user if user.side == Side.EXPERT else None,
            score=50,
            reasons=["help_kind:training", "period_full"],
            commit=commit,
        )

    return make
