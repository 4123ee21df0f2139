"""Needs, offers and projects built directly with the models (tests/factories.py), so that these
tests do not depend on the other domains' services."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from portal.content.models import Text
from portal.core.enums import (
    ProjectStatus,
    ReportStatus,
    Visibility,
)
from portal.core.types import utcnow
from portal.extensions import db
from portal.needs.models import Need
from portal.offers.models import Offer
from portal.projects.models import Milestone, Project, StatusReport
from tests import factories
from tests.factories import agreement, theme


def make_need(author: Any, *, age_days: int = 0, **values: Any) -> Need:
    return factories.make_need(author, created_at=utcnow() - timedelta(days=age_days), **values)


def make_offer(author: Any, *, age_days: int = 0, **values: Any) -> Offer:
    return factories.make_offer(author, created_at=utcnow() - timedelta(days=age_days), **values)


def make_project(
    coordinator: Any,
    requester_org: Any,
    expert_org: Any,
    *,
    title: str = "Leak detection in Darnytskyi",
    lang: str = "en",
    visibility: Visibility = Visibility.RESTRICTED,
    theme_code: str = "water_sewage",
    age_days: int = 0,
) -> Project:
    project = Project(
        agreement=agreement(),
        theme=theme(theme_code),
        requester_lead=requester_org,
        expert_lead=expert_org,
        organisations=[requester_org, expert_org],
        title=Text.new(title, lang, coordinator),
        description=Text.new("A joint project.", lang, coordinator),
        starts_on=date.today(),
        ends_on=date.today() + timedelta(days=90),
        status=ProjectStatus.ACTIVE,
        visibility=visibility,
        created_by=coordinator,
        created_at=utcnow() - timedelta(days=age_days),
    )
    db.session.add(project)
    db.session.commit()
    return project


def add_milestone(project: Project, author: Any, title: str = "Survey done") -> Milestone:
    milestone = Milestone(
        project=project, title=Text.new(title, "en", author), due_on=date.today(), weight=1
    )
    db.session.add(milestone)
    db.session.commit()
    return milestone


def add_report(project: Project, author: Any, body: str = "All on track.") -> StatusReport:
    report = StatusReport(
        project=project,
        author=author,
        organisation=author.organisation,
        status=ReportStatus.ON_TRACK,
        body=Text.new(body, "uk", author),
    )
    db.session.add(report)
    db.session.commit()
    return report


def translate_fully(text: Text, author: Any) -> None:
    for lang in ("uk", "sv", "en"):
        if text.version(lang) is None:
            text.set_version(lang, f"[{lang}] {text.original}", author)
    db.session.commit()
