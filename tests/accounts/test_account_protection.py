"""Protection of accounts against guessing and takeover: second-factor limits, re-authentication
and notification of changes, counted password checks, the reset request's equal work, device
cookies and progressive lockouts, the enrolment secret, and TOTP key rotation."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pyotp

from portal.accounts import services, twofactor
from portal.accounts.models import User
from portal.audit.models import AuditEvent
from portal.core.types import utcnow
from portal.extensions import db
from portal.mail.models import OutboxMessage
from tests.conftest import PASSWORD, TOTP_SECRET, count_queries, fresh_code

COORDINATOR = "coordinator@stockholm.test"
REQUESTER = "requester@kyiv.test"


def _user(email: str) -> User:
    db.session.expire_all()
    return db.session.scalar(db.select(User).filter_by(email=email))


def _from(address: str) -> dict:
    return {"environ_base": {"REMOTE_ADDR": address}}


def _failures(user_id: int, **after) -> int:
    events = db.session.scalars(
        db.select(AuditEvent).where(
            AuditEvent.record_id == user_id, AuditEvent.action == "login_failed"
        )
    ).all()
    return sum(all((e.after or {}).get(k) == v for k, v in after.items()) for e in events)


def _mail_to(email: str) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(OutboxMessage).filter_by(recipient=email)))


def _age_authentication(client, minutes: int = 10) -> None:
    with client.session_transaction() as sess:
        sess[services.AUTHENTICATED_AT] = (utcnow() - timedelta(minutes=minutes)).timestamp()


# ------------------------------------------------------------------ 2. second-factor guessing


def test_five_wrong_codes_end_the_pending_sign_in(client):
    client.post("/login", data={"email": COORDINATOR, "password": PASSWORD})
    for _ in range(4):
        assert client.post("/login/verify", data={"code": "000000"}).status_code == 422
    ended = client.post("/login/verify", data={"code": "000000"})
    assert ended.status_code == 302 and ended.headers["Location"].startswith("/login")
    # Even the right code no longer helps: the password must be entered again.
    late = client.post("/login/verify", data={"code": fresh_code(client, COORDINATOR)})
    assert late.status_code == 302 and "/login/verify" not in late.headers["Location"]
    assert client.get("/profile").status_code == 302
    client.login(COORDINATOR)  # a new sign-in works
    assert client.get("/profile").status_code == 200


def test_an_old_copy_of_the_session_does_not_revive_a_pending_sign_in(app):
    attacker = app.test_client()
    attacker.post("/login", data={"email": COORDINATOR, "password": PASSWORD})
    saved = attacker.get_cookie("session").value
    for _ in range(5):
        attacker.post("/login/verify", data={"code": "000000"})
    attacker.set_cookie("session", saved)  # the cookie from before the five wrong codes
    replay = attacker.post("/login/verify", data={"code": "000000"})
    assert replay.status_code == 302  # "please sign in again", not another guess
    assert _failures(_user(COORDINATOR).id, step="second factor") == 5


def test_codes_are_counted_per_account_across_addresses_and_lock_the_second_factor(app):
    coordinator = _user(COORDINATOR)
    for round_ in range(3):
        client = app.test_client()
        address = f"203.0.113.{round_ + 1}"
        client.post("/login", data={"email": COORDINATOR, "password": PASSWORD}, **_from(address))
        for _ in range(5):
            client.post("/login/verify", data={"code": "000000"}, **_from(address))
    assert _failures(coordinator.id, step="second factor") == 15
    locked = _user(COORDINATOR)
    assert locked.second_factor_locked_until is not None
    assert timedelta(minutes=59) < locked.second_factor_locked_until - utcnow()
    assert (
        "second_factor_lockout"
        in db.session.scalars(
            db.select(AuditEvent.action).where(AuditEvent.record_id == coordinator.id)
        ).all()
    )
    # The right password and the right code are refused while the second factor is locked.
    client = app.test_client()
    client.post(
        "/login", data={"email": COORDINATOR, "password": PASSWORD}, **_from("198.51.100.7")
    )
    refused = client.post(
        "/login/verify", data={"code": fresh_code(client, COORDINATOR)}, **_from("198.51.100.7")
    )
    assert refused.status_code == 302 and "/login/verify" not in refused.headers["Location"]
    assert client.get("/profile").status_code == 302


def test_a_secret_that_cannot_be_decrypted_is_not_a_wrong_code(app, client, caplog):
    coordinator = _user(COORDINATOR)
    coordinator.totp_secret_encrypted = twofactor._derived("some other key").encrypt(b"X").decode()
    db.session.commit()
    client.post("/login", data={"email": COORDINATOR, "password": PASSWORD})
    with caplog.at_level(logging.ERROR):
        response = client.post("/login/verify", data={"code": pyotp.TOTP(TOTP_SECRET).now()})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "cannot be checked" in page and "not correct" not in page
    assert "cannot be decrypted" in caplog.text
    assert _user(COORDINATOR).failed_codes == 0


# ------------------------------------------------------------------ 3. re-authentication


def test_replacing_the_second_factor_needs_a_recent_confirmation(login):
    client = login("coordinator")
    before = _user(COORDINATOR).totp_secret_encrypted
    _age_authentication(client)
    page = client.get("/profile/two-factor")
    assert page.status_code == 302 and page.headers["Location"].startswith("/profile/confirm")
    posted = client.post("/profile/two-factor", data={"code": "123456"})
    assert posted.status_code == 302 and posted.headers["Location"].startswith("/profile/confirm")
    assert _user(COORDINATOR).totp_secret_encrypted == before
    # The password alone does not confirm a person with a second factor.
    wrong = client.post("/profile/confirm", data={"password": PASSWORD, "code": "000000"})
    assert wrong.status_code == 422
    assert client.get("/profile/two-factor").status_code == 302
    confirmed = client.post(
        "/profile/confirm?next=/profile/two-factor",
        data={"password": PASSWORD, "code": fresh_code(client, COORDINATOR)},
    )
    assert confirmed.status_code == 302 and confirmed.headers["Location"] == "/profile/two-factor"
    page = client.get("/profile/two-factor")
    assert page.status_code == 200
    secret = twofactor.decrypt_secret(_enrolment_secret(client))
    done = client.post("/profile/two-factor", data={"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200
    assert _user(COORDINATOR).totp_secret_encrypted != before


def _enrolment_secret(client) -> str:
    from portal.accounts.views import ENROL_SECRET

    with client.session_transaction() as sess:
        return sess[ENROL_SECRET]


def test_second_factor_change_is_mailed_to_the_account_in_its_language(login, users):
    users["coordinator"].locale = "sv"
    db.session.commit()
    client = login("coordinator")
    client.get("/profile/two-factor")
    secret = twofactor.decrypt_secret(_enrolment_secret(client))
    assert (
        client.post("/profile/two-factor", data={"code": pyotp.TOTP(secret).now()}).status_code
        == 200
    )
    (message,) = _mail_to(COORDINATOR)
    assert message.subject == "En säkerhetsinställning för ditt konto i portalen ändrades"
    assert "Inloggning i två steg flyttades till en ny autentiseringsapp." in message.body
    assert "http://localhost/password/forgot" in message.body


def test_password_change_needs_a_recent_confirmation_and_is_mailed(login, users):
    users["requester"].locale = "uk"
    db.session.commit()
    client = login("requester")
    _age_authentication(client)
    data = {
        "current_password": PASSWORD,
        "new_password": "a new long phrase",
        "confirm": "a new long phrase",
    }
    refused = client.post("/profile/password", data=data)
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/profile/confirm")
    assert _user(REQUESTER).check_password(PASSWORD)
    client.post("/profile/confirm", data={"password": PASSWORD})  # no second factor: no code
    assert client.post("/profile/password", data=data).status_code == 302
    assert _user(REQUESTER).check_password("a new long phrase")
    (message,) = _mail_to(REQUESTER)
    assert "Ваш пароль змінено." in message.body


def test_recovery_codes_are_renewed_only_after_a_recent_confirmation(login):
    client = login("coordinator")
    _age_authentication(client)
    refused = client.post("/profile/recovery-codes")
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/profile/confirm")
    assert len(_user(COORDINATOR).recovery_codes) == 10  # the template's, untouched
    old = [c.code_hash for c in _user(COORDINATOR).recovery_codes]
    client.post(
        "/profile/confirm", data={"password": PASSWORD, "code": fresh_code(client, COORDINATOR)}
    )
    renewed = client.post("/profile/recovery-codes")
    assert renewed.status_code == 200
    assert not {c.code_hash for c in _user(COORDINATOR).recovery_codes} & set(old)
    assert len(_mail_to(COORDINATOR)) == 1


def test_turning_the_second_factor_off_needs_a_recent_confirmation(app, login, users):
    twofactor.enable(users["requester"], TOTP_SECRET)
    db.session.commit()
    client = login("requester")
    _age_authentication(client)
    client.post("/profile/two-factor/disable", data={"password": PASSWORD})
    assert _user(REQUESTER).has_totp
    client.post(
        "/profile/confirm", data={"password": PASSWORD, "code": fresh_code(client, REQUESTER)}
    )
    client.post("/profile/two-factor/disable", data={"password": PASSWORD})
    assert not _user(REQUESTER).has_totp
    assert len(_mail_to(REQUESTER)) == 1


# ------------------------------------------------------------------ 4. password checks signed in


def test_wrong_passwords_while_signed_in_are_counted_like_sign_in(login):
    client = login("requester")
    data = {
        "current_password": "x" * 12,
        "new_password": "a new long phrase",
        "confirm": "a new long phrase",
    }
    for _ in range(5):
        assert client.post("/profile/password", data=data).status_code == 422
    user = _user(REQUESTER)
    assert _failures(user.id) == 5
    assert services.is_locked(user, trusted=True)  # this browser's own failures lock it
    # Locked: the right password is refused too.
    data["current_password"] = PASSWORD
    assert client.post("/profile/password", data=data).status_code == 422
    assert _user(REQUESTER).check_password(PASSWORD)


def test_password_confirmations_while_signed_in_are_throttled(login):
    client = login("requester")
    statuses = [
        client.post("/profile/confirm", data={"password": "x" * 12}).status_code for _ in range(21)
    ]
    assert statuses[-1] == 429


# ------------------------------------------------------------------ 5. the reset request


def test_the_reset_request_does_the_same_work_whether_the_account_exists(app, client, monkeypatch):
    from portal.accounts import views

    deferred: list = []
    monkeypatch.setattr(
        views, "enqueue", lambda work, *args, **options: deferred.append((work, args))
    )
    hashes: list[str] = []
    real_digest = services._digest
    monkeypatch.setattr(
        services, "_digest", lambda token: hashes.append(token) or real_digest(token)
    )
    work = {}
    for email in ("nobody@kyiv.test", REQUESTER):
        with count_queries(app) as queries:
            response = client.post("/password/forgot", data={"email": email})
        work[email] = (
            response.status_code,
            response.headers["Location"],
            len(queries),
            len(hashes),
        )
    assert work["nobody@kyiv.test"] == work[REQUESTER]
    assert _mail_to(REQUESTER) == []  # nothing sent before the response
    # After the response: the same hashing either way, and only the account gets mail.
    for job, args in deferred:
        before = len(hashes)
        job(*args)
        assert len(hashes) == before + 1
    assert len(_mail_to(REQUESTER)) == 1
    assert db.session.scalar(db.select(db.func.count(OutboxMessage.id))) == 1


# ------------------------------------------------------------------ 9. the enrolment secret


def test_the_secret_being_enrolled_is_not_readable_in_the_session_cookie(login):
    client = login("requester")
    page = client.get("/profile/two-factor").get_data(as_text=True)
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page)[1]
    with client.session_transaction() as sess:
        stored = " ".join(str(value) for value in sess.values())
    assert secret not in stored


# ------------------------------------------------------------------ 10. device cookies


def test_a_browser_that_signed_in_before_is_not_locked_out_by_strangers(app):
    owner, stranger = app.test_client(), app.test_client()
    owner.login(REQUESTER)
    owner.logout()
    for _ in range(5):
        stranger.post("/login", data={"email": REQUESTER, "password": "x" * 12})
    user = _user(REQUESTER)
    assert services.is_locked(user) and not services.is_locked(user, trusted=True)
    # The stranger's browser is locked out even with the right password ...
    assert (
        stranger.post("/login", data={"email": REQUESTER, "password": PASSWORD}).status_code == 422
    )
    # ... the owner's is not.
    owner.login(REQUESTER)
    assert owner.get("/profile").status_code == 200


def test_a_forged_device_cookie_is_worth_nothing(app):
    stranger = app.test_client()
    stranger.set_cookie(app.config["DEVICE_COOKIE_NAME"], "WzJd.forged.signature")
    for _ in range(5):
        stranger.post("/login", data={"email": REQUESTER, "password": "x" * 12})
    assert (
        stranger.post("/login", data={"email": REQUESTER, "password": PASSWORD}).status_code == 422
    )


def test_the_owners_browser_locks_on_its_own_failures(app):
    owner = app.test_client()
    owner.login(REQUESTER)
    owner.logout()
    for _ in range(5):
        owner.post("/login", data={"email": REQUESTER, "password": "x" * 12})
    user = _user(REQUESTER)
    assert services.is_locked(user, trusted=True) and not services.is_locked(user)
    assert owner.post("/login", data={"email": REQUESTER, "password": PASSWORD}).status_code == 422


def test_each_further_lockout_lasts_twice_as_long(client):
    for lockout in (1, 2):
        for _ in range(5):
            client.post("/login", data={"email": REQUESTER, "password": "x" * 12})
        user = _user(REQUESTER)
        length = user.locked_until - utcnow()
        assert timedelta(minutes=15 * lockout - 1) < length <= timedelta(minutes=15 * lockout)
        user.locked_until = utcnow() - timedelta(seconds=1)
        db.session.commit()


def test_an_address_with_many_failures_must_wait_between_attempts(app, client):
    app.config["ADDRESS_DELAY_AFTER"] = 3
    for n in range(3):
        assert (
            client.post(
                "/login", data={"email": f"u{n}@kyiv.test", "password": "x" * 12}
            ).status_code
            == 422
        )
    waiting = client.post("/login", data={"email": REQUESTER, "password": PASSWORD})
    assert waiting.status_code == 429 and int(waiting.headers["Retry-After"]) >= 1
    assert client.get("/profile").status_code == 302
    # Another address is not held up.
    elsewhere = app.test_client()
    assert (
        elsewhere.post(
            "/login", data={"email": REQUESTER, "password": PASSWORD}, **_from("198.51.100.9")
        ).status_code
        == 302
    )


# ------------------------------------------------------------------ 11. key rotation


def test_totp_secrets_survive_a_key_rotation_and_are_reencrypted(app, client, runner):
    old_key = app.config["TOTP_ENCRYPTION_KEY"]
    app.config.update(
        TOTP_ENCRYPTION_KEY="a brand new totp key", TOTP_ENCRYPTION_KEY_FALLBACKS=[old_key]
    )
    client.login(COORDINATOR)  # the secret under the old key still works
    client.logout()
    result = runner.invoke(args=["users", "reencrypt-totp"])
    assert result.exit_code == 0, result.output
    assert "Re-encrypted 2" in result.output
    app.config.update(TOTP_ENCRYPTION_KEY_FALLBACKS=[])
    stored = _user(COORDINATOR).totp_secret_encrypted
    assert (
        twofactor._derived("a brand new totp key").decrypt(stored.encode()).decode() == TOTP_SECRET
    )
    client.login(COORDINATOR)


def test_secrets_from_before_totp_encryption_key_still_decrypt(app, users):
    # A portal that ran on the SECRET_KEY-derived key, then got its own TOTP_ENCRYPTION_KEY.
    users["coordinator"].totp_secret_encrypted = (
        twofactor._derived(app.config["SECRET_KEY"]).encrypt(TOTP_SECRET.encode()).decode()
    )
    db.session.commit()
    assert twofactor.decrypt_secret(_user(COORDINATOR).totp_secret_encrypted) == TOTP_SECRET


def test_sessions_survive_a_secret_key_rotation(app, login):
    client = login("requester")
    old = app.config["SECRET_KEY"]
    app.config.update(SECRET_KEY="a new secret key of enough length", SECRET_KEY_FALLBACKS=[old])
    app.secret_key = app.config["SECRET_KEY"]
    assert client.get("/profile").status_code == 200


def test_a_replayed_code_is_refused_but_not_counted_as_a_guess(client):
    code = fresh_code(client, COORDINATOR)
    client.post("/login", data={"email": COORDINATOR, "password": PASSWORD})
    assert client.post("/login/verify", data={"code": code}).status_code == 302
    client.logout()
    client.post("/login", data={"email": COORDINATOR, "password": PASSWORD})
    assert client.post("/login/verify", data={"code": code}).status_code == 422
    assert _user(COORDINATOR).challenge_failures == 0
    assert _failures(_user(COORDINATOR).id, replayed=True) == 1
