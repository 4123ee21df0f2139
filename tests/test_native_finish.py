"""The native-quality finish: dates, numbers, apostrophes, the reader's alphabet, audit labels,
place names and demo titles, each as the reader's language wants it."""

from __future__ import annotations

import re
import tomllib
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from flask_babel import force_locale, ngettext

from portal.core.collation import by_name, sort_key
from portal.core.i18n import format_date, format_datetime, format_number, full_stop
from portal.extensions import db

ROOT = Path(__file__).resolve().parent.parent
DAY = date(2026, 12, 2)


# ---------------------------------------------------------------- dates and times


@pytest.mark.parametrize(
    ("lang", "long", "numeric"),
    [
        ("uk", "2 грудня 2026 р.", "02.12.2026"),
        ("sv", "2 december 2026", "2026-12-02"),
        ("en", "2 December 2026", "02/12/2026"),
    ],
)
def test_dates_in_each_languages_long_and_numeric_form(app, lang, long, numeric):
    with app.test_request_context(), force_locale(lang):
        # Ukrainian keeps "р." on the line with a narrow no-break space (CLDR).
        assert format_date(DAY).replace("\u202f", " ") == long
        assert format_date(DAY, "numeric") == numeric
        assert format_date(DAY, "short") == numeric  # never a two-digit year


@pytest.mark.parametrize("lang", ["uk", "sv", "en"])
@pytest.mark.parametrize("form", ["short", "numeric", "medium", "long"])
def test_times_to_the_minute_and_years_in_four_digits(app, lang, form):
    moment = datetime(2026, 12, 2, 13, 5, 42, tzinfo=UTC)
    with app.test_request_context(), force_locale(lang):
        shown = format_datetime(moment)
        assert "14:05" in format_datetime(moment, form)  # Stockholm, no seconds
        assert ":42" not in format_datetime(moment, form)
        assert "2026" in format_datetime(moment, form)
    assert "PM" not in shown and "AM" not in shown


def test_as_of_a_date_ends_in_one_full_stop(app):
    with app.test_request_context(), force_locale("uk"):
        sentence = f"станом на {format_date(DAY)}."
    assert full_stop(sentence).replace("\u202f", " ") == "станом на 2 грудня 2026 р."
    assert full_stop("Done.") == "Done." and full_stop("Wait...") == "Wait..."


def test_the_dashboard_says_as_of_with_one_full_stop(client, login):
    login("coordinator")
    body = client.get("/dashboard/?lang=uk").get_data(as_text=True)
    assert "р.." not in body
    assert re.search(r"\d{1,2} [а-яєії]+ \d{4}\W?р\.", body)


# ---------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("sv", "1\xa0200 behov"), ("uk", "1\xa0200 потреб"), ("en", "1,200 needs")],
)
def test_numbers_in_sentences_are_written_for_the_reader(app, lang, expected):
    with app.test_request_context(), force_locale(lang):
        assert ngettext("%(num)d need", "%(num)d needs", 1200) == expected
        assert format_number(100_000).replace("\xa0", " ") in ("100 000", "100,000")


def test_numbers_in_template_messages_too(app):
    from flask import render_template_string

    page = '{{ ngettext("%(num)d need", "%(num)d needs", 1200) }}'
    with app.test_request_context("/?lang=sv"):
        assert render_template_string(page) == "1\xa0200 behov"


# ---------------------------------------------------------------- the reader's alphabet

UKRAINIAN = ["Ґудзь", "Гай", "Єрмак", "Еней", "Іваненко", "Ярош", "Їжакевич", "Абрамович"]
SWEDISH = ["Örby", "Åby", "Zinkensdamm", "Älvsjö", "Alby"]


def test_ukrainian_names_in_ukrainian_order():
    assert sorted(UKRAINIAN, key=sort_key("uk")) == [
        "Абрамович", "Гай", "Ґудзь", "Еней", "Єрмак", "Іваненко", "Їжакевич", "Ярош",
    ]  # fmt: skip
    assert sorted(UKRAINIAN) != sorted(UKRAINIAN, key=sort_key("uk"))  # code points differ


def test_swedish_names_end_in_a_with_ring_a_umlaut_o_umlaut():
    assert sorted(SWEDISH, key=sort_key("sv")) == ["Alby", "Zinkensdamm", "Åby", "Älvsjö", "Örby"]


def test_districts_and_organisations_follow_the_readers_alphabet(app):
    from portal.reference import lists
    from portal.reference.models import City, Organisation

    kyiv = db.session.scalar(db.select(City).filter_by(code="kyiv"))
    for name in ("Ґрунтовий центр", "Гідроресурс", "Єдність", "Енергоцентр"):
        db.session.add(
            Organisation(city=kyiv, kind="ngo", name_en=name, name_sv=name, name_uk=name)
        )
    db.session.commit()
    with app.test_request_context("/?lang=uk"):
        names = [d.name for d in lists.districts()]
        assert names == sorted(names, key=sort_key("uk"))
        assert names.index("Шевченківський") > names.index("Голосіївський")
        orgs = [o.name for o in lists.organisations("requester")]
        assert orgs.index("Гідроресурс") < orgs.index("Ґрунтовий центр") < orgs.index("Енергоцентр")
        assert orgs.index("Енергоцентр") < orgs.index("Єдність")
        themes = [t.name for t in lists.themes()]
        assert themes == sorted(themes, key=sort_key("uk"))
    with app.test_request_context("/?lang=sv"):
        assert [t.name for t in by_name(lists.themes())] == [t.name for t in lists.themes()]


# ---------------------------------------------------------------- apostrophes in search


@pytest.mark.parametrize("lang", ["uk", "sv"])
def test_the_need_editor_lists_themes_and_districts_in_the_readers_alphabet(client, login, lang):
    login("requester")
    client.post("/language", data={"lang": lang, "next": "/"})
    page = client.get("/needs/new").get_data(as_text=True)

    def options(name: str) -> list[str]:
        select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S)
        assert select is not None, name
        # The empty choice ("Choose a theme") comes first; the rest in the reader's order.
        return re.findall(r'<option value="[^"]+"[^>]*>([^<]*)</option>', select[1])

    for name in ("theme", "district"):
        labels = options(name)
        assert len(labels) > 3
        assert labels == sorted(labels, key=sort_key(lang)), name


@pytest.mark.parametrize("typed", ["Солом'янський", "Солом’янський", "Соломʼянський"])
@pytest.mark.parametrize("stored", ["Солом'янський", "Солом’янський", "Соломʼянський"])
def test_search_finds_words_typed_with_any_apostrophe(users, typed, stored):
    from portal.content.search import any_version_contains
    from portal.needs.models import Need
    from tests.content.factories import make_need

    need = make_need(users["requester"], title=f"Насосна станція, {stored} район", lang="uk")
    found = db.session.scalars(
        db.select(Need.id).where(any_version_contains([Need.title_id, Need.description_id], typed))
    ).all()
    assert need.id in found


# ---------------------------------------------------------------- labels in the audit log


def test_the_audit_log_shows_labels_never_codes(app, users):
    from portal.audit import services as audit
    from portal.audit.views import _action_labels, _changes

    event = audit.record(
        users["coordinator"],
        "in_project",
        "need",
        1,
        {"status": "matched", "visibility": "partners"},
        {"status": "in_project", "visibility": "restricted"},
    )
    with app.test_request_context("/?lang=sv"):
        shown = {c.field: (c.before, c.after) for c in _changes(event)}
        assert shown["status"] == ("Matchat", "I projekt")
        assert shown["visibility"][1] == "Begränsad"
        assert _action_labels()["in_project"] == "Ingår i ett projekt"


def test_every_audited_action_has_a_label(app):
    from portal.audit.views import _action_labels

    source = "\n".join(p.read_text() for p in (ROOT / "portal").rglob("*.py"))
    actions = set(re.findall(r"audit\.record\(\s*[^,]+,\s*\"(\w+)\"", source))
    with app.test_request_context():
        assert actions and actions <= set(_action_labels())


def test_start_the_page_is_not_start_the_date(app):
    from flask_babel import pgettext

    with app.test_request_context(), force_locale("uk"):
        assert pgettext("page", "Start") != pgettext("date", "Start")
    with app.test_request_context(), force_locale("sv"):
        assert pgettext("date", "From") != pgettext("network address", "From")


# ---------------------------------------------------------------- place names and demo data

WRONG_PLACE_NAMES = re.compile(r"\b(Kiev|Kijev|Trojesjtjyna|Livoberezjn\w*|Livoberezhnyi)\b")


def test_kyivs_place_names_as_in_the_glossary():
    for path in ("portal/seed/data/demo.toml", "portal/seed/reference.py"):
        assert WRONG_PLACE_NAMES.findall((ROOT / path).read_text()) == [], path


def test_every_demo_need_offer_and_project_is_titled_in_three_languages():
    data = tomllib.loads((ROOT / "portal/seed/data/demo.toml").read_text())
    for kind in ("needs", "offers", "projects"):
        for record in data[kind]:
            assert sorted(record["title"]) == ["en", "sv", "uk"], record["title"]
