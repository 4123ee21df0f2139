from __future__ import annotations

import pytest

from portal.api import services
from portal.extensions import db


@pytest.fixture
def token_for(users):
    """``token_for("expert")``: a fresh API token's secret for one of the standard cast."""

    def make(who: str) -> str:
        _token, secret = services.create_token(users[who], f"test {who}")
        db.session.commit()
        return secret

    return make


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}
