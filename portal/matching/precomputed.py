"""Suggestions computed ahead of the page: written by jobs when a need or an offer changes,
read for each reader with what may have changed since checked again.

Writing. A need's list (the offers that fit it) and an offer's list (the needs it fits) are
computed as :mod:`portal.matching.suggestions` computes them for a reader who sees every open
record, and stored (``StoredSuggestion``, at most ``STORED`` pairs, with a ``SuggestionList``
saying when and how complete). Every flush that changes a need, an offer, one of their texts or
a match is remembered; after the commit a job (:mod:`portal.jobs`: RQ, or in this process after
the response) recomputes the changed postings' own lists and then, in jobs of ``BATCH`` each,
the lists of the records on the other side the change may reach (an offer in a theme reaches
every live need of the theme). A posting that is no longer live loses its list and its place
on the others'.

Reading (:func:`offers_for`, :func:`needs_for`). The stored pairs are joined to the other
side's current row: still open (with capacity left), visible to the reader by the same
``visible_to`` as every list, of the wanted organisation, on no live match with this one; then
copies are left out as the live computation does, and the reasons are named in the reader's
language from the stored codes. Where the stored list cannot give what the live computation
would — never computed (after a migration, in a test), computed for an earlier day, the posting
changed since, restricted candidates a reader may not see on a list cut at the candidate limit,
fewer left than asked for on a capped list; and always for one organisation's own records (an
expert's offers on a need's page) —
the page computes live (the same function, so the same answer) and asks for the list to be
computed again. Live rather than computing and storing during the page: a GET then never
writes, and two readers of a new need do not race to store the same rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from itertools import groupby
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import (
    Date,
    Integer,
    Table,
    bindparam,
    delete,
    event,
    insert,
    inspect,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session, selectinload

from portal import jobs
from portal.content.models import CONTENT_LANGUAGES, ShownText, ShownVersion, Text, TextVersion
from portal.core.bulk import insert_rows
from portal.core.enums import NeedStatus, OfferStatus, Visibility
from portal.core.i18n import ShownName
from portal.core.statements import KeptStatements, read_columns
from portal.core.transaction import call_after_commit
from portal.core.types import utcnow
from portal.core.visibility import Scope, is_signed_in
from portal.extensions import cache, db
from portal.matching.models import Match, StoredSuggestion, SuggestionList
from portal.matching.queries import live_match_between
from portal.matching.scoring import SHOWN_TERMS, Reason, terms_of
from portal.matching.suggestions import (
    CANDIDATE_LIMIT,
    OfferCandidates,
    ShownRecord,
    Suggestion,
    TermsCache,
    final_score,
    need_candidates,
    rank_needs,
    rank_offers,
    suggest_needs,
    suggest_offers,
)
from portal.matching.terms import shared_in_one_language, terms_by_language
from portal.needs.models import Need
from portal.offers.models import Offer, offer_themes
from portal.reference.models import Organisation

if TYPE_CHECKING:
    from portal.accounts.models import User

STORED = 30  # pairs kept per list: a page shows ten
BATCH = 500  # lists recomputed per job
RETRIES = 3
# A stale list read again while its refresh waits in the queue is not queued again for this long
# (a popular need after midnight, or behind a long batch, would otherwise queue one job per view).
ASK_AGAIN_SECONDS = 120
# A batch queued and not started is not queued again for this long (it runs well before; the
# bound only frees a batch whose job was lost).
BATCH_WAIT_SECONDS = 600
COPY_ALLOWANCE = 5  # stored pairs read beyond those shown, for copies left out
LIVE_NEED_STATUSES = (NeedStatus.OPEN, NeedStatus.MATCHED)


def _copy_key(key: tuple[int, frozenset[str]]) -> str:
    organisation_id, titles = key
    digest = hashlib.sha1("\x1f".join(sorted(titles)).encode(), usedforsecurity=False)
    return f"{organisation_id}:{digest.hexdigest()}"


# ---------------------------------------------------------------- computing and storing


def _need_has_list(need: Need) -> bool:
    return need.status in LIVE_NEED_STATUSES


def _offer_has_list(offer: Offer) -> bool:
    return offer.status == OfferStatus.OPEN and offer.remaining_days > 0


def _list_row(
    kind: str, posting_id: int, today: date, rows: Sequence[Any], stored: int, worth: int
) -> dict[str, Any]:
    return {
        "posting_kind": kind,
        "posting_id": posting_id,
        "computed_at": utcnow(),
        "computed_for": today,
        "candidates": len(rows),
        "is_complete": len(rows) < CANDIDATE_LIMIT,
        "has_restricted": any(r.visibility == Visibility.RESTRICTED for r in rows),
        "is_capped": worth > stored,
    }


def _compute_need(
    need: Need, today: date, cache: TermsCache, candidates: OfferCandidates
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    rows = candidates.of(need)
    ranked = rank_offers(need, rows, today, None, cache)
    need_terms = terms_of(need)
    now = utcnow()
    pairs = []
    for position, item in enumerate(ranked[:STORED]):
        terms = {}
        for lang in CONTENT_LANGUAGES:
            named = shared_in_one_language(need_terms, item.row_terms or {}, lang)
            if named:
                terms[lang] = ",".join(named[:SHOWN_TERMS])
        pairs.append(
            {
                "need_id": need.id,
                "offer_id": item.other_id,
                "listed_on": "need",
                "position": position,
                "score": item.score,
                "reasons": [r.encode() for r in item.scored.reasons if r.code != "terms"],
                "terms": terms,
                "copy_key": _copy_key(item.copy_key),
                "computed_at": now,
            }
        )
    return _list_row("need", need.id, today, rows, len(pairs), len(ranked)), pairs


def _bodies(text_ids: Iterable[int]) -> dict[int, list[tuple[str, str]]]:
    found: dict[int, list[tuple[str, str]]] = {}
    ids = sorted(set(text_ids))
    if ids:
        for text_id, lang, body in db.session.execute(
            select(TextVersion.text_id, TextVersion.lang, TextVersion.body)
            .where(TextVersion.text_id.in_(ids))
            .order_by(TextVersion.id)
        ):
            found.setdefault(text_id, []).append((lang, body))
    return found


def _compute_offer(
    offer: Offer, today: date, cache: TermsCache
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    rows = need_candidates(offer, today, visible=None)
    ranked = rank_needs(offer, rows, today, cache)
    kept = ranked[:STORED]
    offer_terms = terms_of(offer)
    bodies = _bodies([i.row.title_id for i in kept] + [i.row.description_id for i in kept])
    now = utcnow()
    pairs = []
    for position, item in enumerate(kept):
        need_terms = terms_by_language(
            bodies.get(item.row.title_id, []) + bodies.get(item.row.description_id, [])
        )
        terms = {}
        scored = None
        for lang in CONTENT_LANGUAGES:
            scored = final_score(item.scored, need_terms, offer_terms, lang)
            named = [r for r in scored.reasons if r.code == "terms"]
            if named:
                terms[lang] = named[0].params[0]
        assert scored is not None
        pairs.append(
            {
                "need_id": item.other_id,
                "offer_id": offer.id,
                "listed_on": "offer",
                "position": position,
                "score": scored.score,
                "reasons": [r.encode() for r in scored.reasons if r.code != "terms"],
                "terms": terms,
                "copy_key": _copy_key(item.copy_key),
                "computed_at": now,
            }
        )
    return _list_row("offer", offer.id, today, rows, len(pairs), len(ranked)), pairs


def refresh_lists(kind: str, ids: Sequence[int], today: date | None = None) -> int:
    """Recompute the lists of these needs (``kind`` "need") or offers ("offer"); postings that
    are gone or no longer live lose theirs. Returns how many lists were written."""
    today = today or date.today()
    ids = sorted({int(i) for i in ids})
    if not ids:
        return 0
    model: Any = Need if kind == "need" else Offer
    options = [
        selectinload(model.title).selectinload(Text.versions),
        selectinload(model.description).selectinload(Text.versions),
    ]
    if kind == "offer":
        options.append(selectinload(Offer.themes))
    postings = db.session.scalars(select(model).where(model.id.in_(ids)).options(*options)).all()
    lists: list[dict[str, Any]] = []
    pairs: list[dict[str, Any]] = []
    cache = TermsCache()  # the batch's lists meet the same candidates: their terms once
    # The batch's needs share a few themes: each theme's open offers are read once.
    candidates = OfferCandidates(
        [p for p in postings if kind == "need" and _need_has_list(p)], today
    )
    for posting in postings:
        if kind == "need" and _need_has_list(posting):
            row, found = _compute_need(posting, today, cache, candidates)
        elif kind == "offer" and _offer_has_list(posting):
            row, found = _compute_offer(posting, today, cache)
        else:
            continue
        lists.append(row)
        pairs += found
    own = StoredSuggestion.need_id if kind == "need" else StoredSuggestion.offer_id
    db.session.execute(
        delete(StoredSuggestion).where(StoredSuggestion.listed_on == kind, own.in_(ids))
    )
    db.session.execute(
        delete(SuggestionList).where(
            SuggestionList.posting_kind == kind, SuggestionList.posting_id.in_(ids)
        )
    )
    if pairs:
        insert_rows(cast(Table, StoredSuggestion.__table__), pairs)
    if lists:
        db.session.execute(insert(SuggestionList), lists)
    return len(lists)


def _reached_by_need(need_id: int) -> list[int]:
    """Offers whose list this need is on, or may now enter: open offers of its agreement in its
    theme or of its kind of help whose period has not ended."""
    need = db.session.get(Need, need_id)
    listed = select(StoredSuggestion.offer_id).where(
        StoredSuggestion.listed_on == "offer", StoredSuggestion.need_id == need_id
    )
    ids = set(db.session.scalars(listed))
    if need is not None and need.status == NeedStatus.OPEN:
        in_theme = Offer.id.in_(
            select(offer_themes.c.offer_id).where(offer_themes.c.theme_id == need.theme_id)
        )
        stmt = select(Offer.id).where(
            Offer.status == OfferStatus.OPEN,
            Offer.agreement_id == need.agreement_id,
            Offer.available_until >= max(need.wanted_from or date.today(), date.today()),
            or_(in_theme, Offer.help_kind == need.help_kind),
        )
        if need.wanted_until is not None:
            stmt = stmt.where(Offer.available_from <= need.wanted_until)
        ids.update(db.session.scalars(stmt))
    return sorted(ids)


def reached_by_offer(offer_id: int) -> list[int]:
    """Needs whose list this offer is on, or may now enter: live needs of its agreement in one
    of its themes or of its kind of help whose wanted period has not ended."""
    offer = db.session.get(Offer, offer_id)
    listed = select(StoredSuggestion.need_id).where(
        StoredSuggestion.listed_on == "need", StoredSuggestion.offer_id == offer_id
    )
    ids = set(db.session.scalars(listed))
    if offer is not None and _offer_has_list(offer):
        today = date.today()
        theme_ids = [t.id for t in offer.themes]
        stmt = select(Need.id).where(
            Need.status.in_(LIVE_NEED_STATUSES),
            Need.agreement_id == offer.agreement_id,
            or_(Need.theme_id.in_(theme_ids), Need.help_kind == offer.help_kind),
            or_(Need.wanted_until.is_(None), Need.wanted_until >= today),
            or_(Need.wanted_until.is_(None), Need.wanted_until >= offer.available_from),
            or_(Need.wanted_from.is_(None), Need.wanted_from <= offer.available_until),
        )
        ids.update(db.session.scalars(stmt))
    return sorted(ids)


def refresh_changed(
    need_ids: Sequence[int],
    offer_ids: Sequence[int],
    pair_need_ids: Sequence[int] = (),
    pair_offer_ids: Sequence[int] = (),
) -> None:
    """The job after a change: the changed postings' own lists now, the lists on the other side
    they reach in jobs of ``BATCH``. (``pair_*``: postings whose own list alone changed: a match
    between two of them came or went.)"""
    refresh_lists("need", sorted(set(need_ids) | set(pair_need_ids)))
    refresh_lists("offer", sorted(set(offer_ids) | set(pair_offer_ids)))
    reached_offers: set[int] = set()
    for need_id in need_ids:
        reached_offers.update(_reached_by_need(need_id))
    reached_needs: set[int] = set()
    for offer_id in offer_ids:
        reached_needs.update(reached_by_offer(offer_id))
    reached_offers -= set(offer_ids)
    reached_needs -= set(need_ids)
    db.session.commit()  # the own lists are readable before the batches run
    for kind, reached in (("offer", sorted(reached_offers)), ("need", sorted(reached_needs))):
        for start in range(0, len(reached), BATCH):
            _queue_batch(kind, reached[start : start + BATCH])


def _batch_key(kind: str, ids: Sequence[int]) -> str:
    digest = hashlib.sha1(",".join(map(str, ids)).encode(), usedforsecurity=False).hexdigest()
    return f"suggestions-batch:{kind}:{digest}"


def _queue_batch(kind: str, ids: Sequence[int]) -> None:
    """Queue one batch of lists, unless the same batch is queued and has not started: it will
    read the data as it is when it runs, this change included. (An offer edited three times in
    a minute reaches the same thousands of needs each time; their lists are computed once.)"""
    key = _batch_key(kind, ids)
    if _first_to_ask(key, BATCH_WAIT_SECONDS):
        jobs.enqueue(refresh_batch, kind, list(ids), key, retries=RETRIES)


def _first_to_ask(key: str, seconds: int) -> bool:
    """True unless ``key`` was asked for within ``seconds`` (the shared cache remembers it).
    With the cache away, every ask is the first: work done twice, none left undone."""
    try:
        return bool(cache.add(key, 1, timeout=seconds))
    except Exception:
        jobs.log.warning("could not remember %s", key)
        return True


def refresh_batch(kind: str, ids: Sequence[int], key: str) -> int:
    """A queued batch: forgotten as queued before it reads anything, so that a change from now
    on queues it again."""
    try:
        cache.delete(key)
    except Exception:
        jobs.log.warning("could not forget the suggestions' batch")
    return refresh_lists(kind, ids)


def refresh_all(batch: int = BATCH, progress: Any = None) -> int:
    """Recompute every live need's and open offer's list (``flask suggestions refresh``)."""
    count = 0
    db.session.execute(delete(StoredSuggestion))
    db.session.execute(delete(SuggestionList))
    db.session.commit()
    for kind, stmt in (
        ("need", select(Need.id).where(Need.status.in_(LIVE_NEED_STATUSES)).order_by(Need.id)),
        ("offer", select(Offer.id).where(Offer.status == OfferStatus.OPEN).order_by(Offer.id)),
    ):
        ids = list(db.session.scalars(stmt))
        for start in range(0, len(ids), batch):
            count += refresh_lists(kind, ids[start : start + batch])
            db.session.commit()
            db.session.expunge_all()
            if progress is not None:
                progress(len(ids[start : start + batch]))
    return count


def refresh_stale(limit: int = 4 * BATCH) -> int:
    """Lists computed for an earlier day (the score counts the wanted period from today on):
    up to ``limit`` of them again, oldest first. A periodic job (``flask jobs scheduler``), so
    that after midnight the pages go back to the stored lists without waiting for a change."""
    count = 0
    for kind in ("need", "offer"):
        ids = list(
            db.session.scalars(
                select(SuggestionList.posting_id)
                .where(
                    SuggestionList.posting_kind == kind,
                    SuggestionList.computed_for < date.today(),
                )
                .order_by(SuggestionList.computed_for, SuggestionList.posting_id)
                .limit(limit)
            )
        )
        for start in range(0, len(ids), BATCH):
            count += refresh_lists(kind, ids[start : start + BATCH])
            db.session.commit()
    return count


jobs.register_periodic(refresh_stale)


# ---------------------------------------------------------------- what changed (every flush)

_WAITING = "portal_suggestions_waiting"


def _text_owner(row: TextVersion) -> tuple[str, int] | None:
    text = row.text
    if text is None or text.owner_type not in ("need", "offer") or text.owner_id is None:
        return None
    return text.owner_type, text.owner_id


@event.listens_for(Session, "after_flush")
def _remember_changes(session: Session, context: Any) -> None:
    waiting = session.info.setdefault(
        _WAITING, {"need": set(), "offer": set(), "pair_need": set(), "pair_offer": set()}
    )
    before = sum(len(v) for v in waiting.values())
    for row in (*session.new, *session.dirty, *session.deleted):
        if isinstance(row, Need):
            waiting["need"].add(row.id)
        elif isinstance(row, Offer):
            waiting["offer"].add(row.id)
        elif isinstance(row, Match):
            if row in session.dirty and not inspect(row).attrs.status.history.has_changes():
                continue
            waiting["pair_need"].add(row.need_id)
            waiting["pair_offer"].add(row.offer_id)
        elif isinstance(row, TextVersion):
            owner = _text_owner(row)
            if owner is not None:
                waiting[owner[0]].add(owner[1])
    if sum(len(v) for v in waiting.values()) > before:
        call_after_commit(_request_refresh)


def remember_pair(need_id: int, offer_id: int) -> None:
    """A match inserted around the flush (``propose``): both lists change."""
    waiting = db.session.info.setdefault(
        _WAITING, {"need": set(), "offer": set(), "pair_need": set(), "pair_offer": set()}
    )
    waiting["pair_need"].add(need_id)
    waiting["pair_offer"].add(offer_id)
    call_after_commit(_request_refresh)


@event.listens_for(Session, "after_soft_rollback")
def _forget_changes(session: Session, previous: Any) -> None:
    if previous.parent is None:
        session.info.pop(_WAITING, None)


def _request_refresh() -> None:
    waiting = db.session.info.pop(_WAITING, None)
    if not waiting or not any(waiting.values()):
        return
    args = [
        sorted(i for i in waiting[k] if i is not None)
        for k in ("need", "offer", "pair_need", "pair_offer")
    ]
    try:
        jobs.enqueue(refresh_changed, *args, retries=RETRIES)
    except Exception:  # Redis away: the pages compute live until the next change or refresh
        jobs.log.exception("could not queue the suggestions' refresh")


# ---------------------------------------------------------------- reading


def _usable(
    state: Any,
    posting: Any,
    viewer: User,
    today: date,
    organisation_id: int | None,
) -> bool:
    if state is None or state.computed_for != today:
        return False
    if posting.updated_at is not None and posting.updated_at > state.computed_at:
        return False
    if state.is_complete:
        return True
    if organisation_id is not None:
        return False
    return bool(viewer.sees_everything) or not state.has_restricted


def _reasons(codes: list[str], terms: dict[str, str], lang: str) -> list[Reason]:
    reasons = [Reason.decode(code) for code in codes]
    if terms.get(lang):
        reasons.append(Reason("terms", (terms[lang],)))
    return reasons


def _ask_again(kind: str, posting_id: int) -> None:
    """Queue the list's refresh, once per ``ASK_AGAIN_SECONDS`` for every reader together (the
    shared cache remembers the ask; without it, each read asks)."""
    if not _first_to_ask(f"suggestions-asked:{kind}:{posting_id}", ASK_AGAIN_SECONDS):
        return
    try:
        jobs.enqueue(refresh_lists, kind, [posting_id], retries=RETRIES)
    except Exception:
        jobs.log.exception("could not queue the suggestions' refresh")


def _first_distinct(
    kind: str,
    viewer: User,
    posting: Any,
    values: dict[str, Any],
    limit: int,
    *,
    today: date,
    organisation_id: int | None,
) -> tuple[Any, list[tuple[ShownRecord, int, list[str], dict[str, str], str]]] | None:
    """The posting's ``SuggestionList`` row and the first ``limit`` stored pairs of its list
    that are not copies of an earlier one (the same organisation offering the same title
    twice), in the list's order, read in one statement; None when the list cannot tell
    (``_usable``). Asks the database for a few more than wanted, and for the whole list only
    when copies left too few."""
    by_organisation = organisation_id is not None
    window = limit + COPY_ALLOWANCE
    state, rows = _shown(_reading(kind, viewer, by_organisation, window), values)
    if not _usable(state, posting, viewer, today, organisation_id):
        return None
    found = _without_copies(rows, limit)
    if len(found) < limit and len(rows) == window:
        _state, rows = _shown(_reading(kind, viewer, by_organisation, None), values)
        found = _without_copies(rows, limit)
    return state, found


def _shown(
    statement: Any, values: dict[str, Any]
) -> tuple[Any, list[tuple[ShownRecord, int, list[str], dict[str, str], str, Any]]]:
    """The list's state and the stored pairs a reading statement gives (a row per pair and
    version of the title, each with the state; a row of the state alone when no pair is
    there; none when the list was never computed), as (record, score, reason codes, terms,
    the record's original language, copy key)."""
    rows = read_columns(statement, values).all()
    if not rows:
        return None, []
    pairs = []
    for position, group in groupby(rows, key=lambda row: row.position):
        if position is None:
            continue
        versions = list(group)
        first = versions[0]
        title = ShownText(
            first.original_lang,
            tuple(
                ShownVersion(v.lang, v.body, v.is_machine) for v in versions if v.lang is not None
            ),
        )
        organisation = ShownName(first.name_en, first.name_sv, first.name_uk)
        record = ShownRecord(first.id, title, organisation)
        pairs.append(
            (record, first.score, first.reasons, first.terms, first.original_lang, first.copy_key)
        )
    return rows[0], pairs


def _without_copies(
    rows: Sequence[Any], limit: int
) -> list[tuple[ShownRecord, int, list[str], dict[str, str], str]]:
    found, seen = [], set()
    for record, score, codes, terms, original_lang, copy_key in rows:
        if copy_key in seen:
            continue
        seen.add(copy_key)
        found.append((record, score, codes, terms, original_lang))
        if len(found) == limit:
            break
    return found


# The reading statements, built once per list kind, reader's scope, narrowing to one
# organisation or not, and rows read: the visibility rule is made of the scope alone
# (``visible_to``), the posting, dates and organisation are parameters. A page then spends
# no time building and hashing the statement (a third of a read's Python before).
_READINGS = KeptStatements()


def _reading(kind: str, viewer: User, by_organisation: bool, rows: int | None) -> Any:
    return _READINGS.get(
        (kind, Scope.of(viewer), by_organisation, rows),
        lambda: _build_reading(kind, viewer, by_organisation, rows),
    )


def _build_reading(kind: str, viewer: User, by_organisation: bool, rows: int | None) -> Any:
    """A need's list (``kind`` "need": offers) or an offer's (needs): the other side's id, title
    id, the title's original language, its organisation's names and the stored columns, in the
    list's order, cut to ``rows`` pairs; then the title's versions joined to those (one row per
    version), each row with the list's ``SuggestionList`` state. Parameters: posting_id, day
    (the first day the other side must still be there) and organisation_id."""
    posting_id = bindparam("posting_id", type_=Integer)
    day = bindparam("day", type_=Date)
    if kind == "need":
        model: Any = Offer
        where = [
            StoredSuggestion.need_id == posting_id,
            StoredSuggestion.listed_on == "need",
            Offer.status == OfferStatus.OPEN,
            Offer.capacity_days - Offer.committed_days > 0,
            Offer.available_until >= day,
            ~live_match_between(posting_id, Offer.id),
        ]
        pair = StoredSuggestion.offer_id == Offer.id
    else:
        model = Need
        where = [
            StoredSuggestion.offer_id == posting_id,
            StoredSuggestion.listed_on == "offer",
            Need.status == NeedStatus.OPEN,
            or_(Need.wanted_until.is_(None), Need.wanted_until >= day),
            ~live_match_between(Need.id, posting_id),
        ]
        pair = StoredSuggestion.need_id == Need.id
    where.append(model.visible_to(viewer))
    if by_organisation:
        where.append(model.organisation_id == bindparam("organisation_id", type_=Integer))
    listed = (
        select(
            model.id,
            model.title_id,
            Text.original_lang,
            Organisation.name_en,
            Organisation.name_sv,
            Organisation.name_uk,
            StoredSuggestion.score,
            StoredSuggestion.reasons,
            StoredSuggestion.terms,
            StoredSuggestion.copy_key,
            StoredSuggestion.position,
        )
        .join(StoredSuggestion, pair)
        .join(Text, Text.id == model.title_id)
        .join(Organisation, Organisation.id == model.organisation_id)
        .where(*where)
        .order_by(StoredSuggestion.position)
    )
    cut = (listed.limit(rows) if rows is not None else listed).subquery()
    shown = (
        select(
            cut,
            TextVersion.lang,
            TextVersion.body,
            TextVersion.is_machine,
            TextVersion.id.label("version_id"),
        )
        .outerjoin(TextVersion, TextVersion.text_id == cut.c.title_id)
        .subquery()
    )
    # The list's state on every row, and alone when the list holds no pair the reader sees.
    return (
        select(
            SuggestionList.computed_for,
            SuggestionList.computed_at,
            SuggestionList.is_complete,
            SuggestionList.has_restricted,
            SuggestionList.is_capped,
            *[column for column in shown.c if column.key != "version_id"],
        )
        .select_from(SuggestionList)
        .outerjoin(shown, true())
        .where(SuggestionList.posting_kind == kind, SuggestionList.posting_id == posting_id)
        .order_by(shown.c.position, shown.c.version_id)
    )


def stored_offers(
    viewer: User,
    need: Need,
    limit: int,
    *,
    organisation_id: int | None,
    today: date,
    lang: str | None,
) -> list[Suggestion] | None:
    """The need's suggested offers from its stored list, or None where only the live
    computation can tell (see the module docstring)."""
    values = {
        "posting_id": need.id,
        "day": max(need.wanted_from or today, today),
        "organisation_id": organisation_id,
    }
    read = _first_distinct(
        "need", viewer, need, values, limit, today=today, organisation_id=organisation_id
    )
    if read is None:
        return None
    state, pairs = read
    reader = lang or need.title.original_lang
    found = [
        Suggestion(need, offer, score, _reasons(codes, terms, reader))
        for offer, score, codes, terms, _original in pairs
    ]
    if state.is_capped and len(found) < limit:
        return None
    return found


def stored_needs(
    viewer: User,
    offer: Offer,
    limit: int,
    *,
    organisation_id: int | None,
    today: date,
    lang: str | None,
) -> list[Suggestion] | None:
    """The offer's suggested needs from its stored list, or None (see ``stored_offers``)."""
    values = {"posting_id": offer.id, "day": today, "organisation_id": organisation_id}
    read = _first_distinct(
        "offer", viewer, offer, values, limit, today=today, organisation_id=organisation_id
    )
    if read is None:
        return None
    state, pairs = read
    found = [
        Suggestion(need, offer, score, _reasons(codes, terms, lang or original))
        for need, score, codes, terms, original in pairs
    ]
    if state.is_capped and len(found) < limit:
        return None
    return found


def offers_for(
    viewer: User,
    need: Need,
    limit: int = 10,
    *,
    organisation_id: int | None = None,
    today: date | None = None,
    lang: str | None = None,
) -> list[Suggestion]:
    """What ``suggest_offers`` gives, from the stored list where it can tell."""
    return _stored_or_live(
        "need", stored_offers, suggest_offers, viewer, need, limit, organisation_id, today, lang
    )


def needs_for(
    viewer: User,
    offer: Offer,
    limit: int = 10,
    *,
    organisation_id: int | None = None,
    today: date | None = None,
    lang: str | None = None,
) -> list[Suggestion]:
    """What ``suggest_needs`` gives, from the stored list where it can tell."""
    return _stored_or_live(
        "offer", stored_needs, suggest_needs, viewer, offer, limit, organisation_id, today, lang
    )


def _stored_or_live(
    kind: str,
    stored: Callable[..., list[Suggestion] | None],
    live: Callable[..., list[Suggestion]],
    viewer: User,
    posting: Any,
    limit: int,
    organisation_id: int | None,
    today: date | None,
    lang: str | None,
) -> list[Suggestion]:
    today = today or date.today()
    # One organisation's own records (an expert's offers for a need): their lists are not
    # stored, and the live query narrowed to one organisation is cheap. Always live, so that
    # the page's queries do not depend on how long the stored list is.
    if is_signed_in(viewer) and organisation_id is None:
        found = stored(viewer, posting, limit, organisation_id=None, today=today, lang=lang)
        if found is not None:
            return found
        _ask_again_unless_fresh(kind, posting, today)
    return live(viewer, posting, limit, organisation_id=organisation_id, today=today, lang=lang)


def _ask_again_unless_fresh(kind: str, posting: Any, today: date) -> None:
    """A list that is missing, of an earlier day or older than the posting is asked for again;
    one that is merely not enough for this reader is not (computing it again changes nothing)."""
    state = db.session.get(SuggestionList, (kind, posting.id))
    if (
        state is None
        or state.computed_for != today
        or (posting.updated_at is not None and posting.updated_at > state.computed_at)
    ):
        _ask_again(kind, posting.id)
