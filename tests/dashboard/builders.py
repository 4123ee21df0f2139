"""Records built directly with the models (tests/factories.py), for the dashboard and start-page
tests; they are added to the session, and the tests commit."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from portal.content.models import Text
from portal.core.enums import (
    HelpKind,
    MatchStatus,
    NeedStatus,
    OfferStatus,
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
from portal.reference.models import Organisation
from tests import factories
from tests.factories import agreement, district, theme

TODAY = date.today()


def days(n: int) -> date:
    return TODAY + timedelta(days=n)


def ago(n: int) -> datetime:
    return utcnow() - timedelta(days=n)


def text(body: str, lang: str = "en") -> Text:
    return Text.new(body, lang, None)


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
    return factories.make_need(
        user,
        title=title,
        description=title + " (description)",
        lang="en",
        text_author=None,
        theme_code=theme_code,
        district_name=district_name,
        visibility=visibility,
        status=status,
        published_at=None if published_days_ago is None else ago(published_days_ago),
        commit=False,
    )


def offer(
    user: Any,
    theme_code: str,
    title: str,
    *,
    status: OfferStatus = OfferStatus.OPEN,
    visibility: Visibility = Visibility.PARTNERS,
) -> Offer:
    return factories.make_offer(
        user,
        title=title,
        description=title + " (description)",
        lang="en",
        text_author=None,
        theme_codes=(theme_code,),
        help_kind=HelpKind.ADVICE,
        capacity_days=20,
        available_from=days(-30),
        available_until=days(300),
        visibility=visibility,
        status=status,
        published_at=ago(1),
        commit=False,
    )


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
    return factories.make_match(
        need_record,
        offer_record,
        proposer,
        status=status,
        side=side,
        requester=requester,
        expert=expert,
        accepted_at=ago(1),
        project=project,
        commit=False,
    )


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
