"""Two-factor sign-in with TOTP (RFC 6238) and one-time recovery codes.

Secrets are encrypted at rest with a key derived from ``TOTP_ENCRYPTION_KEY`` (required in
production; ``SECRET_KEY`` elsewhere). Older keys (``TOTP_ENCRYPTION_KEY_FALLBACKS``, and
``SECRET_KEY`` with its fallbacks, which encrypted secrets before ``TOTP_ENCRYPTION_KEY`` was set)
still decrypt until ``flask users reencrypt-totp`` has rewritten every secret under the current
key. A secret no key can decrypt is logged as such, and the person told that their code cannot be
checked, never that it is wrong. A code is accepted once (its time step is remembered, so a
replay is refused) with ±1 step of clock drift. The QR code is drawn locally as inline SVG:
nothing leaves the portal.
"""

from __future__ import annotations

import base64
import logging
import secrets
from functools import lru_cache
from typing import TYPE_CHECKING

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app, g, has_app_context
from markupsafe import Markup

from portal.accounts.models import RecoveryCode, SiteSetting, hash_password, verify_hash
from portal.core.enums import Role
from portal.core.types import utcnow
from portal.extensions import db

if TYPE_CHECKING:
    from portal.accounts.models import User

log = logging.getLogger(__name__)

ISSUER = "Stockholm–Kyiv portal"
RECOVERY_CODE_COUNT = 10
MFA_FOR_EVERYONE = "mfa_required_for_everyone"


class SecretUnreadable(RuntimeError):
    """The stored secret cannot be decrypted with any configured key: a configuration problem
    (a changed or missing TOTP_ENCRYPTION_KEY), not a wrong code."""


@lru_cache(maxsize=16)
def _derived(secret: str) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"portal-totp", info=b"totp secrets"
    ).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def encryption_keys() -> list[str]:
    """The current key first, then every key a stored secret may still be encrypted under."""
    config = current_app.config
    keys = [config.get("TOTP_ENCRYPTION_KEY") or config["SECRET_KEY"]]
    keys += config.get("TOTP_ENCRYPTION_KEY_FALLBACKS") or []
    keys += [config["SECRET_KEY"], *(config.get("SECRET_KEY_FALLBACKS") or [])]
    return list(dict.fromkeys(key for key in keys if key))


def _fernet() -> MultiFernet:
    return MultiFernet([_derived(key) for key in encryption_keys()])


def encrypt_secret(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def decrypt_secret(token: str) -> str | None:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return None


def user_secret(user: User) -> str:
    """The user's TOTP secret; SecretUnreadable (logged) when no configured key opens it."""
    secret = decrypt_secret(user.totp_secret_encrypted or "")
    if secret is None:
        log.error(
            "the second factor of user %s cannot be decrypted with any configured key "
            "(TOTP_ENCRYPTION_KEY or its fallbacks changed?)",
            user.id,
        )
        raise SecretUnreadable(user.id)
    return secret


def reencrypt_all() -> tuple[int, int]:
    """Every stored secret rewritten under the current key (after a key rotation); returns how
    many were rewritten and how many no key could decrypt (left as they are, and logged)."""
    from portal.accounts.models import User

    fernet = _fernet()
    rewritten = unreadable = 0
    for user in db.session.scalars(db.select(User).where(User.totp_secret_encrypted.is_not(None))):
        try:
            user.totp_secret_encrypted = fernet.rotate(
                (user.totp_secret_encrypted or "").encode()
            ).decode()
            rewritten += 1
        except InvalidToken:
            log.error("the second factor of user %s cannot be decrypted; left as it is", user.id)
            unreadable += 1
    return rewritten, unreadable


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(uri: str, title: str) -> Markup:
    svg = segno.make(uri, error="m").svg_inline(scale=4, title=title, svgclass="qr")
    return Markup(svg)  # nosec B704  # noqa: S704 (segno's own SVG; the URI and title are escaped by segno)


def matching_step(secret: str, code: str) -> int | None:
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now_step = totp.timecode(utcnow())
    for step in (now_step - 1, now_step, now_step + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def verify_code(user: User, secret: str, code: str) -> bool:
    """Accept a code once: a step at or before the last one used is a replay."""
    step = matching_step(secret, code)
    if step is None:
        return False
    if user.totp_last_step is not None and step <= user.totp_last_step:
        return False
    user.totp_last_step = step
    return True


def verify_user_code(user: User, code: str) -> bool:
    """Whether ``code`` is the user's current code; SecretUnreadable when it cannot be told."""
    if not user.has_totp or user.totp_secret_encrypted is None:
        return False
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return False  # a recovery code, or nothing: no need to open the secret
    return verify_code(user, user_secret(user), code)


def is_replay(user: User, code: str) -> bool:
    """Whether ``code`` is a right code of a time step already used: refused, but no guess."""
    if not user.has_totp or user.totp_last_step is None:
        return False
    step = matching_step(user_secret(user), code)
    return step is not None and step <= user.totp_last_step


def enable(user: User, secret: str) -> list[str]:
    """Turn TOTP on with a confirmed secret; returns fresh recovery codes to show once."""
    user.totp_secret_encrypted = encrypt_secret(secret)
    user.totp_enabled_at = utcnow()
    return new_recovery_codes(user)


def disable(user: User) -> None:
    user.totp_secret_encrypted = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    user.recovery_codes.clear()


def new_recovery_codes(user: User) -> list[str]:
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODE_COUNT)]
    user.recovery_codes.clear()
    for code in codes:
        user.recovery_codes.append(RecoveryCode(code_hash=hash_password(code)))
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    code = code.strip().lower()
    if len(code) != 13:
        return False
    for stored in user.recovery_codes:
        if stored.used_at is None and verify_hash(stored.code_hash, code):
            stored.used_at = utcnow()
            return True
    return False


_KEPT = "portal_mfa_setting"


def remember_setting(setting: SiteSetting | None) -> None:
    """The user loader read the setting (or found no row: not for everyone) this request; kept
    on ``g`` so that asking again costs no query (the session only holds rows weakly)."""
    g.setdefault(_KEPT, setting)


def _setting() -> SiteSetting | None:
    if has_app_context() and _KEPT in g:
        return g.get(_KEPT)
    return db.session.get(SiteSetting, MFA_FOR_EVERYONE)


def required_for_everyone() -> bool:
    setting = _setting()
    return setting is not None and setting.value == "1"


def set_required_for_everyone(value: bool) -> None:
    setting = _setting()
    if setting is None:
        setting = SiteSetting(key=MFA_FOR_EVERYONE, value="0")
        db.session.add(setting)
        if has_app_context():
            setattr(g, _KEPT, setting)
    setting.value = "1" if value else "0"


def is_required(user: User) -> bool:
    """Mandatory for coordinators and admins; for everyone when an admin says so."""
    return user.role in (Role.COORDINATOR, Role.ADMIN) or required_for_everyone()
