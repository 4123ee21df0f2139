"""Suggestions, proposals and decisions, without HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.agreements.models import AgreementExpired
from portal.audit.models import AuditEvent
from portal.core.enums import (
    HelpKind,
    MatchStatus,
    NeedStatus,
    OfferStatus,
    Side,
    Visibility,
)
from portal.core.transitions import IllegalTransition
from portal.extensions import db
from portal.matching import queries, services, suggestions
from portal.matching.models import Match
from portal.matching.scoring import score
from tests.conftest import count_queries

from .conftest import TODAY


def match_count() -> int:
    return db.session.scalar(db.select(db.func.count(Match.id)))


def audit_actions(record_type: str, record_id: int) -> list[str]:
    return list(
        db.session.scalars(
            db.select(AuditEvent.action)
            .where(AuditEvent.record_type == record_type, AuditEvent.record_id == record_id)
            .order_by(AuditEvent.id)
        )
    )


# ------------------------------------------------------------------------------- suggestions


def test_suggested_offers_are_ranked_best_first(users, make_need, make_offer):
    need = make_need()
    best = make_offer("Leak detection training", "Water network leak detection.")
    make_offer("Data platforms", "Cloud.", theme_codes=("it_digital",))  # the kind of help only
    theme_only = make_offer("Sewage plants", "Advice.", help_kind=HelpKind.ADVICE)
    # Outside the need's theme, but about what it is about: two shared terms.
    kind_and_terms = make_offer(
        "Leak detection platforms", "Cloud leak detection.", theme_codes=("it_digital",)
    )
    suggested = suggestions.suggest_offers(users["requester"], need, today=TODAY)
    assert [s.offer.id for s in suggested] == [best.id, theme_only.id, kind_and_terms.id]
    assert suggested[0].score > suggested[1].score > suggested[2].score
    assert all(s.need is need for s in suggested)


def test_suggested_offers_leave_out_what_cannot_be_matched(users, make_need, make_offer):
    need = make_need(
        wanted_from=TODAY + timedelta(days=10), wanted_until=TODAY + timedelta(days=40)
    )
    fits = make_offer()
    make_offer(status=OfferStatus.DRAFT)
    make_offer(status=OfferStatus.WITHDRAWN)
    make_offer(status=OfferStatus.COMMITTED, committed_days=40)
    make_offer(committed_days=40)  # open but nothing left
    make_offer(theme_codes=("education",), help_kind=HelpKind.ADVICE)  # nothing in common
    make_offer(available_from=TODAY + timedelta(days=50))  # after the wanted period
    make_offer(available_until=TODAY + timedelta(days=5))  # before it
    suggested = suggestions.suggest_offers(users["coordinator"], need, today=TODAY)
    assert [s.offer.id for s in suggested] == [fits.id]


def test_suggested_offers_leave_out_those_already_on_a_live_match(
    users, make_need, make_offer, make_match
):
    need = make_need()
    proposed, declined, free = (make_offer(f"Leak detection training {n}") for n in range(3))
    make_match(need, proposed)
    make_match(need, declined, status=MatchStatus.DECLINED)
    ids = {s.offer.id for s in suggestions.suggest_offers(users["requester"], need, today=TODAY)}
    assert ids == {declined.id, free.id}


def test_restricted_offers_are_suggested_only_to_those_who_may_see_them(
    users, make_need, make_offer
):
    need = make_need()
    restricted = make_offer("Leak detection, restricted", visibility=Visibility.RESTRICTED)
    public = make_offer("Leak detection, public", visibility=Visibility.PUBLIC)

    def ids(who):
        return {s.offer.id for s in suggestions.suggest_offers(users[who], need, today=TODAY)}

    assert ids("requester") == {public.id}
    assert ids("coordinator") == {restricted.id, public.id}
    assert ids("expert") == {restricted.id, public.id}  # its own organisation's offer


def test_an_unrelated_expert_never_sees_a_restricted_need_in_suggestions(
    users, make_need, make_offer
):
    restricted = make_need("Pumping stations", "Leak detection.", visibility=Visibility.RESTRICTED)
    partners = make_need()
    theirs = make_offer(by="other_expert", theme_codes=("water_sewage",))
    ours = make_offer()
    for offer in (theirs, ours):
        suggested = suggestions.suggest_needs(users["other_expert"], offer, today=TODAY)
        ids = {s.need.id for s in suggested}
        assert restricted.id not in ids
        assert partners.id in ids
    coordinator_ids = {
        s.need.id for s in suggestions.suggest_needs(users["coordinator"], theirs, today=TODAY)
    }
    assert coordinator_ids == {restricted.id, partners.id}
    # Drafts stay with their own organisation.
    make_need(status=NeedStatus.DRAFT)
    assert len(suggestions.suggest_needs(users["coordinator"], theirs, today=TODAY)) == 2


def test_suggested_needs_only_open_ones_and_ranked(users, make_need, make_offer):
    offer = make_offer()
    best = make_need()
    make_need("Schools", "Teacher training.", theme="education")  # nothing in common
    make_need(status=NeedStatus.MATCHED)
    make_need(status=NeedStatus.CLOSED)
    make_need(wanted_until=TODAY - timedelta(days=1))
    ids = [s.need.id for s in suggestions.suggest_needs(users["expert"], offer, today=TODAY)]
    assert ids == [best.id]


def test_suggestions_for_one_organisation_only(users, make_need, make_offer):
    need = make_need()
    ours = make_offer()
    make_offer(by="other_expert")
    suggested = suggestions.suggest_offers(
        users["expert"], need, organisation_id=users["expert"].organisation_id, today=TODAY
    )
    assert [s.offer.id for s in suggested] == [ours.id]


def test_suggestions_respect_the_limit(users, make_need, make_offer):
    need = make_need()
    for n in range(5):
        make_offer(f"Leak detection training {n}")
    assert len(suggestions.suggest_offers(users["requester"], need, limit=3, today=TODAY)) == 3


def test_suggestions_take_a_constant_number_of_queries(app, users, make_need, make_offer):
    need = make_need()
    offer = make_offer()
    counts = []
    for extra in (12, 60):
        for i in range(extra):
            make_offer(f"Offer {i} on leaks", "Pipes and leak detection.", commit=False)
            make_need(f"Need {i} on leaks", "Pipes and leak detection.", commit=False)
        db.session.commit()
        db.session.expire_all()
        need = db.session.get(type(need), need.id)
        offer = db.session.get(type(offer), offer.id)
        _ = (need.title.versions, need.description.versions, offer.title.versions)
        _ = (offer.description.versions, offer.themes)
        with count_queries(app) as offers_q:
            found_offers = suggestions.suggest_offers(users["requester"], need, today=TODAY)
            for s in found_offers:
                _ = (s.offer.title.versions, s.offer.organisation.name)
        with count_queries(app) as needs_q:
            found_needs = suggestions.suggest_needs(users["expert"], offer, today=TODAY)
            for s in found_needs:
                _ = (s.need.title.versions, s.need.organisation.name)
        assert len(found_offers) == len(found_needs) == 10
        counts.append((len(offers_q), len(needs_q)))
    assert counts[0] == counts[1]
    assert counts[0][0] <= 10 and counts[0][1] <= 10


# --------------------------------------------------------------------------------- proposing


def test_proposal_choices_per_role(users, make_need, make_offer):
    ours = make_need("Our need")
    theirs = make_need("Their need", by="other_requester", theme="education")
    secret = make_need("Their secret", by="other_requester", visibility=Visibility.RESTRICTED)
    make_need("Our draft", status=NeedStatus.DRAFT)
    our_offer = make_offer("Our offer")
    their_offer = make_offer("Their offer", by="other_expert")
    make_offer("Committed", status=OfferStatus.COMMITTED, committed_days=40)

    def choices(who):
        found = services.proposal_choices(users[who])
        return {n.id for n in found["need_choices"]}, {o.id for o in found["offer_choices"]}

    assert choices("requester") == ({ours.id}, {our_offer.id, their_offer.id})
    assert choices("expert") == ({ours.id, theirs.id}, {our_offer.id})
    assert choices("coordinator") == (
        {ours.id, theirs.id, secret.id},
        {our_offer.id, their_offer.id},
    )


def test_requester_proposes_and_accepts_for_their_side_at_once(users, make_need, make_offer):
    need, offer = make_need(), make_offer()
    match = services.propose(users["requester"], need, offer, message="  Please help.  ")
    assert match.status == MatchStatus.PROPOSED
    assert match.proposed_side == Side.REQUESTER
    assert match.requester_accepted_by_id == users["requester"].id
    assert match.requester_accepted_at is not None
    assert match.expert_accepted_at is None
    assert match.waiting_for == [Side.EXPERT]
    assert match.message == "Please help."
    assert match.score == score(need, offer).score
    assert f"theme:{need.theme_id}" in match.reasons
    assert audit_actions("match", match.id) == ["propose"]


def test_expert_proposes_for_their_side(users, make_need, make_offer):
    match = services.propose(users["expert"], make_need(), make_offer(), person_days=12)
    assert match.proposed_side == Side.EXPERT
    assert match.expert_accepted_by_id == users["expert"].id
    assert match.requester_accepted_at is None
    assert match.person_days == 12


def test_coordinator_brokers_for_neither_side(users, make_need, make_offer):
    match = services.propose(users["coordinator"], make_need(), make_offer())
    assert match.proposed_side == Side.COORDINATOR
    assert match.requester_accepted_at is None and match.expert_accepted_at is None
    assert match.waiting_for == [Side.REQUESTER, Side.EXPERT]


@pytest.mark.parametrize("who", ["other_requester", "other_expert", "admin"])
def test_wrong_role_or_organisation_may_not_propose(users, make_need, make_offer, who):
    need, offer = make_need(), make_offer()
    with pytest.raises(IllegalTransition, match="can propose"):
        services.propose(users[who], need, offer)
    assert match_count() == 0


def test_records_the_actor_may_not_see_cannot_be_proposed(users, make_need, make_offer):
    restricted = make_need(visibility=Visibility.RESTRICTED)
    offer = make_offer(by="other_expert")
    with pytest.raises(IllegalTransition, match="may not see"):
        services.propose(users["other_expert"], restricted, offer)
    assert match_count() == 0


@pytest.mark.parametrize(
    "status", [NeedStatus.DRAFT, NeedStatus.IN_PROJECT, NeedStatus.CLOSED, NeedStatus.WITHDRAWN]
)
def test_only_open_or_matched_needs_take_proposals(users, make_need, make_offer, status):
    need, offer = make_need(status=status), make_offer()
    with pytest.raises(IllegalTransition):
        services.propose(users["requester"], need, offer)
    assert match_count() == 0


def test_a_matched_need_still_takes_more_offers(users, make_need, make_offer):
    need = make_need(status=NeedStatus.MATCHED)
    assert services.propose(users["requester"], need, make_offer()).id


@pytest.mark.parametrize(
    ("status", "committed"),
    [(OfferStatus.DRAFT, 0), (OfferStatus.COMMITTED, 40), (OfferStatus.WITHDRAWN, 0)],
)
def test_only_open_offers_take_proposals(users, make_need, make_offer, status, committed):
    need, offer = make_need(), make_offer(status=status, committed_days=committed)
    with pytest.raises(IllegalTransition):
        services.propose(users["expert"], need, offer)
    assert match_count() == 0


def test_one_live_match_per_pair(users, make_need, make_offer):
    need, offer = make_need(), make_offer()
    first = services.propose(users["requester"], need, offer)
    with pytest.raises(IllegalTransition, match="already have a match"):
        services.propose(users["expert"], need, offer)
    with pytest.raises(IllegalTransition, match="already have a match"):
        services.propose(users["coordinator"], need, offer)
    services.withdraw(users["requester"], first)
    assert services.propose(users["expert"], need, offer).id != first.id


def test_the_database_keeps_one_live_match_per_pair(users, make_need, make_offer, monkeypatch):
    """Two people proposing the same pair at the same moment: both pass the service's check
    before either has committed; the database's unique live-pair index refuses the second, and
    the proposer gets the same clear refusal, with nothing half-written."""
    need, offer = make_need(), make_offer()
    services.propose(users["requester"], need, offer)
    events_before = db.session.scalar(db.select(db.func.count()).select_from(AuditEvent))
    monkeypatch.setattr(services, "live_match_exists", lambda need, offer: False)
    with pytest.raises(IllegalTransition, match="already have a match"):
        services.propose(users["expert"], need, offer)
    assert match_count() == 1
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditEvent)) == events_before
    # A withdrawn or declined match is history, not live: the pair may be proposed again.
    first = db.session.scalar(db.select(Match))
    services.withdraw(users["requester"], first)
    assert services.propose(users["expert"], need, offer).id != first.id
    assert match_count() == 2


def test_person_days_beyond_what_the_offer_has_left_are_refused(users, make_need, make_offer):
    need, offer = make_need(), make_offer(capacity_days=40, committed_days=30)
    with pytest.raises(IllegalTransition, match="10 person-days left"):
        services.propose(users["requester"], need, offer, person_days=11)
    with pytest.raises(IllegalTransition):
        services.propose(users["requester"], need, offer, person_days=0)
    assert match_count() == 0


def test_nothing_is_proposed_under_an_expired_agreement(users, agreement, make_need, make_offer):
    need, offer = make_need(), make_offer()
    agreement.valid_until = TODAY - timedelta(days=1)
    db.session.commit()
    with pytest.raises(AgreementExpired):
        services.propose(users["requester"], need, offer)
    assert match_count() == 0


# ---------------------------------------------------------------------------------- deciding


def test_the_other_side_accepts_and_the_match_is_agreed(users, make_need, make_offer):
    need = make_need(person_days=30)
    offer = make_offer(capacity_days=40)
    match = services.propose(users["requester"], need, offer)
    services.accept(users["expert"], match)
    db.session.expire_all()
    assert match.status == MatchStatus.AGREED
    assert match.expert_accepted_by_id == users["expert"].id
    assert match.decided_at is not None
    assert match.person_days == 30
    assert need.status == NeedStatus.MATCHED
    assert offer.committed_days == 30
    assert offer.status == OfferStatus.OPEN
    assert audit_actions("match", match.id) == ["propose", "accept"]
    assert audit_actions("need", need.id) == ["match_agreed"]
    assert audit_actions("offer", offer.id) == ["match_agreed"]


def test_the_offer_is_committed_when_nothing_remains(users, make_need, make_offer):
    need = make_need(person_days=50)
    offer = make_offer(capacity_days=40)
    match = services.propose(users["expert"], need, offer)
    services.accept(users["requester"], match)
    assert match.person_days == 40  # no more than the offer has
    assert offer.committed_days == 40
    assert offer.remaining_days == 0
    assert offer.status == OfferStatus.COMMITTED


def test_proposed_person_days_are_what_is_committed(users, make_need, make_offer):
    need, offer = make_need(person_days=30), make_offer(capacity_days=40)
    match = services.propose(users["expert"], need, offer, person_days=5)
    services.accept(users["requester"], match)
    assert offer.committed_days == 5


def test_a_need_without_person_days_takes_what_the_offer_has_left(users, make_need, make_offer):
    need, offer = make_need(person_days=None), make_offer(capacity_days=40, committed_days=15)
    match = services.propose(users["expert"], need, offer)
    services.accept(users["requester"], match)
    assert match.person_days == 25 and offer.status == OfferStatus.COMMITTED


def test_a_brokered_match_needs_both_sides(users, make_need, make_offer):
    need, offer = make_need(), make_offer()
    match = services.propose(users["coordinator"], need, offer)
    services.accept(users["requester"], match)
    assert match.status == MatchStatus.PROPOSED
    assert need.status == NeedStatus.OPEN
    assert offer.committed_days == 0
    services.accept(users["expert"], match)
    assert match.status == MatchStatus.AGREED
    assert need.status == NeedStatus.MATCHED


def test_accepting_twice_is_refused(users, make_need, make_offer):
    match = services.propose(users["requester"], make_need(), make_offer())
    version = match.version
    with pytest.raises(IllegalTransition, match="already accepted"):
        services.accept(users["requester"], match)
    assert match.version == version


def test_accepting_an_agreed_match_is_refused_and_changes_nothing(users, make_need, make_offer):
    need, offer = make_need(), make_offer()
    match = services.propose(users["requester"], need, offer)
    services.accept(users["expert"], match)
    before = (match.version, offer.committed_days, need.status, offer.version)
    with pytest.raises(IllegalTransition, match="already agreed"):
        services.accept(users["expert"], match)
    db.session.expire_all()
    assert (match.version, offer.committed_days, need.status, offer.version) == before


@pytest.mark.parametrize("who", ["coordinator"])
def test_a_coordinator_cannot_accept_for_a_side(users, make_need, make_offer, who):
    match = services.propose(users["requester"], make_need(), make_offer())
    with pytest.raises(IllegalTransition, match="Only the requesting side or the expert side"):
        services.accept(users[who], match)


@pytest.mark.parametrize("who", ["other_requester", "other_expert", "admin"])
def test_outsiders_cannot_decide(users, make_need, make_offer, who):
    match = services.propose(users["requester"], make_need(), make_offer())
    for act in (services.accept, services.decline, services.withdraw):
        with pytest.raises(IllegalTransition, match="not on either side"):
            act(users[who], match)
    assert match.status == MatchStatus.PROPOSED


def test_capacity_taken_in_the_meantime_is_refused_on_acceptance(users, make_need, make_offer):
    offer = make_offer(capacity_days=40)
    first_need, second_need = make_need(person_days=30), make_need(person_days=30)
    first = services.propose(users["requester"], first_need, offer)
    second = services.propose(users["requester"], second_need, offer, person_days=30)
    services.accept(users["expert"], first)
    with pytest.raises(IllegalTransition, match="only 10 person-days left"):
        services.accept(users["expert"], second)
    db.session.expire_all()
    assert second.status == MatchStatus.PROPOSED
    assert second.expert_accepted_at is None
    assert second_need.status == NeedStatus.OPEN
    assert offer.committed_days == 30


def test_without_proposed_person_days_the_match_takes_what_is_left(users, make_need, make_offer):
    offer = make_offer(capacity_days=40)
    first = services.propose(users["requester"], make_need(person_days=30), offer)
    second = services.propose(users["requester"], make_need(person_days=30), offer)
    services.accept(users["expert"], first)
    services.accept(users["expert"], second)
    assert second.person_days == 10
    assert offer.committed_days == 40 and offer.status == OfferStatus.COMMITTED


def test_acceptance_is_all_or_nothing(users, make_need, make_offer, monkeypatch):
    """The service flushes and raises; the request's rollback (here by hand) then leaves
    nothing of the half-done acceptance."""
    need, offer = make_need(), make_offer()
    match = services.propose(users["requester"], need, offer)
    db.session.commit()

    def broken(*args, **kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(services, "record", broken)
    with pytest.raises(RuntimeError):
        services.accept(users["expert"], match)
    db.session.rollback()
    assert match.status == MatchStatus.PROPOSED
    assert match.expert_accepted_at is None
    assert need.status == NeedStatus.OPEN
    assert offer.committed_days == 0


def test_accepting_for_a_withdrawn_need_is_refused(users, make_need, make_offer):
    need, offer = make_need(), make_offer()
    match = services.propose(users["expert"], need, offer)
    need.transition(NeedStatus.WITHDRAWN)
    db.session.commit()
    with pytest.raises(IllegalTransition, match="Only an open need"):
        services.accept(users["requester"], match)


def test_decline_with_a_reason(users, make_need, make_offer):
    need, offer = make_need(), make_offer()
    match = services.propose(users["requester"], need, offer)
    services.decline(users["expert"], match, "  Not this year.  ")
    assert match.status == MatchStatus.DECLINED
    assert match.decline_reason == "Not this year."
    assert match.decided_by_id == users["expert"].id
    assert need.status == NeedStatus.OPEN and offer.committed_days == 0
    assert audit_actions("match", match.id) == ["propose", "decline"]


def test_the_proposing_side_withdraws_rather_than_declines(users, make_need, make_offer):
    match = services.propose(users["requester"], make_need(), make_offer())
    with pytest.raises(IllegalTransition, match="withdraw it instead"):
        services.decline(users["requester"], match)
    with pytest.raises(IllegalTransition, match="withdraw the proposal instead"):
        services.decline(users["coordinator"], match)
    assert match.status == MatchStatus.PROPOSED


def test_declining_an_agreed_match_is_refused(users, make_need, make_offer):
    match = services.propose(users["requester"], make_need(), make_offer())
    services.accept(users["expert"], match)
    with pytest.raises(IllegalTransition, match="already agreed"):
        services.decline(users["expert"], match)


def test_withdraw_by_the_proposing_side(users, make_need, make_offer):
    match = services.propose(users["expert"], make_need(), make_offer())
    with pytest.raises(IllegalTransition, match="Only the side that proposed"):
        services.withdraw(users["requester"], match)
    services.withdraw(users["expert"], match)
    assert match.status == MatchStatus.WITHDRAWN
    assert audit_actions("match", match.id) == ["propose", "withdraw"]
    with pytest.raises(IllegalTransition, match="already withdrawn"):
        services.withdraw(users["expert"], match)


def test_a_coordinator_may_withdraw_any_proposal(users, make_need, make_offer):
    match = services.propose(users["requester"], make_need(), make_offer())
    services.withdraw(users["coordinator"], match)
    assert match.status == MatchStatus.WITHDRAWN


def test_decisions_under_an_expired_agreement_are_refused(users, agreement, make_need, make_offer):
    match = services.propose(users["requester"], make_need(), make_offer())
    agreement.valid_until = TODAY - timedelta(days=1)
    db.session.commit()
    with pytest.raises(AgreementExpired):
        services.accept(users["expert"], match)
    assert match.status == MatchStatus.PROPOSED


# ------------------------------------------------------------------------ lists and waiting


def waiting_ids(user) -> list[int]:
    """The matches waiting for ``user``'s side to decide, as the list's filter shows them."""
    query = queries.matches_query(user, queries.MatchFilters(waiting=True))
    return [m.id for m in db.session.scalars(query)]


def test_waiting_for_decision(users, make_need, make_offer):
    need, offer = make_need(), make_offer()
    by_requester = services.propose(users["requester"], need, offer)
    by_coordinator = services.propose(users["coordinator"], make_need(), make_offer())
    # Newest first, as the list orders them.
    assert waiting_ids(users["expert"]) == [by_coordinator.id, by_requester.id]
    assert waiting_ids(users["requester"]) == [by_coordinator.id]
    for who in ("coordinator", "admin", "other_expert", "other_requester"):
        assert waiting_ids(users[who]) == []
    services.accept(users["expert"], by_requester)
    assert waiting_ids(users["expert"]) == [by_coordinator.id]


def test_matches_the_viewer_may_see(users, make_need, make_offer, make_match):
    ours = make_match(make_need(), make_offer())
    theirs = make_match(make_need(by="other_requester", theme="education"), make_offer())
    unrelated = make_match(
        make_need(by="other_requester", theme="it_digital"),
        make_offer(by="other_expert", theme_codes=("it_digital",)),
        by="other_expert",
    )

    def ids(who, **filters):
        query = queries.matches_query(users[who], queries.MatchFilters(**filters))
        return {m.id for m in db.session.scalars(query)}

    assert ids("coordinator") == {ours.id, theirs.id, unrelated.id}
    assert ids("requester") == {ours.id}
    assert ids("expert") == {ours.id, theirs.id}
    assert ids("other_requester") == {theirs.id, unrelated.id}
    assert ids("other_expert") == {unrelated.id}
    assert ids("admin") == set()
    assert ids("expert", waiting=True) == {ours.id, theirs.id}
    assert ids("other_requester", waiting=True) == {unrelated.id}
    assert ids("other_expert", waiting=True) == set()
    assert ids("expert", status=MatchStatus.AGREED) == set()
    assert queries.get_visible(users["other_expert"], ours.id) is None
    assert queries.get_visible(users["expert"], ours.id) is ours


def test_a_restricted_need_drops_out_of_view_once_its_match_is_over(users, make_need, make_offer):
    need = make_need(visibility=Visibility.RESTRICTED)
    offer = make_offer(by="other_expert")
    match = services.propose(users["requester"], need, offer)
    # The live match lets the offering organisation see the need, and the match.
    assert queries.get_visible(users["other_expert"], match.id) is match
    assert waiting_ids(users["other_expert"]) == [match.id]
    services.decline(users["other_expert"], match)
    assert queries.get_visible(users["other_expert"], match.id) is None
    assert queries.get_visible(users["requester"], match.id) is match


def test_copies_of_one_organisation_are_suggested_once(users, make_need, make_offer):
    """The same offer posted twice by one organisation (same title) is one suggestion; the same
    title from another organisation is another offer."""
    need = make_need()
    first = make_offer("Leak detection training")
    copy = make_offer("Leak detection training")
    other = make_offer("Leak detection training", by="other_expert")
    ids = [s.offer.id for s in suggestions.suggest_offers(users["coordinator"], need, today=TODAY)]
    assert len(ids) == 2 and other.id in ids
    assert len({first.id, copy.id} & set(ids)) == 1
    offer = make_offer("Leak detection course")
    make_need("Leak detection in the water network")
    make_need("Leak detection in the water network")
    needs = suggestions.suggest_needs(users["coordinator"], offer, today=TODAY)
    titles = [s.need.title.versions[0].body for s in needs]
    assert titles.count("Leak detection in the water network") == 1


def test_nothing_good_enough_is_said_instead_of_weak_suggestions(
    client, login, users, make_need, make_offer
):
    """Only the kind of help and the period in common: no suggestion, and the page says why."""
    need = make_need(by="requester", visibility=Visibility.PUBLIC)
    make_offer(
        "Data platforms", "Cloud hosting.", theme_codes=("it_digital",), help_kind=need.help_kind
    )
    login("requester")
    body = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "Propose this offer" not in body
    assert "No open offer fits this need well enough" in body
