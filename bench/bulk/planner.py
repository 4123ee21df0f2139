"""Planning bulk data for benchmarks and load tests: ``flask seed bulk --needs 100000 --offers
30000 --projects 10000`` (``BulkPlanner.plan()``, then ``writer.BulkLoader.load()``).

Kyiv's needs are written in Ukrainian (some with Swedish or English versions), Stockholm's offers
in Swedish (some with English or Ukrainian versions), composed from the phrase banks in
``phrases.json`` so that texts differ and share terms where they share a topic. Every theme,
district, priority, kind of help, status and visibility occurs; needs in critical themes are
restricted. Matches are consistent with their need and offer (an agreed match commits
person-days on its offer, a fully committed offer has none left, an open need has no agreed
match, a need in a project has an agreed match that belongs to it); projects come from agreed
matches, lie inside the agreement's validity, have milestones, status reports, their
organisations and the latest report's status.

Everything is planned in memory first (small records, no texts). Users are created once per
organisation and share one password hash; the planner commits them with the organisations it
adds. The data adds to what is there.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bench.bulk import phrases as ph
from portal.accounts.models import User, hash_password
from portal.agreements.models import Agreement
from portal.core.enums import (
    HelpKind,
    MatchStatus,
    NeedStatus,
    OfferStatus,
    OrganisationKind,
    Priority,
    ProjectStatus,
    ReportStatus,
    Role,
    Side,
    Visibility,
)
from portal.core.types import utcnow
from portal.extensions import db
from portal.reference.models import City, District, Organisation, Theme

Tri = tuple[str, str, str]
LANG_INDEX = {"uk": 0, "sv": 1, "en": 2}

USERS_PER_ORGANISATION = 3
BULK_EMAIL_DOMAIN = "bulk.example.org"
DEFAULT_PASSWORD = "kyiv-stockholm-bulk-data"  # nosec B105  # noqa: S105 (documented test data, never production)
# The coordinators' and the admin's authenticator secret (they must use a second factor).
BULK_TOTP_SECRET = "KYIVSTOCKHOLMBULKKYIVSTOCKHOLMBU"  # nosec B105  # noqa: S105

# Organisations that make every organisation kind and every theme occur on both sides.
# city, kind, en, sv, uk, themes, registry id
EXTRA_ORGANISATIONS = [
    (
        "kyiv",
        OrganisationKind.CITY_ADMINISTRATION,
        "KCSA Department of Urban Planning and Architecture",
        "KCSA:s avdelning för stadsplanering och arkitektur",
        "Департамент містобудування та архітектури КМДА",
        ["urban_planning"],
        "26199097",
    ),
    (
        "kyiv",
        OrganisationKind.CITY_ADMINISTRATION,
        "KCSA Department of Health",
        "KCSA:s avdelning för hälso- och sjukvård",
        "Департамент охорони здоров’я КМДА",
        ["health_care"],
        "02012906",
    ),
    (
        "kyiv",
        OrganisationKind.CITY_ADMINISTRATION,
        "KCSA Department of Social Policy",
        "KCSA:s avdelning för socialpolitik",
        "Департамент соціальної політики КМДА",
        ["social_services"],
        "37317618",
    ),
    (
        "kyiv",
        OrganisationKind.CITY_OWNED_COMPANY,
        "Kyivpastrans",
        "Kyivpastrans",
        "Київпастранс",
        ["transport"],
        "31725604",
    ),
    (
        "kyiv",
        OrganisationKind.UNIVERSITY,
        "Kyiv National University of Construction and Architecture",
        "Kyivs nationella universitet för byggteknik och arkitektur",
        "Київський національний університет будівництва і архітектури",
        ["urban_planning", "housing", "district_heating"],
        "02070379",
    ),
    (
        "kyiv",
        OrganisationKind.NGO,
        "Kyiv Civic Reconstruction Network",
        "Kyivs medborgarnätverk för återuppbyggnad",
        "Громадська мережа відбудови Києва",
        ["democracy", "social_services", "housing"],
        "44556677",
    ),
    (
        "kyiv",
        OrganisationKind.PRIVATE_COMPANY,
        "Dnipro Grid Services LLC",
        "Dnipro Grid Services LLC",
        "ТОВ «Дніпро Грід Сервіс»",
        ["electricity", "it_digital"],
        "43112233",
    ),
    (
        "stockholm",
        OrganisationKind.CITY_ADMINISTRATION,
        "Social Administration",
        "Socialförvaltningen",
        "Соціальне управління Стокгольма",
        ["social_services"],
        "212000-0142",
    ),
    (
        "stockholm",
        OrganisationKind.CITY_ADMINISTRATION,
        "Elderly Care Administration",
        "Äldreförvaltningen",
        "Управління догляду за літніми людьми Стокгольма",
        ["health_care", "social_services"],
        "212000-0142",
    ),
    (
        "stockholm",
        OrganisationKind.CITY_OWNED_COMPANY,
        "Familjebostäder",
        "Familjebostäder",
        "Familjebostäder (муніципальне житло Стокгольма)",
        ["housing"],
        "556035-9555",
    ),
    (
        "stockholm",
        OrganisationKind.UNIVERSITY,
        "KTH Royal Institute of Technology",
        "Kungliga Tekniska högskolan",
        "Королівський технологічний інститут (KTH)",
        ["urban_planning", "electricity", "it_digital", "water_sewage"],
        "202100-3054",
    ),
    (
        "stockholm",
        OrganisationKind.NGO,
        "Stockholm Civic Forum",
        "Stockholms medborgarforum",
        "Стокгольмський громадський форум",
        ["democracy", "social_services", "education"],
        "802400-1111",
    ),
    (
        "stockholm",
        OrganisationKind.PRIVATE_COMPANY,
        "Nordic Pipe Diagnostics AB",
        "Nordic Pipe Diagnostics AB",
        "Nordic Pipe Diagnostics AB (діагностика трубопроводів)",
        ["water_sewage", "district_heating"],
        "559012-3456",
    ),
    (
        "stockholm",
        OrganisationKind.PRIVATE_COMPANY,
        "Mälardalen Health Systems AB",
        "Mälardalen Health Systems AB",
        "Mälardalen Health Systems AB (медичні ІТ-системи)",
        ["health_care", "it_digital"],
        "559087-6543",
    ),
]

# How often each theme is asked for (critical infrastructure and housing most).
THEME_WEIGHTS = {
    "water_sewage": 12,
    "electricity": 10,
    "district_heating": 11,
    "it_digital": 8,
    "urban_planning": 9,
    "education": 10,
    "transport": 9,
    "housing": 11,
    "waste": 6,
    "health_care": 7,
    "social_services": 5,
    "democracy": 4,
}
NEED_STATUS_WEIGHTS = {  # needs that are not part of a project
    NeedStatus.DRAFT: 8,
    NeedStatus.OPEN: 55,
    NeedStatus.MATCHED: 15,
    NeedStatus.CLOSED: 12,
    NeedStatus.WITHDRAWN: 10,
}
OFFER_STATUS_WEIGHTS = {OfferStatus.DRAFT: 7, OfferStatus.WITHDRAWN: 6, OfferStatus.OPEN: 87}
PROJECT_STATUS_WEIGHTS = {
    ProjectStatus.PLANNED: 15,
    ProjectStatus.ACTIVE: 45,
    ProjectStatus.ON_HOLD: 8,
    ProjectStatus.COMPLETED: 25,
    ProjectStatus.CANCELLED: 7,
}
PRIORITY_WEIGHTS = {Priority.CRITICAL: 10, Priority.HIGH: 30, Priority.MEDIUM: 40, Priority.LOW: 20}
CRITICAL_PRIORITY_WEIGHTS = {
    Priority.CRITICAL: 30,
    Priority.HIGH: 40,
    Priority.MEDIUM: 25,
    Priority.LOW: 5,
}
NEED_VISIBILITY_WEIGHTS = {
    Visibility.PUBLIC: 50,
    Visibility.PARTNERS: 35,
    Visibility.RESTRICTED: 15,
}
OFFER_VISIBILITY_WEIGHTS = {
    Visibility.PUBLIC: 55,
    Visibility.PARTNERS: 40,
    Visibility.RESTRICTED: 5,
}
VISIBILITY_ORDER = [Visibility.PUBLIC, Visibility.PARTNERS, Visibility.RESTRICTED]


class BulkError(ValueError):
    """The requested sizes or the database do not allow bulk data."""


# ------------------------------------------------------------------------------ the plan


@dataclass(slots=True)
class OrgRef:
    id: int
    city: str
    names: Tri  # uk, sv, en
    themes: list[str]
    users: list[int] = field(default_factory=list)


@dataclass(slots=True)
class NeedPlan:
    org: OrgRef
    author: int
    theme: str
    district: int | None  # index into the planner's Kyiv districts
    priority: Priority
    help_kind: HelpKind
    status: NeedStatus
    visibility: Visibility
    person_days: int
    wanted_from: date | None
    wanted_until: date | None
    created_at: datetime
    published_at: datetime | None
    extra_langs: tuple[str, ...]
    offers: set[int] = field(default_factory=set)  # offers it has a match with
    id: int = 0


@dataclass(slots=True)
class OfferPlan:
    org: OrgRef
    author: int
    themes: list[str]
    help_kind: HelpKind
    status: OfferStatus
    visibility: Visibility
    available_from: date
    available_until: date
    created_at: datetime
    published_at: datetime | None
    extra_langs: tuple[str, ...]
    committed: int = 0
    capacity: int = 0
    id: int = 0


@dataclass(slots=True)
class MatchPlan:
    need: int
    offer: int
    status: MatchStatus
    proposed_side: Side
    proposed_by: int
    proposed_at: datetime
    person_days: int | None = None
    requester_accepted: tuple[int, datetime] | None = None
    expert_accepted: tuple[int, datetime] | None = None
    decided: tuple[int, datetime] | None = None
    decline_reason: str | None = None
    project: int | None = None


@dataclass(slots=True)
class MilestonePlan:
    title: Tri
    due_on: date
    done_on: date | None
    done_by: int | None
    weight: int


@dataclass(slots=True)
class ReportPlan:
    author: int
    organisation: int
    lang: str
    status: ReportStatus
    created_at: datetime


@dataclass(slots=True)
class ProjectPlan:
    need: int
    offers: list[int]
    status: ProjectStatus
    starts_on: date
    ends_on: date
    created_at: datetime
    created_by: int
    original_lang: str
    extra_langs: tuple[str, ...]
    milestones: list[MilestonePlan] = field(default_factory=list)
    reports: list[ReportPlan] = field(default_factory=list)
    id: int = 0


# ------------------------------------------------------------------------------ phrases


def _pick(rng: random.Random, options: Sequence[ph.P]) -> Tri:
    p = rng.choice(options)
    if p.n:
        n = rng.choice(p.n)
        return (p.uk.format(n=n), p.sv.format(n=n), p.en.format(n=n))
    return (p.uk, p.sv, p.en)


def _fill(frame: ph.P | Tri, **slots: Tri | str | int) -> Tri:
    out = []
    for i in range(3):
        values = {k: (v[i] if isinstance(v, tuple) else v) for k, v in slots.items()}
        out.append(frame[i].format(**values))
    return (out[0], out[1], out[2])


def _cap(t: Tri) -> Tri:
    return (t[0][:1].upper() + t[0][1:], t[1][:1].upper() + t[1][1:], t[2][:1].upper() + t[2][1:])


def _join(parts: Iterable[Tri]) -> Tri:
    parts = list(parts)
    return (
        " ".join(p[0] for p in parts),
        " ".join(p[1] for p in parts),
        " ".join(p[2] for p in parts),
    )


# ------------------------------------------------------------------------------ the planner


class BulkPlanner:
    """``plan()`` decides every record in memory (fast; it writes only the reference data and
    the bulk users). ``writer.BulkLoader`` adds ``load()``, which writes them."""

    def __init__(
        self,
        needs: int,
        offers: int,
        projects: int,
        *,
        seed: int | None = None,
        batch_size: int = 5000,
        password: str = DEFAULT_PASSWORD,
        today: date | None = None,
    ) -> None:
        if min(needs, offers, projects) < 0:
            raise BulkError("Sizes cannot be negative.")
        if projects > needs:
            raise BulkError("Every project comes from a need: --projects cannot exceed --needs.")
        if projects and not offers:
            raise BulkError("Projects come from agreed matches: they need at least one offer.")
        self.sizes = {"needs": needs, "offers": offers, "projects": projects}
        self.rng = random.Random(seed)  # nosec B311
        self.batch_size = batch_size
        self.password = password
        self.today = today or date.today()
        self.needs: list[NeedPlan] = []
        self.offers: list[OfferPlan] = []
        self.matches: list[MatchPlan] = []
        self.projects: list[ProjectPlan] = []
        self._planned = False
        self._unseen: dict[str, list] = {}

    # ------------------------------------------------------------------ reference data

    def _prepare_reference(self) -> None:
        """Extra organisations and the bulk users, through the ORM (a few dozen rows)."""
        cities = {c.code: c for c in db.session.scalars(select(City))}
        if "kyiv" not in cities or "stockholm" not in cities:
            raise BulkError("Reference data is missing: run 'flask seed reference' first.")
        themes = {t.code: t for t in db.session.scalars(select(Theme))}
        for city, kind, en, sv, uk, theme_codes, registry in EXTRA_ORGANISATIONS:
            org = db.session.scalar(select(Organisation).filter_by(name_en=en))
            if org is None:
                org = Organisation(
                    name_en=en,
                    name_sv=sv,
                    name_uk=uk,
                    kind=kind,
                    city_id=cities[city].id,
                    registry_id=registry,
                )
                org.themes = [themes[c] for c in theme_codes if c in themes]
                db.session.add(org)
        db.session.flush()

        self.agreement = db.session.scalar(select(Agreement).filter_by(is_default=True))
        if self.agreement is None:
            raise BulkError("There is no default agreement: run 'flask seed reference' first.")
        self.theme_ids = {code: t.id for code, t in themes.items()}
        self.critical = {code for code, t in themes.items() if t.is_critical}
        self.theme_names = {code: (t.name_uk, t.name_sv, t.name_en) for code, t in themes.items()}
        self.theme_codes = [c for c in THEME_WEIGHTS if c in themes] + [
            c for c in themes if c not in THEME_WEIGHTS
        ]
        self.theme_weights = [THEME_WEIGHTS.get(c, 5) for c in self.theme_codes]
        # Kyiv's districts in the order of their KATOTTH codes (the reference data's order).
        districts = db.session.execute(
            select(District.id, District.name_uk, District.name_en)
            .where(District.city_id == cities["kyiv"].id)
            .order_by(District.code)
        ).all()
        self.district_ids = [d.id for d in districts]
        self.district_names = [(d.name_uk, d.name_en) for d in districts]

        password_hash = hash_password(self.password)
        existing = {u.email: u for u in db.session.scalars(select(User))}
        self.kyiv: list[OrgRef] = []
        self.stockholm: list[OrgRef] = []
        for org in db.session.scalars(
            select(Organisation).where(Organisation.is_active.is_(True)).order_by(Organisation.id)
        ):
            city = org.city.code
            if city not in ("kyiv", "stockholm"):
                continue
            ref = OrgRef(
                org.id, city, (org.name_uk, org.name_sv, org.name_en), [t.code for t in org.themes]
            )
            role = Role.REQUESTER if city == "kyiv" else Role.EXPERT
            lang = "uk" if city == "kyiv" else "sv"
            for n in range(1, USERS_PER_ORGANISATION + 1):
                email = f"{role.value}-{org.id}-{n}@{BULK_EMAIL_DOMAIN}"
                user = existing.get(email) or self._user(
                    email, role, org.id, lang, password_hash, n
                )
                ref.users.append(user)
            (self.kyiv if city == "kyiv" else self.stockholm).append(ref)
        if not self.kyiv or not self.stockholm:
            raise BulkError("Both cities need at least one active organisation.")
        coordinator_orgs = [
            ("City Executive Office", Role.COORDINATOR, "sv"),
            ("KCSA International Department", Role.COORDINATOR, "uk"),
            ("Service Administration", Role.ADMIN, "sv"),
        ]
        self.coordinators: list[Any] = []
        for n, (org_name, role, lang) in enumerate(coordinator_orgs, start=1):
            org = db.session.scalar(select(Organisation).filter_by(name_en=org_name))
            if org is None:
                continue
            email = f"{role.value}-{n}@{BULK_EMAIL_DOMAIN}"
            user = existing.get(email) or self._user(email, role, org.id, lang, password_hash, n)
            if user.totp_enabled_at is None:
                # What twofactor.enable does, without recovery codes (an argon2 hash each).
                from portal.accounts.twofactor import encrypt_secret

                user.totp_secret_encrypted = encrypt_secret(BULK_TOTP_SECRET)
                user.totp_enabled_at = utcnow()
            if role == Role.COORDINATOR:
                self.coordinators.append(user)
        db.session.flush()
        for ref in self.kyiv + self.stockholm:
            ref.users = [u.id for u in ref.users]
        self.coordinators = [u.id for u in self.coordinators]
        if not self.coordinators:
            self.coordinators = [self.kyiv[0].users[0]]
        db.session.commit()

        self.kyiv_by_theme: dict[str, list[OrgRef]] = {c: [] for c in self.theme_codes}
        for ref in self.kyiv:
            for code in ref.themes:
                self.kyiv_by_theme.setdefault(code, []).append(ref)
        self.org_by_id = {ref.id: ref for ref in self.kyiv + self.stockholm}

    def _user(
        self, email: str, role: Role, org_id: int, lang: str, password_hash: str, n: int
    ) -> User:
        first = ph.FIRST_NAMES[lang][(org_id * 3 + n) % len(ph.FIRST_NAMES[lang])]
        last = ph.LAST_NAMES[lang][(org_id * 5 + n) % len(ph.LAST_NAMES[lang])]
        user = User(
            email=email,
            name=f"{first} {last}",
            password_hash=password_hash,
            role=role,
            organisation_id=org_id,
            locale=lang,
            is_active_account=True,
            session_generation=0,
        )
        db.session.add(user)
        return user

    def _district_tri(self, index: int) -> Tri:
        uk, en = self.district_names[index]
        return (f"{uk} район", en, f"{en} district")

    # ------------------------------------------------------------------ time helpers

    def _moment(self, start: datetime, end: datetime) -> datetime:
        if end <= start:
            return start
        span = (end - start).total_seconds()
        return start + timedelta(seconds=self.rng.uniform(0, span))

    def _day(self, start: date, end: date) -> date:
        if end <= start:
            return start
        return start + timedelta(days=self.rng.randint(0, (end - start).days))

    def _weighted(self, weights: dict, *, cover: str | None = None) -> Any:
        """A value drawn by its weight. The draws named by *cover* first take every value once,
        in an order the seed decides: a small data set shows every status, whatever the day it
        is made (the day moves the draws in between, and a rare value could be missed)."""
        if cover is not None:
            if cover not in self._unseen:
                self._unseen[cover] = self.rng.sample(list(weights), len(weights))
            if self._unseen[cover]:
                return self._unseen[cover].pop()
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def _extra_langs(self, options: dict[str, float]) -> tuple[str, ...]:
        return tuple(lang for lang, p in options.items() if self.rng.random() < p)

    # ------------------------------------------------------------------ planning

    def plan(self) -> None:
        """Decide every record in memory. Reads and writes only the reference data and users."""
        self._prepare_reference()
        agreement = self.agreement
        self.valid_from, self.valid_until = agreement.valid_from, agreement.valid_until
        self.today = min(max(self.today, self.valid_from + timedelta(days=60)), self.valid_until)
        self.start = datetime.combine(self.valid_from, datetime.min.time(), UTC)
        self.now = min(utcnow(), datetime.combine(self.today, datetime.min.time(), UTC))
        self.now = max(self.now, self.start + timedelta(days=60))
        self._plan_offers()
        self._plan_needs()
        self._plan_projects()
        self._plan_other_matches()
        self._settle_offers()
        self._planned = True

    @property
    def total(self) -> int:
        """Progress units: needs, offers, matches and projects written."""
        return len(self.needs) + len(self.offers) + len(self.matches) + len(self.projects)

    def _plan_offers(self) -> None:
        rng = self.rng
        for _ in range(self.sizes["offers"]):
            org = rng.choice(self.stockholm)
            own = org.themes or self.theme_codes
            first = rng.choice(own) if rng.random() < 0.9 else rng.choice(self.theme_codes)
            themes = [first]
            for _extra in range(rng.choice((0, 0, 0, 1, 1, 2))):
                more = rng.choice(own if rng.random() < 0.7 else self.theme_codes)
                if more not in themes:
                    themes.append(more)
            created = self._moment(self.start, self.now)
            status = self._weighted(OFFER_STATUS_WEIGHTS, cover="offer status")
            published = (
                None
                if status == OfferStatus.DRAFT
                else min(created + timedelta(days=rng.uniform(0, 10)), self.now)
            )
            available_from = self._day(created.date(), created.date() + timedelta(days=60))
            available_until = min(
                available_from + timedelta(days=rng.randint(90, 720)), self.valid_until
            )
            self.offers.append(
                OfferPlan(
                    org=org,
                    author=rng.choice(org.users),
                    themes=themes,
                    help_kind=rng.choice(list(HelpKind)),
                    status=status,
                    visibility=self._weighted(OFFER_VISIBILITY_WEIGHTS, cover="offer visibility"),
                    available_from=min(available_from, available_until),
                    available_until=available_until,
                    created_at=created,
                    published_at=published,
                    extra_langs=self._extra_langs({"en": 0.35, "uk": 0.15}),
                )
            )
        # Published offers by theme, for matching.
        self.offers_by_theme: dict[str, list[int]] = {}
        for i, offer in enumerate(self.offers):
            if offer.status == OfferStatus.OPEN:
                for code in offer.themes:
                    self.offers_by_theme.setdefault(code, []).append(i)
        self.published_offers = [
            i for i, o in enumerate(self.offers) if o.status == OfferStatus.OPEN
        ]
        self.closed_offers = [i for i, o in enumerate(self.offers) if o.status != OfferStatus.DRAFT]

    def _new_need(self, status: NeedStatus, created: datetime) -> NeedPlan:
        rng = self.rng
        theme = rng.choices(self.theme_codes, weights=self.theme_weights)[0]
        candidates = self.kyiv_by_theme.get(theme) or self.kyiv
        org = rng.choice(candidates) if rng.random() < 0.85 else rng.choice(self.kyiv)
        critical = theme in self.critical
        wanted_from = wanted_until = None
        if rng.random() < 0.9:
            wanted_from = self._day(created.date(), created.date() + timedelta(days=90))
            wanted_until = min(wanted_from + timedelta(days=rng.randint(30, 365)), self.valid_until)
            wanted_from = min(wanted_from, wanted_until)
        published = None
        if status != NeedStatus.DRAFT:
            published = min(created + timedelta(days=rng.uniform(0, 7)), self.now)
        return NeedPlan(
            org=org,
            author=rng.choice(org.users),
            theme=theme,
            district=rng.randrange(len(self.district_ids)) if rng.random() < 0.85 else None,
            priority=(
                self._weighted(CRITICAL_PRIORITY_WEIGHTS)
                if critical
                else self._weighted(PRIORITY_WEIGHTS, cover="need priority")
            ),
            help_kind=rng.choice(list(HelpKind)),
            status=status,
            visibility=(
                Visibility.RESTRICTED
                if critical
                else self._weighted(NEED_VISIBILITY_WEIGHTS, cover="need visibility")
            ),
            person_days=rng.choice((3, 5, 5, 10, 10, 15, 20, 20, 30, 40, 60, 80)),
            wanted_from=wanted_from,
            wanted_until=wanted_until,
            created_at=created,
            published_at=published,
            extra_langs=self._extra_langs({"sv": 0.2, "en": 0.3}),
        )

    def _plan_needs(self) -> None:
        # A random sample of the needs become the projects' needs; their status and times are
        # settled with their project.
        self.project_needs = self.rng.sample(range(self.sizes["needs"]), self.sizes["projects"])
        in_project = set(self.project_needs)
        for i in range(self.sizes["needs"]):
            if i in in_project:
                status = NeedStatus.IN_PROJECT
            else:
                status = self._weighted(NEED_STATUS_WEIGHTS, cover="need status")
            self.needs.append(self._new_need(status, self._moment(self.start, self.now)))

    def _pick_offer(self, need_index: int, before: datetime, pool: str = "theme") -> int | None:
        """A published offer for the need, preferably in its theme, that the need has no match
        with yet; the offer is moved back in time if it was published after ``before``."""
        rng, need = self.rng, self.needs[need_index]
        candidates = self.offers_by_theme.get(need.theme) if pool == "theme" else None
        candidates = candidates or self.published_offers
        if not candidates:
            return None
        for _attempt in range(8):
            index = rng.choice(candidates)
            if index not in need.offers:
                break
        else:
            return None
        offer = self.offers[index]
        assert offer.published_at is not None
        if offer.published_at > before:
            offer.published_at = max(before - timedelta(days=rng.uniform(1, 20)), self.start)
            offer.created_at = min(offer.created_at, offer.published_at)
            offer.available_from = min(offer.available_from, offer.published_at.date())
        need.offers.add(index)
        return index

    def _proposer(self, rng: random.Random, requester: Any, expert: Any) -> tuple[Side, Any]:
        """Who proposes a match: a requester half the time, else an expert or a coordinator.
        (Draws from ``rng`` in the same order as always, so a seed gives the same data.)"""
        side = rng.choice((Side.REQUESTER, Side.REQUESTER, Side.EXPERT, Side.COORDINATOR))
        coordinator = rng.choice(self.coordinators)
        return side, {Side.REQUESTER: requester, Side.EXPERT: expert}.get(side, coordinator)

    def _agreed_match(
        self, need_index: int, offer_index: int, decided_at: datetime, days: int
    ) -> MatchPlan:
        rng = self.rng
        need, offer = self.needs[need_index], self.offers[offer_index]
        requester, expert = rng.choice(need.org.users), rng.choice(offer.org.users)
        proposed_at = max(
            decided_at - timedelta(days=rng.uniform(1, 14)), need.published_at or self.start
        )
        side, proposer = self._proposer(rng, requester, expert)
        if side == Side.EXPERT:
            expert_at, requester_at, decider = proposed_at, decided_at, requester
        else:
            requester_at = proposed_at if side == Side.REQUESTER else decided_at
            expert_at, decider = decided_at, expert
            if side == Side.COORDINATOR:
                requester_at = proposed_at + (decided_at - proposed_at) / 2
        offer.committed += days
        return MatchPlan(
            need=need_index,
            offer=offer_index,
            status=MatchStatus.AGREED,
            proposed_side=side,
            proposed_by=proposer,
            proposed_at=proposed_at,
            person_days=days,
            requester_accepted=(requester, requester_at),
            expert_accepted=(expert, expert_at),
            decided=(decider, decided_at),
        )

    def _plan_projects(self) -> None:
        rng = self.rng
        for index in self.project_needs:
            need = self.needs[index]
            status = self._weighted(PROJECT_STATUS_WEIGHTS, cover="project status")
            starts, ends, created = self._project_period(status)
            # The need was posted, published and matched before the project was created.
            decided = max(created - timedelta(days=rng.uniform(1, 15)), self.start)
            need.published_at = max(decided - timedelta(days=rng.uniform(10, 60)), self.start)
            need.created_at = max(need.published_at - timedelta(days=rng.uniform(0, 7)), self.start)
            need.status = (
                NeedStatus.CLOSED if status == ProjectStatus.COMPLETED else NeedStatus.IN_PROJECT
            )
            offer_indexes = []
            for _n in range(2 if rng.random() < 0.15 else 1):
                offer_index = self._pick_offer(index, decided - timedelta(days=15))
                if offer_index is None:
                    continue
                days = max(min(need.person_days, rng.choice((5, 10, 15, 20, 30))), 1)
                match = self._agreed_match(index, offer_index, decided, days)
                match.project = len(self.projects)
                self.matches.append(match)
                offer_indexes.append(offer_index)
            if not offer_indexes:
                raise BulkError("No published offer could be found for a project.")
            lang = rng.choice(("uk", "sv", "uk", "sv", "en"))
            extra = self._extra_langs({code: 0.4 for code in ("uk", "sv", "en") if code != lang})
            project = ProjectPlan(
                need=index,
                offers=offer_indexes,
                status=status,
                starts_on=starts,
                ends_on=ends,
                created_at=created,
                created_by=rng.choice(self.coordinators),
                original_lang=lang,
                extra_langs=extra,
            )
            self._plan_milestones(project)
            self._plan_reports(project)
            self.projects.append(project)

    def _project_period(self, status: ProjectStatus) -> tuple[date, date, datetime]:
        rng, today = self.rng, self.today
        first = self.valid_from + timedelta(days=30)
        last = self.valid_until
        if status == ProjectStatus.COMPLETED:
            created_day = self._day(first, today - timedelta(days=150))
            starts = min(
                created_day + timedelta(days=rng.randint(0, 20)), today - timedelta(days=2)
            )
            ends = self._day(min(starts + timedelta(days=60), today - timedelta(days=1)), today)
            ends = max(min(ends, today - timedelta(days=1)), starts)
        elif status == ProjectStatus.PLANNED:
            created_day = self._day(today - timedelta(days=60), today)
            starts = min(today + timedelta(days=rng.randint(7, 120)), last)
            ends = min(starts + timedelta(days=rng.randint(60, 540)), last)
        elif status == ProjectStatus.CANCELLED:
            created_day = self._day(first, today - timedelta(days=30))
            starts = created_day + timedelta(days=rng.randint(0, 30))
            ends = min(starts + timedelta(days=rng.randint(90, 540)), last)
        else:  # active, on hold: running today
            created_day = self._day(first, today - timedelta(days=20))
            starts = min(created_day + timedelta(days=rng.randint(0, 20)), today)
            ends = self._day(max(today + timedelta(days=14), starts + timedelta(days=90)), last)
        starts = min(max(starts, self.valid_from), last)
        ends = min(max(ends, starts), last)
        created_day = max(min(created_day, starts, today), self.valid_from)
        created = min(
            datetime.combine(created_day, datetime.min.time(), UTC)
            + timedelta(hours=rng.uniform(8, 17)),
            self.now,
        )
        return starts, ends, created

    def _project_users(self, project: ProjectPlan) -> tuple[list[int], list[int]]:
        need = self.needs[project.need]
        experts = [u for i in project.offers for u in self.offers[i].org.users]
        return need.org.users, experts

    def _plan_milestones(self, project: ProjectPlan) -> None:
        rng, today = self.rng, self.today
        requesters, experts = self._project_users(project)
        count = rng.randint(2, 6)
        span = max((project.ends_on - project.starts_on).days, count)
        titles = rng.sample(ph.MILESTONES, k=min(count, len(ph.MILESTONES)))
        for n, title in enumerate(titles, start=1):
            due = project.starts_on + timedelta(days=span * n // len(titles))
            due = min(due, project.ends_on)
            done = None
            if project.status == ProjectStatus.COMPLETED or (
                project.status
                in (ProjectStatus.ACTIVE, ProjectStatus.ON_HOLD, ProjectStatus.CANCELLED)
                and due < today
                and rng.random() < 0.75
            ):
                done = min(due + timedelta(days=rng.randint(-10, 10)), today)
                done = max(done, project.starts_on)
            project.milestones.append(
                MilestonePlan(
                    title=(title.uk, title.sv, title.en),
                    due_on=due,
                    done_on=done,
                    done_by=rng.choice(requesters + experts) if done else None,
                    weight=rng.choice((1, 1, 2, 3, 5)),
                )
            )

    def _plan_reports(self, project: ProjectPlan) -> None:
        rng = self.rng
        count = {
            ProjectStatus.PLANNED: rng.choice((0, 0, 0, 1)),
            ProjectStatus.ACTIVE: rng.randint(1, 4),
            ProjectStatus.ON_HOLD: rng.randint(1, 4),
            ProjectStatus.COMPLETED: rng.randint(2, 5),
            ProjectStatus.CANCELLED: rng.randint(0, 2),
        }[project.status]
        if not count:
            return
        requester_org = self.needs[project.need].org
        expert_orgs = [self.offers[i].org for i in project.offers]
        # Reports are written while the project runs (after its creation, never in the future).
        end = min(datetime.combine(project.ends_on, datetime.min.time(), UTC), self.now)
        start = max(
            datetime.combine(project.starts_on, datetime.min.time(), UTC), project.created_at
        )
        start = min(start, end)
        end = max(end, project.created_at)
        start = max(start, project.created_at)
        moments = sorted(self._moment(start, end) for _ in range(count))
        for n, moment in enumerate(moments):
            org = requester_org if rng.random() < 0.5 else rng.choice(expert_orgs)
            weights = {
                ReportStatus.ON_TRACK: 65,
                ReportStatus.AT_RISK: 25,
                ReportStatus.OFF_TRACK: 10,
            }
            if project.status == ProjectStatus.ON_HOLD:
                weights = {
                    ReportStatus.ON_TRACK: 20,
                    ReportStatus.AT_RISK: 45,
                    ReportStatus.OFF_TRACK: 35,
                }
            elif project.status == ProjectStatus.COMPLETED and n == count - 1:
                weights = {ReportStatus.ON_TRACK: 1}
            project.reports.append(
                ReportPlan(
                    author=rng.choice(org.users),
                    organisation=org.id,
                    lang="uk" if org.city == "kyiv" else "sv",
                    status=self._weighted(
                        weights, cover="report status" if len(weights) > 1 else None
                    ),
                    created_at=moment + timedelta(seconds=n),  # distinct, in order
                )
            )

    def _plan_other_matches(self) -> None:
        rng = self.rng
        in_project = set(self.project_needs)
        free = [i for i in range(len(self.needs)) if i not in in_project]
        # Agreed matches first (matched needs), so that committed offers are known before
        # proposals are placed on offers that still have capacity.
        for index in free:
            need = self.needs[index]
            if need.status != NeedStatus.MATCHED:
                continue
            assert need.published_at is not None
            decided = self._moment(need.published_at, self.now)
            offer_index = self._pick_offer(index, decided - timedelta(days=15))
            if offer_index is None:
                need.status = NeedStatus.OPEN
                continue
            days = max(min(need.person_days, rng.choice((5, 10, 15, 20))), 1)
            self.matches.append(self._agreed_match(index, offer_index, decided, days))
        # Some offers with agreed matches have no capacity left: fully committed.
        for offer in self.offers:
            if offer.status == OfferStatus.OPEN and offer.committed and rng.random() < 0.35:
                offer.status = OfferStatus.COMMITTED
        self.offers_by_theme = {
            code: [i for i in indexes if self.offers[i].status == OfferStatus.OPEN]
            for code, indexes in self.offers_by_theme.items()
        }
        self.published_offers = [
            i for i in self.published_offers if self.offers[i].status == OfferStatus.OPEN
        ]
        for index in free:
            need = self.needs[index]
            if need.published_at is None:
                continue
            if need.status == NeedStatus.OPEN:
                roll = rng.random()
                if roll < 0.35:
                    for _n in range(rng.choice((1, 1, 2))):
                        self._ended_or_proposed(index, MatchStatus.PROPOSED)
                elif roll < 0.5:
                    self._ended_or_proposed(
                        index, rng.choice((MatchStatus.DECLINED, MatchStatus.WITHDRAWN))
                    )
            elif (
                need.status in (NeedStatus.WITHDRAWN, NeedStatus.CLOSED, NeedStatus.MATCHED)
                and rng.random() < 0.3
            ):
                self._ended_or_proposed(
                    index, rng.choice((MatchStatus.DECLINED, MatchStatus.WITHDRAWN))
                )

    def _ended_or_proposed(self, need_index: int, status: MatchStatus) -> None:
        rng, need = self.rng, self.needs[need_index]
        assert need.published_at is not None
        proposed_at = self._moment(need.published_at, self.now)
        pool = "theme" if rng.random() < 0.85 else "any"
        offer_index = self._pick_offer(need_index, proposed_at, pool)
        if offer_index is None:
            return
        offer = self.offers[offer_index]
        requester, expert = rng.choice(need.org.users), rng.choice(offer.org.users)
        side, proposer = self._proposer(rng, requester, expert)
        match = MatchPlan(
            need=need_index,
            offer=offer_index,
            status=status,
            proposed_side=side,
            proposed_by=proposer,
            proposed_at=proposed_at,
        )
        if side == Side.REQUESTER:
            match.requester_accepted = (requester, proposed_at)
        elif side == Side.EXPERT:
            match.expert_accepted = (expert, proposed_at)
        if status != MatchStatus.PROPOSED:
            decided_at = min(proposed_at + timedelta(days=rng.uniform(0.5, 20)), self.now)
            if status == MatchStatus.WITHDRAWN:
                match.decided = (proposer, decided_at)
            else:
                decider = expert if side == Side.REQUESTER else requester
                match.decided = (decider, decided_at)
                if rng.random() < 0.6:
                    lang = "sv" if decider == expert else "uk"
                    match.decline_reason = rng.choice(ph.DECLINE_REASONS[lang])
        self.matches.append(match)

    def _settle_offers(self) -> None:
        """Capacity from what is committed: none left for committed offers, some for open."""
        rng = self.rng
        for offer in self.offers:
            if offer.status == OfferStatus.COMMITTED:
                offer.capacity = offer.committed
            else:
                offer.capacity = offer.committed + rng.choice((10, 20, 20, 30, 40, 60, 80, 120))

    # ------------------------------------------------------------------ texts

    def _need_texts(self, need: NeedPlan) -> tuple[Tri, Tri]:
        rng, bank = self.rng, ph.THEMES[need.theme]
        topic = _pick(rng, bank["topics"])
        facility = _pick(rng, bank["facilities"])
        help_ = ph.HELP[need.help_kind.value][:3]
        street = _pick(rng, ph.STREETS)
        frames = ph.NEED_TITLES
        if need.district is None:
            frames = [f for f in frames if "{district}" not in f.uk]
        slots: dict[str, Tri] = {
            "topic": topic,
            "help": help_,
            "facility": facility,
            "street": street,
        }
        if need.district is not None:
            slots["district"] = self._district_tri(need.district)
        title = _cap(_fill(rng.choice(frames), **slots))
        parts: list[Tri] = []
        if rng.random() < 0.7:
            parts.append(_fill(ph.NEED_FACILITY, facility=facility))
        if rng.random() < 0.5:
            parts.append(_fill(ph.NEED_ADDRESS, street=street))
        if need.district is not None and rng.random() < 0.5:
            parts.append(_fill(ph.NEED_DISTRICT, district=self._district_tri(need.district)))
        problems = bank["problems"]
        for p in rng.sample(problems, k=rng.randint(1, min(3, len(problems)))):
            parts.append(_pick(rng, [p]))
        if rng.random() < 0.5:
            parts.append(_pick(rng, ph.NEED_CONTEXT))
        parts.append(_fill(ph.NEED_GOAL, outcome=_pick(rng, bank["outcomes"])))
        parts.append(_fill(ph.NEED_ASK, help=help_, days=need.person_days))
        return title, _join(parts)

    def _offer_texts(self, offer: OfferPlan) -> tuple[Tri, Tri]:
        rng = self.rng
        theme = offer.themes[0]
        bank = ph.THEMES[theme]
        topic = _pick(rng, bank["topics"])
        help_ = ph.HELP[offer.help_kind.value][:3]
        title = _cap(
            _fill(
                rng.choice(ph.OFFER_TITLES), topic=topic, help=help_, organisation=offer.org.names
            )
        )
        theme_name = tuple(n.lower() for n in self.theme_names[theme])
        parts = [
            _fill(ph.OFFER_INTRO, organisation=offer.org.names, help=help_, theme=theme_name),
            _fill(ph.OFFER_TOPIC, topic=topic),
            _pick(rng, bank["experience"]),
        ]
        methods = bank["methods"]
        for p in rng.sample(methods, k=rng.randint(1, len(methods))):
            parts.append(_pick(rng, [p]))
        for other in offer.themes[1:]:
            parts.append(_fill(ph.OFFER_TOPIC, topic=_pick(rng, ph.THEMES[other]["topics"])))
        if rng.random() < 0.6:
            parts.append(_pick(rng, ph.OFFER_CONTEXT))
        parts.append(_fill(ph.OFFER_CAPACITY, days=offer.capacity))
        return title, _join(parts)

    def _project_texts(self, project: ProjectPlan) -> tuple[Tri, Tri]:
        rng = self.rng
        need = self.needs[project.need]
        bank = ph.THEMES[need.theme]
        topic = _pick(rng, bank["topics"])
        frames = ph.PROJECT_TITLES if need.district is not None else ph.PROJECT_TITLES[::2]
        slots: dict[str, Tri] = {"topic": topic}
        if need.district is not None:
            slots["district"] = self._district_tri(need.district)
        title = _cap(_fill(rng.choice(frames), **slots))
        expert = self.offers[project.offers[0]].org
        parts = [
            _pick(rng, bank["problems"]),
            _pick(rng, bank["methods"]),
            _fill(ph.PROJECT_GOAL, outcome=_pick(rng, bank["outcomes"])),
            _fill(ph.PROJECT_PARTNERS, requester=need.org.names, expert=expert.names),
        ]
        return title, _join(parts)

    def _report_text(self, status: ReportStatus) -> Tri:
        rng = self.rng
        parts = [_pick(rng, ph.REPORT_HEADLINES[status.value])]
        details = ph.REPORT_GOOD if status == ReportStatus.ON_TRACK else ph.REPORT_BAD
        parts.append(_pick(rng, details))
        if rng.random() < 0.4:
            parts.append(_pick(rng, ph.REPORT_GOOD))
        return _join(parts)
