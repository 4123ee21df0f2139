"""Fixtures for the needs tests: themes and districts by code, and a factory of needs made
through the services, as a requester would."""

from __future__ import annotations

import pytest

from portal.core.enums import HelpKind, Priority
from portal.extensions import db
from portal.needs import services
from portal.reference.models import District, Theme


@pytest.fixture
def themes(app) -> dict[str, Theme]:
    return {t.code: t for t in db.session.scalars(db.select(Theme))}


@pytest.fixture
def districts(app) -> dict[str, District]:
    return {d.name_en: d for d in db.session.scalars(db.select(District))}


@pytest.fixture
def make_need(users, themes):
    """``make_need(title=..., theme="water_sewage", publish=True, who="requester")``."""

    def _make(
        title: str = "Leak detection in the water network",
        *,
        who: str = "requester",
        theme: str = "it_digital",
        publish: bool = True,
        **values,
    ):
        values.setdefault("description", "We need help to find leaks faster.")
        values.setdefault("lang", "en")
        values.setdefault("priority", Priority.HIGH)
        values.setdefault("help_kind", HelpKind.ADVICE)
        need = services.create_need(users[who], title=title, theme=themes[theme], **values)
        if publish:
            services.publish_need(users[who], need)
        return need

    return _make
