"""The dashboard's aggregate panels are kept per visibility scope for DASHBOARD_CACHE_SECONDS:
the next dashboard of the same scope runs only the queries of its lists, one of another scope
computes its own, and after the time they are counted again. The entries live in the shared
cache (Redis in production): a second worker uses the first one's, and without Redis the
dashboard is simply counted every time."""

from __future__ import annotations

import pytest
import redis

from portal import create_app
from portal.core.enums import Visibility
from portal.core.visibility import Scope
from portal.dashboard import services
from portal.extensions import cache, db
from tests.conftest import EMAILS, TEST_REDIS_URL, PortalClient, count_queries
from tests.dashboard import builders as b


@pytest.fixture
def kept(app, monkeypatch):
    app.config["DASHBOARD_CACHE_SECONDS"] = 60
    cache.clear()
    clock = [1000.0]
    monkeypatch.setattr(services, "_clock", lambda: clock[0])
    yield clock
    cache.clear()


def _queries(app, client) -> int:
    with count_queries(app) as statements:
        assert client.get("/dashboard/").status_code == 200
    return len(statements)


def test_aggregates_are_kept_per_scope_and_for_a_while(app, client, login, users, kept):
    b.need(users["requester"], "water_sewage", "Kept need", visibility=Visibility.PUBLIC)
    db.session.commit()
    login("coordinator")
    client.get("/dashboard/")  # the session's first request does one-off work
    kept[0] += 61
    first = _queries(app, client)
    again = _queries(app, client)
    assert again == first - 5  # funnel, needs, projects, progress, unmatched: kept

    # A new need is not counted while the panels are kept (the page's filters)...
    as_on_the_page = services.Filters(agreement_id=b.agreement().id)
    b.need(users["requester"], "water_sewage", "Newer need", visibility=Visibility.PUBLIC)
    db.session.commit()
    assert services.funnel(users["coordinator"], as_on_the_page)[0].count == 1
    kept[0] += 61  # ...and is once they have expired: all five are counted again, and the
    # lists below them, kept until a write (core.current), are read again after this one
    # (milestones, their totals, two project lists, their titles), and the agreement's terms
    assert _queries(app, client) == again + 5 + 5 + 1
    assert services.funnel(users["coordinator"], as_on_the_page)[0].count == 2


def test_scopes_are_not_shared(app, users, kept):
    coordinator, expert, other_expert = users["coordinator"], users["expert"], users["other_expert"]
    assert services.visibility_scope(coordinator) == Scope.of(coordinator).key
    assert services.visibility_scope(expert) == f"organisation-{expert.organisation_id}"
    assert services.visibility_scope(expert) != services.visibility_scope(other_expert)
    b.need(users["requester"], "water_sewage", "Restricted", visibility=Visibility.RESTRICTED)
    db.session.commit()
    assert services.funnel(coordinator, services.Filters())[0].count == 1
    assert services.funnel(expert, services.Filters())[0].count == 0  # not the coordinator's


def _worker(database_url: str, **config):
    """Another gunicorn worker (or app server): an app of its own, sharing the database."""
    app = create_app(
        {
            "ENV_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "DASHBOARD_CACHE_SECONDS": 60,
            **config,
        }
    )
    app.test_client_class = PortalClient
    return app


def test_workers_share_the_kept_aggregates_through_redis(app, users, redis_prefix):
    b.need(users["requester"], "water_sewage", "Shared need", visibility=Visibility.PUBLIC)
    db.session.commit()
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    redis_cache = {
        "CACHE_TYPE": "RedisCache",
        "CACHE_REDIS_URL": TEST_REDIS_URL,
        "CACHE_KEY_PREFIX": redis_prefix,
    }
    first, second = _worker(url, **redis_cache), _worker(url, **redis_cache)
    filters = services.Filters()
    with first.app_context():
        assert services.funnel(users["coordinator"], filters)[0].count == 1
    b.need(users["requester"], "water_sewage", "Later need", visibility=Visibility.PUBLIC)
    db.session.commit()
    with second.app_context():
        coordinator = db.session.merge(users["coordinator"])
        # The second worker counts nothing itself: it shows the first one's kept count...
        with count_queries(second) as statements:
            assert services.funnel(coordinator, filters)[0].count == 1
        assert statements == []
        db.session.remove()
        db.engine.dispose()
    # ...which is in Redis, under the portal's prefix.
    keys = list(redis.Redis.from_url(TEST_REDIS_URL).scan_iter(f"{redis_prefix}dashboard:*"))
    assert len(keys) == 1
    with first.app_context():
        db.session.remove()
        db.engine.dispose()


def test_without_redis_the_dashboard_is_counted_every_time(app, users, caplog):
    b.need(users["requester"], "water_sewage", "Counted need", visibility=Visibility.PUBLIC)
    db.session.commit()
    nowhere = _worker(
        app.config["SQLALCHEMY_DATABASE_URI"],
        CACHE_TYPE="RedisCache",
        CACHE_REDIS_URL="redis://127.0.0.1:9/0",  # nothing listens on the discard port
        CACHE_OPTIONS={"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    )
    client = nowhere.test_client()
    client.login(EMAILS["coordinator"])
    response = client.get("/dashboard/")
    assert response.status_code == 200
    assert "dashboard cache unavailable" in caplog.text
    with nowhere.app_context():
        b.need(users["requester"], "water_sewage", "Second need", visibility=Visibility.PUBLIC)
        db.session.commit()
        assert services.funnel(users["coordinator"], services.Filters())[0].count == 2
        db.session.remove()
        db.engine.dispose()


def _figures(body: str) -> str:
    """The aggregate panels of a dashboard page: from the funnel's panel to the panels' end."""
    start = body.index('<section class="panel" aria-labelledby="panel-funnel">')
    return body[start : body.index("</main>")]


@pytest.fixture
def drawn(app):
    """How many times the aggregate panels' template has been drawn."""
    from flask import template_rendered

    names: list[str] = []

    def record(sender, template, context, **extra):
        names.append(template.name)

    template_rendered.connect(record, app)
    yield lambda: names.count("dashboard/_figures.html")
    template_rendered.disconnect(record, app)


def test_figures_are_drawn_once_while_their_rows_are_kept(app, client, login, users, kept, drawn):
    b.need(users["requester"], "water_sewage", "Kept need", visibility=Visibility.PUBLIC)
    db.session.commit()
    login("coordinator")
    first = client.get("/dashboard/").get_data(as_text=True)
    assert drawn() == 1
    assert "Needs at each stage" in _figures(first)

    # The same rows: the same HTML, not drawn again, even after a new need (not counted yet).
    b.need(users["requester"], "water_sewage", "Newer need", visibility=Visibility.PUBLIC)
    db.session.commit()
    again = client.get("/dashboard/").get_data(as_text=True)
    assert drawn() == 1
    assert _figures(again) == _figures(first)

    # Another language: drawn in it, once.
    swedish = client.get("/dashboard/?lang=sv").get_data(as_text=True)
    assert drawn() == 2
    assert "Behov i varje steg" in _figures(swedish)
    assert _figures(swedish) == _figures(client.get("/dashboard/?lang=sv").get_data(as_text=True))
    assert drawn() == 2

    # Rows counted again (the time is up): drawn from them, with the new need.
    kept[0] += 61
    later = client.get("/dashboard/?lang=en").get_data(as_text=True)
    assert drawn() == 3
    assert _figures(later) != _figures(first)
    assert _figures(later) == _figures(_uncached(app, client, "/dashboard/?lang=en"))


def _uncached(app, client, path: str) -> str:
    """The page as drawn with nothing kept."""
    seconds = app.config["DASHBOARD_CACHE_SECONDS"]
    app.config["DASHBOARD_CACHE_SECONDS"] = 0
    try:
        return client.get(path).get_data(as_text=True)
    finally:
        app.config["DASHBOARD_CACHE_SECONDS"] = seconds


def test_kept_figures_are_the_scopes_own(app, client, login, users, kept, drawn):
    """Each visibility scope gets the figures drawn from its own rows: a coordinator's counts
    of a restricted need never reach an expert who may not see it, and every scope's kept
    figures are what it is shown with nothing kept."""
    b.need(users["requester"], "water_sewage", "Open need", visibility=Visibility.PUBLIC)
    b.need(users["requester"], "water_sewage", "Restricted", visibility=Visibility.RESTRICTED)
    db.session.commit()
    figures = {}
    for who in ("coordinator", "expert", "other_expert"):
        login(who)
        client.get("/dashboard/")
        figures[who] = _figures(client.get("/dashboard/").get_data(as_text=True))
        assert figures[who] == _figures(_uncached(app, client, "/dashboard/"))
        client.logout()
    assert figures["coordinator"] != figures["expert"]
    assert drawn() == 3 + 3  # once per scope kept, once per scope with nothing kept


def test_kept_panels_are_read_in_one_round_trip(app, client, login, users, kept, monkeypatch):
    b.need(users["requester"], "water_sewage", "Fetched need", visibility=Visibility.PUBLIC)
    db.session.commit()
    login("coordinator")
    client.get("/dashboard/")  # counts and keeps the five panels
    before = _queries(app, client)
    reads: list[tuple[str, int]] = []
    get, get_many = cache.get, cache.get_many

    def one(key):
        if key.startswith(("dashboard:", "current:")):
            reads.append(("get", 1))
        return get(key)

    def many(*keys):
        if any(key.startswith("dashboard:") for key in keys):  # not the data version's read
            reads.append(("get_many", len(keys)))
        return get_many(*keys)

    monkeypatch.setattr(cache, "get", one)
    monkeypatch.setattr(cache, "get_many", many)
    # A new need: the kept panels still say one, read from the one round trip (the lists
    # below them and the agreement's terms are read again: they are kept only until a write).
    b.need(users["requester"], "water_sewage", "Later need", visibility=Visibility.PUBLIC)
    db.session.commit()
    assert _queries(app, client) == before + 5 + 1
    assert reads == [("get_many", 6)]  # five panels and the lists below them
    reads.clear()
    as_on_the_page = services.Filters(agreement_id=b.agreement().id)
    with app.test_request_context():
        board = services.build(
            db.session.merge(users["coordinator"]), as_on_the_page, all_themes=[], agreement=None
        )
    assert board.funnel[0].count == 1
    assert reads == [("get_many", 6)]


def _overdue(app, viewer) -> list[str]:
    """The overdue milestones' titles on ``viewer``'s dashboard, built as a request does (an
    application context of its own: the data version is read once per request)."""
    with app.app_context(), app.test_request_context():
        board = services.build(
            db.session.merge(viewer), services.Filters(), all_themes=[], agreement=None
        )
        return [m.title.render("en").body for m in board.overdue_milestones.items]


def test_the_lists_are_kept_until_a_write_and_never_across_scopes(app, users, kept):
    """The lists below the figures are what they are now: kept, but only until the next write
    (the data version, core.current), and per visibility scope as everything kept."""
    requester, expert, other_expert = users["requester"], users["expert"], users["other_expert"]
    restricted = b.project(
        requester,
        b.org_of(requester),
        b.org_of(expert),
        "water_sewage",
        "Pumps",
        visibility=Visibility.RESTRICTED,
    )
    b.milestone(restricted, "Pumps ordered", -3)
    db.session.commit()
    assert _overdue(app, expert) == ["Pumps ordered"]
    with count_queries(app) as statements:
        assert _overdue(app, expert) == ["Pumps ordered"]
    assert not [s for s in statements if "milestones" in s]  # kept: nothing read
    assert _overdue(app, other_expert) == []  # another scope: its own, without the project

    b.milestone(restricted, "Pipes laid", -1)  # a write: every kept list is out of date
    db.session.commit()
    assert _overdue(app, expert) == ["Pumps ordered", "Pipes laid"]
    assert _overdue(app, other_expert) == []
