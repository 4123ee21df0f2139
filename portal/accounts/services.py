"""Signing in and out, lockout, sessions, passwords, invitations and password resets."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from flask import current_app, session
from flask_babel import gettext as _
from flask_login import login_user, logout_user
from sqlalchemy import select

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
from portal.audit import services as audit
from portal.core.enums import Role
from portal.core.types import utcnow
from portal.extensions import db
from portal.reference.models import Organisation

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


def load_user_from_session(session_id: str) -> User | None:
    user_id, _sep, generation = session_id.partition(":")
    if not user_id.isdigit() or not generation.isdigit():
        return None
    # The user and the site's "second factor for everyone" setting in one query: every
    # signed-in request needs both (enforce_session_rules); twofactor keeps the setting for the
    # rest of the request.
    row = db.session.execute(
        select(User, SiteSetting)
        .outerjoin(SiteSetting, SiteSetting.key == MFA_FOR_EVERYONE)
        .where(User.id == int(user_id))
    ).first()
    if row is None:
        return None
    user, setting = row
    twofactor.remember_setting(setting)
    if user.session_generation != int(generation) or not user.is_active:
        return None
    return user


def find_user(email: str) -> User | None:
    return db.session.scalar(db.select(User).where(User.email == normalise_email(email)))


def is_locked(user: User, now: datetime | None = None) -> bool:
    return user.locked_until is not None and user.locked_until > (now or utcnow())


def _record_failure(user: User) -> None:
    config = current_app.config
    now = utcnow()
    window_start = user.first_failed_login_at
    if window_start is None or now - window_start > config["LOCKOUT_WINDOW"]:
        user.first_failed_login_at = now
        user.failed_logins = 0
    user.failed_logins += 1
    audit.record(user, "login_failed", "user", user.id)
    if user.failed_logins >= config["LOCKOUT_THRESHOLD"] and not is_locked(user, now):
        user.locked_until = now + config["LOCKOUT_DURATION"]
        audit.record(
            user, "lockout", "user", user.id, after={"locked_until": user.locked_until.isoformat()}
        )


def authenticate(email: str, password: str) -> User | None:
    """The user for these credentials, or None. An unknown e-mail, a wrong password, a locked
    or deactivated account all look the same to the caller (and take as long)."""
    user = find_user(email)
    if user is None:
        verify_hash(_dummy_hash(), password)
        audit.record(None, "login_failed", "user", None, after={"email": normalise_email(email)})
        db.session.commit()
        return None
    locked = is_locked(user)
    if not user.check_password(password) or locked or not user.is_active:
        if not locked:
            _record_failure(user)
        else:
            audit.record(user, "login_failed", "user", user.id, after={"locked": True})
        db.session.commit()
        return None
    user.failed_logins = 0
    user.first_failed_login_at = None
    user.locked_until = None
    return user


def start_session(user: User) -> None:
    """A brand-new session for a signed-in user: nothing from before sign-in survives."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    now = utcnow().timestamp()
    session["started"] = now
    session["seen"] = now
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


def touch_session() -> None:
    """Count this moment as activity: the idle timeout starts again from now."""
    session["seen"] = utcnow().timestamp()


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


def change_password(user: User, current: str, new: str) -> None:
    if not user.check_password(current):
        raise AccountError(_("Your current password is not correct."))
    problems = password_problems(new, user.email)
    if problems:
        raise AccountError(" ".join(problems))
    user.set_password(new)
    audit.record(user, "password_change", "user", user.id)
    end_other_sessions(user)


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
    user.failed_logins = 0
    user.locked_until = None
    action = (
        "invitation_accepted" if record.purpose == TokenPurpose.INVITATION else "password_reset"
    )
    audit.record(user, action, "user", user.id)
    user.session_generation += 1
    db.session.commit()
    return user


def send_invitation(actor: User | None, user: User) -> None:
    """Mail ``user`` a link, valid for seven days and once, to choose their password."""
    from flask import render_template, url_for

    from portal.mail import services as mail

    token = issue_token(user, TokenPurpose.INVITATION)
    link = url_for("accounts.accept_invitation", token=token, _external=True)
    mail.send(
        user.email,
        _("You are invited to the Stockholm–Kyiv cooperation portal"),
        render_template("accounts/email/invitation.txt", user=user, link=link),
    )
    audit.record(actor, "invite", "user", user.id)
