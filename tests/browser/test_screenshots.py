"""Screenshots of the main pages in each language at 320, 1280 and 1920 CSS px, as the coordinator
sees them (every record), into ``screenshots/`` at the repository root (git-ignored):
``<page>-<lang>-<width>.png``, for a person to review (README: "Screenshots")."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.browser.conftest import SCREENSHOTS, LiveServer, sign_in
from tests.browser.journey_support import RESTRICTED_NEED, RESTRICTED_PROJECT, record_id, tr

LANGUAGES = ("uk", "sv", "en")
WIDTHS = (320, 1280, 1920)


def test_screenshots_of_the_main_pages(browser: Browser, live_server: LiveServer) -> None:
    need = record_id(live_server, "need", RESTRICTED_NEED["uk"])
    project = record_id(live_server, "project", RESTRICTED_PROJECT["uk"])
    pages = {
        "start": "/",
        "needs": "/needs/",
        "need": f"/needs/{need}",
        "offers": "/offers/",
        "project": f"/projects/{project}",
        "dashboard": "/dashboard/",
        "agreement": "/agreements/",
        "projects": "/projects/",
        "matches": "/matches/",
        "design": "/design",
    }
    SCREENSHOTS.mkdir(exist_ok=True)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        sign_in(page, live_server, "coordinator", "en")
        # English last: the coordinator's language stays as the demo has it.
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            for lang in LANGUAGES:
                for name, path in pages.items():
                    response = page.goto(f"{path}?lang={lang}")
                    assert response is not None and response.status == 200, (name, lang)
                    expect(page.locator("html")).to_have_attribute("lang", lang)
                    expect(page.get_by_role("heading", level=1)).to_be_visible()
                    menu = page.get_by_role("navigation", name=tr(lang, "Main menu"))
                    expect(menu).to_be_visible()
                    target = SCREENSHOTS / f"{name}-{lang}-{width}.png"
                    page.screenshot(path=str(target), full_page=True)
                    assert target.stat().st_size > 10_000, target
    finally:
        context.close()
