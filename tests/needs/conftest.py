"""Fixtures for the needs tests: themes and districts by code, and needs made through the
services, as a requester would (tests/factories.py)."""

from __future__ import annotations

import pytest

from portal.extensions import db
from portal.reference.models import District, Theme
from tests.factories import post_need


@pytest.fixture
def themes(app) -> dict[str, Theme]:
    return {t.code: t for t in db.session.scalars(db.select(Theme))}


@pytest.fixture
def districts(app) -> dict[str, District]:
    return {d.name_en: d for d in db.session.scalars(db.select(District))}


@pytest.fixture
def make_need(users):
    """``make_need(title=..., theme="water_sewage", publish=True, who="requester")``."""

    def _make(*args, who: str = "requester", theme: str = "it_digital", **values):
        return post_need(users[who], *args, theme_code=theme, **values)

    return _make
