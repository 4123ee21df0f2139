"""Reading matches: the viewer's list, one match, what waits for a decision, live pairs.

Every query goes through ``Match.visible_to`` (with Need and Offer joined), so a match a user
may not see never shows up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Select, and_, case, exists, false, select
from sqlalchemy.orm import joinedload, selectinload

from portal.core.enums import MatchStatus
from portal.core.visibility import is_signed_in
from portal.extensions import db
from portal.matching.models import LIVE_MATCH_STATES, Match
from portal.needs.models import Need
from portal.offers.models import Offer

if TYPE_CHECKING:
    from portal.accounts.models import User


def live_match_between(need_id: Any, offer_id: Any) -> ColumnElement[bool]:
    """SQL: a proposed or agreed match joins this need and this offer (ids or columns)."""
    return exists(
        select(Match.id).where(
            Match.need_id == need_id,
            Match.offer_id == offer_id,
            Match.status.in_(LIVE_MATCH_STATES),
        )
    )


def waiting_for_predicate(user: User | None) -> ColumnElement[bool]:
    """SQL: the match waits for ``user``'s side to decide. Needs Need and Offer joined."""
    if not is_signed_in(user):
        return false()
    if user.is_requester:
        return and_(
            Match.status == MatchStatus.PROPOSED,
            Need.organisation_id == user.organisation_id,
            Match.requester_accepted_at.is_(None),
        )
    if user.is_expert:
        return and_(
            Match.status == MatchStatus.PROPOSED,
            Offer.organisation_id == user.organisation_id,
            Match.expert_accepted_at.is_(None),
        )
    return false()


def match_load_options() -> list[Any]:
    """Everything a match's row shows, loaded in a constant number of queries: the needs and
    the offers in one query each with what they show joined, then their titles' versions.
    (Not joined into the matches' own query: with the titles, organisations and their cities
    that would be more relations than PostgreSQL reorders, under a LIMIT.)"""
    return [
        selectinload(Match.need).options(
            joinedload(Need.title), joinedload(Need.organisation), joinedload(Need.theme)
        ),
        selectinload(Match.offer).options(joinedload(Offer.title), joinedload(Offer.organisation)),
    ]


@dataclass
class MatchFilters:
    status: MatchStatus | None = None
    waiting: bool = False  # only those waiting for the viewer's decision
    need_id: int | None = None
    offer_id: int | None = None


def matches_query(viewer: User | None, filters: MatchFilters | None = None) -> Select[Any]:
    """The matches ``viewer`` may see, those waiting for their decision first, then the newest."""
    return matching(select(Match).options(*match_load_options()), viewer, filters)


def matching(
    stmt: Select[Any], viewer: User | None, filters: MatchFilters | None = None
) -> Select[Any]:
    """``stmt`` (selecting from matches: the ORM rows or some of their columns) narrowed to the
    matches ``viewer`` may see and ``filters``, in the lists' order, with Need and Offer joined."""
    filters = filters or MatchFilters()
    waiting = waiting_for_predicate(viewer)
    stmt = (
        stmt.join(Need, Need.id == Match.need_id)
        .join(Offer, Offer.id == Match.offer_id)
        .where(Match.visible_to(viewer))
        .order_by(case((waiting, 0), else_=1), Match.proposed_at.desc(), Match.id.desc())
    )
    if filters.status is not None:
        stmt = stmt.where(Match.status == filters.status)
    if filters.waiting:
        stmt = stmt.where(waiting)
    if filters.need_id is not None:
        stmt = stmt.where(Match.need_id == filters.need_id)
    if filters.offer_id is not None:
        stmt = stmt.where(Match.offer_id == filters.offer_id)
    return stmt


def get_visible(viewer: User | None, match_id: int) -> Match | None:
    """The match, or None when it does not exist or ``viewer`` may not see it."""
    if not is_signed_in(viewer):
        return None
    match = db.session.scalar(
        select(Match).where(Match.id == match_id).options(*match_load_options())
    )
    if match is None or not match.can_view(viewer):
        return None
    return match


def live_match_exists(need: Need, offer: Offer) -> bool:
    return bool(db.session.scalar(select(live_match_between(need.id, offer.id))))
