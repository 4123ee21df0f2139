"""Creating, revoking and checking personal API tokens.

The secret is shown once, at creation, and only its SHA-256 is stored: a copy of the database
opens nothing. Every API request looks its token up again, so a revoked token (or one whose
owner or organisation was deactivated) stops working with the very next request.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import TYPE_CHECKING

from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.exceptions import Forbidden

from portal.api.models import TOKEN_PREFIX, ApiToken, token_digest
from portal.audit import services as audit
from portal.core.text import clean_text
from portal.core.types import utcnow
from portal.core.visibility import is_signed_in
from portal.extensions import db

if TYPE_CHECKING:
    from portal.accounts.models import User

NAME_MAX = 80
# Enough for every script and tool a person runs; more is a sign of tokens never revoked.
ACTIVE_TOKENS_MAX = 10
# How precisely the profile says when a token was last used: one write an hour at most, not one
# per API request.
LAST_USED_PRECISION = timedelta(hours=1)
# Stored secrets are compared by their digest; anything longer than this is not a token.
SECRET_MAX = 100


class InvalidToken(ValueError):
    """The token cannot be made as asked; the message says why, in the reader's language."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def tokens_of(user: User | None) -> list[ApiToken]:
    """The user's tokens that still work, newest first."""
    if not is_signed_in(user):
        return []
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def create_token(actor: User, name: str) -> tuple[ApiToken, str]:
    """A new token of ``actor`` and its secret, which is never stored and never shown again."""
    if not is_signed_in(actor):
        raise Forbidden()
    name = clean_text(name)
    if not name:
        raise InvalidToken(_("Give the token a name, so that you know where you use it."))
    if len(name) > NAME_MAX:
        raise InvalidToken(_("Keep the name under %(max)d characters.", max=NAME_MAX))
    if len(tokens_of(actor)) >= ACTIVE_TOKENS_MAX:
        raise InvalidToken(
            _(
                "You have %(count)d tokens already. Revoke one you no longer use first.",
                count=ACTIVE_TOKENS_MAX,
            )
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=actor.id, name=name, token_hash=token_digest(secret), hint=secret[:10])
    db.session.add(token)
    db.session.flush()
    audit.record(actor, "create", "api_token", token.id, after={"name": name, "hint": token.hint})
    return token, secret


def revoke_token(actor: User, token: ApiToken) -> ApiToken:
    """The token stops working now. Only its owner revokes it (an admin deactivates the owner)."""
    if not token.can_revoke(actor):
        raise Forbidden()
    token.revoked_at = utcnow()
    db.session.flush()
    audit.record(actor, "revoke", "api_token", token.id, after={"name": token.name})
    return token


def authenticate(secret: str) -> ApiToken | None:
    """The working token with this secret, or None (unknown, revoked, or its owner or their
    organisation deactivated)."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > SECRET_MAX:
        return None
    token = db.session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == token_digest(secret), ApiToken.revoked_at.is_(None)
        )
    )
    if token is None or not token.user.is_active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        token.last_used_at = now  # committed with the request
    return token
