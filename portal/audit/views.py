"""The audit log page: coordinators and admins read who changed what. It has no route that
changes or deletes an audit event: the application only ever inserts them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import get_timezone, pgettext
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import joinedload
from wtforms.fields import SelectChoice

from portal.accounts.models import User
from portal.audit.forms import AuditFilterForm
from portal.audit.models import AuditEvent
from portal.content.search import like_pattern
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
    }


def _action_labels() -> dict[str, str]:
    return {
        "create": pgettext("audit action", "Created"),
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
    }


@bp.before_request
def coordinators_and_admins_only():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not (current_user.is_coordinator or current_user.is_admin):
        abort(403)
    return None


def visible_events(viewer: User) -> ColumnElement[bool]:
    """Events about records the viewer may not see are left out, like the records themselves.
    Records are judged as they are now (a need created as a draft shows its whole history once
    it is published)."""
    from portal.matching.models import Match
    from portal.needs.models import Need
    from portal.offers.models import Offer
    from portal.projects.models import Milestone, Project, StatusReport

    guarded: dict[str, Any] = {
        "need": select(Need.id).where(Need.visible_to(viewer)),
        "offer": select(Offer.id).where(Offer.visible_to(viewer)),
        "project": select(Project.id).where(Project.visible_to(viewer)),
        "milestone": select(Milestone.id)
        .join(Project, Project.id == Milestone.project_id)
        .where(Project.visible_to(viewer)),
        "status_report": select(StatusReport.id)
        .join(Project, Project.id == StatusReport.project_id)
        .where(Project.visible_to(viewer)),
    }
    if not viewer.sees_everything:
        guarded["match"] = (
            select(Match.id)
            .join(Need, Need.id == Match.need_id)
            .join(Offer, Offer.id == Match.offer_id)
            .where(
                or_(
                    Need.organisation_id == viewer.organisation_id,
                    Offer.organisation_id == viewer.organisation_id,
                )
            )
        )
    return or_(
        AuditEvent.record_type.not_in(list(guarded)),
        *(
            and_(AuditEvent.record_type == kind, AuditEvent.record_id.in_(ids))
            for kind, ids in guarded.items()
        ),
    )


# The log holds nothing outside these years; clamping keeps a date like 0001-01-01 or 9999-12-31
# from overflowing when it is moved to UTC.
_EARLIEST, _LATEST = date(1900, 1, 1), date(9998, 12, 30)


def _start_of_day(day: date) -> datetime:
    """Midnight at the start of ``day`` in the reader's time zone."""
    day = min(max(day, _EARLIEST), _LATEST)
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(str(get_timezone())))


def _filtered(form: AuditFilterForm):
    query = (
        db.select(AuditEvent)
        .options(joinedload(AuditEvent.actor))
        .where(visible_events(current_user))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )
    # Only values the log holds: anything else (a NUL byte, say) would not reach the database.
    if form.record_type.data in {c.value for c in form.record_type.choices if c.value}:
        query = query.where(AuditEvent.record_type == form.record_type.data)
    if form.action.data in {c.value for c in form.action.choices if c.value}:
        query = query.where(AuditEvent.action == form.action.data)
    actor = (form.actor.data or "").replace("\x00", "").strip()
    if actor and not form.actor.errors:
        query = query.where(
            AuditEvent.actor_id.in_(
                select(User.id).where(User.email.like(like_pattern(actor), escape="\\"))
            )
        )
    if form.date_from.data and not form.date_from.errors:
        query = query.where(AuditEvent.at >= _start_of_day(form.date_from.data))
    if form.date_until.data and not form.date_until.errors:
        until = min(form.date_until.data, _LATEST)
        query = query.where(AuditEvent.at < _start_of_day(until + timedelta(days=1)))
    return query


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
    return [
        Change(key, _shown(before.get(key)), _shown(after.get(key)), has_before) for key in keys
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
        _filtered(form),
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
