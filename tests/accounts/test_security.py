"""Sign-in security: passwords, lockout, two-factor, sessions, one-time links, throttling."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from flask import session

from portal.accounts import services, twofactor
from portal.accounts.models import OneTimeToken, TokenPurpose, User
from portal.accounts.passwords import password_problems
from portal.audit.models import AuditEvent
from portal.core.types import utcnow
from portal.extensions import db
from portal.mail.models import OutboxMessage
from tests.conftest import PASSWORD, TOTP_SECRET, fresh_code


def _user(email: str) -> User:
    db.session.expire_all()
    return db.session.scalar(db.select(User).filter_by(email=email))


# ------------------------------------------------------------------ passwords


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("short pass", False),
        ("x" * 11, False),
        ("twelve chars", True),
        ("x" * 128, True),
        ("x" * 129, False),
        ("password12345", False),  # on the shipped list of common passwords
        ("Київ-Стокгольм 2026", True),  # any characters, no composition rules
    ],
)
def test_password_policy(app, password, ok):
    assert (password_problems(password) == []) is ok


def test_password_hashes_are_argon2id(users):
    assert users["requester"].password_hash.startswith("$argon2id$")


# ------------------------------------------------------------------ lockout


def test_five_failures_lock_the_account_for_fifteen_minutes(client):
    for _ in range(5):
        response = client.post(
            "/login", data={"email": "requester@kyiv.test", "password": "x" * 12}
        )
        assert response.status_code == 422
    # The right password is refused now, with the same words as a wrong one.
    response = client.post("/login", data={"email": "requester@kyiv.test", "password": PASSWORD})
    assert response.status_code == 422
    assert "not correct" in response.get_data(as_text=True)
    user = _user("requester@kyiv.test")
    assert user.locked_until is not None
    assert timedelta(minutes=14) < user.locked_until - utcnow() <= timedelta(minutes=15)
    actions = db.session.scalars(
        db.select(AuditEvent.action).where(AuditEvent.record_id == user.id)
    ).all()
    assert "lockout" in actions
    # Once the lock has run out, the right password works again.
    user.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    client.login("requester@kyiv.test")


def test_failures_outside_the_window_do_not_add_up(client, app):
    for _ in range(4):
        client.post("/login", data={"email": "requester@kyiv.test", "password": "x" * 12})
    user = _user("requester@kyiv.test")
    user.first_failed_login_at = utcnow() - timedelta(minutes=16)
    db.session.commit()
    client.post("/login", data={"email": "requester@kyiv.test", "password": "x" * 12})
    assert _user("requester@kyiv.test").locked_until is None


# ------------------------------------------------------------------ two-factor


def test_coordinator_needs_a_code_after_the_password(client):
    response = client.post(
        "/login", data={"email": "coordinator@stockholm.test", "password": PASSWORD}
    )
    assert response.status_code == 302 and "/login/verify" in response.headers["Location"]
    # Not signed in yet.
    assert client.get("/profile").status_code == 302
    bad = client.post("/login/verify", data={"code": "000000"})
    assert bad.status_code == 422
    good = client.post(
        "/login/verify", data={"code": fresh_code(client, "coordinator@stockholm.test")}
    )
    assert good.status_code == 302
    assert client.get("/profile").status_code == 200


def test_a_code_works_only_once(client):
    code = fresh_code(client, "coordinator@stockholm.test")
    client.post("/login", data={"email": "coordinator@stockholm.test", "password": PASSWORD})
    assert client.post("/login/verify", data={"code": code}).status_code == 302
    client.logout()
    client.post("/login", data={"email": "coordinator@stockholm.test", "password": PASSWORD})
    replay = client.post("/login/verify", data={"code": code})
    assert replay.status_code == 422


def test_one_step_of_drift_is_accepted_two_are_not(app, users):
    user = users["coordinator"]
    totp = pyotp.TOTP(TOTP_SECRET)
    step = totp.timecode(utcnow())
    assert twofactor.verify_code(user, TOTP_SECRET, totp.generate_otp(step - 1))
    user.totp_last_step = None
    assert twofactor.verify_code(user, TOTP_SECRET, totp.generate_otp(step + 1))
    user.totp_last_step = None
    assert not twofactor.verify_code(user, TOTP_SECRET, totp.generate_otp(step - 2))
    assert not twofactor.verify_code(user, TOTP_SECRET, totp.generate_otp(step + 2))


def test_totp_secret_is_encrypted_at_rest(app, users):
    stored = users["coordinator"].totp_secret_encrypted
    assert stored and TOTP_SECRET not in stored
    assert twofactor.decrypt_secret(stored) == TOTP_SECRET


def test_recovery_code_signs_in_once(client, app, users):
    codes = twofactor.new_recovery_codes(users["coordinator"])
    db.session.commit()
    stored = [c.code_hash for c in users["coordinator"].recovery_codes]
    assert all(code not in " ".join(stored) for code in codes)  # kept hashed
    client.post("/login", data={"email": "coordinator@stockholm.test", "password": PASSWORD})
    assert client.post("/login/verify", data={"code": codes[0]}).status_code == 302
    client.logout()
    client.post("/login", data={"email": "coordinator@stockholm.test", "password": PASSWORD})
    assert client.post("/login/verify", data={"code": codes[0]}).status_code == 422


def test_coordinator_without_second_factor_must_enrol_first(client, app, users):
    twofactor.disable(users["coordinator"])
    db.session.commit()
    client.post("/login", data={"email": "coordinator@stockholm.test", "password": PASSWORD})
    response = client.get("/profile")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/profile/two-factor")
    page = client.get("/profile/two-factor")
    assert page.status_code == 200
    assert "<svg" in page.get_data(as_text=True)  # QR code drawn locally
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page.get_data(as_text=True))[1]
    done = client.post("/profile/two-factor", data={"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200
    assert (
        len(re.findall(r"<code>[0-9a-f]{6}-[0-9a-f]{6}</code>", done.get_data(as_text=True))) == 10
    )
    assert _user("coordinator@stockholm.test").has_totp
    assert client.get("/profile").status_code == 200


def test_requester_may_sign_in_without_second_factor_unless_admin_requires_it(client, app):
    client.login("requester@kyiv.test")
    assert client.get("/profile").status_code == 200
    client.logout()
    twofactor.set_required_for_everyone(True)
    db.session.commit()
    client.login("requester@kyiv.test")
    response = client.get("/profile")
    assert response.status_code == 302 and "two-factor" in response.headers["Location"]


# ------------------------------------------------------------------ sessions


def test_sign_in_starts_a_new_session(client):
    with client.session_transaction() as sess:
        sess["planted"] = "by someone else"
    client.login("requester@kyiv.test")
    with client.session_transaction() as sess:
        assert "planted" not in sess


def test_sign_out_ends_the_other_sessions(app):
    first, second = app.test_client(), app.test_client()
    first.login("requester@kyiv.test")
    second.login("requester@kyiv.test")
    assert first.get("/profile").status_code == 200
    second.logout()
    assert first.get("/profile").status_code == 302


def test_password_change_ends_other_sessions_but_keeps_this_one(app):
    here, elsewhere = app.test_client(), app.test_client()
    here.login("requester@kyiv.test")
    elsewhere.login("requester@kyiv.test")
    response = here.post(
        "/profile/password",
        data={
            "current_password": PASSWORD,
            "new_password": "a brand new passphrase",
            "confirm": "a brand new passphrase",
        },
    )
    assert response.status_code == 302
    assert here.get("/profile").status_code == 200
    assert elsewhere.get("/profile").status_code == 302


def test_weak_new_password_is_refused_beside_the_field(client):
    client.login("requester@kyiv.test")
    response = client.post(
        "/profile/password",
        data={
            "current_password": PASSWORD,
            "new_password": "password12345",
            "confirm": "password12345",
        },
    )
    assert response.status_code == 422
    assert "too common" in response.get_data(as_text=True)


def test_idle_timeout_after_thirty_minutes(client):
    client.login("requester@kyiv.test")
    with client.session_transaction() as sess:
        sess["seen"] = (utcnow() - timedelta(minutes=31)).timestamp()
    assert client.get("/profile").status_code == 302


def test_absolute_session_lifetime(client):
    client.login("requester@kyiv.test")
    with client.session_transaction() as sess:
        sess["started"] = (utcnow() - timedelta(hours=13)).timestamp()
    assert client.get("/profile").status_code == 302


def test_session_cookie_flags(client):
    response = client.post("/login", data={"email": "requester@kyiv.test", "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_production_cookies_are_secure(monkeypatch):
    from portal import create_app

    monkeypatch.setenv("SECRET_KEY", "y" * 40)
    app = create_app("production")
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]


def test_deactivation_ends_sessions(app, users):
    client = app.test_client()
    client.login("requester@kyiv.test")
    services.set_active(users["requester"], False, actor=users["admin"])
    db.session.commit()
    assert client.get("/profile").status_code == 302


# ------------------------------------------------------------------ one-time links


def _link_from(body: str) -> str:
    match = re.search(r"http://localhost(/\S+)", body)
    assert match, body
    return match.group(1)


def test_password_reset_through_a_real_smtp_server(app, client):
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received = []

    class Keep(Message):
        def handle_message(self, message):
            received.append(message)

    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
        response = client.post("/password/forgot", data={"email": "requester@kyiv.test"})
        assert response.status_code == 302
    finally:
        controller.stop()
    assert len(received) == 1
    message = received[0]
    assert message["To"] == "requester@kyiv.test"
    link = _link_from(message.get_payload(decode=True).decode())
    assert client.get(link).status_code == 200
    response = client.post(
        link, data={"new_password": "river dnipro at dawn", "confirm": "river dnipro at dawn"}
    )
    assert response.status_code == 302
    client.login("requester@kyiv.test", "river dnipro at dawn")
    client.logout()
    # Single use.
    assert client.get(link).status_code == 404
    stored = db.session.scalar(db.select(OutboxMessage))
    assert stored.sent_at is not None


def test_unknown_address_gets_the_same_answer_and_no_mail(client):
    a = client.post("/password/forgot", data={"email": "nobody@kyiv.test"})
    b = client.post("/password/forgot", data={"email": "requester@kyiv.test"})
    assert a.status_code == b.status_code == 302
    assert a.headers["Location"] == b.headers["Location"]
    recipients = db.session.scalars(db.select(OutboxMessage.recipient)).all()
    assert recipients == ["requester@kyiv.test"]


def test_reset_link_expires_after_an_hour(app, client, users):
    token = services.issue_token(users["requester"], TokenPurpose.PASSWORD_RESET)
    db.session.commit()
    record = db.session.scalar(db.select(OneTimeToken))
    assert timedelta(minutes=59) < record.expires_at - utcnow() <= timedelta(hours=1)
    assert token not in record.token_hash  # only a digest is stored
    record.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get(f"/password/reset/{token}").status_code == 404


def test_invitation_valid_seven_days_sets_the_password(app, client, users):
    from portal.core.enums import Role

    user = services.create_user(
        email="new.colleague@kyiv.test",
        name="Iryna Bondar",
        password=None,
        role=Role.REQUESTER,
        organisation=users["requester"].organisation,
        actor=users["admin"],
    )
    with app.test_request_context():
        services.send_invitation(users["admin"], user)
    db.session.commit()
    record = db.session.scalar(db.select(OneTimeToken).filter_by(user_id=user.id))
    assert timedelta(days=6, hours=23) < record.expires_at - utcnow() <= timedelta(days=7)
    message = db.session.scalar(db.select(OutboxMessage).filter_by(recipient=user.email))
    link = _link_from(message.body)
    response = client.post(
        link, data={"new_password": "my own long phrase", "confirm": "my own long phrase"}
    )
    assert response.status_code == 302
    client.login("new.colleague@kyiv.test", "my own long phrase")


def test_outbox_is_for_admins(app, login):
    client = login("expert")
    assert client.get("/admin/outbox/").status_code == 403
    client.logout()
    client.login("admin@stockholm.test")
    assert client.get("/admin/outbox/").status_code == 200


# ------------------------------------------------------------------ throttling


def test_sign_in_is_throttled_per_address_with_retry_after(client):
    statuses = [
        client.post("/login", data={"email": f"u{i}@kyiv.test", "password": "x" * 12}).status_code
        for i in range(21)
    ]
    assert statuses[:20] == [422] * 20
    assert statuses[20] == 429
    response = client.post("/login", data={"email": "a@kyiv.test", "password": "x" * 12})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "Too many requests" in response.get_data(as_text=True)


def test_session_language_survives_sign_in(client):
    client.get("/?lang=uk")
    client.login("requester@kyiv.test")
    with client.session_transaction() as sess:
        assert sess["lang"] == "uk"
    assert session is not None
