"""Agreed matches and projects built directly with the models (tests/factories.py), so that
these tests do not depend on the needs, offers and matching services."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from portal.agreements.models import Agreement
from portal.agreements.services import default_agreement
from portal.content.models import Text
from portal.core.enums import (
    HelpKind,
    MatchStatus,
    NeedStatus,
    OfferStatus,
    ProjectStatus,
    Side,
    Visibility,
)
from portal.core.types import utcnow
from portal.extensions import db
from portal.matching.models import Match
from portal.projects import services
from portal.projects.models import Milestone, Project
from portal.reference.models import Organisation
from tests.factories import district, make_match, make_need, make_offer, theme

START = date(2024, 3, 1)
END = date(2025, 6, 30)


def organisation(name_en: str) -> Organisation:
    found = db.session.scalar(db.select(Organisation).filter_by(name_en=name_en))
    assert found is not None, name_en
    return found


def agreed_match(
    users: dict[str, Any],
    *,
    requester: str = "requester",
    expert: str = "expert",
    visibility: Visibility = Visibility.PUBLIC,
    offer_visibility: Visibility = Visibility.PUBLIC,
    theme_code: str = "water_sewage",
    district_name: str | None = "Obolonskyi",
    need_title: str = "Leak detection in the water network",
    offer_title: str = "Leak detection expertise",
    status: MatchStatus = MatchStatus.AGREED,
    need_status: NeedStatus = NeedStatus.MATCHED,
    agreement: Agreement | None = None,
) -> Match:
    """A need of ``requester``'s organisation and an offer of ``expert``'s, agreed by both."""
    asker, helper = users[requester], users[expert]
    agreement = agreement or default_agreement()
    now = utcnow()
    need = make_need(
        asker,
        title=need_title,
        description="A description of the need.",
        theme_code=theme_code,
        district_name=district_name,
        visibility=visibility,
        status=need_status,
        in_agreement=agreement,
        commit=False,
    )
    offer = make_offer(
        helper,
        title=offer_title,
        description="A description of the offer.",
        theme_codes=(theme_code,),
        help_kind=HelpKind.ADVICE,
        capacity_days=40,
        committed_days=20,
        available_from=date(2024, 1, 1),
        available_until=date(2026, 12, 31),
        visibility=offer_visibility,
        status=OfferStatus.OPEN,
        in_agreement=agreement,
        commit=False,
    )
    agreed = status == MatchStatus.AGREED
    return make_match(
        need,
        offer,
        asker,
        status=status,
        side=Side.REQUESTER,
        requester=asker,
        expert=helper if agreed else None,
        accepted_at=now,
        proposed_at=now,
        person_days=20,
        decided_by=helper if agreed else None,
        decided_at=now if agreed else None,
    )


def start(users: dict[str, Any], matches: list[Match] | None = None, **changes: Any) -> Project:
    """A project started through the service by the coordinator."""
    matches = matches if matches is not None else [agreed_match(users)]
    values: dict[str, Any] = {
        "title": "Leak detection pilot in Obolonskyi",
        "description": "Acoustic leak detection on two pressure zones.",
        "lang": "en",
        "starts_on": START,
        "ends_on": END,
    }
    values.update(changes)
    return services.start_project(users["coordinator"], matches, **values)


def milestone(
    project: Project, title: str = "Survey", *, weight: int = 1, due_on: date | None = None
) -> Milestone:
    m = Milestone(
        project=project,
        title=Text.new(title, "en", None),
        due_on=due_on or project.starts_on + timedelta(days=30),
        weight=weight,
    )
    db.session.add(m)
    db.session.commit()
    return m


def bare_project(
    users: dict[str, Any],
    n: int,
    *,
    visibility: Visibility = Visibility.PUBLIC,
    status: ProjectStatus = ProjectStatus.ACTIVE,
) -> Project:
    """A project with two milestones, built without the service (for bulk lists)."""
    asker, helper = users["requester"].organisation, users["expert"].organisation
    project = Project(
        agreement=default_agreement(),
        theme=theme(),
        district=district(),
        requester_lead=asker,
        expert_lead=helper,
        title=Text.new(f"Project {n}", "en", None),
        description=Text.new(f"Description {n}", "en", None),
        starts_on=START,
        ends_on=END,
        status=status,
        visibility=visibility,
        created_by=users["coordinator"],
        organisations=[asker, helper],
    )
    for i in range(2):
        project.milestones.append(
            Milestone(title=Text.new(f"Milestone {n}.{i}", "en", None), due_on=START, weight=i + 1)
        )
    db.session.add(project)
    return project
