"""A match between a need and an offer, and the rules for deciding it.

proposed → agreed (once both sides have accepted) | declined | withdrawn. The proposing side's
acceptance is recorded with the proposal; a coordinator who brokers a match accepts for
neither side.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from sqlalchemy import (
    JSON,
    Boolean,
    ColumnElement,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UnicodeText,
    and_,
    false,
    or_,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.enums import MatchStatus, Side
from portal.core.records import record_kind
from portal.core.transitions import IllegalTransition
from portal.core.types import UTCDateTime, enum_column, utcnow
from portal.core.visibility import Scope, is_signed_in
from portal.extensions import Model

if TYPE_CHECKING:
    from portal.accounts.models import User
    from portal.needs.models import Need
    from portal.offers.models import Offer
    from portal.projects.models import Project

LIVE_MATCH_STATES = (MatchStatus.PROPOSED, MatchStatus.AGREED)


def side_for(
    user: User | None, need_organisation_id: int, offer_organisation_id: int
) -> Side | None:
    """The side ``user`` acts for on a pair of a need and an offer of these organisations: the
    requesting side for the need's organisation, the expert side for the offer's, coordinators
    in between; None for anyone else."""
    if not is_signed_in(user):
        return None
    if user.is_requester and user.organisation_id == need_organisation_id:
        return Side.REQUESTER
    if user.is_expert and user.organisation_id == offer_organisation_id:
        return Side.EXPERT
    if user.is_coordinator:
        return Side.COORDINATOR
    return None


class MatchRules:
    """Who decides what on a match, read from its state alone: shared by ``Match`` and the
    lighter rows a record's matches panel reads (``portal.matching.panels.PanelMatch``), so
    that both show the same buttons. A class using it has ``status``, ``proposed_side``,
    ``requester_accepted_at``, ``expert_accepted_at``, ``need_organisation_id`` and
    ``offer_organisation_id``."""

    if TYPE_CHECKING:
        status: MatchStatus
        proposed_side: Side
        requester_accepted_at: datetime | None
        expert_accepted_at: datetime | None

        @property
        def need_organisation_id(self) -> int: ...

        @property
        def offer_organisation_id(self) -> int: ...

    def side_of(self, user: User | None) -> Side | None:
        """The side ``user`` decides for on this match, or None."""
        return side_for(user, self.need_organisation_id, self.offer_organisation_id)

    def has_accepted(self, side: Side) -> bool:
        if side == Side.REQUESTER:
            return self.requester_accepted_at is not None
        if side == Side.EXPERT:
            return self.expert_accepted_at is not None
        return False

    @property
    def waiting_for(self) -> list[Side]:
        if self.status != MatchStatus.PROPOSED:
            return []
        return [s for s in (Side.REQUESTER, Side.EXPERT) if not self.has_accepted(s)]

    # Permissions

    def can_decide(self, user: User | None) -> bool:
        """May ``user`` accept or decline now, for their own side?"""
        side = self.side_of(user)
        return (
            self.status == MatchStatus.PROPOSED
            and side in (Side.REQUESTER, Side.EXPERT)
            and not self.has_accepted(side)
        )

    def can_withdraw(self, user: User | None) -> bool:
        side = self.side_of(user)
        if self.status != MatchStatus.PROPOSED or side is None:
            return False
        return side == Side.COORDINATOR or side == self.proposed_side


@record_kind("match")
class Match(MatchRules, Model):
    __tablename__ = "matches"
    __table_args__ = (
        Index("ix_matches_need_status", "need_id", "status"),
        Index("ix_matches_offer_status", "offer_id", "status"),
        # One live (proposed or agreed) match per need and offer, also when two people propose
        # the same pair at the same moment. Both live-pair indexes also answer "restricted, but
        # on a live match with my organisation" in the visibility rules without reading the
        # table (an expert whose organisation has thousands of offers: 15 ms less per list).
        Index(
            "uq_matches_live_need_offer",
            "need_id",
            "offer_id",
            unique=True,
            postgresql_where=text("status IN ('proposed', 'agreed')"),
            sqlite_where=text("status IN ('proposed', 'agreed')"),
        ),
        Index(
            "ix_matches_live_offer_need",
            "offer_id",
            "need_id",
            postgresql_where=text("status IN ('proposed', 'agreed')"),
            sqlite_where=text("status IN ('proposed', 'agreed')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id"))
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"), index=True)
    status: Mapped[MatchStatus] = mapped_column(
        enum_column(MatchStatus), default=MatchStatus.PROPOSED, index=True
    )
    score: Mapped[int | None] = mapped_column(Integer)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    message: Mapped[str | None] = mapped_column(UnicodeText)
    person_days: Mapped[int | None] = mapped_column(Integer)
    proposed_side: Mapped[Side] = mapped_column(enum_column(Side))
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    requester_accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    requester_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expert_accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    expert_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decline_reason: Mapped[str | None] = mapped_column(String(500))
    version: Mapped[int] = mapped_column(Integer, default=1)

    need: Mapped[Need] = relationship(back_populates="matches")
    offer: Mapped[Offer] = relationship(back_populates="matches")
    project: Mapped[Project | None] = relationship(back_populates="matches")
    proposed_by: Mapped[User] = relationship(foreign_keys=[proposed_by_id])
    requester_accepted_by: Mapped[User | None] = relationship(
        foreign_keys=[requester_accepted_by_id]
    )
    expert_accepted_by: Mapped[User | None] = relationship(foreign_keys=[expert_accepted_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    __mapper_args__: dict[str, Any] = {"version_id_col": version}

    @property
    def need_organisation_id(self) -> int:
        return self.need.organisation_id

    @property
    def offer_organisation_id(self) -> int:
        return self.offer.organisation_id

    # Permissions
    def can_view(self, user: User | None) -> bool:
        """A match is seen by coordinators and the two organisations, and only while the user
        may also see both records (a restricted need stays hidden once its match is over)."""
        if not is_signed_in(user):
            return False
        on_a_side = user.sees_everything or user.organisation_id in (
            self.need.organisation_id,
            self.offer.organisation_id,
        )
        return on_a_side and self.need.can_view(user) and self.offer.can_view(user)

    @classmethod
    def visible_to(cls, user: User | None) -> ColumnElement[bool]:
        """SQL predicate for ``can_view``; the statement must join Need and Offer. Built from
        the viewer's ``Scope`` alone."""
        from portal.needs.models import Need
        from portal.offers.models import Offer

        scope = Scope.of(user)
        if not scope.is_signed_in:
            return false()
        both_visible = and_(Need.visible_to(user), Offer.visible_to(user))
        if scope.sees_everything:
            return both_visible
        return and_(
            or_(
                Need.organisation_id == scope.organisation_id,
                Offer.organisation_id == scope.organisation_id,
            ),
            both_visible,
        )

    # Transitions, guarded: an illegal one raises and changes nothing.
    def _ensure_proposed(self) -> None:
        if self.status != MatchStatus.PROPOSED:
            raise IllegalTransition(
                _(
                    "This match is already %(status)s and can no longer be changed.",
                    status=self.status.label.lower(),
                )
            )

    def accept(self, user: User, side: Side) -> bool:
        """Record ``side``'s acceptance. Returns True when the match became agreed."""
        self._ensure_proposed()
        if side not in (Side.REQUESTER, Side.EXPERT):
            raise IllegalTransition(_("Only the requesting side or the expert side can accept."))
        if self.has_accepted(side):
            raise IllegalTransition(_("Your side has already accepted this match."))
        now = utcnow()
        if side == Side.REQUESTER:
            self.requester_accepted_by_id, self.requester_accepted_at = user.id, now
        else:
            self.expert_accepted_by_id, self.expert_accepted_at = user.id, now
        if self.requester_accepted_at and self.expert_accepted_at:
            self.status = MatchStatus.AGREED
            self.decided_at = now
            self.decided_by_id = user.id
            return True
        return False

    def decline(self, user: User, reason: str | None = None) -> None:
        self._ensure_proposed()
        self.status = MatchStatus.DECLINED
        self.decided_by_id = user.id
        self.decided_at = utcnow()
        self.decline_reason = reason or None

    def withdraw(self, user: User) -> None:
        self._ensure_proposed()
        self.status = MatchStatus.WITHDRAWN
        self.decided_by_id = user.id
        self.decided_at = utcnow()

    def __repr__(self) -> str:
        return f"<Match {self.id} need={self.need_id} offer={self.offer_id} {self.status}>"


class StoredSuggestion(Model):
    """One pair on a need's list of suggested offers (``listed_on`` "need") or on an offer's
    list of suggested needs ("offer"), as the live computation
    (``portal.matching.suggestions``) ranks them for a reader who sees every open record:
    ``position`` is its place in that order (before copies are left out), ``reasons`` the
    reason codes but the shared terms, ``terms`` the shared terms named in each language
    (``{"sv": "läcka,ledning"}``), ``copy_key`` what makes two records copies. Written by
    ``portal.matching.precomputed``; read by it again for each reader, who sees only what
    their visibility, the records' states and the live matches still allow."""

    __tablename__ = "suggestions"
    __table_args__ = (Index("ix_suggestions_offer_listed_on", "offer_id", "listed_on"),)

    need_id: Mapped[int] = mapped_column(
        ForeignKey("needs.id", ondelete="CASCADE"), primary_key=True
    )
    offer_id: Mapped[int] = mapped_column(
        ForeignKey("offers.id", ondelete="CASCADE"), primary_key=True
    )
    listed_on: Mapped[str] = mapped_column(String(5), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    score: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    terms: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    copy_key: Mapped[str] = mapped_column(String(80))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SuggestionList(Model):
    """That a need's or an offer's list was computed, when, for which day (the score counts the
    period from that day on), and what a reader's list may be read from it:
    ``is_complete`` every candidate was considered (fewer than the candidate limit),
    ``has_restricted`` a restricted record is among the candidates (someone else's list may
    then be longer than what is stored), ``is_capped`` more pairs were worth suggesting than
    stored."""

    __tablename__ = "suggestion_lists"

    posting_kind: Mapped[str] = mapped_column(String(5), primary_key=True)
    posting_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    computed_for: Mapped[date] = mapped_column(Date)
    candidates: Mapped[int] = mapped_column(Integer)
    is_complete: Mapped[bool] = mapped_column(Boolean)
    has_restricted: Mapped[bool] = mapped_column(Boolean)
    is_capped: Mapped[bool] = mapped_column(Boolean)
