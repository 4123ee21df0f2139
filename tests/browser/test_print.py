"""Printing the project and dashboard pages (for council meetings): print.css leaves the
content and the charts, hides navigation, filters, forms and buttons, and nothing is wider than
an A4 page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

from portal.extensions import db
from tests.browser.conftest import LiveServer, sign_in

# A4 portrait (210 mm) less Chromium's default margins (about 10 mm a side), at 96 CSS px an inch.
PRINT_WIDTH = 718
INTERACTIVE = (
    "header, footer, nav, form, button, input, select, textarea, .button, .filters, .pager, "
    ".skip-link, .versions, [hx-get], [hx-post]"
)
SHOWN = """selector => [...document.querySelectorAll(selector)]
  .filter(el => el.checkVisibility() && el.getBoundingClientRect().width > 0)
  .map(el => el.outerHTML.slice(0, 100))"""
WIDER_THAN_PAGE = """width => [...document.body.querySelectorAll("*")]
  .filter(el => el.getBoundingClientRect().right > width + 0.5 && el.checkVisibility())
  .map(el => el.outerHTML.slice(0, 100))"""


@pytest.fixture
def printed(browser: Browser, live_server: LiveServer) -> Iterator:
    contexts: list[BrowserContext] = []

    def open_(path: str) -> Page:
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": PRINT_WIDTH, "height": 1000}
        )
        contexts.append(context)
        page = context.new_page()
        sign_in(page, live_server, "coordinator", "en")
        page.goto(path)
        page.emulate_media(media="print")
        return page

    yield open_
    for context in contexts:
        context.close()


def _project_with_most_to_print(live_server: LiveServer) -> int:
    from portal.projects.models import Project

    with live_server.app.app_context():
        projects = db.session.scalars(select(Project)).all()
        return max(projects, key=lambda p: (len(p.milestones) + len(p.reports), -p.id)).id


def assert_prints_cleanly(page: Page) -> None:
    assert page.evaluate(SHOWN, INTERACTIVE) == []
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PRINT_WIDTH
    assert page.evaluate(WIDER_THAN_PAGE, PRINT_WIDTH) == []
    expect(page.locator("h1")).to_be_visible()


def test_project_page_prints_content_without_controls(printed, live_server):
    page = printed(f"/projects/{_project_with_most_to_print(live_server)}")
    # On screen the coordinator has forms and buttons here; on paper they go.
    page.emulate_media(media="screen")
    assert page.locator("main form button").count() > 0
    page.emulate_media(media="print")
    assert_prints_cleanly(page)
    expect(page.locator("#milestones table")).to_be_visible()
    # The column of tick buttons goes with them.
    columns = page.locator("#milestones thead th")
    assert columns.count() == 5
    expect(columns.nth(4)).to_be_hidden()
    expect(columns.nth(3)).to_be_visible()
    expect(page.locator("#reports .report").first).to_be_visible()
    expect(page.locator("dl.facts")).to_be_visible()


def test_dashboard_prints_its_panels_and_charts(printed):
    page = printed("/dashboard/")
    assert_prints_cleanly(page)
    charts = page.locator("svg.chart")
    assert charts.count() >= 3
    for index in range(charts.count()):
        expect(charts.nth(index)).to_be_visible()
    expect(page.locator("main table").first).to_be_visible()


def test_print_stylesheet_is_only_for_print(printed):
    """On screen the same page keeps its navigation (print.css has media=print)."""
    page = printed("/dashboard/")
    page.emulate_media(media="screen")
    menu = page.get_by_role("navigation", name="Main menu")
    expect(menu).to_be_visible()
