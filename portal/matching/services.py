"""Matching's writes and the rules behind them: who may propose which pair, proposing, and
each side's decision (accept, decline, withdraw).

Every write takes the acting user, checks everything before it changes anything (a refusal
raises ``IllegalTransition`` or ``AgreementExpired`` and leaves the session as it was), records
an audit event and flushes: the request commits, or rolls back on any error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeGuard

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select, text
from sqlalchemy.orm import joinedload, selectinload

from portal.audit.services import record, snapshot
from portal.core.bulk import insert_or_skip
from portal.core.enums import MatchStatus, NeedStatus, OfferStatus, Side
from portal.core.text import clean_text
from portal.core.transitions import IllegalTransition
from portal.core.types import utcnow
from portal.core.visibility import is_signed_in
from portal.extensions import db
from portal.matching import access, precomputed
from portal.matching.models import Match, side_for
from portal.matching.queries import live_match_exists
from portal.matching.scoring import score
from portal.needs.models import Need
from portal.notifications.events import notify
from portal.offers.models import Offer

if TYPE_CHECKING:
    from portal.accounts.models import User

MESSAGE_MAX_LENGTH = 2000
DECLINE_REASON_MAX_LENGTH = 500
CHOICE_LIMIT = 100  # recent needs and offers offered as choices on the propose form


# ---------------------------------------------------------------------------- who may do what


def proposing_side(actor: User | None, need: Need, offer: Offer) -> Side | None:
    """The side ``actor`` would propose for, or None when they may not propose this pair."""
    return side_for(actor, need.organisation_id, offer.organisation_id)


def may_propose(user: User | None) -> TypeGuard[User]:
    """May ``user`` propose matches at all (for some need and offer)?"""
    return is_signed_in(user) and (user.is_requester or user.is_expert or user.is_coordinator)


def may_propose_for_need(user: User | None, need: Need) -> bool:
    """Does the need's page offer ``user`` suggestions to propose? Its own requesters, experts
    (with their own offers) and coordinators, while the need takes offers."""
    if not may_propose(user) or not need.is_live:
        return False
    if need.agreement.has_expired() or not need.can_view(user):
        return False
    return user.is_coordinator or user.is_expert or user.organisation_id == need.organisation_id


def may_propose_for_offer(user: User | None, offer: Offer) -> bool:
    """The same for an offer's page: its own experts, requesters (with their own needs) and
    coordinators, while the offer is open."""
    if not may_propose(user):
        return False
    if offer.status != OfferStatus.OPEN or offer.remaining_days <= 0:
        return False
    if offer.agreement.has_expired() or not offer.can_view(user):
        return False
    return user.is_coordinator or user.is_requester or user.organisation_id == offer.organisation_id


def proposal_choices(user: User) -> dict[str, list[Any]]:
    """Recent needs and offers ``user`` could pick on the propose form: open (or matched) needs
    and open offers they may see; a requester picks among their organisation's needs, an
    expert among their organisation's offers."""
    needs = (
        select(Need)
        .where(
            Need.status.in_((NeedStatus.OPEN, NeedStatus.MATCHED)),
            Need.visible_to(user),
        )
        .options(selectinload(Need.title), joinedload(Need.organisation))
        .order_by(Need.id.desc())
        .limit(CHOICE_LIMIT)
    )
    offers = (
        select(Offer)
        .where(Offer.status == OfferStatus.OPEN, Offer.visible_to(user))
        .options(selectinload(Offer.title), joinedload(Offer.organisation))
        .order_by(Offer.id.desc())
        .limit(CHOICE_LIMIT)
    )
    if user.is_requester:
        needs = needs.where(Need.organisation_id == user.organisation_id)
    if user.is_expert:
        offers = offers.where(Offer.organisation_id == user.organisation_id)
    return {
        "need_choices": list(db.session.scalars(needs)),
        "offer_choices": list(db.session.scalars(offers)),
    }


# ------------------------------------------------------------------------------------- writes


def _refuse(message: str) -> None:
    raise IllegalTransition(message)


def _ensure_need_takes_offers(need: Need) -> None:
    if need.status not in (NeedStatus.OPEN, NeedStatus.MATCHED):
        _refuse(
            _(
                "Only an open need can be matched. This need is %(status)s.",
                status=need.status.label.lower(),
            )
        )


def _ensure_offer_open(offer: Offer) -> None:
    if offer.status != OfferStatus.OPEN or offer.remaining_days <= 0:
        _refuse(
            _(
                "Only an open offer with capacity left can be matched. This offer is %(status)s.",
                status=offer.status.label.lower(),
            )
        )


def propose(
    actor: User,
    need: Need,
    offer: Offer,
    *,
    message: str | None = None,
    person_days: int | None = None,
) -> Match:
    """Propose ``offer`` for ``need``. A requester of the need's organisation or an expert of the
    offer's organisation accepts for their side at once; a coordinator brokers it for neither."""
    if not is_signed_in(actor) or not (need.can_view(actor) and offer.can_view(actor)):
        _refuse(_("You may not see this need or this offer."))
    side = proposing_side(actor, need, offer)
    if side is None:
        _refuse(
            _(
                "Only the requesting organisation, the offering organisation or a coordinator "
                "can propose this match."
            )
        )
    if need.agreement_id != offer.agreement_id:
        _refuse(_("The need and the offer belong to different agreements."))
    need.agreement.ensure_writable()
    _ensure_need_takes_offers(need)
    _ensure_offer_open(offer)
    if person_days is not None and not 1 <= person_days <= offer.remaining_days:
        _refuse(
            ngettext(
                "The offer has %(num)s person-day left; propose between 1 and %(num)s.",
                "The offer has %(num)s person-days left; propose between 1 and %(num)s.",
                offer.remaining_days,
            )
        )
    message = clean_text(message) or None
    if message is not None and len(message) > MESSAGE_MAX_LENGTH:
        _refuse(_("The message is too long (at most %(max)s characters).", max=MESSAGE_MAX_LENGTH))
    if live_match_exists(need, offer):
        _refuse(_("This need and this offer already have a match that is proposed or agreed."))
    assert side is not None

    scored = score(need, offer)
    proposal = Match(
        need_id=need.id,
        offer_id=offer.id,
        status=MatchStatus.PROPOSED,
        score=scored.score,
        reasons=scored.codes,
        message=message,
        person_days=person_days,
        proposed_side=side,
        proposed_by_id=actor.id,
        proposed_at=utcnow(),
        version=1,
    )
    if side in (Side.REQUESTER, Side.EXPERT):
        proposal.accept(actor, side)
    match = _insert_unless_live(proposal)
    if match is None:
        # Someone proposed the same pair a moment ago: the database's unique live-pair index.
        _refuse(_("This need and this offer already have a match that is proposed or agreed."))
    assert match is not None
    # The insert went around the flush: the grants are written here, in the same transaction
    # (the offer's organisation may now see a restricted need, the need's a restricted offer).
    access.refresh_match(match)
    precomputed.remember_pair(match.need_id, match.offer_id)
    record(actor, "propose", "match", match.id, None, snapshot(match))
    db.session.flush()
    notify("proposal", match, actor)
    return match


def _insert_unless_live(proposal: Match) -> Match | None:
    """Insert the proposal unless its pair has a live match, also one that another request
    inserted a moment ago: the unique live-pair index decides (``ON CONFLICT DO NOTHING``), so
    a refusal leaves the request's transaction usable and unchanged. Returns the stored match,
    or None."""
    values = {c.key: getattr(proposal, c.key) for c in Match.__table__.columns if c.key != "id"}
    statement = (
        insert_or_skip(Match)
        .values(**values)
        .on_conflict_do_nothing(
            index_elements=["need_id", "offer_id"],
            index_where=text("status IN ('proposed', 'agreed')"),
        )
        .returning(Match)
    )
    return db.session.scalars(statement).one_or_none()


def _ensure_proposed(match: Match) -> None:
    if match.status != MatchStatus.PROPOSED:
        _refuse(
            _(
                "This match is already %(status)s and can no longer be changed.",
                status=match.status.label.lower(),
            )
        )


def _acting_side(actor: User, match: Match) -> Side:
    side = match.side_of(actor)
    if side is None or not match.can_view(actor):
        _refuse(_("You are not on either side of this match."))
    assert side is not None
    return side


def committed_days_for(match: Match) -> int:
    """The person-days an agreed match takes from the offer: what was proposed, else what the
    need asks for, never more than the offer has left."""
    remaining = match.offer.remaining_days
    if match.person_days:
        return match.person_days
    return min(match.need.person_days or remaining, remaining)


def accept(actor: User, match: Match) -> Match:
    """Accept for ``actor``'s side. When both sides have accepted, the match is agreed: the need
    becomes matched and the offer's capacity is committed (fully committed when none is left)."""
    side = _acting_side(actor, match)
    match.need.agreement.ensure_writable()
    _ensure_proposed(match)
    if side not in (Side.REQUESTER, Side.EXPERT):
        _refuse(_("Only the requesting side or the expert side can accept."))
    if match.has_accepted(side):
        _refuse(_("Your side has already accepted this match."))
    need, offer = match.need, match.offer
    _ensure_need_takes_offers(need)
    _ensure_offer_open(offer)
    other = Side.EXPERT if side == Side.REQUESTER else Side.REQUESTER
    becomes_agreed = match.has_accepted(other)
    days = committed_days_for(match)
    if becomes_agreed and days > offer.remaining_days:
        _refuse(
            ngettext(
                "The offer has only %(num)s person-day left, and this match needs %(days)s.",
                "The offer has only %(num)s person-days left, and this match needs %(days)s.",
                offer.remaining_days,
                days=days,
            )
        )

    before = snapshot(match)
    need_before, offer_before = snapshot(need), snapshot(offer)
    agreed = match.accept(actor, side)
    if agreed:
        match.person_days = days
        if need.status == NeedStatus.OPEN:
            need.transition(NeedStatus.MATCHED)
        offer.committed_days = offer.committed_days + days
        if offer.remaining_days == 0:
            offer.transition(OfferStatus.COMMITTED)
    db.session.flush()
    record(actor, "accept", "match", match.id, before, snapshot(match))
    if agreed:
        record(actor, "match_agreed", "need", need.id, need_before, snapshot(need))
        record(actor, "match_agreed", "offer", offer.id, offer_before, snapshot(offer))
    db.session.flush()
    notify("match_accepted", match, actor)
    return match


def decline(actor: User, match: Match, reason: str | None = None) -> Match:
    """Decline for ``actor``'s side, with an optional reason. Ends the match."""
    side = _acting_side(actor, match)
    match.need.agreement.ensure_writable()
    _ensure_proposed(match)
    if not match.can_decide(actor):
        if side == Side.COORDINATOR:
            _refuse(_("A coordinator does not decide for a side; withdraw the proposal instead."))
        _refuse(_("Your side has already accepted this match; withdraw it instead."))
    reason = clean_text(reason)[:DECLINE_REASON_MAX_LENGTH] or None
    before = snapshot(match)
    match.decline(actor, reason)
    db.session.flush()
    record(actor, "decline", "match", match.id, before, snapshot(match))
    db.session.flush()
    notify("match_declined", match, actor)
    return match


def withdraw(actor: User, match: Match) -> Match:
    """Withdraw a proposal: the side that proposed it, or a coordinator."""
    _acting_side(actor, match)
    match.need.agreement.ensure_writable()
    _ensure_proposed(match)
    if not match.can_withdraw(actor):
        _refuse(_("Only the side that proposed this match, or a coordinator, can withdraw it."))
    before = snapshot(match)
    match.withdraw(actor)
    db.session.flush()
    record(actor, "withdraw", "match", match.id, before, snapshot(match))
    db.session.flush()
    return match
