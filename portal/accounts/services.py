"""Signing in and out, lockout (with device cookies), the second factor's limits, sessions and
re-authentication, passwords, notifications of security changes, invitations and password
resets."""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import secrets
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from flask import current_app, session
from flask_babel import gettext as _
from flask_login import login_user, logout_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import Select, bindparam, select

from portal.accounts import twofactor
from portal.accounts.models import (
    OneTimeToken,
    SiteSetting,
    TokenPurpose,
    User,
    hash_password,
    verify_hash,
)
from portal.accounts.passwords import password_problems
from portal.accounts.twofactor import MFA_FOR_EVERYONE
from portal.accounts.viewer import KeptViewer, facts_of, viewer_of
from portal.audit import services as audit
from portal.core import pagecache
from portal.core.enums import Role
from portal.core.statements import KeptStatements
from portal.core.types import utcnow
from portal.extensions import cache, db
from portal.reference.models import Organisation

log = logging.getLogger(__name__)

# When the session last proved the password (and code): at sign-in or on the confirmation page.
AUTHENTICATED_AT = "authenticated_at"

# Verifying against a real hash keeps "unknown e-mail" as slow as "wrong password".
_DUMMY_HASHES: dict[bool, str] = {}


def _dummy_hash() -> str:
    testing = bool(current_app.config.get("TESTING"))
    if testing not in _DUMMY_HASHES:
        _DUMMY_HASHES[testing] = hash_password("no account has this password")
    return _DUMMY_HASHES[testing]


class AccountError(ValueError):
    """A clear, translated reason why an account could not be created or changed."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


@functools.cache
def _session_user_statement() -> Select[User, SiteSetting]:
    """The signed-in person and the site's "second factor for everyone" setting, by the bound
    ``user_id``: built once (every signed-in request runs it when no kept facts are found)."""
    return (
        select(User, SiteSetting)
        .outerjoin(SiteSetting, SiteSetting.key == MFA_FOR_EVERYONE)
        .where(User.id == bindparam("user_id"))
    )


@dataclass(frozen=True)
class ReadWithPerson:
    """One more column for the statement that loads the signed-in person (the header's unread
    count, the page's follow button), by the module that shows it: the statement with the
    columns of a request's readings is built once per their ``key``s and kept; ``params`` are
    bound with it, and ``found(user, key, value)`` is given the loaded row and the value."""

    key: Hashable
    column: Callable[[], Any]
    found: Callable[[User, Hashable, Any], None]
    params: Mapping[str, Any] = field(default_factory=dict)


_readings: list[Callable[[int], ReadWithPerson | None]] = []
_WITH_COLUMNS = KeptStatements()


def read_with_person(reading: Callable[[int], ReadWithPerson | None]) -> None:
    """Register ``reading(person)``: a column to read with that person's row in this request,
    or None (portal.notifications)."""
    if reading not in _readings:
        _readings.append(reading)


def _person_statement(extras: list[ReadWithPerson]) -> Any:
    if not extras:
        return _session_user_statement()
    return _WITH_COLUMNS.get(
        tuple(extra.key for extra in extras),
        lambda: _session_user_statement().add_columns(*(extra.column() for extra in extras)),
    )


def load_user_from_session(session_id: str) -> User | KeptViewer | None:
    user_id, _sep, generation = session_id.partition(":")
    if not user_id.isdigit() or not generation.isdigit():
        return None
    # A GET of a kept page: the person's kept facts, read with the data version (viewer.py).
    facts = pagecache.kept_viewer(int(user_id))
    if facts is not None:
        kept, kept_setting = viewer_of(facts)
        twofactor.remember_setting(kept_setting)
        if kept.session_generation != int(generation) or not kept.is_active:
            return None
        return kept
    # The user and the site's "second factor for everyone" setting in one query: every
    # signed-in request needs both (enforce_session_rules); twofactor keeps the setting for the
    # rest of the request. A page's GET reads its header's unread count with them.
    extras = [extra for reading in _readings if (extra := reading(int(user_id))) is not None]
    params: dict[str, Any] = {"user_id": int(user_id)}
    for extra in extras:
        params.update(extra.params)
    row = db.session.execute(_person_statement(extras), params).first()
    if row is None:
        return None
    user, setting = row[0], row[1]
    twofactor.remember_setting(setting)
    pagecache.keep_viewer(user.id, lambda: facts_of(user, setting))
    if user.session_generation != int(generation) or not user.is_active:
        return None
    for extra, value in zip(extras, row[2:], strict=True):
        extra.found(user, extra.key, value)
    return user


def find_user(email: str) -> User | None:
    return db.session.scalar(db.select(User).where(User.email == normalise_email(email)))


# ---------------------------------------------------------------- sign-in protection
#
# Guessing is stopped without handing anyone who knows an e-mail address a way to lock its owner
# out (OWASP's "device cookies"): a browser that signed in to an account holds a signed cookie
# naming it, and its failures are counted apart from everyone else's. Strangers' failures lock
# the account for strangers only (5 in 15 minutes: 15 minutes, then twice as long each time
# until a sign-in succeeds); the owner's browsers keep working unless they fail 5 times
# themselves. An address with many failures (any accounts) must wait between attempts, twice as
# long after each further failure. Every failure is audited.


class Throttled(Exception):
    """Too many failures from this address: wait ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


def _device_serializer() -> URLSafeTimedSerializer:
    config = current_app.config
    keys = [*reversed(config.get("SECRET_KEY_FALLBACKS") or []), config["SECRET_KEY"]]
    return URLSafeTimedSerializer(keys, salt="portal-device-cookie")


def trusted_accounts(cookie: str | None) -> set[int]:
    """The accounts a device cookie vouches for (none when missing, forged or too old)."""
    if not cookie or len(cookie) > 1000:
        return set()
    max_age = current_app.config["DEVICE_COOKIE_LIFETIME"].total_seconds()
    try:
        ids = _device_serializer().loads(cookie, max_age=max_age)
    except (BadSignature, TypeError, ValueError):
        return set()
    return {i for i in ids if isinstance(i, int)} if isinstance(ids, list) else set()


def device_cookie(user: User, cookie: str | None) -> str:
    """A device cookie vouching for ``user`` (and the last few accounts it already named)."""
    ids = [*[i for i in trusted_accounts(cookie) if i != user.id][-4:], user.id]
    return _device_serializer().dumps(ids)


def is_locked(user: User, now: datetime | None = None, trusted: bool = False) -> bool:
    until = user.device_locked_until if trusted else user.locked_until
    return until is not None and until > (now or utcnow())


def _address_key(address: str | None) -> str:
    return f"signin-failures:{address or '-'}"


def _address_record(address: str | None) -> tuple[int, float] | None:
    """(failures, moment of the last) of an address within the window, from the shared cache
    (Redis when there is one, so that every worker counts together)."""
    try:
        record = cache.get(_address_key(address))
    except Exception as error:  # the shared cache unreachable: no delay rather than no sign-in
        log.warning("sign-in failures of an address not read: %s", error.__class__.__name__)
        return None
    if isinstance(record, tuple | list) and len(record) == 2:
        return int(record[0]), float(record[1])
    return None


def _address_wait(address: str | None, now: datetime) -> int:
    """Seconds this address must still wait before its next attempt (0: none)."""
    config = current_app.config
    record = _address_record(address)
    if not record:
        return 0
    count, last = record
    over = count - config["ADDRESS_DELAY_AFTER"]
    if over < 0:
        return 0
    delay = min(2.0**over, config["ADDRESS_MAX_DELAY"].total_seconds())
    return max(0, math.ceil(last + delay - now.timestamp()))


def _address_failed(address: str | None, now: datetime) -> None:
    config = current_app.config
    record = _address_record(address) or (0, 0.0)
    window = config["LOCKOUT_WINDOW"].total_seconds()
    count = record[0] if now.timestamp() - record[1] <= window else 0
    try:
        cache.set(_address_key(address), (count + 1, now.timestamp()), timeout=int(window))
    except Exception as error:  # the shared cache unreachable: the per-account rules still hold
        log.warning("sign-in failures of an address not counted: %s", error.__class__.__name__)


def _record_failure(user: User, trusted: bool, now: datetime) -> None:
    config = current_app.config
    if trusted:
        if user.device_first_failed_at is None or (
            now - user.device_first_failed_at > config["LOCKOUT_WINDOW"]
        ):
            user.device_first_failed_at = now
            user.device_failed_logins = 0
        user.device_failed_logins += 1
        failures = user.device_failed_logins
    else:
        window_start = user.first_failed_login_at
        if window_start is None or now - window_start > config["LOCKOUT_WINDOW"]:
            user.first_failed_login_at = now
            user.failed_logins = 0
        user.failed_logins += 1
        failures = user.failed_logins
    audit.record(user, "login_failed", "user", user.id, after={"known_device": trusted})
    if failures >= config["LOCKOUT_THRESHOLD"] and not is_locked(user, now, trusted):
        user.lockouts += 1
        duration = min(
            config["LOCKOUT_DURATION"] * 2 ** min(user.lockouts - 1, 16),
            config["LOCKOUT_MAX_DURATION"],
        )
        if trusted:
            user.device_locked_until = now + duration
            user.device_failed_logins = 0
        else:
            user.locked_until = now + duration
            user.failed_logins = 0
        audit.record(
            user,
            "lockout",
            "user",
            user.id,
            after={"locked_until": (now + duration).isoformat(), "known_device": trusted},
        )


def check_password(
    user: User | None, password: str, *, address: str | None, trusted: set[int]
) -> bool:
    """Whether ``password`` is ``user``'s, counted and throttled alike at sign-in and when a
    signed-in person confirms their password. A failure is committed at once (the refusal's
    response rolls the request back); Throttled when the address must wait first."""
    now = utcnow()
    wait = _address_wait(address, now)
    if wait:
        audit.record(
            user, "login_failed", "user", user.id if user else None, after={"throttled": wait}
        )
        db.session.commit()
        raise Throttled(wait)
    if user is None:
        verify_hash(_dummy_hash(), password)
        _address_failed(address, now)
        return False
    is_trusted = user.id in trusted
    locked = is_locked(user, now, is_trusted)
    if user.check_password(password) and not locked and user.is_active:
        return True
    _address_failed(address, now)
    if locked:
        audit.record(
            user,
            "login_failed",
            "user",
            user.id,
            after={"locked": True, "known_device": is_trusted},
        )
    else:
        _record_failure(user, is_trusted, now)
    db.session.commit()
    return False


def authenticate(
    email: str, password: str, *, address: str | None = None, trusted: set[int] | None = None
) -> User | None:
    """The user for these credentials, or None. An unknown e-mail, a wrong password, a locked
    or deactivated account all look the same to the caller (and take as long). ``trusted``: the
    accounts the browser's device cookie vouches for."""
    user = find_user(email)
    if user is None:
        audit.record(None, "login_failed", "user", None, after={"email": normalise_email(email)})
        check_password(None, password, address=address, trusted=set())
        db.session.commit()
        return None
    if not check_password(user, password, address=address, trusted=trusted or set()):
        return None
    user.failed_logins = 0
    user.first_failed_login_at = None
    user.locked_until = None
    user.device_failed_logins = 0
    user.device_first_failed_at = None
    user.device_locked_until = None
    user.lockouts = 0
    return user


# ---------------------------------------------------------------- the second factor at sign-in


class CodeOutcome(StrEnum):
    ACCEPTED = "accepted"
    WRONG = "wrong"  # try again
    ROUND_ENDED = "round_ended"  # too many wrong codes: the password again
    LOCKED = "locked"  # the second factor is locked for a while
    UNREADABLE = "unreadable"  # the stored secret cannot be decrypted (configuration)


def start_second_factor(user: User) -> str:
    """A new pending sign-in waiting for a code; its id goes into the browser's session. An
    earlier pending sign-in of the account stops working."""
    challenge = secrets.token_urlsafe(24)
    user.second_factor_challenge = _digest(challenge)
    user.challenge_failures = 0
    db.session.commit()
    return challenge


def is_pending(user: User, challenge: str | None) -> bool:
    stored = user.second_factor_challenge
    return bool(challenge and stored and secrets.compare_digest(stored, _digest(challenge)))


def second_factor_locked(user: User, now: datetime | None = None) -> bool:
    until = user.second_factor_locked_until
    return until is not None and until > (now or utcnow())


def _code_failed(user: User, now: datetime, step: str) -> CodeOutcome:
    """Count a wrong code for the account and its pending sign-in; commits (see above)."""
    config = current_app.config
    if user.first_failed_code_at is None or (
        now - user.first_failed_code_at > config["SECOND_FACTOR_WINDOW"]
    ):
        user.first_failed_code_at = now
        user.failed_codes = 0
    user.failed_codes += 1
    user.challenge_failures += 1
    audit.record(user, "login_failed", "user", user.id, after={"step": step})
    outcome = CodeOutcome.WRONG
    if user.challenge_failures >= config["SECOND_FACTOR_ATTEMPTS"]:
        user.second_factor_challenge = None
        user.challenge_failures = 0
        outcome = CodeOutcome.ROUND_ENDED
    limit = config["SECOND_FACTOR_ATTEMPTS"] * config["SECOND_FACTOR_ROUNDS"]
    if user.failed_codes >= limit:
        user.second_factor_locked_until = now + config["SECOND_FACTOR_LOCKOUT"]
        user.second_factor_challenge = None
        user.failed_codes = 0
        audit.record(
            user,
            "second_factor_lockout",
            "user",
            user.id,
            after={"locked_until": user.second_factor_locked_until.isoformat()},
        )
        outcome = CodeOutcome.LOCKED
    db.session.commit()
    return outcome


def check_code(user: User, code: str, *, step: str = "second factor") -> CodeOutcome:
    """A code from the authenticator app or a recovery code, counted per account and per
    pending sign-in. A secret that cannot be decrypted is not the person's mistake: it is
    logged (twofactor.user_secret) and not counted."""
    now = utcnow()
    if second_factor_locked(user, now):
        user.second_factor_challenge = None
        audit.record(user, "login_failed", "user", user.id, after={"step": step, "locked": True})
        db.session.commit()
        return CodeOutcome.LOCKED
    try:
        accepted = twofactor.verify_user_code(user, code)
    except twofactor.SecretUnreadable:
        if twofactor.use_recovery_code(user, code):
            accepted = True
        else:
            audit.record(
                user, "login_failed", "user", user.id, after={"step": step, "unreadable": True}
            )
            db.session.commit()
            return CodeOutcome.UNREADABLE
    else:
        accepted = accepted or twofactor.use_recovery_code(user, code)
    if not accepted:
        if twofactor.is_replay(user, code):
            # A code used a moment ago (a second tab, a double click): refused, not a guess.
            audit.record(
                user, "login_failed", "user", user.id, after={"step": step, "replayed": True}
            )
            db.session.commit()
            return CodeOutcome.WRONG
        return _code_failed(user, now, step)
    user.second_factor_challenge = None
    user.challenge_failures = 0
    user.failed_codes = 0
    user.first_failed_code_at = None
    return CodeOutcome.ACCEPTED


def start_session(user: User) -> None:
    """A brand-new session for a signed-in user: nothing from before sign-in survives."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    now = utcnow().timestamp()
    session["started"] = now
    session["seen"] = now
    session[AUTHENTICATED_AT] = now
    # Views may pass Flask-Login's current_user proxy; the session must hold the real user.
    login_user(getattr(user, "_get_current_object", lambda: user)())


def sign_in(user: User) -> None:
    # A language chosen on the way in (?lang= or the switcher) is the person's choice: keep it.
    chosen = session.get("lang")
    if chosen in current_app.config["LANGUAGES"]:
        user.locale = chosen
    user.last_login_at = utcnow()
    audit.record(user, "login", "user", user.id)
    db.session.commit()
    start_session(user)


def recently_authenticated() -> bool:
    """Whether this session proved the password (and code) recently enough to change the
    password or the second factor: at sign-in, or on the confirmation page since."""
    window = current_app.config["REAUTHENTICATION_WINDOW"].total_seconds()
    return utcnow().timestamp() - session.get(AUTHENTICATED_AT, 0) <= window


def confirm_identity(
    user: User, password: str, code: str | None, *, address: str | None, trusted: set[int]
) -> str | None:
    """Re-authentication of a signed-in person: their password, and a current code when the
    second factor is on; counted and throttled like sign-in. None when confirmed (the session
    remembers when), else the translated reason."""
    if not check_password(user, password, address=address, trusted=trusted):
        if is_locked(user, trusted=user.id in trusted):
            return _("Too many wrong passwords. Try again later.")
        return _("Your password is not correct.")
    if user.has_totp:
        outcome = check_code(user, code or "", step="confirmation")
        if outcome == CodeOutcome.UNREADABLE:
            return _(
                "Your code cannot be checked at the moment. "
                "Please tell the portal's administrators."
            )
        if outcome == CodeOutcome.LOCKED:
            return _("Too many wrong codes. Two-factor sign-in is locked for a while.")
        if outcome != CodeOutcome.ACCEPTED:
            return _("The code is not correct or has already been used.")
    session[AUTHENTICATED_AT] = utcnow().timestamp()
    audit.record(user, "reauthenticated", "user", user.id)
    return None


def end_other_sessions(user: User, keep_current: bool = True) -> None:
    """Every session of ``user`` stops working; the current one is renewed if asked."""
    user.session_generation += 1
    db.session.commit()
    if keep_current:
        start_session(user)


def session_deadline() -> tuple[float, bool]:
    """When the current session ends (a POSIX timestamp) if nothing more happens in it, and
    whether that end is final: the absolute lifetime, which activity cannot move, rather than
    the idle timeout, which every request moves."""
    config = current_app.config
    idle_end = session.get("seen", 0) + config["IDLE_TIMEOUT"].total_seconds()
    absolute_end = session.get("started", 0) + config["ABSOLUTE_SESSION_LIFETIME"].total_seconds()
    return min(idle_end, absolute_end), absolute_end <= idle_end


def touch_session(*, force: bool = False) -> None:
    """Count this moment as activity: the idle timeout starts again from now.

    Written at most once per sixtieth of the idle timeout (30 s of 30 minutes) unless forced
    ("Stay signed in"): a changed session is signed and sent again as a cookie, and a person
    reading page after page would otherwise pay that on every request. The session may end
    that much earlier than the timeout says, never later."""
    now = utcnow().timestamp()
    step = current_app.config["IDLE_TIMEOUT"].total_seconds() / 60
    if force or now - session.get("seen", 0) >= step:
        session["seen"] = now


def expire_session() -> None:
    """End a session that timed out; the chosen language stays for the sign-in page."""
    logout_user()
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def sign_out(user: User) -> None:
    audit.record(user, "logout", "user", user.id)
    user.session_generation += 1
    db.session.commit()
    logout_user()
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def change_password(
    user: User, current: str, new: str, *, address: str | None, trusted: set[int]
) -> None:
    """The signed-in person's new password; the current one is checked (and counted) as at
    sign-in. Other sessions end and the account is told by e-mail."""
    if not check_password(user, current, address=address, trusted=trusted):
        raise AccountError(_("Your current password is not correct."))
    problems = password_problems(new, user.email)
    if problems:
        raise AccountError(" ".join(problems))
    user.set_password(new)
    audit.record(user, "password_change", "user", user.id)
    notify_security_change(user, SecurityChange.PASSWORD)
    end_other_sessions(user)


class SecurityChange(StrEnum):
    PASSWORD = "password"  # nosec B105  # noqa: S105 (a kind of change, not a password)
    SECOND_FACTOR_ON = "second_factor_on"
    SECOND_FACTOR_REPLACED = "second_factor_replaced"
    SECOND_FACTOR_OFF = "second_factor_off"
    RECOVERY_CODES = "recovery_codes"


def _security_change_text(change: SecurityChange) -> str:
    return {
        SecurityChange.PASSWORD: _("Your password was changed."),
        SecurityChange.SECOND_FACTOR_ON: _("Two-factor sign-in was turned on."),
        SecurityChange.SECOND_FACTOR_REPLACED: _(
            "Two-factor sign-in was moved to a new authenticator app."
        ),
        SecurityChange.SECOND_FACTOR_OFF: _("Two-factor sign-in was turned off."),
        SecurityChange.RECOVERY_CODES: _(
            "New recovery codes were made; the earlier ones no longer work."
        ),
    }[change]


def notify_security_change(user: User, change: SecurityChange) -> None:
    """Tell the account, in its own language, that its password or second factor changed: if
    someone else did it, the owner learns at once."""
    from flask_babel import force_locale

    from portal.mail import services as mail

    with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        mail.send(
            user.email,
            _("A security setting of your portal account was changed"),
            mail.render_mail(
                "accounts/email/security_change.txt",
                user=user,
                change=_security_change_text(change),
                when=utcnow(),
                reset_link=mail.external_url("accounts.forgot_password"),
            ),
        )


def create_user(
    *,
    email: str,
    name: str,
    password: str | None,
    role: Role,
    organisation: Organisation,
    actor: User | None,
    locale: str | None = None,
) -> User:
    """Create an account. Without a password the account can only be used through an
    invitation link."""
    email = normalise_email(email)
    if db.session.scalar(db.select(User.id).where(User.email == email)) is not None:
        raise AccountError(_("An account with this e-mail address already exists."))
    user = User(email=email, name=name.strip(), role=role, organisation=organisation, locale=locale)
    if password is None:
        user.password_hash = hash_password(secrets.token_urlsafe(32))
    else:
        problems = password_problems(password, email)
        if problems:
            raise AccountError(" ".join(problems))
        user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "create", "user", user.id, after=audit.snapshot(user))
    return user


def set_active(user: User, active: bool, actor: User) -> None:
    before = audit.snapshot(user)
    user.is_active_account = active
    if not active:
        user.session_generation += 1  # ends every session the user has
    audit.record(
        actor,
        "activate" if active else "deactivate",
        "user",
        user.id,
        before,
        audit.snapshot(user),
    )


# ---------------------------------------------------------------- one-time links


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, purpose: TokenPurpose) -> str:
    """A single-use token; only its digest is stored. Earlier unused ones of the same purpose
    stop working."""
    lifetime = current_app.config[
        "INVITATION_LIFETIME" if purpose == TokenPurpose.INVITATION else "PASSWORD_RESET_LIFETIME"
    ]
    now = utcnow()
    for old in db.session.scalars(
        db.select(OneTimeToken).where(
            OneTimeToken.user_id == user.id,
            OneTimeToken.purpose == purpose,
            OneTimeToken.used_at.is_(None),
        )
    ):
        old.used_at = now
    token = secrets.token_urlsafe(32)
    db.session.add(
        OneTimeToken(
            user=user, purpose=purpose, token_hash=_digest(token), expires_at=now + lifetime
        )
    )
    return token


def find_token(token: str, purpose: TokenPurpose) -> OneTimeToken | None:
    """The still-valid token record, or None when unknown, used or expired."""
    if not token or len(token) > 100:
        return None
    record = db.session.scalar(
        db.select(OneTimeToken).where(
            OneTimeToken.token_hash == _digest(token), OneTimeToken.purpose == purpose
        )
    )
    if record is None or record.used_at is not None or record.expires_at <= utcnow():
        return None
    return record


def redeem_token(record: OneTimeToken, new_password: str) -> User:
    user = record.user
    problems = password_problems(new_password, user.email)
    if problems:
        raise AccountError(" ".join(problems))
    user.set_password(new_password)
    record.used_at = utcnow()
    # A new password ends the sign-in lockouts (not the second factor's: the mailbox alone
    # does not prove the phone).
    user.failed_logins = 0
    user.locked_until = None
    user.device_failed_logins = 0
    user.device_locked_until = None
    user.lockouts = 0
    action = (
        "invitation_accepted" if record.purpose == TokenPurpose.INVITATION else "password_reset"
    )
    audit.record(user, action, "user", user.id)
    user.session_generation += 1
    if record.purpose == TokenPurpose.INVITATION:
        from portal.notifications.events import notify

        db.session.flush()
        notify("invitation_accepted", user, user)
    db.session.commit()
    return user


def send_invitation(actor: User | None, user: User) -> None:
    """Mail ``user`` a link, valid for seven days and once, to choose their password."""
    from portal.mail import services as mail

    token = issue_token(user, TokenPurpose.INVITATION)
    link = mail.external_url("accounts.accept_invitation", token=token)
    mail.send(
        user.email,
        _("You are invited to the Stockholm–Kyiv cooperation portal"),
        mail.render_mail("accounts/email/invitation.txt", user=user, link=link),
    )
    audit.record(actor, "invite", "user", user.id)


def request_password_reset(email: str, address: str | None = None) -> None:
    """Mail a reset link when ``email`` has an active account. Runs after the response has gone
    (a job: portal.jobs.enqueue), so that the answer neither waits for nor depends on whether the
    account exists; the same token and digest are made either way."""
    from flask_babel import force_locale

    from portal.mail import services as mail

    user = find_user(email)
    if user is None or not user.is_active:
        _digest(secrets.token_urlsafe(32))  # the same work as issuing a token
        return
    token = issue_token(user, TokenPurpose.PASSWORD_RESET)
    with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        mail.send(
            user.email,
            _("Reset your password for the Stockholm–Kyiv cooperation portal"),
            mail.render_mail(
                "accounts/email/reset.txt",
                user=user,
                link=mail.external_url("accounts.reset_password", token=token),
            ),
        )
    audit.record(user, "password_reset_requested", "user", user.id, after={"address": address})
    db.session.commit()
