"""Fixtures for the agreements tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def req(app):
    """A request context, for services whose messages are translated into the reader's
    language (tested without HTTP)."""
    with app.test_request_context():
        yield


@pytest.fixture(autouse=True)
def agreement_valid_for_a_while(app):
    """The default agreement ends on 31 December 2027; keep these tests meaningful after that
    by making sure it is valid for at least another year."""
    from datetime import date, timedelta

    from portal.agreements.services import default_agreement
    from portal.extensions import db

    agreement = default_agreement()
    if agreement.valid_until < date.today() + timedelta(days=365):
        agreement.valid_until = date.today() + timedelta(days=365)
        db.session.commit()
