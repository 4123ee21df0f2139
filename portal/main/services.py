"""What waits for a signed-in user, what a visitor sees first, and accessibility reports.

``waiting_for`` answers the start page: proposals the user's side has to decide, milestones
coming due and status reports to write, each list capped at ``WAITING_LIMIT`` with its total, and
every query filtered by the visibility predicates so nothing the user may not see is listed or
counted; what is due comes from ``portal.projects.timeline``. A constant number of queries.

``report_accessibility_problem`` mails what someone reports from the accessibility statement to
every active administrator, each in their own language.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, func, select

from portal.accounts.models import User
from portal.content.models import ShownText, load_texts
from portal.core.counts import ListCount, count_list
from portal.core.enums import MatchStatus, NeedStatus, OfferStatus, ProjectStatus, Role, Side
from portal.core.http import record_url
from portal.core.types import utcnow
from portal.core.visibility import PUBLIC_SCOPE
from portal.extensions import db
from portal.mail import services as mail
from portal.matching.models import Match
from portal.needs.models import Need
from portal.offers.models import Offer
from portal.projects import timeline
from portal.projects.models import Project

WAITING_LIMIT = 10


# ---------------------------------------------------------------- what waits


@dataclass
class Proposal:
    match_id: int
    need_id: int
    offer_id: int
    need_title_id: int
    offer_title_id: int
    waiting_sides: list[Side]
    proposed_at: datetime
    need_title: ShownText | None = None
    offer_title: ShownText | None = None

    @property
    def url(self) -> str | None:
        return record_url("matching.detail", self.match_id) or record_url(
            "needs.detail", self.need_id, "matching.index"
        )


@dataclass
class MilestoneDue:
    milestone_id: int
    title_id: int
    due_on: date
    project_id: int
    project_title_id: int
    is_overdue: bool
    title: ShownText | None = None
    project_title: ShownText | None = None

    @property
    def url(self) -> str | None:
        return record_url("projects.detail", self.project_id, "projects.index")


@dataclass
class ReportDue:
    project_id: int
    title_id: int
    last_report_at: datetime | None
    title: ShownText | None = None

    @property
    def url(self) -> str | None:
        return record_url("projects.detail", self.project_id, "projects.index")


@dataclass
class Waiting:
    proposals: list[Proposal] = field(default_factory=list)
    milestones_due: list[MilestoneDue] = field(default_factory=list)
    reports_due: list[ReportDue] = field(default_factory=list)
    proposals_total: int = 0
    milestones_total: int = 0
    reports_total: int = 0
    today: date = field(default_factory=date.today)

    @property
    def is_empty(self) -> bool:
        return not (self.proposals_total or self.milestones_total or self.reports_total)


def proposals_to_decide(user: Any, limit: int = WAITING_LIMIT) -> tuple[list[Proposal], int]:
    """Proposed matches waiting for the user's side: a requester's organisation's needs whose
    requesting side has not accepted, an expert's organisation's offers whose expert side has
    not accepted; for coordinators, the matches they brokered that wait for either side."""
    if user.is_requester:
        mine = and_(
            Need.organisation_id == user.organisation_id,
            Match.requester_accepted_at.is_(None),
        )
    elif user.is_expert:
        mine = and_(
            Offer.organisation_id == user.organisation_id,
            Match.expert_accepted_at.is_(None),
        )
    elif user.is_coordinator:
        mine = Match.proposed_side == Side.COORDINATOR
    else:
        return [], 0
    rows = db.session.execute(
        select(
            Match.id,
            Match.need_id,
            Match.offer_id,
            Need.title_id.label("need_title_id"),
            Offer.title_id.label("offer_title_id"),
            Match.requester_accepted_at,
            Match.expert_accepted_at,
            Match.proposed_at,
            func.count(Match.id).over().label("total"),
        )
        .join(Need, Need.id == Match.need_id)
        .join(Offer, Offer.id == Match.offer_id)
        .where(
            Match.status == MatchStatus.PROPOSED,
            Need.status.not_in((NeedStatus.CLOSED, NeedStatus.WITHDRAWN)),
            Offer.status != OfferStatus.WITHDRAWN,
            Need.visible_to(user),
            Offer.visible_to(user),
            mine,
        )
        .order_by(Match.proposed_at, Match.id)
        .limit(limit)
    ).all()
    items = [
        Proposal(
            match_id=row.id,
            need_id=row.need_id,
            offer_id=row.offer_id,
            need_title_id=row.need_title_id,
            offer_title_id=row.offer_title_id,
            waiting_sides=[
                side
                for side, accepted in (
                    (Side.REQUESTER, row.requester_accepted_at),
                    (Side.EXPERT, row.expert_accepted_at),
                )
                if accepted is None
            ],
            proposed_at=row.proposed_at,
        )
        for row in rows
    ]
    return items, int(rows[0].total) if rows else 0


def milestones_due_for(
    user: Any, today: date, limit: int = WAITING_LIMIT
) -> tuple[list[MilestoneDue], int]:
    """The milestones coming due or overdue for the user (``projects.timeline``), soonest
    first, with their total."""
    rows, total = timeline.milestones_due(user, today, limit)
    items = [
        MilestoneDue(
            milestone_id=row.id,
            title_id=row.title_id,
            due_on=row.due_on,
            project_id=row.project_id,
            project_title_id=row.project_title_id,
            is_overdue=row.due_on < today,
        )
        for row in rows
    ]
    return items, total


def reports_due_for(
    user: Any, now: datetime, limit: int = WAITING_LIMIT
) -> tuple[list[ReportDue], int]:
    """The projects the user's organisation owes a status report (``projects.timeline``),
    the one ending first first, with their total."""
    rows, total = timeline.reports_due(user, now, limit)
    items = [
        ReportDue(project_id=row.id, title_id=row.title_id, last_report_at=row.last_report_at)
        for row in rows
    ]
    return items, total


def waiting_for(user: Any, today: date | None = None, now: datetime | None = None) -> Waiting:
    today = today or date.today()
    now = now or utcnow()
    proposals, proposals_total = proposals_to_decide(user)
    milestones, milestones_total = milestones_due_for(user, today)
    reports, reports_total = reports_due_for(user, now)
    texts = load_texts(
        [p.need_title_id for p in proposals]
        + [p.offer_title_id for p in proposals]
        + [m.title_id for m in milestones]
        + [m.project_title_id for m in milestones]
        + [r.title_id for r in reports]
    )
    for p in proposals:
        p.need_title, p.offer_title = texts.get(p.need_title_id), texts.get(p.offer_title_id)
    for m in milestones:
        m.title, m.project_title = texts.get(m.title_id), texts.get(m.project_title_id)
    for r in reports:
        r.title = texts.get(r.title_id)
    return Waiting(
        proposals=proposals,
        milestones_due=milestones,
        reports_due=reports,
        proposals_total=proposals_total,
        milestones_total=milestones_total,
        reports_total=reports_total,
        today=today,
    )


# ---------------------------------------------------------------- the welcome page


@dataclass
class PublicOverview:
    open_needs: ListCount
    offers: ListCount
    projects: ListCount


def public_overview() -> PublicOverview:
    """How many public open needs, open offers and projects a visitor can see, counted as the
    lists count (``portal.core.counts``): exactly up to a thousand, past it about, kept a minute
    for the public scope, so the welcome page does not count a hundred thousand needs."""
    return PublicOverview(
        open_needs=_public_count(Need, lambda: Need.status == NeedStatus.OPEN, "needs"),
        offers=_public_count(Offer, lambda: Offer.status == OfferStatus.OPEN, "offers"),
        projects=_public_count(
            Project, lambda: Project.status != ProjectStatus.CANCELLED, "projects"
        ),
    )


def _public_count(model: Any, shown: Callable[[], Any], name: str) -> ListCount:
    """The records of ``model`` a visitor sees that are ``shown()``, kept as
    ``welcome-<name>``. The statement is built only when the count is not kept."""
    return count_list(
        lambda: select(model.id).where(model.visible_to(None), shown()),
        model.id,
        f"welcome-{name}",
        PUBLIC_SCOPE.key,
        "welcome",
    )


# ---------------------------------------------------------------- accessibility reports


@dataclass
class AccessibilityReport:
    description: str
    page: str = ""
    name: str = ""
    email: str = ""


def report_accessibility_problem(reporter: Any, report: AccessibilityReport) -> int:
    """Mail the report to every active administrator (kept in the outbox when no mail server
    is configured); returns how many were told. ``reporter`` is the signed-in user,
    or None."""
    admins = [
        user
        for user in db.session.scalars(
            select(User).where(User.role == Role.ADMIN).order_by(User.id)
        )
        if user.is_active
    ]
    for admin in admins:
        with force_locale(admin.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
            mail.send(
                admin.email,
                _("Accessibility problem reported on the Stockholm–Kyiv cooperation portal"),
                render_template(
                    "main/email/accessibility_report.txt",
                    report=report,
                    reporter=reporter,
                    admin=admin,
                ),
            )
    db.session.flush()
    return len(admins)
