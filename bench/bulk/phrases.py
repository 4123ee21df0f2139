"""Phrase banks for bulk data, in Ukrainian, Swedish and English side by side, read from
``phrases.json`` beside this module.

Every phrase is ``[uk, sv, en]`` or ``[uk, sv, en, [numbers]]``: the same phrase in the three
content languages, so that a record's other-language versions are real translations of its
original. ``{n}`` takes one of the numbers (the same number in every language); they are chosen
so that the Ukrainian noun after them keeps one grammatical form (multiples of five or ten, or
2–4 where the phrase says so). Topics, facilities and outcomes are lower-case noun phrases that
frames insert. ``DECLINE_REASONS``, ``FIRST_NAMES`` and ``LAST_NAMES`` are plain strings.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NamedTuple


class P(NamedTuple):
    uk: str
    sv: str
    en: str
    n: tuple[int, ...] = ()


def _phrase(item: list[Any]) -> P:
    uk, sv, en, *numbers = item
    return P(uk, sv, en, tuple(numbers[0]) if numbers else ())


def _phrases(items: list[list[Any]]) -> list[P]:
    return [_phrase(item) for item in items]


_DATA: dict[str, Any] = json.loads(Path(__file__).with_name("phrases.json").read_text("utf-8"))

HELP: dict[str, P] = {kind: _phrase(item) for kind, item in _DATA["HELP"].items()}
# theme code → "topics", "facilities", "problems", "outcomes", "experience", "methods" → phrases
THEMES: dict[str, dict[str, list[P]]] = {
    theme: {bank: _phrases(items) for bank, items in banks.items()}
    for theme, banks in _DATA["THEMES"].items()
}
STREETS = _phrases(_DATA["STREETS"])
NEED_TITLES = _phrases(_DATA["NEED_TITLES"])
NEED_ADDRESS = _phrase(_DATA["NEED_ADDRESS"])
NEED_FACILITY = _phrase(_DATA["NEED_FACILITY"])
NEED_DISTRICT = _phrase(_DATA["NEED_DISTRICT"])
NEED_GOAL = _phrase(_DATA["NEED_GOAL"])
NEED_ASK = _phrase(_DATA["NEED_ASK"])
NEED_CONTEXT = _phrases(_DATA["NEED_CONTEXT"])
OFFER_TITLES = _phrases(_DATA["OFFER_TITLES"])
OFFER_INTRO = _phrase(_DATA["OFFER_INTRO"])
OFFER_TOPIC = _phrase(_DATA["OFFER_TOPIC"])
OFFER_CAPACITY = _phrase(_DATA["OFFER_CAPACITY"])
OFFER_CONTEXT = _phrases(_DATA["OFFER_CONTEXT"])
PROJECT_TITLES = _phrases(_DATA["PROJECT_TITLES"])
PROJECT_PARTNERS = _phrase(_DATA["PROJECT_PARTNERS"])
PROJECT_GOAL = _phrase(_DATA["PROJECT_GOAL"])
MILESTONES = _phrases(_DATA["MILESTONES"])
REPORT_HEADLINES: dict[str, list[P]] = {
    status: _phrases(items) for status, items in _DATA["REPORT_HEADLINES"].items()
}
REPORT_GOOD = _phrases(_DATA["REPORT_GOOD"])
REPORT_BAD = _phrases(_DATA["REPORT_BAD"])
DECLINE_REASONS: dict[str, list[str]] = _DATA["DECLINE_REASONS"]
FIRST_NAMES: dict[str, list[str]] = _DATA["FIRST_NAMES"]
LAST_NAMES: dict[str, list[str]] = _DATA["LAST_NAMES"]
