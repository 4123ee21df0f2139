"""Records built directly with the models, for the dashboard and start-page tests."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from portal.agreements.models import Agreement
from portal.content.models import Text
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
from portal.core.types import utcnow
from portal.extensions import db
from portal.matching.models import Match
from portal.needs.models import Need
from portal.offers.models import Offer
from portal.projects.models import Milestone, Project, StatusReport
from portal.reference.models import District, Organisation, Theme

TODAY = date.today()


def days(n: int) -> date:
    return TODAY + timedelta(days=n)


def ago(n: int) -> datetime:
    return utcnow() - timedelta(days=n)


def text(body: str, lang: str = "en") -> Text:
    return Text.new(body, lang, None)


def agreement() -> Agreement:
    found = db.session.scalar(db.select(Agreement).filter_by(is_default=True))
    assert found is not None
    return found


def theme(code: str) -> Theme:
    found = db.session.scalar(db.select(Theme).filter_by(code=code))
    assert found is not None, code
    return found


def district(name_en: str) -> District:
    found = db.session.scalar(db.select(District).filter_by(name_en=name_en))
    assert found is not None, name_en
    return found


def org_of(user: Any) -> Organisation:
    return user.organisation


def need(
    user: Any,
    theme_code: str,
    title: str,
    *,
    status: NeedStatus = NeedStatus.OPEN,
    visibility: Visibility = Visibility.PARTNERS,
    published_days_ago: int | None = 1,
    district_name: str | None = None,
) -> Need:
    record = Need(
        agreement=agreement(),
        organisation_id=user.organisation_id,
        created_by_id=user.id,
        theme=theme(theme_code),
        district=district(district_name) if district_name else None,
        title=text(title),
        description=text(title + " (description)"),
        priority=Priority.HIGH,
        help_kind=HelpKind.ADVICE,
        visibility=visibility,
        status=status,
        published_at=(
            None
            if status == NeedStatus.DRAFT or published_days_ago is None
            else ago(published_days_ago)
        ),
    )
    db.session.add(record)
    return record


def offer(
    user: Any,
    theme_code: str,
    title: str,
    *,
    status: OfferStatus = OfferStatus.OPEN,
    visibility: Visibility = Visibility.PARTNERS,
) -> Offer:
    record = Offer(
        agreement=agreement(),
        organisation_id=user.organisation_id,
        created_by_id=user.id,
        title=text(title),
        description=text(title + " (description)"),
        help_kind=HelpKind.ADVICE,
        capacity_days=20,
        available_from=days(-30),
        available_until=days(300),
        visibility=visibility,
        status=status,
        published_at=None if status == OfferStatus.DRAFT else ago(1),
    )
    record.themes = [theme(theme_code)]
    db.session.add(record)
    return record


def match(
    need_record: Need,
    offer_record: Offer,
    proposer: Any,
    *,
    status: MatchStatus = MatchStatus.PROPOSED,
    side: Side = Side.EXPERT,
    requester: Any = None,
    expert: Any = None,
    project: Project | None = None,
) -> Match:
    """``requester``/``expert``: the user who accepted for that side, or None."""
    record = Match(
        need=need_record,
        offer=offer_record,
        status=status,
        proposed_side=side,
        proposed_by_id=proposer.id,
        requester_accepted_by_id=requester.id if requester else None,
        requester_accepted_at=ago(1) if requester else None,
        expert_accepted_by_id=expert.id if expert else None,
        expert_accepted_at=ago(1) if expert else None,
        project=project,
    )
    db.session.add(record)
    return record


def project(
    creator: Any,
    requester_org: Organisation,
    expert_org: Organisation,
    theme_code: str,
    title: str,
    *,
    status: ProjectStatus = ProjectStatus.ACTIVE,
    visibility: Visibility = Visibility.PARTNERS,
    ends_in: int = 300,
    latest: ReportStatus | None = None,
    district_name: str | None = None,
) -> Project:
    record = Project(
        agreement=agreement(),
        theme=theme(theme_code),
        district=district(district_name) if district_name else None,
        requester_lead_id=requester_org.id,
        expert_lead_id=expert_org.id,
        title=text(title),
        description=text(title + " (description)"),
        starts_on=days(-100),
        ends_on=days(ends_in),
        status=status,
        visibility=visibility,
        latest_report_status=latest,
        created_by_id=creator.id,
    )
    record.organisations = [requester_org, expert_org]
    db.session.add(record)
    return record


def milestone(
    project_record: Project, title: str, due_in: int, *, done_in: int | None = None
) -> Milestone:
    record = Milestone(
        project=project_record,
        title=text(title),
        due_on=days(due_in),
        done_on=days(done_in) if done_in is not None else None,
        weight=1,
    )
    db.session.add(record)
    return record


def report(
    project_record: Project,
    author: Any,
    days_ago: int,
    status: ReportStatus = ReportStatus.ON_TRACK,
) -> StatusReport:
    record = StatusReport(
        project=project_record,
        author_id=author.id,
        organisation_id=author.organisation_id,
        status=status,
        body=text("Report"),
        created_at=ago(days_ago),
    )
    db.session.add(record)
    return record
