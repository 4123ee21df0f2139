"""Imports every model so that Alembic and the app see the whole schema."""

from portal.accounts.models import OneTimeToken, RecoveryCode, SiteSetting, User
from portal.agreements.models import Agreement, Amendment
from portal.api.models import ApiToken
from portal.audit.models import AuditEvent
from portal.comments.models import Comment
from portal.content.models import Text, TextVersion
from portal.documents.models import Document, DocumentVersion
from portal.exports.models import CalendarToken
from portal.mail.models import OutboxMessage
from portal.matching.models import Match
from portal.needs.models import Need
from portal.notifications.models import (
    Delivery,
    Digest,
    Follow,
    Notification,
    NotificationEvent,
    NotificationPreference,
)
from portal.offers.models import Offer
from portal.projects.models import Milestone, Project, StatusReport
from portal.reference.models import City, District, Organisation, Theme
from portal.reports.models import FrozenReport, FrozenReportDocument

__all__ = [
    "Agreement",
    "Amendment",
    "ApiToken",
    "AuditEvent",
    "CalendarToken",
    "City",
    "Comment",
    "Delivery",
    "Digest",
    "District",
    "Document",
    "DocumentVersion",
    "Follow",
    "FrozenReport",
    "FrozenReportDocument",
    "Match",
    "Milestone",
    "Need",
    "Notification",
    "NotificationEvent",
    "NotificationPreference",
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
