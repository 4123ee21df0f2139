"""The audit log page: coordinators and admins read who changed what. It has no route that
changes or deletes an audit event: the application only ever inserts them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import get_timezone, pgettext
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields import SelectChoice

from portal.audit import services
from portal.audit.forms import AuditFilterForm
from portal.audit.models import AuditEvent
from portal.core import enums
from portal.core.http import record_page_url, wants_fragment
from portal.core.paging import page_number
from portal.extensions import db, login_manager

bp = Blueprint("audit", __name__, template_folder="templates", url_prefix="/audit")

# Where a record of each type is shown; the URL is built from the endpoint's one argument, so
# that the other domains' parameter names need not be known here. Unknown endpoints get no link.
MAX_SHOWN_VALUE = 300


def _record_type_labels() -> dict[str, str]:
    return {
        "user": pgettext("record type", "User"),
        "organisation": pgettext("record type", "Organisation"),
        "need": pgettext("record type", "Need"),
        "offer": pgettext("record type", "Offer"),
        "match": pgettext("record type", "Match"),
        "project": pgettext("record type", "Project"),
        "milestone": pgettext("record type", "Milestone"),
        "status_report": pgettext("record type", "Status report"),
        "agreement": pgettext("record type", "Agreement"),
        "amendment": pgettext("record type", "Amendment"),
        "text": pgettext("record type", "Text"),
        "site_setting": pgettext("record type", "Setting"),
        "comment": pgettext("record type", "Comment"),
        "document": pgettext("record type", "Document"),
        "api_token": pgettext("record type", "API token"),
        "report": pgettext("record type", "Report to the city councils"),
        "notification_delivery": pgettext("record type", "Notification e-mail"),
        "notification_digest": pgettext("record type", "Notification digest"),
    }


def _action_labels() -> dict[str, str]:
    return {
        "create": pgettext("audit action", "Created"),
        "create_calendar": pgettext("audit action", "Calendar address made"),
        "renew_calendar": pgettext("audit action", "Calendar address renewed"),
        "update": pgettext("audit action", "Changed"),
        "change_role": pgettext("audit action", "Role changed"),
        "activate": pgettext("audit action", "Activated"),
        "deactivate": pgettext("audit action", "Deactivated"),
        "login": pgettext("audit action", "Signed in"),
        "login_failed": pgettext("audit action", "Sign-in failed"),
        "logout": pgettext("audit action", "Signed out"),
        "translate": pgettext("audit action", "Translated"),
        "publish": pgettext("audit action", "Published"),
        "withdraw": pgettext("audit action", "Withdrawn"),
        "propose": pgettext("audit action", "Proposed"),
        "accept": pgettext("audit action", "Accepted"),
        "decline": pgettext("audit action", "Declined"),
        "close": pgettext("audit action", "Closed"),
        "amend": pgettext("audit action", "Amended"),
        "report": pgettext("audit action", "Reported"),
        "status": pgettext("audit action", "Status changed"),
        "in_project": pgettext("audit action", "Taken into a project"),
        "invite": pgettext("audit action", "Invited"),
        "lockout": pgettext("audit action", "Locked after failed sign-ins"),
        "password_change": pgettext("audit action", "Password changed"),
        "password_reset_requested": pgettext("audit action", "Password reset requested"),
        "two_factor_enabled": pgettext("audit action", "Two-step verification turned on"),
        "two_factor_disabled": pgettext("audit action", "Two-step verification turned off"),
        "change_setting": pgettext("audit action", "Setting changed"),
        "approve_translation": pgettext("audit action", "Machine translation approved"),
        "reauthenticated": pgettext("audit action", "Identity confirmed again"),
        "second_factor_lockout": pgettext("audit action", "Locked after wrong codes"),
        "recovery_codes_renewed": pgettext("audit action", "Recovery codes renewed"),
        "two_factor_replaced": pgettext("audit action", "Two-step verification replaced"),
        "follow": pgettext("audit action", "Followed"),
        "unfollow": pgettext("audit action", "Unfollowed"),
        "notification_settings": pgettext("audit action", "Notification settings changed"),
        "retry": pgettext("audit action", "E-mail sent again"),
        "remove": pgettext("audit action", "Removed"),
        "revoke": pgettext("audit action", "Revoked"),
        "freeze": pgettext("audit action", "Report frozen"),
        "new_version": pgettext("audit action", "New version uploaded"),
        "refuse_infected": pgettext("audit action", "Infected file refused"),
    }


# The coded values a field holds, by record type and field (or by field alone): the log shows
# their labels in the reader's language, never codes such as ``in_project``.
VALUE_ENUMS: dict[tuple[str | None, str], type[enums.LabelledEnum]] = {
    ("need", "status"): enums.NeedStatus,
    ("offer", "status"): enums.OfferStatus,
    ("match", "status"): enums.MatchStatus,
    ("project", "status"): enums.ProjectStatus,
    ("status_report", "status"): enums.ReportStatus,
    (None, "latest_report_status"): enums.ReportStatus,
    (None, "visibility"): enums.Visibility,
    (None, "priority"): enums.Priority,
    (None, "help_kind"): enums.HelpKind,
    (None, "role"): enums.Role,
    (None, "kind"): enums.OrganisationKind,
    (None, "side"): enums.Side,
    (None, "proposed_by_side"): enums.Side,
}


def _label(record_type: str, field: str, value: Any) -> Any:
    kind = VALUE_ENUMS.get((record_type, field)) or VALUE_ENUMS.get((None, field))
    if kind is None or not isinstance(value, str):
        return value
    try:
        return kind(value).label
    except ValueError:
        return value


@bp.before_request
def coordinators_and_admins_only():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not (current_user.is_coordinator or current_user.is_admin):
        abort(403)
    return None


def _filters(form: AuditFilterForm) -> services.AuditFilters:
    """The filters the form holds, each only when valid: values the log does not hold (a NUL
    byte, say) never reach the database."""
    actor = (form.actor.data or "").replace("\x00", "").strip()
    return services.AuditFilters(
        record_type=form.record_type.data
        if form.record_type.data in {c.value for c in form.record_type.choices if c.value}
        else None,
        action=form.action.data
        if form.action.data in {c.value for c in form.action.choices if c.value}
        else None,
        actor_email=actor if actor and not form.actor.errors else None,
        date_from=form.date_from.data if not form.date_from.errors else None,
        date_until=form.date_until.data if not form.date_until.errors else None,
        time_zone=ZoneInfo(str(get_timezone())),
    )


def _distinct(column) -> list[str]:
    return list(db.session.scalars(db.select(column).distinct().order_by(column)))


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "—"
    text = str(value)
    return text if len(text) <= MAX_SHOWN_VALUE else text[:MAX_SHOWN_VALUE] + "…"


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str
    has_before: bool


@dataclass(frozen=True)
class EventRow:
    event: AuditEvent
    action: str
    record_type: str
    url: str | None
    changes: list[Change]


def _changes(event: AuditEvent) -> list[Change]:
    before, after = event.before or {}, event.after or {}
    has_before = event.before is not None
    keys = sorted(set(before) | set(after))
    if not has_before:
        # A new record: its empty fields and id say nothing.
        keys = [k for k in keys if k != "id" and after.get(k) not in (None, "", [])]
    kind = event.record_type
    return [
        Change(
            key,
            _shown(_label(kind, key, before.get(key))),
            _shown(_label(kind, key, after.get(key))),
            has_before,
        )
        for key in keys
    ]


@bp.route("/")
def index():
    form = AuditFilterForm(request.args)
    form.validate()
    record_types, actions = _record_type_labels(), _action_labels()
    form.record_type.choices = [SelectChoice("", _("All record types"))] + [
        SelectChoice(value, record_types.get(value, value))
        for value in _distinct(AuditEvent.record_type)
    ]
    form.action.choices = [SelectChoice("", _("All actions"))] + [
        SelectChoice(value, actions.get(value, value)) for value in _distinct(AuditEvent.action)
    ]
    page = db.paginate(
        services.events_query(current_user, _filters(form)),
        page=page_number(request.args),
        per_page=current_app.config["PAGE_SIZE"],
        error_out=False,
    )
    rows = [
        EventRow(
            event=event,
            action=actions.get(event.action, event.action),
            record_type=record_types.get(event.record_type, event.record_type),
            url=record_page_url(event.record_type, event.record_id, current_user),
            changes=_changes(event),
        )
        for event in page.items
    ]
    template = "audit/_events.html" if wants_fragment() else "audit/index.html"
    return render_template(template, form=form, page=page, rows=rows)
