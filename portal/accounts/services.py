"""Signing in and out, and creating accounts."""

from __future__ import annotations

import contextlib

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from flask_login import login_user, logout_user

from portal.accounts.models import User, hash_password
from portal.audit import services as audit
from portal.core.enums import Role
from portal.core.types import utcnow
from portal.extensions import db
from portal.reference.models import Organisation

# Verifying against a real hash keeps "unknown e-mail" as slow as "wrong password".
_DUMMY_HASH = hash_password("no account has this password")


class AccountError(ValueError):
    """A clear, translatable reason why an account could not be created or changed."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def load_user_from_session(session_id: str) -> User | None:
    user_id, _, generation = session_id.partition(":")
    if not user_id.isdigit() or not generation.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_generation != int(generation) or not user.is_active:
        return None
    return user


def authenticate(email: str, password: str) -> User | None:
    """The user for these credentials, or None. Every failure looks the same to the caller."""
    user = db.session.scalar(db.select(User).where(User.email == normalise_email(email)))
    if user is None:
        with contextlib.suppress(VerificationError):
            PasswordHasher().verify(_DUMMY_HASH, password)
        audit.record(None, "login_failed", "user", None, after={"email": normalise_email(email)})
        db.session.commit()
        return None
    if not user.check_password(password) or not user.is_active:
        audit.record(user, "login_failed", "user", user.id)
        db.session.commit()
        return None
    return user


def sign_in(user: User, remember: bool = False) -> None:
    user.last_login_at = utcnow()
    audit.record(user, "login", "user", user.id)
    db.session.commit()
    login_user(user, remember=remember)


def sign_out(user: User) -> None:
    audit.record(user, "logout", "user", user.id)
    db.session.commit()
    logout_user()


def create_user(
    *,
    email: str,
    name: str,
    password: str,
    role: Role,
    organisation: Organisation,
    actor: User | None,
    locale: str | None = None,
) -> User:
    email = normalise_email(email)
    if db.session.scalar(db.select(User.id).where(User.email == email)) is not None:
        from flask_babel import gettext as _

        raise AccountError(_("An account with this e-mail address already exists."))
    user = User(email=email, name=name.strip(), role=role, organisation=organisation, locale=locale)
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
        actor, "activate" if active else "deactivate", "user", user.id, before, audit.snapshot(user)
    )
