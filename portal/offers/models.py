"""An offer of expertise with a capacity in person-days.

draft → open → committed (no capacity left) | withdrawn. Capacity committed by agreed matches is
kept on the offer so lists and the matching score read it without a join.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from sqlalchemy import (
    Column,
    ColumnElement,
    Date,
    ForeignKey,
    Index,
    Integer,
    Table,
    and_,
    exists,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.content.models import TextOwnerMixin
from portal.core.enums import HelpKind, MatchStatus, OfferStatus, Visibility
from portal.core.transitions import IllegalTransition
from portal.core.types import UTCDateTime, enum_column, utcnow
from portal.core.visibility import allowed_visibilities, is_signed_in
from portal.extensions import db
from portal.reference.models import Theme

if TYPE_CHECKING:
    from portal.accounts.models import User
    from portal.agreements.models import Agreement
    from portal.content.models import Text
    from portal.matching.models import Match
    from portal.reference.models import Organisation

offer_themes = Table(
    "offer_themes",
    db.metadata,
    Column("offer_id", ForeignKey("offers.id", ondelete="CASCADE"), primary_key=True),
    Column("theme_id", ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_offer_themes_theme_offer", "theme_id", "offer_id"),
)

OFFER_TRANSITIONS: dict[OfferStatus, set[OfferStatus]] = {
    OfferStatus.DRAFT: {OfferStatus.OPEN, OfferStatus.WITHDRAWN},
    OfferStatus.OPEN: {OfferStatus.COMMITTED, OfferStatus.WITHDRAWN},
    OfferStatus.COMMITTED: {OfferStatus.OPEN, OfferStatus.WITHDRAWN},
    OfferStatus.WITHDRAWN: set(),
}


class Offer(TextOwnerMixin, db.Model):
    __tablename__ = "offers"
    __text_kind__ = "offer"
    __text_fields__ = {"title": "title_id", "description": "description_id"}
    __table_args__ = (Index("ix_offers_visibility_status", "visibility", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # Indexed: search finds records by the texts that contain the words.
    title_id: Mapped[int] = mapped_column(ForeignKey("texts.id"), index=True)
    description_id: Mapped[int] = mapped_column(ForeignKey("texts.id"), index=True)
    help_kind: Mapped[HelpKind] = mapped_column(enum_column(HelpKind), index=True)
    capacity_days: Mapped[int] = mapped_column(Integer)
    committed_days: Mapped[int] = mapped_column(Integer, default=0)
    available_from: Mapped[date] = mapped_column(Date)
    available_until: Mapped[date] = mapped_column(Date)
    visibility: Mapped[Visibility] = mapped_column(enum_column(Visibility))
    status: Mapped[OfferStatus] = mapped_column(
        enum_column(OfferStatus), default=OfferStatus.DRAFT, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    agreement: Mapped[Agreement] = relationship()
    organisation: Mapped[Organisation] = relationship()
    created_by: Mapped[User] = relationship()
    themes: Mapped[list[Theme]] = relationship(secondary=offer_themes, order_by=Theme.position)
    title: Mapped[Text] = relationship(foreign_keys=[title_id])
    description: Mapped[Text] = relationship(foreign_keys=[description_id])
    matches: Mapped[list[Match]] = relationship(back_populates="offer")

    __mapper_args__: dict[str, Any] = {"version_id_col": version}

    @property
    def remaining_days(self) -> int:
        return max(self.capacity_days - self.committed_days, 0)

    def can_transition(self, target: OfferStatus) -> bool:
        return target in OFFER_TRANSITIONS[self.status]

    def transition(self, target: OfferStatus) -> None:
        if not self.can_transition(target):
            raise IllegalTransition(
                _(
                    "An offer that is %(current)s cannot become %(target)s.",
                    current=self.status.label.lower(),
                    target=target.label.lower(),
                )
            )
        self.status = target
        if target == OfferStatus.OPEN and self.published_at is None:
            self.published_at = utcnow()

    def can_view(self, user: User | None) -> bool:
        if not is_signed_in(user):
            return self.visibility == Visibility.PUBLIC and self.status != OfferStatus.DRAFT
        assert user is not None
        if user.organisation_id == self.organisation_id:
            return True
        if self.status == OfferStatus.DRAFT:
            return False
        if user.sees_everything or self.visibility != Visibility.RESTRICTED:
            return True
        return any(
            m.need.organisation_id == user.organisation_id
            for m in self.matches
            if m.status in (MatchStatus.PROPOSED, MatchStatus.AGREED)
        )

    def can_edit(self, user: User | None) -> bool:
        return (
            is_signed_in(user)
            and user is not None
            and user.is_expert
            and user.organisation_id == self.organisation_id
            and self.status != OfferStatus.WITHDRAWN
        )

    @classmethod
    def visible_to(cls, user: User | None) -> ColumnElement[bool]:
        """SQL predicate: the offers ``user`` may see."""
        from portal.matching.models import Match
        from portal.needs.models import Need

        published = cls.status != OfferStatus.DRAFT
        if not is_signed_in(user):
            return and_(published, cls.visibility == Visibility.PUBLIC)
        assert user is not None
        own = cls.organisation_id == user.organisation_id
        if user.sees_everything:
            return or_(own, published)
        on_match = exists(
            select(Match.id)
            .join(Need, Need.id == Match.need_id)
            .where(
                Match.offer_id == cls.id,
                Match.status.in_((MatchStatus.PROPOSED, MatchStatus.AGREED)),
                Need.organisation_id == user.organisation_id,
            )
        )
        return or_(
            own,
            and_(
                published,
                or_(
                    cls.visibility.in_(allowed_visibilities(user)),
                    and_(cls.visibility == Visibility.RESTRICTED, on_match),
                ),
            ),
        )

    def __repr__(self) -> str:
        return f"<Offer {self.id} {self.status}>"
