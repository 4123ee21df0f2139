"""The four journeys of the brief, end to end through the HTTP surface.

Each journey is walked as a browser without JavaScript would: pages are fetched, the forms on
them are read (their real field names, hidden fields and choices) and posted back with what the
person fills in, and redirects are followed. Every step asserts on what the person sees. A
second test per journey repeats its key actions as htmx requests and checks the fragments.

The database is used only to set up what a journey starts from (through the services, as the
other people would have done it) and to check the outcome at the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask_babel import force_locale, format_percent, gettext, ngettext, pgettext
from werkzeug.datastructures import MultiDict

from portal.agreements.services import default_agreement
from portal.core.enums import (
    HelpKind,
    MatchStatus,
    NeedStatus,
    OfferStatus,
    Priority,
    ProjectStatus,
    ReportStatus,
    Side,
    Visibility,
)
from portal.core.i18n import format_date
from portal.extensions import db
from portal.matching import services as matching
from portal.matching.models import Match
from portal.needs import services as needs
from portal.needs.models import Need
from portal.offers import services as offers
from portal.offers.models import Offer
from portal.projects import services as projects
from portal.projects.models import Milestone, Project, StatusReport
from portal.reference.models import Organisation
from tests.conftest import EMAILS, PASSWORD
from tests.dashboard.builders import district, theme

HX = {"HX-Request": "true"}


# ================================================================ reading pages like a browser


def norm(text: str) -> str:
    """Whitespace (also no-break spaces) collapsed, as a reader perceives the words."""
    return " ".join(str(text).split())


@dataclass
class Option:
    value: str
    label: str
    selected: bool


@dataclass
class Control:
    name: str
    kind: str  # input | select | textarea
    type: str = "text"
    value: str = ""
    checked: bool = False
    multiple: bool = False
    options: list[Option] = field(default_factory=list)
    label: str = ""  # for checkboxes and radios: the text of their <label for=...>
    id: str = ""


@dataclass
class Form:
    page: Page
    action: str
    method: str
    hx_post: str | None
    controls: list[Control] = field(default_factory=list)

    # ------------------------------------------------------------ filling in

    def _named(self, name: str) -> list[Control]:
        found = [c for c in self.controls if c.name == name]
        names = sorted({c.name for c in self.controls})
        assert found, f"the form posting to {self.action} has no field {name!r}; it has {names}"
        return found

    def fill(self, **values: Any) -> Form:
        """Type into text fields, or pick options and boxes by their value, as a person would:
        a value the form does not offer is a test error, not a post."""
        for name, value in values.items():
            controls = self._named(name)
            first = controls[0]
            if first.kind == "select":
                wanted = {str(v) for v in value} if isinstance(value, list) else {str(value)}
                offered = {o.value for o in first.options}
                assert wanted <= offered, f"{name}: {wanted - offered} not among {offered}"
                for option in first.options:
                    option.selected = option.value in wanted
            elif first.type in ("checkbox", "radio"):
                wanted = {str(v) for v in value} if isinstance(value, list) else {str(value)}
                offered = {c.value for c in controls}
                assert wanted <= offered, f"{name}: {wanted - offered} not among {offered}"
                for control in controls:
                    control.checked = control.value in wanted
            else:
                assert len(controls) == 1, name
                first.value = value.isoformat() if isinstance(value, date) else str(value)
        return self

    def choose(self, name: str, label: str) -> Form:
        """Pick the one option (or box) whose visible label contains ``label``."""
        controls = self._named(name)
        if controls[0].kind == "select":
            labels = [(o.value, o.label) for o in controls[0].options]
        else:
            labels = [(c.value, c.label) for c in controls]
        hits = [value for value, text in labels if norm(label) in norm(text)]
        assert len(hits) == 1, f"{name}: {label!r} matches {hits} among {labels}"
        return self.fill(**{name: hits[0]})

    def tick(self, label: str) -> Form:
        """Tick the one checkbox whose label contains ``label``, whatever its name."""
        boxes = [c for c in self.controls if c.type == "checkbox" and norm(label) in norm(c.label)]
        assert len(boxes) == 1, f"{len(boxes)} checkboxes labelled {label!r}"
        boxes[0].checked = True
        return self

    def options(self, name: str) -> list[str]:
        controls = self._named(name)
        if controls[0].kind == "select":
            return [norm(o.label) for o in controls[0].options]
        return [norm(c.label) for c in controls]

    def values(self) -> MultiDict:
        """The successful controls, as the browser would send them."""
        pairs: list[tuple[str, str]] = []
        for c in self.controls:
            if c.kind == "select":
                chosen = [o for o in c.options if o.selected]
                if not chosen and not c.multiple and c.options:
                    chosen = c.options[:1]
                pairs += [(c.name, o.value) for o in chosen]
            elif c.type in ("checkbox", "radio"):
                if c.checked:
                    pairs.append((c.name, c.value))
            elif c.type not in ("submit", "button", "reset", "image", "file"):
                pairs.append((c.name, c.value))
        return MultiDict(pairs)

    # ------------------------------------------------------------ sending

    def submit(self, client, *, htmx: bool = False):
        """Post (or get) the form. ``htmx``: as htmx sends it, to its ``hx-post``."""
        if htmx:
            assert self.hx_post, f"the form posting to {self.action} has no hx-post"
            url = self.hx_post
            headers = {**HX, "HX-Current-URL": "http://localhost" + self.page.url}
        else:
            url = self.action or self.page.url
            headers = {}
        url = url.split("#", 1)[0]  # the browser never sends the fragment
        if self.method == "get" and not htmx:
            return client.get(url, query_string=self.values())
        return client.post(url, data=self.values(), headers=headers)


class _Parser(HTMLParser):
    def __init__(self, page: Page) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.lang: str | None = None
        self.forms: list[Form] = []
        self.tables: list[list[list[str]]] = []
        self.captions: list[str] = []
        self.links: list[tuple[str, list[str]]] = []
        self.words: list[str] = []
        self.labels: dict[str, list[str]] = {}
        self._form: Form | None = None
        self._select: Control | None = None
        self._option: tuple[str | None, list[str], bool] | None = None
        self._textarea: Control | None = None
        self._tables: list[tuple[list[list[str]], list[str]]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._caption: list[str] | None = None
        self._link: list[str] | None = None
        self._label: list[str] | None = None
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "html":
            self.lang = a.get("lang")
        elif tag in ("script", "style"):
            self._skip += 1
        elif tag == "form":
            self._form = Form(
                self.page,
                a.get("action", ""),
                a.get("method", "get").lower(),
                a.get("hx-post"),
            )
            self.forms.append(self._form)
        elif tag == "input" and self._form is not None and a.get("name"):
            kind = a.get("type", "text").lower()
            default = "on" if kind in ("checkbox", "radio") else ""
            self._form.controls.append(
                Control(
                    a["name"],
                    "input",
                    kind,
                    a.get("value", default),
                    "checked" in a,
                    id=a.get("id", ""),
                )
            )
        elif tag == "select" and self._form is not None:
            self._select = Control(a.get("name", ""), "select", multiple="multiple" in a)
        elif tag == "option" and self._select is not None:
            self._option = (a.get("value") if "value" in a else None, [], "selected" in a)
        elif tag == "textarea" and self._form is not None:
            self._textarea = Control(a.get("name", ""), "textarea", "textarea")
        elif tag == "table":
            self._tables.append(([], []))
        elif tag == "caption":
            self._caption = []
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "a" and a.get("href"):
            self._link = []
            self.links.append((a["href"], self._link))
        elif tag == "label" and a.get("for"):
            self._label = self.labels.setdefault(a["for"], [])

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(self._skip - 1, 0)
        elif tag == "form":
            self._form = None
        elif tag == "option" and self._option is not None and self._select is not None:
            value, words, selected = self._option
            label = norm("".join(words))
            self._select.options.append(Option(label if value is None else value, label, selected))
            self._option = None
        elif tag == "select" and self._select is not None:
            if self._form is not None and self._select.name:
                self._form.controls.append(self._select)
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            if self._form is not None and self._textarea.name:
                # As browsers do, one newline right after <textarea> is not part of the value.
                value = self._textarea.value
                self._textarea.value = value[1:] if value.startswith("\n") else value
                self._form.controls.append(self._textarea)
            self._textarea = None
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(norm("".join(self._cell)))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._tables:
                self._tables[-1][0].append(self._row)
            self._row = None
        elif tag == "caption" and self._caption is not None:
            if self._tables:
                self._tables[-1][1].append(norm("".join(self._caption)))
            self._caption = None
        elif tag == "table" and self._tables:
            rows, caption = self._tables.pop()
            self.tables.append(rows)
            self.captions.append(caption[0] if caption else "")
        elif tag == "a":
            self._link = None
        elif tag == "label":
            self._label = None

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self.words.append(data)
        for sink in (self._cell, self._caption, self._link, self._label):
            if sink is not None:
                sink.append(data)
        if self._option is not None:
            self._option[1].append(data)
        if self._textarea is not None:
            self._textarea.value += data


class Page:
    """A response read as a person reads it: its language, words, forms, tables and links."""

    def __init__(self, response, url: str = "") -> None:
        self.response = response
        self.status = response.status_code
        self.url = url or response.request.full_path.rstrip("?")
        self.html = response.get_data(as_text=True)
        parser = _Parser(self)
        parser.feed(self.html)
        parser.close()
        self.lang = parser.lang
        self.text = norm(" ".join(parser.words))
        self.forms = parser.forms
        self.tables = list(zip(parser.captions, parser.tables))
        self.links = [(href, norm("".join(words))) for href, words in parser.links]
        for form in self.forms:
            for control in form.controls:
                if control.id in parser.labels:
                    control.label = norm("".join(parser.labels[control.id]))

    def __contains__(self, words: str) -> bool:
        return norm(words) in self.text

    def __repr__(self) -> str:
        return f"<Page {self.url} {self.status}: {self.text[:3000]}>"

    @property
    def is_fragment(self) -> bool:
        return "<html" not in self.html and "<body" not in self.html

    def form(self, action: str | None = None, *, field: str | None = None, **hidden: Any) -> Form:
        """The one form posting to ``action`` (a path, or a part of one), having ``field``,
        whose fields hold the ``hidden`` values."""
        found = []
        for form in self.forms:
            target = form.action or form.hx_post or ""
            if action is not None and action not in target:
                continue
            names = {c.name for c in form.controls}
            if field is not None and field not in names:
                continue
            sent = form.values()
            if all(sent.get(name) == str(value) for name, value in hidden.items()):
                found.append(form)
        assert len(found) == 1, f"{len(found)} forms for {action} {field} {hidden} in {self!r}"
        return found[0]

    def has_form(self, action: str, **hidden: Any) -> bool:
        return any(
            action in (f.action or f.hx_post or "")
            and all(f.values().get(n) == str(v) for n, v in hidden.items())
            for f in self.forms
        )

    def table(self, caption: str) -> list[list[str]]:
        hits = [rows for text, rows in self.tables if norm(caption) in text]
        assert len(hits) == 1, f"{len(hits)} tables captioned {caption!r} in {self!r}"
        return hits[0]

    def row(self, caption: str, heading: str) -> list[str]:
        rows = [r for r in self.table(caption) if r and r[0] == norm(heading)]
        assert len(rows) == 1, f"no single row {heading!r} in {self.table(caption)}"
        return rows[0][1:]

    def link(self, words: str) -> str:
        hits = [href for href, text in self.links if norm(words) in text]
        assert hits, f"no link with {words!r} in {self!r}"
        return hits[0]


def get(client, url: str, **kwargs: Any) -> Page:
    return Page(client.get(url, **kwargs), url)


def follow(client, response, expected: str | None = None) -> Page:
    """The page a redirect after a post leads to."""
    assert response.status_code in (302, 303), (
        f"expected a redirect, got {response.status_code}: {Page(response)!r}"
    )
    location = response.headers["Location"]
    target = urlsplit(location)
    path = target.path + (f"?{target.query}" if target.query else "")
    if expected is not None:
        assert target.path == expected, f"redirected to {location}, not {expected}"
    page = get(client, path)
    assert page.status == 200, page
    return page


def sign_in(client, who: str, lang: str) -> Page:
    """Open the sign-in page in ``lang`` and sign in with its form; the start page follows."""
    page = get(client, f"/login?lang={lang}")
    assert page.status == 200
    assert page.lang == lang
    form = page.form(field="password").fill(email=EMAILS[who], password=PASSWORD)
    return follow(client, form.submit(client), "/")


def switch_to(client, who: str) -> None:
    client.logout()
    client.login(EMAILS[who])


# ================================================================ the interface's words


@contextmanager
def speaking(lang: str) -> Iterator[None]:
    with force_locale(lang):
        yield


def say(lang: str, message: str, **params: Any) -> str:
    """What the interface says in ``lang``; in Swedish or Ukrainian, never the English."""
    with speaking(lang):
        said = gettext(message, **params)
    if lang != "en":
        assert said != message % params if params else said != message, f"untranslated: {message}"
    return said


def say_n(lang: str, singular: str, plural: str, num: int, **params: Any) -> str:
    with speaking(lang):
        return ngettext(singular, plural, num, **params)


def say_p(lang: str, context: str, message: str) -> str:
    with speaking(lang):
        return pgettext(context, message)


def label(lang: str, member: Any) -> str:
    with speaking(lang):
        return str(member.label)


# ================================================================ what the journeys start from


def organisation_of(user: Any) -> Organisation:
    return db.session.get(Organisation, user.organisation_id)


def wanted_period() -> tuple[date, date]:
    today = date.today()
    return today + timedelta(days=14), today + timedelta(days=120)


LEAK_NEED_UK = "Виявлення прихованих витоків у водопровідній мережі Оболонського району"
LEAK_NEED_UK_TEXT = (
    "Втрати води в мережі Оболоні перевищують 30 %. Потрібна консультація щодо "
    "акустичного пошуку витоків і керування тиском."
)
LEAK_OFFER_EN = "Leak detection and pressure management in water networks"
LEAK_OFFER_EN_TEXT = (
    "Stockholm Vatten och Avfall shares its experience of acoustic leak detection, pressure "
    "management and district metered areas in the water distribution network."
)


def leak_offer(users: dict[str, Any], *, publish: bool = True, capacity: int = 60) -> Offer:
    """Stockholm Vatten och Avfall's open offer of advice on leak detection, in English."""
    today = date.today()
    offer = offers.create_offer(
        users["expert"],
        title=LEAK_OFFER_EN,
        description=LEAK_OFFER_EN_TEXT,
        lang="en",
        themes=[theme("water_sewage")],
        help_kind=HelpKind.ADVICE,
        capacity_days=capacity,
        available_from=today,
        available_until=today + timedelta(days=365),
    )
    if publish:
        offers.publish_offer(users["expert"], offer)
    db.session.commit()  # the services flush; the caller commits
    return offer


def leak_need(users: dict[str, Any], *, person_days: int = 20) -> Need:
    """Kyivvodokanal's published need, in Ukrainian; restricted, as water is critical."""
    start, end = wanted_period()
    need = needs.create_need(
        users["requester"],
        title=LEAK_NEED_UK,
        description=LEAK_NEED_UK_TEXT,
        lang="uk",
        theme=theme("water_sewage"),
        priority=Priority.HIGH,
        help_kind=HelpKind.ADVICE,
        district=district("Obolonskyi"),
        wanted_from=start,
        wanted_until=end,
        person_days=person_days,
    )
    needs.publish_need(users["requester"], need)
    db.session.commit()
    assert need.visibility == Visibility.RESTRICTED
    return need


def simple_need(
    users: dict[str, Any],
    who: str,
    title: str,
    theme_code: str,
    help_kind: HelpKind,
    *,
    visibility: Visibility | None = None,
    publish: bool = True,
    description: str = "",
) -> Need:
    need = needs.create_need(
        users[who],
        title=title,
        description=description or f"{title}: what we have, and what help would change.",
        lang="en",
        theme=theme(theme_code),
        priority=Priority.MEDIUM,
        help_kind=help_kind,
        visibility=visibility,
    )
    if publish:
        needs.publish_need(users[who], need)
    db.session.commit()
    return need


def agreed(users: dict[str, Any], need: Need, offer: Offer, requester: str = "requester") -> Match:
    """The need's requester proposes the offer, the expert accepts."""
    match = matching.propose(users[requester], need, offer)
    matching.accept(users["expert"], match)
    db.session.commit()
    assert match.status == MatchStatus.AGREED
    return match


def created_id(response, prefix: str) -> int:
    path = urlsplit(response.headers["Location"]).path
    assert path.startswith(prefix), path
    return int(path.removeprefix(prefix).strip("/").split("/")[0])


# ================================================================ journey 1


def test_journey_1_kyiv_official_posts_a_need_and_proposes_a_stockholm_offer(client, users):
    """A Kyiv official signs in in Ukrainian, posts a need for water-network leak detection,
    sees suggested Stockholm offers with the reasons, proposes one."""
    offer = leak_offer(users)
    # Another Stockholm offer that fits neither the theme nor the kind of help.
    other = offers.create_offer(
        users["other_expert"],
        title="Open data platforms for city services",
        description="Stokab trains city staff in publishing open data.",
        lang="en",
        themes=[theme("it_digital")],
        help_kind=HelpKind.TRAINING,
        capacity_days=30,
        available_from=date.today(),
        available_until=date.today() + timedelta(days=365),
    )
    offers.publish_offer(users["other_expert"], other)
    db.session.commit()
    expert_org = organisation_of(users["expert"])
    water = theme("water_sewage")

    # She signs in in Ukrainian and gets Ukrainian pages.
    start = sign_in(client, "requester", "uk")
    assert start.lang == "uk"
    assert say("uk", "Welcome, %(name)s", name="Olena Kovalenko") in start
    assert say("uk", "Waiting for you") in start

    # The need editor, in Ukrainian, with the themes in Ukrainian.
    editor = get(client, "/needs/new")
    assert editor.status == 200
    assert editor.lang == "uk"
    form = editor.form(field="title")
    assert any(water.name_uk in option for option in form.options("theme"))
    start_on, end_on = wanted_period()
    form.fill(
        title=LEAK_NEED_UK,
        description=LEAK_NEED_UK_TEXT,
        lang="uk",
        priority=Priority.HIGH.value,
        help_kind=HelpKind.ADVICE.value,
        wanted_from=start_on,
        wanted_until=end_on,
        person_days=20,
    )
    form.choose("theme", water.name_uk).choose("district", district("Obolonskyi").name_uk)
    response = form.submit(client)
    need_id = created_id(response, "/needs/")
    page = follow(client, response, f"/needs/{need_id}")
    assert page.lang == "uk"
    assert say("uk", "The need was saved as a draft. Publish it when it is ready.") in page
    assert LEAK_NEED_UK in page
    assert label("uk", NeedStatus.DRAFT) in page
    # Water is critical infrastructure: the need is restricted unless she says otherwise.
    assert label("uk", Visibility.RESTRICTED) in page
    assert say("uk", "Suggested offers") not in page  # nothing to match before it is published

    # She publishes it; Stockholm's fitting offer is suggested, with the reasons in words.
    response = page.form(f"/needs/{need_id}/publish").submit(client)
    page = follow(client, response, f"/needs/{need_id}")
    assert page.lang == "uk"
    assert say("uk", "The need was published.") in page
    assert label("uk", NeedStatus.OPEN) in page
    assert say("uk", "Suggested offers") in page
    assert "Suggested offers" not in page
    assert LEAK_OFFER_EN in page
    assert expert_org.name_uk in page
    assert say("uk", "Same theme: %(theme)s", theme=water.name_uk) in page
    assert say("uk", "Same kind of help: %(kind)s", kind=label("uk", HelpKind.ADVICE)) in page
    assert say("uk", "Available in the wanted period") in page
    capacity = say_n(
        "uk",
        "Enough capacity: %(remaining)s left, %(num)s person-day needed",
        "Enough capacity: %(remaining)s left, %(num)s person-days needed",
        20,
        remaining=60,
    )
    assert capacity in page
    assert say("uk", "Match score: %(score)s of 100", score=85) in page
    assert "Open data platforms for city services" not in page

    # She proposes it with the button beside the suggestion.
    propose = page.form("/matches/propose", offer_id=offer.id)
    assert propose.values()["need_id"] == str(need_id)
    page = follow(client, propose.submit(client), f"/needs/{need_id}")
    assert page.lang == "uk"
    assert say("uk", "The match was proposed. The other side now decides.") in page
    assert say("uk", "Matches of this need") in page
    assert label("uk", MatchStatus.PROPOSED) in page
    assert say("uk", "Waiting for: %(sides)s", sides=label("uk", Side.EXPERT)) in page
    # The offer is on a live match with the need now, so it is no longer suggested.
    assert not page.has_form("/matches/propose", offer_id=offer.id)
    assert (
        say(
            "uk",
            "No open offer fits this need well enough: none shares its theme or enough of what"
            " it is about.",
        )
        in page
    )

    db.session.expire_all()
    need = db.session.get(Need, need_id)
    assert need.status == NeedStatus.OPEN
    assert need.visibility == Visibility.RESTRICTED
    assert need.theme_id == water.id and need.person_days == 20
    assert need.title.original_lang == "uk" and need.title.original == LEAK_NEED_UK
    (match,) = db.session.scalars(db.select(Match).filter_by(need_id=need_id)).all()
    assert match.offer_id == offer.id
    assert match.status == MatchStatus.PROPOSED
    assert match.proposed_side == Side.REQUESTER
    assert match.requester_accepted_at is not None and match.expert_accepted_at is None
    assert set(match.reasons) >= {f"theme:{water.id}", "help_kind:advice", "period_full"}


def test_journey_1_with_htmx_publish_and_propose_swap_in_place(client, users):
    offer = leak_offer(users)
    sign_in(client, "requester", "uk")
    start_on, end_on = wanted_period()
    form = get(client, "/needs/new").form(field="title")
    form.fill(
        title=LEAK_NEED_UK,
        description=LEAK_NEED_UK_TEXT,
        lang="uk",
        theme=theme("water_sewage").id,
        help_kind=HelpKind.ADVICE.value,
        wanted_from=start_on,
        wanted_until=end_on,
        person_days=20,
    )
    need_id = created_id(form.submit(client), "/needs/")
    page = get(client, f"/needs/{need_id}")

    # Publishing answers the state fragment, with the suggestions panel out of band.
    fragment = Page(page.form(f"/needs/{need_id}/publish").submit(client, htmx=True))
    assert fragment.status == 200
    assert fragment.is_fragment
    assert say("uk", "The need was published.") in fragment
    assert 'hx-swap-oob="innerHTML:#need-matching"' in fragment.html
    assert say("uk", "Suggested offers") in fragment
    assert LEAK_OFFER_EN in fragment
    assert say("uk", "Available in the wanted period") in fragment

    # Proposing from the panel answers the panel, with the match in it.
    propose = fragment.form("/matches/propose", offer_id=offer.id)
    assert propose.values()["panel"] == "need"
    panel = Page(propose.submit(client, htmx=True))
    assert panel.status == 200
    assert panel.is_fragment
    assert 'id="matching-panel"' in panel.html
    assert say("uk", "The match was proposed. The other side now decides.") in panel
    assert 'hx-swap-oob="innerHTML:#messages"' in panel.html
    assert label("uk", MatchStatus.PROPOSED) in panel
    assert not panel.has_form("/matches/propose", offer_id=offer.id)

    db.session.expire_all()
    assert db.session.get(Need, need_id).status == NeedStatus.OPEN
    match = db.session.scalar(db.select(Match).filter_by(need_id=need_id))
    assert match is not None and match.offer_id == offer.id
    assert match.status == MatchStatus.PROPOSED


# ================================================================ journey 2

PRESSURE_NEED_EN = "Pressure management and leak detection in district metered areas"


def kyiv_needs(users: dict[str, Any]) -> tuple[Need, Need, Need]:
    """Kyiv's published needs: the restricted leak-detection need, a water need shared with
    partners, and an education need that fits no water offer."""
    restricted = leak_need(users)
    shared = simple_need(
        users,
        "requester",
        PRESSURE_NEED_EN,
        "water_sewage",
        HelpKind.ADVICE,
        visibility=Visibility.PARTNERS,
        description="We want to divide the network into district metered areas and find "
        "leaks by pressure management.",
    )
    unrelated = simple_need(
        users,
        "other_requester",
        "Teacher training in inclusive education",
        "education",
        HelpKind.TRAINING,
    )
    return restricted, shared, unrelated


def publish_offer_over_http(client, lang: str) -> tuple[int, Page]:
    """The expert fills in the offer editor and publishes the offer; its page follows."""
    water = theme("water_sewage")
    today = date.today()
    editor = get(client, "/offers/new")
    assert editor.status == 200
    assert editor.lang == lang
    form = editor.form(field="title")
    form.fill(
        title=LEAK_OFFER_EN,
        description=LEAK_OFFER_EN_TEXT,
        help_kind=HelpKind.ADVICE.value,
        capacity_days=60,
        available_from=today,
        available_until=today + timedelta(days=365),
    )
    form.choose("lang", "English").choose("themes", getattr(water, f"name_{lang}"))
    response = form.submit(client)
    offer_id = created_id(response, "/offers/")
    page = follow(client, response, f"/offers/{offer_id}")
    assert say(lang, "The offer was saved as a draft. Publish it when it is ready.") in page
    assert label(lang, OfferStatus.DRAFT) in page
    return offer_id, page


def test_journey_2_stockholm_expert_publishes_an_offer_and_accepts_the_proposal(client, users):
    """An expert at Stockholm Vatten och Avfall signs in in Swedish, publishes an offer, sees
    matching needs from Kyiv, accepts the proposal."""
    restricted, shared, _unrelated = kyiv_needs(users)
    kyiv_org = organisation_of(users["requester"])
    water = theme("water_sewage")

    start = sign_in(client, "expert", "sv")
    assert start.lang == "sv"
    assert say("sv", "Welcome, %(name)s", name="Anna Lindqvist") in start
    assert say("sv", "Nothing waits for you right now.") in start

    offer_id, page = publish_offer_over_http(client, "sv")
    assert page.lang == "sv"
    assert say("sv", "Suggested needs") not in page  # a draft is not matched

    response = page.form(f"/offers/{offer_id}/publish").submit(client)
    page = follow(client, response, f"/offers/{offer_id}")
    assert page.lang == "sv"
    assert say("sv", "The offer was published.") in page
    assert label("sv", OfferStatus.OPEN) in page
    # Matching needs from Kyiv, with the reasons in Swedish.
    assert say("sv", "Suggested needs") in page
    assert "Suggested needs" not in page
    assert PRESSURE_NEED_EN in page
    assert kyiv_org.name_sv in page
    assert say("sv", "Same theme: %(theme)s", theme=water.name_sv) in page
    assert say("sv", "Same kind of help: %(kind)s", kind=label("sv", HelpKind.ADVICE)) in page
    assert say("sv", "Shared terms: %(terms)s", terms="").strip() in page
    assert page.has_form("/matches/propose", need_id=shared.id)
    # Not the restricted need (critical infrastructure, no match yet) nor the one that fits not.
    assert LEAK_NEED_UK not in page
    assert not page.has_form("/matches/propose", need_id=restricted.id)
    assert "Teacher training in inclusive education" not in page

    # Kyivvodokanal proposes the offer for its restricted need.
    offer = db.session.get(Offer, offer_id)
    match = matching.propose(users["requester"], restricted, offer)
    db.session.commit()

    # The proposal waits on the expert's start page.
    start = get(client, "/")
    assert start.lang == "sv"
    assert say("sv", "Waiting for you") in start
    assert say_n("sv", "%(num)d proposal to decide", "%(num)d proposals to decide", 1) in start
    assert LEAK_NEED_UK in start
    assert LEAK_OFFER_EN in start
    link = start.link(LEAK_NEED_UK)
    assert link == f"/matches/{match.id}"

    page = get(client, link)
    assert page.status == 200
    assert page.lang == "sv"
    assert say("sv", "Waiting for your decision") in page
    assert kyiv_org.name_sv in page
    response = page.form(f"/matches/{match.id}/accept").submit(client)
    page = follow(client, response, f"/matches/{match.id}")
    assert page.lang == "sv"
    agreed_message = "You accepted the match. Both sides have accepted: the match is agreed."
    assert say("sv", agreed_message) in page
    assert label("sv", MatchStatus.AGREED) in page
    assert label("sv", NeedStatus.MATCHED) in page
    assert say("sv", "Waiting for your decision") not in page
    assert not page.has_form(f"/matches/{match.id}/accept")

    # Nothing waits any more; the need's page shows it matched.
    assert say("sv", "Nothing waits for you right now.") in get(client, "/")
    need_page = get(client, f"/needs/{restricted.id}")
    assert need_page.status == 200
    assert label("sv", NeedStatus.MATCHED) in need_page

    db.session.expire_all()
    match = db.session.get(Match, match.id)
    assert match.status == MatchStatus.AGREED
    assert match.requester_accepted_at is not None and match.expert_accepted_at is not None
    assert match.person_days == 20
    assert db.session.get(Need, restricted.id).status == NeedStatus.MATCHED
    assert db.session.get(Need, shared.id).status == NeedStatus.OPEN
    offer = db.session.get(Offer, offer_id)
    assert offer.committed_days == 20
    assert offer.remaining_days == 40
    assert offer.status == OfferStatus.OPEN
    assert offer.organisation_id == users["expert"].organisation_id
    assert offer.visibility == Visibility.PARTNERS  # critical theme: partners by default
    assert [t.code for t in offer.themes] == ["water_sewage"]


def test_journey_2_with_htmx_publish_and_accept_in_place(client, users):
    restricted, _shared, _unrelated = kyiv_needs(users)
    sign_in(client, "expert", "sv")
    offer_id, page = publish_offer_over_http(client, "sv")

    fragment = Page(page.form(f"/offers/{offer_id}/publish").submit(client, htmx=True))
    assert fragment.status == 200
    assert fragment.is_fragment
    assert say("sv", "The offer was published.") in fragment
    assert 'hx-swap-oob="innerHTML:#offer-matching"' in fragment.html
    assert say("sv", "Suggested needs") in fragment
    assert PRESSURE_NEED_EN in fragment
    assert LEAK_NEED_UK not in fragment

    match = matching.propose(users["requester"], restricted, db.session.get(Offer, offer_id))
    db.session.commit()
    page = get(client, f"/offers/{offer_id}")
    accept = page.form(f"/matches/{match.id}/accept")
    assert accept.values()["view"] == "offer"
    fragment = Page(accept.submit(client, htmx=True))
    assert fragment.status == 200
    assert fragment.is_fragment
    assert f'id="match-{match.id}"' in fragment.html
    agreed_message = "You accepted the match. Both sides have accepted: the match is agreed."
    assert say("sv", agreed_message) in fragment
    assert 'hx-swap-oob="innerHTML:#messages"' in fragment.html
    assert label("sv", MatchStatus.AGREED) in fragment
    assert not fragment.has_form(f"/matches/{match.id}/accept")

    db.session.expire_all()
    assert db.session.get(Match, match.id).status == MatchStatus.AGREED
    assert db.session.get(Need, restricted.id).status == NeedStatus.MATCHED
    assert db.session.get(Offer, offer_id).committed_days == 20


# ================================================================ journey 3

PROJECT_TITLE = "Leak detection pilot in Obolonskyi"
SURVEY = "Survey of the district metered areas"
PILOT = "Acoustic leak detection pilot"
HANDOVER = "Handover of the leak detection method"


def project_form(page: Page, starts_on: date, ends_on: date) -> Form:
    """The project editor with the leak-detection match ticked (by its label) and filled in."""
    form = page.form("/projects/new", field="title").tick(f"{LEAK_NEED_UK} (")
    form.fill(
        title=PROJECT_TITLE,
        description="Acoustic leak detection in two district metered areas of Obolon.",
        lang="en",
        starts_on=starts_on,
        ends_on=ends_on,
    )
    return form


def started_project(users: dict[str, Any]) -> tuple[Project, list[Milestone]]:
    """An active project from an agreed match, with three milestones (for the htmx test)."""
    match = agreed(users, leak_need(users), leak_offer(users))
    today = date.today()
    project = projects.start_project(
        users["coordinator"],
        [match],
        title=PROJECT_TITLE,
        description="Acoustic leak detection in two district metered areas of Obolon.",
        lang="en",
        starts_on=today - timedelta(days=30),
        ends_on=min(today + timedelta(days=150), default_agreement().valid_until),
    )
    milestones = [
        projects.add_milestone(
            users["coordinator"], project, title=title, lang="en", due_on=due, weight=weight
        )
        for title, due, weight in (
            (SURVEY, today - timedelta(days=10), 1),
            (PILOT, today + timedelta(days=20), 1),
            (HANDOVER, project.ends_on, 2),
        )
    ]
    projects.change_status(users["coordinator"], project, ProjectStatus.ACTIVE)
    db.session.commit()
    return project, milestones


def test_journey_3_coordinator_starts_a_project_and_the_dashboard_follows_it(client, users):
    """A coordinator sees the agreed match, starts a project inside the agreement's validity,
    adds milestones; both sides report progress; the dashboard shows the funnel, progress by
    theme, overdue milestones, projects at risk and days left in the agreement."""
    need = leak_need(users)
    match = agreed(users, need, leak_offer(users))
    # Another published need that has not been matched: the funnel narrows after it.
    simple_need(users, "other_requester", "School canteen renovation", "education", HelpKind.ADVICE)
    agreement = default_agreement()
    today = date.today()
    client.login(EMAILS["coordinator"])

    # The agreed match.
    page = get(client, "/matches/?status=agreed")
    assert page.status == 200
    assert LEAK_NEED_UK in page and LEAK_OFFER_EN in page
    assert label("en", MatchStatus.AGREED) in page

    # Starting a project: a start before the agreement's validity is refused, with the rule.
    page = get(client, f"/projects/new?match={match.id}")
    assert page.status == 200
    assert LEAK_NEED_UK in page
    with speaking("en"):
        validity = {
            "start": format_date(agreement.valid_from),
            "end": format_date(agreement.valid_until),
            "reference": agreement.reference,
        }
        hint = projects.validity_hint(agreement)
    assert hint in page
    ends_on = min(today + timedelta(days=150), agreement.valid_until)
    early = agreement.valid_from - timedelta(days=1)
    refused = Page(project_form(page, early, ends_on).submit(client), "/projects/new")
    assert refused.status == 422
    assert (
        say(
            "en",
            "The start must lie between %(start)s and %(end)s, the validity of %(reference)s.",
            **validity,
        )
        in refused
    )
    # ... and so is an end after it.
    late = agreement.valid_until + timedelta(days=1)
    refused = Page(project_form(refused, today, late).submit(client), "/projects/new")
    assert refused.status == 422
    assert (
        say(
            "en",
            "The end must lie between %(start)s and %(end)s, the validity of %(reference)s.",
            **validity,
        )
        in refused
    )
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count(Project.id))) == 0

    # Inside the validity it starts.
    starts_on = today - timedelta(days=30)
    response = project_form(refused, starts_on, ends_on).submit(client)
    project_id = created_id(response, "/projects/")
    url = f"/projects/{project_id}"
    page = follow(client, response, url)
    assert say("en", "The project was started. Add its milestones next.") in page
    assert PROJECT_TITLE in page
    assert label("en", ProjectStatus.PLANNED) in page
    assert LEAK_NEED_UK in page  # the match it came from

    # Milestones: one already overdue, one soon, one at the end.
    for title, due, weight in (
        (SURVEY, today - timedelta(days=10), 1),
        (PILOT, today + timedelta(days=20), 1),
        (HANDOVER, ends_on, 2),
    ):
        form = page.form(f"{url}/milestones", field="milestone-title")
        form.fill(
            **{
                "milestone-title": title,
                "milestone-lang": "en",
                "milestone-due_on": due,
                "milestone-weight": weight,
            }
        )
        page = follow(client, form.submit(client), url)
        assert say("en", "The milestone was added.") in page
        assert title in page
    assert (
        say_n(
            "en",
            "%(num)d milestone, %(done)d done.",
            "%(num)d milestones, %(done)d done.",
            3,
            done=0,
        )
        in page
    )
    assert say_p("en", "milestone", "Overdue") in page

    status = page.form(f"{url}/status", field="status-status").fill(**{"status-status": "active"})
    page = follow(client, status.submit(client), url)
    assert label("en", ProjectStatus.ACTIVE) in page

    # The requesting side reports: at risk.
    switch_to(client, "requester")
    page = get(client, url)
    assert page.status == 200
    report = page.form(f"{url}/reports", field="report-body")
    report.fill(
        **{
            "report-status": ReportStatus.AT_RISK.value,
            "report-body": "The valve chambers in the pilot area are flooded; the survey is "
            "two weeks late.",
            "report-lang": "en",
        }
    )
    page = follow(client, report.submit(client), url)
    assert say("en", "Your status report was published.") in page
    kyivvodokanal = organisation_of(users["requester"]).name_en
    assert f"{kyivvodokanal}: {label('en', ReportStatus.AT_RISK)}" in page
    assert "The valve chambers in the pilot area are flooded" in page

    # The expert side ticks the pilot milestone: a quarter of the weight is done.
    switch_to(client, "expert")
    page = get(client, url)
    pilot = db.session.scalar(
        db.select(Milestone).filter_by(project_id=project_id, due_on=today + timedelta(days=20))
    )
    tick = page.form(f"{url}/milestones/{pilot.id}/toggle")
    assert tick.values()["done"] == "1"
    page = follow(client, tick.submit(client), url)
    with speaking("en"):
        quarter = format_percent(0.25)
    assert (
        say(
            "en",
            "Milestone “%(title)s” is done. Progress: %(progress)s.",
            title=PILOT,
            progress=quarter,
        )
        in page
    )

    # The project page shows the progress to everyone on it.
    switch_to(client, "coordinator")
    page = get(client, url)
    assert 'value="25"' in page.html and "<progress" in page.html
    assert f"{say('en', 'Progress')} {quarter}" in page
    assert (
        say_n(
            "en",
            "%(num)d milestone, %(done)d done.",
            "%(num)d milestones, %(done)d done.",
            3,
            done=1,
        )
        in page
    )
    assert label("en", ReportStatus.AT_RISK) in page

    # The dashboard.
    board = get(client, "/dashboard/")
    assert board.status == 200
    funnel = "Needs at each stage"
    assert board.row(funnel, "Needs published")[0] == "2"
    assert board.row(funnel, "Matched")[0] == "1"
    assert board.row(funnel, "In a project")[0] == "1"
    assert board.row(funnel, "Completed")[0] == "0"
    water = theme("water_sewage")
    progress = board.row("Average progress of running projects by theme", water.name_en)
    assert progress == ["1", norm(quarter)]
    overdue = say_n("en", "%(num)d milestone is overdue.", "%(num)d milestones are overdue.", 1)
    assert overdue in board
    assert SURVEY in board
    assert say_n("en", "%(num)d day overdue", "%(num)d days overdue", 10) in board
    assert (
        say_n(
            "en",
            "%(num)d project's latest status report says at risk or off track.",
            "%(num)d projects' latest status reports say at risk or off track.",
            1,
        )
        in board
    )
    assert board.link(PROJECT_TITLE) == url
    days_left = (agreement.valid_until - today).days
    if days_left >= 90:
        countdown = ("%(num)d day left in the agreement.", "%(num)d days left in the agreement.")
    else:  # the last 90 days come with a warning
        countdown = (
            "The agreement ends in %(num)d day. Projects cannot run past its end unless an "
            "amendment extends it.",
            "The agreement ends in %(num)d days. Projects cannot run past its end unless an "
            "amendment extends it.",
        )
    assert say_n("en", *countdown, days_left) in board
    assert agreement.reference in board

    # Completing the project reaches the end of the funnel.
    status = get(client, url).form(f"{url}/status", field="status-status")
    page = follow(client, status.fill(**{"status-status": "completed"}).submit(client), url)
    assert label("en", ProjectStatus.COMPLETED) in page
    board = get(client, "/dashboard/")
    assert board.row(funnel, "In a project")[0] == "1"
    assert board.row(funnel, "Completed")[0] == "1"
    assert say("en", "No running project is reported at risk or off track.") in board
    assert say("en", "No milestone is overdue.") in board

    db.session.expire_all()
    project = db.session.get(Project, project_id)
    assert project.status == ProjectStatus.COMPLETED
    assert (project.starts_on, project.ends_on) == (starts_on, ends_on)
    assert project.visibility == Visibility.RESTRICTED  # as its need
    assert project.progress == 25
    assert project.latest_report_status == ReportStatus.AT_RISK
    assert [m.id for m in project.matches] == [match.id]
    assert db.session.get(Need, need.id).status == NeedStatus.CLOSED
    (report_row,) = db.session.scalars(db.select(StatusReport).filter_by(project_id=project_id))
    assert report_row.organisation_id == users["requester"].organisation_id
    done = {m.title.original: m.done_by_id for m in project.milestones}
    assert done == {SURVEY: None, PILOT: users["expert"].id, HANDOVER: None}


def test_journey_3_with_htmx_ticking_a_milestone_returns_the_progress(client, users):
    project, (_survey, pilot, handover) = started_project(users)
    url = f"/projects/{project.id}"
    client.login(EMAILS["expert"])
    page = get(client, url)

    fragment = Page(page.form(f"{url}/milestones/{pilot.id}/toggle").submit(client, htmx=True))
    assert fragment.status == 200
    assert fragment.is_fragment
    with speaking("en"):
        quarter, three_quarters = format_percent(0.25), format_percent(0.75)
    assert 'value="25"' in fragment.html
    assert f"{say('en', 'Progress')} {quarter}" in fragment
    assert 'hx-swap-oob="innerHTML"' in fragment.html and 'id="messages"' in fragment.html
    assert (
        say(
            "en",
            "Milestone “%(title)s” is done. Progress: %(progress)s.",
            title=PILOT,
            progress=quarter,
        )
        in fragment
    )
    # The fragment's own forms carry on: the pilot can be unticked, the handover ticked.
    assert fragment.form(f"{url}/milestones/{pilot.id}/toggle").values()["done"] == "0"
    handover_tick = fragment.form(f"{url}/milestones/{handover.id}/toggle")
    fragment = Page(handover_tick.submit(client, htmx=True))
    assert 'value="75"' in fragment.html
    assert f"{say('en', 'Progress')} {three_quarters}" in fragment

    db.session.expire_all()
    assert db.session.get(Project, project.id).progress == 75
    assert db.session.get(Milestone, pilot.id).done_by_id == users["expert"].id


# ================================================================ journey 4

SCHOOL_NEED = "Digital ordering of school meals"
SOCIAL_NEED = "Training for social workers in supporting displaced families"
PUMPING_NEED = "Vulnerability of the Nyvky pumping station after the strikes"
HOUSING_NEED = "Energy audit of dormitories"
DRAFT_NEED = "Night bus network plan"
SCHOOL_PROJECT = "School meals ordering pilot"
PUMPING_PROJECT = "Protection of the Nyvky pumping station"


@pytest.fixture
def kyiv_in_public(app, users):
    """Public, partners-only, draft and restricted needs, and a public and a restricted
    project."""
    reconstruction = "Part of the reconstruction of Kyiv."
    school = simple_need(
        users,
        "other_requester",
        SCHOOL_NEED,
        "it_digital",
        HelpKind.ADVICE,
        description=f"Parents should order and pay school meals online. {reconstruction}",
    )
    social = simple_need(
        users, "other_requester", SOCIAL_NEED, "social_services", HelpKind.TRAINING
    )
    pumping = simple_need(
        users,
        "requester",
        PUMPING_NEED,
        "water_sewage",
        HelpKind.ADVICE,
        description=f"{PUMPING_TEXT} {reconstruction}",
    )
    housing = simple_need(
        users,
        "requester",
        HOUSING_NEED,
        "housing",
        HelpKind.ADVICE,
        visibility=Visibility.PARTNERS,
    )
    draft = simple_need(users, "requester", DRAFT_NEED, "transport", HelpKind.ADVICE, publish=False)
    assert pumping.visibility == Visibility.RESTRICTED
    assert school.visibility == Visibility.PUBLIC and draft.visibility == Visibility.PUBLIC

    today = date.today()
    it_offer = offers.create_offer(
        users["expert"],
        title="Digital services for parents",
        description="Stockholm's school meal ordering service, and how it was built.",
        lang="en",
        themes=[theme("it_digital")],
        help_kind=HelpKind.ADVICE,
        capacity_days=30,
        available_from=today,
        available_until=today + timedelta(days=365),
    )
    offers.publish_offer(users["expert"], it_offer)
    db.session.commit()
    period = {"starts_on": today, "ends_on": today + timedelta(days=90), "lang": "en"}
    public_project = projects.start_project(
        users["coordinator"],
        [agreed(users, school, it_offer, "other_requester")],
        title=SCHOOL_PROJECT,
        description="A pilot in ten schools.",
        **period,
    )
    restricted_project = projects.start_project(
        users["coordinator"],
        [agreed(users, pumping, leak_offer(users))],
        title=PUMPING_PROJECT,
        description="Protecting the pumping station.",
        **period,
    )
    db.session.commit()
    assert public_project.visibility == Visibility.PUBLIC
    assert restricted_project.visibility == Visibility.RESTRICTED
    return {
        "school": school,
        "social": social,
        "pumping": pumping,
        "housing": housing,
        "draft": draft,
        "public_project": public_project,
        "restricted_project": restricted_project,
    }


PUMPING_TEXT = "Assess the damage to the Nyvky pumping station."
# Whole titles and texts: a search word is echoed in the search box and the language links.
HIDDEN_WORDS = (PUMPING_NEED, PUMPING_TEXT, HOUSING_NEED, DRAFT_NEED, PUMPING_PROJECT)


def assert_nothing_restricted(page: Page) -> None:
    for words in HIDDEN_WORDS:
        assert words not in page.html, f"{words!r} shown at {page.url}"


def test_journey_4_visitor_sees_public_needs_and_projects_and_nothing_restricted(
    client, kyiv_in_public
):
    """Anyone without an account sees the public needs and projects, nothing restricted."""
    r = kyiv_in_public
    seen: list[Page] = []

    def visit(url: str, status: int = 200) -> Page:
        page = get(client, url)
        assert page.status == status, page
        seen.append(page)
        return page

    welcome = visit("/")
    assert say_n("en", "%(num)d open need", "%(num)d open needs", 1) in welcome  # social
    assert say_n("en", "%(num)d cooperation project", "%(num)d cooperation projects", 1) in (
        welcome
    )

    listing = visit("/needs/")
    assert SCHOOL_NEED in listing and SOCIAL_NEED in listing
    assert say_n("en", "%(num)d need", "%(num)d needs", 2) in listing
    assert listing.link(SCHOOL_NEED) == f"/needs/{r['school'].id}"
    everything = visit("/needs/?status=all")
    assert say_n("en", "%(num)d need", "%(num)d needs", 2) in everything

    found = visit("/needs/?q=reconstruction")
    assert SCHOOL_NEED in found and SOCIAL_NEED not in found
    assert say_n("en", "%(num)d need", "%(num)d needs", 1) in found
    for query in ("Nyvky", "pumping", "dormitories", "Night bus"):
        nothing = visit(f"/needs/?q={query}&status=all")
        assert say("en", "No needs match these filters.") in nothing
    by_theme = visit(f"/needs/?theme={theme('water_sewage').id}&status=all")
    assert say("en", "No needs match these filters.") in by_theme

    detail = visit(f"/needs/{r['school'].id}")
    assert SCHOOL_NEED in detail
    assert "Parents should order and pay school meals online." in detail
    assert say("en", "Matches") not in detail  # matching is for signed-in partners
    assert say("en", "History") not in detail
    for key in ("pumping", "housing", "draft"):
        visit(f"/needs/{r[key].id}", 404)

    project_list = visit("/projects/")
    assert SCHOOL_PROJECT in project_list
    assert say_n("en", "%(num)d project", "%(num)d projects", 1) in project_list
    assert project_list.link(SCHOOL_PROJECT) == f"/projects/{r['public_project'].id}"
    for query in ("Nyvky", "pumping"):
        nothing = visit(f"/projects/?q={query}")
        assert say_n("en", "%(num)d project", "%(num)d projects", 0) in nothing
    project = visit(f"/projects/{r['public_project'].id}")
    assert SCHOOL_PROJECT in project and SCHOOL_NEED in project
    assert not project.forms or all("/milestones" not in f.action for f in project.forms)
    visit(f"/projects/{r['restricted_project'].id}", 404)

    for page in seen:
        assert page.lang == "en"
        assert_nothing_restricted(page)

    # Signed-in pages send a visitor to sign in.
    for url in ("/dashboard/", "/matches/", "/needs/new"):
        response = client.get(url)
        assert response.status_code == 302
        assert urlsplit(response.headers["Location"]).path == "/login"


def test_journey_4_with_htmx_live_filters_show_nothing_restricted(client, kyiv_in_public):
    fragment = get(client, "/needs/?q=reconstruction&status=all", headers=HX)
    assert fragment.status == 200
    assert fragment.is_fragment
    assert SCHOOL_NEED in fragment
    assert 'id="needs-count"' in fragment.html  # the count, out of band
    assert say_n("en", "%(num)d need", "%(num)d needs", 1) in fragment
    assert_nothing_restricted(fragment)

    fragment = get(client, "/needs/?q=Nyvky&status=all", headers=HX)
    assert fragment.is_fragment
    assert say("en", "No needs match these filters.") in fragment
    assert_nothing_restricted(fragment)

    fragment = get(client, "/projects/?q=pump", headers=HX)
    assert fragment.status == 200
    assert fragment.is_fragment
    assert say_n("en", "%(num)d project", "%(num)d projects", 0) in fragment
    assert_nothing_restricted(fragment)

    fragment = get(client, "/projects/", headers=HX)
    assert fragment.is_fragment
    assert SCHOOL_PROJECT in fragment
    assert_nothing_restricted(fragment)
