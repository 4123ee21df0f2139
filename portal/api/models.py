"""Personal API tokens: a person's key to the read API, shown once and stored as its SHA-256.

A token acts as its owner and sees what the owner may see (every query goes through the models'
``visible_to``); revoking it, deactivating the owner or their organisation stops it at once,
because every request looks the token up again.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.types import UTCDateTime, utcnow
from portal.extensions import Model

if TYPE_CHECKING:
    from portal.accounts.models import User

# What every token starts with: secret scanners and people recognise a leaked one by it.
TOKEN_PREFIX = "skp_"  # nosec B105  # noqa: S105 (a prefix, not a secret)


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


class ApiToken(Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters of the secret, so its owner can tell their tokens apart.
    hint: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def can_revoke(self, user: User | None) -> bool:
        return user is not None and getattr(user, "id", None) == self.user_id and self.is_active

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} {self.hint}…>"
