"""Every string a person can see exists in Swedish and Ukrainian, complete and consistent.

The messages are extracted from the code and templates exactly as ``make translations`` does,
so a new string without a translation fails here.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "_l": None,
    "lazy_gettext": None,
    "lazy_pgettext": ((1, "c"), 2),
    "lazy_ngettext": (1, 2),
}
METHODS = [
    ("**.py", "python"),
    ("**/templates/**.html", "jinja2"),
    ("**/templates/**.txt", "jinja2"),
]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
# Words that are the same in Swedish and English, and proper names.
SAME_IN_SWEDISH = {
    "Stockholm",
    "Kyiv",
    "Transport",
    "Expert",
    "Status",
    "Status:",
    "E-mail",
    "IT",
    "Administrator",
    "Organisation",
    "Organisation:",
    "Start",
}


@cache
def extracted() -> dict[tuple[str | None, str], str | tuple[str, ...]]:
    messages = {}
    for _filename, _lineno, message, _comments, context in extract_from_dir(
        str(ROOT / "portal"),
        method_map=METHODS,
        keywords={k: (v if v is not None else (1,)) for k, v in KEYWORDS.items()},
        options_map={"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}},
    ):
        key = message if isinstance(message, str) else message[0]
        messages[(context, key)] = message
    return messages


@cache
def catalog(lang: str):
    with (ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=lang)


def test_strings_are_extracted():
    assert len(extracted()) > 200


@pytest.mark.parametrize("lang", ["sv", "uk"])
def test_every_message_is_translated_and_not_fuzzy(lang):
    cat = catalog(lang)
    problems = []
    for context, msgid in extracted():
        entry = cat.get(msgid, context=context)
        if entry is None:
            problems.append(f"missing: {msgid!r}")
            continue
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if not all(s.strip() for s in strings):
            problems.append(f"empty: {msgid!r}")
        if entry.fuzzy:
            problems.append(f"fuzzy: {msgid!r}")
    assert problems == [], f"{len(problems)} problems in {lang}: {problems[:20]}"


@pytest.mark.parametrize("lang", ["sv", "uk"])
def test_placeholders_are_kept(lang):
    problems = []
    for entry in catalog(lang):
        if not entry.id:
            continue
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        wanted = set().union(*(PLACEHOLDER.findall(i) for i in ids))
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        # A plural form may leave out the count ("one need"), never any other placeholder.
        allowed = (
            {frozenset(wanted), frozenset(wanted - {"num"})}
            if len(ids) > 1
            else {frozenset(wanted)}
        )
        for translated in strings:
            if translated and frozenset(PLACEHOLDER.findall(translated)) not in allowed:
                problems.append((ids[0], translated))
    assert problems == []


def test_ukrainian_has_three_plural_forms():
    cat = catalog("uk")
    assert cat.num_plurals == 3
    plural_entries = [m for m in cat if m.id and isinstance(m.id, tuple)]
    assert plural_entries, "no plural messages in the Ukrainian catalog"
    for entry in plural_entries:
        assert len(entry.string) == 3 and all(entry.string), entry.id


def test_swedish_is_not_english_copied():
    copied = [
        entry.id
        for entry in catalog("sv")
        if entry.id
        and isinstance(entry.id, str)
        and entry.string == entry.id
        and entry.id not in SAME_IN_SWEDISH
        and re.sub(r"[^\w]|\d", "", PLACEHOLDER.sub("", entry.id))  # words, not just placeholders
    ]
    assert copied == []


def test_glossary_terms_are_used():
    """Spot checks that the interface speaks the glossary's words."""
    sv, uk = catalog("sv"), catalog("uk")
    assert sv.get("Needs").string == "Behov"
    assert uk.get("Needs").string == "Потреби"
    assert sv.get("Dashboard").string == "Översikt"
    assert uk.get("Dashboard").string == "Панель моніторингу"
