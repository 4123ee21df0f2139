"""What happened (an event), who is told (a notification per person), who listens (follows),
how each person wants mail (preferences), and the mail itself (a delivery per notification and
channel, a digest per person and period).

Records are named by ``(kind, id)`` as in ``portal.core.records``; visibility is never stored:
it is asked of the record when the event is made, when it is shown and when it is mailed.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.core.types import UTCDateTime, enum_column, utcnow
from portal.extensions import Model


class Frequency(StrEnum):
    IMMEDIATELY = "immediately"
    DAILY = "daily"
    WEEKLY = "weekly"
    NEVER = "never"


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting for its job (immediately) or its digest
    SENDING = "sending"  # claimed by a job; a worker that dies here leaves it for admins
    SENT = "sent"
    SKIPPED = "skipped"  # nothing to send any more (unsubscribed, record no longer visible)
    FAILED = "failed"  # every try failed; shown to admins


class Follow(Model):
    """A person's own choice about a record: following it (``active``) or, for someone who
    follows it by taking part, muting it (``active`` false)."""

    __tablename__ = "follows"
    __table_args__ = (
        UniqueConstraint("user_id", "record_kind", "record_id", name="uq_follows_user_record"),
        Index("ix_follows_record", "record_kind", "record_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    record_kind: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()


class NotificationEvent(Model):
    """Something that happened to a record. ``key`` makes a scheduled reminder happen once
    (a milestone's "due in 7 days", an agreement's "ends in 30 days")."""

    __tablename__ = "notification_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    record_kind: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[int] = mapped_column(Integer)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    key: Mapped[str | None] = mapped_column(String(80), unique=True)
    detail: Mapped[str | None] = mapped_column(String(40))  # a number of days, say
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User | None] = relationship()


class Notification(Model):
    """An event addressed to one person: their inbox row."""

    __tablename__ = "notifications"
    __table_args__ = (
        # The header's unread count and the inbox: one person's rows, unread first.
        Index("ix_notifications_user_read", "user_id", "read_at"),
        UniqueConstraint("event_id", "user_id", name="uq_notifications_event_user"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("notification_events.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # Copied from the event: the inbox filters and the visibility rule read them without a join.
    kind: Mapped[str] = mapped_column(String(30))
    record_kind: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[int] = mapped_column(Integer)
    is_mention: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event: Mapped[NotificationEvent] = relationship()
    user: Mapped[User] = relationship()


class NotificationPreference(Model):
    """How a person wants mail about one kind of event. No row: the kind's default."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    frequency: Mapped[Frequency] = mapped_column(enum_column(Frequency))


class Digest(Model):
    """One person's digest for one period (``daily:2026-12-02``, ``weekly:2026-W49``): made
    once, whoever runs the scheduler how often."""

    __tablename__ = "notification_digests"
    __table_args__ = (UniqueConstraint("user_id", "period", name="uq_digests_user_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(20))
    status: Mapped[DeliveryStatus] = mapped_column(
        enum_column(DeliveryStatus), default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class Delivery(Model):
    """The outbox row of one notification on one channel (e-mail): claimed, then marked sent,
    in the database, so a job run again never sends it twice."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (
        UniqueConstraint("notification_id", "channel", name="uq_deliveries_notification_channel"),
        Index("ix_deliveries_status_frequency", "status", "frequency"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(10), default="email")
    frequency: Mapped[Frequency] = mapped_column(enum_column(Frequency))
    status: Mapped[DeliveryStatus] = mapped_column(
        enum_column(DeliveryStatus), default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(255))
    digest_id: Mapped[int | None] = mapped_column(
        ForeignKey("notification_digests.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    notification: Mapped[Notification] = relationship()
