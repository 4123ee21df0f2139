"""Enums of the domain, each with a translated label for the interface."""

from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from wtforms.fields import SelectChoice


class LabelledEnum(StrEnum):
    @property
    def label(self) -> str:
        return str(_LABELS[type(self)][self])

    @classmethod
    def choices(cls) -> list[SelectChoice]:
        return [SelectChoice(m.value, m.label) for m in cls]


class Role(LabelledEnum):
    REQUESTER = "requester"
    EXPERT = "expert"
    COORDINATOR = "coordinator"
    ADMIN = "admin"


class OrganisationKind(LabelledEnum):
    CITY_ADMINISTRATION = "city_administration"
    CITY_OWNED_COMPANY = "city_owned_company"
    PRIVATE_COMPANY = "private_company"
    NGO = "ngo"
    UNIVERSITY = "university"


class Visibility(LabelledEnum):
    PUBLIC = "public"
    PARTNERS = "partners"
    RESTRICTED = "restricted"


class Priority(LabelledEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        return list(Priority).index(self)


class HelpKind(LabelledEnum):
    ADVICE = "advice"
    TRAINING = "training"
    STUDY_VISIT = "study_visit"
    SECONDMENT = "secondment"
    JOINT_PLANNING = "joint_planning"
    EQUIPMENT_SPECIFICATION = "equipment_specification"


class NeedStatus(LabelledEnum):
    DRAFT = "draft"
    OPEN = "open"
    MATCHED = "matched"
    IN_PROJECT = "in_project"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


class OfferStatus(LabelledEnum):
    DRAFT = "draft"
    OPEN = "open"
    COMMITTED = "committed"
    WITHDRAWN = "withdrawn"


class MatchStatus(LabelledEnum):
    PROPOSED = "proposed"
    AGREED = "agreed"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class Side(LabelledEnum):
    """Which side of the agreement acts: the city asking for help or the city offering it."""

    REQUESTER = "requester"
    EXPERT = "expert"
    COORDINATOR = "coordinator"


class ProjectStatus(LabelledEnum):
    PLANNED = "planned"
    ACTIVE = "active"
    ON_HOLD = "on_hold"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class ReportStatus(LabelledEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"


class AmendmentKind(LabelledEnum):
    EXTENSION = "extension"
    THEMES = "themes"
    OTHER = "other"


_LABELS: dict[type, dict] = {
    Role: {
        Role.REQUESTER: _l("Requester"),
        Role.EXPERT: _l("Expert"),
        Role.COORDINATOR: _l("Coordinator"),
        Role.ADMIN: _l("Administrator"),
    },
    OrganisationKind: {
        OrganisationKind.CITY_ADMINISTRATION: _l("City administration"),
        OrganisationKind.CITY_OWNED_COMPANY: _l("City-owned company"),
        OrganisationKind.PRIVATE_COMPANY: _l("Private company"),
        OrganisationKind.NGO: _l("Non-governmental organisation"),
        OrganisationKind.UNIVERSITY: _l("University"),
    },
    Visibility: {
        Visibility.PUBLIC: lazy_pgettext("visibility", "Public"),
        Visibility.PARTNERS: lazy_pgettext("visibility", "Partners"),
        Visibility.RESTRICTED: lazy_pgettext("visibility", "Restricted"),
    },
    Priority: {
        Priority.CRITICAL: lazy_pgettext("priority", "Critical"),
        Priority.HIGH: lazy_pgettext("priority", "High"),
        Priority.MEDIUM: lazy_pgettext("priority", "Medium"),
        Priority.LOW: lazy_pgettext("priority", "Low"),
    },
    HelpKind: {
        HelpKind.ADVICE: _l("Advice"),
        HelpKind.TRAINING: _l("Training"),
        HelpKind.STUDY_VISIT: _l("Study visit"),
        HelpKind.SECONDMENT: _l("Secondment"),
        HelpKind.JOINT_PLANNING: _l("Joint planning"),
        HelpKind.EQUIPMENT_SPECIFICATION: _l("Equipment specification"),
    },
    NeedStatus: {
        NeedStatus.DRAFT: lazy_pgettext("need status", "Draft"),
        NeedStatus.OPEN: lazy_pgettext("need status", "Open"),
        NeedStatus.MATCHED: lazy_pgettext("need status", "Matched"),
        NeedStatus.IN_PROJECT: lazy_pgettext("need status", "In project"),
        NeedStatus.CLOSED: lazy_pgettext("need status", "Closed"),
        NeedStatus.WITHDRAWN: lazy_pgettext("need status", "Withdrawn"),
    },
    OfferStatus: {
        OfferStatus.DRAFT: lazy_pgettext("offer status", "Draft"),
        OfferStatus.OPEN: lazy_pgettext("offer status", "Open"),
        OfferStatus.COMMITTED: lazy_pgettext("offer status", "Fully committed"),
        OfferStatus.WITHDRAWN: lazy_pgettext("offer status", "Withdrawn"),
    },
    MatchStatus: {
        MatchStatus.PROPOSED: lazy_pgettext("match status", "Proposed"),
        MatchStatus.AGREED: lazy_pgettext("match status", "Agreed"),
        MatchStatus.DECLINED: lazy_pgettext("match status", "Declined"),
        MatchStatus.WITHDRAWN: lazy_pgettext("match status", "Withdrawn"),
    },
    Side: {
        Side.REQUESTER: _l("Requesting side"),
        Side.EXPERT: _l("Expert side"),
        Side.COORDINATOR: _l("Coordinator"),
    },
    ProjectStatus: {
        ProjectStatus.PLANNED: lazy_pgettext("project status", "Planned"),
        ProjectStatus.ACTIVE: lazy_pgettext("project status", "Active"),
        ProjectStatus.ON_HOLD: lazy_pgettext("project status", "On hold"),
        ProjectStatus.COMPLETED: lazy_pgettext("project status", "Completed"),
        ProjectStatus.CANCELLED: lazy_pgettext("project status", "Cancelled"),
    },
    ReportStatus: {
        ReportStatus.ON_TRACK: _l("On track"),
        ReportStatus.AT_RISK: _l("At risk"),
        ReportStatus.OFF_TRACK: _l("Off track"),
    },
    AmendmentKind: {
        AmendmentKind.EXTENSION: _l("Extension"),
        AmendmentKind.THEMES: _l("Change of themes"),
        AmendmentKind.OTHER: _l("Other change"),
    },
}
