"""The secret address of a person's calendar feed, kept as a digest.

The address carries a random token (256 bits); the table keeps only its SHA-256, so a copy of the
database gives nobody a working address. A token that random cannot be guessed from its digest,
so no key (or key rotation) is needed. Renewing replaces the digest: the old address stops
working at once.
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


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class CalendarToken(Model):
    __tablename__ = "calendar_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<CalendarToken of user {self.user_id}>"
