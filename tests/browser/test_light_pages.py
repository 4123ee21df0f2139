"""Light pages, measured in Chromium: Kyiv works through blackouts and weak mobile links.

Each main page, in Ukrainian, on a first visit (an empty browser cache): every request goes to
the portal itself (no fonts, scripts or trackers from elsewhere), the HTML comes compressed,
static files come under versioned URLs cached for a year, charts and icons are SVG, and the page
stays small: at most 150 KB transferred in all, of which at most 30 KB of HTML. The figures
(also the HTML's decoded size) are printed at the end.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Request, expect
from sqlalchemy import select

from portal.extensions import db
from tests.browser.conftest import DEMO, LiveServer, sign_in

KB = 1024
PAGE_BUDGET = 150 * KB  # everything transferred on a first visit
HTML_BUDGET = 30 * KB  # the page's own HTML as transferred (compressed)
YEAR = 365 * 24 * 3600

# What was measured, printed at the end of the module: page -> (transferred, HTML sent, HTML).
WEIGHTS: dict[str, tuple[int, int, int]] = {}


def _records(live_server: LiveServer) -> dict[str, int]:
    """A need, an offer and a project the Kyiv official may see (their own where possible)."""
    from portal.accounts.models import User
    from portal.needs.models import Need
    from portal.projects.models import Project

    with live_server.app.app_context():
        user = db.session.scalar(select(User).filter_by(email=DEMO["requester"]))
        need = db.session.scalar(
            select(Need)
            .where(Need.visible_to(user), Need.organisation_id == user.organisation_id)
            .order_by(Need.id)
        )
        project = db.session.scalar(
            select(Project).where(Project.visible_to(user)).order_by(Project.id)
        )
        return {"need": need.id, "project": project.id}


@pytest.fixture(scope="module")
def signed_in_state(browser: Browser, live_server: LiveServer) -> dict:
    """The Kyiv official's cookies, signed in, in Ukrainian (their profile's language)."""
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    sign_in(page, live_server, "requester", "uk")
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    state = context.storage_state()
    context.close()
    return state


@dataclass
class Visit:
    """What one first visit of a page asked for and received."""

    page: Page
    requests: list[Request] = field(default_factory=list)
    finished: list[Request] = field(default_factory=list)

    @property
    def transferred(self) -> int:
        total = 0
        for request in self.finished:
            sizes = request.sizes()
            total += sizes["responseBodySize"] + sizes["responseHeadersSize"]
        return total


@pytest.fixture
def first_visit(browser: Browser, live_server: LiveServer, signed_in_state) -> Iterator:
    """Open a path in a fresh context (nothing cached) that holds only the sign-in cookies."""
    contexts: list[BrowserContext] = []

    def visit(path: str) -> Visit:
        context = browser.new_context(base_url=live_server.url, storage_state=signed_in_state)
        contexts.append(context)
        page = context.new_page()
        seen = Visit(page)
        page.on("request", lambda request: seen.requests.append(request))
        page.on("requestfinished", lambda request: seen.finished.append(request))
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        page.wait_for_load_state("networkidle")
        expect(page.locator("html")).to_have_attribute("lang", "uk")
        return seen

    yield visit
    for context in contexts:
        context.close()


@pytest.fixture(scope="module", autouse=True)
def report_weights(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or not WEIGHTS:
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line("")
        reporter.write_line("first visit, in Ukrainian: transferred / HTML sent / HTML decoded")
        for name, (total, sent, html) in WEIGHTS.items():
            reporter.write_line(
                f"  {name:14} {total / KB:6.1f} KB / {sent / KB:5.1f} KB / {html / KB:5.1f} KB"
            )


MAIN_PAGES = {
    "start page": "/",
    "needs list": "/needs/",
    "need": "need",
    "offers list": "/offers/",
    "project": "project",
    "dashboard": "/dashboard/",
    "agreement": "/agreements/",
}


@pytest.mark.parametrize("name", list(MAIN_PAGES))
def test_main_page_is_light_and_served_by_the_portal_alone(first_visit, live_server, name):
    records = _records(live_server)
    path = MAIN_PAGES[name]
    path = {"need": f"/needs/{records['need']}", "project": f"/projects/{records['project']}"}.get(
        path, path
    )
    visit = first_visit(path)

    foreign = [r.url for r in visit.requests if not r.url.startswith(live_server.url + "/")]
    assert foreign == [], f"requests to other origins from {path}"

    document = next(r for r in visit.finished if r.resource_type == "document")
    document_response = document.response()
    assert document_response is not None
    assert document_response.headers.get("content-encoding") in ("br", "gzip"), path
    html_sent = document.sizes()["responseBodySize"]
    html = len(document_response.body())
    assert html_sent < html  # compressed on the way

    # Static files: versioned by their content, cached for a year, and no bitmaps.
    static = [r for r in visit.finished if "/static/" in r.url]
    assert {r.resource_type for r in static} >= {"stylesheet", "script"}
    for request in static:
        assert re.search(r"\?v=[0-9a-f]{12}$", request.url), request.url
        response = request.response()
        assert response is not None and response.status == 200, request.url
        cache = response.headers.get("cache-control", "")
        assert f"max-age={YEAR}" in cache and "no-store" not in cache, (request.url, cache)
    for request in visit.finished:
        if request.resource_type == "image":
            assert urlpath(request.url).endswith(".svg"), request.url
    assert visit.page.locator("img:not([src$='.svg']):not([src*='.svg?']), canvas").count() == 0

    WEIGHTS[name] = (visit.transferred, html_sent, html)
    assert visit.transferred <= PAGE_BUDGET, f"{path}: {visit.transferred / KB:.1f} KB"
    assert html_sent <= HTML_BUDGET, f"{path}: {html_sent / KB:.1f} KB of HTML"


def urlpath(url: str) -> str:
    return url.split("?", 1)[0]


def test_dashboard_charts_are_inline_svg_with_names(first_visit):
    visit = first_visit("/dashboard/")
    charts = visit.page.locator("svg.chart")
    assert charts.count() >= 3
    for index in range(charts.count()):
        chart = charts.nth(index)
        expect(chart).to_have_attribute("role", "img")
        assert chart.locator("title").count() == 1


def test_static_files_come_from_the_browser_cache_on_the_next_page(first_visit):
    """The year-long cache works: on the next page the stylesheets and scripts cost nothing."""
    visit = first_visit("/needs/")
    visit.page.goto("/offers/")
    visit.page.wait_for_load_state("networkidle")
    # Chromium checks the favicon again on every page whatever its headers: left out.
    entries = visit.page.evaluate(
        """() => performance.getEntriesByType("resource")
             .filter(e => e.name.includes("/static/") && !e.name.includes("/static/img/icon.svg"))
             .map(e => ({url: e.name, transferred: e.transferSize, size: e.decodedBodySize}))"""
    )
    assert len(entries) >= 3
    assert [e for e in entries if e["transferred"] != 0 or e["size"] == 0] == []
