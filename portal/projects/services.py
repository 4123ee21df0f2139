"""Cooperation projects' writes and their rules: starting one from agreed matches, changing
the plan, planning and ticking milestones, reporting, moving the status; and the permission
predicates the templates share.

Every write takes the acting user, checks the permission predicate the templates also use,
refuses when the agreement has expired (``AgreementExpired``, answered 409) or a rule is broken
(``ProjectRuleError``, ``NotAllowed``) before it changes anything, records an audit event and
flushes: the request commits, or rolls back on any error. Lists and options live in
``portal.projects.queries``; the timeline and what is due in ``portal.projects.timeline``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.exceptions import Forbidden

from portal.accounts.models import User
from portal.agreements.models import Agreement
from portal.audit import services as audit
from portal.content.models import CONTENT_LANGUAGES, Text
from portal.core.conflicts import check_version
from portal.core.enums import MatchStatus, NeedStatus, ProjectStatus, ReportStatus, Visibility
from portal.core.i18n import format_date
from portal.core.text import clean_text
from portal.core.transitions import IllegalTransition
from portal.core.types import utcnow
from portal.core.visibility import is_signed_in
from portal.extensions import db
from portal.matching.models import Match
from portal.needs.models import Need
from portal.notifications.events import notify
from portal.projects.models import Milestone, Project, StatusReport
from portal.reference.models import Organisation

# From most open to most closed: a project is as closed as the most closed of its needs.
VISIBILITY_ORDER = (Visibility.PUBLIC, Visibility.PARTNERS, Visibility.RESTRICTED)
CLOSED_STATUSES = (ProjectStatus.COMPLETED, ProjectStatus.CANCELLED)
MAX_WEIGHT = 100
TITLE_MAX = 200
BODY_MAX = 20_000


class NotAllowed(Forbidden):
    """The acting user may not do this (answered 403)."""


class ProjectRuleError(ValueError):
    """A rule of the project was broken. ``field`` names the form field the message belongs
    beside; the message is translated and says what would be accepted."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field

    @property
    def message(self) -> str:
        return str(self.args[0])


# ---------------------------------------------------------------- predicates shared with templates


def is_writable(project: Project, today: date | None = None) -> bool:
    """Neither the agreement has expired nor the project been closed."""
    return not project.agreement.has_expired(today) and project.status not in CLOSED_STATUSES


def may_manage(user: User | None, project: Project) -> bool:
    """The plan (status, dates, milestones) may be changed by ``user`` now."""
    return project.can_manage(user) and is_writable(project)


def may_report(user: User | None, project: Project) -> bool:
    """``user`` may now tick milestones and write status reports."""
    return project.can_report(user) and is_writable(project)


def may_change_status(user: User | None, project: Project) -> bool:
    return (
        project.can_manage(user)
        and not project.agreement.has_expired()
        and bool(allowed_targets(project))
    )


def allowed_targets(project: Project) -> list[ProjectStatus]:
    return [s for s in ProjectStatus if project.can_transition(s)]


def validity_hint(agreement: Agreement) -> str:
    """What the project form says under the date fields before anything is saved."""
    return _(
        "Must lie between %(start)s and %(end)s, the validity of %(reference)s.",
        start=format_date(agreement.valid_from),
        end=format_date(agreement.valid_until),
        reference=agreement.reference,
    )


# ---------------------------------------------------------------- checks


def _require(allowed: bool) -> None:
    if not allowed:
        raise NotAllowed()


def _ensure_open(project: Project) -> None:
    if project.status in CLOSED_STATUSES:
        raise IllegalTransition(
            _(
                "This project is %(status)s and can no longer be changed.",
                status=project.status.label.lower(),
            )
        )


def check_period(agreement: Agreement, starts_on: date | None, ends_on: date | None) -> None:
    """Start and end inside the agreement's validity, start not after end."""
    if starts_on is None:
        raise ProjectRuleError(_("Enter the start date."), "starts_on")
    if ends_on is None:
        raise ProjectRuleError(_("Enter the end date."), "ends_on")
    allowed = {
        "start": format_date(agreement.valid_from),
        "end": format_date(agreement.valid_until),
        "reference": agreement.reference,
    }
    if not agreement.is_valid_on(starts_on):
        raise ProjectRuleError(
            _(
                "The start must lie between %(start)s and %(end)s, the validity of %(reference)s.",
                **allowed,
            ),
            "starts_on",
        )
    if not agreement.is_valid_on(ends_on):
        raise ProjectRuleError(
            _(
                "The end must lie between %(start)s and %(end)s, the validity of %(reference)s.",
                **allowed,
            ),
            "ends_on",
        )
    if starts_on > ends_on:
        raise ProjectRuleError(_("The end cannot be before the start."), "ends_on")
    assert agreement.period_fits(starts_on, ends_on)


def _check_text(value: str | None, field: str, max_length: int = TITLE_MAX) -> str:
    value = clean_text(value)
    if not value:
        raise ProjectRuleError(_("This field is required."), field)
    if len(value) > max_length:
        raise ProjectRuleError(
            ngettext(
                "Use at most %(num)d character.", "Use at most %(num)d characters.", max_length
            ),
            field,
        )
    return value


def _check_lang(lang: str, field: str = "lang") -> str:
    if lang not in CONTENT_LANGUAGES:
        raise ProjectRuleError(_("Choose Ukrainian, Swedish or English."), field)
    return lang


def _most_restrictive(visibilities: Iterable[Visibility]) -> Visibility:
    return max(visibilities, key=VISIBILITY_ORDER.index, default=Visibility.RESTRICTED)


def _check_visibility(chosen: Visibility | None, needs: Sequence[Need]) -> Visibility:
    floor = _most_restrictive(n.visibility for n in needs)
    if chosen is None:
        return floor
    if VISIBILITY_ORDER.index(chosen) < VISIBILITY_ORDER.index(floor):
        # A project must not publish what its needs keep closed (critical infrastructure).
        raise ProjectRuleError(
            _(
                "A need of this project is %(visibility)s, so the project cannot be more open.",
                visibility=floor.label.lower(),
            ),
            "visibility",
        )
    return chosen


def _check_leads(agreement: Agreement, requester_lead: Organisation, expert_lead: Organisation):
    if requester_lead.city_id != agreement.requester_city_id:
        raise ProjectRuleError(
            _(
                "The lead on the requesting side must be an organisation in %(city)s.",
                city=agreement.requester_city.name,
            ),
            "requester_lead",
        )
    if expert_lead.city_id != agreement.expert_city_id:
        raise ProjectRuleError(
            _(
                "The lead on the expert side must be an organisation in %(city)s.",
                city=agreement.expert_city.name,
            ),
            "expert_lead",
        )


def _unique(items: Iterable[Any]) -> list[Any]:
    seen: set[int] = set()
    result = []
    for item in items:
        if item.id not in seen:
            seen.add(item.id)
            result.append(item)
    return result


def _project_needs(project: Project) -> list[Need]:
    return _unique(m.need for m in project.matches)


def _set_text(text: Text, lang: str, body: str, actor: User) -> None:
    current = text.version(lang)
    if current is None or current.body != body:
        text.set_version(lang, body, actor)


def _snapshot(project: Project) -> dict[str, Any]:
    data = audit.snapshot(project)
    data["organisation_ids"] = sorted(o.id for o in project.organisations)
    return data


# ---------------------------------------------------------------- writes


def start_project(
    actor: User,
    matches: Sequence[Match],
    *,
    title: str,
    description: str,
    lang: str,
    starts_on: date,
    ends_on: date,
    visibility: Visibility | None = None,
    requester_lead: Organisation | None = None,
    expert_lead: Organisation | None = None,
) -> Project:
    """Start a planned project from one or more agreed matches that are not yet in a project."""
    _require(is_signed_in(actor) and actor.is_coordinator)
    matches = _unique(matches)
    if not matches:
        raise ProjectRuleError(_("Choose at least one agreed match."), "matches")
    for match in matches:
        if match.status != MatchStatus.AGREED:
            raise ProjectRuleError(
                _("Only agreed matches can become a project; one you chose is not agreed."),
                "matches",
            )
        if match.project_id is not None:
            raise ProjectRuleError(
                _("One of the matches you chose is already part of a project."), "matches"
            )
    first = matches[0]
    agreement = first.need.agreement
    if any(
        m.need.agreement_id != agreement.id or m.offer.agreement_id != agreement.id for m in matches
    ):
        raise ProjectRuleError(
            _("All the matches of a project must belong to the same agreement."), "matches"
        )
    agreement.ensure_writable()
    title = _check_text(title, "title")
    description = _check_text(description, "description", BODY_MAX)
    lang = _check_lang(lang)
    check_period(agreement, starts_on, ends_on)
    needs = _unique(m.need for m in matches)
    for need in needs:
        if need.status not in (NeedStatus.OPEN, NeedStatus.MATCHED, NeedStatus.IN_PROJECT):
            raise ProjectRuleError(
                _(
                    "A need you chose is %(status)s and can no longer become part of a project.",
                    status=need.status.label.lower(),
                ),
                "matches",
            )
    visibility = _check_visibility(visibility, needs)
    requester_lead = requester_lead or first.need.organisation
    expert_lead = expert_lead or first.offer.organisation
    _check_leads(agreement, requester_lead, expert_lead)

    project = Project(
        agreement=agreement,
        theme_id=first.need.theme_id,
        district_id=first.need.district_id,
        requester_lead=requester_lead,
        expert_lead=expert_lead,
        title=Text.new(title, lang, actor),
        description=Text.new(description, lang, actor),
        starts_on=starts_on,
        ends_on=ends_on,
        status=ProjectStatus.PLANNED,
        visibility=visibility,
        created_by=actor,
    )
    project.organisations = _unique(
        [requester_lead, expert_lead]
        + [org for m in matches for org in (m.need.organisation, m.offer.organisation)]
    )
    db.session.add(project)
    for match in matches:
        match.project = project
    for need in needs:
        before = audit.snapshot(need)
        if need.status == NeedStatus.OPEN:
            need.transition(NeedStatus.MATCHED)
        if need.status == NeedStatus.MATCHED:
            need.transition(NeedStatus.IN_PROJECT)
        audit.record(actor, "in_project", "need", need.id, before, audit.snapshot(need))
    db.session.flush()
    after = _snapshot(project)
    after["match_ids"] = [m.id for m in matches]
    audit.record(actor, "create", "project", project.id, after=after)
    db.session.flush()
    notify("project_started", project, actor)
    return project


def update_project(
    actor: User,
    project: Project,
    *,
    expected_version: int | None,
    title: str,
    description: str,
    lang: str,
    starts_on: date,
    ends_on: date,
    visibility: Visibility,
    requester_lead: Organisation,
    expert_lead: Organisation,
) -> Project:
    """Change the plan. ``lang`` is the language ``title`` and ``description`` are written in;
    that language version is replaced or added, the others are kept."""
    _require(project.can_manage(actor))
    project.agreement.ensure_writable()
    _ensure_open(project)
    check_version(project, expected_version)
    title = _check_text(title, "title")
    description = _check_text(description, "description", BODY_MAX)
    lang = _check_lang(lang)
    check_period(project.agreement, starts_on, ends_on)
    visibility = _check_visibility(visibility, _project_needs(project))
    _check_leads(project.agreement, requester_lead, expert_lead)
    before = _snapshot(project)
    before.update(title=project.title.original, description=project.description.original)
    _set_text(project.title, lang, title, actor)
    _set_text(project.description, lang, description, actor)
    # Touching the row bumps the version even when only the texts changed, so that a second
    # editor of the same title gets a conflict rather than silently overwriting.
    project.updated_at = utcnow()
    project.starts_on, project.ends_on = starts_on, ends_on
    project.visibility = visibility
    project.requester_lead, project.expert_lead = requester_lead, expert_lead
    for lead in (requester_lead, expert_lead):
        if all(o.id != lead.id for o in project.organisations):
            project.organisations.append(lead)
    db.session.flush()
    after = _snapshot(project)
    after.update(title=project.title.original, description=project.description.original)
    audit.record(actor, "update", "project", project.id, before, after)
    db.session.flush()
    return project


def change_status(actor: User, project: Project, target: ProjectStatus) -> Project:
    """Move the project along planned → active → completed | on hold | cancelled. Completing
    it closes the needs it came from."""
    _require(project.can_manage(actor))
    project.agreement.ensure_writable()
    before = audit.snapshot(project)
    project.transition(target)
    if target == ProjectStatus.COMPLETED:
        for need in _project_needs(project):
            still_running = any(
                m.project is not None
                and m.project.id != project.id
                and m.project.status not in CLOSED_STATUSES
                for m in need.matches
            )
            if need.status == NeedStatus.IN_PROJECT and not still_running:
                need_before = audit.snapshot(need)
                need.transition(NeedStatus.CLOSED)
                audit.record(actor, "close", "need", need.id, need_before, audit.snapshot(need))
    db.session.flush()
    audit.record(actor, "status", "project", project.id, before, audit.snapshot(project))
    db.session.flush()
    return project


def add_milestone(
    actor: User, project: Project, *, title: str, lang: str, due_on: date, weight: int = 1
) -> Milestone:
    """Coordinators plan milestones; the due date lies inside the project's period."""
    _require(project.can_manage(actor))
    project.agreement.ensure_writable()
    _ensure_open(project)
    title = _check_text(title, "title")
    lang = _check_lang(lang)
    if due_on is None:
        raise ProjectRuleError(_("Enter the due date."), "due_on")
    if not project.starts_on <= due_on <= project.ends_on:
        raise ProjectRuleError(
            _(
                "The due date must lie between %(start)s and %(end)s, the period of the project.",
                start=format_date(project.starts_on),
                end=format_date(project.ends_on),
            ),
            "due_on",
        )
    if weight is None or not 1 <= int(weight) <= MAX_WEIGHT:
        raise ProjectRuleError(
            _("The weight must be a whole number from 1 to %(max)d.", max=MAX_WEIGHT), "weight"
        )
    milestone = Milestone(
        project=project, title=Text.new(title, lang, actor), due_on=due_on, weight=int(weight)
    )
    db.session.add(milestone)
    db.session.flush()
    audit.record(actor, "create", "milestone", milestone.id, after=audit.snapshot(milestone))
    db.session.flush()
    return milestone


def set_milestone_done(actor: User, milestone: Milestone, done: bool) -> Milestone:
    """Tick or untick a milestone. Setting the state it already has changes nothing, so a
    double click or two people ticking at once do no harm."""
    project = milestone.project
    _require(project.can_report(actor))
    project.agreement.ensure_writable()
    _ensure_open(project)
    if milestone.is_done == done:
        return milestone
    before = audit.snapshot(milestone)
    if done:
        milestone.done_on = date.today()
        milestone.done_by = actor
    else:
        milestone.done_on = None
        milestone.done_by = None
    db.session.flush()
    action = "done" if done else "undone"
    audit.record(actor, action, "milestone", milestone.id, before, audit.snapshot(milestone))
    db.session.flush()
    return milestone


def add_report(
    actor: User, project: Project, *, status: ReportStatus, body: str, lang: str
) -> StatusReport:
    """A status report from the actor's organisation; the project keeps the latest status."""
    _require(project.can_report(actor))
    project.agreement.ensure_writable()
    _ensure_open(project)
    if not isinstance(status, ReportStatus):
        raise ProjectRuleError(_("Choose on track, at risk or off track."), "status")
    body = _check_text(body, "body", BODY_MAX)
    lang = _check_lang(lang)
    report = StatusReport(
        project=project,
        author=actor,
        organisation_id=actor.organisation_id,
        status=status,
        body=Text.new(body, lang, actor),
        created_at=utcnow(),
    )
    db.session.add(report)
    previous = project.latest_report_status
    before = {"latest_report_status": previous.value if previous else None}
    project.latest_report_status = status
    db.session.flush()
    audit.record(
        actor,
        "create",
        "status_report",
        report.id,
        after={**audit.snapshot(report), "body": body},
    )
    audit.record(
        actor, "report", "project", project.id, before, {"latest_report_status": status.value}
    )
    db.session.flush()
    notify("report_posted", report, actor)
    return report
