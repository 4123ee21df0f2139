"""The harness itself: the live portal answers in Chromium and a demo user can sign in."""

from tests.browser.conftest import sign_in


def test_start_page_in_chromium(page, live_server):
    page.goto(live_server.url + "/?lang=uk")
    assert page.locator("html").get_attribute("lang") == "uk"


def test_coordinator_signs_in_with_second_factor(page, live_server):
    sign_in(page, live_server, "coordinator")
    menu = page.get_by_role("navigation", name="Main menu")
    assert menu.get_by_role("link", name="Dashboard").count() == 1
