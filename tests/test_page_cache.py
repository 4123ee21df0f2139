"""Kept pages and list fragments (portal.core.pagecache): the same bytes as a page rendered
afresh for every scope, never another scope's, out of date the moment a write commits (on
every worker sharing Redis), and anonymous visitors of public pages get no session."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import brotli
import pytest
import redis
import sqlalchemy
from sqlalchemy.dialects import postgresql

from portal import create_app
from portal.accounts.services import create_user
from portal.core import pagecache
from portal.core.enums import (
    MatchStatus,
    NeedStatus,
    Priority,
    ProjectStatus,
    Role,
    Visibility,
)
from portal.core.visibility import Scope
from portal.extensions import cache, db
from portal.matching.models import Match
from portal.needs.models import Need
from portal.offers.models import Offer
from portal.projects.models import Milestone, Project
from tests import factories as f
from tests.conftest import (
    EMAILS,
    PASSWORD,
    TEST_REDIS_URL,
    PortalClient,
    count_queries,
    masked,
)
from tests.test_reference_lists import _new_organisation
from tests.test_visibility_crawl import MARKER, _crawl, _file_text, _seed_restricted

SCOPES = (None, "requester", "other_expert", "coordinator")


def _cache_on(app) -> None:
    app.config["PAGE_CACHE_SECONDS"] = 300
    cache.clear()


def _cache_off(app) -> None:
    app.config["PAGE_CACHE_SECONDS"] = 0


def _seed(users) -> dict[str, Any]:
    """A public, a partners and a restricted need of Kyivvodokanal, the restricted one matched
    with an offer of Stockholm Vatten (so its organisation sees it), and projects."""
    requester, expert = users["requester"], users["expert"]
    public = f.make_need(requester, title="Public pumps", visibility=Visibility.PUBLIC)
    f.make_need(requester, title="Partners pipes", visibility=Visibility.PARTNERS)
    f.make_need(requester, title="Draft of Kyivvodokanal", status=NeedStatus.DRAFT)
    restricted = f.make_need(
        requester, title=f"Restricted station {MARKER}", visibility=Visibility.RESTRICTED
    )
    offer = f.make_offer(expert, title="Open offer", visibility=Visibility.PUBLIC)
    f.make_match(restricted, offer, requester, status=MatchStatus.PROPOSED)
    project = _public_project(users)
    ids = _seed_restricted(users)
    return {"public_need": public.id, "public_offer": offer.id, "public_project": project.id, **ids}


def _public_project(users) -> Project:
    requester, expert = users["requester"], users["expert"]
    project = Project(
        agreement=f.agreement(),
        theme=f.theme("water_sewage"),
        requester_lead=requester.organisation,
        expert_lead=expert.organisation,
        title=f.text("Public pumping project", "en"),
        description=f.text("Pumps for everyone", "en"),
        starts_on=date.today(),
        ends_on=date.today() + timedelta(days=60),
        status=ProjectStatus.ACTIVE,
        visibility=Visibility.PUBLIC,
        created_by=users["coordinator"],
        organisations=[requester.organisation, expert.organisation],
    )
    project.milestones.append(
        Milestone(title=f.text("Survey", "en"), due_on=date.today() - timedelta(days=1), weight=1)
    )
    db.session.add(project)
    db.session.commit()
    return project


def _pages(ids: dict[str, Any]) -> list[tuple[str, dict[str, str]]]:
    """Every kept page and list, plain and as htmx asks for its list, with filters and pages."""
    lists = [
        "/",
        "/needs/",
        "/needs/?status=all",
        "/needs/?q=station&status=all",
        "/needs/?visibility=restricted&page=1",
        "/needs/?sort=oldest&page=2",
        "/offers/",
        "/offers/?status=all",
        "/projects/",
        "/projects/?status=active",
        f"/needs/{ids['public_need']}",
        f"/offers/{ids['public_offer']}",
        f"/projects/{ids['public_project']}",
    ]
    pages = [(url, {}) for url in lists]
    pages += [(url, {"HX-Request": "true"}) for url in lists if "/?" in url or url.endswith("s/")]
    pages += [("/needs/", {"Accept-Language": "uk"}), ("/projects/", {"Accept-Language": "sv"})]
    return pages


def _client(app, who: str | None) -> PortalClient:
    client: PortalClient = app.test_client()  # type: ignore[assignment]
    if who:
        client.login(EMAILS[who])
    return client


def _bodies(client, pages) -> dict[str, str]:
    bodies = {}
    for url, headers in pages:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, url
        bodies[f"{url} {headers}"] = masked(response.get_data(as_text=True))
    return bodies


def _on_one_day(run):
    """What ``run`` returns, from a run that started and ended on one calendar day. The pages
    say "as of <today>" and the keys carry the date, so a page rendered before midnight and one
    kept after it rightly differ: such a run (CI can pass midnight) is run once more."""
    while True:
        day = date.today()
        result = run()
        if date.today() == day:
            return result


# ---------------------------------------------------------------- the scope


def test_the_visibility_rules_read_nothing_but_the_scope(app, users):
    """Two people of one organisation get the very same SQL from every rule (so one kept list
    serves both); another organisation or a coordinator gets another rule and another key."""
    requester = users["requester"]
    colleague = create_user(
        email="admin.kyiv@kyiv.test",
        name="Iryna Shevchenko",
        password=PASSWORD,
        role=Role.ADMIN,
        organisation=requester.organisation,
        actor=None,
    )
    db.session.commit()

    def sql(model: Any, user: Any) -> str:
        compiled = model.visible_to(user).compile(
            dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}
        )
        return str(compiled)

    assert Scope.of(colleague) == Scope.of(requester)
    for model in (Need, Offer, Project, Match):
        assert sql(model, colleague) == sql(model, requester), model
        assert sql(model, users["other_requester"]) != sql(model, requester), model
    keys = {Scope.of(users[who]).key for who in ("requester", "expert", "coordinator")}
    assert len(keys | {Scope.of(None).key}) == 4
    assert Scope.of(None).key == "public"


# ---------------------------------------------------------------- no session for public pages


def test_anonymous_visitors_of_public_pages_get_no_session(app, client, users):
    ids = _seed(users)
    for url in (
        "/",
        "/needs/",
        "/offers/",
        "/projects/",
        f"/needs/{ids['public_need']}",
        f"/offers/{ids['public_offer']}",
        "/needs/?theme=water_sewage",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Set-Cookie" not in response.headers, url
        assert "Cookie" not in response.vary, url
        assert {"Accept-Language", "HX-Request"} <= set(response.vary), url
        assert response.headers["Cache-Control"] == "public, max-age=0, s-maxage=30", url
        body = response.get_data(as_text=True)
        assert "csrf" not in body.lower(), url
    assert client.get_cookie("session") is None


def test_forms_for_anonymous_visitors_still_carry_a_token(app, client):
    for url in ("/login", "/accessibility/report", "/password/forgot"):
        response = app.test_client().get(url)  # each a first visit
        assert response.status_code == 200, url
        assert "session=" in response.headers.get("Set-Cookie", ""), url
        assert "Cookie" in response.vary and "Cache-Control" not in response.headers, url
        assert 'name="csrf-token"' in response.get_data(as_text=True), url
    page = client.get("/accessibility/report").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    token = token or re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    sent = client.post(
        "/accessibility/report",
        data={"csrf_token": token.group(1), "description": "The map cannot be used by keyboard."},
        csrf=False,
    )
    assert sent.status_code == 302
    refused = client.post(
        "/accessibility/report", data={"description": "No token at all."}, csrf=False
    )
    assert refused.status_code == 400


def test_a_chosen_language_sticks_and_is_not_kept_for_others(app, client):
    _cache_on(app)
    assert 'lang="sv"' in client.get("/needs/?lang=sv").get_data(as_text=True)
    assert 'lang="sv"' in client.get("/needs/").get_data(as_text=True)  # the session remembers
    stranger = app.test_client()
    assert '<html lang="en"' in stranger.get("/needs/").get_data(as_text=True)
    assert '<html lang="uk"' in stranger.get("/needs/", headers={"Accept-Language": "uk"}).get_data(
        as_text=True
    )


# ---------------------------------------------------------------- the same bytes, each scope


@pytest.mark.parametrize("who", SCOPES)
def test_kept_pages_are_the_pages_rendered_afresh(app, users, who):
    """Each kept page and list, for each scope: rendered without the cache, then with it (kept),
    then again (served from it): the same page, and never another scope's."""
    ids = _seed(users)
    pages = _pages(ids)
    client = _client(app, who)

    def fresh_and_kept():
        _cache_off(app)
        fresh = _bodies(client, pages)
        _cache_on(app)
        # Others fill the cache first: their scopes must not answer this viewer.
        for other in SCOPES:
            if other != who:
                _bodies(_client(app, other), pages)
        return fresh, (_bodies(client, pages), _bodies(client, pages))

    fresh, kept_twice = _on_one_day(fresh_and_kept)
    for kept in kept_twice:
        for page, body in kept.items():
            assert body == fresh[page], page
    sees_marker = who in ("requester", "coordinator")
    assert any(MARKER in body for body in fresh.values()) == sees_marker


def test_a_kept_public_page_is_served_without_the_database(app, client, users):
    _seed(users)
    _cache_on(app)
    first = client.get("/needs/", headers={"Accept-Encoding": "br"})
    with count_queries(app) as statements:
        again = client.get("/needs/", headers={"Accept-Encoding": "br"})
    assert statements == []
    assert again.headers["Content-Encoding"] == "br"
    assert again.get_data() == first.get_data()  # the compressed bytes, kept
    assert b"Public pumps" in brotli.decompress(again.get_data())
    plain = client.get("/needs/")  # another encoding: kept apart
    assert "Content-Encoding" not in plain.headers
    assert "Public pumps" in plain.get_data(as_text=True)


def _flask_answers(app, monkeypatch) -> list[str]:
    """The paths Flask itself answered from now on (not PublicPagesFirst before it)."""
    answered: list[str] = []
    dispatch = app.full_dispatch_request

    def counted():
        from flask import request

        answered.append(request.full_path.rstrip("?"))
        return dispatch()

    monkeypatch.setattr(app, "full_dispatch_request", counted)
    return answered


def test_kept_public_pages_are_answered_before_flask_with_the_same_bytes(
    app, client, users, monkeypatch
):
    ids = _seed(users)
    _cache_on(app)
    answered = _flask_answers(app, monkeypatch)
    urls = ["/", "/needs/", "/needs/?theme=water_sewage", f"/needs/{ids['public_need']}"]
    for url in urls:
        client.get(url, headers={"Accept-Encoding": "br", "Accept-Language": "uk"})
    assert answered == urls  # rendered and kept by Flask
    answered.clear()
    first = {
        url: client.get(url, headers={"Accept-Encoding": "br", "Accept-Language": "uk"})
        for url in urls
    }
    assert answered == []  # answered before Flask
    # Flask serving the same kept entries (serve_public_page) answers the same bytes and headers.
    monkeypatch.setattr(pagecache.PublicPagesFirst, "_kept", lambda self, environ: None)
    for url in urls:
        again = client.get(url, headers={"Accept-Encoding": "br", "Accept-Language": "uk"})
        assert again.status_code == first[url].status_code == 200
        assert again.get_data() == first[url].get_data(), url
        assert sorted(again.headers.items()) == sorted(first[url].headers.items()), url
        assert "Date" not in again.headers or again.headers.getlist("Date") == [
            again.headers["Date"]
        ]
    assert answered == urls
    page = first[f"/needs/{ids['public_need']}"]
    assert page.headers["Content-Encoding"] == "br"
    assert 'lang="uk"' in brotli.decompress(page.get_data()).decode()
    assert "Set-Cookie" not in page.headers
    assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert page.headers["Cache-Control"] == "public, max-age=0, s-maxage=30"
    assert int(page.headers["Content-Length"]) == len(page.get_data())
    assert b"Public pumps" in brotli.decompress(page.get_data())


def test_what_the_page_cache_before_flask_cannot_settle_goes_to_flask(
    app, login, users, monkeypatch
):
    _seed(users)
    _cache_on(app)
    for url in ("/needs/", "/needs/?q=pumps", "/needs/?lang=sv"):
        app.test_client().get(url)  # kept, where it may be
    answered = _flask_answers(app, monkeypatch)
    searched = app.test_client().get("/needs/?q=pumps")
    assert "X-RateLimit-Limit" in searched.headers  # searches are limited per address
    assert "Public pumps" in app.test_client().get("/needs/?lang=sv").get_data(as_text=True)
    foreign = app.test_client().get("/needs/", headers={"Host": "portal.example.net"})
    assert foreign.status_code == 400
    token = app.test_client().get("/needs/", headers={"Authorization": "Bearer nothing"})
    assert token.status_code == 200
    assert app.test_client().post("/needs/").status_code in (400, 405)
    assert answered == ["/needs/?q=pumps", "/needs/?lang=sv", "/needs/", "/needs/", "/needs/"]
    signed_in = login("requester")
    answered.clear()
    page = signed_in.get("/needs/").get_data(as_text=True)
    assert answered == ["/needs/"]
    assert users["requester"].name in page
    answered.clear()
    app.test_client().get("/needs/")
    assert answered == []  # a sign-in changes nothing public pages show


def test_a_write_is_on_the_page_kept_before_flask_at_once(app, client, users, monkeypatch):
    _seed(users)
    _cache_on(app)
    client.get("/needs/")
    answered = _flask_answers(app, monkeypatch)
    assert "Fresh water towers" not in client.get("/needs/").get_data(as_text=True)
    assert answered == []
    f.make_need(users["requester"], title="Fresh water towers", visibility=Visibility.PUBLIC)
    db.session.commit()
    assert "Fresh water towers" in client.get("/needs/").get_data(as_text=True)
    assert answered == ["/needs/"]  # the version moved on: rendered and kept again
    client.get("/needs/")
    assert answered == ["/needs/"]


def test_signed_in_lists_keep_only_the_list(app, login, users):
    """The list comes from the cache; the person's name, token and buttons do not."""
    _seed(users)
    _cache_on(app)
    client = login("requester")
    client.get("/needs/")
    with count_queries(app) as statements:
        page = client.get("/needs/").get_data(as_text=True)
    assert "Olena Kovalenko" in page and "Post a need" in page
    colleague = create_user(
        email="second@kyiv.test",
        name="Petro Bondar",
        password=PASSWORD,
        role=Role.REQUESTER,
        organisation=users["requester"].organisation,
        actor=None,
    )
    db.session.commit()  # a user: no kept page is out of date
    other = app.test_client()
    other.login(colleague.email)
    with count_queries(app) as theirs:
        page = other.get("/needs/").get_data(as_text=True)
    assert "Petro Bondar" in page and "Olena Kovalenko" not in page
    assert MARKER in page
    # The list kept for Olena's scope served her and Petro: neither page asked for needs.
    assert not [s for s in statements + theirs if "needs.priority" in s]


# ---------------------------------------------------------------- the data version


def test_only_committed_writes_to_what_pages_show_bump_the_version(app, users):
    _cache_on(app)
    with app.test_request_context():
        start = pagecache.data_version()
    assert start is not None

    def version() -> int:
        return int(cache.get(pagecache.VERSION_KEY))

    f.make_need(users["requester"], title="Committed", commit=False)
    db.session.flush()
    assert version() == start  # flushed, not committed
    db.session.rollback()
    db.session.commit()
    assert version() == start  # rolled back: nothing happened
    users["requester"].name = "Olena K."
    db.session.commit()
    assert version() == start  # users: shown on no kept page
    f.make_need(users["requester"], title="Committed")
    # The need, then its stored suggestions (the job after the commit): both shown on pages.
    assert version() > start
    at = version()
    db.session.execute(db.update(Need).values(priority=Priority.LOW))
    db.session.commit()
    assert version() == at + 1
    # Only the association table changes: a project's organisations decide who sees it.
    project = db.session.scalars(db.select(Project)).first() or _public_project(users)
    at = version()
    project.organisations.append(users["other_expert"].organisation)
    db.session.commit()
    assert version() == at + 1


def test_a_lost_version_never_starts_again_from_an_old_number(app):
    _cache_on(app)
    with app.test_request_context():
        pagecache.bump_version()
        before = int(cache.get(pagecache.VERSION_KEY))
        cache.delete(pagecache.VERSION_KEY)  # evicted
        g_version = pagecache.data_version()
    assert g_version is not None and g_version > before


def _worker(database_url: str, prefix: str):
    """One gunicorn worker or app server: an app of its own, sharing database and Redis."""
    app = create_app(
        {
            "ENV_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "PAGE_CACHE_SECONDS": 300,
            "CACHE_TYPE": "RedisCache",
            "CACHE_REDIS_URL": TEST_REDIS_URL,
            "CACHE_KEY_PREFIX": prefix,
        }
    )
    app.test_client_class = PortalClient
    return app


def test_a_write_on_one_worker_is_on_every_page_of_the_others_at_once(
    app, users, database_url, redis_prefix
):
    first, second = _worker(database_url, redis_prefix), _worker(database_url, redis_prefix)
    need = f.make_need(
        users["requester"], title="Visible to all", lang="en", visibility=Visibility.PUBLIC
    )
    need_id = need.id
    anonymous, other_expert = second.test_client(), second.test_client()
    other_expert.login(EMAILS["other_expert"])
    for client in (anonymous, other_expert):
        assert "Visible to all" in client.get("/needs/").get_data(as_text=True)
        assert "Partners only now" not in client.get("/needs/").get_data(as_text=True)
    assert redis.Redis.from_url(TEST_REDIS_URL).keys(f"{redis_prefix}pagecache:*")  # kept

    owner = first.test_client()
    owner.login(EMAILS["requester"])
    with first.app_context():
        version = db.session.get(Need, need_id).version
    saved = owner.post(
        f"/needs/{need_id}/edit",
        data={
            "version": str(version),
            "lang": "en",
            "title": "Partners only now",
            "description": "We need advice on acoustic leak detection.",
            "theme": str(f.theme("water_sewage").id),
            "priority": "high",
            "help_kind": "advice",
            "district": "",
            "wanted_from": "",
            "wanted_until": "",
            "person_days": "",
            "visibility": "partners",
        },
    )
    assert saved.status_code == 302
    with first.app_context():
        assert db.session.get(Need, need_id).visibility == Visibility.PARTNERS

    # Narrowed to partners: gone from the anonymous page at once, renamed for partners.
    public_page = anonymous.get("/needs/").get_data(as_text=True)
    assert "Visible to all" not in public_page and "Partners only now" not in public_page
    assert anonymous.get(f"/needs/{need_id}").status_code == 404
    partners_page = other_expert.get("/needs/").get_data(as_text=True)
    assert "Partners only now" in partners_page and "Visible to all" not in partners_page
    for worker in (first, second):
        with worker.app_context():
            db.engine.dispose()


# ---------------------------------------------------------------- no leak through the cache


@pytest.mark.parametrize("who", [None, "other_requester", "other_expert"])
def test_pages_kept_for_those_who_see_restricted_records_never_reach_others(app, users, login, who):
    """The crawl of tests/test_visibility_crawl.py, after the coordinator and the owners have
    read the same pages (lists, filters, htmx lists) into the cache."""
    _seed_restricted(users)
    _cache_on(app)
    stranger = _client(app, who)
    seen = _crawl(stranger)  # fills the cache for the stranger's scope, and checks
    cache.clear()
    for insider in ("coordinator", "requester", "expert"):
        client = _client(app, insider)
        for url in seen:
            client.get(url)
            client.get(url, headers={"HX-Request": "true"})
    marked = 0
    for url in seen:
        for headers in ({}, {"HX-Request": "true"}):
            body = _file_text(stranger.get(url, headers=headers))
            assert MARKER not in body, url
            marked += 1
    assert marked > 10


def test_a_new_release_never_serves_pages_kept_by_the_old_one(app, client, users, monkeypatch):
    from portal.core import pagecache

    _seed(users)
    _cache_on(app)
    client.get("/needs/")
    with count_queries(app) as statements:
        client.get("/needs/")
    assert statements == []  # kept
    monkeypatch.setattr(pagecache, "_release", "the-next-release")
    with count_queries(app) as statements:
        again = client.get("/needs/")
    assert statements != []  # rendered afresh by the new release
    assert "Public pumps" in again.get_data(as_text=True)


# ---------------------------------------------------------------- pages kept for signed-in people

_TOKEN = re.compile(r'name="csrf-token" content="([^"]+)"')


def _colleague(users, role: Role = Role.REQUESTER, name: str = "Petro Bondar") -> Any:
    """A second person of Olena's organisation (Kyivvodokanal)."""
    person = create_user(
        email=f"{role.value}.second@kyiv.test",
        name=name,
        password=PASSWORD,
        role=role,
        organisation=users["requester"].organisation,
        actor=None,
    )
    db.session.commit()
    return person


def test_a_page_kept_for_one_person_is_filled_in_with_anothers_own_parts(app, users):
    """Olena's visit keeps the needs list for her scope and role; Petro (same organisation and
    role) is served it without a query about needs, with his own name, his own CSRF token (that
    works: he signs out with it) and no marker of a hole left."""
    _seed(users)
    _cache_on(app)
    petro = _colleague(users)
    olena = _client(app, "requester")
    kept = olena.get("/needs/").get_data(as_text=True)
    client = app.test_client()
    client.login(petro.email)
    with count_queries(app) as statements:
        page = client.get("/needs/").get_data(as_text=True)
    # Served, not rendered: his account with his unread count (one statement), nothing else.
    assert len(statements) == 1
    assert "FROM users" in statements[0] and "FROM notifications" in statements[0]
    assert "Petro Bondar" in page and "Olena Kovalenko" not in page
    assert MARKER in page  # Kyivvodokanal's restricted need: his organisation's
    assert "pagecache-hole" not in page and "pagecache-hole" not in kept
    theirs, his = _TOKEN.search(kept), _TOKEN.search(page)
    assert theirs and his and theirs.group(1) != his.group(1)
    assert f'"X-CSRFToken": "{his.group(1)}"' in page
    signed_out = client.post("/logout", data={"csrf_token": his.group(1)}, csrf=False)
    assert signed_out.status_code == 302
    assert client.get("/dashboard/").status_code == 302  # to the sign-in page: signed out


def test_a_kept_page_for_someone_seen_before_asks_nothing_of_the_database(app, users):
    """The second page of Petro's: his facts and his unread count come from the cache, read
    with the versions; no statement, no connection taken from the pool."""
    _seed(users)
    _cache_on(app)
    petro = _colleague(users)
    _client(app, "requester").get("/needs/")  # Olena keeps the page
    client = app.test_client()
    client.login(petro.email)
    client.get("/needs/")
    checkouts: list[object] = []

    def checkout(*args: object) -> None:
        checkouts.append(args)

    engine = db.engine
    sqlalchemy.event.listen(engine, "checkout", checkout)
    try:
        with count_queries(app) as statements:
            page = client.get("/needs/").get_data(as_text=True)
    finally:
        sqlalchemy.event.remove(engine, "checkout", checkout)
    assert statements == [] and checkouts == []
    assert "Petro Bondar" in page and MARKER in page
    kept = cache.get(f"pagecache:{pagecache.release()}:viewer:{petro.id}")
    assert kept is not None
    described = repr(kept)
    # Nothing secret is kept: no password hash, no second-factor secret or challenge.
    for secret in ("password", "totp_secret", "challenge", "$argon2"):
        assert secret not in described, secret


def _sign_out_everywhere(user: Any) -> None:
    user.session_generation += 1


def _deactivate(user: Any) -> None:
    user.is_active_account = False


def _deactivate_organisation(user: Any) -> None:
    user.organisation.is_active = False


def _deactivate_by_statement(user: Any) -> None:
    from sqlalchemy import update

    from portal.accounts.models import User

    db.session.execute(update(User).where(User.id == user.id).values(is_active_account=False))


@pytest.mark.parametrize(
    "change",
    [_sign_out_everywhere, _deactivate, _deactivate_organisation, _deactivate_by_statement],
)
def test_a_person_signed_out_or_deactivated_is_so_on_the_next_kept_page(app, users, change):
    _seed(users)
    _cache_on(app)
    client = _client(app, "requester")
    for _ in range(2):  # kept: the pages and the person's facts
        assert client.get("/dashboard/").status_code == 200
        assert MARKER in client.get("/needs/").get_data(as_text=True)
    with app.app_context():
        change(db.session.get(type(users["requester"]), users["requester"].id))
        db.session.commit()
    answer = client.get("/dashboard/")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    _client_of_nobody = client.get("/needs/").get_data(as_text=True)
    assert MARKER not in _client_of_nobody and "Olena" not in _client_of_nobody


def test_a_new_role_or_a_second_factor_rule_is_on_the_next_kept_page(app, users):
    from portal.accounts.models import SiteSetting, User
    from portal.accounts.twofactor import MFA_FOR_EVERYONE

    _seed(users)
    _cache_on(app)
    petro = _colleague(users, Role.EXPERT, "Iryna Shevchenko")
    client = app.test_client()
    client.login(petro.email)
    for _ in range(2):
        assert "Post a need" not in client.get("/needs/").get_data(as_text=True)
    with app.app_context():
        db.session.get(User, petro.id).role = Role.REQUESTER
        db.session.commit()
    assert "Post a need" in client.get("/needs/").get_data(as_text=True)
    with app.app_context():
        db.session.add(SiteSetting(key=MFA_FOR_EVERYONE, value="1"))
        db.session.commit()
    asked = client.get("/needs/")
    assert asked.status_code == 302 and "two-factor" in asked.headers["Location"]


def test_a_kept_page_is_kept_per_role_within_an_organisation(app, users):
    """The same organisation, another role: another page (the requester's button to post a
    need is not the expert's)."""
    _seed(users)
    _cache_on(app)
    expert = _colleague(users, Role.EXPERT, "Iryna Shevchenko")
    requester = _client(app, "requester")
    as_requester = requester.get("/needs/").get_data(as_text=True)
    client = app.test_client()
    client.login(expert.email)
    as_expert = client.get("/needs/").get_data(as_text=True)
    assert "Post a need" in as_requester and "Post a need" not in as_expert
    assert "Post a need" in requester.get("/needs/").get_data(as_text=True)
    assert "Iryna Shevchenko" in as_expert and MARKER in as_expert


def test_messages_are_never_kept_with_the_page(app, users):
    _seed(users)
    _cache_on(app)
    client = _client(app, "requester")
    client.get("/needs/")  # kept
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Your need was published.")]
    assert "Your need was published." in client.get("/needs/").get_data(as_text=True)
    again = client.get("/needs/").get_data(as_text=True)
    assert "Your need was published." not in again
    other = _client(app, "requester")
    assert "Your need was published." not in other.get("/needs/").get_data(as_text=True)


def test_the_unread_count_on_a_kept_page_changes_at_once(app, users):
    from portal.notifications.events import notify

    ids = _seed(users)
    _cache_on(app)
    client = _client(app, "expert")
    badge = re.compile(r'id="notification-count"[^>]*>\s*Notifications <span class="badge">(\d+)')
    assert badge.search(client.get("/projects/").get_data(as_text=True)) is None
    need = db.session.get(Need, ids["public_need"])
    notify("comment", need, users["requester"], mentioned=[users["expert"]])
    db.session.commit()
    found = badge.search(client.get("/projects/").get_data(as_text=True))
    assert found and found.group(1) == "1"
    assert client.post("/notifications/read-all").status_code == 302
    assert badge.search(client.get("/projects/").get_data(as_text=True)) is None


def test_a_record_page_is_kept_per_person(app, users):
    """A comment's own buttons are its author's: a colleague of the same organisation and role
    never gets the page kept for the author, and following shows at once."""
    from portal.comments import services as comments

    ids = _seed(users)
    _cache_on(app)
    petro = _colleague(users)
    need = db.session.get(Need, ids["public_need"])
    comments.post(users["requester"], need, "We measured the pressure again.", "en")
    db.session.commit()
    url = f"/needs/{ids['public_need']}"
    olena = _client(app, "requester")
    assert ">Correct<" in olena.get(url).get_data(as_text=True)
    client = app.test_client()
    client.login(petro.email)
    page = client.get(url).get_data(as_text=True)
    assert "We measured the pressure again." in page and ">Correct<" not in page
    assert ">Correct<" in olena.get(url).get_data(as_text=True)
    reader = _client(app, "other_expert")
    assert ">Follow</button>" in reader.get(url).get_data(as_text=True)
    assert (
        reader.post(f"/follow/need/{ids['public_need']}", data={"follow": "1"}).status_code == 302
    )
    assert ">Unfollow</button>" in reader.get(url).get_data(as_text=True)


@pytest.mark.parametrize("who", ("requester", "other_expert", "coordinator"))
def test_the_kept_dashboard_is_the_dashboard_rendered_afresh(app, users, who):
    _seed(users)
    client = _client(app, who)
    pages = [("/dashboard/", {}), ("/dashboard/", {"HX-Request": "true"})]

    def fresh_and_kept():
        _cache_off(app)
        fresh = _bodies(client, pages)
        _cache_on(app)
        for other in SCOPES:
            if other and other != who:
                _bodies(_client(app, other), pages)
        return fresh, (_bodies(client, pages), _bodies(client, pages))

    fresh, kept_twice = _on_one_day(fresh_and_kept)
    for kept in kept_twice:
        assert kept == fresh


# ---------------------------------------------------------------- a person's own copy


class _CountedCache:
    """The cache backend with every call that reaches it counted: one call, one round trip."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        found = getattr(self.backend, name)
        if not callable(found):
            return found

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            return found(*args, **kwargs)

        return counted


def _copy_of(app, person: int, url: str) -> Any:
    with app.test_request_context(url):
        return cache.get(pagecache._copy_key(person))


def _plant_copy(app, person: int, url: str, copy: Any) -> None:
    with app.test_request_context(url):
        cache.set(pagecache._copy_key(person), copy, timeout=300)


@pytest.mark.parametrize("url", ["/needs/", "/projects/", "/dashboard/", "needs.detail"])
def test_a_page_read_again_costs_one_round_trip_to_the_cache(app, users, url):
    """Reading a kept page again: the versions, the person's facts, the unread count and their
    own copy of the page in one call to the cache; nothing asked of the database."""
    ids = _seed(users)
    _cache_on(app)
    if url == "needs.detail":
        url = f"/needs/{ids['public_need']}"
    client = _client(app, "requester")
    first = masked(client.get(url).get_data(as_text=True))
    client.get(url)
    extension = app.extensions["cache"]
    counted = _CountedCache(extension[cache])
    extension[cache] = counted
    try:
        with count_queries(app) as statements:
            again = client.get(url)
    finally:
        extension[cache] = counted.backend
    assert again.status_code == 200
    assert counted.calls == ["get_many"] and statements == []
    assert masked(again.get_data(as_text=True)) == first


def test_a_copy_kept_under_another_key_is_never_served(app, users):
    """Finding an entry under the person's copy key proves nothing: a copy is served only if it
    was kept under the key this request computes. Here the copy of a coordinator's needs list,
    restricted needs and all, is planted where another organisation's expert's copy belongs;
    the expert is served their own scope's page. A copy with the right key is served as it
    is (which shows that the copies are what is read)."""
    _seed(users)
    _cache_on(app)
    expert = _client(app, "other_expert")
    coordinator = _client(app, "coordinator")
    fresh = expert.get("/needs/").get_data(as_text=True)
    assert MARKER in coordinator.get("/needs/").get_data(as_text=True)
    assert MARKER not in fresh
    theirs = _copy_of(app, users["coordinator"].id, "/needs/")
    own = _copy_of(app, users["other_expert"].id, "/needs/")
    assert theirs is not None and own is not None and theirs[0] != own[0]

    _plant_copy(app, users["other_expert"].id, "/needs/", theirs)
    served = expert.get("/needs/").get_data(as_text=True)
    assert MARKER not in served and masked(served) == masked(fresh)

    key, (headers, body), packed = own
    assert packed is None  # the test client asks for no compression
    _plant_copy(
        app, users["other_expert"].id, "/needs/", (key, (headers, body + "<!--own-->"), None)
    )
    assert expert.get("/needs/").get_data(as_text=True).endswith("<!--own-->")


def test_a_persons_copy_follows_their_language_and_every_write(app, users):
    """The person's copy is kept under the key of one language and one data version: choosing
    another language, or any write, and the page is made again."""
    ids = _seed(users)
    _cache_on(app)
    client = _client(app, "other_expert")
    for _ in range(2):
        assert 'lang="en"' in client.get("/needs/").get_data(as_text=True)
    assert client.get("/needs/?lang=uk").status_code == 200
    for _ in range(2):
        assert 'lang="uk"' in client.get("/needs/").get_data(as_text=True)
    assert "Public pumps" in client.get("/needs/").get_data(as_text=True)
    need = db.session.get(Need, ids["public_need"])
    need.title.set_version("uk", "Pumps renamed", None)
    db.session.commit()
    page = client.get("/needs/").get_data(as_text=True)
    assert "Pumps renamed" in page and "Public pumps" not in page


# ---------------------------------------------------------------- the packed answer


def _compressions(monkeypatch) -> list[str]:
    """Each page Flask-Compress compresses from now on, by encoding."""
    from flask_compress import flask_compress

    made: list[str] = []
    compress = flask_compress._compress_data

    def counted(app, data, algorithm):
        made.append(algorithm)
        return compress(app, data, algorithm)

    monkeypatch.setattr(flask_compress, "_compress_data", counted)
    return made


def _unpacked(response) -> str:
    import gzip

    encoding = response.headers.get("Content-Encoding")
    data = response.get_data()
    if encoding == "br":
        data = brotli.decompress(data)
    elif encoding == "gzip":
        data = gzip.decompress(data)
    else:
        assert encoding is None, encoding
    return data.decode()


BR = {"Accept-Encoding": "gzip, deflate, br"}


def test_a_page_read_again_is_answered_with_the_bytes_compressed_for_the_person(
    app, users, monkeypatch
):
    """Olena reads the needs list twice: the second answer is the first's compressed bytes,
    not compressed again, with the headers of a signed-in page. Her token in it works."""
    _seed(users)
    _cache_on(app)
    client = _client(app, "requester")
    first = client.get("/needs/", headers=BR)
    assert first.headers["Content-Encoding"] == "br"
    made = _compressions(monkeypatch)
    again = client.get("/needs/", headers=BR)
    assert made == []
    assert again.status_code == 200 and again.get_data() == first.get_data()
    assert again.headers["Content-Encoding"] == "br"
    assert again.headers["Content-Type"] == "text/html; charset=utf-8"
    assert again.headers["Cache-Control"] == "no-store"
    assert {"Accept-Encoding", "Cookie"} <= set(again.vary)
    page = _unpacked(again)
    assert "Olena Kovalenko" in page and MARKER in page and "pagecache-hole" not in page
    copy = _copy_of(app, users["requester"].id, "/needs/")
    assert isinstance(copy[2], pagecache.Packed) and copy[2].encoding == "br"
    token = _TOKEN.search(page)
    assert token
    signed_out = client.post("/logout", data={"csrf_token": token.group(1)}, csrf=False)
    assert signed_out.status_code == 302
    assert client.get("/dashboard/").status_code == 302  # signed out


def test_a_packed_answer_follows_the_encoding_the_unread_count_and_the_session(
    app, users, monkeypatch
):
    """The packed answer is given again only for the same Accept-Encoding, the same parts of
    the person's own (the unread count, a message waiting) and the same session: a second
    session of the same person gets a page with its own CSRF token, and the first gets its
    own back."""
    from portal.notifications.events import notify

    ids = _seed(users)
    _cache_on(app)
    made = _compressions(monkeypatch)
    client = _client(app, "expert")
    first = _unpacked(client.get("/projects/", headers=BR))
    assert made == ["br"]

    as_gzip = client.get("/projects/", headers={"Accept-Encoding": "gzip"})
    assert as_gzip.headers["Content-Encoding"] == "gzip" and made == ["br", "gzip"]
    assert masked(_unpacked(as_gzip)) == masked(first)
    plain = client.get("/projects/")
    assert "Content-Encoding" not in plain.headers
    assert masked(_unpacked(plain)) == masked(first)

    badge = re.compile(r'id="notification-count"[^>]*>\s*Notifications <span class="badge">(\d+)')
    assert badge.search(first) is None
    need = db.session.get(Need, ids["public_need"])
    notify("comment", need, users["requester"], mentioned=[users["expert"]])
    db.session.commit()
    made.clear()
    noticed = _unpacked(client.get("/projects/", headers=BR))
    found = badge.search(noticed)
    assert found and found.group(1) == "1" and made == ["br"]

    # A message waiting for the session: nothing else changed, not even the data version.
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Your offer was published.")]
    assert "Your offer was published." in _unpacked(client.get("/projects/", headers=BR))
    assert "Your offer was published." not in _unpacked(client.get("/projects/", headers=BR))

    mine = _TOKEN.search(noticed)
    other = _client(app, "expert")  # the same person in a second browser
    theirs = _TOKEN.search(_unpacked(other.get("/projects/", headers=BR)))
    assert mine and theirs and mine.group(1) != theirs.group(1)
    again = _TOKEN.search(_unpacked(client.get("/projects/", headers=BR)))
    assert again and again.group(1) != theirs.group(1)
    for browser, token in ((other, theirs), (client, again)):
        signed_out = browser.post("/logout", data={"csrf_token": token.group(1)}, csrf=False)
        assert signed_out.status_code == 302
        assert browser.get("/dashboard/").status_code == 302


@pytest.mark.parametrize("page_seconds", [300, 0])
def test_a_page_reads_the_reference_lists_version_with_the_page_caches(
    app, users, database_url, redis_prefix, monkeypatch, page_seconds
):
    """The reference lists' version comes in the round trip that reads the data version, not in
    one of its own, whether pages are kept or not (the list's count is kept under the data
    version either way, and its filters are read first); a change of organisations on one
    worker is in the other's filters at once."""
    first, second = _worker(database_url, redis_prefix), _worker(database_url, redis_prefix)
    for worker in (first, second):
        worker.config["REFERENCE_CACHE_SECONDS"] = 300
        worker.config["PAGE_CACHE_SECONDS"] = page_seconds
    asked: list[str] = []
    real_get = cache.get
    monkeypatch.setattr(cache, "get", lambda key, *a, **kw: asked.append(key) or real_get(key))
    expert = second.test_client()
    expert.login(EMAILS["other_expert"])
    expert.get("/needs/?q=pipes")  # the lists' version started, the lists kept
    asked.clear()
    page = expert.get("/needs/?q=leaks").get_data(as_text=True)
    assert "Kyivvodokanal" in page  # the organisation filter, from the kept lists
    assert pagecache.REFERENCE_VERSION_KEY not in asked

    admin = first.test_client()
    admin.login(EMAILS["admin"])
    with first.app_context():
        token = cache.get(pagecache.REFERENCE_VERSION_KEY)
        _new_organisation(db.session.merge(users["admin"]), "Kyiv Ferry Company")
        db.session.remove()
        assert cache.get(pagecache.REFERENCE_VERSION_KEY) != token
    page = expert.get("/needs/?q=leaks").get_data(as_text=True)
    assert "Kyiv Ferry Company" in page
    for worker in (first, second):
        with worker.app_context():
            db.engine.dispose()
