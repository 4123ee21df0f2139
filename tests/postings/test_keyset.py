"""Paging needs, offers and projects by keyset, and their counts: every row once across the pages
in every order (also when many rows share a sort key), back the same way, made-up cursors showing
the first page, and counts that never include what the viewer may not see."""

from __future__ import annotations

import html
import re
import time
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from flask import render_template
from flask_babel import force_locale
from itsdangerous import URLSafeSerializer

from portal.core import counts
from portal.core.counts import ListCount
from portal.core.enums import Priority, Visibility
from portal.core.types import utcnow
from portal.extensions import db
from portal.needs import services as needs
from portal.needs.services import NeedFilters
from portal.offers import services as offers
from portal.offers.services import OfferFilters
from portal.projects import queries as projects
from portal.projects.models import Project
from portal.projects.queries import ProjectFilters
from tests.conftest import count_queries
from tests.factories import make_need, make_offer
from tests.projects import factories as pf

PER_PAGE = 3
NEXT = re.compile(r'<a href="([^"]+)" rel="next">')
PREV = re.compile(r'<a href="([^"]+)" rel="prev">')


def _ids(page: str, prefix: str) -> list[int]:
    return [int(n) for n in re.findall(rf'<h[23]><a href="{prefix}/(\d+)">', page)]


def _walk(client, start: str, prefix: str) -> list[list[int]]:
    """The ids of every page, following "Next" from ``start``, then "Previous" back."""
    forward, url = [], start
    while url:
        page = client.get(url).get_data(as_text=True)
        forward.append(_ids(page, prefix))
        found = NEXT.search(page)
        url = html.unescape(found.group(1)) if found else None
        assert len(forward) < 50, "the pages do not end"
    backward = [forward[-1]]
    while (found := PREV.search(page)) is not None:
        page = client.get(html.unescape(found.group(1))).get_data(as_text=True)
        backward.append(_ids(page, prefix))
        assert len(backward) < 50, "the pages do not end"
    return [forward, backward[::-1]]


def _tied_needs(users) -> None:
    """Ten needs with three creation moments, two priorities and a wanted start that is often
    missing: most rows tie with another on the first sort key, some on two."""
    now = utcnow().replace(microsecond=0)
    for i in range(10):
        make_need(
            users["requester"] if i % 3 else users["other_requester"],
            title=f"Tied need {i}",
            created_at=now - timedelta(hours=i % 3),
            priority=Priority.CRITICAL if i % 2 else Priority.LOW,
            wanted_from=None if i % 4 == 0 else date(2027, 1, 1 + i % 2),
            visibility=Visibility.PARTNERS,
        )


@pytest.mark.parametrize("sort", needs.SORTS)
def test_needs_pages_hold_every_row_once_in_every_order(app, login, users, sort):
    app.config["PAGE_SIZE"] = PER_PAGE
    _tied_needs(users)
    expected = [
        n.id for n in db.session.scalars(needs.needs_query(users["expert"], NeedFilters(sort=sort)))
    ]
    client = login("expert")
    forward, backward = _walk(client, f"/needs/?sort={sort}", "/needs")
    assert [i for page in forward for i in page] == expected
    assert len(expected) == 10 and len(forward) == 4
    assert backward == forward


@pytest.mark.parametrize("sort", offers.SORTS)
def test_offers_pages_hold_every_row_once_in_every_order(app, login, users, sort):
    app.config["PAGE_SIZE"] = PER_PAGE
    now = utcnow().replace(microsecond=0)
    for i in range(8):
        make_offer(
            users["expert"] if i % 2 else users["other_expert"],
            title=f"Tied offer {i}",
            created_at=now - timedelta(hours=i % 2),
            available_from=date(2027, 1, 1 + i % 3),
        )
    expected = [
        o.id
        for o in db.session.scalars(
            offers.offers_query(users["requester"], OfferFilters(sort=sort))
        )
    ]
    forward, backward = _walk(login("requester"), f"/offers/?sort={sort}", "/offers")
    assert [i for page in forward for i in page] == expected
    assert len(expected) == 8 and len(forward) == 3
    assert backward == forward


def test_projects_pages_hold_every_row_once(app, client, users):
    app.config["PAGE_SIZE"] = PER_PAGE
    for n in range(7):
        pf.bare_project(users, n)
    db.session.flush()
    moment = utcnow().replace(microsecond=0)
    for project in db.session.scalars(db.select(Project)):
        project.created_at = moment  # every project ties on the sort key
    db.session.commit()
    expected = [p.id for p in db.session.scalars(projects.projects_query(None))]
    forward, backward = _walk(client, "/projects/", "/projects")
    assert [i for page in forward for i in page] == expected
    assert len(expected) == 7 and len(forward) == 3
    assert backward == forward


def test_the_htmx_list_carries_the_same_links(app, login, users):
    app.config["PAGE_SIZE"] = PER_PAGE
    _tied_needs(users)
    client = login("expert")
    fragment = client.get("/needs/?sort=priority", headers={"HX-Request": "true"})
    assert fragment.headers["Vary"].count("HX-Request") == 1
    text = fragment.get_data(as_text=True)
    assert "<h1" not in text
    url = html.unescape(NEXT.search(text).group(1))
    assert url.startswith("/needs/?") and "sort=priority" in url and "after=" in url


@pytest.mark.parametrize(
    "query",
    [
        "after=garbage",
        "before=garbage",
        "after=" + "A" * 5000,
        "after=WyJuZWVkOm5ld2VzdCIsW11d.forged",
        "after=%00&before=%ff",
        "page=2&after=x",
    ],
)
def test_a_made_up_cursor_shows_the_first_page(app, login, users, query):
    app.config["PAGE_SIZE"] = PER_PAGE
    _tied_needs(users)
    client = login("expert")
    first = client.get("/needs/").get_data(as_text=True)
    response = client.get("/needs/?" + query)
    assert response.status_code == 200
    if not query.startswith("page=2"):
        assert _ids(response.get_data(as_text=True), "/needs") == _ids(first, "/needs")


def test_a_cursor_of_another_order_or_key_shows_the_first_page(app, login, users):
    app.config["PAGE_SIZE"] = PER_PAGE
    _tied_needs(users)
    client = login("expert")
    newest = client.get("/needs/").get_data(as_text=True)
    cursor = html.unescape(NEXT.search(newest).group(1)).split("after=")[1]
    first_by_priority = _ids(client.get("/needs/?sort=priority").get_data(as_text=True), "/needs")
    shown = client.get(f"/needs/?sort=priority&after={cursor}").get_data(as_text=True)
    assert _ids(shown, "/needs") == first_by_priority
    # The same values signed with another key: refused as well.
    forged = URLSafeSerializer("not the portal's key", salt="list-cursor").dumps(
        ["need:newest", [["t", utcnow().isoformat()], 1]]
    )
    shown = client.get(f"/needs/?after={forged}").get_data(as_text=True)
    assert _ids(shown, "/needs") == _ids(newest, "/needs")


# ---------------------------------------------------------------- counts


def _restricted_need(users):
    return make_need(users["requester"], title="Pumping station", visibility=Visibility.RESTRICTED)


def test_counts_leave_out_what_the_viewer_may_not_see(app, client, login, users):
    make_need(users["requester"], title="Public school", visibility=Visibility.PUBLIC)
    _restricted_need(users)

    def counted(viewer):
        return needs.list_needs(viewer, NeedFilters()).count

    assert counted(users["requester"]) == ListCount(2)
    assert counted(users["other_requester"]) == ListCount(1)
    assert counted(None) == ListCount(1)
    assert counted(users["coordinator"]) == ListCount(2)
    assert "1 need" in client.get("/needs/").get_data(as_text=True)
    assert "2 needs" in login("requester").get("/needs/").get_data(as_text=True)


def test_kept_counts_are_kept_per_visibility_scope(app, users, monkeypatch):
    """Past the limit (here 0) counts are kept; a count kept for the organisation that sees its
    restricted need is never given to another organisation or to the public."""
    monkeypatch.setattr(counts, "EXACT_UP_TO", 0)
    app.config["LIST_COUNT_SECONDS"] = 60
    make_need(users["requester"], title="Public school", visibility=Visibility.PUBLIC)
    _restricted_need(users)
    with app.test_request_context():
        own = needs.list_needs(users["requester"], NeedFilters()).count
        other = needs.list_needs(users["other_requester"], NeedFilters()).count
        public = needs.list_needs(None, NeedFilters()).count
        searched = needs.list_needs(None, NeedFilters(q="school")).count
    assert own == ListCount(2, exact=False)
    assert other == ListCount(1, exact=False) and public == ListCount(1, exact=False)
    assert searched.at_least
    # Kept: a third need changes nothing until the entry expires.
    make_need(users["requester"], title="Public library", visibility=Visibility.PUBLIC)
    with app.test_request_context():
        assert needs.list_needs(None, NeedFilters()).count == ListCount(1, exact=False)
        assert needs.list_needs(users["requester"], NeedFilters()).count == own


def test_a_kept_count_is_read_from_the_shared_cache_once_per_moment(app, users, monkeypatch):
    """A kept count read from Redis is kept in the worker a few seconds: the next readers of the
    same list and scope ask nobody; readers of another scope still get their own count; and
    once the moment is over the shared cache is asked again."""
    from portal.extensions import cache

    monkeypatch.setattr(counts, "EXACT_UP_TO", 0)
    app.config["LIST_COUNT_SECONDS"] = 60
    make_need(users["requester"], title="Public school", visibility=Visibility.PUBLIC)
    _restricted_need(users)
    asked: list[str] = []
    shared_get = cache.get

    def get(key):
        if key.startswith("list-count:"):  # not the data version, started on first use
            asked.append(key)
        return shared_get(key)

    monkeypatch.setattr(cache, "get", get)
    with app.test_request_context():
        assert needs.list_needs(None, NeedFilters()).count == ListCount(1, exact=False)
    assert len(asked) == 1  # nothing kept yet: asked, then counted and kept in both
    app.extensions.pop("portal_list_counts")  # another worker: only Redis holds it
    with app.test_request_context():
        assert needs.list_needs(None, NeedFilters()).count == ListCount(1, exact=False)
    assert len(asked) == 2
    for _reader in range(3):
        with app.test_request_context():
            assert needs.list_needs(None, NeedFilters()).count == ListCount(1, exact=False)
    assert len(asked) == 2  # the worker's copy
    with app.test_request_context():
        own = needs.list_needs(users["requester"], NeedFilters()).count
    assert own == ListCount(2, exact=False) and len(asked) == 3  # another scope, another key
    local = app.extensions["portal_list_counts"]._kept
    local.expire(time.monotonic() + counts.LOCAL_SECONDS + 1)  # the moment is over
    with app.test_request_context():
        assert needs.list_needs(None, NeedFilters()).count == ListCount(1, exact=False)
    assert len(asked) == 4


def _request(app):
    """A request of its own, as each is under a server: its own application context (``g``,
    where the data version is read once per request)."""
    from contextlib import ExitStack

    stack = ExitStack()
    stack.enter_context(app.app_context())
    stack.enter_context(app.test_request_context())
    return stack


def test_short_lists_are_counted_afresh_and_long_ones_read_from_the_cache(app, users, monkeypatch):
    app.config["LIST_COUNT_SECONDS"] = 60
    make_need(users["requester"], title="Public school", visibility=Visibility.PUBLIC)
    _restricted_need(users)
    with _request(app):
        assert needs.list_needs(None, NeedFilters()).count == ListCount(1)
    with _request(app), count_queries(app) as statements:
        assert needs.list_needs(None, NeedFilters()).count == ListCount(1)
    # Nothing written since: the short count is read where it was kept, not counted again.
    assert not [s for s in statements if "count(" in s.lower()]
    with _request(app):  # the organisation that sees its restricted need: a count of its own
        assert needs.list_needs(users["requester"], NeedFilters()).count == ListCount(2)
        assert needs.list_needs(users["other_requester"], NeedFilters()).count == ListCount(1)
    make_need(users["requester"], title="Public library", visibility=Visibility.PUBLIC)
    with _request(app):
        # A write since (the data version moved on): counted afresh, the new need with it.
        assert needs.list_needs(None, NeedFilters()).count == ListCount(2)
    with _request(app):
        assert needs.list_needs(users["requester"], NeedFilters()).count == ListCount(3)
    monkeypatch.setattr(counts, "EXACT_UP_TO", 1)
    make_need(users["requester"], title="Public park", visibility=Visibility.PUBLIC)
    with _request(app):
        assert needs.list_needs(None, NeedFilters()).count == ListCount(3, exact=False)
    # A long count is kept for its time whatever is written meanwhile ("about" says so).
    make_need(users["requester"], title="Public pool", visibility=Visibility.PUBLIC)
    with _request(app), count_queries(app) as statements:
        assert needs.list_needs(None, NeedFilters()).count == ListCount(3, exact=False)
    assert not [s for s in statements if "count(" in s.lower()]  # kept: nothing counted


def test_project_counts_leave_out_restricted_projects(app, users):
    pf.bare_project(users, 1)
    pf.bare_project(users, 2, visibility=Visibility.RESTRICTED)
    db.session.commit()
    assert projects.list_projects(None, ProjectFilters()).count == ListCount(1)
    assert projects.list_projects(users["expert"], ProjectFilters()).count == ListCount(2)
    assert projects.list_projects(users["other_expert"], ProjectFilters()).count == ListCount(1)


@pytest.mark.parametrize(
    ("lang", "count", "shown"),
    [
        ("en", ListCount(1), "1 need"),
        ("en", ListCount(734), "734 needs"),
        ("en", ListCount(12_345, exact=False), "about 12,000 needs"),
        ("en", ListCount(1_000, exact=False, at_least=True), "more than 1,000 needs"),
        ("sv", ListCount(734), "734 behov"),
        ("sv", ListCount(1_234, exact=False), "omkring 1\u00a0200 behov"),
        ("sv", ListCount(1_000, exact=False, at_least=True), "fler än 1\u00a0000 behov"),
        ("uk", ListCount(21), "21 потреба"),
        ("uk", ListCount(3), "3 потреби"),
        ("uk", ListCount(12_345, exact=False), "приблизно 12\u00a0000 потреб"),
        ("uk", ListCount(1_000, exact=False, at_least=True), "понад 1\u00a0000 потреб"),
    ],
)
def test_count_wording_in_three_languages(app, lang, count, shown):
    with app.test_request_context(), force_locale(lang):
        text = render_template("needs/_count.html", page=SimpleNamespace(count=count))
    assert re.sub(r"[ \n]+", " ", text).strip().replace("\u202f", "\u00a0") == shown


@pytest.mark.parametrize(
    ("template", "lang", "shown"),
    [
        ("offers/_count.html", "uk", "приблизно 2\u00a0300 пропозицій"),
        ("offers/_count.html", "sv", "omkring 2\u00a0300 erbjudanden"),
        ("projects/_count.html", "uk", "приблизно 2\u00a0300 проєктів"),
        ("projects/_count.html", "en", "about 2,300 projects"),
    ],
)
def test_offer_and_project_counts_say_about(app, template, lang, shown):
    count = ListCount(2_301, exact=False)
    with app.test_request_context(), force_locale(lang):
        text = render_template(
            template, page=SimpleNamespace(count=count), projects=SimpleNamespace(count=count)
        )
    assert re.sub(r"[ \n]+", " ", text).strip().replace("\u202f", "\u00a0") == shown


def test_a_cursor_made_before_a_key_rotation_still_reads(app, login, users):
    app.config["PAGE_SIZE"] = PER_PAGE
    _tied_needs(users)
    client = login("expert")
    first = client.get("/needs/").get_data(as_text=True)
    second_url = html.unescape(NEXT.search(first).group(1))
    second = _ids(client.get(second_url).get_data(as_text=True), "/needs")
    old_key = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = "a new key"
    app.config["SECRET_KEY_FALLBACKS"] = [old_key]
    client = login("expert")
    assert _ids(client.get(second_url).get_data(as_text=True), "/needs") == second
    assert second != _ids(first, "/needs")
