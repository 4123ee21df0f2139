"""A need posted by a requesting organisation, with its life cycle.

draft → open → matched → in project → closed, and withdrawn from any state before closing. The
columns, the state machine and the permissions every posting shares are in
``portal.postings.models``; what is the need's own is here.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, ForeignKey, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.enums import NeedStatus, Priority
from portal.core.types import enum_column
from portal.extensions import Model
from portal.postings.models import PostingMixin

if TYPE_CHECKING:
    from portal.matching.models import Match
    from portal.reference.models import District, Theme

NEED_TRANSITIONS: dict[NeedStatus, set[NeedStatus]] = {
    NeedStatus.DRAFT: {NeedStatus.OPEN, NeedStatus.WITHDRAWN},
    NeedStatus.OPEN: {NeedStatus.MATCHED, NeedStatus.WITHDRAWN, NeedStatus.CLOSED},
    NeedStatus.MATCHED: {
        NeedStatus.IN_PROJECT,
        NeedStatus.OPEN,
        NeedStatus.WITHDRAWN,
        NeedStatus.CLOSED,
    },
    NeedStatus.IN_PROJECT: {NeedStatus.CLOSED},
    NeedStatus.CLOSED: set(),
    NeedStatus.WITHDRAWN: set(),
}


class Need(PostingMixin, Model):
    __tablename__ = "needs"
    __text_kind__ = "need"
    __table_args__ = (
        Index("ix_needs_status_theme", "status", "theme_id"),
        Index("ix_needs_visibility_status", "visibility", "status"),
        # A theme's newest needs, in the list's order (the filter used most).
        Index("ix_needs_theme_newest", "theme_id", "created_at", "id"),
    )

    Status = NeedStatus
    transitions = NEED_TRANSITIONS
    live_statuses = (NeedStatus.OPEN, NeedStatus.MATCHED)
    owner_role = "is_requester"
    match_side = "need"
    counterpart = "offer"
    refused_transition = _l("A need that is %(current)s cannot become %(target)s.")
    published_at_indexed = True

    theme_id: Mapped[int] = mapped_column(ForeignKey("themes.id"), index=True, sort_order=-6)
    district_id: Mapped[int | None] = mapped_column(
        ForeignKey("districts.id"), index=True, sort_order=-6
    )
    priority: Mapped[Priority] = mapped_column(enum_column(Priority), index=True, sort_order=-3)
    wanted_from: Mapped[date | None] = mapped_column(Date)
    wanted_until: Mapped[date | None] = mapped_column(Date)
    person_days: Mapped[int | None] = mapped_column(Integer)

    theme: Mapped[Theme] = relationship()
    district: Mapped[District | None] = relationship()
    matches: Mapped[list[Match]] = relationship(back_populates="need")

    @classmethod
    def access_model(cls) -> type[NeedAccess]:
        return NeedAccess


class NeedAccess(Model):
    """Who may see a restricted need besides its own organisation and coordinators: each
    organisation at the other end of a live (proposed or agreed) match with it, once. Written
    by ``portal.matching.access`` in the same transaction as the match change that grants or
    takes it away; ``flask access reconcile`` compares it with the rule. Kept for every need
    whatever its visibility, so that making a need restricted needs no rows written."""

    __tablename__ = "need_access"
    __table_args__ = (Index("ix_need_access_organisation_need", "organisation_id", "need_id"),)

    need_id: Mapped[int] = mapped_column(
        ForeignKey("needs.id", ondelete="CASCADE"), primary_key=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
