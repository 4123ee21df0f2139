"""An offer of expertise with a capacity in person-days.

draft → open → committed (no capacity left) | withdrawn. Capacity committed by agreed matches is
kept on the offer so lists and the matching score read it without a join. The columns, the state
machine and the permissions every posting shares are in ``portal.postings.models``.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, Date, ForeignKey, Index, Integer, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.enums import OfferStatus
from portal.extensions import Model, db
from portal.postings.models import PostingMixin
from portal.reference.models import Theme

if TYPE_CHECKING:
    from portal.matching.models import Match

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


class Offer(PostingMixin, Model):
    __tablename__ = "offers"
    __text_kind__ = "offer"
    __table_args__ = (Index("ix_offers_visibility_status", "visibility", "status"),)

    Status = OfferStatus
    transitions = OFFER_TRANSITIONS
    live_statuses = (OfferStatus.OPEN,)
    owner_role = "is_expert"
    match_side = "offer"
    counterpart = "need"
    refused_transition = _l("An offer that is %(current)s cannot become %(target)s.")
    status_indexed = True

    capacity_days: Mapped[int] = mapped_column(Integer)
    committed_days: Mapped[int] = mapped_column(Integer, default=0)
    available_from: Mapped[date] = mapped_column(Date)
    available_until: Mapped[date] = mapped_column(Date)

    themes: Mapped[list[Theme]] = relationship(secondary=offer_themes, order_by=Theme.position)
    matches: Mapped[list[Match]] = relationship(back_populates="offer")

    @property
    def remaining_days(self) -> int:
        return max(self.capacity_days - self.committed_days, 0)

    @classmethod
    def access_model(cls) -> type[OfferAccess]:
        return OfferAccess


class OfferAccess(Model):
    """Who may see a restricted offer besides its own organisation and coordinators: each
    organisation at the other end of a live (proposed or agreed) match with it, once (the
    organisations whose needs it was matched with). Written by ``portal.matching.access`` in
    the same transaction as the match change that grants or takes it away, as ``need_access``
    is for needs; ``flask access reconcile`` compares both with the rule. Kept for every offer
    whatever its visibility."""

    __tablename__ = "offer_access"
    __table_args__ = (Index("ix_offer_access_organisation_offer", "organisation_id", "offer_id"),)

    offer_id: Mapped[int] = mapped_column(
        ForeignKey("offers.id", ondelete="CASCADE"), primary_key=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
