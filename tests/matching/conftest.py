"""Needs, offers and matches for the matching tests, built directly with the models."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from portal.agreements.models import Agreement
from portal.content.models import Text
from portal.core.enums import (
    HelpKind,
    MatchStatus,
    NeedStatus,
    OfferStatus,
    Priority,
    Side,
    Visibility,
)
from portal.core.types import utcnow
from portal.extensions import db
from portal.matching.models import Match
from portal.needs.models import Need
from portal.offers.models import Offer
from portal.reference.models import Theme

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


def _text(body: str, lang: str, author: Any, translations: dict[str, str] | None) -> Text:
    text = Text.new(body, lang, author)
    for other, translated in (translations or {}).items():
        text.set_version(other, translated, author)
    return text


@pytest.fixture
def make_need(users, agreement, themes) -> Callable[..., Need]:
    def make(
        title: str = "Leak detection in the water network",
        description: str = "Training for engineers who look for leaks in old pipes.",
        *,
        lang: str = "en",
        title_translations: dict[str, str] | None = None,
        description_translations: dict[str, str] | None = None,
        by: str = "requester",
        theme: str = "water_sewage",
        help_kind: HelpKind = HelpKind.TRAINING,
        wanted_from: date | None = None,
        wanted_until: date | None = None,
        person_days: int | None = 30,
        visibility: Visibility = Visibility.PARTNERS,
        status: NeedStatus = NeedStatus.OPEN,
        priority: Priority = Priority.HIGH,
        commit: bool = True,
    ) -> Need:
        author = users[by]
        need = Need(
            agreement=agreement,
            organisation_id=author.organisation_id,
            created_by=author,
            theme=themes[theme],
            title=_text(title, lang, author, title_translations),
            description=_text(description, lang, author, description_translations),
            priority=priority,
            help_kind=help_kind,
            wanted_from=wanted_from,
            wanted_until=wanted_until,
            person_days=person_days,
            visibility=visibility,
            status=status,
            published_at=None if status == NeedStatus.DRAFT else utcnow(),
        )
        db.session.add(need)
        if commit:
            db.session.commit()
        return need

    return make


@pytest.fixture
def make_offer(users, agreement, themes) -> Callable[..., Offer]:
    def make(
        title: str = "Leak detection training",
        description: str = "Our engineers teach acoustic leak detection.",
        *,
        lang: str = "en",
        title_translations: dict[str, str] | None = None,
        description_translations: dict[str, str] | None = None,
        by: str = "expert",
        theme_codes: tuple[str, ...] = ("water_sewage",),
        help_kind: HelpKind = HelpKind.TRAINING,
        available_from: date | None = None,
        available_until: date | None = None,
        capacity_days: int = 40,
        committed_days: int = 0,
        visibility: Visibility = Visibility.PARTNERS,
        status: OfferStatus = OfferStatus.OPEN,
        commit: bool = True,
    ) -> Offer:
        author = users[by]
        offer = Offer(
            agreement=agreement,
            organisation_id=author.organisation_id,
            created_by=author,
            themes=[themes[c] for c in theme_codes],
            title=_text(title, lang, author, title_translations),
            description=_text(description, lang, author, description_translations),
            help_kind=help_kind,
            capacity_days=capacity_days,
            committed_days=committed_days,
            available_from=available_from or TODAY,
            available_until=available_until or TODAY + timedelta(days=365),
            visibility=visibility,
            status=status,
            published_at=None if status == OfferStatus.DRAFT else utcnow(),
        )
        db.session.add(offer)
        if commit:
            db.session.commit()
        return offer

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
        side = user.side
        now = utcnow()
        match = Match(
            need=need,
            offer=offer,
            status=status,
            score=50,
            reasons=["help_kind:training", "period_full"],
            proposed_side=side,
            proposed_by_id=user.id,
            proposed_at=now,
        )
        if side == Side.REQUESTER:
            match.requester_accepted_by_id, match.requester_accepted_at = user.id, now
        elif side == Side.EXPERT:
            match.expert_accepted_by_id, match.expert_accepted_at = user.id, now
        db.session.add(match)
        if commit:
            db.session.commit()
        return match

    return make
