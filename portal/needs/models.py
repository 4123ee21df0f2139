"""A need posted by a requesting organisation, with its life cycle.

draft → open → matched → in project → closed, and withdrawn from any state before closing.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from sqlalchemy import (
    ColumnElement,
    Date,
    ForeignKey,
    Index,
    Integer,
    and_,
    exists,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.content.models import TextOwnerMixin
from portal.core.enums import HelpKind, MatchStatus, NeedStatus, Priority, Visibility
from portal.core.transitions import IllegalTransition
from portal.core.types import UTCDateTime, enum_column, utcnow
from portal.core.visibility import allowed_visibilities, is_signed_in
from portal.extensions import db

if TYPE_CHECKING:
    from portal.accounts.models import User
    from portal.agreements.models import Agreement
    from portal.content.models import Text
    from portal.matching.models import Match
    from portal.reference.models import District, Organisation, Theme

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


class Need(TextOwnerMixin, db.Model):
    __tablename__ = "needs"
    __text_kind__ = "need"
    __text_fields__ = {"title": "title_id", "description": "description_id"}
    __table_args__ = (
        Index("ix_needs_status_theme", "status", "theme_id"),
        Index("ix_needs_visibility_status", "visibility", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    theme_id: Mapped[int] = mapped_column(ForeignKey("themes.id"), index=True)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"), index=True)
    # Indexed: search finds records by the texts that contain the words.
    title_id: Mapped[int] = mapped_column(ForeignKey("texts.id"), index=True)
    description_id: Mapped[int] = mapped_column(ForeignKey("texts.id"), index=True)
    priority: Mapped[Priority] = mapped_column(enum_column(Priority), index=True)
    help_kind: Mapped[HelpKind] = mapped_column(enum_column(HelpKind), index=True)
    wanted_from: Mapped[date | None] = mapped_column(Date)
    wanted_until: Mapped[date | None] = mapped_column(Date)
    person_days: Mapped[int | None] = mapped_column(Integer)
    visibility: Mapped[Visibility] = mapped_column(enum_column(Visibility))
    status: Mapped[NeedStatus] = mapped_column(enum_column(NeedStatus), default=NeedStatus.DRAFT)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    agreement: Mapped[Agreement] = relationship()
    organisation: Mapped[Organisation] = relationship()
    created_by: Mapped[User] = relationship()
    theme: Mapped[Theme] = relationship()
    district: Mapped[District | None] = relationship()
    title: Mapped[Text] = relationship(foreign_keys=[title_id])
    description: Mapped[Text] = relationship(foreign_keys=[description_id])
    matches: Mapped[list[Match]] = relationship(back_populates="need")

    __mapper_args__: dict[str, Any] = {"version_id_col": version}

    # State
    def can_transition(self, target: NeedStatus) -> bool:
        return target in NEED_TRANSITIONS[self.status]

    def transition(self, target: NeedStatus) -> None:
        if not self.can_transition(target):
            raise IllegalTransition(
                _(
                    "A need that is %(current)s cannot become %(target)s.",
                    current=self.status.label.lower(),
                    target=target.label.lower(),
                )
            )
        self.status = target
        if target == NeedStatus.OPEN and self.published_at is None:
            self.published_at = utcnow()

    @property
    def is_live(self) -> bool:
        return self.status in (NeedStatus.OPEN, NeedStatus.MATCHED)

    # Permissions: shared by views and templates
    def can_view(self, user: User | None) -> bool:
        if not is_signed_in(user):
            return self.visibility == Visibility.PUBLIC and self.status != NeedStatus.DRAFT
        assert user is not None
        if user.organisation_id == self.organisation_id:
            return True
        if self.status == NeedStatus.DRAFT:
            return False
        if user.sees_everything or self.visibility != Visibility.RESTRICTED:
            return True
        return any(
            m.offer.organisation_id == user.organisation_id
            for m in self.matches
            if m.status in (MatchStatus.PROPOSED, MatchStatus.AGREED)
        )

    def can_edit(self, user: User | None) -> bool:
        return (
            is_signed_in(user)
            and user is not None
            and user.is_requester
            and user.organisation_id == self.organisation_id
            and self.status not in (NeedStatus.CLOSED, NeedStatus.WITHDRAWN)
        )

    @classmethod
    def visible_to(cls, user: User | None) -> ColumnElement[bool]:
        """SQL predicate: the needs ``user`` may see."""
        from portal.matching.models import Match
        from portal.offers.models import Offer

        published = cls.status != NeedStatus.DRAFT
        if not is_signed_in(user):
            return and_(published, cls.visibility == Visibility.PUBLIC)
        assert user is not None
        own = cls.organisation_id == user.organisation_id
        if user.sees_everything:
            return or_(own, published)
        on_match = exists(
            select(Match.id)
            .join(Offer, Offer.id == Match.offer_id)
            .where(
                Match.need_id == cls.id,
                Match.status.in_((MatchStatus.PROPOSED, MatchStatus.AGREED)),
                Offer.organisation_id == user.organisation_id,
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
        return f"<Need {self.id} {self.status}>"
