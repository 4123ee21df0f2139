"""Precomputed suggestions: the same answer as the live computation (on the demo data, for
every demo person, both kinds of list, each language), kept after changes by the jobs, checked
again at reading, computed live where the stored list cannot tell."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal import create_app
from portal.accounts.models import User
from portal.core.enums import NeedStatus, OfferStatus, Visibility
from portal.extensions import db
from portal.matching import precomputed
from portal.matching.models import StoredSuggestion, SuggestionList
from portal.matching.panels import need_panel, offer_panel
from portal.matching.services import may_propose_for_need, may_propose_for_offer
from portal.matching.suggestions import suggest_needs, suggest_offers
from portal.needs.models import Need
from portal.offers.models import Offer
from portal.seed.demo import load_demo
from tests.factories import reload


@pytest.fixture(scope="module")
def demo_app(databases):
    url = databases.fresh()
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        assert load_demo() is True
        precomputed.refresh_all()
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()
    databases.drop(url)


def shown(suggestions) -> list[tuple[object, ...]]:
    """What a page shows of each suggestion: both sides (id, title as a reader of each language
    gets it, organisation), the score and the reasons."""

    def side(record) -> tuple[object, ...]:
        titles = tuple(record.title.render(lang) for lang in ("en", "sv", "uk"))
        return (record.id, titles, record.organisation.name)

    return [
        (side(s.need), side(s.offer), s.score, [r.text for r in s.reasons]) for s in suggestions
    ]


@pytest.mark.parametrize("lang", ["en", "sv", "uk"])
def test_stored_lists_give_what_the_live_computation_gives_on_the_demo_data(demo_app, lang):
    with demo_app.test_request_context("/", headers={"Accept-Language": lang}):
        people = list(db.session.scalars(select(User).where(User.email.like("%@example.org"))))
        needs = list(db.session.scalars(select(Need).where(Need.status == NeedStatus.OPEN)))
        offers = list(db.session.scalars(select(Offer).where(Offer.status == OfferStatus.OPEN)))
        assert len(people) >= 4 and needs and offers
        read_stored = compared = 0
        for person in people:
            for need in needs:
                for org in (None, person.organisation_id):
                    args = dict(organisation_id=org, lang=lang)
                    stored = precomputed.stored_offers(
                        person, need, 10, today=precomputed.date.today(), **args
                    )
                    live = suggest_offers(person, need, **args)
                    read_stored += stored is not None
                    compared += 1
                    assert shown(precomputed.offers_for(person, need, **args)) == shown(live)
                    if stored is not None:
                        assert shown(stored) == shown(live), (person.email, need.id, org)
            for offer in offers:
                for org in (None, person.organisation_id):
                    args = dict(organisation_id=org, lang=lang)
                    stored = precomputed.stored_needs(
                        person, offer, 10, today=precomputed.date.today(), **args
                    )
                    live = suggest_needs(person, offer, **args)
                    read_stored += stored is not None
                    compared += 1
                    if stored is not None:
                        assert shown(stored) == shown(live), (person.email, offer.id, org)
        # The demo lists are complete (fewer candidates than the limit): all read stored.
        assert read_stored == compared
        db.session.rollback()


def test_a_need_page_reads_the_stored_list_with_a_constant_few_queries(demo_app):
    from tests.conftest import count_queries

    with demo_app.test_request_context("/"):
        coordinator = db.session.scalar(select(User).where(User.email == "coordinator@example.org"))
        need = db.session.scalar(select(Need).where(Need.status == NeedStatus.OPEN))
        assert may_propose_for_need(coordinator, need)
        with count_queries(demo_app) as queries:
            panel = need_panel(coordinator, need)
        assert panel["suggestions"]
        assert shown(panel["suggestions"]) == shown(suggest_offers(coordinator, need, lang="en"))
        # Read from the stored list: no candidate query (the live one reads offer_themes).
        assert not any("offer_themes" in q for q in queries)
        assert any("suggestions" in q for q in queries)
        # The list's state with the pairs and what is shown of each offer: one statement.
        with count_queries(demo_app) as queries:
            precomputed.offers_for(coordinator, need, lang="en")
        assert len(queries) == 1, queries
        db.session.rollback()


@pytest.fixture
def precomputing(app):
    """Jobs run in this process at once (no request): as after a page's response."""
    return app


def test_lists_follow_changes_and_a_withdrawn_offer_leaves_every_list(
    precomputing, users, make_need, make_offer
):
    need = make_need()
    offer = make_offer()
    # Both were saved: the job after the commit computed the need's list and the offer's.
    assert db.session.get(SuggestionList, ("need", need.id)) is not None
    listed = db.session.scalars(
        select(StoredSuggestion.offer_id).where(
            StoredSuggestion.need_id == need.id, StoredSuggestion.listed_on == "need"
        )
    ).all()
    assert listed == [offer.id]
    assert (
        db.session.scalar(
            select(func.count()).where(
                StoredSuggestion.offer_id == offer.id, StoredSuggestion.listed_on == "offer"
            )
        )
        == 1
    )
    offer = reload(offer)
    offer.transition(OfferStatus.WITHDRAWN)
    db.session.commit()
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).where(StoredSuggestion.offer_id == offer.id)) == 0
    assert db.session.get(SuggestionList, ("offer", offer.id)) is None
    assert db.session.get(SuggestionList, ("need", need.id)) is not None


def test_an_offer_reaching_many_needs_is_refreshed_in_batches(
    precomputing, users, make_need, make_offer, monkeypatch
):
    needs = [make_need(title=f"Leak detection round {i}") for i in range(5)]
    calls = []
    real = precomputed.refresh_lists

    def counting(kind, ids, today=None):
        calls.append((kind, list(ids)))
        return real(kind, ids, today)

    monkeypatch.setattr(precomputed, "BATCH", 2)
    monkeypatch.setattr(precomputed, "refresh_lists", counting)
    offer = make_offer()
    batches = [ids for kind, ids in calls if kind == "need"]
    assert [len(b) for b in batches if len(b) != 0][-3:] == [2, 2, 1]
    db.session.expire_all()
    for need in needs:
        assert (
            offer.id
            in db.session.scalars(
                select(StoredSuggestion.offer_id).where(
                    StoredSuggestion.need_id == need.id, StoredSuggestion.listed_on == "need"
                )
            ).all()
        )


def test_reading_checks_visibility_and_state_again(precomputing, users, make_need, make_offer):
    need = make_need()
    offer = make_offer(by="other_expert")
    requester = users["requester"]
    today = precomputed.date.today()
    found = precomputed.stored_offers(
        requester, reload(need), 10, organisation_id=None, today=today, lang="en"
    )
    assert [s.offer.id for s in found] == [offer.id]
    # Changed behind the jobs' back (as between a commit and its job): not shown any more.
    db.session.execute(
        db.update(Offer).where(Offer.id == offer.id).values(visibility=Visibility.RESTRICTED)
    )
    db.session.commit()
    found = precomputed.stored_offers(
        requester, reload(need), 10, organisation_id=None, today=today, lang="en"
    )
    assert found == []
    db.session.execute(
        db.update(Offer)
        .where(Offer.id == offer.id)
        .values(visibility=Visibility.PARTNERS, status=OfferStatus.WITHDRAWN)
    )
    db.session.commit()
    found = precomputed.stored_offers(
        requester, reload(need), 10, organisation_id=None, today=today, lang="en"
    )
    assert found == []


def test_missing_lists_are_computed_live_and_asked_for(precomputing, users, make_need, make_offer):
    need = make_need()
    offer = make_offer()
    db.session.execute(db.delete(StoredSuggestion))
    db.session.execute(db.delete(SuggestionList))
    db.session.commit()
    coordinator = users["coordinator"]
    assert (
        precomputed.stored_offers(
            coordinator,
            reload(need),
            10,
            organisation_id=None,
            today=precomputed.date.today(),
            lang="en",
        )
        is None
    )
    found = precomputed.offers_for(coordinator, reload(need))
    assert [s.offer.id for s in found] == [offer.id]
    # The job ran (in this process, outside a request: at once): the list is back.
    db.session.expire_all()
    assert db.session.get(SuggestionList, ("need", need.id)) is not None
    assert may_propose_for_offer(coordinator, reload(offer))
    assert offer_panel(coordinator, reload(offer))["suggestions"]


def test_the_refresh_command(runner, precomputing, users, make_need, make_offer):
    make_need()
    make_offer()
    db.session.execute(db.delete(SuggestionList))
    db.session.commit()
    result = runner.invoke(args=["suggestions", "refresh"])
    assert result.exit_code == 0, result.output
    assert "2 lists computed" in result.output
    assert db.session.scalar(select(func.count()).select_from(SuggestionList)) == 2


def test_lists_of_an_earlier_day_are_computed_again(precomputing, users, make_need, make_offer):
    need = make_need()
    make_offer()
    db.session.execute(
        db.update(SuggestionList).values(computed_for=precomputed.date.today() - timedelta(days=1))
    )
    db.session.commit()
    coordinator = users["coordinator"]
    today = precomputed.date.today()
    assert (
        precomputed.stored_offers(
            coordinator, reload(need), 10, organisation_id=None, today=today, lang="en"
        )
        is None
    )
    assert precomputed.refresh_stale() == 2
    db.session.expire_all()
    assert precomputed.stored_offers(
        coordinator, reload(need), 10, organisation_id=None, today=today, lang="en"
    )


def test_copies_beyond_the_rows_read_first_are_read_past(
    precomputing, users, make_need, make_offer, monkeypatch
):
    """One organisation's copies of one offer fill the first rows of the stored list: the
    reading asks for the whole list and shows what the live computation shows."""
    need = make_need()
    for _ in range(precomputed.COPY_ALLOWANCE + 3):
        make_offer("Leak detection training")
    # Same theme and kind of help, no word in common: below the copies.
    make_offer("Pump maintenance", "We service pumping stations.", by="other_expert")
    make_offer("Reservoir inspection", "Divers inspect reservoirs.", by="other_expert")
    reads: list[int] = []
    without_copies = precomputed._without_copies

    def counted(rows, limit):
        reads.append(len(rows))
        return without_copies(rows, limit)

    monkeypatch.setattr(precomputed, "_without_copies", counted)
    coordinator, today = users["coordinator"], precomputed.date.today()
    stored = precomputed.stored_offers(
        coordinator, reload(need), 2, organisation_id=None, today=today, lang="en"
    )
    assert stored is not None and len(stored) == 2
    assert len(reads) == 2 and reads[0] == 2 + precomputed.COPY_ALLOWANCE  # then the whole list
    live = suggest_offers(coordinator, reload(need), 2, today=today, lang="en")
    assert shown(stored) == shown(live)


@pytest.mark.parametrize("limit", [1, 2, 4, 7, 100])
def test_a_batch_of_needs_gets_the_candidates_each_need_gets_alone(app, users, monkeypatch, limit):
    """The refresh jobs read a batch's candidates theme by theme (``OfferCandidates``) and
    order them here: the same rows in the same order as each need's own tier queries, for
    every cut of the candidate list (so each tier fills it, ties broken by id), with dates,
    capacities, help kinds, other themes and live matches that leave offers out."""
    from portal.core.enums import HelpKind
    from portal.matching import suggestions
    from tests import factories as f

    monkeypatch.setattr(suggestions, "CANDIDATE_LIMIT", limit)
    today = precomputed.date.today()
    expert, other = users["expert"], users["other_expert"]
    offers = [
        f.make_offer(expert, help_kind=HelpKind.ADVICE, capacity_days=10),
        f.make_offer(expert, help_kind=HelpKind.ADVICE, capacity_days=10),  # ties the first
        f.make_offer(other, help_kind=HelpKind.ADVICE, capacity_days=3),
        f.make_offer(other, help_kind=HelpKind.TRAINING, capacity_days=40),
        f.make_offer(
            expert,
            help_kind=HelpKind.ADVICE,
            available_from=today + timedelta(days=20),
            available_until=today + timedelta(days=90),
        ),
        f.make_offer(other, help_kind=HelpKind.ADVICE, available_until=today + timedelta(days=5)),
        f.make_offer(expert, help_kind=HelpKind.ADVICE, capacity_days=8, committed_days=8),
        f.make_offer(other, help_kind=HelpKind.ADVICE, theme_codes=("housing",)),
        f.make_offer(expert, help_kind=HelpKind.TRAINING, theme_codes=("housing",)),
        f.make_offer(other, help_kind=HelpKind.ADVICE, theme_codes=("housing", "water_sewage")),
    ]
    requester = users["requester"]
    needs = [
        f.make_need(requester),
        f.make_need(requester, person_days=5),
        f.make_need(requester, person_days=20, help_kind=HelpKind.TRAINING),
        f.make_need(
            requester,
            wanted_from=today + timedelta(days=10),
            wanted_until=today + timedelta(days=30),
        ),
        f.make_need(requester, wanted_from=today - timedelta(days=30)),
        f.make_need(requester, theme_code="housing"),
    ]
    f.make_match(needs[0], offers[0], requester)
    f.make_match(needs[1], offers[2], requester)
    needs = [reload(n) for n in needs]
    batch = suggestions.OfferCandidates(needs, today)
    compared = 0
    for need in needs:
        alone = [tuple(row) for row in suggestions.offer_candidates(need, today, visible=None)]
        assert [tuple(row) for row in batch.of(need)] == alone, (limit, need.id)
        compared += len(alone)
    assert compared > 0


def test_a_stale_list_read_by_many_is_queued_once(
    precomputing, users, make_need, make_offer, monkeypatch
):
    """Readers of a list waiting for its refresh do not queue one job each; after the window
    (``ASK_AGAIN_SECONDS``: the job may have been lost) the next reader asks again."""
    need = make_need()
    make_offer()
    db.session.execute(
        db.update(SuggestionList).values(computed_for=precomputed.date.today() - timedelta(days=1))
    )
    db.session.commit()
    queued: list[tuple[str, list[int]]] = []
    monkeypatch.setattr(
        precomputed.jobs, "enqueue", lambda func, kind, ids, **_: queued.append((kind, ids))
    )
    coordinator, today = users["coordinator"], precomputed.date.today()
    for reader in (coordinator, users["requester"], coordinator):
        read = precomputed.offers_for(reader, reload(need), organisation_id=None, lang="en")
        assert read, "the page still shows suggestions, computed live"
    assert queued == [("need", [need.id])]

    precomputed.cache.delete(f"suggestions-asked:need:{need.id}")  # the window has passed
    precomputed.offers_for(coordinator, reload(need), organisation_id=None, lang="en")
    assert queued == [("need", [need.id])] * 2
    assert (
        precomputed.stored_offers(
            coordinator, reload(need), 10, organisation_id=None, today=today, lang="en"
        )
        is None
    )  # nothing ran the queued jobs: the list is still of yesterday


def test_a_batch_still_waiting_in_the_queue_is_not_queued_again(
    precomputing, users, make_need, make_offer, monkeypatch
):
    """An offer changed twice before its batches ran: the batches are queued once, and run on
    the data as it is then. Once a batch has started, the next change queues it again."""
    for i in range(5):
        make_need(title=f"Leak detection round {i}")
    offer = make_offer()
    monkeypatch.setattr(precomputed, "BATCH", 2)
    queued: list[tuple] = []
    monkeypatch.setattr(
        precomputed.jobs, "enqueue", lambda func, *args, **_: queued.append((func, args))
    )
    precomputed.refresh_changed([], [offer.id])
    first = [args for func, args in queued]
    assert [(kind, len(ids)) for kind, ids, _key in first] == [
        ("need", 2),
        ("need", 2),
        ("need", 1),
    ]
    precomputed.refresh_changed([], [offer.id])  # changed again while they wait
    assert len(queued) == 3

    func, args = queued[0]
    assert func is precomputed.refresh_batch
    assert func(*args) == 2  # the first batch runs (and computes its two lists)
    precomputed.refresh_changed([], [offer.id])
    assert [args for func, args in queued[3:]] == [first[0]]  # only the batch that ran
