"""The four journeys of the brief in Chromium, each in its user's language, clicking and typing
as a person would; journeys 1–3 also with JavaScript off (plain form posts), and a keyboard-only
pass through the need form and a decision.

Every journey makes the records it changes (through the forms, or through the services for its
starting point) and finds them by their words, so the journeys run in any order and leave the
demo records that other browser tests look at as they were.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import LiveServer, sign_in
from tests.browser.journey_support import (
    AGREEMENT_VALID,
    DISTRICT_OBOLON,
    LEAK_OFFER,
    PARTNERS_NEED,
    PUBLIC_NEED,
    PUBLIC_NEED_SEARCH,
    PUBLIC_PROJECT,
    RESTRICTED_NEED,
    RESTRICTED_PROJECT,
    THEME_WATER,
    TRUNK_MAINS_NEED_SV,
    assert_focus_visible,
    choose_language,
    day,
    make_proposal,
    ntr,
    record_id,
    shaped,
    tab_to,
    token,
    tr,
)

expect.set_options(timeout=10_000)

MODES = [pytest.param(True, id="js"), pytest.param(False, id="no-js")]

OpenContext = Callable[..., BrowserContext]


@pytest.fixture
def open_context(browser: Browser, live_server: LiveServer) -> Iterator[OpenContext]:
    """New browser contexts (a person each), with or without JavaScript; closed afterwards."""
    opened: list[BrowserContext] = []

    def open_(js: bool = True) -> BrowserContext:
        context = browser.new_context(base_url=live_server.url, java_script_enabled=js)
        opened.append(context)
        return context

    yield open_
    for context in opened:
        context.close()


def person(
    open_context: OpenContext, live_server: LiveServer, who: str, lang: str, js: bool
) -> Page:
    page = open_context(js).new_page()
    sign_in(page, live_server, who, lang)
    choose_language(page, lang)
    return page


def menu(page: Page, lang: str, name: str) -> None:
    page.get_by_role("navigation", name=tr(lang, "Main menu")).get_by_role(
        "link", name=tr(lang, name), exact=True
    ).click()


def expect_message(page: Page, text: str) -> None:
    """A confirmation is shown (in place with htmx, as the flash after a redirect without)."""
    expect(page.get_by_text(text, exact=True).first).to_be_visible()


def status_line(lang: str, label: str) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(tr(lang, 'Status:'))}\s+{re.escape(label)}$")


# ------------------------------------------------------------------------------ journey 1


@pytest.mark.parametrize("js", MODES)
def test_journey_1_kyiv_official_posts_a_need_and_proposes_an_offer(
    open_context: OpenContext, live_server: LiveServer, js: bool
) -> None:
    lang = "uk"
    page = person(open_context, live_server, "requester", lang, js)
    title = f"Пошук прихованих витоків у водопровідній мережі Оболоні ({token()})"

    menu(page, lang, "Needs")
    page.get_by_role("link", name=tr(lang, "Post a need")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(tr(lang, "Post a need"))
    page.get_by_label(tr(lang, "Title"), exact=True).fill(title)
    page.get_by_label(tr(lang, "Description"), exact=True).fill(
        "Втрати води в мережі Оболонського району сягають 30 %. Просимо навчити дві бригади "
        "акустичному пошуку витоків і допомогти поділити мережу на зони контрольованого "
        "водоспоживання."
    )
    expect(page.get_by_label(tr(lang, "Language of the text"))).to_have_value("uk")
    page.get_by_label(tr(lang, "Theme"), exact=True).select_option(
        label=tr(lang, "%(theme)s (critical infrastructure)", theme=THEME_WATER[lang])
    )
    page.get_by_label(tr(lang, "Priority"), exact=True).select_option(
        label=tr(lang, "High", "priority")
    )
    page.get_by_label(tr(lang, "Kind of help"), exact=True).select_option(
        label=tr(lang, "Training")
    )
    page.get_by_label(tr(lang, "District"), exact=True).select_option(label=DISTRICT_OBOLON[lang])
    page.get_by_label(tr(lang, "Wanted from")).fill(day(14).isoformat())
    page.get_by_label(tr(lang, "Wanted until")).fill(day(200).isoformat())
    page.get_by_label(tr(lang, "Person-days")).fill("30")
    page.get_by_role("button", name=tr(lang, "Save as draft")).click()

    expect_message(page, tr(lang, "The need was saved as a draft. Publish it when it is ready."))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_text(status_line(lang, tr(lang, "Draft", "need status")))).to_be_visible()

    page.get_by_role("button", name=tr(lang, "Publish"), exact=True).click()
    expect_message(page, tr(lang, "The need was published."))
    expect(page.get_by_text(status_line(lang, tr(lang, "Open", "need status")))).to_be_visible()

    # Suggested Stockholm offers, each with its reasons in words.
    suggestions = page.get_by_role("list", name=tr(lang, "Suggested offers"))
    expect(suggestions).to_be_visible()
    leak_offer = suggestions.get_by_role("listitem").filter(
        has=page.get_by_role("heading", name=LEAK_OFFER[lang])
    )
    expect(leak_offer).to_have_count(1)
    expect(leak_offer).to_contain_text("Stockholm Vatten och Avfall")
    reasons = leak_offer.get_by_role("list").get_by_role("listitem")
    expect(
        reasons.filter(has_text=tr(lang, "Same theme: %(theme)s", theme=THEME_WATER[lang]))
    ).to_have_count(1)
    expect(
        reasons.filter(has_text=tr(lang, "Same kind of help: %(kind)s", kind=tr(lang, "Training")))
    ).to_have_count(1)
    expect(reasons.filter(has_text=tr(lang, "Available in the wanted period"))).to_have_count(1)

    leak_offer.get_by_role("button", name=tr(lang, "Propose this offer")).click()
    expect_message(page, tr(lang, "The match was proposed. The other side now decides."))
    proposed = page.get_by_role("list", name=tr(lang, "Matches of this need")).get_by_role(
        "listitem"
    )
    expect(proposed).to_have_count(1)
    expect(proposed.get_by_role("heading", name=LEAK_OFFER[lang])).to_be_visible()
    expect(proposed).to_contain_text(tr(lang, "Proposed", "match status"))
    expect(proposed).to_contain_text(
        tr(lang, "Waiting for: %(sides)s", sides=tr(lang, "Expert side"))
    )
    # Once proposed, the offer is no longer among the suggestions.
    expect(
        page.get_by_role("list", name=tr(lang, "Suggested offers")).get_by_role(
            "heading", name=LEAK_OFFER[lang]
        )
    ).to_have_count(0)


# ------------------------------------------------------------------------------ journey 2


@pytest.mark.parametrize("js", MODES)
def test_journey_2_stockholm_expert_publishes_an_offer_and_accepts_a_proposal(
    open_context: OpenContext, live_server: LiveServer, js: bool
) -> None:
    lang = "sv"
    waiting = make_proposal(live_server, f"Дарниця {token()}")
    page = person(open_context, live_server, "expert", lang, js)
    title = f"Riskbaserad förnyelseplanering av huvudvattenledningar ({token()})"

    menu(page, lang, "Offers")
    page.get_by_role("link", name=tr(lang, "Make an offer")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(tr(lang, "Make an offer"))
    page.get_by_label(tr(lang, "Title"), exact=True).fill(title)
    page.get_by_label(tr(lang, "Description"), exact=True).fill(
        "Vi delar vår metod för att prioritera förnyelse av huvudledningar utifrån risk och "
        "planerar tillsammans med er de första sträckorna."
    )
    expect(page.get_by_label(tr(lang, "Language of the text"))).to_have_value("sv")
    page.get_by_role("group", name=tr(lang, "Themes")).get_by_label(
        tr(lang, "%(theme)s (critical infrastructure)", theme=THEME_WATER[lang])
    ).check()
    page.get_by_label(tr(lang, "Kind of help"), exact=True).select_option(
        label=tr(lang, "Joint planning")
    )
    page.get_by_label(tr(lang, "Capacity in person-days")).fill("40")
    page.get_by_label(tr(lang, "Available from")).fill(day(0).isoformat())
    page.get_by_label(tr(lang, "Available until")).fill(day(365).isoformat())
    page.get_by_role("button", name=tr(lang, "Save as draft")).click()

    expect_message(page, tr(lang, "The offer was saved as a draft. Publish it when it is ready."))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    page.get_by_role("button", name=tr(lang, "Publish"), exact=True).click()
    expect_message(page, tr(lang, "The offer was published."))
    expect(page.get_by_text(status_line(lang, tr(lang, "Open", "offer status")))).to_be_visible()

    # Matching needs from Kyiv, with the reasons.
    suggestions = page.get_by_role("list", name=tr(lang, "Suggested needs"))
    expect(suggestions).to_be_visible()
    trunk_mains = suggestions.get_by_role("listitem").filter(
        has=page.get_by_role("heading", name=TRUNK_MAINS_NEED_SV)
    )
    expect(trunk_mains).to_have_count(1)
    expect(trunk_mains).to_contain_text("Kyivvodokanal")
    expect(trunk_mains).to_contain_text(
        tr(lang, "Same kind of help: %(kind)s", kind=tr(lang, "Joint planning"))
    )
    expect(trunk_mains).to_contain_text(tr(lang, "Same theme: %(theme)s", theme=THEME_WATER[lang]))

    # The proposal from Kyivvodokanal that waits for Stockholm Vatten och Avfall.
    menu(page, lang, "Matches")
    proposal = page.get_by_role("article").filter(
        has=page.get_by_role("heading", name=waiting.need_title)
    )
    expect(proposal).to_contain_text(tr(lang, "Waiting for your decision"))
    proposal.get_by_role("button", name=tr(lang, "Accept the match")).click()
    expect_message(
        page, tr(lang, "You accepted the match. Both sides have accepted: the match is agreed.")
    )
    expect(proposal).to_contain_text(tr(lang, "Agreed", "match status"))
    expect(proposal.get_by_role("button", name=tr(lang, "Accept the match"))).to_have_count(0)


# ------------------------------------------------------------------------------ journey 3


@pytest.mark.parametrize("js", MODES)
def test_journey_3_coordinator_starts_a_project_and_both_sides_report(
    open_context: OpenContext, live_server: LiveServer, js: bool
) -> None:
    mark = token()
    agreed = make_proposal(live_server, f"Оболонь {mark}", agreed=True, district="Obolonskyi")
    lang = "en"
    page = person(open_context, live_server, "coordinator", lang, js)

    # The agreed match that is not yet in a project.
    menu(page, lang, "Matches")
    page.get_by_label(tr(lang, "Status"), exact=True).select_option(
        label=tr(lang, "Agreed", "match status")
    )
    page.get_by_role("button", name=tr(lang, "Show matches")).click()
    expect(page).to_have_url(re.compile(r"status=agreed"))
    match = page.get_by_role("article").filter(
        has=page.get_by_role("heading", name=agreed.need_title)
    )
    expect(match).to_contain_text(tr(lang, "Agreed", "match status"))

    # Start a project from it, first with a start before the agreement's validity.
    menu(page, lang, "Projects")
    page.get_by_role("link", name=tr(lang, "Start a project from agreed matches")).click()
    chosen = page.get_by_role("checkbox", name=agreed.need_title)
    chosen.check()
    title = f"Leak detection and metered zones in Obolon ({mark})"
    page.get_by_label(tr(lang, "Title"), exact=True).fill(title)
    page.get_by_label(tr(lang, "Description"), exact=True).fill(
        "Kyivvodokanal and Stockholm Vatten och Avfall train two leak detection crews and set up "
        "the first district metered areas in Obolonskyi district."
    )
    start = page.get_by_label(tr(lang, "Start", "date"), exact=True)
    end = page.get_by_label(tr(lang, "End", "date"), exact=True)
    validity = shaped(
        lang,
        "Must lie between %(start)s and %(end)s, the validity of %(reference)s.",
        reference="KS 2022/428",
    )
    expect(start).to_have_accessible_description(validity)
    start.fill((AGREEMENT_VALID[0] - timedelta(days=30)).isoformat())
    end.fill(day(200).isoformat())
    page.get_by_role("button", name=tr(lang, "Start the project")).click()

    refused = shaped(
        lang,
        "The start must lie between %(start)s and %(end)s, the validity of %(reference)s.",
        reference="KS 2022/428",
    )
    # In the error summary, as a link to the field, and beside the field.
    expect(page.locator(".error-summary a").get_by_text(refused)).to_be_visible()
    expect(page.locator("#starts_on-error")).to_contain_text(refused)
    expect(start).to_have_attribute("aria-invalid", "true")
    expect(start).to_have_accessible_description(refused)
    expect(chosen).to_be_checked()
    expect(page.get_by_label(tr(lang, "Title"), exact=True)).to_have_value(title)

    start.fill(day(-60).isoformat())
    page.get_by_role("button", name=tr(lang, "Start the project")).click()
    expect_message(page, tr(lang, "The project was started. Add its milestones next."))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    project_url = page.url

    milestones = [
        (f"Night-flow survey of the pilot zones ({mark})", day(-10), "2"),
        (f"Leak detection training for two crews ({mark})", day(90), "3"),
    ]
    for name, due, weight in milestones:
        page.get_by_label(tr(lang, "Milestone"), exact=True).fill(name)
        page.get_by_label(tr(lang, "Due on"), exact=True).fill(due.isoformat())
        page.get_by_label(tr(lang, "Weight"), exact=True).fill(weight)
        page.get_by_role("button", name=tr(lang, "Add the milestone")).click()
        expect_message(page, tr(lang, "The milestone was added."))
        expect(page.get_by_role("row", name=name)).to_be_visible()
    expect(page.get_by_role("row", name=milestones[0][0])).to_contain_text(
        tr(lang, "Overdue", "milestone")
    )

    # The requesting side reports in Ukrainian...
    requester = person(open_context, live_server, "requester", "uk", js)
    menu(requester, "uk", "Projects")
    requester.get_by_role("link", name=title).click()
    requester.get_by_role("radio", name=tr("uk", "At risk")).check()
    requester.get_by_label(tr("uk", "Report"), exact=True).fill(
        "Витратоміри для пілотних зон досі на митниці; обстеження нічних витрат затримується."
    )
    requester.get_by_role("button", name=tr("uk", "Publish the report")).click()
    expect_message(requester, tr("uk", "Your status report was published."))
    expect(requester.get_by_role("article").filter(has_text="Київводоканал")).to_contain_text(
        tr("uk", "At risk")
    )

    # ...and the expert side ticks a milestone in Swedish: progress moves to 3 of 5.
    expert = person(open_context, live_server, "expert", "sv", js)
    menu(expert, "sv", "Projects")
    expert.get_by_role("link", name=title).click()
    progress = expert.get_by_role("progressbar", name=tr("sv", "Progress"))
    expect(progress).to_have_attribute("value", "0")
    expert.get_by_role("row", name=milestones[1][0]).get_by_role(
        "button", name=tr("sv", "Mark as done")
    ).click()
    expect(
        expert.get_by_text(
            shaped(
                "sv",
                "Milestone “%(title)s” is done. Progress: %(progress)s.",
                title=milestones[1][0],
            )
        ).first
    ).to_be_visible()
    expect(progress).to_have_attribute("value", "60")
    expect(expert.get_by_role("row", name=milestones[1][0])).to_contain_text(
        tr("sv", "Done", "milestone")
    )

    # The coordinator's dashboard, narrowed to water in Obolonskyi.
    page.goto(project_url)
    menu(page, lang, "Dashboard")
    for panel in (
        "Agreement",
        "From need to completed project",
        "Progress by theme",
        "Milestones",
        "Projects at risk",
    ):
        expect(page.get_by_role("region", name=tr(lang, panel), exact=True)).to_be_visible()
    days_left = (AGREEMENT_VALID[1] - day(0)).days
    expect(page.get_by_role("region", name=tr(lang, "Agreement"), exact=True)).to_contain_text(
        ntr(
            lang,
            "%(num)d day left in the agreement.",
            "%(num)d days left in the agreement.",
            days_left,
        )
    )
    page.get_by_label(tr(lang, "Theme"), exact=True).select_option(label=THEME_WATER[lang])
    page.get_by_label(tr(lang, "District"), exact=True).select_option(label=DISTRICT_OBOLON[lang])
    page.get_by_role("button", name=tr(lang, "Show", "apply filters"), exact=True).click()
    expect(
        page.get_by_text(
            shaped(
                lang,
                "Showing: %(theme)s · %(district)s · as of %(date)s.",
                theme=THEME_WATER[lang],
                district=DISTRICT_OBOLON[lang],
            )
        )
    ).to_be_visible()

    funnel = page.get_by_role("table", name=tr(lang, "Needs at each stage"))
    for stage in ("Needs published", "Matched", "In a project", "Completed"):
        expect(funnel.get_by_role("row", name=tr(lang, stage))).to_be_visible()
    in_project = funnel.get_by_role("row", name=tr(lang, "In a project")).get_by_role("cell").first
    expect(in_project).not_to_have_text("0")

    by_theme = page.get_by_role("region", name=tr(lang, "Progress by theme"), exact=True)
    expect(by_theme.get_by_role("row", name=THEME_WATER[lang])).to_contain_text("60%")

    overdue = page.get_by_role("region", name=tr(lang, "Milestones"), exact=True)
    expect(overdue.get_by_role("listitem").filter(has_text=milestones[0][0])).to_contain_text(
        ntr(lang, "%(num)d day overdue", "%(num)d days overdue", 10)
    )
    at_risk = page.get_by_role("region", name=tr(lang, "Projects at risk"), exact=True)
    expect(at_risk.get_by_role("listitem").filter(has_text=title)).to_contain_text(
        tr(lang, "At risk")
    )


# ------------------------------------------------------------------------------ journey 4


@pytest.mark.parametrize("lang", ["uk", "sv", "en"])
def test_journey_4_visitor_sees_public_needs_and_projects_and_nothing_restricted(
    open_context: OpenContext, live_server: LiveServer, lang: str
) -> None:
    page = open_context().new_page()
    page.goto(f"/?lang={lang}")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    nav = page.get_by_role("navigation", name=tr(lang, "Main menu"))
    expect(nav.get_by_role("link", name=tr(lang, "Sign in"))).to_be_visible()
    for restricted in ("Matches", "Dashboard"):
        expect(nav.get_by_role("link", name=tr(lang, restricted), exact=True)).to_have_count(0)

    page.get_by_role("link", name=tr(lang, "Public needs")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(tr(lang, "Needs"))
    expect(page.get_by_role("link", name=tr(lang, "Post a need"))).to_have_count(0)
    search = page.get_by_label(tr(lang, "Search"), exact=True)
    search.fill(PUBLIC_NEED_SEARCH[lang])
    search.press("Enter")
    expect(page.get_by_role("link", name=PUBLIC_NEED[lang])).to_be_visible()

    # Nothing restricted or for partners only, whatever the words, in any language version.
    # (Each check waits for the address to show the new filter: the list has been redrawn.)
    nothing = page.get_by_text(tr(lang, "No needs match these filters."))
    for words in ("витоків", "leaks", "läcksökning", "кібергігієни", "Cyber-hygiene"):
        search.fill(words)
        search.press("Enter")
        expect(page).to_have_url(re.compile(rf"[?&]q={re.escape(quote(words, safe=''))}(&|$)"))
        expect(nothing).to_be_visible()
    search.fill("")
    page.get_by_label(tr(lang, "Status"), exact=True).select_option(label=tr(lang, "All"))
    theme_select = page.get_by_label(tr(lang, "Theme"), exact=True)
    for theme in (
        THEME_WATER,
        {"en": "Electricity", "sv": "Elförsörjning", "uk": "Електропостачання"},
        {"en": "District heating", "sv": "Fjärrvärme", "uk": "Теплопостачання"},
    ):
        theme_select.select_option(label=theme[lang])
        page.get_by_role("button", name=tr(lang, "Show needs")).click()
        expect(page).to_have_url(re.compile(rf"[?&]theme={theme_select.input_value()}(&|$)"))
        expect(page).to_have_url(re.compile(r"[?&]status=all(&|$)"))
        expect(nothing).to_be_visible()
    for title in RESTRICTED_NEED.values():
        expect(page.get_by_text(title)).to_have_count(0)

    # Public projects, not the restricted one.
    page.get_by_role("navigation", name=tr(lang, "Main menu")).get_by_role(
        "link", name=tr(lang, "Projects"), exact=True
    ).click()
    expect(page.get_by_role("link", name=PUBLIC_PROJECT[lang])).to_be_visible()
    expect(page.get_by_text(RESTRICTED_PROJECT[lang])).to_have_count(0)
    page.get_by_role("link", name=PUBLIC_PROJECT[lang]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(PUBLIC_PROJECT[lang])
    expect(page.get_by_role("button", name=tr(lang, "Publish the report"))).to_have_count(0)

    # A restricted record's address is "not found", as if it did not exist.
    for kind, title in (
        ("needs", RESTRICTED_NEED["uk"]),
        ("needs", PARTNERS_NEED["uk"]),
        ("projects", RESTRICTED_PROJECT["uk"]),
    ):
        number = record_id(live_server, kind.rstrip("s"), title)
        response = page.goto(f"/{kind}/{number}")
        assert response is not None and response.status == 404, (kind, title)
        expect(page.get_by_role("heading", level=1)).to_have_text(tr(lang, "Page not found"))
        expect(page.get_by_text(title)).to_have_count(0)


# ------------------------------------------------------------------------------ keyboard only


def test_keyboard_only_need_form_and_a_decision(
    open_context: OpenContext, live_server: LiveServer
) -> None:
    """Tab, Enter and Space move and act (arrow keys pick from a list); every stop on the way
    shows where the focus is."""
    lang = "uk"
    page = person(open_context, live_server, "requester", lang, True)
    page.goto("/needs/")
    title = f"Навчання операторів телеінспекції колекторів ({token()})"
    tab_to(page, page.get_by_role("link", name=tr(lang, "Post a need")))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(tr(lang, "Post a need"))

    tab_to(page, page.get_by_label(tr(lang, "Title"), exact=True))
    page.keyboard.type(title)
    tab_to(page, page.get_by_label(tr(lang, "Description"), exact=True))
    page.keyboard.type("Потрібне навчання для шести операторів телеінспекції.")
    theme = page.get_by_label(tr(lang, "Theme"), exact=True)
    tab_to(page, theme)
    page.keyboard.press("ArrowDown")
    expect(theme.locator("option:checked")).to_have_text(
        tr(lang, "%(theme)s (critical infrastructure)", theme=THEME_WATER[lang])
    )
    tab_to(page, page.get_by_role("button", name=tr(lang, "Save as draft")))
    page.keyboard.press("Enter")
    expect_message(page, tr(lang, "The need was saved as a draft. Publish it when it is ready."))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)

    tab_to(page, page.get_by_role("button", name=tr(lang, "Publish"), exact=True))
    page.keyboard.press("Space")
    expect_message(page, tr(lang, "The need was published."))
    expect(page.get_by_role("list", name=tr(lang, "Suggested offers"))).to_be_visible()

    # The expert declines a proposal, by keyboard too.
    waiting = make_proposal(live_server, f"Поділ {token()}")
    expert = person(open_context, live_server, "expert", "sv", True)
    expert.goto("/matches/")
    tab_to(expert, expert.get_by_role("link", name=waiting.need_title))
    expert.keyboard.press("Enter")
    expect(expert.get_by_role("heading", level=1)).to_have_text(
        shaped("sv", "Match %(number)s", number=waiting.match_id)
    )
    tab_to(expert, expert.get_by_label(tr("sv", "Reason for declining (optional)")))
    expert.keyboard.type("Vi har inga läcksökare lediga under våren.")
    tab_to(expert, expert.get_by_role("button", name=tr("sv", "Decline the match")))
    assert_focus_visible(expert)
    expert.keyboard.press("Space")
    declined = tr("sv", "You declined the match.")
    expect_message(expert, declined)
    expect(expert.get_by_role("button", name=tr("sv", "Decline the match"))).to_have_count(0)
    # The keyboard user lands on the outcome, not back at the top of the page.
    expect(expert.locator(":focus")).to_have_text(declined)
