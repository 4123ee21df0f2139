"""Requests an attacker shapes: a foreign Host header, control characters in ``next``, ids past
the database's integers, and a language in a link. None of them may reach a 500, change what a
person stored, or put the attacker's host into the portal's mail."""

from __future__ import annotations

import re

import pytest

from portal.accounts import services
from portal.accounts.models import User
from portal.core.enums import MatchStatus
from portal.extensions import db
from portal.mail.models import OutboxMessage
from portal.matching.models import Match
from tests.security.records import seed_records

HUGE = "99999999999999999999999"
CRLF_NEXT = "/needs/%0d%0aSet-Cookie:%20planted=1"
CRLF_FORM_NEXT = "/needs/\r\nSet-Cookie: planted=1"


def _outbox(recipient: str) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(OutboxMessage).filter_by(recipient=recipient)))


# ------------------------------------------------------------------ 1. Host header


def test_a_foreign_host_is_refused(client):
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400
    refused = client.post(
        "/password/forgot", data={"email": "requester@kyiv.test"}, headers={"Host": "evil.example"}
    )
    assert refused.status_code == 400
    assert _outbox("requester@kyiv.test") == []
    for host in ("localhost", "127.0.0.1", "localhost:5000"):
        assert client.get("/", headers={"Host": host}).status_code == 200


def test_reset_link_comes_from_the_configured_address_not_the_host_header(app, client):
    # Even where the Host check is off (a proxy that rewrites it, say), links are the portal's.
    # (The browser would hold no session cookie for the foreign host: no CSRF token either.)
    app.config.update(
        TRUSTED_HOSTS=None, PORTAL_BASE_URL="https://portal.example.org", WTF_CSRF_ENABLED=False
    )
    response = client.post(
        "/password/forgot", data={"email": "requester@kyiv.test"}, headers={"Host": "evil.example"}
    )
    assert response.status_code == 302
    (message,) = _outbox("requester@kyiv.test")
    assert "evil.example" not in message.body
    assert re.search(r"https://portal\.example\.org/password/reset/\S+", message.body)


def test_invitation_link_comes_from_the_configured_address(app, users):
    app.config.update(PORTAL_BASE_URL="https://portal.example.org/portal")
    with app.test_request_context("/", base_url="http://evil.example"):
        services.send_invitation(users["admin"], users["other_expert"])
    db.session.commit()
    (message,) = _outbox("other.expert@stockholm.test")
    assert "evil.example" not in message.body
    assert "https://portal.example.org/portal/invitation/" in message.body


# ------------------------------------------------------------------ 6. CR/LF in next


def _no_control_characters(response) -> None:
    assert response.status_code < 500
    location = response.headers.get("Location", "")
    assert "\r" not in location and "\n" not in location and "planted" not in location
    assert "planted" not in response.headers.get("Set-Cookie", "")


def test_language_switch_ignores_a_next_with_control_characters(client):
    response = client.post("/language", data={"lang": "sv", "next": CRLF_FORM_NEXT})
    _no_control_characters(response)
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_sign_in_ignores_a_next_with_control_characters(client):
    response = client.post(
        f"/login?next={CRLF_NEXT}",
        data={"email": "requester@kyiv.test", "password": "correct horse battery staple"},
    )
    _no_control_characters(response)
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_matching_ignores_a_next_with_control_characters_and_refusals_commit_nothing(
    app, users, login
):
    ids = seed_records(users)
    client = login("requester")
    # The pair already has a live match: the proposal is refused, and nothing is kept.
    before = db.session.scalar(db.select(db.func.count(Match.id)))
    refused = client.post(
        "/matches/propose",
        data={"need_id": ids["need_id"], "offer_id": ids["offer_id"], "next": CRLF_FORM_NEXT},
    )
    _no_control_characters(refused)
    assert refused.status_code == 409
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count(Match.id))) == before
    # Withdrawing works, and the bad next is simply ignored.
    withdrawn = client.post(f"/matches/{ids['match_id']}/withdraw", data={"next": CRLF_FORM_NEXT})
    _no_control_characters(withdrawn)
    assert withdrawn.status_code == 302
    db.session.expire_all()
    assert db.session.get(Match, ids["match_id"]).status == MatchStatus.WITHDRAWN
    proposed = client.post(
        "/matches/propose",
        data={"need_id": ids["need_id"], "offer_id": ids["offer_id"], "next": CRLF_FORM_NEXT},
    )
    _no_control_characters(proposed)
    assert proposed.status_code == 302


# ------------------------------------------------------------------ 7. ids past the integers


ADMIN_GETS = [
    f"/admin/users/{HUGE}/edit",
    f"/admin/organisations/{HUGE}/edit",
]
ADMIN_POSTS = [
    f"/admin/users/{HUGE}/edit",
    f"/admin/users/{HUGE}/activate",
    f"/admin/users/{HUGE}/deactivate",
    f"/admin/users/{HUGE}/invite",
    f"/admin/organisations/{HUGE}/edit",
    f"/admin/organisations/{HUGE}/activate",
    f"/admin/organisations/{HUGE}/deactivate",
]
COORDINATOR_GETS = [
    f"/projects/{HUGE}",
    f"/projects/{HUGE}/edit",
    f"/agreements/{HUGE}",
    f"/agreements/{HUGE}/amendments/new",
    f"/texts/{HUGE}/sv",
    f"/matches/{HUGE}",
]
COORDINATOR_POSTS = [
    f"/projects/{HUGE}/edit",
    f"/projects/{HUGE}/milestones",
    f"/projects/{HUGE}/reports",
    f"/projects/{HUGE}/status",
    f"/projects/{HUGE}/milestones/{HUGE}/toggle",
    f"/projects/1/milestones/{HUGE}/toggle",
    f"/agreements/{HUGE}/amendments/new",
    f"/texts/{HUGE}/sv",
    f"/matches/{HUGE}/accept",
    f"/matches/{HUGE}/decline",
    f"/matches/{HUGE}/withdraw",
]


@pytest.mark.parametrize(
    ("who", "method", "path"),
    [("admin", "GET", p) for p in ADMIN_GETS]
    + [("admin", "POST", p) for p in ADMIN_POSTS]
    + [("coordinator", "GET", p) for p in COORDINATOR_GETS]
    + [("coordinator", "POST", p) for p in COORDINATOR_POSTS]
    + [("anonymous", "GET", f"/projects/{HUGE}"), ("anonymous", "GET", f"/agreements/{HUGE}")],
)
def test_ids_past_the_database_integers_are_not_found(login, client, who, method, path):
    if who != "anonymous":
        login(who)
    response = client.open(path, method=method, data={})
    assert response.status_code == 404


def test_a_huge_outbox_page_is_no_error(login):
    client = login("admin")
    response = client.get(f"/admin/outbox/?page={HUGE}")
    assert response.status_code == 200


# ------------------------------------------------------------------ 8. ?lang= in a link


def test_a_link_with_lang_does_not_change_the_stored_language(login, users):
    client = login("expert")
    before = users["expert"].locale
    page = client.get("/?lang=uk")
    assert '<html lang="uk">' in page.get_data(as_text=True)  # shown in the asked language
    db.session.expire_all()
    stored = db.session.scalar(db.select(User.locale).filter_by(email="expert@stockholm.test"))
    assert stored == before != "uk"
    # The switcher's POST is an explicit choice: stored.
    client.post("/language", data={"lang": "uk"})
    db.session.expire_all()
    stored = db.session.scalar(db.select(User.locale).filter_by(email="expert@stockholm.test"))
    assert stored == "uk"
