"""The warning before the idle sign-out (WCAG 2.1 SC 2.2.1): what the page is told, the
remaining-time endpoint that is not activity, and "Stay signed in", which really moves the
deadline on the server."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from portal.accounts import services, views
from portal.core.types import utcnow
from tests.conftest import EMAILS

STATUS = "/session"
EXTEND = "/session/extend"


class Clock:
    """The sign-in code's idea of now, moved by the test instead of waited for."""

    def __init__(self) -> None:
        self.now: datetime = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(services, "utcnow", fake)
    monkeypatch.setattr(views, "utcnow", fake)
    return fake


def _template(html: str) -> dict[str, str]:
    match = re.search(r'<template id="session-timeout"([^>]*)>', html)
    assert match, "no timeout warning in the page"
    return dict(re.findall(r'data-([a-z-]+)="([^"]*)"', match.group(1)))


def _seen(client) -> float:
    with client.session_transaction() as sess:
        return sess["seen"]


# ------------------------------------------------------------------ what the page is told


def test_anonymous_pages_carry_no_timeout(client):
    for path in ["/", "/needs/", "/login", "/accessibility"]:
        html = client.get(path).get_data(as_text=True)
        assert "session-timeout" not in html, path
        assert "js/session.js" not in html, path


def test_signed_in_pages_carry_the_timeout_warning(app, login):
    client = login("requester")
    html = client.get("/needs/?status=open").get_data(as_text=True)
    data = _template(html)
    timeout = int(app.config["IDLE_TIMEOUT"].total_seconds())
    # To the minute below (a minute and more before the warning): the script asks the server.
    assert int(data["remaining"]) in (timeout, timeout - 60)
    assert data["warning"] == "120"
    assert data["final"] == "false"
    assert data["status-url"] == STATUS and data["extend-url"] == EXTEND
    # At the end the script opens the sign-in page, which brings the person back here.
    assert data["signin-url"] == "/login?next=/needs/?status%3Dopen&amp;lang=en"
    assert re.search(r'<script src="/static/js/session\.js\?v=[0-9a-f]{12}" defer>', html)
    # The words come from the page, translated; the dialog is announced and named.
    assert 'role="alertdialog"' in html and 'aria-labelledby="session-timeout-title"' in html
    assert "You will soon be signed out" in html and "Stay signed in" in html


def test_the_kept_warning_is_the_addresses_own_with_each_sessions_token(app, login):
    """The warning is kept rendered per address and reader (web.kept_part): the sign-in link
    returns to the page it is on, and its sign-out form carries the token of the session
    reading it (the seconds left are a hole, the request's own)."""
    from portal import web

    web._kept_parts.clear()
    first = login("requester")
    first.get("/needs/?status=open")
    again = first.get("/needs/?status=open").get_data(as_text=True)
    assert any(key[0] == "session-timeout" for key in web._kept_parts._kept)
    other = app.test_client()
    other.login(EMAILS["other_requester"])
    theirs = other.get("/needs/?status=open").get_data(as_text=True)
    token = re.compile(r'data-session-close hidden>.*?name="csrf_token" value="([^"]+)"', re.S)
    assert token.search(again).group(1) != token.search(theirs).group(1)
    assert token.search(theirs).group(1) in theirs.split('<template id="session-timeout"')[0]
    elsewhere = first.get("/offers/").get_data(as_text=True)
    assert _template(elsewhere)["signin-url"] == "/login?next=/offers/&amp;lang=en"


def test_the_warning_speaks_the_readers_language(login):
    client = login("requester")
    html = client.get("/?lang=uk").get_data(as_text=True)
    assert "Залишитися в системі" in html
    html = client.get("/?lang=sv").get_data(as_text=True)
    assert "Förbli inloggad" in html


def test_the_page_states_the_time_left_to_the_minute_until_the_warning_is_near(
    app, login, clock, monkeypatch
):
    client = login("requester")
    clock.advance(seconds=25)  # not yet counted as activity (at most every 30 s)
    assert _template(client.get("/needs/").get_data(as_text=True))["remaining"] == "1740"
    assert client.get(STATUS).get_json()["remaining"] == 1775  # the server's is exact
    # Within a minute of the warning, the page's figure is exact: the script may open the
    # warning with it, deadline and all.
    # (This page counts as activity: the 25 s are past a sixtieth of this shorter timeout.)
    monkeypatch.setitem(app.config, "IDLE_TIMEOUT", timedelta(seconds=175))
    assert _template(client.get("/needs/").get_data(as_text=True))["remaining"] == "175"
    assert views.stated_remaining(1800, 120) == 1800
    assert views.stated_remaining(181, 120) == 180
    assert views.stated_remaining(179, 120) == 179
    assert views.stated_remaining(59, 10) == 59


# ------------------------------------------------------------------ remaining time


def test_status_tells_the_time_left_without_counting_as_activity(app, login, clock):
    client = login("requester")
    seen = _seen(client)
    clock.advance(minutes=29)
    response = client.get(STATUS)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_json() == {"remaining": 60, "final": False}
    assert _seen(client) == seen
    # Asking again and again keeps nothing alive: past the deadline the session is over.
    clock.advance(seconds=50)
    assert client.get(STATUS).get_json()["remaining"] == 10
    clock.advance(seconds=11)
    assert client.get("/profile").status_code == 302


def test_status_after_the_deadline_signs_out_and_the_sign_in_page_says_why(login, clock):
    client = login("requester")
    client.get("/?lang=uk")
    clock.advance(minutes=31)
    response = client.get(STATUS)
    assert response.status_code == 401
    assert response.get_json() == {"remaining": 0, "final": True}
    assert client.get("/profile").status_code == 302  # signed out, not just told so
    page = client.get("/login?next=/needs/").get_data(as_text=True)
    assert '<html lang="uk">' in page  # the chosen language survives the sign-out
    assert "Сеанс завершено через тривалу відсутність активності." in page


def test_anonymous_status_and_extend_answer_401(client):
    assert client.get(STATUS).status_code == 401
    response = client.post(EXTEND)
    assert response.status_code == 401
    assert response.get_json()["remaining"] == 0


# ------------------------------------------------------------------ stay signed in


def test_stay_signed_in_moves_the_deadline_on_the_server(app, login, clock):
    client = login("requester")
    clock.advance(minutes=29)
    response = client.post(EXTEND)
    assert response.status_code == 200
    assert response.get_json() == {
        "remaining": int(app.config["IDLE_TIMEOUT"].total_seconds()),
        "final": False,
    }
    assert _seen(client) == clock.now.timestamp()
    # Two minutes past the deadline the page had before: still signed in.
    clock.advance(minutes=2)
    assert client.get("/profile").status_code == 200


def test_without_staying_the_same_request_finds_the_session_over(login, clock):
    client = login("requester")
    clock.advance(minutes=31)
    response = client.get("/profile")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_stay_signed_in_needs_the_csrf_token(login, clock):
    client = login("requester")
    clock.advance(minutes=29)
    response = client.post(EXTEND, csrf=False)
    assert response.status_code == 400
    clock.advance(minutes=2)
    assert client.get("/profile").status_code == 302  # the refused request extended nothing


def test_the_absolute_lifetime_is_final_and_cannot_be_extended(app, login, clock):
    client = login("requester")
    lifetime = app.config["ABSOLUTE_SESSION_LIFETIME"]
    # Busy all day: a request every 20 minutes keeps the idle timeout away.
    while clock.now + timedelta(minutes=20) < utcnow() + lifetime - timedelta(minutes=1):
        clock.advance(minutes=20)
        assert client.get("/profile").status_code == 200
    state = client.post(EXTEND).get_json()
    assert state["final"] is True
    assert state["remaining"] < 30 * 60
    html = client.get("/profile").get_data(as_text=True)
    assert _template(html)["final"] == "true"
    assert "12 hours after signing in" in html


def test_reading_page_after_page_rewrites_the_session_at_most_twice_a_minute(app, login, clock):
    """Activity moves the deadline in steps of a sixtieth of the idle timeout (30 s), so that
    not every page answers with a newly signed session cookie."""
    client = login("requester")
    client.get("/profile")  # the first page puts the CSRF token in the session
    seen = _seen(client)
    step = app.config["IDLE_TIMEOUT"].total_seconds() / 60
    clock.advance(seconds=step - 1)
    response = client.get("/profile")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers  # nothing in the session changed
    assert _seen(client) == seen
    clock.advance(seconds=1)
    response = client.get("/profile")
    assert "session=" in response.headers.get("Set-Cookie", "")
    assert _seen(client) == clock.now.timestamp()
    # "Stay signed in" always starts the timeout again from now.
    clock.advance(seconds=1)
    client.post(EXTEND)
    assert _seen(client) == clock.now.timestamp()
