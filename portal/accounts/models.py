"""User accounts. A user belongs to one organisation of one city and has one role."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.enums import Role, Side
from portal.core.types import UTCDateTime, enum_column, utcnow
from portal.extensions import Model
from portal.reference.models import Organisation

# argon2id with the library's defaults (RFC 9106 low-memory profile). The test suite signs in
# thousands of times and uses the minimum cost; the hash format and checks are the same.
_STRONG = PasswordHasher()
_FAST_FOR_TESTS = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def _hasher() -> PasswordHasher:
    if has_app_context() and current_app.config.get("TESTING"):
        return _FAST_FOR_TESTS
    return _STRONG


class HasRole:
    """What a person's role decides: shared by the account row and the facts kept of it
    (portal.accounts.viewer.KeptViewer)."""

    role: Role

    @property
    def is_coordinator(self) -> bool:
        return self.role == Role.COORDINATOR

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_requester(self) -> bool:
        return self.role == Role.REQUESTER

    @property
    def is_expert(self) -> bool:
        return self.role == Role.EXPERT

    @property
    def sees_everything(self) -> bool:
        """Coordinators see every record, restricted ones included."""
        return self.role == Role.COORDINATOR

    @property
    def side(self) -> Side:
        if self.role == Role.REQUESTER:
            return Side.REQUESTER
        if self.role == Role.EXPERT:
            return Side.EXPERT
        return Side.COORDINATOR


class User(HasRole, UserMixin, Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    is_active_account: Mapped[bool] = mapped_column("is_active", Boolean, default=True)
    locale: Mapped[str | None] = mapped_column(String(5))
    timezone: Mapped[str | None] = mapped_column(String(40))
    # Bumped on sign-out everywhere, password change and deactivation: older sessions stop working.
    session_generation: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Sign-in throttling: failures within the window, and the end of a lockout, for browsers
    # without the account's device cookie (anyone who knows the e-mail address)...
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    first_failed_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # ... lockouts since the last successful sign-in (each one lasts twice as long)...
    lockouts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # ... and the same for browsers that signed in to the account before (device cookie).
    device_failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    device_first_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    device_locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The pending sign-in waiting for a code (a digest of the id its browser holds) and its
    # wrong codes; wrong codes of all sign-ins within the window, and the second factor's lock.
    second_factor_challenge: Mapped[str | None] = mapped_column(String(64))
    challenge_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    failed_codes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    first_failed_code_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    second_factor_locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Two-factor sign-in: the TOTP secret encrypted at rest, and the last time step used (replay).
    totp_secret_encrypted: Mapped[str | None] = mapped_column(String(255))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)

    organisation: Mapped[Organisation] = relationship(back_populates="users", lazy="joined")
    recovery_codes: Mapped[list[RecoveryCode]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    # Flask-Login
    @property
    def is_active(self) -> bool:
        return self.is_active_account and self.organisation.is_active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_generation}"

    # Passwords
    def set_password(self, password: str) -> None:
        self.password_hash = _hasher().hash(password)

    def check_password(self, password: str) -> bool:
        try:
            ok = _hasher().verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        if ok and _hasher().check_needs_rehash(self.password_hash):
            self.password_hash = _hasher().hash(password)
        return ok

    @property
    def has_totp(self) -> bool:
        return self.totp_enabled_at is not None and self.totp_secret_encrypted is not None

    @property
    def effective_timezone(self) -> str:
        return self.timezone or self.organisation.city.timezone

    def __repr__(self) -> str:
        return f"<User {self.email}>"


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_hash(stored: str, secret: str) -> bool:
    try:
        return _hasher().verify(stored, secret)
    except (VerificationError, InvalidHashError):
        return False


class RecoveryCode(Model):
    """A one-time code for signing in without the authenticator app, stored hashed."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="recovery_codes")


class TokenPurpose(StrEnum):
    INVITATION = "invitation"
    PASSWORD_RESET = "password_reset"  # nosec B105  # noqa: S105 (a purpose, not a password)


class OneTimeToken(Model):
    """An invitation or password-reset link. Only the token's SHA-256 is stored."""

    __tablename__ = "one_time_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[TokenPurpose] = mapped_column(enum_column(TokenPurpose))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class SiteSetting(Model):
    """Settings an admin changes in the portal, such as two-factor sign-in for everyone."""

    __tablename__ = "site_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))
