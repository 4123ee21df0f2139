"""Terms: the words of a text that matching compares, as pure text functions.

Words of at least MIN_WORD letters, case-folded, without stop words (English, Swedish,
Ukrainian), one common ending taken off, compared by their first STEM_LENGTH letters. No
database and no Flask here: the scoring and the suggestions hand in the texts' bodies.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from functools import lru_cache
from typing import Any

# Terms: words of at least MIN_WORD letters, case-folded, without stop words, one common ending
# taken off, then compared by their first STEM_LENGTH letters ("leaks" and "leak", "витоків" and
# "витоки" meet). A stem of exactly MIN_WORD letters also meets longer stems that begin with it.
MIN_WORD = 4
STEM_LENGTH = 5


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Words that say nothing about what a need or offer is about. The general lists of the three
# languages come from the `stop-words` package; the portal adds the words every posting uses
# ("need", "offer", "help", the cities' names) and a few the general lists miss («понад»,
# "over", which once made a leak-detection offer "share a term" with school shelters).
PORTAL_STOP_WORDS: dict[str, frozenset[str]] = {
    "en": _word_set(
        """about after also been before being between both could does each from have into
        more most need needs offer offers other over should some such than that their them then
        there these they this those through under very were what when where which while will
        with within would your help support city cities kyiv stockholm work works year years
        experience people per cent percent"""
    ),
    "sv": _word_set(
        """alla andra att av behov behöver denna dessa detta eller enligt efter erbjuder
        erbjudande finns från genom hade hela inom inte kommer kunna mellan mycket också samt
        sedan skall till under utan vara vill våra vårt även över stöd hjälp stad staden stadens
        kyiv stockholm arbete arbetar erfarenhet procent personer år åren"""
    ),
    "uk": _word_set(
        """або буде були було вона вони все всіх де для його коли крім лише між може можуть
        навіть після під потрібна потрібно потрібні потреба пропозиція також тому тощо через
        щодо яка який які якщо яких якою цього цієї цих свою свої наша наше наші нашої
        допомога допомоги підтримка місто міста києва київ стокгольм роботи робота понад
        більш більше менш менше років року досвід відсотків осіб"""
    ),
}
# The portal's general vocabulary: how people describe any cooperation (planning, training,
# advice, a study visit, a project, requirements). Not a term in any form: a word whose stem is
# one of theirs does not count ("planned", "planera", "планування", "пріоритизацією").
PORTAL_GENERAL_WORDS: dict[str, frozenset[str]] = {
    "en": _word_set(
        """
        plan plans planned planning planners joint jointly design designs designing training
        advice advise advising study studies visit visits visiting
        operating operation operations management manage managing staff
        requirements require required data project projects reconstruction rebuilding rebuild
        priority prioritising prioritisation method methods engineers specialists experts
        expert development develop developing programme programmes approach preparing prepare"""
    ),
    "sv": _word_set(
        """
        plan planer planera planerad planerade planerar planering planeringen planerna
        utbildning utbildningen utbilda utbildar råd rådgivning studiebesök besök drift driften
        samarbete samarbeta samarbetet gemensam gemensamt gemensamma krav kraven tekniska teknisk
        stadsdel stadsdelen stadsdelar stadsdelarna stadsdelsförvaltning stadsdelsförvaltningarna
        projekt projektet återuppbyggnad återuppbyggnaden prioritera prioritering prioritet metod
        metoder ingenjörer dela delar personal"""
    ),
    "uk": _word_set(
        """
        план плану плани планування плануємо планує планувати спільно спільного спільна
        спільний спільні навчання навчити навчи навчальний навчальні консультації консультація
        візит візиту експлуатації експлуатуються управління персоналу району районі районів
        вимог вимоги вимогами даних даними проєкт проєкту проєкти відбудова відбудови
        відновлення пріоритет пріоритизації метод методика фахівців інженерів мають має
        установки потребу допомогу допомогти забезпечення зокрема серед
        розробка стокгольмських стокгольмський стокгольмська стокгольмі пропозиції пропозицій
        пропонувати пропонуємо проєктів проєктування"""
    ),
}


# Words of the general lists that are substance in reconstruction (drinking-water wells, pump
# rooms, young people's councils): kept as terms.
KEPT_WORDS: dict[str, frozenset[str]] = {
    "en": _word_set(
        """wells rooms young younger youngest computer research information system value
        problem problems group groups state states world members member interest interests
        order orders number numbers place places parts point points section length"""
    ),
    "sv": frozenset(),
    "uk": _word_set("життя люди людина людей"),
}
_LIBRARY_LANGUAGES = {"en": "english", "sv": "swedish", "uk": "ukrainian"}


def _stop_words(lang: str) -> frozenset[str]:
    from stop_words import get_stop_words

    general = {word.casefold() for word in get_stop_words(_LIBRARY_LANGUAGES[lang])}
    return (
        (frozenset(general) - KEPT_WORDS[lang])
        | PORTAL_STOP_WORDS[lang]
        | PORTAL_GENERAL_WORDS[lang]
    )


STOP_WORDS: dict[str, frozenset[str]] = {lang: _stop_words(lang) for lang in PORTAL_STOP_WORDS}
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


def _strip(word: str) -> str:
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= MIN_WORD:
            word = word[: -len(ending)]
            break
    return word[:STEM_LENGTH]


_PORTAL_STOP_STEMS = frozenset(
    _strip(word) for words in PORTAL_GENERAL_WORDS.values() for word in words
)


def _stem_uncached(word: str) -> str | None:
    if len(word) < MIN_WORD or word in _ALL_STOP_WORDS:
        return None
    stemmed = _strip(word)
    return None if stemmed in _PORTAL_STOP_STEMS else stemmed


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


class Terms:
    """The words of some texts in reading order, and their stems split for the prefix rule."""

    __slots__ = ("_first_words", "prefixes", "short", "stems", "word_lists")

    def __init__(self, bodies: Iterable[str]) -> None:
        parts = [_body_terms(body) for body in bodies]
        self.word_lists = [words for words, _s, _sh, _p in parts]
        self.stems: frozenset[str] = frozenset().union(*(p[1] for p in parts))
        self.short: frozenset[str] = frozenset().union(*(p[2] for p in parts))
        self.prefixes: frozenset[str] = frozenset().union(*(p[3] for p in parts))
        self._first_words: list[tuple[str, str]] | None = None

    def shared_stems(self, other: Terms) -> AbstractSet[str]:
        """These texts' stems that meet one of ``other``'s: equal, or one is the other's first
        MIN_WORD letters."""
        hits = (self.stems & other.stems) | (self.short & other.prefixes)
        if other.short & self.prefixes:
            hits |= {s for s in self.stems if len(s) > MIN_WORD and s[:MIN_WORD] in other.short}
        return hits

    def shared_with(self, other: Terms) -> list[str]:
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
    return Terms(need_bodies).shared_with(Terms(offer_bodies))


def _language_order(lang: str | None, original: str, languages: Sequence[str]) -> dict[str, int]:
    order = [lang, original, *languages]
    rank: dict[str, int] = {}
    for code in order:
        if code is not None and code not in rank:
            rank[code] = len(rank)
    return rank


def reading_order_terms(
    texts: Iterable[tuple[str, Iterable[tuple[str, str]]]],
    lang: str | None,
    languages: Sequence[str],
) -> Terms:
    """The terms of some texts, each (original language, [(lang, body)]): read in the reader's
    language first, then the original, then ``languages`` in turn, title before description,
    so that the terms are named in the words the reader knows best."""
    ordered = []
    for position, (original, versions) in enumerate(texts):
        rank = _language_order(lang, original, languages)
        ordered += [(rank.get(code, 99), position, body) for code, body in versions]
    ordered.sort(key=lambda item: item[:2])
    return Terms(body for _rank, _position, body in ordered)


# Terms compared within one language: a concept written in three languages (network, мережа,
# nät) counts once, and a word of one language never meets a look-alike of another.
TermsByLanguage = dict[str, Terms]


def terms_by_language(versions: Iterable[tuple[str, str]]) -> TermsByLanguage:
    """(language, body) pairs, title before description → each language's terms."""
    bodies: dict[str, list[str]] = {}
    for lang, body in versions:
        bodies.setdefault(lang, []).append(body)
    return {lang: Terms(texts) for lang, texts in bodies.items()}


def _languages_in_order(
    need: TermsByLanguage, offer: TermsByLanguage, lang: str | None
) -> list[str]:
    common = [code for code in sorted(need) if code in offer]
    if lang in common:
        common.remove(lang)
        common.insert(0, lang)
    return common


def shared_count(need: TermsByLanguage, offer: TermsByLanguage) -> int:
    """How many terms the texts share in the language in which they share most."""
    return max(
        (
            len(need[code].shared_stems(offer[code]))
            for code in _languages_in_order(need, offer, None)
        ),
        default=0,
    )


def shared_in_one_language(
    need: TermsByLanguage, offer: TermsByLanguage, lang: str | None
) -> list[str]:
    """The need's words that the offer shares, named in one language: the reader's (``lang``)
    when both texts have a version in it that shares something, otherwise the language in which
    they share most."""
    best: list[str] = []
    for code in _languages_in_order(need, offer, lang):
        shared = need[code].shared_with(offer[code])
        if code == lang and shared:
            return shared
        if len(shared) > len(best):
            best = shared
    return best
