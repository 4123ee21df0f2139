"""Fixtures for the offers tests: themes by code, and offers made through the services, as an
expert would (tests/factories.py)."""

from __future__ import annotations

import pytest

from portal.extensions import db
from portal.reference.models import Theme
from tests.factories import post_offer


@pytest.fixture
def themes(app) -> dict[str, Theme]:
    return {t.code: t for t in db.session.scalars(db.select(Theme))}


@pytest.fixture
def make_offer(users):
    """``make_offer(title=..., themes=("water_sewage",), publish=True, who="expert")``."""

    def _make(*args, who: str = "expert", themes: tuple[str, ...] = ("it_digital",), **values):
        return post_offer(users[who], *args, theme_codes=themes, **values)

    return _make
