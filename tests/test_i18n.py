"""Choosing the language, plurals, dates and time zones."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from flask_babel import force_locale, format_date, ngettext

from portal.accounts.models import User
from portal.extensions import db


def _lang(response) -> str:
    return re.search(r'<html lang="([a-z]{2})"', response.get_data(as_text=True)).group(1)


def test_default_is_english(client):
    assert _lang(client.get("/")) == "en"


def test_first_visit_follows_accept_language(client):
    response = client.get("/needs/", headers={"Accept-Language": "uk-UA,uk;q=0.9,en;q=0.5"})
    assert _lang(response) == "uk"
    assert "Потреби" in response.get_data(as_text=True)


def test_choice_by_query_is_remembered_for_the_visitor(client):
    assert _lang(client.get("/?lang=sv")) == "sv"
    page = client.get("/needs/", headers={"Accept-Language": "uk"})
    assert _lang(page) == "sv"
    assert "Behov" in page.get_data(as_text=True)


def test_switcher_names_each_language_in_itself(client):
    body = client.get("/?lang=uk").get_data(as_text=True)
    for code, name in (("sv", "Svenska"), ("uk", "Українська"), ("en", "English")):
        assert re.search(rf'lang="{code}"[^>]*>{name}<', body), name


def test_signed_in_choice_is_stored_in_the_profile(client, login):
    login("expert")
    client.post("/language", data={"lang": "uk"})  # the switcher; a GET's ?lang= is not stored
    db.session.expire_all()
    assert (
        db.session.scalar(db.select(User.locale).filter_by(email="expert@stockholm.test")) == "uk"
    )
    client.logout()
    with client.session_transaction() as sess:
        sess.clear()
    login("expert")
    assert _lang(client.get("/")) == "uk"


@pytest.mark.parametrize(
    ("count", "expected"), [(1, "1 потреба"), (2, "2 потреби"), (5, "5 потреб"), (21, "21 потреба")]
)
def test_ukrainian_has_three_plural_forms(app, count, expected):
    with app.test_request_context(), force_locale("uk"):
        assert ngettext("%(num)d need", "%(num)d needs", count) == expected


def test_swedish_plural(app):
    with app.test_request_context(), force_locale("sv"):
        assert ngettext("%(num)d need", "%(num)d needs", 2) == "2 behov"


def test_dates_follow_the_readers_language(app):
    day = datetime(2026, 11, 26, tzinfo=UTC).date()
    with app.test_request_context():
        with force_locale("uk"):
            assert "листопада" in format_date(day, "long")
        with force_locale("sv"):
            assert "november" in format_date(day, "long")


def test_times_in_the_readers_time_zone(app, users):
    from flask_login import login_user

    from portal.core.i18n import format_datetime

    moment = datetime(2026, 6, 1, 21, 30, tzinfo=UTC)
    # A context of its own per reader, as each request has (Flask-Babel caches the zone in g).
    with app.app_context(), app.test_request_context():
        login_user(users["requester"])  # Kyiv: UTC+3 in summer
        assert format_datetime(moment, "short") == "02/06/2026, 00:30"  # past midnight in Kyiv
    with app.app_context(), app.test_request_context():
        login_user(users["expert"])  # Stockholm: UTC+2 in summer
        assert format_datetime(moment, "short") == "01/06/2026, 23:30"  # still 1 June in Stockholm


def test_language_chosen_on_the_sign_in_page_sticks(client, users):
    users["expert"].locale = "sv"
    db.session.commit()
    client.get("/login?lang=uk")
    client.login("expert@stockholm.test")
    assert _lang(client.get("/")) == "uk"
    db.session.expire_all()
    assert (
        db.session.scalar(db.select(User.locale).filter_by(email="expert@stockholm.test")) == "uk"
    )


def test_the_catalog_kept_per_request_follows_force_locale(app):
    """The catalog is looked up once per request (portal.core.i18n.PortalDomain), yet a mail to
    an admin in their own language (force_locale) is written in it, in Python and in templates,
    and the page goes on in the reader's language afterwards."""
    from flask import render_template_string
    from flask_babel import gettext

    page = "{{ _('Needs') }}"
    with app.test_request_context("/", headers={"Accept-Language": "uk"}):
        assert gettext("Needs") == "Потреби"
        assert render_template_string(page) == "Потреби"
        with force_locale("sv"):
            assert gettext("Needs") == "Behov"
            assert render_template_string(page) == "Behov"
        assert gettext("Needs") == "Потреби"
        assert render_template_string(page) == "Потреби"
