"""A small set of records owned by the standard cast, for walking every route."""

from __future__ import annotations

from datetime import date, timedelta

from portal.agreements.services import default_agreement
from portal.comments.models import Comment
from portal.content.models import Text
from portal.core.enums import (
    HelpKind,
    MatchStatus,
    NeedStatus,
    OfferStatus,
    Priority,
    ProjectStatus,
    Side,
    Visibility,
)
from portal.documents import storage
from portal.documents.models import Document, DocumentVersion
from portal.extensions import db
from portal.matching.models import Match
from portal.needs.models import Need
from portal.offers.models import Offer
from portal.projects.models import Milestone, Project
from portal.reference.models import Theme


def seed_records(users) -> dict[str, int]:
    """A public need of Kyivvodokanal, a public offer of Stockholm Vatten och Avfall, a proposed
    match between them, and a public project with a milestone, a comment of the requester and
    a document."""
    requester, expert = users["requester"], users["expert"]
    agreement = default_agreement()
    theme = db.session.scalar(db.select(Theme).filter_by(code="education"))
    today = date.today()
    need = Need(
        agreement=agreement,
        organisation=requester.organisation,
        created_by=requester,
        theme=theme,
        priority=Priority.HIGH,
        help_kind=HelpKind.TRAINING,
        visibility=Visibility.PUBLIC,
        status=NeedStatus.OPEN,
        title=Text.new("Навчання вчителів", "uk", requester),
        description=Text.new("Опис", "uk", requester),
        person_days=10,
    )
    offer = Offer(
        agreement=agreement,
        organisation=expert.organisation,
        created_by=expert,
        themes=[theme],
        help_kind=HelpKind.TRAINING,
        capacity_days=30,
        available_from=today,
        available_until=today + timedelta(days=100),
        visibility=Visibility.PUBLIC,
        status=OfferStatus.OPEN,
        title=Text.new("Lärarutbildning", "sv", expert),
        description=Text.new("Beskrivning", "sv", expert),
    )
    match = Match(
        need=need,
        offer=offer,
        status=MatchStatus.PROPOSED,
        score=80,
        reasons=[],
        proposed_side=Side.REQUESTER,
        proposed_by=requester,
    )
    project = Project(
        agreement=agreement,
        theme=theme,
        requester_lead=requester.organisation,
        expert_lead=expert.organisation,
        title=Text.new("Проєкт", "uk", requester),
        description=Text.new("Опис", "uk", requester),
        starts_on=today,
        ends_on=today + timedelta(days=60),
        status=ProjectStatus.ACTIVE,
        visibility=Visibility.PUBLIC,
        created_by=users["coordinator"],
        organisations=[requester.organisation, expert.organisation],
    )
    milestone = Milestone(title=Text.new("Етап", "uk", requester), due_on=today, weight=1)
    project.milestones.append(milestone)
    db.session.add_all([need, offer, match, project])
    db.session.flush()
    comment = Comment(
        record_kind="project", record_id=project.id, author=requester, body="Hello", lang="en"
    )
    content = b"%PDF-1.4\n%%EOF\n"
    document = Document(
        record_kind="project", record_id=project.id, title="Plan", lang="en", created_by=requester
    )
    document.versions.append(
        DocumentVersion(
            number=1,
            filename="plan.pdf",
            content_type="application/pdf",
            size=len(content),
            sha256=storage.store_bytes(content),
            uploaded_by=requester,
        )
    )
    db.session.add_all([comment, document])
    db.session.commit()
    return {
        "kind": "project",
        "record_id": project.id,
        "comment_id": comment.id,
        "document_id": document.id,
        "number": 1,
        "need_id": need.id,
        "offer_id": offer.id,
        "match_id": match.id,
        "project_id": project.id,
        "milestone_id": milestone.id,
        "agreement_id": agreement.id,
        "text_id": need.title_id,
        "language": "sv",
        "user_id": users["other_requester"].id,
        "organisation_id": users["other_requester"].organisation_id,
        "token": "not-a-real-token",
        "token_id": 424242,  # an API token that does not exist
        "report_id": 424242,  # a frozen report that does not exist
        "format": "pdf",
        # The exports' and feeds' URL parts (a list, a file format, a feed).
        "name": "needs",
        "fmt": "xlsx",
        "feed": "needs",
        # Notifications: follow the project (the kind and record_id above); someone else's
        # (here: no one's) notification and failed delivery.
        "notification_id": 987654,
        "what": "delivery",
        "row_id": 987654,
    }
