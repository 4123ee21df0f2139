"""Matching: how well an offer fits a need and why, suggestions, proposals, both sides' decisions.

Owns the score (``WEIGHTS``), the suggestions on a need's and an offer's page, ``propose`` /
``accept`` / ``decline`` / ``withdraw``, the viewer's list of matches, what waits for a user's
decision, and the panels the need and offer pages include. Every write takes the acting user,
checks everything before it changes anything, records an audit event and commits.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from babel.lists import format_list
from flask import has_request_context, request
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    any_,
    bindparam,
    case,
    exists,
    false,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from portal.audit.services import record, snapshot
from portal.content.models import CONTENT_LANGUAGES, Text, TextVersion
from portal.core.enums import HelpKind, MatchStatus, NeedStatus, OfferStatus, Priority, Side
from portal.core.transitions import IllegalTransition
from portal.core.types import utcnow
from portal.core.visibility import is_signed_in
from portal.extensions import db
from portal.matching.models import LIVE_MATCH_STATES, Match
from portal.needs.models import Need
from portal.offers.models import Offer, offer_themes
from portal.reference.models import Theme

if TYPE_CHECKING:
    from portal.accounts.models import User

# ------------------------------------------------------------------------------------- scoring
#
# The score is the sum of these points, 0–100. The theme is the strongest signal: an offer in
# another theme only reaches the suggestions through the same kind of help, and then ranks below
# every offer in the need's theme with a comparable fit.
WEIGHTS: dict[str, int] = {
    "theme": 40,  # the need's theme is one of the offer's themes
    "help_kind": 15,  # the same kind of help (advice, training, study visit, ...)
    "period": 15,  # available for the whole wanted period; PARTIAL_PERIOD_POINTS for part of it
    "capacity": 15,  # remaining person-days cover the need; in proportion when they fall short
    "terms": 15,  # terms the texts share, TERM_POINTS each, up to this
}
PARTIAL_PERIOD_POINTS = 8
TERM_POINTS = 5
SHOWN_TERMS = 5  # at most this many shared terms are named in the reason
assert sum(WEIGHTS.values()) == 100

# Suggestions: SQL prefilters the candidates (open, visible, same agreement, period overlapping,
# capacity left, same theme or kind of help, not already on a live match) and orders them by
# everything but the shared terms; at most this many are scored in Python.
CANDIDATE_LIMIT = 100
MESSAGE_MAX_LENGTH = 2000
DECLINE_REASON_MAX_LENGTH = 500

# Terms: words of at least MIN_WORD letters, case-folded, without stop words, one common ending
# taken off, then compared by their first STEM_LENGTH letters ("leaks" and "leak", "витоків" and
# "витоки" meet). A stem of exactly MIN_WORD letters also meets longer stems that begin with it.
MIN_WORD = 4
STEM_LENGTH = 5


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


STOP_WORDS: dict[str, frozenset[str]] = {
    "en": _word_set(
        """about after also been before being between both could does each from have into
        more most need needs offer offers other over should some such than that their them then
        there these they this those through under very were what when where which while will
        with within would your help support city cities kyiv stockholm work works"""
    ),
    "sv": _word_set(
        """alla andra att av behov behöver denna dessa detta eller enligt efter erbjuder
        erbjudande finns från genom hade hela inom inte kommer kunna mellan mycket också samt
        sedan skall till under utan vara vill våra vårt även över stöd hjälp stad staden stadens
        kyiv stockholm arbete"""
    ),
    "uk": _word_set(
        """або буде були було вона вони все всіх де для його коли крім лише між може можуть
        навіть після під потрібна потрібно потрібні потреба пропозиція також тому тощо через
        щодо яка який які якщо яких якою цього цієї цих свою свої наша наше наші нашої
        допомога допомоги підтримка місто міста києва київ стокгольм роботи робота"""
    ),
}
_ALL_STOP_WORDS = frozenset().union(*STOP_WORDS.values())
# Taken off once, longest first, when at least MIN_WORD letters remain: English, Swedish and
# Ukrainian inflections that would otherwise keep a word's forms apart.
_ENDINGS = tuple(
    sorted(
        {
            *_word_set("ing ion ions ed es s"),
            *_word_set("arna erna orna ningar ning ar er or en et na a e"),
            *_word_set("ами ями ові еві ого ому ими их ів ах ях ам ям ом ою ею ий ій ої"),
            *_word_set("а я и і у ю о е ь й"),
        },
        key=len,
        reverse=True,
    )
)
_WORD = re.compile(r"[^\W\d_]+")


_STEM_CACHE: dict[str, str | None] = {}
_STEM_CACHE_SIZE = 200_000  # distinct words; emptied when full


def _stem_uncached(word: str) -> str | None:
    if len(word) < MIN_WORD or word in _ALL_STOP_WORDS:
        return None
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= MIN_WORD:
            word = word[: -len(ending)]
            break
    return word[:STEM_LENGTH]


def stem(word: str) -> str | None:
    """The comparable stem of a case-folded word, or None for short words and stop words."""
    return _STEM_CACHE[word] if word in _STEM_CACHE else _stem_uncached(word)


def _stem_all(words: set[str]) -> set[str]:
    """The stems of these words. Words recur across thousands of texts, so stems are cached;
    the lookups run as set and map operations rather than a Python loop per word."""
    cache = _STEM_CACHE
    missing = words.difference(cache)
    if missing:
        if len(cache) + len(missing) > _STEM_CACHE_SIZE:
            cache.clear()
            missing = words
        for word in missing:
            cache[word] = _stem_uncached(word)
    found: set[Any] = set(map(cache.__getitem__, words))
    found.discard(None)
    return found


@lru_cache(maxsize=20_000)
def _body_terms(
    body: str,
) -> tuple[tuple[str, ...], frozenset[str], frozenset[str], frozenset[str]]:
    """One text's words in reading order, its stems, those of exactly MIN_WORD letters, and the
    first MIN_WORD letters of the longer ones. Remembered per body (bounded): the same offers
    are candidates for many needs, and their texts change far less often than they are read."""
    words = tuple(_WORD.findall(body.casefold()))
    stems = frozenset(_stem_all(set(words)))
    short = frozenset(s for s in stems if len(s) == MIN_WORD)
    prefixes = frozenset(s[:MIN_WORD] for s in stems if len(s) > MIN_WORD)
    return words, stems, short, prefixes


class _Terms:
    """The words of some texts in reading order, and their stems split for the prefix rule."""

    __slots__ = ("_first_words", "prefixes", "short", "stems", "word_lists")

    def __init__(self, bodies: Iterable[str]) -> None:
        parts = [_body_terms(body) for body in bodies]
        self.word_lists = [words for words, _s, _sh, _p in parts]
        self.stems: frozenset[str] = frozenset().union(*(p[1] for p in parts))
        self.short: frozenset[str] = frozenset().union(*(p[2] for p in parts))
        self.prefixes: frozenset[str] = frozenset().union(*(p[3] for p in parts))
        self._first_words: list[tuple[str, str]] | None = None

    def shared_stems(self, other: _Terms) -> set[str]:
        """These texts' stems that meet one of ``other``'s: equal, or one is the other's first
        MIN_WORD letters."""
        hits = (self.stems & other.stems) | (self.short & other.prefixes)
        if other.short & self.prefixes:
            hits |= {s for s in self.stems if len(s) > MIN_WORD and s[:MIN_WORD] in other.short}
        return hits

    def shared_with(self, other: _Terms) -> list[str]:
        """The words of these texts whose stems ``other`` shares, each named by its first
        occurrence, in reading order."""
        hits = self.shared_stems(other)
        if not hits:
            return []
        return [word for s, word in self.first_words() if s in hits]

    def first_words(self) -> list[tuple[str, str]]:
        """Each stem with the word it first appears as, in reading order; worked out once (a
        need's terms meet a hundred candidates' in one suggestion list)."""
        if self._first_words is None:
            named: dict[str, str] = {}
            for words in self.word_lists:
                for word in words:
                    s = stem(word)
                    if s is not None and s not in named:
                        named[s] = word
            self._first_words = list(named.items())
        return self._first_words


def shared_terms(need_bodies: Iterable[str], offer_bodies: Iterable[str]) -> list[str]:
    """The need's words that the offer's texts share, in the need's reading order."""
    return _Terms(need_bodies).shared_with(_Terms(offer_bodies))


def _language_order(lang: str | None, original: str) -> dict[str, int]:
    order = [lang, original, *CONTENT_LANGUAGES]
    rank: dict[str, int] = {}
    for code in order:
        if code is not None and code not in rank:
            rank[code] = len(rank)
    return rank


def _need_terms(texts: Iterable[tuple[str, Iterable[tuple[str, str]]]], lang: str | None) -> _Terms:
    """The need's terms from its texts, each (original language, [(lang, body)]): read in the
    reader's language first, then the original, title before description, so that the terms are
    named in the words the reader knows best."""
    ordered = []
    for position, (original, versions) in enumerate(texts):
        rank = _language_order(lang, original)
        ordered += [(rank.get(code, 99), position, body) for code, body in versions]
    ordered.sort(key=lambda item: item[:2])
    return _Terms(body for _rank, _position, body in ordered)


def _text_versions(text: Text | None) -> list[tuple[str, str]]:
    return [(v.lang, v.body) for v in text.versions] if text is not None else []


def _need_terms_from_objects(need: Need, lang: str | None) -> _Terms:
    return _need_terms(
        [
            (text.original_lang, _text_versions(text))
            for text in (need.title, need.description)
            if text is not None
        ],
        lang,
    )


def _offer_terms_from_objects(offer: Offer) -> _Terms:
    return _Terms(
        body for text in (offer.title, offer.description) for _l, body in _text_versions(text)
    )


@dataclass(frozen=True)
class Reason:
    """Why a pair fits, as a code with parameters; rendered in the reader's language by ``text``.

    Stored on a match as ``code:param:param`` strings (``capacity:40:30``, ``terms:leak,pipe``).
    """

    code: str
    params: tuple[str, ...] = ()

    def encode(self) -> str:
        return ":".join((self.code, *self.params))

    @classmethod
    def decode(cls, value: str) -> Reason:
        code, *params = str(value).split(":")
        return cls(code, tuple(params))

    @property
    def text(self) -> str:
        return describe(self)

    def __str__(self) -> str:
        return self.text


def describe(reason: Reason) -> str:
    """The reason in words, in the reader's language."""
    p = reason.params
    try:
        if reason.code == "theme":
            theme = db.session.get(Theme, int(p[0]))
            return _("Same theme: %(theme)s", theme=theme.name if theme else p[0])
        if reason.code == "help_kind":
            return _("Same kind of help: %(kind)s", kind=HelpKind(p[0]).label)
        if reason.code == "period_full":
            return _("Available in the wanted period")
        if reason.code == "period_partial":
            return _("Available for part of the wanted period")
        if reason.code == "capacity":
            return ngettext(
                "Enough capacity: %(remaining)s left, %(num)s person-day needed",
                "Enough capacity: %(remaining)s left, %(num)s person-days needed",
                int(p[1]),
                remaining=int(p[0]),
            )
        if reason.code == "capacity_partial":
            return ngettext(
                "Part of the capacity: %(remaining)s left, %(num)s person-day needed",
                "Part of the capacity: %(remaining)s left, %(num)s person-days needed",
                int(p[1]),
                remaining=int(p[0]),
            )
        if reason.code == "capacity_left":
            return ngettext(
                "Capacity left: %(num)s person-day",
                "Capacity left: %(num)s person-days",
                int(p[0]),
            )
        if reason.code == "terms":
            terms = [t for t in p[0].split(",") if t]
            return _("Shared terms: %(terms)s", terms=format_list(terms, locale=_locale()))
    except (ValueError, IndexError):
        pass
    return reason.code


def reasons_of(match: Match) -> list[Reason]:
    """The reasons stored on a match."""
    return [Reason.decode(code) for code in (match.reasons or [])]


def _locale() -> str:
    try:
        return str(get_locale() or "en")
    except RuntimeError:
        return "en"


@dataclass
class Scored:
    score: int
    reasons: list[Reason] = field(default_factory=list)

    @property
    def codes(self) -> list[str]:
        return [r.encode() for r in self.reasons]


def period_fit(
    wanted_from: date | None,
    wanted_until: date | None,
    available_from: date | None,
    available_until: date | None,
    today: date,
) -> str | None:
    """ "full" when the offer covers the whole wanted period from today on, "partial" when the
    periods overlap, None when they do not. A missing date is open; the past does not count."""
    start = max(wanted_from or today, today)
    a_start = max(available_from or today, today)
    if wanted_until is not None and wanted_until < start:
        return None
    if available_until is not None and available_until < a_start:
        return None
    if wanted_until is not None and a_start > wanted_until:
        return None
    if available_until is not None and start > available_until:
        return None
    covers_start = wanted_from is None or a_start <= start
    covers_end = wanted_until is None or available_until is None or available_until >= wanted_until
    return "full" if covers_start and covers_end else "partial"


def _combine(
    *,
    theme_id: int | None,
    help_kind: HelpKind | None,
    period: str | None,
    remaining: int,
    needed: int | None,
    shared_terms: Sequence[str],
) -> Scored:
    points = 0
    reasons: list[Reason] = []
    if theme_id is not None:
        points += WEIGHTS["theme"]
        reasons.append(Reason("theme", (str(theme_id),)))
    if help_kind is not None:
        points += WEIGHTS["help_kind"]
        reasons.append(Reason("help_kind", (help_kind.value,)))
    if period == "full":
        points += WEIGHTS["period"]
        reasons.append(Reason("period_full"))
    elif period == "partial":
        points += PARTIAL_PERIOD_POINTS
        reasons.append(Reason("period_partial"))
    if remaining > 0:
        if not needed or needed <= 0:
            points += WEIGHTS["capacity"]
            reasons.append(Reason("capacity_left", (str(remaining),)))
        elif remaining >= needed:
            points += WEIGHTS["capacity"]
            reasons.append(Reason("capacity", (str(remaining), str(needed))))
        else:
            points += WEIGHTS["capacity"] * remaining // needed
            reasons.append(Reason("capacity_partial", (str(remaining), str(needed))))
    if shared_terms:
        points += min(WEIGHTS["terms"], TERM_POINTS * len(shared_terms))
        reasons.append(Reason("terms", (",".join(shared_terms[:SHOWN_TERMS]),)))
    return Scored(min(points, 100), reasons)


def score(
    need: Need, offer: Offer, today: date | None = None, *, lang: str | None = None
) -> Scored:
    """How well ``offer`` fits ``need``, 0–100, with the reasons. ``lang`` picks which language's
    words name the shared terms (default: the need's original language)."""
    today = today or date.today()
    theme_ids = {t.id for t in offer.themes}
    return _combine(
        theme_id=need.theme_id if need.theme_id in theme_ids else None,
        help_kind=need.help_kind if need.help_kind == offer.help_kind else None,
        period=period_fit(
            need.wanted_from,
            need.wanted_until,
            offer.available_from,
            offer.available_until,
            today,
        ),
        remaining=offer.remaining_days,
        needed=need.person_days,
        shared_terms=_need_terms_from_objects(need, lang).shared_with(
            _offer_terms_from_objects(offer)
        ),
    )


# --------------------------------------------------------------------------------- suggestions


@dataclass
class Suggestion:
    """A pair the portal suggests, with its score and reasons."""

    need: Need
    offer: Offer
    score: int
    reasons: list[Reason]


def _live_match_between(need_id: Any, offer_id: Any) -> ColumnElement[bool]:
    return exists(
        select(Match.id).where(
            Match.need_id == need_id,
            Match.offer_id == offer_id,
            Match.status.in_(LIVE_MATCH_STATES),
        )
    )


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


def _text_bodies(text_ids: Iterable[int]) -> dict[int, list[str]]:
    """text id → the case-folded bodies of all its language versions, in one query."""
    ids = sorted(set(text_ids))
    found: dict[int, list[str]] = {}
    if ids:
        rows = db.session.execute(
            select(TextVersion.text_id, TextVersion.folded).where(_id_in(TextVersion.text_id, ids))
        )
        for text_id, folded in rows:
            found.setdefault(text_id, []).append(folded)
    return found


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
    conditions += [Offer.visible_to(viewer), ~_live_match_between(need.id, Offer.id)]
    columns = (
        Offer.id,
        Offer.title_id,
        Offer.description_id,
        Offer.help_kind,
        Offer.available_from,
        Offer.available_until,
        Offer.capacity_days,
        Offer.committed_days,
    )
    in_theme = Offer.id.in_(
        select(offer_themes.c.offer_id).where(offer_themes.c.theme_id == need.theme_id)
    )
    same_kind = Offer.help_kind == need.help_kind

    def tier(theme: bool, kind: bool) -> Select[Any]:
        points = (WEIGHTS["theme"] if theme else 0) + (WEIGHTS["help_kind"] if kind else 0)
        order = base + points
        return (
            select(*columns, literal(theme).label("theme_match"))
            .where(in_theme if theme else ~in_theme, same_kind if kind else ~same_kind)
            .where(*conditions)
            .order_by(order.desc(), Offer.id.desc())
        )

    rows = _candidates(
        [lambda: tier(True, True), lambda: tier(True, False), lambda: tier(False, True)]
    )
    if not rows:
        return []
    texts = _text_bodies([r.title_id for r in rows] + [r.description_id for r in rows])
    need_terms = _need_terms_from_objects(need, lang)
    ranked = []
    for rank, row in enumerate(rows):
        scored = _combine(
            theme_id=need.theme_id if row.theme_match else None,
            help_kind=need.help_kind if row.help_kind == need.help_kind else None,
            period=period_fit(
                need.wanted_from, end, row.available_from, row.available_until, today
            ),
            remaining=max(row.capacity_days - row.committed_days, 0),
            needed=need.person_days,
            shared_terms=need_terms.shared_with(
                _Terms(texts.get(row.title_id, []) + texts.get(row.description_id, []))
            ),
        )
        ranked.append((-scored.score, rank, row.id, scored))
    ranked.sort(key=lambda item: item[:2])
    best = ranked[:limit]
    offers = {
        o.id: o
        for o in db.session.scalars(
            select(Offer)
            .where(Offer.id.in_([item[2] for item in best]))
            .options(selectinload(Offer.title), joinedload(Offer.organisation))
        )
    }
    return [
        Suggestion(need, offers[offer_id], scored.score, scored.reasons)
        for _s, _r, offer_id, scored in best
        if offer_id in offers
    ]


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
    conditions += [Need.visible_to(viewer), ~_live_match_between(Need.id, offer.id)]
    priority_rank = case({p.value: p.rank for p in Priority}, value=Need.priority, else_=9)
    columns = (
        Need.id,
        Need.title_id,
        Need.description_id,
        Need.theme_id,
        Need.help_kind,
        Need.wanted_from,
        Need.wanted_until,
        Need.person_days,
    )
    in_theme = Need.theme_id.in_(theme_ids)
    same_kind = Need.help_kind == offer.help_kind

    def tier(theme: bool, kind: bool) -> Select[Any]:
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
    rows = _candidates(tiers)
    if not rows:
        return []
    texts = _text_bodies([r.title_id for r in rows] + [r.description_id for r in rows])
    offer_terms = _offer_terms_from_objects(offer)
    theme_set = set(theme_ids)
    ranked = []
    for rank, row in enumerate(rows):
        facts = {
            "theme_id": row.theme_id if row.theme_id in theme_set else None,
            "help_kind": offer.help_kind if row.help_kind == offer.help_kind else None,
            "period": period_fit(
                row.wanted_from, row.wanted_until, offer.available_from, a_end, today
            ),
            "remaining": remaining,
            "needed": row.person_days,
        }
        # Ranked by how many terms are shared; which words name them (the reader's language
        # first) is worked out below for the few suggestions shown.
        need_terms = _Terms(texts.get(row.title_id, []) + texts.get(row.description_id, []))
        shared = sorted(need_terms.shared_stems(offer_terms))
        scored = _combine(**facts, shared_terms=shared)
        ranked.append((-scored.score, rank, row.id, facts))
    ranked.sort(key=lambda item: item[:2])
    best = ranked[:limit]
    needs = {
        n.id: n
        for n in db.session.scalars(
            select(Need)
            .where(Need.id.in_([item[2] for item in best]))
            .options(
                selectinload(Need.title),
                selectinload(Need.description),
                joinedload(Need.organisation),
                joinedload(Need.theme),
            )
        )
    }
    suggestions = []
    for _s, _r, need_id, facts in best:
        if need_id in needs:
            need = needs[need_id]
            shared = _need_terms_from_objects(need, lang).shared_with(offer_terms)
            scored = _combine(**facts, shared_terms=shared)
            suggestions.append(Suggestion(need, offer, scored.score, scored.reasons))
    return suggestions


# ---------------------------------------------------------------------------- who may do what


def proposing_side(actor: User | None, need: Need, offer: Offer) -> Side | None:
    """The side ``actor`` would propose for, or None when they may not propose this pair."""
    if not is_signed_in(actor) or actor is None:
        return None
    if actor.is_requester and actor.organisation_id == need.organisation_id:
        return Side.REQUESTER
    if actor.is_expert and actor.organisation_id == offer.organisation_id:
        return Side.EXPERT
    if actor.is_coordinator:
        return Side.COORDINATOR
    return None


def may_propose(user: User | None) -> bool:
    """May ``user`` propose matches at all (for some need and offer)?"""
    return (
        is_signed_in(user)
        and user is not None
        and (user.is_requester or user.is_expert or user.is_coordinator)
    )


def may_propose_for_need(user: User | None, need: Need) -> bool:
    """Does the need's page offer ``user`` suggestions to propose? Its own requesters, experts
    (with their own offers) and coordinators, while the need takes offers."""
    if not may_propose(user) or user is None or not need.is_live:
        return False
    if need.agreement.has_expired() or not need.can_view(user):
        return False
    return user.is_coordinator or user.is_expert or user.organisation_id == need.organisation_id


def may_propose_for_offer(user: User | None, offer: Offer) -> bool:
    """The same for an offer's page: its own experts, requesters (with their own needs) and
    coordinators, while the offer is open."""
    if not may_propose(user) or user is None:
        return False
    if offer.status != OfferStatus.OPEN or offer.remaining_days <= 0:
        return False
    if offer.agreement.has_expired() or not offer.can_view(user):
        return False
    return user.is_coordinator or user.is_requester or user.organisation_id == offer.organisation_id


def may_view(user: User | None, match: Match) -> bool:
    """A match is seen by coordinators and the two organisations, and only while the viewer may
    also see both records (a restricted need stays hidden once its match is over)."""
    return match.can_view(user) and match.need.can_view(user) and match.offer.can_view(user)


def visible_to(viewer: User | None) -> ColumnElement[bool]:
    """SQL predicate for ``may_view``; the statement must join Need and Offer."""
    if not is_signed_in(viewer) or viewer is None:
        return false()
    both_visible = and_(Need.visible_to(viewer), Offer.visible_to(viewer))
    if viewer.sees_everything:
        return both_visible
    return and_(
        or_(
            Need.organisation_id == viewer.organisation_id,
            Offer.organisation_id == viewer.organisation_id,
        ),
        both_visible,
    )


def waiting_for_predicate(user: User | None) -> ColumnElement[bool]:
    """SQL: the match waits for ``user``'s side to decide. Needs Need and Offer joined."""
    if not is_signed_in(user) or user is None:
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


# ------------------------------------------------------------------------------------ queries


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
    filters = filters or MatchFilters()
    waiting = waiting_for_predicate(viewer)
    stmt = (
        select(Match)
        .join(Need, Need.id == Match.need_id)
        .join(Offer, Offer.id == Match.offer_id)
        .where(visible_to(viewer))
        .options(*match_load_options())
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


def waiting_for_decision(user: User | None, limit: int | None = None) -> list[Match]:
    """Proposed matches where ``user``'s side has not accepted yet, oldest first: requesters for
    their organisation's needs, experts for its offers. Coordinators decide for neither side."""
    if not is_signed_in(user) or user is None or not (user.is_requester or user.is_expert):
        return []
    stmt = (
        select(Match)
        .join(Need, Need.id == Match.need_id)
        .join(Offer, Offer.id == Match.offer_id)
        .where(waiting_for_predicate(user), visible_to(user))
        .options(*match_load_options())
        .order_by(Match.proposed_at, Match.id)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(db.session.scalars(stmt))


def get_visible(viewer: User | None, match_id: int) -> Match | None:
    """The match, or None when it does not exist or ``viewer`` may not see it."""
    if not is_signed_in(viewer):
        return None
    match = db.session.scalar(
        select(Match).where(Match.id == match_id).options(*match_load_options())
    )
    if match is None or not may_view(viewer, match):
        return None
    return match


def live_match_exists(need: Need, offer: Offer) -> bool:
    return bool(db.session.scalar(select(_live_match_between(need.id, offer.id))))


# ------------------------------------------------------------------------------------- writes


def _clean(value: str | None) -> str:
    """User text as stored: without NUL characters (PostgreSQL refuses them) or outer spaces."""
    return (value or "").replace("\x00", "").strip()


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
    message = _clean(message) or None
    if message is not None and len(message) > MESSAGE_MAX_LENGTH:
        _refuse(_("The message is too long (at most %(max)s characters).", max=MESSAGE_MAX_LENGTH))
    if live_match_exists(need, offer):
        _refuse(_("This need and this offer already have a match that is proposed or agreed."))
    assert side is not None

    scored = score(need, offer)
    match = Match(
        need=need,
        offer=offer,
        status=MatchStatus.PROPOSED,
        score=scored.score,
        reasons=scored.codes,
        message=message,
        person_days=person_days,
        proposed_side=side,
        proposed_by_id=actor.id,
        proposed_at=utcnow(),
    )
    if side in (Side.REQUESTER, Side.EXPERT):
        match.accept(actor, side)
    try:
        db.session.add(match)
        db.session.flush()
        record(actor, "propose", "match", match.id, None, snapshot(match))
        db.session.commit()
    except IntegrityError:
        # Someone proposed the same pair a moment ago: the database's unique live-pair index.
        db.session.rollback()
        _refuse(_("This need and this offer already have a match that is proposed or agreed."))
    except Exception:
        db.session.rollback()
        raise
    return match


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
    if side is None or not may_view(actor, match):
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
    try:
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
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
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
    reason = _clean(reason)[:DECLINE_REASON_MAX_LENGTH] or None
    before = snapshot(match)
    try:
        match.decline(actor, reason)
        db.session.flush()
        record(actor, "decline", "match", match.id, before, snapshot(match))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return match


def withdraw(actor: User, match: Match) -> Match:
    """Withdraw a proposal: the side that proposed it, or a coordinator."""
    _acting_side(actor, match)
    match.need.agreement.ensure_writable()
    _ensure_proposed(match)
    if not match.can_withdraw(actor):
        _refuse(_("Only the side that proposed this match, or a coordinator, can withdraw it."))
    before = snapshot(match)
    try:
        match.withdraw(actor)
        db.session.flush()
        record(actor, "withdraw", "match", match.id, before, snapshot(match))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return match


# -------------------------------------------------------------------------------------- panels


def _current_path() -> str | None:
    if has_request_context() and request.method == "GET":
        return request.full_path.rstrip("?")
    return None


def _reader_language() -> str | None:
    if not has_request_context():
        return None
    from portal.core.i18n import current_language

    return current_language()


def need_panel(viewer: Any, need: Any) -> dict[str, Any]:
    """What a need's page shows under "Matches": its matches and, for those who may propose,
    suggested offers with their reasons. Rendered by ``matching/_need_panel.html``."""
    panel: dict[str, Any] = {
        "kind": "need",
        "need": need,
        "matches": [],
        "suggestions": [],
        "may_propose": False,
        "is_hidden": not is_signed_in(viewer),
        "return_to": _current_path(),
    }
    if panel["is_hidden"]:
        return panel
    panel["matches"] = list(
        db.session.scalars(matches_query(viewer, MatchFilters(need_id=need.id)))
    )
    if may_propose_for_need(viewer, need):
        panel["may_propose"] = True
        panel["suggestions"] = suggest_offers(
            viewer,
            need,
            organisation_id=viewer.organisation_id if viewer.is_expert else None,
            lang=_reader_language(),
        )
    return panel


def offer_panel(viewer: Any, offer: Any) -> dict[str, Any]:
    """The same for an offer's page, rendered by ``matching/_offer_panel.html``."""
    panel: dict[str, Any] = {
        "kind": "offer",
        "offer": offer,
        "matches": [],
        "suggestions": [],
        "may_propose": False,
        "is_hidden": not is_signed_in(viewer),
        "return_to": _current_path(),
    }
    if panel["is_hidden"]:
        return panel
    panel["matches"] = list(
        db.session.scalars(matches_query(viewer, MatchFilters(offer_id=offer.id)))
    )
    if may_propose_for_offer(viewer, offer):
        panel["may_propose"] = True
        panel["suggestions"] = suggest_needs(
            viewer,
            offer,
            organisation_id=viewer.organisation_id if viewer.is_requester else None,
            lang=_reader_language(),
        )
    return panel
