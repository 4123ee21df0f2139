"""Demo data: a believable Stockholm–Kyiv dataset with demo accounts (``flask seed demo``).

The content lives in ``data/demo.toml``: people, needs written in Ukrainian, offers written in
Swedish, matches in every state, and six projects with milestones and status reports. This module
turns it into records with the models directly, without the domain services, and so keeps by
hand what the services keep in normal use:

- a need's status follows its matches (an agreed match makes it matched; in a project, in
  project; after a completed or cancelled project, closed); an offer's committed days are the
  person-days of its agreed matches, and it is committed when nothing remains;
- acceptances follow the proposing side, and an agreed match is decided by the later acceptance;
- a project's organisations are both leads and those of its needs and offers, its latest report
  status is that of its newest report, its dates lie inside the agreement's validity;
- milestones are done only in the past; published_at is set on everything but drafts;
- every record gets one "create" audit event by the person who created it, dated when they did.

Dates in the data file are day offsets from today, so the dashboard always has overdue
milestones, milestones due soon and a project ending within 60 days. Loading is idempotent: when
any demo account exists, nothing is changed.
"""

from __future__ import annotations

import os
import tomllib
import zlib
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from portal.accounts.models import User, hash_password
from portal.agreements.models import Agreement
from portal.agreements.services import default_agreement
from portal.audit import services as audit
from portal.content.models import Text
from portal.core.enums import (
    HelpKind,
    MatchStatus,
    NeedStatus,
    OfferStatus,
    Priority,
    ProjectStatus,
    ReportStatus,
    Role,
    Side,
    Visibility,
)
from portal.core.types import utcnow
from portal.extensions import db
from portal.matching.models import Match
from portal.needs.models import Need
from portal.offers.models import Offer
from portal.projects.models import Milestone, Project, StatusReport
from portal.reference.models import District, Organisation, Theme
from portal.seed.demo_discussion import load_demo_discussion
from portal.seed.demo_notifications import load_demo_notifications

DEFAULT_PASSWORD = "kyiv-stockholm-demo"  # nosec B105  # noqa: S105 (the documented demo password)
DEMO_ACCOUNTS = (
    "kyiv.official@example.org",
    "stockholm.expert@example.org",
    "coordinator@example.org",
    "admin@example.org",
)

Spec = dict[str, Any]


class DemoDataError(ValueError):
    """The data file contradicts itself or the reference data."""


def demo_password() -> str:
    return os.environ.get("PORTAL_DEMO_PASSWORD") or DEFAULT_PASSWORD


def read_demo_data() -> dict[str, Any]:
    source = resources.files("portal.seed").joinpath("data/demo.toml")
    return tomllib.loads(source.read_text(encoding="utf-8"))


def load_demo(only_if_empty: bool = False) -> bool:
    """Create the demo dataset and commit. Returns True when it created data; False, changing
    nothing, when a demo account already exists or ``only_if_empty`` and there are needs."""
    if only_if_empty and db.session.scalar(db.select(Need.id).limit(1)) is not None:
        return False
    data = read_demo_data()
    emails = [person["email"] for person in data["people"]]
    if db.session.scalar(db.select(User.id).where(User.email.in_(emails)).limit(1)) is not None:
        return False
    try:
        _DemoLoader(data, default_agreement(), date.today()).load()
        _enrol_demo_second_factor(emails)
        load_demo_notifications(list(DEMO_ACCOUNTS))
        load_demo_discussion()
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()
    return True


# Coordinators and admins must sign in with a second factor. The demo ones share this published,
# demo-only secret (add it to an authenticator app, or run `flask users totp-code --email ...`).
DEMO_TOTP_SECRET = "KYIVSTOCKHOLMDEMOKYIVSTOCKHOLMDE"  # nosec B105  # noqa: S105 (published demo secret)


def _enrol_demo_second_factor(emails: list[str]) -> None:
    from portal.accounts import twofactor

    for user in db.session.scalars(db.select(User).where(User.email.in_(emails))):
        if twofactor.is_required(user):
            twofactor.enable(user, DEMO_TOTP_SECRET)


class _DemoLoader:
    def __init__(self, data: dict[str, Any], agreement: Agreement, today: date) -> None:
        self.data = data
        self.agreement = agreement
        self.today = today
        self.now = utcnow()
        self.users: dict[str, User] = {}
        self.needs: dict[str, Need] = {}
        self.offers: dict[str, Offer] = {}
        self.projects: dict[str, Project] = {}
        # (record, record type, actor, when) for the audit trail, written once ids exist
        self.created: list[tuple[Any, str, User | None, datetime]] = []
        self.themes = {t.code: t for t in db.session.scalars(db.select(Theme))}
        self.districts = {d.name_en: d for d in db.session.scalars(db.select(District))}
        self.organisations = {o.name_en: o for o in db.session.scalars(db.select(Organisation))}

    # ------------------------------------------------------------------ orchestration

    def load(self) -> None:
        matches = self.data["matches"]
        by_need: dict[str, list[Spec]] = defaultdict(list)
        by_offer: dict[str, list[Spec]] = defaultdict(list)
        for spec in matches:
            by_need[spec["need"]].append(spec)
            by_offer[spec["offer"]].append(spec)
        project_specs = {spec["key"]: spec for spec in self.data["projects"]}

        with db.session.no_autoflush:
            self.build(matches, by_need, by_offer, project_specs)
        db.session.flush()
        self.record_creations()

    def build(
        self,
        matches: list[Spec],
        by_need: dict[str, list[Spec]],
        by_offer: dict[str, list[Spec]],
        project_specs: dict[str, Spec],
    ) -> None:
        self.load_people()
        for spec in self.data["needs"]:
            self.load_need(spec, by_need.get(spec["key"], []), project_specs)
        for spec in self.data["offers"]:
            self.load_offer(spec, by_offer.get(spec["key"], []))
        unknown = {m["need"] for m in matches} - self.needs.keys()
        unknown |= {m["offer"] for m in matches} - self.offers.keys()
        if unknown:
            raise DemoDataError(f"matches refer to unknown needs or offers: {sorted(unknown)}")
        for spec in self.data["projects"]:
            self.load_project(spec, [m for m in matches if m.get("project") == spec["key"]])
        for spec in matches:
            self.load_match(spec)

    def record_creations(self) -> None:
        for record, record_type, actor, when in sorted(self.created, key=lambda c: c[3]):
            event = audit.record(
                actor, "create", record_type, record.id, after=audit.snapshot(record)
            )
            event.at = when

    # ------------------------------------------------------------------ helpers

    def day(self, offset: int) -> date:
        return self.today + timedelta(days=offset)

    def moment(self, offset: int, salt: str, user: User) -> datetime:
        """A working-hours moment ``offset`` days from today in ``user``'s city, in UTC."""
        if offset >= 0:
            raise DemoDataError(f"{salt}: a timestamp must lie in the past, got day {offset}")
        spread = zlib.crc32(salt.encode())
        local = time(9 + spread % 8, (spread >> 3) % 60)
        zone = ZoneInfo(user.organisation.city.timezone)
        return datetime.combine(self.day(offset), local, zone).astimezone(UTC)

    def inside_agreement(self, day: date) -> date:
        return min(max(day, self.agreement.valid_from), self.agreement.valid_until)

    def user(self, email: str) -> User:
        try:
            return self.users[email]
        except KeyError:
            raise DemoDataError(f"unknown person {email}") from None

    def organisation(self, name_en: str) -> Organisation:
        try:
            return self.organisations[name_en]
        except KeyError:
            raise DemoDataError(
                f"no organisation {name_en!r}: run 'flask seed reference' first"
            ) from None

    def theme(self, code: str) -> Theme:
        try:
            return self.themes[code]
        except KeyError:
            raise DemoDataError(f"no theme {code!r}: run 'flask seed reference' first") from None

    def district(self, name_en: str | None) -> District | None:
        if name_en is None:
            return None
        try:
            return self.districts[name_en]
        except KeyError:
            raise DemoDataError(f"no district {name_en!r}") from None

    def translator(self, lang: str, original: str) -> User:
        names = self.data["translators"]
        return self.user(names[f"en_from_{original}"] if lang == "en" else names[lang])

    def text(self, bodies: dict[str, str], lang: str, author: User, written: datetime) -> Text:
        """A text in its original language ``lang`` with the other versions as translations,
        written a couple of days after the original."""
        if lang not in bodies:
            raise DemoDataError(f"no {lang} original in {bodies}")
        text = Text.new(bodies[lang].strip(), lang, author)
        text.versions[0].written_at = written
        translated = min(written + timedelta(days=2), self.now - timedelta(hours=1))
        for other, body in bodies.items():
            if other != lang:
                version = text.set_version(other, body.strip(), self.translator(other, lang))
                version.written_at = translated
        return text

    def created_record(self, record: Any, record_type: str, actor: User | None, when: datetime):
        db.session.add(record)
        self.created.append((record, record_type, actor, when))

    # ------------------------------------------------------------------ people

    def load_people(self) -> None:
        password_hash = hash_password(demo_password())  # once: argon2 is slow on purpose
        people = sorted(self.data["people"], key=lambda p: p["joined"])
        admin: User | None = None
        for spec in people:
            user = User(
                email=spec["email"],
                name=spec["name"],
                password_hash=password_hash,
                role=Role(spec["role"]),
                organisation=self.organisation(spec["organisation"]),
                locale=spec["locale"],
            )
            self.users[user.email] = user
            user.created_at = self.moment(spec["joined"], user.email, user)
            self.created_record(user, "user", admin, user.created_at)
            if admin is None and user.role == Role.ADMIN:
                admin = user
        if admin is None or admin is not self.users[people[0]["email"]]:
            raise DemoDataError("the first account must be an administrator, who creates the rest")

    # ------------------------------------------------------------------ needs

    def need_status(self, spec: Spec, matches: list[Spec], projects: dict[str, Spec]) -> NeedStatus:
        agreed = [m for m in matches if m["status"] == MatchStatus.AGREED]
        stated = spec.get("state")
        if stated is not None:
            status = NeedStatus(stated)
            if status not in (NeedStatus.DRAFT, NeedStatus.WITHDRAWN, NeedStatus.CLOSED):
                raise DemoDataError(f"need {spec['key']}: state {stated} is derived, not stated")
            live = [m for m in matches if m["status"] in (MatchStatus.AGREED, MatchStatus.PROPOSED)]
            if live or (status == NeedStatus.DRAFT and matches):
                raise DemoDataError(f"need {spec['key']} is {stated} but has matches")
            return status
        in_projects = [projects[m["project"]] for m in agreed if m.get("project")]
        if in_projects:
            finished = (ProjectStatus.COMPLETED, ProjectStatus.CANCELLED)
            if all(ProjectStatus(p["status"]) in finished for p in in_projects):
                return NeedStatus.CLOSED
            return NeedStatus.IN_PROJECT
        return NeedStatus.MATCHED if agreed else NeedStatus.OPEN

    def load_need(self, spec: Spec, matches: list[Spec], projects: dict[str, Spec]) -> None:
        key = spec["key"]
        author = self.user(spec["author"])
        if author.role != Role.REQUESTER:
            raise DemoDataError(f"need {key}: {author.email} is not a requester")
        theme = self.theme(spec["theme"])
        created = self.moment(spec["created"], key, author)
        if created < author.created_at:
            raise DemoDataError(f"need {key} is older than its author's account")
        status = self.need_status(spec, matches, projects)
        published = None if status == NeedStatus.DRAFT else created + timedelta(minutes=25)
        touched = [created, published]
        if "state_changed" in spec:
            touched.append(self.moment(spec["state_changed"], f"{key}:state", author))
        for m in matches:
            touched.extend(self.match_moments(m).values())
            if m.get("project") and m["status"] == MatchStatus.AGREED:
                touched.append(self.project_changed(projects[m["project"]]))
        wanted_from, wanted_until = spec["wanted"]
        need = Need(
            agreement=self.agreement,
            organisation=author.organisation,
            created_by=author,
            theme=theme,
            district=self.district(spec.get("district")),
            title=self.text(spec["title"], "uk", author, created),
            description=self.text(spec["description"], "uk", author, created),
            priority=Priority(spec["priority"]),
            help_kind=HelpKind(spec["help_kind"]),
            wanted_from=self.day(wanted_from),
            wanted_until=self.day(wanted_until),
            person_days=spec.get("person_days"),
            # Critical infrastructure is never published more widely (martial law).
            visibility=Visibility.RESTRICTED
            if theme.is_critical
            else Visibility(spec["visibility"]),
            status=status,
            created_at=created,
            updated_at=max(t for t in touched if t is not None),
            published_at=published,
        )
        self.needs[key] = need
        self.created_record(need, "need", author, created)

    # ------------------------------------------------------------------ offers

    def load_offer(self, spec: Spec, matches: list[Spec]) -> None:
        key = spec["key"]
        author = self.user(spec["author"])
        if author.role != Role.EXPERT:
            raise DemoDataError(f"offer {key}: {author.email} is not an expert")
        created = self.moment(spec["created"], key, author)
        if created < author.created_at:
            raise DemoDataError(f"offer {key} is older than its author's account")
        capacity = spec["capacity"]
        committed = sum(m["person_days"] for m in matches if m["status"] == MatchStatus.AGREED)
        if committed > capacity:
            raise DemoDataError(f"offer {key}: {committed} days agreed, capacity {capacity}")
        stated = spec.get("state")
        if stated is not None:
            status = OfferStatus(stated)
            if status not in (OfferStatus.DRAFT, OfferStatus.WITHDRAWN):
                raise DemoDataError(f"offer {key}: state {stated} is derived, not stated")
            if any(m["status"] in (MatchStatus.AGREED, MatchStatus.PROPOSED) for m in matches):
                raise DemoDataError(f"offer {key} is {stated} but has live matches")
        else:
            status = OfferStatus.COMMITTED if committed >= capacity else OfferStatus.OPEN
        published = None if status == OfferStatus.DRAFT else created + timedelta(minutes=40)
        touched = [created, published]
        if "state_changed" in spec:
            touched.append(self.moment(spec["state_changed"], f"{key}:state", author))
        for m in matches:
            touched.extend(self.match_moments(m).values())
        available_from, available_until = spec["available"]
        offer = Offer(
            agreement=self.agreement,
            organisation=author.organisation,
            created_by=author,
            themes=[self.theme(code) for code in spec["themes"]],
            title=self.text(spec["title"], "sv", author, created),
            description=self.text(spec["description"], "sv", author, created),
            help_kind=HelpKind(spec["help_kind"]),
            capacity_days=capacity,
            committed_days=committed,
            available_from=self.day(available_from),
            available_until=self.day(available_until),
            visibility=Visibility(spec["visibility"]),
            status=status,
            created_at=created,
            updated_at=max(t for t in touched if t is not None),
            published_at=published,
        )
        self.offers[key] = offer
        self.created_record(offer, "offer", author, created)

    # ------------------------------------------------------------------ projects

    def project_changed(self, spec: Spec) -> datetime:
        creator = self.user(spec["created_by"])
        offset = int(spec.get("status_changed") or spec["created"])
        return self.moment(offset, f"{spec['key']}:status", creator)

    def load_project(self, spec: Spec, matches: list[Spec]) -> None:
        key = spec["key"]
        creator = self.user(spec["created_by"])
        if not creator.is_coordinator:
            raise DemoDataError(f"project {key}: {creator.email} is not a coordinator")
        created = self.moment(spec["created"], key, creator)
        agreed = [m for m in matches if m["status"] == MatchStatus.AGREED]
        if len(agreed) != len(matches) or not agreed:
            raise DemoDataError(f"project {key} must be made of agreed matches only")
        for m in agreed:
            if max(self.match_moments(m).values()) > created:
                raise DemoDataError(f"project {key} starts from a match agreed after it")
        requester_lead = self.organisation(spec["requester_lead"])
        expert_lead = self.organisation(spec["expert_lead"])
        taking_part = [requester_lead, expert_lead]
        for m in agreed:
            taking_part.append(self.needs[m["need"]].organisation)
            taking_part.append(self.offers[m["offer"]].organisation)
        organisations = list(dict.fromkeys(taking_part))
        lang = spec["lang"]
        project = Project(
            agreement=self.agreement,
            theme=self.theme(spec["theme"]),
            district=self.district(spec.get("district")),
            requester_lead=requester_lead,
            expert_lead=expert_lead,
            title=self.text(spec["title"], lang, creator, created),
            description=self.text(spec["description"], lang, creator, created),
            starts_on=self.inside_agreement(self.day(spec["starts"])),
            ends_on=self.inside_agreement(self.day(spec["ends"])),
            status=ProjectStatus(spec["status"]),
            visibility=Visibility(spec["visibility"]),
            created_by=creator,
            created_at=created,
        )
        project.organisations = organisations
        self.projects[key] = project
        self.created_record(project, "project", creator, created)

        touched = [created, self.project_changed(spec)]
        for index, m_spec in enumerate(spec.get("milestones", [])):
            milestone = self.milestone(project, m_spec, creator, created, f"{key}:m{index}")
            if milestone.done_on is not None:
                touched.append(datetime.combine(milestone.done_on, time(12), UTC))
        reports = [
            self.report(project, r_spec, created, organisations, f"{key}:r{index}")
            for index, r_spec in enumerate(spec.get("reports", []))
        ]
        if reports:
            newest = max(reports, key=lambda r: r.created_at)
            project.latest_report_status = newest.status
            touched.append(newest.created_at)
        project.updated_at = max(touched)

    def milestone(
        self, project: Project, spec: Spec, creator: User, created: datetime, salt: str
    ) -> Milestone:
        done = spec.get("done")
        if done is not None and done >= 0:
            raise DemoDataError(f"{salt}: a milestone can only be done in the past")
        milestone = Milestone(
            project=project,
            title=self.text(spec["title"], spec["lang"], creator, created),
            due_on=self.day(spec["due"]),
            done_on=self.day(done) if done is not None else None,
            weight=spec["weight"],
            done_by=self.user(spec["done_by"]) if done is not None else None,
        )
        self.created_record(milestone, "milestone", creator, created + timedelta(minutes=5))
        return milestone

    def report(
        self,
        project: Project,
        spec: Spec,
        project_created: datetime,
        organisations: list[Organisation],
        salt: str,
    ) -> StatusReport:
        author = self.user(spec["author"])
        if author.organisation not in organisations and not author.is_coordinator:
            raise DemoDataError(f"{salt}: {author.email} does not take part in the project")
        written = self.moment(spec["created"], salt, author)
        if written < project_created:
            raise DemoDataError(f"{salt}: a report older than its project")
        report = StatusReport(
            project=project,
            author=author,
            organisation=author.organisation,
            status=ReportStatus(spec["status"]),
            body=self.text(spec["body"], spec["lang"], author, written),
            created_at=written,
        )
        self.created_record(report, "status_report", author, written)
        return report

    # ------------------------------------------------------------------ matches

    def match_moments(self, spec: Spec) -> dict[str, datetime]:
        """When the match was proposed, accepted by each further person, and decided."""
        salt = f"{spec['need']}~{spec['offer']}"
        moments = {"proposed": self.moment(spec["proposed"], salt, self.user(spec["proposer"]))}
        for acceptance in spec.get("accepted", []):
            by = acceptance["by"]
            moments[by] = self.moment(acceptance["on"], f"{salt}:{by}", self.user(by))
        if "decided" in spec:
            moments["decided"] = self.moment(
                spec["decided"], f"{salt}:decided", self.user(spec["decided_by"])
            )
        return moments

    def reasons(self, need: Need, offer: Offer, spec: Spec, on: date) -> list[str]:
        """Why the pair fits, as the matching service stores it (``code:param``): shared theme,
        same kind of help, the offer's period covering the wanted one, capacity left."""
        reasons = []
        if need.theme in offer.themes:
            reasons.append(f"theme:{need.theme.id}")
        if need.help_kind == offer.help_kind:
            reasons.append(f"help_kind:{need.help_kind.value}")
        period = _period_fit(need, offer, on)
        if period is not None:
            reasons.append(f"period_{period}")
        # Capacity as it was when proposed: what other agreed matches had not taken.
        remaining = offer.capacity_days - offer.committed_days
        if spec["status"] == MatchStatus.AGREED:
            remaining += spec["person_days"]
        needed = need.person_days
        if remaining > 0 and needed:
            fits = "capacity" if remaining >= needed else "capacity_partial"
            reasons.append(f"{fits}:{remaining}:{needed}")
        return reasons

    def side_of(self, user: User, need: Need, offer: Offer) -> Side:
        if user.role == Role.REQUESTER and user.organisation is need.organisation:
            return Side.REQUESTER
        if user.role == Role.EXPERT and user.organisation is offer.organisation:
            return Side.EXPERT
        if user.role == Role.COORDINATOR:
            return Side.COORDINATOR
        raise DemoDataError(f"{user.email} is on neither side of {need} / {offer}")

    def load_match(self, spec: Spec) -> None:
        need, offer = self.needs[spec["need"]], self.offers[spec["offer"]]
        name = f"match {spec['need']} ~ {spec['offer']}"
        status = MatchStatus(spec["status"])
        proposer = self.user(spec["proposer"])
        side = self.side_of(proposer, need, offer)
        moments = self.match_moments(spec)
        proposed_at = moments["proposed"]
        if need.published_at is None or offer.published_at is None:
            raise DemoDataError(f"{name}: proposed on an unpublished need or offer")
        if proposed_at < max(need.published_at, offer.published_at):
            raise DemoDataError(f"{name}: proposed before its need and offer were published")
        match = Match(
            need=need,
            offer=offer,
            project=self.projects[spec["project"]] if spec.get("project") else None,
            status=status,
            score=spec["score"],
            reasons=self.reasons(need, offer, spec, proposed_at.date()),
            message=spec.get("message"),
            person_days=spec["person_days"],
            proposed_side=side,
            proposed_by=proposer,
            proposed_at=proposed_at,
        )
        # The proposing side's acceptance comes with the proposal; a coordinator's does not.
        acceptances: list[tuple[Side, User, datetime]] = []
        if side != Side.COORDINATOR:
            acceptances.append((side, proposer, proposed_at))
        for acceptance in spec.get("accepted", []):
            user = self.user(acceptance["by"])
            accepted_side = self.side_of(user, need, offer)
            when = moments[user.email]
            if accepted_side == Side.COORDINATOR or when <= proposed_at:
                raise DemoDataError(f"{name}: bad acceptance by {user.email}")
            acceptances.append((accepted_side, user, when))
        sides = [a[0] for a in acceptances]
        if len(set(sides)) != len(sides):
            raise DemoDataError(f"{name}: a side accepted twice")
        for accepted_side, user, when in acceptances:
            if accepted_side == Side.REQUESTER:
                match.requester_accepted_by, match.requester_accepted_at = user, when
            else:
                match.expert_accepted_by, match.expert_accepted_at = user, when
        both = len(acceptances) == 2
        if status == MatchStatus.AGREED:
            if not both:
                raise DemoDataError(f"{name}: agreed without both sides' acceptance")
            _, match.decided_by, match.decided_at = max(acceptances, key=lambda a: a[2])
        elif both:
            raise DemoDataError(f"{name}: both sides accepted but the match is {status}")
        elif status in (MatchStatus.DECLINED, MatchStatus.WITHDRAWN):
            decider = self.user(spec["decided_by"])
            deciding_side = self.side_of(decider, need, offer)
            if status == MatchStatus.WITHDRAWN:
                # Withdrawn by the side that proposed it, or by a coordinator.
                allowed = deciding_side in (side, Side.COORDINATOR)
            else:
                # Declined by a side that has not accepted yet.
                allowed = deciding_side != Side.COORDINATOR and deciding_side not in sides
            if not allowed:
                raise DemoDataError(f"{name}: {decider.email} cannot have {status} it")
            match.decided_by, match.decided_at = decider, moments["decided"]
            if match.decided_at <= proposed_at:
                raise DemoDataError(f"{name}: decided before it was proposed")
            if status == MatchStatus.DECLINED:
                match.decline_reason = spec["decline_reason"]
        if match.project is not None and status != MatchStatus.AGREED:
            raise DemoDataError(f"{name}: only agreed matches belong to a project")
        self.created_record(match, "match", proposer, proposed_at)


def _period_fit(need: Need, offer: Offer, on: date) -> str | None:
    """ "full" when the offer's availability covers the wanted period from ``on``, "partial" when
    they overlap, None when they do not (the rule of the matching service)."""
    start = max(need.wanted_from or on, on)
    available_from = max(offer.available_from, on)
    if need.wanted_until is not None and need.wanted_until < start:
        return None
    if offer.available_until < available_from or start > offer.available_until:
        return None
    if need.wanted_until is not None and available_from > need.wanted_until:
        return None
    covers_start = available_from <= start
    covers_end = need.wanted_until is None or offer.available_until >= need.wanted_until
    return "full" if covers_start and covers_end else "partial"
