"""The report to the city councils: what it holds for an agreement and a period, and freezing it.

The figures come from the dashboard's own aggregates (``portal.dashboard.services``: the funnel,
projects by theme and status) for the person producing the report, so the report and the
dashboard never disagree and a record the producer may not see never reaches it. What is the
report's own is counted here: milestones done in the period and overdue at its end, person-days
committed by agreed matches, and every active project with its latest status report.

Freezing renders the documents (``portal.reports.documents``) in every interface language and
keeps their bytes; the request commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from sqlalchemy import and_, func, select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.exceptions import Forbidden

from portal.audit import services as audit
from portal.core.enums import MatchStatus, ProjectStatus, Visibility
from portal.dashboard import services as dashboard
from portal.extensions import db
from portal.matching.models import Match
from portal.needs.models import Need
from portal.projects.models import Milestone, Project, StatusReport
from portal.reports.models import FrozenReport, FrozenReportDocument, may_produce_reports

if TYPE_CHECKING:
    from portal.accounts.models import User
    from portal.agreements.models import Agreement

LANGUAGES = ("sv", "uk", "en")
FORMATS = ("html", "pdf", "xlsx")
# Longer periods are not a report but an archive; the council asks for quarters and years.
PERIOD_MAX_DAYS = 366


class InvalidPeriod(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @classmethod
    def quarter_of(cls, day: date) -> Period:
        first_month = 3 * ((day.month - 1) // 3) + 1
        start = date(day.year, first_month, 1)
        following = date(day.year + (first_month == 10), (first_month + 2) % 12 + 1, 1)
        return cls(start, following - timedelta(days=1))

    @classmethod
    def checked(cls, start: date | None, end: date | None) -> Period:
        if start is None or end is None:
            raise InvalidPeriod(_("Enter the first and the last day of the period."))
        if end < start:
            raise InvalidPeriod(_("The end of the period cannot be before its start."))
        if (end - start).days >= PERIOD_MAX_DAYS:
            raise InvalidPeriod(_("A report covers at most one year."))
        return cls(start, end)

    @property
    def quarter(self) -> int | None:
        """1–4 when the period is exactly a calendar quarter."""
        q = Period.quarter_of(self.start)
        return (self.start.month - 1) // 3 + 1 if q == self else None


@dataclass
class ActiveProject:
    project: Project
    latest_report: StatusReport | None


@dataclass
class CouncilReport:
    agreement: Agreement
    period: Period
    produced_on: date
    funnel: list[dashboard.FunnelStage]
    projects: dashboard.Breakdown
    milestones_due: int
    milestones_done: int
    milestones_overdue: int
    person_days_committed: int
    person_days_in_period: int
    active_projects: list[ActiveProject] = field(default_factory=list)
    has_restricted: bool = False


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def build_report(
    viewer: User, agreement: Agreement, period: Period, today: date | None = None
) -> CouncilReport:
    """The report's contents for ``viewer`` (a coordinator or an admin)."""
    if not may_produce_reports(viewer):
        raise Forbidden()
    today = today or date.today()
    filters = dashboard.Filters(agreement_id=agreement.id)
    themes: list[Any] = list(dashboard.themes())
    scope = dashboard.project_scope(viewer, filters)

    due_in_period = and_(Milestone.due_on >= period.start, Milestone.due_on <= period.end)
    done_in_period = and_(Milestone.done_on >= period.start, Milestone.done_on <= period.end)
    # Overdue at the end of the period (or today, for a period still running).
    cutoff = min(period.end, today)
    overdue = and_(
        Milestone.due_on < cutoff,
        (Milestone.done_on.is_(None)) | (Milestone.done_on > cutoff),
        Project.status.in_(dashboard.RUNNING_PROJECT_STATES),
    )
    due, done, late = db.session.execute(
        select(
            dashboard._flag(due_in_period),
            dashboard._flag(done_in_period),
            dashboard._flag(overdue),
        )
        .select_from(Milestone)
        .join(Project, Project.id == Milestone.project_id)
        .where(*scope)
    ).one()

    end_moment = _day_start(period.end + timedelta(days=1))
    in_period = and_(Match.decided_at >= _day_start(period.start), Match.decided_at < end_moment)
    committed, committed_in_period = db.session.execute(
        select(
            func.coalesce(func.sum(Match.person_days), 0),
            func.coalesce(func.sum(Match.person_days).filter(in_period), 0),
        )
        .join(Need, Need.id == Match.need_id)
        .where(
            Match.status == MatchStatus.AGREED,
            Need.agreement_id == agreement.id,
            Need.visible_to(viewer),
        )
    ).one()

    projects = list(
        db.session.scalars(
            select(Project)
            .where(*scope, Project.status == ProjectStatus.ACTIVE)
            .options(
                joinedload(Project.title),
                joinedload(Project.theme),
                joinedload(Project.requester_lead),
                joinedload(Project.expert_lead),
                selectinload(Project.milestones),
                selectinload(Project.reports).joinedload(StatusReport.body),
            )
            .order_by(Project.ends_on, Project.id)
        ).unique()
    )
    active = [
        ActiveProject(
            project,
            next((r for r in project.reports if r.created_at < end_moment), None),
        )
        for project in projects
    ]
    return CouncilReport(
        agreement=agreement,
        period=period,
        produced_on=today,
        funnel=dashboard.funnel(viewer, filters),
        projects=dashboard.projects_by_theme_and_status(viewer, filters, themes),
        milestones_due=int(due or 0),
        milestones_done=int(done or 0),
        milestones_overdue=int(late or 0),
        person_days_committed=int(committed or 0),
        person_days_in_period=int(committed_in_period or 0),
        active_projects=active,
        has_restricted=any(p.visibility == Visibility.RESTRICTED for p in projects),
    )


# ---------------------------------------------------------------- frozen reports


def frozen_reports(viewer: User | None, agreement: Agreement | None = None) -> list[FrozenReport]:
    if not may_produce_reports(viewer):
        return []
    stmt = select(FrozenReport).options(
        joinedload(FrozenReport.frozen_by), joinedload(FrozenReport.agreement)
    )
    if agreement is not None:
        stmt = stmt.where(FrozenReport.agreement_id == agreement.id)
    return list(
        db.session.scalars(stmt.order_by(FrozenReport.frozen_at.desc(), FrozenReport.id.desc()))
    )


def freeze(
    actor: User, agreement: Agreement, period: Period, today: date | None = None
) -> FrozenReport:
    """Keep the report as it is now: its HTML, PDF and XLSX in every interface language."""
    from portal.reports import documents

    if not may_produce_reports(actor):
        raise Forbidden()
    report = FrozenReport(
        agreement_id=agreement.id,
        period_start=period.start,
        period_end=period.end,
        frozen_by_id=actor.id,
    )
    for lang in LANGUAGES:
        with documents.in_language(lang):
            contents = build_report(actor, agreement, period, today)
            html = documents.render_document(contents)
            report.documents.append(FrozenReportDocument.of(lang, "html", html.encode()))
            report.documents.append(FrozenReportDocument.of(lang, "pdf", documents.pdf(html)))
            report.documents.append(FrozenReportDocument.of(lang, "xlsx", documents.xlsx(contents)))
    db.session.add(report)
    db.session.flush()
    audit.record(
        actor,
        "freeze",
        "report",
        report.id,
        after={
            "agreement": agreement.reference,
            "period_start": period.start.isoformat(),
            "period_end": period.end.isoformat(),
            "documents": {f"{d.lang}.{d.format}": d.sha256 for d in report.documents},
        },
    )
    return report
