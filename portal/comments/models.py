"""A comment on a record (need, offer, match or project) and the people it mentions.

The record is stored as ``(record_kind, record_id)`` (``portal.core.records``); a comment is seen
by whoever sees its record. A removed comment keeps its row (the thread says "removed") and its
text in the audit log; its body is emptied.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.i18n import ShownName
from portal.core.records import AttachedToRecordMixin
from portal.core.types import UTCDateTime, utcnow
from portal.core.visibility import is_signed_in
from portal.extensions import Model, db

if TYPE_CHECKING:
    from portal.accounts.models import User

COMMENT_KINDS = ("need", "offer", "match", "project")
# How long after posting its author may still correct a comment.
EDIT_WINDOW = timedelta(minutes=15)

comment_mentions = Table(
    "comment_mentions",
    db.metadata,
    Column("comment_id", ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id"), primary_key=True, index=True),
)


class CommentRules:
    """Who may do what with a comment, for the ORM row (``Comment``) and the row a thread reads
    for showing (``ShownComment``) alike: both have ``author_id``, ``created_at`` and
    ``removed_at``."""

    __slots__ = ()
    if TYPE_CHECKING:
        author_id: int
        created_at: datetime
        removed_at: datetime | None

    @property
    def is_removed(self) -> bool:
        return self.removed_at is not None

    def can_edit(self, user: User | None, now: datetime | None = None) -> bool:
        """Its author, within EDIT_WINDOW of posting it, while it stands."""
        return (
            is_signed_in(user)
            and user.id == self.author_id
            and not self.is_removed
            and (now or utcnow()) - self.created_at <= EDIT_WINDOW
        )

    def can_remove(self, user: User | None) -> bool:
        """Its author or a coordinator, while it stands."""
        return (
            is_signed_in(user)
            and not self.is_removed
            and (user.id == self.author_id or user.is_coordinator)
        )


class Comment(CommentRules, AttachedToRecordMixin, Model):
    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_record", "record_kind", "record_id", "created_at"),)
    attachable_kinds = COMMENT_KINDS

    id: Mapped[int] = mapped_column(primary_key=True)
    record_kind: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[int] = mapped_column()
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    lang: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    author: Mapped[User] = relationship(foreign_keys=[author_id])
    removed_by: Mapped[User | None] = relationship(foreign_keys=[removed_by_id])
    mentioned: Mapped[list[User]] = relationship(secondary=comment_mentions)

    def __repr__(self) -> str:
        return f"<Comment {self.id} on {self.record_kind} {self.record_id}>"


@dataclass(frozen=True, slots=True)
class ShownAuthor:
    name: str
    organisation: ShownName


@dataclass(frozen=True, slots=True)
class ShownComment(CommentRules):
    """A comment as its thread shows it, read with a Core select of the shown columns (a
    thread of fifty cost 4 ms to load as ORM rows with their authors, 0.6 ms so). What
    ``comments/_comment.html`` reads of a ``Comment`` it has too."""

    id: int
    author_id: int
    body: str
    lang: str
    created_at: datetime
    edited_at: datetime | None
    removed_at: datetime | None
    author: ShownAuthor
