"""Who may see each restricted need, kept in ``need_access`` (``NeedAccess``).

The rule (``PostingMixin.visible_to``): a restricted need is seen by its own organisation,
coordinators, and every organisation at the other end of a live (proposed or agreed) match with
it. The third part is a table, so that a list reads one index instead of the matches and their
offers for every row. It is written here, in the transaction that changes what it depends on:

- after every flush, for the needs whose matches were added, removed or changed status (or
  moved to another need or offer), and those on a live match with an offer that moved to another
  organisation;
- by ``matching.services.propose``, whose insert goes around the flush (``ON CONFLICT``);
- by :func:`reconcile` (``flask access reconcile``) for everything else that writes rows
  directly (the bulk loader) and to find drift: the rows the rule gives against the rows held.

A need's rows are rewritten whole from the rule (delete, then insert what the rule gives), so the
same change applied twice, or two matches with the same organisation, come out the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, delete, event, insert, inspect, select
from sqlalchemy.orm import Session

from portal.extensions import db
from portal.matching.models import LIVE_MATCH_STATES, Match
from portal.needs.models import NeedAccess
from portal.offers.models import Offer

CHUNK = 500  # needs rewritten per statement


def granted_by_rule(need_ids: Iterable[int] | None = None) -> Select[int, int]:
    """(need id, organisation id) for every organisation the rule lets see the need beyond its
    own and the coordinators: the offers' organisations on its live matches."""
    stmt = (
        select(Match.need_id, Offer.organisation_id)
        .join(Offer, Offer.id == Match.offer_id)
        .where(Match.status.in_(LIVE_MATCH_STATES))
        .distinct()
    )
    if need_ids is not None:
        stmt = stmt.where(Match.need_id.in_(sorted(set(need_ids))))
    return stmt


def refresh(need_ids: Iterable[int], connection: Any = None) -> None:
    """Rewrite the rows of these needs from the rule, in the current transaction."""
    ids = sorted({int(i) for i in need_ids if i is not None})
    execute = (connection or db.session).execute
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        execute(delete(NeedAccess).where(NeedAccess.need_id.in_(chunk)))
        execute(
            insert(NeedAccess).from_select(["need_id", "organisation_id"], granted_by_rule(chunk))
        )


# ---------------------------------------------------------------- kept on every flush

_MATCH_KEYS = ("status", "need_id", "offer_id")


def _changed(row: Any, keys: Iterable[str]) -> bool:
    state = inspect(row)
    return any(state.attrs[key].history.has_changes() for key in keys)


def _needs_touched(session: Session) -> set[int]:
    need_ids: set[int] = set()
    offer_ids: set[int] = set()
    for row in session.new:
        if isinstance(row, Match):
            need_ids.add(row.need_id)
    for row in session.deleted:
        if isinstance(row, Match):
            need_ids.add(row.need_id)
    for row in session.dirty:
        if isinstance(row, Match) and _changed(row, _MATCH_KEYS):
            need_ids.add(row.need_id)
            # A match moved to another need takes its grant from the one it left.
            need_ids.update(v for v in inspect(row).attrs.need_id.history.deleted if v is not None)
        elif isinstance(row, Offer) and _changed(row, ("organisation_id",)):
            offer_ids.add(row.id)
    if offer_ids:
        need_ids.update(
            session.connection()
            .execute(
                select(Match.need_id).where(
                    Match.offer_id.in_(offer_ids), Match.status.in_(LIVE_MATCH_STATES)
                )
            )
            .scalars()
        )
    return {i for i in need_ids if i is not None}


@event.listens_for(Session, "after_flush")
def _keep_access(session: Session, context: Any) -> None:
    touched = _needs_touched(session)
    if touched:
        refresh(touched, session.connection())


# ---------------------------------------------------------------- drift


@dataclass
class Drift:
    """Rows the rule gives that the table lacks (a need hidden from someone who may see it),
    and rows the table holds that the rule does not give (a need shown to someone who may
    not)."""

    missing: set[tuple[int, int]] = field(default_factory=set)
    extra: set[tuple[int, int]] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.missing or self.extra)


def drift() -> Drift:
    wanted = {(n, o) for n, o in db.session.execute(granted_by_rule())}
    held = {
        (n, o)
        for n, o in db.session.execute(select(NeedAccess.need_id, NeedAccess.organisation_id))
    }
    return Drift(missing=wanted - held, extra=held - wanted)


def reconcile(fix: bool = True) -> Drift:
    """Compare the table with the rule; with ``fix``, rewrite the needs that differ. Returns
    what differed (before the fix)."""
    found = drift()
    if fix and found:
        refresh({n for n, _o in found.missing | found.extra})
        db.session.flush()
    return found
