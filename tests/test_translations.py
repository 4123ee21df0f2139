"""Every string a person can see exists in Swedish and Ukrainian, complete and consistent.

The messages are extracted from the code and templates exactly as ``make translations`` does,
so a new string without a translation fails here.
"""

from __future__ import annotations

import ast
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
    # Documents: sizes and versions are written alike.
    "%(size)s MB",
    "%(size)s kB",
    "version %(number)s",
    "Version",
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
    # File formats and abbreviations (the exports and the open data page).
    "ID",
    "CSV",
    "Excel",
    "Atom",
    "API",
    "Data",
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


def test_no_message_is_hidden_in_an_f_string():
    """pybabel's Python extractor does not look inside f-strings (Python 3.12 tokenises them
    apart): a ``gettext("Priority:")`` written in one is never extracted, drops out of the
    catalogs at the next ``make translations`` and shows in English to every reader."""
    hidden = []
    for path in sorted((ROOT / "portal").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for joined in ast.walk(tree):
            if not isinstance(joined, ast.JoinedStr):
                continue
            for node in ast.walk(joined):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id in KEYWORDS
                ):
                    hidden.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.func.id}()")
    assert hidden == []


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


DU = re.compile(r"\b(du|dig|din|ditt|dina)\b", re.IGNORECASE)
NI = re.compile(r"\b(ni|er|ert|era)\b", re.IGNORECASE)


def _strings(message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


def test_swedish_says_du_never_ni():
    """The portal speaks to its reader as "du"; "ni" (and er, ert, era) never, least of all in
    the same sentence as du."""
    found = [s for m in catalog("sv") if m.id for s in _strings(m) if NI.search(s)]
    mixed = [s for s in found if DU.search(s)]
    assert mixed == []
    assert found == []


CYRILLIC_APOSTROPHE = re.compile(r"[А-Яа-яІіЇїЄєҐґ]['ʼ‘`][А-Яа-яІіЇїЄєҐґ]")


def test_ukrainian_has_one_apostrophe():
    """’ (U+2019) everywhere: the catalog, the reference data and the demo data."""
    wrong = [s for m in catalog("uk") if m.id for s in _strings(m) if CYRILLIC_APOSTROPHE.search(s)]
    assert wrong == []
    for path in ("portal/seed/reference.py", "portal/seed/data/demo.toml"):
        text = (ROOT / path).read_text()
        assert CYRILLIC_APOSTROPHE.findall(text) == [], path
        assert "’" in text, path


@pytest.mark.parametrize(
    ("lang", "context", "msgid", "expected"),
    [
        ("uk", None, "No default agreement has been set up.", "Типову угоду не налаштовано."),
        ("uk", "need status", "Matched", "Узгоджена"),
        ("uk", None, "Broker a match", "Поєднати потребу й пропозицію"),
        ("sv", "date", "End", "Slutdatum"),
        ("sv", "date", "Start", "Startdatum"),
    ],
)
def test_reviewed_wordings(lang, context, msgid, expected):
    assert catalog(lang).get(msgid, context).string == expected


def test_reviewed_plurals_and_sentences():
    uk, sv = catalog("uk"), catalog("sv")
    assert "строк якого настає" not in uk.get("%(num)d milestone due").string[0]
    assert "стан (" not in uk.get("Status report from %(organisation)s: %(status)s.").string
    assert uk.get("Broker a match").string != uk.get("Propose a match").string
    # 1 and 21 take the genitive singular after "з": «з 1 людино-дня».
    assert uk.get("%(num)s of %(total)s person-day").string[0].endswith("людино-дня")
    assert sv.get("%(num)s of %(total)s person-day").string[0].endswith("persondag")
    assert "varav" in sv.get("%(num)d milestone, %(done)d done.").string[1]
    risk = sv.get("%(num)d project's latest status report says at risk or off track.").string
    assert not risk[0].startswith("I ")


def test_no_number_is_written_into_a_message():
    """Numbers of four digits or more come in as placeholders, so they are written as the
    reader's language writes them (10 000, 10,000)."""
    written = [key for _context, key in extracted() if re.search(r"\d{1,3}(,\d{3})+|\d{4,}", key)]
    allowed = {
        key for key in written if re.search(r"KS \d{4}/|WCAG|ISO|EN 301|\d{4}–\d{4}|20\d\d", key)
    }
    assert sorted(set(written) - allowed) == []
