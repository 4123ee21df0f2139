"""Fixtures for the offers tests: themes by code, and a factory of offers made through the
services, as an expert would."""

from __future__ import annotations

from datetime import date

import pytest

from portal.core.enums import HelpKind
from portal.extensions import db
from portal.offers import services
from portal.reference.models import Theme


@pytest.fixture
def themes(app) -> dict[str, Theme]:
    return {t.code: t for t in db.session.scalars(db.select(Theme))}


@pytest.fixture
def make_offer(users, themes):
    """``make_offer(title=..., themes=("water_sewage",), publish=True, who="expert")``."""
    by_code = themes

    def _make(
        title: str = "Leak detection with acoustic loggers",
        *,
        who: str = "expert",
        themes: tuple[str, ...] = ("it_digital",),
        publish: bool = True,
        **values,
    ):
        values.setdefault("description", "Our network team has done this for twenty years.")
        values.setdefault("lang", "sv")
        values.setdefault("help_kind", HelpKind.TRAINING)
        values.setdefault("capacity_days", 40)
        values.setdefault("available_from", date(2026, 2, 1))
        values.setdefault("available_until", date(2026, 12, 31))
        offer = services.create_offer(
            users[who], title=title, themes=[by_code[c] for c in themes], **values
        )
        if publish:
            services.publish_offer(users[who], offer)
        return offer

    return _make
