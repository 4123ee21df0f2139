"""Who may see each restricted need and offer, kept in ``need_access`` (``NeedAccess``) and
``offer_access`` (``OfferAccess``).

The rule (``PostingMixin.visible_to``): a restricted posting is seen by its own organisation,
coordinators, and every organisation at the other end of a live (proposed or agreed) match with
it: for a need, the organisations of the offers it was matched with; for an offer, those of
the needs. The third part is a table for each kind, so that a list reads one index instead of
the matches and the other side's postings for every row. The two are written here, in the
transaction that changes what they depend on:

- after every flush, for the postings whose matches were added, removed or changed status (or
  moved to another need or offer), and those on a live match with a posting of the other kind
  that moved to another organisation;
- by ``matching.services.propose``, whose insert goes around the flush (``ON CONFLICT``);
- by :func:`reconcile` (``flask access reconcile``) for everything else that writes rows
  directly (the bulk loader) and to find drift: the rows the rule gives against the rows held;
  the job scheduler runs it once an hour (:func:`reconcile_hourly`) and logs what it fixed.

A posting's rows are rewritten whole from the rule (delete, then insert what the rule gives), so
the same change applied twice, or two matches with the same organisation, come out the same.

On PostgreSQL two transactions never rewrite the same posting's rows at once: each first takes
a lock per posting (``pg_advisory_xact_lock``, held to its commit), the needs' before the
offers', each kind's in the order of the ids. Without it, under READ COMMITTED, a rewrite whose
delete ran while another's insert was not yet committed kept that insert's rows: a grant that a
match withdrawn at the same moment had taken away stayed, and the restricted posting was still
shown to the organisation it was withdrawn from. The second rewrite now waits, and its delete
and insert read what the first committed. A rewrite of more postings than
``LOCKS_PER_POSTING_UP_TO`` (a reconcile after bulk loading: 100,000 needs) locks the whole
table instead (``SHARE ROW EXCLUSIVE``, which other writers of the table wait for): a lock per
posting there exhausted the server's lock table ("out of shared memory"). (SQLite lets one
writer in at a time.)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import Select, delete, event, inspect, select, text
from sqlalchemy.orm import Session

from portal import jobs
from portal.core.bulk import insert_or_skip
from portal.extensions import Model, cache, db
from portal.matching.models import LIVE_MATCH_STATES, Match
from portal.needs.models import Need, NeedAccess
from portal.offers.models import Offer, OfferAccess

CHUNK = 500  # postings rewritten per statement

# The first key of each kind's advisory lock (the posting's id is the second): a number of the
# portal's own, so that other users of advisory locks in the same database do not collide.
LOCK_KEYS = {"need": 7301, "offer": 7302}
# Above this many postings, one lock on the table instead (PostgreSQL's lock table holds
# max_locks_per_transaction (64) x max_connections locks for the whole server).
LOCKS_PER_POSTING_UP_TO = 1000
# Locks taken in the order of the ids, the order the subquery gives the function's calls.
_LOCK = text(
    "SELECT pg_advisory_xact_lock(:key, t.id)"
    " FROM (SELECT unnest(CAST(:ids AS integer[])) AS id ORDER BY 1) AS t"
)


@dataclass(frozen=True)
class Grants:
    """One kind's table of grants and the rule it keeps. (The columns are typed ``Any``: a
    mapped attribute kept on a dataclass reads to type checkers as its value.)"""

    kind: str  # "need" or "offer": the side of the match the table's postings are on
    table: type[Model]
    posting_id: Any  # the table's column of the posting
    match_column: Any  # the match's column of the posting
    other_column: Any  # the match's column of the other side
    other: type[Need] | type[Offer]  # the other side, whose organisation is granted

    def rule(self, posting_ids: Iterable[int] | None = None) -> Select[int, int]:
        """(posting id, organisation id) for every organisation the rule lets see the posting
        beyond its own and the coordinators: the other side's organisations on its live
        matches."""
        stmt = (
            select(self.match_column, self.other.organisation_id)
            .join(self.other, self.other.id == self.other_column)
            .where(Match.status.in_(LIVE_MATCH_STATES))
            .distinct()
        )
        if posting_ids is not None:
            stmt = stmt.where(self.match_column.in_(sorted(set(posting_ids))))
        return stmt

    def refresh(self, posting_ids: Iterable[int], connection: Any = None) -> None:
        """Rewrite the rows of these postings from the rule, in the current transaction."""
        ids = sorted({int(i) for i in posting_ids if i is not None})
        if not ids:
            return
        execute = (connection or db.session).execute
        bind = connection if connection is not None else db.session.get_bind()
        if bind.dialect.name == "postgresql":
            # Waits for any other transaction rewriting these postings to end (see above).
            if len(ids) <= LOCKS_PER_POSTING_UP_TO:
                execute(_LOCK, {"key": LOCK_KEYS[self.kind], "ids": ids})
            else:
                name = bind.dialect.identifier_preparer.format_table(self.table.__table__)
                execute(text(f"LOCK TABLE {name} IN SHARE ROW EXCLUSIVE MODE"))
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            execute(delete(self.table).where(self.posting_id.in_(chunk)))
            # Two requests may rewrite the same posting at once (two needs of one organisation
            # proposed to one offer): the one that commits second finds the other's rows, which
            # its delete could not see, and keeps them rather than failing.
            execute(
                insert_or_skip(self.table, bind)
                .from_select([self.posting_id.key, "organisation_id"], self.rule(chunk))
                .on_conflict_do_nothing()
            )

    def held(self) -> set[tuple[int, int]]:
        rows = db.session.execute(select(self.posting_id, self.table.organisation_id))  # type: ignore[attr-defined]
        return {(posting, organisation) for posting, organisation in rows}


NEEDS = Grants("need", NeedAccess, NeedAccess.need_id, Match.need_id, Match.offer_id, Offer)
OFFERS = Grants("offer", OfferAccess, OfferAccess.offer_id, Match.offer_id, Match.need_id, Need)
KINDS = (NEEDS, OFFERS)


def refresh_match(match: Match, connection: Any = None) -> None:
    """Rewrite the grants of the match's need and offer (a match written around the flush)."""
    NEEDS.refresh([match.need_id], connection)
    OFFERS.refresh([match.offer_id], connection)


# ---------------------------------------------------------------- kept on every flush

_MATCH_KEYS = ("status", "need_id", "offer_id")


def _changed(row: Any, keys: Iterable[str]) -> bool:
    state = inspect(row)
    return any(state.attrs[key].history.has_changes() for key in keys)


def _touched(session: Session) -> dict[str, set[int]]:
    """The needs and the offers whose grants the flush may have changed."""
    touched: dict[str, set[int]] = {"need": set(), "offer": set()}
    moved: dict[str, set[int]] = {"need": set(), "offer": set()}  # postings with a new owner
    for row in (*session.new, *session.deleted):
        if isinstance(row, Match):
            touched["need"].add(row.need_id)
            touched["offer"].add(row.offer_id)
    for row in session.dirty:
        if isinstance(row, Match) and _changed(row, _MATCH_KEYS):
            for kind in ("need", "offer"):
                touched[kind].add(getattr(row, f"{kind}_id"))
                # A match moved to another posting takes its grant from the one it left.
                history = inspect(row).attrs[f"{kind}_id"].history
                touched[kind].update(v for v in history.deleted if v is not None)
        elif isinstance(row, Need | Offer) and _changed(row, ("organisation_id",)):
            moved["need" if isinstance(row, Need) else "offer"].add(row.id)
    # A posting that moved to another organisation changes the grants of the postings of the
    # other kind on its live matches.
    for kind, other in (("need", "offer"), ("offer", "need")):
        if moved[other]:
            touched[kind].update(
                session.connection()
                .execute(
                    select(getattr(Match, f"{kind}_id")).where(
                        getattr(Match, f"{other}_id").in_(moved[other]),
                        Match.status.in_(LIVE_MATCH_STATES),
                    )
                )
                .scalars()
            )
    return {kind: {i for i in ids if i is not None} for kind, ids in touched.items()}


@event.listens_for(Session, "after_flush")
def _keep_access(session: Session, context: Any) -> None:
    touched = _touched(session)
    for grants in KINDS:
        if touched[grants.kind]:
            grants.refresh(touched[grants.kind], session.connection())


# ---------------------------------------------------------------- drift


@dataclass
class Drift:
    """Rows the rule gives that a table lacks (a posting hidden from someone who may see it),
    and rows a table holds that the rule does not give (a posting shown to someone who may
    not): (kind, posting id, organisation id)."""

    missing: set[tuple[str, int, int]] = field(default_factory=set)
    extra: set[tuple[str, int, int]] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.missing or self.extra)


def drift() -> Drift:
    found = Drift()
    for grants in KINDS:
        wanted = {(p, o) for p, o in db.session.execute(grants.rule())}
        held = grants.held()
        found.missing |= {(grants.kind, p, o) for p, o in wanted - held}
        found.extra |= {(grants.kind, p, o) for p, o in held - wanted}
    return found


def reconcile(fix: bool = True) -> Drift:
    """Compare the tables with the rule; with ``fix``, rewrite the postings that differ.
    Returns what differed (before the fix)."""
    found = drift()
    if fix and found:
        for grants in KINDS:
            grants.refresh(
                {p for kind, p, _o in found.missing | found.extra if kind == grants.kind}
            )
        db.session.flush()
    return found


def reconcile_hourly() -> None:
    """The scheduler's round (every minute) compares the tables with the rule once an hour, on
    whichever worker gets it, and fixes what differs. Drift means something wrote matches
    around the rewrite above: it is logged as a warning, with what was fixed, for whoever looks
    after the portal to find."""
    if not cache.add("access-reconciled", 1, timeout=3600):
        return
    found = reconcile(fix=True)
    if found:
        current_app.logger.warning(
            "access: the grants differed from the rule; fixed %d missing and %d extra: %s",
            len(found.missing),
            len(found.extra),
            sorted(found.missing | found.extra)[:20],
        )


jobs.register_periodic(reconcile_hourly)
