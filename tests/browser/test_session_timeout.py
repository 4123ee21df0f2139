"""The warning before the idle sign-out in Chromium (WCAG 2.1 SC 2.2.1), against the live portal
with a timeout of seconds instead of 30 minutes: the warning opens as a modal alert dialog with
the focus on "Stay signed in", passes axe, and staying signed in really moves the deadline on
the server; left alone, the page goes to the sign-in page, which says why.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import LiveServer, sign_in
from tests.browser.test_accessibility import axe_violations

TIMEOUT = 20  # seconds without activity before the sign-out
WARNING = 15  # seconds before it that the warning opens


@pytest.fixture
def context(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    context = browser.new_context(base_url=live_server.url)
    yield context
    context.close()


@pytest.fixture
def short_timeout(live_server: LiveServer, monkeypatch) -> None:
    """Seconds instead of minutes, for this test only (the server reads them per request)."""
    monkeypatch.setitem(live_server.app.config, "IDLE_TIMEOUT", timedelta(seconds=TIMEOUT))
    monkeypatch.setitem(live_server.app.config, "IDLE_WARNING", timedelta(seconds=WARNING))


def remaining(page: Page) -> int:
    """What the server says is left (asking is not activity)."""
    response = page.request.get("/session")
    assert response.status == 200, response.status
    return response.json()["remaining"]


def test_warning_opens_in_time_and_staying_signed_in_keeps_the_session(
    context: BrowserContext, live_server: LiveServer, short_timeout
):
    page = context.new_page()
    sign_in(page, live_server, "expert", "sv")  # the expert's own language
    page.goto("/needs/")
    loaded = time.monotonic()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_be_hidden()
    page.locator("a.brand").focus()

    # The warning: a modal dialog, named and described, with the focus on "Stay signed in".
    expect(dialog).to_be_visible(timeout=(TIMEOUT - WARNING + 5) * 1000)
    assert time.monotonic() - loaded < TIMEOUT - 5, "the warning came too late"
    expect(dialog).to_have_accessible_name("Du loggas snart ut")
    # The time it names and the countdown come from the page's clock, the words from the server.
    expect(dialog).to_have_accessible_description(
        re.compile(r"^Av säkerhetsskäl loggas du ut klockan \d\d:\d\d \(om 0:[01]\d\) ")
    )
    stay = dialog.get_by_role("button", name="Förbli inloggad")
    expect(stay).to_be_focused()
    expect(dialog.get_by_role("button", name="Logga ut")).to_be_visible()
    assert page.evaluate("() => document.querySelector('dialog.session-timeout').open")

    # axe on the open warning (the rest of the page is inert behind it).
    assert axe_violations(page) == []

    before = remaining(page)
    stay.click()
    expect(dialog).to_be_hidden()
    expect(page.locator("a.brand")).to_be_focused()  # the focus goes back where it was
    after = remaining(page)
    assert after > before + 2 and after >= TIMEOUT - 2, (before, after)

    # Past the deadline the page had when it loaded, the session still works.
    time.sleep(max(0, loaded + TIMEOUT + 1 - time.monotonic()))
    page.goto("/profile")
    assert "/login" not in page.url
    expect(page.locator("h1")).to_be_visible()


def test_without_an_answer_the_page_goes_to_sign_in_and_says_why(
    context: BrowserContext, live_server: LiveServer, monkeypatch
):
    monkeypatch.setitem(live_server.app.config, "IDLE_TIMEOUT", timedelta(seconds=8))
    monkeypatch.setitem(live_server.app.config, "IDLE_WARNING", timedelta(seconds=6))
    page = context.new_page()
    sign_in(page, live_server, "requester", "uk")  # the Kyiv official's own language
    page.goto("/needs/?priority=high")
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_be_visible(timeout=10_000)
    expect(dialog).to_have_accessible_name("Незабаром сеанс буде завершено")
    expect(dialog.get_by_role("button", name="Залишитися в системі")).to_be_focused()

    page.wait_for_url("**/login?**", timeout=20_000)
    assert "next=/needs/?priority%3Dhigh" in page.url
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    expect(page.locator("#messages")).to_contain_text(
        "Сеанс завершено через тривалу відсутність активності."
    )
    # Really signed out on the server, not only in the page.
    assert page.request.get("/session").status == 401
