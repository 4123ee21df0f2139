"""List rows kept rendered by everything they show (portal.web.kept_row, portal.core.kept): a
kept row is the row rendered afresh, and a changed posting, name, language or time zone is a
new row, never the old one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from flask import g
from flask_babel import force_locale

from portal import web
from portal.core.enums import Priority, Visibility
from portal.core.i18n import format_date
from portal.extensions import db
from portal.needs.models import Need
from portal.reference import lists
from portal.reference.models import Theme
from tests import factories
from tests.projects import factories as pf

TITLE = "Ferry pier repair"


@pytest.fixture(autouse=True)
def no_rows_kept():
    web._kept_rows.clear()
    yield
    web._kept_rows.clear()


def row_of(page: str, title: str = TITLE) -> str:
    return next(r for r in page.split("<li>") if title in r).split("</li>")[0]


def public_need(users, **values) -> Need:
    return factories.make_need(
        users["requester"], title=TITLE, lang="en", visibility=Visibility.PUBLIC, **values
    )


@pytest.mark.parametrize("path", ["/needs/", "/offers/", "/projects/"])
def test_a_kept_row_is_the_row_rendered_afresh(client, users, login, path):
    if path == "/projects/":
        title = pf.start(users).title.original
        db.session.commit()
    elif path == "/offers/":
        title = factories.make_offer(users["expert"], title=TITLE, lang="en").title.original
    else:
        title = public_need(users).title.original
    login("coordinator")
    for lang in ("en", "sv", "uk"):
        web._kept_rows.clear()
        fresh = client.get(f"{path}?lang={lang}").get_data(as_text=True)
        assert len(web._kept_rows) >= 1
        kept = client.get(f"{path}?lang={lang}").get_data(as_text=True)
        assert row_of(kept, title) == row_of(fresh, title)
    # Each language's row is its own: the last one asked for was Ukrainian.
    english = row_of(client.get(f"{path}?lang=en").get_data(as_text=True), title)
    ukrainian = row_of(client.get(f"{path}?lang=uk").get_data(as_text=True), title)
    assert english != ukrainian


def test_a_changed_need_or_name_is_a_new_row(client, users):
    need = public_need(users, priority=Priority.HIGH)
    row = row_of(client.get("/needs/?lang=en").get_data(as_text=True))
    assert Priority.HIGH.label in row and "Water" in row

    db.session.get(Need, need.id).priority = Priority.CRITICAL
    db.session.commit()
    row = row_of(client.get("/needs/?lang=en").get_data(as_text=True))
    assert "badge-critical" in row and "badge-high" not in row

    theme = db.session.get(Theme, db.session.get(Need, need.id).theme_id)
    theme.name_en = "Harbours and piers"
    db.session.commit()
    lists.forget()  # as the admin's change does
    row = row_of(client.get("/needs/?lang=en").get_data(as_text=True))
    assert "Harbours and piers" in row


def test_the_day_posted_is_the_readers_day(client, users, login):
    # 23:30 on 1 March in Stockholm, 00:30 on 2 March in Kyiv.
    public_need(users, created_at=datetime(2027, 3, 1, 22, 30, tzinfo=UTC))
    with force_locale("en"):
        first, second = (
            format_date(date(2027, 3, 1), lang="en"),
            format_date(date(2027, 3, 2), lang="en"),
        )
    g.pop("_portal_lang", None)
    anonymous = row_of(client.get("/needs/?lang=en").get_data(as_text=True))  # Stockholm time
    assert "Posted <time" in anonymous and first in anonymous and second not in anonymous
    login("requester")  # in Kyiv
    kyiv = row_of(client.get("/needs/?lang=en").get_data(as_text=True))
    assert second in kyiv and first not in kyiv


@dataclass(frozen=True)
class Shown:
    id: int


class Loaded:  # as an ORM row: equal only to itself
    id = 1


@dataclass(frozen=True, eq=False)
class ByIdentity:  # frozen, but equal only to itself
    id: int


@dataclass(frozen=True)
class HoldingAList:  # frozen, but a list cannot be hashed
    ids: list[int]


def test_only_values_are_kept(app):
    rendered: list[int] = []

    def render() -> str:
        rendered.append(1)
        return "<li>row</li>"

    with app.test_request_context("/needs/"):
        for row in (Loaded(), Loaded(), ByIdentity(1), HoldingAList([1])):
            assert web.kept_row("needs", row, render) == "<li>row</li>"
        assert len(rendered) == 4 and len(web._kept_rows) == 0
        for _ in range(2):
            assert web.kept_row("needs", Shown(1), render) == "<li>row</li>"
        assert len(rendered) == 5 and len(web._kept_rows) == 1
        web.kept_row("offers", Shown(1), render)  # another list's row of the same values
        assert len(rendered) == 6


def test_a_kept_first_page_reads_titles_in_each_readers_language(client, users):
    """The first page's statement is kept per scope, filters and language (keyset_page's
    ``kept_as``): each language's page reads its own version of every title."""
    factories.make_need(
        users["requester"],
        title="Ferry pier repair",
        lang="en",
        title_translations={"uk": "Ремонт поромного причалу", "sv": "Reparation av färjeläget"},
        visibility=Visibility.PUBLIC,
    )
    for lang, title in (
        ("en", "Ferry pier repair"),
        ("uk", "Ремонт поромного причалу"),
        ("sv", "Reparation av färjeläget"),
        ("en", "Ferry pier repair"),
    ):
        page = client.get(f"/needs/?lang={lang}").get_data(as_text=True)
        assert f'<span lang="{lang}">{title}</span>' in page, lang


def test_kept_renderings_render_each_key_once_and_let_the_oldest_go():
    from portal.core.kept import KeptRenderings

    @dataclass(frozen=True)
    class Shown:
        title: str
        names: tuple[str, ...]

    rendered: list[str] = []

    def render(text: str):
        def made() -> str:
            rendered.append(text)
            return f"<li>{text}</li>"

        return made

    kept = KeptRenderings(2)
    first, second, third = (Shown(t, ("a", "b")) for t in ("one", "two", "three"))
    assert kept.get(("needs", "en", first), render("one")) == "<li>one</li>"
    # An equal value made anew (the next request's row) finds the same piece.
    assert kept.get(("needs", "en", Shown("one", ("a", "b"))), render("again")) == "<li>one</li>"
    assert (
        kept.get(("needs", "uk", first), render("one in Ukrainian")) == "<li>one in Ukrainian</li>"
    )
    assert rendered == ["one", "one in Ukrainian"] and len(kept) == 2
    kept.get(("needs", "en", second), render("two"))  # full: the oldest goes
    assert len(kept) == 2
    kept.get(("needs", "en", first), render("one, once more"))
    assert rendered[-1] == "one, once more"
    # A key that cannot be hashed is rendered every time and kept nowhere.
    kept.get(("needs", "en", ["a list"]), render("unhashable"))
    kept.get(("needs", "en", ["a list"]), render("unhashable"))
    assert rendered[-2:] == ["unhashable", "unhashable"] and len(kept) == 2
    kept.get(("needs", "en", third), render("three"))
    assert rendered[-1] == "three"
