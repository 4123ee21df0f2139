"""Support for the journey tests: the interface's words in each language, records made through
the services for a journey's starting point, and the checks a keyboard user relies on.

Words come from the compiled catalogs the live portal serves, and ``tr`` fails when a word has no
translation: a journey in Ukrainian or Swedish then fails on an untranslated word instead of
passing on the English one.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from babel.support import Translations
from sqlalchemy import select

from portal.extensions import db

ROOT = Path(__file__).resolve().parents[2]
_CATALOGS = {
    lang: Translations.load(str(ROOT / "translations"), [lang], domain="messages")
    for lang in ("sv", "uk")
}

# Demo records the journeys refer to by their words (portal/seed/data/demo.toml).
LEAK_OFFER = {
    "sv": "Läcksökning och indelning av ledningsnätet i mätområden (DMA)",
    "uk": "Пошук витоків і поділ мережі на зони контрольованого водоспоживання (DMA)",
    "en": "Leak detection and dividing the network into district metered areas (DMAs)",
}
TRUNK_MAINS_NEED_SV = "Plan för förnyelse av huvudvattenledningarna 2027–2035"
# Restricted (water, Kyivvodokanal) and partners-only needs and a restricted project.
RESTRICTED_NEED = {
    "uk": "Зниження втрат води: пошук прихованих витоків у мережах Дарницького та "
    "Дніпровського районів",
    "en": "Reducing water losses: finding hidden leaks in the Darnytskyi and Dniprovskyi networks",
    "sv": "Minskade vattenförluster: läcksökning i ledningsnätet i Darnytskyi och Dniprovskyi",
}
PARTNERS_NEED = {
    "uk": "Навчання з кібергігієни для працівників районних адміністрацій",
    "en": "Cyber-hygiene training for district administration staff",
    "sv": "Навчання з кібергігієни для працівників районних адміністрацій",  # no Swedish version
}
RESTRICTED_PROJECT = {
    "uk": "Зниження втрат води в мережі лівого берега",
    "sv": "Minskade vattenförluster i ledningsnätet på vänstra stranden",
    "en": "Reducing water losses in the left-bank network",
}
PUBLIC_NEED = {
    "uk": "Дооблаштування укриттів у 12 школах Деснянського та Дарницького районів",
    "en": "Upgrading shelters in 12 schools in Desnianskyi and Darnytskyi districts",
    "sv": "Upprustning av skyddsrum i 12 skolor i stadsdelarna Desnianskyi och Darnytskyi",
}
PUBLIC_NEED_SEARCH = {"uk": "укриттів", "en": "shelters", "sv": "skyddsrum"}
PUBLIC_PROJECT = {
    "uk": "Пілотна термомодернізація панельного будинку на Оболоні",
    "sv": "Pilotprojekt: energirenovering av ett panelhus i Obolon",
    "en": "Pilot energy retrofit of a panel block in Obolon",
}
THEME_WATER = {
    "en": "Water and sewage",
    "sv": "Vatten och avlopp",
    "uk": "Водопостачання та водовідведення",
}
DISTRICT_OBOLON = {"en": "Obolonskyi", "sv": "Obolonskyi", "uk": "Оболонський"}
AGREEMENT_VALID = (date(2023, 7, 1), date(2027, 12, 31))


# ------------------------------------------------------------------------------ words


def tr(lang: str, msgid: str, context: str | None = None, **values: Any) -> str:
    """What the interface says for ``msgid`` in ``lang``; fails on a missing translation."""
    if lang == "en":
        text = msgid
    else:
        catalog = _CATALOGS[lang]._catalog
        key = f"{context}\x04{msgid}" if context else msgid
        assert catalog.get(key), f"no {lang} translation of {msgid!r}"
        text = catalog[key]
    return text % values if values else text


def ntr(lang: str, singular: str, plural: str, num: int, **values: Any) -> str:
    """The plural-aware form, as ``ngettext`` renders it (``num`` is always a value)."""
    if lang == "en":
        text = singular if num == 1 else plural
    else:
        catalog = _CATALOGS[lang]
        assert (singular, 0) in catalog._catalog, f"no {lang} translation of {singular!r}"
        text = catalog.ngettext(singular, plural, num)
    return text % {"num": num, **values}


def shaped(lang: str, msgid: str, context: str | None = None, **known: Any) -> re.Pattern[str]:
    """The message as a pattern: the placeholders given in ``known`` filled in, the others
    (dates, numbers formatted for the reader) matching anything."""
    pattern = ""
    for part in re.split(r"(%\(\w+\)[sd])", tr(lang, msgid, context)):
        placeholder = re.fullmatch(r"%\((\w+)\)[sd]", part)
        if placeholder is None:
            pattern += re.escape(part)
        elif placeholder.group(1) in known:
            pattern += re.escape(str(known[placeholder.group(1)]))
        else:
            pattern += ".+?"
    return re.compile(pattern)


LANGUAGE_NAMES = {"sv": "Svenska", "uk": "Українська", "en": "English"}


def choose_language(page: Any, lang: str) -> None:
    """Pick the language in the header, as a person would after signing in: signed in, the
    language saved in the profile wins over one chosen on the sign-in page (and other browser
    tests may have chosen another for the same demo person)."""
    from playwright.sync_api import expect

    page.get_by_role("link", name=LANGUAGE_NAMES[lang], exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", lang)


def token() -> str:
    """A short mark that keeps this run's records apart from the demo's and other runs'."""
    return secrets.token_hex(3).upper()


def day(offset: int) -> date:
    return date.today() + timedelta(days=offset)


# ------------------------------------------------------------------------------ set-up records


@contextmanager
def in_portal(live_server: Any) -> Iterator[None]:
    """Run services against the live portal's database, as its own request would."""
    with live_server.app.test_request_context("/"):
        try:
            yield
            db.session.commit()  # the services flush; a request would commit here
        finally:
            db.session.remove()


def _user(email: str) -> Any:
    from portal.accounts.models import User

    return db.session.scalar(select(User).filter_by(email=email))


def _offer_titled(original: str) -> Any:
    from portal.offers.models import Offer

    return next(o for o in db.session.scalars(select(Offer)) if o.title.original == original)


def record_id(live_server: Any, kind: str, original_title: str) -> int:
    """The id of a demo need or project, found by the title in its original language."""
    from portal.needs.models import Need
    from portal.projects.models import Project

    model = {"need": Need, "project": Project}[kind]
    with in_portal(live_server):
        return next(
            r.id for r in db.session.scalars(select(model)) if r.title.original == original_title
        )


@dataclass
class Proposal:
    need_title: str  # in Ukrainian, the need's original language
    need_id: int
    match_id: int


def make_proposal(
    live_server: Any, label: str, *, agreed: bool = False, district: str | None = None
) -> Proposal:
    """Kyivvodokanal's official posts and publishes a water need and proposes Stockholm Vatten
    och Avfall's leak-detection offer for it (5 person-days, so the offer keeps capacity for the
    other journeys); with ``agreed`` the expert there accepts too."""
    from portal.core.enums import HelpKind, Priority
    from portal.matching import services as matching
    from portal.needs import services as needs
    from portal.reference.models import District, Theme

    with in_portal(live_server):
        requester = _user("kyiv.official@example.org")
        theme = db.session.scalar(select(Theme).filter_by(code="water_sewage"))
        where = (
            db.session.scalar(select(District).filter_by(name_en=district)) if district else None
        )
        title = f"Зонування мережі та пошук витоків: {label}"
        need = needs.create_need(
            requester,
            title=title,
            description="Потрібна допомога з поділом мережі на зони та навчанням бригад.",
            lang="uk",
            theme=theme,
            priority=Priority.HIGH,
            help_kind=HelpKind.TRAINING,
            district=where,
            wanted_from=day(-90),
            wanted_until=day(240),
            person_days=5,
        )
        needs.publish_need(requester, need)
        db.session.commit()  # the services flush; the caller commits
        offer = _offer_titled(LEAK_OFFER["sv"])
        match = matching.propose(
            requester, need, offer, message="Set-up of a journey test.", person_days=5
        )
        if agreed:
            matching.accept(_user("stockholm.expert@example.org"), match)
        return Proposal(need_title=title, need_id=need.id, match_id=match.id)


@dataclass
class ProjectRecord:
    id: int
    title: str
    milestones: list[str]


def make_project(live_server: Any, label: str) -> ProjectRecord:
    """An active project from an agreed match of Kyivvodokanal and Stockholm Vatten och Avfall,
    with two open milestones (weights 1 and 3), for the in-place interactions."""
    from portal.core.enums import ProjectStatus
    from portal.matching.models import Match
    from portal.projects import services as projects

    proposal = make_proposal(live_server, label, agreed=True)
    with in_portal(live_server):
        coordinator = _user("coordinator@example.org")
        match = db.session.get(Match, proposal.match_id)
        title = f"Leak detection pilot {label}"
        project = projects.start_project(
            coordinator,
            [match],
            title=title,
            description="Started for the in-place interaction tests.",
            lang="en",
            starts_on=day(-30),
            ends_on=day(200),
        )
        names = [f"Survey of the pilot zone {label}", f"Training of two crews {label}"]
        for name, weight, due in zip(names, (1, 3), (40, 120), strict=True):
            projects.add_milestone(
                coordinator, project, title=name, lang="en", due_on=day(due), weight=weight
            )
        if project.status != ProjectStatus.ACTIVE:
            projects.change_status(coordinator, project, ProjectStatus.ACTIVE)
        return ProjectRecord(id=project.id, title=title, milestones=names)


# ------------------------------------------------------------------------------ the keyboard

FOCUS_STATE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) { return null; }
  const s = getComputedStyle(el);
  const r = el.getBoundingClientRect();
  return {
    what: el.tagName.toLowerCase() + " "
      + (el.getAttribute("name") || el.id || el.textContent.trim().slice(0, 50)),
    focusVisible: el.matches(":focus-visible"),
    outlineStyle: s.outlineStyle,
    outlineWidth: parseFloat(s.outlineWidth) || 0,
    boxShadow: s.boxShadow,
    visible: r.width > 0 && r.height > 0 && s.visibility !== "hidden" && Number(s.opacity) > 0,
    inViewport: r.bottom > 0 && r.right > 0
      && r.top < window.innerHeight && r.left < window.innerWidth,
  };
}"""


def assert_focus_visible(page: Any) -> dict[str, Any]:
    """The focused element is on screen and shows a focus indicator (an outline or a ring)."""
    state = page.evaluate(FOCUS_STATE)
    assert state is not None, "nothing has the focus"
    where = state["what"]
    assert state["visible"] and state["inViewport"], f"focused {where} is not visible on screen"
    has_outline = state["outlineStyle"] != "none" and state["outlineWidth"] > 0
    assert has_outline or state["boxShadow"] != "none", f"focused {where} shows no focus indicator"
    return state


def tab_to(page: Any, target: Any, *, limit: int = 200, backwards: bool = False) -> None:
    """Press Tab (or Shift+Tab) until ``target`` has the focus, checking at every stop that the
    focused element can be seen."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(limit):
        page.keyboard.press(key)
        assert_focus_visible(page)
        if target.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"{target} not reached with {limit} presses of {key}")
