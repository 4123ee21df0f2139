"""WCAG 2.1 AA in Chromium: axe-core finds nothing on any page, and keyboard users get what axe
cannot check.

Every GET route of the URL map is opened with real demo records, signed out and as each role, in
each interface language; a route that sends the person to sign in, or answers 403 or 404, is not a
page for them and is not scanned. The main htmx states (a filtered list, a ticked milestone, a
saved language version, forms showing errors) are scanned after the swap. Beyond axe: updates are
announced and put focus somewhere sensible, every focused element shows a visible outline, and
the main pages fit 320 CSS pixels without scrolling sideways.

The number of pages scanned is printed at the end of the module. Records a test changes are
made by that test (through the services), or put back, so other browser tests see the demo
data as it was.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

from portal.extensions import db
from tests.browser.conftest import DEMO, DEMO_PASSWORD, LiveServer

expect.set_options(timeout=10_000)

ROLES = ["anonymous", "requester", "expert", "coordinator", "admin"]
LANGUAGES = ["en", "sv", "uk"]
AXE = Axe()
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
# Not HTML pages: files, the load balancer's JSON health check, the timeout warning's clock.
NOT_PAGES = {"static", "main.healthz", "accounts.session_status"}
# The read API answers JSON (its one page for people, api.v1.docs, is scanned); the report's
# downloads are PDF and XLSX files.
NOT_PAGES |= {
    "api.v1.openapi",
    *(
        f"api.v1.{name}"
        for name in (
            "list_needs",
            "get_need",
            "list_offers",
            "get_offer",
            "list_projects",
            "get_project",
            "list_milestones",
            "get_milestone",
            "list_themes",
            "list_districts",
            "list_organisations",
            "get_agreement",
        )
    ),
    "reports.pdf",
    "reports.spreadsheet",
    "reports.frozen_document",
    # Files and feeds (CSV, XLSX, Atom, iCalendar, IATI XML), not pages.
    "exports.download",
    "exports.atom",
    "exports.public_calendar",
    "exports.personal_calendar",
    "exports.iati_activities",
    "notifications.count",  # the header's fragment, scanned on every page
    "comments.mentions",  # a fragment of names while typing (scanned inside the thread's page)
    "documents.download",  # a file
}
# Query arguments that make a page show more of itself.
EXTRA_ARGUMENTS = {
    "matching.propose": ("need_id", "offer_id"),
    "reports.view": ("start", "end"),  # the current quarter
}

# What was scanned, by (role, language): printed at the end of the module.
SCANNED: Counter[tuple[str, str]] = Counter()


# ------------------------------------------------------------------------------ records


def _arguments_for(live_server: LiveServer, role: str) -> dict[str, Any]:
    """Demo records for the routes' arguments, seen as ``role``: the record of each kind that
    shows the most of its page to them (one they may edit or decide where there is one), a text
    they may translate and a language it lacks, a user and an organisation for the admin pages,
    and fresh links (tokens) of a password reset and an invitation."""
    from portal.accounts.models import TokenPurpose, User
    from portal.accounts.services import issue_token
    from portal.agreements.services import default_agreement
    from portal.content import services as content
    from portal.content.models import CONTENT_LANGUAGES
    from portal.core.enums import NeedStatus, OfferStatus, ProjectStatus
    from portal.matching.models import Match
    from portal.needs.models import Need
    from portal.offers.models import Offer
    from portal.projects.models import Project
    from portal.reference.models import Organisation

    def first(items: list[Any], *preferences: Any) -> Any:
        for prefer in preferences:
            chosen = next((item for item in items if prefer(item)), None)
            if chosen is not None:
                return chosen
        return items[0] if items else None

    with live_server.app.test_request_context("/"):
        try:
            user = (
                db.session.scalar(select(User).filter_by(email=DEMO[role]))
                if role in DEMO
                else None
            )
            needs = list(
                db.session.scalars(select(Need).where(Need.visible_to(user)).order_by(Need.id))
            )
            offers = list(
                db.session.scalars(select(Offer).where(Offer.visible_to(user)).order_by(Offer.id))
            )
            projects = list(
                db.session.scalars(
                    select(Project).where(Project.visible_to(user)).order_by(Project.id)
                )
            )
            matches = list(db.session.scalars(select(Match).order_by(Match.id)))
            need = first(
                needs,
                lambda n: n.can_edit(user) and n.status == NeedStatus.OPEN and n.matches,
                lambda n: n.can_edit(user),
                lambda n: n.status == NeedStatus.OPEN,
            )
            offer = first(
                offers,
                lambda o: o.can_edit(user) and o.status == OfferStatus.OPEN,
                lambda o: o.can_edit(user),
                lambda o: o.status == OfferStatus.OPEN,
            )
            project = first(
                projects,
                lambda p: p.can_report(user) and p.status == ProjectStatus.ACTIVE and p.milestones,
                lambda p: p.status == ProjectStatus.ACTIVE and p.milestones,
            )
            match = first(
                matches,
                lambda m: m.can_decide(user),
                lambda m: m.can_view(user),
            )
            # A text the person may add a language version to, and a language it lacks.
            owned = [r for r in (need, offer, project) if r is not None]
            record = first(owned, lambda r: content.can_translate_record(user, r))
            text = record.title
            language = first(
                [lang for lang in CONTENT_LANGUAGES if lang != text.original_lang],
                lambda lang: text.version(lang) is None,
            )
            other = db.session.scalar(select(User).filter_by(email=DEMO["requester"]))
            organisation = db.session.get(Organisation, other.organisation_id)
            # Links from the mails: a password reset and an invitation of a demo person who is
            # not one of the accounts the tests sign in with.
            invited = db.session.scalar(
                select(User).where(User.email.not_in(DEMO.values())).order_by(User.id)
            )
            reset_token = issue_token(invited, TokenPurpose.PASSWORD_RESET)
            invitation_token = issue_token(invited, TokenPurpose.INVITATION)
            from portal.notifications.delivery import unsubscribe_token

            unsubscribe = unsubscribe_token(invited, "proposal")
            # A comment of the person's own, just written (it may be corrected for 15 minutes),
            # and a document they may see.
            from portal.comments.models import Comment
            from portal.documents.models import Document

            if user is not None:
                comment = Comment(
                    record_kind="project",
                    record_id=project.id,
                    author=user,
                    body="A comment to correct",
                    lang="en",
                )
                db.session.add(comment)
            else:
                comment = db.session.scalar(select(Comment).order_by(Comment.id))
            document = db.session.scalar(
                select(Document).where(Document.visible_to(user)).order_by(Document.id)
            ) or db.session.scalar(select(Document).order_by(Document.id))
            db.session.commit()
            agreement = default_agreement()
            from portal.reports.services import Period

            quarter = Period.quarter_of(date.today())
            return {
                "report_id": _a_frozen_report(agreement),
                "start": quarter.start.isoformat(),
                "end": quarter.end.isoformat(),
                "kind": "project",
                "record_id": project.id,
                "comment_id": comment.id,
                "document_id": document.id,
                "number": 1,
                "need_id": need.id,
                "offer_id": offer.id,
                "project_id": project.id,
                "match_id": match.id,
                "milestone_id": project.milestones[0].id,
                "agreement_id": agreement.id,
                "text_id": text.id,
                "language": language,
                "user_id": other.id,
                "organisation_id": organisation.id,
                "_tokens": {
                    "accounts.reset_password": reset_token,
                    "accounts.accept_invitation": invitation_token,
                    "notifications.unsubscribe": unsubscribe,
                },
            }
        finally:
            db.session.remove()


def _a_frozen_report(agreement: Any) -> int:
    """A report to the city councils frozen by the demo coordinator (once per server)."""
    from portal.accounts.models import User
    from portal.reports import services as reports
    from portal.reports.models import FrozenReport

    found = db.session.scalar(select(FrozenReport.id).order_by(FrozenReport.id).limit(1))
    if found is not None:
        return found
    coordinator = db.session.scalar(select(User).filter_by(email=DEMO["coordinator"]))
    report = reports.freeze(coordinator, agreement, reports.Period.quarter_of(date.today()))
    db.session.commit()
    return report.id


def page_urls(live_server: LiveServer, role: str) -> list[tuple[str, str]]:
    """(endpoint, path) for every GET page of the URL map, with this person's records."""
    arguments = _arguments_for(live_server, role)
    urls = []
    for rule in sorted(live_server.app.url_map.iter_rules(), key=lambda r: r.endpoint):
        if "GET" not in (rule.methods or set()) or rule.endpoint in NOT_PAGES:
            continue
        values = {
            name: arguments["_tokens"][rule.endpoint] if name == "token" else arguments[name]
            for name in rule.arguments
        }
        for name in EXTRA_ARGUMENTS.get(rule.endpoint, ()):
            values[name] = arguments[name]
        urls.append((rule.endpoint, rule.build(values, append_unknown=True)[1]))
    return urls


# ------------------------------------------------------------------------------ scanning


def describe(url: str, violations: list[dict[str, Any]]) -> list[str]:
    """One line per element axe found at fault."""
    return [
        f"{urlsplit(url).path}{'?' + urlsplit(url).query if urlsplit(url).query else ''}: "
        f"{violation['id']} ({violation['impact']}): {violation['help']} "
        f"at {' '.join(map(str, node['target']))}: {node.get('failureSummary', '')!r} "
        f"{node['html'][:200]}"
        for violation in violations
        for node in violation["nodes"]
    ]


def axe_violations(page: Page) -> list[str]:
    """axe-core's WCAG 2.1 A and AA violations on the page as it is now."""
    return describe(page.url, AXE.run(page, options=AXE_OPTIONS).response["violations"])


class Scanner:
    """Scans pages in two tabs of one browser context: axe checks one tab while the next page
    loads (and is checked) in the other, so the server and both tabs' renderers keep two cores
    busy."""

    def __init__(self, context: BrowserContext) -> None:
        self.tabs = [context.new_page(), context.new_page()]
        self.running: dict[int, str] = {}  # tab index -> label of the page axe is checking
        self.turn = 0
        self.violations: list[str] = []
        self.scanned: list[str] = []

    def tab(self) -> Page:
        """The next tab, once axe has finished with the page it holds."""
        self._collect(self.turn)
        return self.tabs[self.turn]

    def scan(self, label: str) -> None:
        """Start axe on the page the current tab holds; the next tab takes the next page."""
        page = self.tabs[self.turn]
        page.evaluate(AXE.axe_script)
        page.evaluate("options => { window.axeRun = axe.run(document, options); }", AXE_OPTIONS)
        self.running[self.turn] = label
        self.turn = 1 - self.turn

    def finish(self) -> None:
        for index in (0, 1):
            self._collect(index)

    def _collect(self, index: int) -> None:
        label = self.running.pop(index, None)
        if label is not None:
            page = self.tabs[index]
            result = page.evaluate("() => window.axeRun")
            self.violations += describe(page.url, result["violations"])
            self.scanned.append(label)


def sign_in_as(
    page: Page,
    live_server: LiveServer,
    role: str,
    lang: str,
    on_second_factor: Callable[[Page], None] | None = None,
) -> None:
    """Sign in as ``role`` in ``lang`` (stay signed out for "anonymous"), through the form;
    ``on_second_factor`` sees the second-factor page, which only ever shows while signing in."""
    page.goto(f"/?lang={lang}")
    if role == "anonymous":
        return
    email = DEMO[role]
    page.goto(f"/login?lang={lang}")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_load_state()
    if "/login/verify" in page.url:
        if on_second_factor is not None:
            on_second_factor(page)
        page.locator("input[name=code]").fill(live_server.totp_code(email))
        page.locator("form button[type=submit]").click()
        page.wait_for_load_state()
    assert "/login" not in page.url, f"sign-in as {email} failed"
    # Signed in, the language saved in the profile wins: choose it again (``demo_languages``
    # puts the saved ones back afterwards).
    page.goto(f"/?lang={lang}")
    expect(page.locator("html")).to_have_attribute("lang", lang)


@pytest.fixture(scope="module", autouse=True)
def demo_languages(live_server: LiveServer) -> Iterator[None]:
    """Choosing a language signed in saves it in the demo person's profile; other browser
    tests sign the same people in and expect their own languages."""
    from portal.accounts.models import User

    def saved() -> dict[str, str | None]:
        with live_server.app.app_context():
            users = db.session.scalars(select(User).where(User.email.in_(DEMO.values())))
            return {user.email: user.locale for user in users}

    before = saved()
    yield
    with live_server.app.app_context():
        for user in db.session.scalars(select(User).where(User.email.in_(DEMO.values()))):
            user.locale = before[user.email]
        db.session.commit()
        db.session.remove()
    assert saved() == before


@pytest.fixture(scope="module", autouse=True)
def report_scanned(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or not SCANNED:
        return
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled():
        reporter.write_line("")
        reporter.write_line(f"axe scanned {sum(SCANNED.values())} pages:")
        for role in [*ROLES, "htmx states", "320 px"]:
            counts = [
                f"{lang} {SCANNED[role, lang]}" for lang in LANGUAGES if (role, lang) in SCANNED
            ]
            if counts:
                reporter.write_line(f"  {role}: {', '.join(counts)}")


def test_axe_reports_what_it_finds(page):
    """The scan is set up to fail: a page with a nameless image, link and field, low contrast
    and no language has violations of each kind."""
    page.set_content(
        "<title>x</title><img src='x.svg'><a href='/'></a><input><p style='color:#bbb'>faint</p>"
    )
    found = {line.split(": ")[1].split(" ")[0] for line in axe_violations(page)}
    assert {"image-alt", "link-name", "label", "color-contrast", "html-has-lang"} <= found


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("role", ROLES)
def test_every_page_passes_axe(browser: Browser, live_server: LiveServer, role: str, lang: str):
    context = browser.new_context(base_url=live_server.url)
    routes = live_server.app.url_map.bind("127.0.0.1")
    try:
        scanner = Scanner(context)
        violations: list[str] = []

        def scan_second_factor(page: Page) -> None:
            violations.extend(axe_violations(page))
            scanner.scanned.append("accounts.verify")

        sign_in_as(scanner.tabs[0], live_server, role, lang, scan_second_factor)
        not_pages, seen = [], set()
        for endpoint, path in [*page_urls(live_server, role), *ERROR_PAGES[role]]:
            page = scanner.tab()
            response = page.goto(path)
            assert response is not None
            final = urlsplit(page.url).path
            if endpoint in ("403", "404"):
                assert response.status == int(endpoint), f"{path}: {response.status}"
            elif response.status in (403, 404) or (
                final.startswith("/login") and not path.startswith("/login")
            ):
                not_pages.append(endpoint)
                continue
            else:
                assert response.status == 200, f"{path}: {response.status}"
                if final in seen:  # redirected to a page already scanned
                    continue
                seen.add(final)
                endpoint = routes.match(final)[0]
            assert page.locator("html").get_attribute("lang") == lang, path
            scanner.scan(endpoint)
        scanner.finish()
    finally:
        context.close()
    SCANNED[role, lang] += len(scanner.scanned)
    violations += scanner.violations
    # Only pages really seen can pass: each role's own pages must be among them.
    missing = set(EXPECTED_PAGES[role]) - set(scanner.scanned)
    assert (violations, missing) == ([], set()), "\n".join(
        [*violations, f"not scanned: {sorted(missing)}; not pages for {role}: {not_pages}"]
    )


# The error pages themselves: a record that does not exist, and a page the role may not open.
ERROR_PAGES = {
    role: [("404", "/needs/987654321")]
    + ([("403", "/admin/users")] if role in ("requester", "expert", "coordinator") else [])
    for role in ROLES
}
EXPECTED_PAGES = {
    "anonymous": [
        "main.home",
        "main.accessibility",
        "main.design",
        "accounts.login",
        "accounts.forgot_password",
        "accounts.reset_password",
        "accounts.accept_invitation",
        "needs.index",
        "needs.detail",
        "offers.index",
        "offers.detail",
        "projects.index",
        "projects.detail",
        "agreements.detail",
        "api.v1.docs",
        "exports.open_data",
        "notifications.unsubscribe",
        "comments.thread",
        "documents.index",
        "documents.detail",
    ],
    "requester": [
        "main.home",
        "needs.new",
        "needs.edit",
        "needs.detail",
        "matching.index",
        "matching.detail",
        "matching.propose",
        "content.translate",
        "dashboard.index",
        "accounts.profile",
        "accounts.two_factor",
        "accounts.change_password",
        "projects.detail",
        "notifications.inbox",
        "notifications.settings",
        "comments.thread",
        "comments.edit",
        "documents.index",
        "documents.detail",
        "403",
    ],
    "expert": [
        "main.home",
        "offers.new",
        "offers.edit",
        "offers.detail",
        "matching.detail",
        "content.translate",
        "dashboard.index",
        "403",
    ],
    "coordinator": [
        "main.home",
        "projects.new",
        "projects.edit",
        "projects.detail",
        "agreements.new_amendment",
        "content.missing",
        "content.translate",
        "audit.index",
        "dashboard.index",
        "matching.propose",
        "accounts.verify",
        "reports.index",
        "reports.view",
        "reports.frozen",
        "403",
    ],
    "admin": [
        "admin.users",
        "admin.organisations",
        "admin.new_user",
        "admin.edit_user",
        "admin.new_organisation",
        "admin.edit_organisation",
        "mail.outbox",
        "notifications.failed",
        "documents.admin",
        "audit.index",
        "accounts.verify",
    ],
}


# ------------------------------------------------------------------------------ htmx states


def person(browser: Browser, live_server: LiveServer, role: str, lang: str) -> Page:
    """A new browser context (closed with the test's ``context_cleanup``) signed in."""
    context = browser.new_context(base_url=live_server.url)
    OPEN_CONTEXTS.append(context)
    page = context.new_page()
    sign_in_as(page, live_server, role, lang)
    return page


OPEN_CONTEXTS: list[BrowserContext] = []


@pytest.fixture(autouse=True)
def context_cleanup() -> Iterator[None]:
    yield
    while OPEN_CONTEXTS:
        OPEN_CONTEXTS.pop().close()


def scan_state(page: Page, lang: str) -> list[str]:
    SCANNED["htmx states", lang] += 1
    return axe_violations(page)


def settled(page: Page) -> None:
    """htmx has swapped and settled (it marks elements while a request is in flight)."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )


def focused(page: Page) -> dict[str, Any]:
    return page.evaluate(
        """() => {
          const el = document.activeElement;
          return {tag: el.tagName.toLowerCase(), id: el.id, name: el.getAttribute("name"),
                  row: el.closest("tr") ? el.closest("tr").id : null,
                  inside: el.closest("[id]") ? el.closest("[id]").id : null};
        }"""
    )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_filtered_needs_list_announces_its_count_and_keeps_focus(browser, live_server, lang):
    page = person(browser, live_server, "requester", lang)
    page.goto("/needs/")
    count = page.locator("#needs-count")
    expect(count).to_have_attribute("role", "status")
    expect(count).to_have_attribute("aria-live", "polite")
    before = count.inner_text()
    theme = page.locator("select[name=theme]")
    wanted = theme.locator("option").nth(1).get_attribute("value")
    with page.expect_response(lambda r: "/needs/?" in r.url and f"theme={wanted}" in r.url):
        theme.focus()
        theme.select_option(wanted)
    expect(page).to_have_url(re.compile(rf"[?&]theme={wanted}\b"))
    settled(page)
    # Focus stays in the filter the person just changed; the count (a live region that stays
    # in place) tells how many needs the list now holds.
    assert focused(page)["name"] == "theme"
    shown = page.locator("#needs-list .list > li").count()
    assert count.inner_text() != before
    assert str(shown) in count.inner_text()
    assert scan_state(page, lang) == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_ticking_a_milestone_is_announced_and_focus_stays_on_its_button(browser, live_server, lang):
    page = person(browser, live_server, "coordinator", lang)
    page.goto(f"/projects/{_arguments_for(live_server, 'coordinator')['project_id']}")
    button = page.locator("#milestones form:has(input[name=done][value='1']) button").first
    row = button.locator("xpath=ancestor::tr").get_attribute("id")
    button.focus()
    page.keyboard.press("Enter")
    messages = page.locator("#messages")
    expect(messages.locator(".flash-success")).to_be_visible()
    settled(page)
    try:
        assert focused(page)["row"] == row  # the same milestone's button, now "not done"
        expect(page.locator(f"#{row} input[name=done]")).to_have_value("0")
        assert messages.get_attribute("aria-live") == "polite"
        assert scan_state(page, lang) == []
    finally:
        # Leave the demo project as it was.
        page.locator(f"#{row} button").click()
        expect(page.locator(f"#{row} input[name=done]")).to_have_value("1")


def _draft_need(live_server: LiveServer, title: str) -> tuple[int, int]:
    """A draft need of Kyivvodokanal (only its own people see it): its id and its title's id."""
    from portal.accounts.models import User
    from portal.core.enums import HelpKind, Priority
    from portal.needs import services as needs
    from portal.reference.models import Theme

    with live_server.app.test_request_context("/"):
        try:
            requester = db.session.scalar(select(User).filter_by(email=DEMO["requester"]))
            need = needs.create_need(
                requester,
                title=title,
                description="Потрібна допомога з плануванням.",
                lang="uk",
                theme=db.session.scalar(select(Theme).filter_by(code="education")),
                priority=Priority.MEDIUM,
                help_kind=HelpKind.ADVICE,
            )
            db.session.commit()  # the services flush; the caller commits
            return need.id, need.title_id
        finally:
            db.session.remove()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_adding_a_language_version_in_place_moves_focus_and_announces(browser, live_server, lang):
    need_id, title_id = _draft_need(live_server, f"Чернетка для перевірки доступності {lang}")
    page = person(browser, live_server, "requester", lang)
    page.goto(f"/needs/{need_id}")
    target = "en" if lang != "en" else "sv"
    slot = page.locator(f"#text-{title_id}-{target}")
    slot.locator("a").click()
    field = slot.locator("textarea")
    expect(field).to_be_focused()
    assert field.get_attribute("lang") == target
    assert scan_state(page, lang) == []  # the form open in place
    field.fill("Draft for the accessibility check" if target == "en" else "Utkast för granskning")
    slot.locator("button[type=submit]").click()
    saved = slot.locator(".translation[role=status]")
    expect(saved).to_be_focused()
    settled(page)
    assert scan_state(page, lang) == []  # the saved version in place


@pytest.mark.parametrize("lang", LANGUAGES)
def test_forms_showing_errors(browser, live_server, lang):
    page = person(browser, live_server, "requester", lang)
    page.goto("/needs/new")
    page.locator("main form button[type=submit]").last.click()
    expect(page.locator("main .error").first).to_be_visible()
    assert page.locator("[aria-invalid=true]").count() > 0
    violations = scan_state(page, lang)

    page.goto("/accessibility/report")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#description-error")).to_be_visible()
    expect(page.locator("#description")).to_have_attribute("aria-invalid", "true")
    violations += scan_state(page, lang)
    assert violations == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_exports_calendar_address_page(browser, live_server, lang):
    """The page showing a new calendar address (the answer to the profile's POST)."""
    page = person(browser, live_server, "expert", lang)
    page.goto("/profile")
    page.locator("main form[action$='/profile/calendar'] button[type=submit]").click()
    expect(page.locator("#calendar-address")).to_be_visible()
    assert scan_state(page, lang) == []


# ------------------------------------------------------------------------------ keyboard


FOCUS_RING = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) { return null; }
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
  const shadow = style.boxShadow !== "none";
  const onScreen = box.width > 0 && box.height > 0 && box.bottom > 0 && box.right > 0
    && box.top < innerHeight && box.left < innerWidth;
  return {element: el.outerHTML.slice(0, 120), ring: outline || shadow, onScreen: onScreen};
}"""


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("requester", "/needs/"),
        ("anonymous", "/needs/"),
        ("coordinator", "project"),
        ("coordinator", "/dashboard/"),
    ],
)
def test_every_focused_element_shows_a_visible_outline(browser, live_server, role, path):
    page = person(browser, live_server, role, "uk")
    if path == "project":
        path = f"/projects/{_arguments_for(live_server, role)['project_id']}"
    page.goto(path)
    stops, hidden = [], []
    for _ in range(400):
        page.keyboard.press("Tab")
        state = page.evaluate(FOCUS_RING)
        if state is None or (stops and state["element"] == stops[0]):
            break  # out of the page, or round to the start again
        stops.append(state["element"])
        if not (state["ring"] and state["onScreen"]):
            hidden.append(state)
    assert len(stops) > 15, f"only {len(stops)} focus stops on {path}"
    assert "skip-link" in stops[0]
    assert hidden == [], f"{len(hidden)} of {len(stops)} focus stops show no visible focus"


def test_skip_link_moves_focus_to_the_content(browser, live_server):
    page = person(browser, live_server, "anonymous", "sv")
    page.goto("/needs/")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0  # shown when focused
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


# ------------------------------------------------------------------------------ 320 px


NARROW_PAGES = {
    "anonymous": [
        "/",
        "/needs/",
        "need",
        "/offers/",
        "offer",
        "/projects/",
        "project",
        "/agreements/",
        "/accessibility",
        "/accessibility/report",
        "/login",
    ],
    "requester": [
        "/",
        "/needs/",
        "need",
        "/needs/new",
        "/matches/",
        "match",
        "/dashboard/",
        "project",
    ],
    "coordinator": ["project", "/dashboard/", "/texts/missing", "/audit/", "/projects/new"],
    "admin": ["/admin/users", "/admin/organisations", "/admin/outbox/"],
}
WIDER_THAN_VIEWPORT = """() => {
  const width = document.documentElement.clientWidth;
  const scrolls = el => ["auto", "scroll", "hidden"].includes(getComputedStyle(el).overflowX);
  const inScroller = el => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (scrolls(p)) { return true; }
    }
    return false;
  };
  return {scrollWidth: document.documentElement.scrollWidth, width: width,
          wide: [...document.body.querySelectorAll("*")]
            .filter(el => el.getBoundingClientRect().right > width + 0.5 && !inScroller(el))
            .slice(0, 5).map(el => el.outerHTML.slice(0, 100))};
}"""


@pytest.mark.parametrize("role", list(NARROW_PAGES))
def test_main_pages_fit_320_css_pixels(browser, live_server, role):
    """Reflow (WCAG 1.4.10): no scrolling sideways at 320 CSS px; a table too wide scrolls in
    its own labelled, focusable wrapper. axe runs at this width too, where such wrappers
    scroll."""
    page = person(browser, live_server, role, "uk")
    page.set_viewport_size({"width": 320, "height": 640})
    records = _arguments_for(live_server, role)
    paths = {
        "need": f"/needs/{records['need_id']}",
        "offer": f"/offers/{records['offer_id']}",
        "project": f"/projects/{records['project_id']}",
        "match": f"/matches/{records['match_id']}",
    }
    too_wide, violations = [], []
    for path in NARROW_PAGES[role]:
        response = page.goto(paths.get(path, path))
        assert response is not None and response.status == 200, path
        layout = page.evaluate(WIDER_THAN_VIEWPORT)
        if layout["scrollWidth"] > 320:
            too_wide.append((path, layout))
        violations += axe_violations(page)
        SCANNED["320 px", "uk"] += 1
    assert too_wide == [] and violations == [], "\n".join(map(str, [*too_wide, *violations]))


def _need_and_offer(live_server: LiveServer, label: str, proposed: bool) -> dict[str, Any]:
    """A published need of Kyivvodokanal and a published offer of Stockholm Vatten och Avfall
    that fit each other (same theme, kind of help, period and words), made for this test so the
    demo records stay as they were; with ``proposed``, the requester has proposed the match."""
    from datetime import date, timedelta

    from portal.accounts.models import User
    from portal.core.enums import HelpKind, Priority
    from portal.matching import services as matching
    from portal.needs import services as needs
    from portal.offers import services as offers
    from portal.reference.models import Theme

    today = date.today()
    with live_server.app.test_request_context("/"):
        try:
            requester = db.session.scalar(select(User).filter_by(email=DEMO["requester"]))
            expert = db.session.scalar(select(User).filter_by(email=DEMO["expert"]))
            theme = db.session.scalar(select(Theme).filter_by(code="education"))
            need = needs.create_need(
                requester,
                title=f"Навчання операторів насосних станцій {label}",
                description="Навчання операторів насосних станцій з енергоефективності.",
                lang="uk",
                theme=theme,
                priority=Priority.MEDIUM,
                help_kind=HelpKind.TRAINING,
                wanted_from=today,
                wanted_until=today + timedelta(days=120),
                person_days=5,
            )
            needs.publish_need(requester, need)
            db.session.commit()  # the services flush; the caller commits
            offer_title = f"Utbildning av pumpstationsoperatörer {label}"
            offer = offers.create_offer(
                expert,
                title=offer_title,
                description="Utbildning för operatörer av pumpstationer.",
                lang="sv",
                themes=[theme],
                help_kind=HelpKind.TRAINING,
                capacity_days=10,
                available_from=today,
                available_until=today + timedelta(days=120),
            )
            offers.publish_offer(expert, offer)
            db.session.commit()  # the services flush; the caller commits
            records = {"need_id": need.id, "offer_id": offer.id, "offer_title": offer_title}
            if proposed:
                match = matching.propose(requester, need, offer, person_days=5)
                db.session.commit()  # the service flushes; a request would commit here
                records["match_id"] = match.id
            return records
        finally:
            db.session.remove()


def test_accepting_a_match_announces_and_focuses_the_outcome(browser, live_server):
    records = _need_and_offer(live_server, "A", proposed=True)
    page = person(browser, live_server, "expert", "sv")
    page.goto(f"/matches/{records['match_id']}")
    article = page.locator(f"#match-{records['match_id']}")
    article.locator("form[action$='/accept'] button").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#messages .flash-success")).to_be_visible()
    settled(page)
    # The buttons are gone with the old fragment: focus goes to the outcome, not the page top.
    outcome = page.locator(f"#match-{records['match_id']} [data-focus-after-swap]")
    expect(outcome).to_be_focused()
    assert scan_state(page, "sv") == []


def test_proposing_a_suggested_offer_announces_and_focuses_the_outcome(browser, live_server):
    records = _need_and_offer(live_server, "B", proposed=False)
    page = person(browser, live_server, "requester", "uk")
    page.goto(f"/needs/{records['need_id']}")
    suggestion = page.locator("#matching-panel ol.list > li", has_text=records["offer_title"])
    suggestion.locator("button").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#messages .flash-success")).to_be_visible()
    settled(page)
    expect(page.locator("#matching-panel [data-focus-after-swap]")).to_be_focused()
    assert scan_state(page, "uk") == []


def test_publishing_a_need_in_place_focuses_the_outcome(browser, live_server):
    need_id, _ = _draft_need(live_server, "Навчання для перевірки публікації з клавіатури")
    page = person(browser, live_server, "requester", "uk")
    page.goto(f"/needs/{need_id}")
    page.locator("#need-state form[action$='/publish'] button").focus()
    page.keyboard.press("Enter")
    outcome = page.locator("#need-state .flash-success")
    expect(outcome).to_be_focused()
    settled(page)
    assert scan_state(page, "uk") == []
