"""The demo data shows unread notifications in every demo account's inbox."""

from __future__ import annotations

from sqlalchemy import select

from portal.accounts.models import User
from portal.extensions import db
from portal.notifications import queries
from portal.seed.demo import DEMO_ACCOUNTS, load_demo


def test_every_demo_account_has_unread_notifications_it_may_see(app):
    assert load_demo() is True
    for email in DEMO_ACCOUNTS:
        user = db.session.scalar(select(User).where(User.email == email))
        assert queries.unread_count(user) >= 2, email
        _page, items = queries.inbox(user, kind=None, unread_only=True, page=1)
        assert len(items) >= 2, email
