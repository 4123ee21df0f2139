"""The score: how well an offer fits a need, 0–100, and the reasons, in the reader's language.

The same points rank the suggestions (``portal.matching.suggestions`` orders its candidates in
SQL by everything but the shared terms) and are stored on a match when it is proposed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING

from babel.lists import format_list
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _

from portal.content.models import Text
from portal.core.enums import HelpKind
from portal.extensions import db
from portal.matching.terms import (
    TermsByLanguage,
    shared_count,
    shared_in_one_language,
    terms_by_language,
)
from portal.reference import lists as reference_lists
from portal.reference.models import Theme

if TYPE_CHECKING:
    from portal.matching.models import Match
    from portal.needs.models import Need
    from portal.offers.models import Offer


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
# A pair outside the need's theme is suggested only when the texts share at least this many
# terms in one language: the kind of help, the period and the capacity alone say nothing about
# whether the offer is about what the need is about.
MIN_SHARED_TERMS = 2
SHOWN_TERMS = 5  # at most this many shared terms are named in the reason
assert sum(WEIGHTS.values()) == 100


def _versions(*texts: Text | None) -> list[tuple[str, str]]:
    return [(v.lang, v.body) for text in texts if text is not None for v in text.versions]


def terms_of(record: Need | Offer) -> TermsByLanguage:
    """A need's or offer's terms (title and description) in each language it is written in."""
    return terms_by_language(_versions(record.title, record.description))


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
    if reason.code == "theme":
        try:
            theme_id = int(reason.params[0])
        except (ValueError, IndexError):
            return reason.code
        # The kept reference lists' theme (no query: a page describes a dozen of these), or
        # the row when the lists are not kept.
        theme = reference_lists.kept_index("themes").get(theme_id) or db.session.get(
            Theme, theme_id
        )
        return _("Same theme: %(theme)s", theme=theme.name if theme else reason.params[0])
    return _described(reason, _locale())


@lru_cache(maxsize=4096)
def _described(reason: Reason, locale: str) -> str:
    """A reason but the theme in words, in ``locale`` (the current one: the key of what is
    kept): made of the catalogs alone, so kept in each worker. A page of suggestions
    describes some forty reasons, most of them the same few."""
    p = reason.params
    try:
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
            return _("Shared terms: %(terms)s", terms=format_list(terms, locale=locale))
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
    shared_term_count: int = 0

    @property
    def codes(self) -> list[str]:
        return [r.encode() for r in self.reasons]

    @property
    def is_worth_suggesting(self) -> bool:
        """The pair shares the need's theme or what it is about (MIN_SHARED_TERMS terms)."""
        themed = any(reason.code == "theme" for reason in self.reasons)
        return themed or self.shared_term_count >= MIN_SHARED_TERMS


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


def combine(
    *,
    theme_id: int | None,
    help_kind: HelpKind | None,
    period: str | None,
    remaining: int,
    needed: int | None,
    shared_terms: Sequence[str] | int,
    term_count: int | None = None,
) -> Scored:
    """The points and reasons of a pair's facts. ``shared_terms`` names the shared terms, or only
    counts them where the names are not wanted yet (ranking many candidates); ``term_count``,
    when given, is the count that scores (the language sharing most), while the names are those
    of the reader's language."""
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
    if term_count is not None:
        count = term_count
    else:
        count = shared_terms if isinstance(shared_terms, int) else len(shared_terms)
    if count:
        points += min(WEIGHTS["terms"], TERM_POINTS * count)
    if shared_terms and not isinstance(shared_terms, int):
        reasons.append(Reason("terms", (",".join(shared_terms[:SHOWN_TERMS]),)))
    return Scored(min(points, 100), reasons, count)


def score(
    need: Need, offer: Offer, today: date | None = None, *, lang: str | None = None
) -> Scored:
    """How well ``offer`` fits ``need``, 0–100, with the reasons. ``lang`` picks which language's
    words name the shared terms (default: the need's original language)."""
    today = today or date.today()
    theme_ids = {t.id for t in offer.themes}
    need_terms, offer_terms = terms_of(need), terms_of(offer)
    return combine(
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
        shared_terms=shared_in_one_language(
            need_terms, offer_terms, lang or need.title.original_lang
        ),
        term_count=shared_count(need_terms, offer_terms),
    )
