"""need_access and offer_access, who may see each restricted need and offer, against the rule
they keep (the organisations at the other end of a live match): after every kind of change that
could move them, the tables hold exactly what the rule gives, and the needs' and offers' SQL
visibility says what ``can_view`` says."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import delete, select, text, update

from portal.core.enums import MatchStatus, ProjectStatus, Visibility
from portal.extensions import db
from portal.matching import access
from portal.matching import services as matching
from portal.matching.models import Match
from portal.needs.models import Need, NeedAccess
from portal.offers.models import Offer, OfferAccess
from portal.projects import services as projects
from portal.reference.models import Organisation
from tests.factories import reload
from tests.matching.conftest import TODAY


def no_drift(users) -> None:
    """The tables agree with the rule, and each person's lists of needs and offers with their
    can_view."""
    db.session.expire_all()
    found = access.drift()
    assert not found, found
    for user in users.values():
        for kind in (Need, Offer):
            listed = set(db.session.scalars(select(kind.id).where(kind.visible_to(user))))
            allowed = {p.id for p in db.session.scalars(select(kind)) if p.can_view(user)}
            assert listed == allowed, (kind.__name__, user.email)


def grants() -> set[tuple[int, int]]:
    return set(db.session.execute(select(NeedAccess.need_id, NeedAccess.organisation_id)))


def offer_grants() -> set[tuple[int, int]]:
    return set(db.session.execute(select(OfferAccess.offer_id, OfferAccess.organisation_id)))


@pytest.fixture
def pair(make_need, make_offer):
    need = make_need(visibility=Visibility.RESTRICTED)
    offer = make_offer(by="expert")
    return need, offer


def test_proposing_grants_and_declining_takes_it_away(users, pair):
    need, offer = pair
    expert = users["expert"]
    assert not need.can_view(expert)
    match = matching.propose(users["requester"], need, offer)
    db.session.commit()
    assert grants() == {(need.id, offer.organisation_id)}
    assert offer_grants() == {(offer.id, need.organisation_id)}
    no_drift(users)
    matching.decline(expert, reload(match), "Not now")
    db.session.commit()
    assert grants() == set() and offer_grants() == set()
    no_drift(users)


def test_an_expert_proposing_and_withdrawing(users, make_need, make_offer):
    need = make_need(visibility=Visibility.PARTNERS)
    offer = make_offer(by="other_expert")
    match = matching.propose(users["other_expert"], need, offer)
    db.session.commit()
    assert grants() == {(need.id, offer.organisation_id)}
    no_drift(users)
    # Made restricted afterwards: the grant is already there.
    need = reload(need)
    need.visibility = Visibility.RESTRICTED
    db.session.commit()
    assert need.can_view(users["other_expert"])
    no_drift(users)
    matching.withdraw(users["other_expert"], reload(match))
    db.session.commit()
    assert grants() == set()
    no_drift(users)


def test_accepting_keeps_it_and_a_project_changes_nothing_of_the_rule(users, pair):
    need, offer = pair
    match = matching.propose(users["requester"], need, offer)
    db.session.commit()
    matching.accept(users["expert"], reload(match))
    db.session.commit()
    assert reload(match).status == MatchStatus.AGREED
    assert grants() == {(need.id, offer.organisation_id)}
    no_drift(users)
    project = projects.start_project(
        users["coordinator"],
        [reload(match)],
        title="Leak detection",
        description="Training",
        lang="en",
        starts_on=TODAY,
        ends_on=TODAY + timedelta(days=90),
    )
    db.session.commit()
    no_drift(users)
    projects.change_status(users["coordinator"], reload(project), ProjectStatus.ACTIVE)
    db.session.commit()
    projects.change_status(users["coordinator"], reload(project), ProjectStatus.COMPLETED)
    db.session.commit()
    no_drift(users)


def test_cancelling_a_project(users, pair):
    need, offer = pair
    match = matching.propose(users["requester"], need, offer)
    db.session.commit()
    matching.accept(users["expert"], reload(match))
    db.session.commit()
    project = projects.start_project(
        users["coordinator"],
        [reload(match)],
        title="Leak detection",
        description="Training",
        lang="en",
        starts_on=TODAY,
        ends_on=TODAY + timedelta(days=90),
    )
    db.session.commit()
    projects.change_status(users["coordinator"], reload(project), ProjectStatus.CANCELLED)
    db.session.commit()
    no_drift(users)


def test_matches_stored_directly_and_an_offer_moving_to_another_organisation(
    users, pair, make_match
):
    need, offer = pair
    match = make_match(need, offer, by="requester", status=MatchStatus.PROPOSED)
    assert grants() == {(need.id, offer.organisation_id)}
    assert offer_grants() == {(offer.id, need.organisation_id)}
    no_drift(users)
    other = db.session.get(Organisation, users["other_expert"].organisation_id)
    offer = reload(offer)
    offer.organisation_id = other.id
    db.session.commit()
    assert grants() == {(need.id, other.id)}
    no_drift(users)
    match = reload(match)
    match.status = MatchStatus.WITHDRAWN
    db.session.commit()
    no_drift(users)
    db.session.delete(reload(match))
    db.session.commit()
    assert grants() == set() and offer_grants() == set()
    no_drift(users)


def test_a_restricted_offer_opens_to_the_organisations_of_its_matched_needs(
    users, make_need, make_offer, make_match
):
    """The mirror of a restricted need: the offer is seen by the organisation whose need it
    was matched with while the match is live, and follows that need to another organisation
    and the match to another need."""
    offer = make_offer(by="expert", visibility=Visibility.RESTRICTED)
    need = make_need(by="requester")
    requester, other = users["requester"], users["other_requester"]
    assert not offer.can_view(requester)
    match = matching.propose(users["expert"], need, offer)
    db.session.commit()
    assert offer_grants() == {(offer.id, need.organisation_id)}
    assert reload(offer).can_view(requester) and not reload(offer).can_view(other)
    no_drift(users)
    need = reload(need)
    need.organisation_id = other.organisation_id
    db.session.commit()
    assert offer_grants() == {(offer.id, other.organisation_id)}
    no_drift(users)
    second = make_need(by="requester")
    match = reload(match)
    match.need_id = second.id
    db.session.commit()
    assert offer_grants() == {(offer.id, requester.organisation_id)}
    no_drift(users)
    make_match(make_need(by="other_requester"), reload(offer), status=MatchStatus.AGREED)
    assert offer_grants() == {
        (offer.id, requester.organisation_id),
        (offer.id, other.organisation_id),
    }
    no_drift(users)
    matching.withdraw(users["expert"], reload(match))
    db.session.commit()
    assert offer_grants() == {(offer.id, other.organisation_id)}
    no_drift(users)


def test_organisation_changes_leave_the_rule_as_it_is(users, pair, client):
    need, offer = pair
    matching.propose(users["requester"], need, offer)
    db.session.commit()
    organisation = db.session.get(Organisation, offer.organisation_id)
    organisation.is_active = False
    db.session.commit()
    no_drift(users)


def test_the_command_reports_and_fixes_drift(runner, users, pair):
    need, offer = pair
    matching.propose(users["requester"], need, offer)
    db.session.commit()
    db.session.execute(db.delete(NeedAccess))
    db.session.execute(
        db.insert(NeedAccess).values(
            need_id=need.id, organisation_id=users["admin"].organisation_id
        )
    )
    db.session.execute(db.delete(OfferAccess))
    db.session.commit()
    assert access.drift()
    result = runner.invoke(args=["access", "reconcile", "--check"])
    assert result.exit_code == 1
    assert f"missing: need {need.id} for organisation {offer.organisation_id}" in result.output
    assert f"extra: need {need.id}" in result.output
    assert f"missing: offer {offer.id} for organisation {need.organisation_id}" in result.output
    assert grants() == {(need.id, users["admin"].organisation_id)}  # --check changes nothing
    assert offer_grants() == set()
    result = runner.invoke(args=["access", "reconcile"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert grants() == {(need.id, offer.organisation_id)}
    assert offer_grants() == {(offer.id, need.organisation_id)}
    no_drift(users)
    result = runner.invoke(args=["access", "reconcile", "--check"])
    assert result.exit_code == 0
    assert "agree with the rule" in result.output


def test_the_command_lists_the_first_rows_of_a_large_drift(runner, users, pair, monkeypatch):
    """After a bulk load every grant is missing: the command names the first ones and counts
    the rest, unless asked for every row."""
    from portal import cli

    need, offer = pair
    matching.propose(users["requester"], need, offer)
    db.session.commit()
    db.session.execute(db.delete(NeedAccess))
    db.session.execute(db.delete(OfferAccess))
    db.session.commit()
    monkeypatch.setattr(cli, "RECONCILE_SHOWN", 1)
    result = runner.invoke(args=["access", "reconcile", "--check"])
    assert result.exit_code == 1
    assert f"missing: need {need.id} for organisation {offer.organisation_id}" in result.output
    assert f"missing: offer {offer.id}" not in result.output
    assert "… and 1 more (--list-all lists them)." in result.output
    result = runner.invoke(args=["access", "reconcile", "--check", "--list-all"])
    assert f"missing: offer {offer.id} for organisation {need.organisation_id}" in result.output
    assert "more" not in result.output


def test_the_scheduler_reconciles_once_an_hour(app, users, pair, caplog):
    """The periodic job puts drift right and logs it, once an hour whatever the rounds."""
    from portal import jobs
    from portal.extensions import cache

    need, offer = pair
    matching.propose(users["requester"], need, offer)
    db.session.commit()
    assert access.reconcile_hourly in jobs.PERIODIC
    cache.delete("access-reconciled")
    stranger = users["admin"].organisation_id

    def stray_grant() -> None:
        db.session.execute(db.insert(NeedAccess).values(need_id=need.id, organisation_id=stranger))
        db.session.commit()

    stray_grant()
    jobs.run(access.reconcile_hourly)
    db.session.expire_all()
    assert grants() == {(need.id, offer.organisation_id)}
    assert f"('need', {need.id}, {stranger})" in caplog.text
    stray_grant()
    jobs.run(access.reconcile_hourly)  # the next round, within the hour: not again
    assert (need.id, stranger) in grants()
    cache.delete("access-reconciled")  # an hour on
    jobs.run(access.reconcile_hourly)
    assert grants() == {(need.id, offer.organisation_id)}


def test_a_list_reads_the_table(users, pair):
    """The rule's SQL for a restricted need is the table, not the matches: a row alone opens
    the need (so drift would show, and the test above would catch it)."""
    need, offer = pair
    expert = users["expert"]
    visible = select(Need.id).where(Need.id == need.id, Need.visible_to(expert))
    assert db.session.scalar(visible) is None
    db.session.execute(
        db.insert(NeedAccess).values(need_id=need.id, organisation_id=offer.organisation_id)
    )
    assert db.session.scalar(visible) == need.id
    db.session.rollback()
    assert Offer.visible_to(expert) is not None


def test_a_list_of_offers_reads_its_table(users, make_offer):
    offer = make_offer(by="expert", visibility=Visibility.RESTRICTED)
    requester = users["requester"]
    visible = select(Offer.id).where(Offer.id == offer.id, Offer.visible_to(requester))
    assert db.session.scalar(visible) is None
    db.session.execute(
        db.insert(OfferAccess).values(offer_id=offer.id, organisation_id=requester.organisation_id)
    )
    assert db.session.scalar(visible) == offer.id
    db.session.rollback()


# A session of this test's database (not another test process's) waiting for a lock.
_WAITING = text(
    "SELECT count(*) FROM pg_locks JOIN pg_stat_activity USING (pid)"
    " WHERE NOT pg_locks.granted AND pg_stat_activity.datname = current_database()"
)


def _until_someone_waits_for_a_lock(engine, seconds: float = 10) -> None:
    """Until a transaction of this database waits for a lock (PostgreSQL: an ungranted lock in
    pg_locks); elsewhere a moment, as SQLite has no such view (and lets one writer in)."""
    if engine.dialect.name != "postgresql":
        time.sleep(1)
        return
    deadline = time.monotonic() + seconds
    with engine.connect() as watcher:
        while time.monotonic() < deadline:
            if watcher.scalar(_WAITING):
                return
            watcher.rollback()
            time.sleep(0.02)
    raise AssertionError("the second transaction never waited")


def _waits_for(holder, work) -> None:
    """``work(connection)`` in a transaction of its own, in a thread, started while ``holder``
    (a connection in a transaction) holds what it must wait for; ``holder`` commits once the
    work waits, and the work must then finish without an error."""
    engine = db.engine
    failed: list[BaseException] = []

    def run() -> None:
        try:
            with engine.begin() as connection:
                work(connection)
        except BaseException as error:
            failed.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    _until_someone_waits_for_a_lock(engine)
    holder.commit()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert failed == []


def test_two_transactions_rewriting_one_offer_at_once_both_commit(app, users, pair):
    """Two proposals to one offer at the same moment (two needs of one organisation, say) both
    rewrite the offer's grants. The second to commit finds the rows of the first, which its
    delete could not see: it keeps them instead of failing on the table's key."""

    need, offer = pair
    matching.propose(users["requester"], need, offer)
    db.session.commit()
    offer_id = offer.id
    wanted = {(offer_id, need.organisation_id)}
    assert offer_grants() == wanted
    db.session.remove()  # the test's own session holds no lock meanwhile

    with db.engine.connect() as first:
        first.begin()
        access.OFFERS.refresh([offer_id], first)  # deletes and inserts the grant; uncommitted
        # The second waits for the first on PostgreSQL.
        _waits_for(first, lambda connection: access.OFFERS.refresh([offer_id], connection))
    assert offer_grants() == wanted


def test_a_withdrawal_during_another_rewrite_takes_its_grant_away(users, make_need, make_offer):
    """A match withdrawn while another transaction rewrites the same need's grants (another
    match of the need changing at that moment): the withdrawal's rewrite waits for the other
    to commit and then reads it, so the organisation it was withdrawn from loses the grant.
    Without the lock per posting, the withdrawal's delete could not see the other's new rows,
    and the grant stayed."""
    need = make_need(visibility=Visibility.RESTRICTED)
    withdrawn = matching.propose(users["requester"], need, make_offer(by="expert"))
    matching.propose(users["requester"], need, make_offer(by="other_expert"))
    db.session.commit()
    need_id, withdrawn_id, offer_id = need.id, withdrawn.id, withdrawn.offer_id
    kept_grant = (need_id, users["other_expert"].organisation_id)
    assert grants() == {(need_id, users["expert"].organisation_id), kept_grant}
    db.session.remove()

    def withdraw(connection) -> None:
        connection.execute(
            update(Match).where(Match.id == withdrawn_id).values(status=MatchStatus.WITHDRAWN)
        )
        access.NEEDS.refresh([need_id], connection)
        access.OFFERS.refresh([offer_id], connection)

    with db.engine.connect() as other:
        other.begin()
        access.NEEDS.refresh([need_id], other)  # rewrites both grants; not committed yet
        _waits_for(other, withdraw)
    assert db.session.scalar(select(Match.status).where(Match.id == withdrawn_id)) == (
        MatchStatus.WITHDRAWN
    )
    assert grants() == {kept_grant}
    assert not access.drift()


def test_a_rewrite_of_many_postings_locks_the_table_not_each_posting(
    users, make_need, make_offer, monkeypatch
):
    """A reconcile after bulk loading rewrites every posting: with one advisory lock each,
    100,000 needs exhausted PostgreSQL's lock table ("out of shared memory") and the bulk load
    failed. Past ``LOCKS_PER_POSTING_UP_TO`` the rewrite locks the table once, and a rewrite of
    one of its postings meanwhile waits for it."""
    needs = [make_need(visibility=Visibility.RESTRICTED) for _ in range(3)]
    for need in needs:
        matching.propose(users["requester"], need, make_offer(by="expert"))
    db.session.commit()
    ids = [need.id for need in needs]
    wanted = {(need_id, users["expert"].organisation_id) for need_id in ids}
    db.session.execute(delete(NeedAccess))  # as the bulk loader leaves them: none
    db.session.commit()
    db.session.remove()
    monkeypatch.setattr(access, "LOCKS_PER_POSTING_UP_TO", 2)

    with db.engine.connect() as big:
        big.begin()
        access.NEEDS.refresh(ids, big)
        if db.engine.dialect.name == "postgresql":
            held = big.execute(
                text(
                    "SELECT locktype, mode, relation::regclass::text FROM pg_locks"
                    " WHERE pid = pg_backend_pid() AND locktype IN ('advisory', 'relation')"
                    " AND (locktype = 'advisory' OR relation = 'need_access'::regclass)"
                )
            ).all()
            assert [tuple(row) for row in held if row[0] == "advisory"] == []
            assert ("relation", "ShareRowExclusiveLock", "need_access") in {
                tuple(row) for row in held
            }
        # One posting: its own lock, then it waits for the table.
        _waits_for(big, lambda connection: access.NEEDS.refresh(ids[:1], connection))
    assert grants() == wanted
    assert not access.drift()
