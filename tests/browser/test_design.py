"""What people see, checked in Chromium: no word or number broken inside a table cell, no page
scrolling sideways at 320 px, the error summary taking the focus on every form with validation,
"Start a project" from an agreed match, no stale draft message after publishing, and the language
of parts inside links' and buttons' accessible names."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, expect
from sqlalchemy import select

from portal.core.enums import MatchStatus
from portal.extensions import db
from tests.browser.conftest import LiveServer, sign_in
from tests.browser.journey_support import RESTRICTED_NEED, RESTRICTED_PROJECT, record_id, tr

LANGUAGES = ("uk", "sv", "en")

# Words whose characters lie on more than one line: a break inside a word. A range over the word
# gives one client rect per line it occupies. A compound joined by a hyphen after a letter
# ("DMA-зон", "e-tjänster") may break after its hyphen, as typesetting does; a date or a number
# ("2026-01-01", "12 345") may not.
BROKEN_WORDS = """() => {
  const broken = [];
  for (const cell of document.querySelectorAll("main td, main th")) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const re = /\\S+/g;
      let m;
      while ((m = re.exec(node.textContent)) !== null) {
        let start = m.index;
        for (const piece of m[0].split(/(?<=\\p{L}-)/u)) {
          const range = document.createRange();
          range.setStart(node, start);
          range.setEnd(node, start + piece.length);
          start += piece.length;
          const tops = new Set([...range.getClientRects()].filter(r => r.width > 0)
                                 .map(r => Math.round(r.top)));
          if (tops.size > 1) { broken.push(piece + " in " + cell.outerHTML.slice(0, 80)); }
        }
      }
    }
  }
  return broken.slice(0, 10);
}"""

SIDEWAYS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"

# Text in Cyrillic inside a link's or button's name on a Swedish or English page must sit in an
# element that says lang="uk" (WCAG 3.1.2); aria-label cannot carry a lang, so it must not hold it.
FOREIGN_NAMES = """() => {
  const cyrillic = /[\\u0400-\\u04FF]/;
  const page = document.documentElement.lang;
  const wrong = [];
  for (const el of document.querySelectorAll("a, button, [role=button]")) {
    const label = el.getAttribute("aria-label") || "";
    if (cyrillic.test(label)) { wrong.push("aria-label: " + el.outerHTML.slice(0, 120)); }
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!cyrillic.test(node.textContent)) { continue; }
      const owner = node.parentElement.closest("[lang]");
      if (!owner || owner.lang !== "uk") { wrong.push(page + ": " + el.outerHTML.slice(0, 120)); }
    }
  }
  return wrong.slice(0, 10);
}"""


@pytest.fixture
def context(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    context = browser.new_context(base_url=live_server.url)
    yield context
    context.close()


def main_pages(live_server: LiveServer) -> dict[str, str]:
    need = record_id(live_server, "need", RESTRICTED_NEED["uk"])
    project = record_id(live_server, "project", RESTRICTED_PROJECT["uk"])
    return {
        "start": "/",
        "needs": "/needs/",
        "need": f"/needs/{need}",
        "offers": "/offers/",
        "matches": "/matches/",
        "projects": "/projects/",
        "project": f"/projects/{project}",
        "dashboard": "/dashboard/",
        "agreement": "/agreements/",
        "audit": "/audit/",
        "design": "/design",
    }


@pytest.mark.parametrize("width", [320, 768, 1280, 1920])
def test_table_cells_never_break_a_word_and_no_page_scrolls_sideways(
    context: BrowserContext, live_server: LiveServer, width: int
) -> None:
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, "coordinator", "en")
    broken, sideways = [], []
    for lang in LANGUAGES:
        for name, path in main_pages(live_server).items():
            response = page.goto(f"{path}?lang={lang}")
            assert response is not None and response.status == 200, (name, lang)
            broken += [(name, lang, word) for word in page.evaluate(BROKEN_WORDS)]
            if page.evaluate(SIDEWAYS) > 0:
                sideways.append((name, lang))
    assert sideways == [], f"pages scrolling sideways at {width} px: {sideways}"
    assert broken == [], f"words broken inside table cells at {width} px: {broken}"


def test_the_broken_word_check_can_fail(context: BrowserContext, live_server: LiveServer) -> None:
    page = context.new_page()
    page.set_viewport_size({"width": 320, "height": 900})
    page.goto("/design")
    # Styles set through the CSSOM (the portal's CSP refuses inline style sheets).
    page.evaluate(
        """() => document.querySelectorAll("main th, main td").forEach(c => {
             c.style.width = "2ch"; c.style.overflowWrap = "anywhere";
             c.style.whiteSpace = "normal"; })"""
    )
    assert page.evaluate(BROKEN_WORDS) != []
    page.evaluate('() => { document.querySelector("main").style.minWidth = "400px"; }')
    assert page.evaluate(SIDEWAYS) > 0


# ---------------------------------------------------------------- error summaries

FORMS = [
    # (who, path, field the first error links to)
    ("anonymous", "/login", "email"),
    ("anonymous", "/accessibility/report", "description"),
    ("requester", "/needs/new", "title"),
    ("expert", "/offers/new", "title"),
    ("coordinator", "/projects/new", None),
    ("coordinator", "agreement-amendment", None),
]


@pytest.mark.parametrize(("who", "path", "first_field"), FORMS)
@pytest.mark.parametrize("lang", ["uk", "sv"])
def test_a_refused_form_focuses_its_error_summary(
    context: BrowserContext, live_server: LiveServer, who: str, path: str, first_field, lang: str
) -> None:
    page = context.new_page()
    if who != "anonymous":
        sign_in(page, live_server, who, lang)
    if path == "agreement-amendment":
        path = f"/agreements/{_default_agreement_id(live_server)}/amendments/new"
    response = page.goto(f"{path}?lang={lang}")
    assert response is not None and response.status == 200, path
    page.locator("main form[method=post] button[type=submit]").last.click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    assert page.title().startswith(tr(lang, "Error:") + " "), page.title()
    links = summary.locator("a")
    assert links.count() >= 1
    if first_field:
        expect(links.first).to_have_attribute("href", f"#{first_field}")
    target = links.first.get_attribute("href")
    links.first.click()
    assert target is not None
    # The field itself, or for a group of checkboxes its first box, has the focus now.
    assert page.evaluate(
        "t => { const el = document.querySelector(t); const a = document.activeElement;"
        " return a !== document.body && (el === a || el.contains(a)); }",
        target,
    )


def _default_agreement_id(live_server: LiveServer) -> int:
    from portal.agreements.services import default_agreement

    with live_server.app.test_request_context("/"):
        return default_agreement().id


# ---------------------------------------------------------------- no dead ends


def _agreed_match_without_project(live_server: LiveServer) -> int:
    from portal.matching.models import Match

    with live_server.app.test_request_context("/"):
        match_id = db.session.scalar(
            select(Match.id)
            .where(Match.status == MatchStatus.AGREED, Match.project_id.is_(None))
            .order_by(Match.id)
        )
    assert match_id is not None, "the demo data has an agreed match without a project"
    return match_id


def test_an_agreed_match_leads_to_a_prefilled_project_form(
    context: BrowserContext, live_server: LiveServer
) -> None:
    match_id = _agreed_match_without_project(live_server)
    page = context.new_page()
    sign_in(page, live_server, "coordinator", "sv")
    page.goto(f"/matches/{match_id}?lang=sv")
    page.get_by_role("link", name=tr("sv", "Start a project")).click()
    expect(page).to_have_url(f"{live_server.url}/projects/new?match={match_id}")
    expect(page.locator(f"#match-{match_id}")).to_be_checked()
    assert page.locator("#title").input_value() != ""


def test_publishing_removes_the_draft_message(
    context: BrowserContext, live_server: LiveServer
) -> None:
    page = context.new_page()
    sign_in(page, live_server, "requester", "en")
    page.goto("/needs/new?lang=en")
    page.locator("#title").fill("Heat pumps for schools in Darnytskyi")
    page.locator("#description").fill("Advice on heat pumps for twelve school buildings.")
    for menu in page.locator("main form[method=post] select").all():
        if not menu.input_value():
            menu.select_option(index=1)
    page.locator("main form[method=post] button[type=submit]").last.click()
    messages = page.locator("#messages")
    expect(messages).not_to_be_empty()
    draft_message = messages.inner_text()
    page.get_by_role("button", name=tr("en", "Publish")).click()
    expect(page.locator("[id$='-state'] .flash-success")).to_be_visible()
    assert draft_message not in page.locator("main").inner_text()
    expect(messages).to_be_empty()


# ---------------------------------------------------------------- language of parts


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_foreign_text_in_accessible_names_carries_its_lang(
    context: BrowserContext, live_server: LiveServer, lang: str
) -> None:
    page = context.new_page()
    sign_in(page, live_server, "coordinator", lang)
    wrong = []
    for name, path in main_pages(live_server).items():
        page.goto(f"{path}?lang={lang}")
        wrong += [(name, w) for w in page.evaluate(FOREIGN_NAMES)]
    assert wrong == []


def test_the_language_check_can_fail(context: BrowserContext, live_server: LiveServer) -> None:
    page = context.new_page()
    page.goto("/design?lang=en")
    page.evaluate("""() => { const a = document.createElement("a"); a.href = "#";
        a.textContent = "Київ"; document.querySelector("main").append(a); }""")
    assert page.evaluate(FOREIGN_NAMES) != []
