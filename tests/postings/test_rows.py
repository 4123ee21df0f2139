"""What a needs or offers list row says of a posting, in each language: the pieces written in
Python (portal.web: priority_badge, period, created) say what the Jinja macros said."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask import g
from flask_babel import force_locale, gettext

from portal.core.enums import Priority, Visibility
from portal.core.i18n import format_date
from portal.web import created_on, date_period, priority_badge
from tests import factories

START, END = date(2027, 3, 1), date(2027, 4, 30)


@pytest.fixture(params=["en", "sv", "uk"])
def lang(request, app):
    g.pop("_portal_lang", None)
    with app.test_request_context(f"/?lang={request.param}"), force_locale(request.param):
        yield request.param
    g.pop("_portal_lang", None)


def test_a_period_names_the_ends_it_has_in_the_readers_language(lang):
    first, last = format_date(START), format_date(END)
    joined = {"en": f"{first} – {last}", "sv": f"{first} till {last}", "uk": f"{first} – {last}"}
    assert date_period(START, END) == joined[lang]
    assert date_period(START, None) == gettext("from %(start)s", start=first)
    assert date_period(None, END) == gettext("until %(end)s", end=last)
    assert date_period(START, None) != first and date_period(None, END) != last
    assert date_period(None, None) == ""
    assert str(date_period(START, END)).count("2027") == 2


def test_priority_is_a_word_and_the_day_is_machine_readable(lang):
    words = {"en": "Priority:", "sv": "Prioritet:", "uk": "Пріоритет:"}[lang]
    assert priority_badge(Priority.HIGH) == (
        f'<span class="badge badge-high"><span class="visually-hidden">{words} </span>'
        f"{Priority.HIGH.label}</span>"
    )
    moment = datetime(2027, 3, 1, 23, 30, tzinfo=UTC)  # 2 March in Stockholm and Kyiv
    assert created_on(moment) == (
        f'<time datetime="{moment.isoformat()}">{format_date(date(2027, 3, 2))}</time>'
    )


@pytest.mark.parametrize("lang", ["en", "sv", "uk"])
def test_a_need_row_says_what_the_need_is_in_the_readers_language(client, users, lang):
    factories.make_need(
        users["requester"],
        title="Ferry pier repair",
        lang="en",
        priority=Priority.CRITICAL,
        wanted_from=START,
        wanted_until=END,
        visibility=Visibility.PUBLIC,
    )
    page = client.get(f"/needs/?lang={lang}").get_data(as_text=True)
    row = next(r for r in page.split("<li>") if "Ferry pier repair" in r).split("</li>")[0]
    g.pop("_portal_lang", None)
    with force_locale(lang):
        assert str(priority_badge(Priority.CRITICAL)) in row
        wanted = gettext("Wanted: %(period)s", period=date_period(START, END))
        assert str(wanted) in row and format_date(END) in row
        assert gettext("Posted %(date)s", date="") in row
    g.pop("_portal_lang", None)
