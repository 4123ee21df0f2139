"""Imports every model so that Alembic and the app see the whole schema."""

from portal.accounts.models import OneTimeToken, RecoveryCode, SiteSetting, User
from portal.agreements.models import Agreement, Amendment
from portal.audit.models import AuditEvent
from portal.comments.models import Comment
from portal.content.models import Text, TextVersion
from portal.documents.models import Document, DocumentVersion
from portal.mail.models import OutboxMessage
from portal.matching.models import Match
from portal.needs.models import Need
from portal.offers.models import Offer
from portal.projects.models import Milestone, Project, StatusReport
from portal.reference.models import City, District, Organisation, Theme

__all__ = [
    "Agreement",
    "Amendment",
    "AuditEvent",
    "City",
    "Comment",
    "District",
    "Document",
    "DocumentVersion",
    "Match",
    "Milestone",
    "Need",
    "Offer",
    "OneTimeToken",
    "Organisation",
    "OutboxMessage",
    "Project",
    "RecoveryCode",
    "SiteSetting",
    "StatusReport",
    "Text",
    "TextVersion",
    "Theme",
    "User",
]
