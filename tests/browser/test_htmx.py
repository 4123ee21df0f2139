"""The htmx interactions in Chromium: each changes part of the page in place (the page itself is
not reloaded, which a mark left on ``window`` proves), keeps the address in step where it is a
view of a list, and the back button brings the earlier state back.

The records changed here are made for the test (see ``journey_support``), found by their words.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import LiveServer, sign_in
from tests.browser.journey_support import (
    PUBLIC_NEED,
    THEME_WATER,
    choose_language,
    make_project,
    make_proposal,
    ntr,
    shaped,
    token,
    tr,
)

expect.set_options(timeout=10_000)

MARK = "window.__sameDocument = true"
STILL_SAME = "() => window.__sameDocument === true"


@pytest.fixture
def context(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    context = browser.new_context(base_url=live_server.url)
    yield context
    context.close()


def person(context: BrowserContext, live_server: LiveServer, who: str, lang: str) -> Page:
    page = context.new_page()
    sign_in(page, live_server, who, lang)
    choose_language(page, lang)
    return page


def mark_document(page: Page) -> None:
    """Leave a mark that only survives as long as no full page load happens."""
    page.evaluate(MARK)


def assert_same_document(page: Page) -> None:
    assert page.evaluate(STILL_SAME), "the page was reloaded instead of updated in place"


# ------------------------------------------------------------------------------ needs list


def test_needs_list_filters_live_and_the_back_button_restores_each_state(
    context: BrowserContext, live_server: LiveServer
) -> None:
    lang = "en"
    page = context.new_page()
    page.goto(f"/needs/?lang={lang}")
    results = page.get_by_role("region", name=tr(lang, "Results"))
    search = page.get_by_label(tr(lang, "Search"), exact=True)
    theme = page.get_by_label(tr(lang, "Theme"), exact=True)
    everything = results.get_by_role("listitem").count()
    assert everything > 1
    mark_document(page)

    # Typing is enough: no button, no page load, and the address follows.
    search.press_sequentially("shelters", delay=20)
    expect(page).to_have_url(re.compile(r"[?&]q=shelters(&|$)"))
    expect(results.get_by_role("link", name=PUBLIC_NEED[lang])).to_be_visible()
    shown = results.get_by_role("listitem").count()
    assert 0 < shown < everything
    expect(results.get_by_role("status")).to_have_text(
        ntr(lang, "%(num)d need", "%(num)d needs", shown)
    )
    assert_same_document(page)

    # Changing a filter narrows further, in place.
    theme.select_option(label=THEME_WATER[lang])
    water = theme.input_value()
    expect(page).to_have_url(re.compile(rf"[?&]theme={water}(&|$)"))
    expect(results.get_by_text(tr(lang, "No needs match these filters."))).to_be_visible()
    expect(results.get_by_role("status")).to_have_text(
        ntr(lang, "%(num)d need", "%(num)d needs", 0)
    )
    assert_same_document(page)

    # Back: the search without the theme, the fields as they were; back again: everything.
    page.go_back()
    expect(page).to_have_url(re.compile(r"[?&]q=shelters(&|$)"))
    expect(page).not_to_have_url(re.compile(rf"[?&]theme={water}(&|$)"))
    expect(results.get_by_role("link", name=PUBLIC_NEED[lang])).to_be_visible()
    expect(results.get_by_role("listitem")).to_have_count(shown)
    expect(search).to_have_value("shelters")
    expect(theme).to_have_value("")
    page.go_back()
    expect(page).to_have_url(re.compile(r"/needs/\?lang=en$"))
    expect(results.get_by_role("listitem")).to_have_count(everything)
    expect(search).to_have_value("")
    # ...and forward again.
    page.go_forward()
    expect(search).to_have_value("shelters")
    expect(results.get_by_role("listitem")).to_have_count(shown)


# ------------------------------------------------------------------------------ decisions


def test_accept_and_decline_in_place(context: BrowserContext, live_server: LiveServer) -> None:
    lang = "sv"
    to_accept = make_proposal(live_server, f"Приймання {token()}")
    to_decline = make_proposal(live_server, f"Відхилення {token()}")
    page = person(context, live_server, "expert", lang)
    page.goto("/matches/")
    address = page.url
    mark_document(page)

    def article(need_title: str):
        return page.get_by_role("article").filter(has=page.get_by_role("heading", name=need_title))

    accepted = tr(lang, "You accepted the match. Both sides have accepted: the match is agreed.")
    article(to_accept.need_title).get_by_role("button", name=tr(lang, "Accept the match")).click()
    expect(article(to_accept.need_title)).to_contain_text(accepted)
    expect(article(to_accept.need_title)).to_contain_text(tr(lang, "Agreed", "match status"))
    expect(
        article(to_accept.need_title).get_by_role("button", name=tr(lang, "Accept the match"))
    ).to_have_count(0)
    # The outcome is announced in the page's live region and has the focus.
    expect(page.get_by_role("status").filter(has_text=accepted)).to_have_count(1)
    expect(page.locator(":focus")).to_have_text(accepted)
    assert_same_document(page)

    # Declining the restricted need's proposal hides the match from Stockholm: only the outcome
    # is left in its place.
    declining = article(to_decline.need_title)
    declining.get_by_label(tr(lang, "Reason for declining (optional)")).fill(
        "Vi har inga läcksökare lediga i vår."
    )
    declining.get_by_role("button", name=tr(lang, "Decline the match")).click()
    declined = tr(lang, "You declined the match.")
    expect(page.get_by_role("status").filter(has_text=declined)).to_have_count(1)
    expect(page.get_by_text(to_decline.need_title)).to_have_count(0)
    expect(page.locator(":focus")).to_have_text(declined)
    assert page.url == address
    assert_same_document(page)


# ------------------------------------------------------------------------------ milestones


def test_ticking_a_milestone_updates_progress_in_place(
    context: BrowserContext, live_server: LiveServer
) -> None:
    lang = "uk"
    project = make_project(live_server, token())
    page = person(context, live_server, "requester", lang)
    page.goto(f"/projects/{project.id}")
    progress = page.get_by_role("progressbar", name=tr(lang, "Progress"))
    expect(progress).to_have_attribute("value", "0")
    mark_document(page)

    # Weights 1 and 3: the second milestone is three quarters of the progress.
    row = page.get_by_role("row", name=project.milestones[1])
    row.get_by_role("button", name=tr(lang, "Mark as done")).click()
    expect(progress).to_have_attribute("value", "75")
    expect(row).to_contain_text(tr(lang, "Done", "milestone"))
    done = shaped(
        lang,
        "Milestone “%(title)s” is done. Progress: %(progress)s.",
        title=project.milestones[1],
    )
    expect(page.get_by_role("status").filter(has_text=done)).to_have_count(1)
    # The focus stays on the milestone's button, which now undoes the tick.
    undo = row.get_by_role("button", name=tr(lang, "Mark as not done"))
    expect(undo).to_be_focused()

    undo.click()
    expect(progress).to_have_attribute("value", "0")
    expect(row.get_by_role("button", name=tr(lang, "Mark as done"))).to_be_visible()
    assert_same_document(page)


# ------------------------------------------------------------------------------ translations


def test_adding_and_correcting_a_translation_in_place(
    context: BrowserContext, live_server: LiveServer
) -> None:
    lang = "uk"
    need = make_proposal(live_server, f"Переклад {token()}")
    page = person(context, live_server, "requester", lang)
    page.goto(f"/needs/{need.need_id}")
    mark_document(page)

    title_versions = page.get_by_role("list", name=tr(lang, "Language versions")).first
    english = title_versions.get_by_role("listitem").filter(
        has_text=tr(lang, "No English version yet")
    )
    english.get_by_role("link", name=tr(lang, "add one")).click()
    field = page.get_by_label(tr(lang, "English version"), exact=True)
    expect(field).to_be_focused()
    expect(page.get_by_role("figure").filter(has_text=need.need_title)).to_be_visible()
    field.fill(f"Network zoning and leak detection ({need.need_id})")
    page.get_by_role("button", name=tr(lang, "Save"), exact=True).click()
    saved = page.get_by_role("status").filter(has_text=tr(lang, "English version"))
    expect(saved).to_contain_text(tr(lang, "saved"))
    expect(saved).to_contain_text(f"Network zoning and leak detection ({need.need_id})")
    assert_same_document(page)

    # Correct it, in place again.
    saved.get_by_role("link", name=tr(lang, "Correct it")).click()
    field = page.get_by_label(tr(lang, "English version"), exact=True)
    expect(field).to_have_value(f"Network zoning and leak detection ({need.need_id})")
    field.fill(f"Zoning the network and finding leaks ({need.need_id})")
    page.get_by_role("button", name=tr(lang, "Save"), exact=True).click()
    expect(page.get_by_role("status").filter(has_text=tr(lang, "English version"))).to_contain_text(
        f"Zoning the network and finding leaks ({need.need_id})"
    )
    assert_same_document(page)

    # In English the page now has the English title (and back to Ukrainian, which the
    # profile keeps).
    choose_language(page, "en")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Zoning the network and finding leaks ({need.need_id})"
    )
    choose_language(page, lang)
    expect(page.get_by_role("heading", level=1)).to_have_text(need.need_title)


# ------------------------------------------------------------------------------ dashboard


def test_dashboard_filters_redraw_the_panels_and_back_restores_them(
    context: BrowserContext, live_server: LiveServer
) -> None:
    lang = "en"
    page = person(context, live_server, "coordinator", lang)
    page.goto("/dashboard/")
    showing = page.get_by_text(re.compile(re.escape(tr(lang, "Showing:"))))
    everything = shaped(
        lang,
        "Showing: %(theme)s · %(district)s · as of %(date)s.",
        theme=tr(lang, "all themes"),
        district=tr(lang, "all districts"),
    )
    expect(showing).to_have_text(everything)
    published = (
        page.get_by_role("table", name=tr(lang, "Needs at each stage"))
        .get_by_role("row", name=tr(lang, "Needs published"))
        .get_by_role("cell")
        .first
    )
    all_published = int(published.inner_text().replace(",", ""))
    mark_document(page)

    theme = page.get_by_label(tr(lang, "Theme"), exact=True)
    theme.select_option(label=THEME_WATER[lang])
    expect(page).to_have_url(re.compile(rf"[?&]theme={theme.input_value()}(&|$)"))
    expect(showing).to_have_text(
        shaped(
            lang,
            "Showing: %(theme)s · %(district)s · as of %(date)s.",
            theme=THEME_WATER[lang],
            district=tr(lang, "all districts"),
        )
    )
    water_published = int(published.inner_text().replace(",", ""))
    assert 0 < water_published < all_published
    by_theme = page.get_by_role("table", name=tr(lang, "Published needs by theme and status"))
    expect(by_theme.get_by_role("row", name=THEME_WATER[lang])).to_be_visible()
    expect(by_theme.get_by_role("row", name="Education")).to_have_count(0)
    assert_same_document(page)

    page.go_back()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(showing).to_have_text(everything)
    expect(theme).to_have_value("")
    expect(published).to_have_text(re.compile(rf"^{all_published:,}$"))
