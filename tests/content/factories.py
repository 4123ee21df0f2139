"""Needs, offers and projects built directly with the models, so that these tests do not depend
on the other domains' services."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from portal.agreements.models import Agreement
from portal.content.models import Text
from portal.core.enums import (
    HelpKind,
    NeedStatus,
    OfferStatus,
    Priority,
    ProjectStatus,
    ReportStatus,
    Visibility,
)
from portal.core.types import utcnow
from portal.extensions import db
from portal.needs.models import Need
from portal.offers.models import Offer
from portal.projects.models import Milestone, Project, StatusReport
from portal.reference.models import Theme


def agreement() -> Agreement:
    return db.session.scalar(db.select(Agreement).filter_by(is_default=True))


def theme(code: str = "water_sewage") -> Theme:
    return db.session.scalar(db.select(Theme).filter_by(code=code))


def make_need(
    author: Any,
    *,
    title: str = "Leak detection in the water network",
    description: str = "We need advice on acoustic leak detection.",
    lang: str = "uk",
    visibility: Visibility = Visibility.PARTNERS,
    status: NeedStatus = NeedStatus.OPEN,
    theme_code: str = "water_sewage",
    age_days: int = 0,
) -> Need:
    created = utcnow() - timedelta(days=age_days)
    need = Need(
        agreement=agreement(),
        organisation=author.organisation,
        created_by=author,
        theme=theme(theme_code),
        title=Text.new(title, lang, author),
        description=Text.new(description, lang, author),
        priority=Priority.HIGH,
        help_kind=HelpKind.ADVICE,
        visibility=visibility,
        status=status,
        created_at=created,
        published_at=None if status == NeedStatus.DRAFT else created,
    )
    db.session.add(need)
    db.session.commit()
    return need


def make_offer(
    author: Any,
    *,
    title: str = "Acoustic leak detection training",
    description: str = "Two engineers for a week.",
    lang: str = "sv",
    visibility: Visibility = Visibility.PARTNERS,
    status: OfferStatus = OfferStatus.OPEN,
    theme_codes: tuple[str, ...] = ("water_sewage",),
    age_days: int = 0,
) -> Offer:
    created = utcnow() - timedelta(days=age_days)
    offer = Offer(
        agreement=agreement(),
        organisation=author.organisation,
        created_by=author,
        themes=[theme(code) for code in theme_codes],
        title=Text.new(title, lang, author),
        description=Text.new(description, lang, author),
        help_kind=HelpKind.TRAINING,
        capacity_days=10,
        available_from=date.today(),
        available_until=date.today() + timedelta(days=180),
        visibility=visibility,
        status=status,
        created_at=created,
        published_at=None if status == OfferStatus.DRAFT else created,
    )
    db.session.add(offer)
    db.session.commit()
    return offer


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
