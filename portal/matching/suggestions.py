"""Suggestions: the open offers that fit a need, and the open needs an offer fits, best first.

SQL prefilters the candidates (open, visible, same agreement, period overlapping, capacity
left, same theme or kind of help, not already on a live match) and orders them by everything
but the shared terms; at most CANDIDATE_LIMIT are scored in Python with ``scoring.combine``.
A constant number of queries whatever the number of records.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    any_,
    bindparam,
    case,
    false,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import joinedload, selectinload

from portal.content.models import ShownText, TextVersion
from portal.core.enums import NeedStatus, OfferStatus, Priority
from portal.core.i18n import ShownName
from portal.extensions import db
from portal.matching.models import LIVE_MATCH_STATES, Match
from portal.matching.queries import live_match_between
from portal.matching.scoring import (
    PARTIAL_PERIOD_POINTS,
    WEIGHTS,
    Reason,
    Scored,
    combine,
    period_fit,
    terms_of,
)
from portal.matching.terms import (
    TermsByLanguage,
    shared_count,
    shared_in_one_language,
    terms_by_language,
)
from portal.needs.models import Need
from portal.offers.models import Offer, offer_themes

if TYPE_CHECKING:
    from portal.accounts.models import User

CANDIDATE_LIMIT = 100  # at most this many candidates are scored in Python


@dataclass(frozen=True, slots=True)
class ShownRecord:
    """The other side of a stored suggestion as the list shows it, read with the pair by one
    Core select (``portal.matching.precomputed``): its id, title and organisation."""

    id: int
    title: ShownText
    organisation: ShownName


@dataclass
class Suggestion:
    """A pair the portal suggests, with its score and reasons. The side the list is of is a
    ``ShownRecord`` when it comes from a stored list, the record itself when computed live."""

    need: Need | ShownRecord
    offer: Offer | ShownRecord
    score: int
    reasons: list[Reason]


def _postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _same_agreement(column: Any, agreement_id: int) -> ColumnElement[bool]:
    if _postgresql():
        return column == agreement_id
    # "+ 0" on SQLite: there is usually one agreement, and SQLite without statistics would
    # otherwise walk the whole agreement through its index instead of the theme's. (On
    # PostgreSQL the expression would hide the column's statistics from the planner, which
    # then expects ten rows where there are thousands and picks nested loops.)
    return column + 0 == agreement_id


def _id_in(column: Any, ids: list[int]) -> ColumnElement[bool]:
    """``column IN ids`` as one array parameter on PostgreSQL (``= ANY(%s)``): two hundred
    separate parameters cost more to render and send than the query costs to run."""
    if _postgresql():
        return column == any_(bindparam("ids", ids, type_=ARRAY(Integer)))
    return column.in_(ids)


def _text_bodies(text_ids: Iterable[int]) -> dict[int, list[tuple[str, str]]]:
    """text id → (language, case-folded body) of each of its language versions, in one query."""
    ids = sorted(set(text_ids))
    found: dict[int, list[tuple[str, str]]] = {}
    if ids:
        rows = db.session.execute(
            select(TextVersion.text_id, TextVersion.lang, TextVersion.folded).where(
                _id_in(TextVersion.text_id, ids)
            )
        )
        for text_id, lang, folded in rows:
            found.setdefault(text_id, []).append((lang, folded))
    return found


def _row_terms(texts: dict[int, list[tuple[str, str]]], row: Any) -> TermsByLanguage:
    return terms_by_language(texts.get(row.title_id, []) + texts.get(row.description_id, []))


def _copy_key(texts: dict[int, list[tuple[str, str]]], row: Any) -> tuple[int, frozenset[str]]:
    """Records of one organisation with the same title are copies: suggested once."""
    return row.organisation_id, frozenset(body for _lang, body in texts.get(row.title_id, []))


class TermsCache:
    """Each candidate's terms and copy key, worked out once for many lists (a batch of lists
    recomputed together meets the same offers again and again). Without one, per call."""

    def __init__(self) -> None:
        self.found: dict[int, tuple[TermsByLanguage, tuple[int, frozenset[str]]]] = {}

    def of(self, rows: list[Any]) -> list[tuple[TermsByLanguage, tuple[int, frozenset[str]]]]:
        missing = [r for r in rows if r.id not in self.found]
        if missing:
            texts = _text_bodies(
                [r.title_id for r in missing] + [r.description_id for r in missing]
            )
            for row in missing:
                self.found[row.id] = (_row_terms(texts, row), _copy_key(texts, row))
        return [self.found[r.id] for r in rows]


def _period_order(full: ColumnElement[bool]) -> Any:
    return case((full, WEIGHTS["period"]), else_=PARTIAL_PERIOD_POINTS)


def _candidates(tiers: Sequence[Callable[[], Select[Any]]]) -> list[Any]:
    """Up to CANDIDATE_LIMIT rows from disjoint tiers, each prefiltered and ordered by its score
    in SQL: the same theme and kind of help, then the same theme, then the same kind of help.
    A later tier is asked only while the candidates are too few, so a query reads one theme's
    (or one kind's) rows through its index rather than every open record. (A pair in the theme
    but of another kind can score more than the weakest pair of the first tier; it is left out
    only when the first tier alone fills the candidates.) One to three queries, whatever the
    number of records."""
    rows: list[Any] = []
    for tier in tiers:
        rows += db.session.execute(tier().limit(CANDIDATE_LIMIT - len(rows)))
        if len(rows) >= CANDIDATE_LIMIT:
            break
    return rows


def offer_candidates(
    need: Need,
    today: date,
    *,
    visible: ColumnElement[bool] | None,
    organisation_id: int | None = None,
) -> list[Any]:
    """The candidate offers for ``need`` in SQL order (``_candidates``): open, ``visible``
    (None: every open offer, as for a reader who sees everything), not on a live match with it.
    Each row carries the offer's visibility."""
    tiers = _offer_tiers(need, today, visible, organisation_id)
    return _candidates(tiers) if tiers else []


_OFFER_COLUMNS = (
    Offer.id,
    Offer.organisation_id,
    Offer.title_id,
    Offer.description_id,
    Offer.help_kind,
    Offer.available_from,
    Offer.available_until,
    Offer.capacity_days,
    Offer.committed_days,
    Offer.visibility,
)


def _offer_tiers(
    need: Need, today: date, visible: ColumnElement[bool] | None, organisation_id: int | None
) -> list[Callable[[], Select[Any]]]:
    """The three tiers' queries for ``need`` (none when its wanted period is already over)."""
    start = max(need.wanted_from or today, today)
    end = need.wanted_until
    if end is not None and end < start:
        return []
    remaining = Offer.capacity_days - Offer.committed_days
    # Same rules as period_fit and _combine, with the offer's columns.
    covers_start = true() if need.wanted_from is None else Offer.available_from <= start
    covers_end = true() if end is None else Offer.available_until >= end
    needed = need.person_days
    capacity_order: Any = (
        literal(WEIGHTS["capacity"])
        if not needed or needed <= 0
        else case(
            (remaining >= needed, WEIGHTS["capacity"]),
            else_=(remaining * WEIGHTS["capacity"]) // needed,
        )
    )
    base = _period_order(and_(covers_start, covers_end)) + capacity_order
    # The cheap column tests first; the visibility and live-match subqueries last.
    conditions = [
        Offer.status == OfferStatus.OPEN,
        Offer.available_until >= start,
        remaining > 0,
        _same_agreement(Offer.agreement_id, need.agreement_id),
    ]
    if end is not None:
        conditions.append(Offer.available_from <= end)
    if organisation_id is not None:
        conditions.append(Offer.organisation_id == organisation_id)
    if visible is not None:
        conditions.append(visible)
    conditions.append(~live_match_between(need.id, Offer.id))
    in_theme = Offer.id.in_(
        select(offer_themes.c.offer_id).where(offer_themes.c.theme_id == need.theme_id)
    )
    same_kind = Offer.help_kind == need.help_kind

    def tier(theme: bool, kind: bool) -> Select:
        points = (WEIGHTS["theme"] if theme else 0) + (WEIGHTS["help_kind"] if kind else 0)
        order = base + points
        return (
            select(*_OFFER_COLUMNS, literal(theme).label("theme_match"))
            .where(in_theme if theme else ~in_theme, same_kind if kind else ~same_kind)
            .where(*conditions)
            .order_by(order.desc(), Offer.id.desc())
        )

    return [lambda: tier(True, True), lambda: tier(True, False), lambda: tier(False, True)]


class OfferCandidates:
    """``offer_candidates(need, today, visible=None)`` for many needs at once (the jobs that
    recompute a batch of need lists): the open offers of each theme the needs are in are read
    once, with the needs' live matches, and each need's first two tiers are filtered and
    ordered here by the same rules and in the same order as the tiers' SQL; the third tier
    (other themes), asked only while fewer than CANDIDATE_LIMIT were found, stays a query.
    A batch of needs of one theme then costs one query rather than one or two per need."""

    def __init__(self, needs: Sequence[Need], today: date) -> None:
        self.today = today
        # (agreement, theme) → help kind → (id, available from, until, remaining days, row)
        self.by_theme: dict[tuple[int, int], dict[Any, list[tuple[Any, ...]]]] = {}
        keys = {(n.agreement_id, n.theme_id) for n in needs}
        for agreement_id, theme_id in sorted(keys):
            by_kind: dict[Any, list[tuple[Any, ...]]] = {}
            for row in db.session.execute(
                select(*_OFFER_COLUMNS, literal(True).label("theme_match")).where(
                    Offer.status == OfferStatus.OPEN,
                    Offer.capacity_days - Offer.committed_days > 0,
                    _same_agreement(Offer.agreement_id, agreement_id),
                    Offer.id.in_(
                        select(offer_themes.c.offer_id).where(offer_themes.c.theme_id == theme_id)
                    ),
                )
            ):
                by_kind.setdefault(row.help_kind, []).append(
                    (
                        row.id,
                        row.available_from,
                        row.available_until,
                        row.capacity_days - row.committed_days,
                        row,
                    )
                )
            self.by_theme[(agreement_id, theme_id)] = by_kind
        self.live: dict[int, set[int]] = {}
        ids = sorted({n.id for n in needs})
        if ids:
            for need_id, offer_id in db.session.execute(
                select(Match.need_id, Match.offer_id).where(
                    _id_in(Match.need_id, ids), Match.status.in_(LIVE_MATCH_STATES)
                )
            ):
                self.live.setdefault(need_id, set()).add(offer_id)

    def of(self, need: Need) -> list[Any]:
        today = self.today
        start = max(need.wanted_from or today, today)
        end = need.wanted_until
        if end is not None and end < start:
            return []
        wanted_from, needed, kind = need.wanted_from, need.person_days, need.help_kind
        weighs_capacity = needed is not None and needed > 0
        live = self.live.get(need.id, set())
        full_period, capacity_points = WEIGHTS["period"], WEIGHTS["capacity"]

        def order(entry: tuple[Any, ...], points: int) -> tuple[int, int]:
            offer_id, available_from, available_until, remaining, _row = entry
            covers = (wanted_from is None or available_from <= start) and (
                end is None or available_until >= end
            )
            period = full_period if covers else PARTIAL_PERIOD_POINTS
            if not weighs_capacity or remaining >= needed:
                capacity = capacity_points
            else:
                capacity = (remaining * capacity_points) // needed
            return (period + capacity + points, offer_id)

        by_kind = self.by_theme.get((need.agreement_id, need.theme_id), {})
        rows: list[Any] = []
        for same_kind, points in (
            (True, WEIGHTS["theme"] + WEIGHTS["help_kind"]),
            (False, WEIGHTS["theme"]),
        ):
            entries = (
                by_kind.get(kind, [])
                if same_kind
                else [e for k, group in by_kind.items() if k != kind for e in group]
            )
            eligible = (
                e
                for e in entries
                if e[2] >= start and (end is None or e[1] <= end) and e[0] not in live
            )
            # As the tier's ORDER BY ... DESC, id DESC LIMIT n (nlargest is sorted()[:n]).
            best = heapq.nlargest(
                CANDIDATE_LIMIT - len(rows), eligible, key=partial(order, points=points)
            )
            rows += [e[4] for e in best]
            if len(rows) >= CANDIDATE_LIMIT:
                return rows
        other_themes = _offer_tiers(need, today, None, None)[2]
        rows += db.session.execute(other_themes().limit(CANDIDATE_LIMIT - len(rows)))
        return rows


@dataclass
class Ranked:
    """A candidate worth suggesting, in the order the lists show them (score, then the
    candidate's place in SQL order). ``scored`` is the offer's ``Scored`` (a need's list) or
    the need's facts (an offer's list, scored again once the terms are named); ``row_terms``
    the candidate's terms, kept so that the stored lists can name them in each language."""

    other_id: int
    score: int
    scored: Any  # the offers' Scored, or the needs' facts (named terms are added later)
    copy_key: tuple[int, frozenset[str]]
    row: Any
    row_terms: TermsByLanguage | None = None


def rank_offers(
    need: Need, rows: list[Any], today: date, lang: str | None, cache: TermsCache | None = None
) -> list[Ranked]:
    """The candidates worth suggesting, best first (copies not yet left out)."""
    if not rows:
        return []
    end = need.wanted_until
    known = (cache or TermsCache()).of(rows)
    need_terms = terms_of(need)
    reader = lang or need.title.original_lang
    ranked = []
    for rank, row in enumerate(rows):
        row_terms, copy_key = known[rank]
        scored = combine(
            theme_id=need.theme_id if row.theme_match else None,
            help_kind=need.help_kind if row.help_kind == need.help_kind else None,
            period=period_fit(
                need.wanted_from, end, row.available_from, row.available_until, today
            ),
            remaining=max(row.capacity_days - row.committed_days, 0),
            needed=need.person_days,
            shared_terms=shared_in_one_language(need_terms, row_terms, reader),
            term_count=shared_count(need_terms, row_terms),
        )
        if scored.is_worth_suggesting:
            ranked.append(
                (
                    -scored.score,
                    rank,
                    Ranked(row.id, scored.score, scored, copy_key, row, row_terms),
                )
            )
    ranked.sort(key=lambda item: item[:2])
    return [item[2] for item in ranked]


def suggest_offers(
    viewer: User | None,
    need: Need,
    limit: int = 10,
    *,
    organisation_id: int | None = None,
    today: date | None = None,
    lang: str | None = None,
) -> list[Suggestion]:
    """Open offers ``viewer`` may see that fit ``need``, best first; not those already on a live
    match with it. ``organisation_id`` keeps only that organisation's offers (an expert proposes
    their own). A constant number of queries whatever the number of offers."""
    today = today or date.today()
    rows = offer_candidates(
        need, today, visible=Offer.visible_to(viewer), organisation_id=organisation_id
    )
    best = without_copies(rank_offers(need, rows, today, lang))[:limit]
    offers = (
        {
            o.id: o
            for o in db.session.scalars(
                select(Offer)
                .where(Offer.id.in_([item.other_id for item in best]))
                .options(selectinload(Offer.title), joinedload(Offer.organisation))
            )
        }
        if best
        else {}
    )
    return [
        Suggestion(need, offers[item.other_id], item.score, item.scored.reasons)
        for item in best
        if item.other_id in offers
    ]


def need_candidates(
    offer: Offer,
    today: date,
    *,
    visible: ColumnElement[bool] | None,
    organisation_id: int | None = None,
) -> list[Any]:
    """The candidate needs for ``offer`` in SQL order, as ``offer_candidates``."""
    remaining = offer.remaining_days
    a_start = max(offer.available_from or today, today)
    a_end = offer.available_until
    if (
        offer.status != OfferStatus.OPEN
        or remaining <= 0
        or (a_end is not None and a_end < a_start)
    ):
        return []
    theme_ids = [t.id for t in offer.themes]
    # Same rules as period_fit and _combine, with the need's columns.
    covers_start = or_(
        Need.wanted_from.is_(None),
        Need.wanted_from >= a_start,
        true() if (offer.available_from or today) <= today else false(),
    )
    covers_end = (
        true() if a_end is None else or_(Need.wanted_until.is_(None), Need.wanted_until <= a_end)
    )
    base = _period_order(and_(covers_start, covers_end)) + case(
        (or_(Need.person_days.is_(None), Need.person_days <= remaining), WEIGHTS["capacity"]),
        else_=literal(remaining * WEIGHTS["capacity"], Integer) // Need.person_days,
    )
    # The cheap column tests first; the visibility and live-match subqueries last.
    conditions = [
        Need.status == NeedStatus.OPEN,
        or_(Need.wanted_until.is_(None), Need.wanted_until >= a_start),
        _same_agreement(Need.agreement_id, offer.agreement_id),
    ]
    if a_end is not None:
        conditions.append(or_(Need.wanted_from.is_(None), Need.wanted_from <= a_end))
    if organisation_id is not None:
        conditions.append(Need.organisation_id == organisation_id)
    if visible is not None:
        conditions.append(visible)
    conditions.append(~live_match_between(Need.id, offer.id))
    priority_rank = case({p.value: p.rank for p in Priority}, value=Need.priority, else_=9)
    columns = (
        Need.id,
        Need.organisation_id,
        Need.title_id,
        Need.description_id,
        Need.theme_id,
        Need.help_kind,
        Need.wanted_from,
        Need.wanted_until,
        Need.person_days,
        Need.visibility,
    )
    in_theme = Need.theme_id.in_(theme_ids)
    same_kind = Need.help_kind == offer.help_kind

    def tier(theme: bool, kind: bool) -> Select:
        points = (WEIGHTS["theme"] if theme else 0) + (WEIGHTS["help_kind"] if kind else 0)
        order = base + points
        return (
            select(*columns)
            .where(in_theme if theme else ~in_theme, same_kind if kind else ~same_kind)
            .where(*conditions)
            .order_by(order.desc(), priority_rank, Need.id.desc())
        )

    tiers = [lambda: tier(False, True)]
    if theme_ids:
        tiers = [lambda: tier(True, True), lambda: tier(True, False), *tiers]
    return _candidates(tiers)


def rank_needs(
    offer: Offer, rows: list[Any], today: date, cache: TermsCache | None = None
) -> list[Ranked]:
    """The candidates worth suggesting, best first (copies not yet left out). ``scored`` holds
    each pair's facts: the terms are named (and the score made final) by :func:`final_score`."""
    if not rows:
        return []
    known = (cache or TermsCache()).of(rows)
    offer_terms = terms_of(offer)
    theme_set = {t.id for t in offer.themes}
    remaining = offer.remaining_days
    ranked = []
    for rank, row in enumerate(rows):
        facts = {
            "theme_id": row.theme_id if row.theme_id in theme_set else None,
            "help_kind": offer.help_kind if row.help_kind == offer.help_kind else None,
            "period": period_fit(
                row.wanted_from,
                row.wanted_until,
                offer.available_from,
                offer.available_until,
                today,
            ),
            "remaining": remaining,
            "needed": row.person_days,
        }
        # Ranked by how many terms are shared; which words name them (the reader's language
        # first) is worked out for the few suggestions shown.
        row_terms, copy_key = known[rank]
        count = shared_count(row_terms, offer_terms)
        scored = combine(**facts, shared_terms=count)
        if scored.is_worth_suggesting:
            ranked.append(
                (
                    -scored.score,
                    rank,
                    Ranked(row.id, scored.score, facts, copy_key, row),
                )
            )
    ranked.sort(key=lambda item: item[:2])
    return [item[2] for item in ranked]


def final_score(
    facts: dict[str, Any], need_terms: TermsByLanguage, offer_terms: TermsByLanguage, lang: str
) -> Scored:
    """A need's pair with the offer scored again with the terms named in ``lang``."""
    return combine(
        **facts,
        shared_terms=shared_in_one_language(need_terms, offer_terms, lang),
        term_count=shared_count(need_terms, offer_terms),
    )


def suggest_needs(
    viewer: User | None,
    offer: Offer,
    limit: int = 10,
    *,
    organisation_id: int | None = None,
    today: date | None = None,
    lang: str | None = None,
) -> list[Suggestion]:
    """Open needs ``viewer`` may see that ``offer`` fits, best first; not those already on a live
    match with it. ``organisation_id`` keeps only that organisation's needs (a requester proposes
    for their own). A constant number of queries whatever the number of needs."""
    today = today or date.today()
    rows = need_candidates(
        offer, today, visible=Need.visible_to(viewer), organisation_id=organisation_id
    )
    best = without_copies(rank_needs(offer, rows, today))[:limit]
    if not best:
        return []
    needs = {
        n.id: n
        for n in db.session.scalars(
            select(Need)
            .where(Need.id.in_([item.other_id for item in best]))
            .options(
                selectinload(Need.title),
                selectinload(Need.description),
                joinedload(Need.organisation),
                joinedload(Need.theme),
            )
        )
    }
    offer_terms = terms_of(offer)
    suggestions = []
    for item in best:
        if item.other_id in needs:
            need = needs[item.other_id]
            scored = final_score(
                item.scored, terms_of(need), offer_terms, lang or need.title.original_lang
            )
            suggestions.append(Suggestion(need, offer, scored.score, scored.reasons))
    return suggestions


def without_copies(ranked: list[Ranked]) -> list[Ranked]:
    """The best of each group of copies."""
    seen: set[Any] = set()
    kept = []
    for item in ranked:
        if item.copy_key not in seen:
            seen.add(item.copy_key)
            kept.append(item)
    return kept
