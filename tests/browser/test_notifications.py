"""The notification pages in a browser: axe finds nothing on the inbox, the settings, the
unsubscribe pages and the admins' failed-mail page in three languages; the follow button works
without a reload and keeps focus."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from portal.extensions import db
from tests.browser.conftest import DEMO, LiveServer
from tests.browser.test_accessibility import axe_violations, context_cleanup, person  # noqa: F401

LANGUAGES = ["en", "sv", "uk"]


def _unsubscribe_path(live_server: LiveServer) -> str:
    from portal.accounts.models import User
    from portal.notifications.delivery import unsubscribe_token

    with live_server.app.app_context():
        user = db.session.scalar(select(User).filter_by(email=DEMO["expert"]))
        return f"/notifications/unsubscribe/{unsubscribe_token(user, 'comment')}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_notification_pages_pass_axe(browser: Browser, live_server: LiveServer, lang: str):
    problems: list[str] = []
    page = person(browser, live_server, "requester", lang)
    for path in (
        "/notifications/",
        "/notifications/?kind=proposal&unread=1",
        "/profile/notifications",
    ):
        page.goto(path)
        problems += axe_violations(page)
    expect(page.locator("#notification-count")).to_be_visible()
    admin = person(browser, live_server, "admin", lang)
    admin.goto("/admin/notifications/failed")
    problems += axe_violations(admin)
    anonymous = browser.new_context(base_url=live_server.url).new_page()
    anonymous.goto(f"/?lang={lang}")
    anonymous.goto(_unsubscribe_path(live_server))
    problems += axe_violations(anonymous)
    anonymous.goto("/notifications/unsubscribe/not-a-token")
    problems += axe_violations(anonymous)
    anonymous.context.close()
    assert not problems, "\n".join(problems)


def test_the_follow_button_swaps_in_place_and_keeps_focus(
    browser: Browser, live_server: LiveServer
):
    page = person(browser, live_server, "expert", "en")
    page.goto("/needs/")
    page.locator("main table a, main .list a").first.click()
    page.wait_for_load_state()
    button = page.locator(".follow button")
    before = button.inner_text()
    button.focus()
    button.press("Enter")
    expect(page.locator(".follow button")).not_to_have_text(before)
    focused = page.evaluate("() => document.activeElement && document.activeElement.id")
    assert focused and focused.startswith("follow-button-")
    assert not axe_violations(page)
