"""The inbox, the header's count, following, mail settings, one-click unsubscribe and the
admins' list of mail that could not be sent."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from portal.accounts.models import User
from portal.accounts.viewer import real_user
from portal.core import pagecache
from portal.core.http import actor, safe_next, wants_fragment
from portal.core.i18n import format_number
from portal.core.paging import page_number
from portal.core.visibility import is_signed_in
from portal.extensions import csrf, db
from portal.notifications import delivery, queries, records, services
from portal.notifications.events import is_following
from portal.notifications.forms import settings_form
from portal.notifications.kinds import EVENT_KINDS, EVENT_LABELS, quoted, sentence
from portal.notifications.models import Delivery, Digest, Frequency, Notification

bp = Blueprint("notifications", __name__, template_folder="templates")


def _vary(response: Any) -> Response:
    response = Response(response) if isinstance(response, str) else response
    response.vary.add("HX-Request")
    return response


# ------------------------------------------------------------------------------- the inbox


@bp.route("/notifications/")
@login_required
def inbox():
    kind = request.args.get("kind") or None
    if kind not in EVENT_KINDS:
        kind = None
    unread_only = request.args.get("unread") == "1"
    page, items = queries.inbox(
        current_user, kind=kind, unread_only=unread_only, page=page_number(request.args)
    )
    return render_template(
        "notifications/inbox.html",
        page=page,
        items=items,
        kind=kind,
        unread_only=unread_only,
        kinds=EVENT_LABELS,
    )


@bp.route("/notifications/count")
@login_required
def count():
    return _vary(render_template("notifications/_count.html"))


@bp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@login_required
def read(notification_id: int):
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != current_user.id:
        abort(404)
    services.mark_read(actor(), notification)
    return redirect(safe_next(request.form.get("next")) or url_for(".inbox"))


@bp.route("/notifications/read-all", methods=["POST"])
@login_required
def read_all():
    kind = request.form.get("kind") or None
    if kind not in EVENT_KINDS:
        kind = None
    services.mark_all_read(actor(), kind)
    flash(_("All notifications are marked as read."), "success")
    return redirect(safe_next(request.form.get("next")) or url_for(".inbox"))


# ------------------------------------------------------------------------------- following


@bp.route("/follow/<kind>/<int:record_id>", methods=["POST"])
@login_required
def follow(kind: str, record_id: int):
    if kind not in records.FOLLOWABLE:
        abort(404)
    record = records.load(kind, record_id)
    if record is None or not records.can_view(kind, record, current_user):
        abort(404)
    wanted = request.form.get("follow") == "1"
    following = services.set_following(actor(), kind, record, wanted)
    if wanted:
        message = _("You follow this now: you will hear when something happens.")
    else:
        message = _("You no longer follow this.")
    if wants_fragment():
        return _vary(
            render_template(
                "notifications/_follow_button.html",
                state=follow_state_for(kind, record, following),
                message=message,
            )
        )
    flash(message, "success")
    endpoint, values = records.page_endpoint(kind, record)
    return _vary(redirect(url_for(endpoint, **values)))


def follow_state_for(kind: str, record: Any, following: bool) -> dict[str, Any]:
    return {
        "kind": kind,
        "id": record.id,
        "following": following,
        "url": url_for("notifications.follow", kind=kind, record_id=record.id),
    }


def follow_state(record: Any) -> dict[str, Any] | None:
    """For the follow button's include: None when there is no button to show."""
    if record is None or not is_signed_in(current_user):
        return None
    try:
        kind = records.record_kind_of(record)
    except LookupError:
        return None
    if kind not in records.FOLLOWABLE:
        return None
    return follow_state_for(kind, record, is_following(current_user, kind, record))


def notification_count() -> int:
    if not is_signed_in(current_user):
        return 0
    # Counted (when not kept) with the account row, not the kept facts a kept page began with.
    return pagecache.kept_unread_count(current_user, lambda: queries.unread_count(real_user()))


def unread_badge() -> str:
    """The header's unread count after the word "Notifications" (a hole of kept pages)."""
    unread = notification_count()
    if not unread:
        return ""
    shown = "99+" if unread >= 100 else format_number(unread)
    return Markup(' <span class="badge">{}<span class="visually-hidden"> {}</span></span>').format(
        shown, _("unread")
    )


pagecache.register_hole("unread", unread_badge)


@bp.app_context_processor
def template_helpers() -> dict[str, Any]:
    return {"follow_state": follow_state, "notification_count": notification_count}


# -------------------------------------------------------------------------------- settings


@bp.route("/profile/notifications", methods=["GET", "POST"])
@login_required
def settings():
    user = actor()
    form: Any = settings_form(services.preferences(user))
    if request.method == "POST":
        if form.validate():
            chosen = {k: Frequency(form.kinds[k].data) for k in EVENT_KINDS}
            services.set_preferences(user, user, chosen)
            flash(_("Your notification settings are saved."), "success")
            return redirect(url_for(".settings"))
        return render_template("notifications/settings.html", form=form), 422
    return render_template("notifications/settings.html", form=form)


# ------------------------------------------------------------------- one-click unsubscribe


@bp.route("/notifications/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058: the mail client posts without a token; the signed link is the proof
def unsubscribe(token: str):
    found = delivery.read_unsubscribe_token(token)
    user = db.session.get(User, found[0]) if found else None
    if found is None or user is None:
        return render_template("notifications/unsubscribe_invalid.html"), 404
    kind = found[1]
    label = (
        _("digests") if kind == delivery.DIGEST_KIND else str(EVENT_LABELS.get(kind, kind)).lower()
    )
    if request.method == "POST":
        services.unsubscribe(user, kind)
        return render_template("notifications/unsubscribed.html", label=label)
    return render_template("notifications/unsubscribe.html", label=label, token=token)


# --------------------------------------------------------------------------------- admins


@bp.route("/admin/notifications/failed")
@login_required
def failed():
    if not current_user.is_admin:
        abort(403)
    deliveries, digests = delivery.failed_rows()
    return render_template(
        "notifications/failed.html",
        deliveries=deliveries,
        digests=digests,
        jobs=delivery.failed_queue_jobs(),
        stale=delivery.STALE_AFTER,
    )


@bp.route("/admin/notifications/failed/<what>/<int:row_id>", methods=["POST"])
@login_required
def retry(what: str, row_id: int):
    if not current_user.is_admin:
        abort(403)
    if what not in ("delivery", "digest"):
        abort(404)
    row: Delivery | Digest | None = (
        db.session.get(Delivery, row_id) if what == "delivery" else db.session.get(Digest, row_id)
    )
    if row is None:
        abort(404)
    delivery.retry(actor(), row)
    flash(_("The e-mail will be sent again."), "success")
    return redirect(url_for(".failed"))


def describe(notification: Notification, record: Any) -> str:
    """The inbox's sentence (the reader may see the record: the inbox asked)."""
    from portal.core.i18n import current_language

    event = notification.event
    name = quoted(records.title(notification.record_kind, record, current_language()))
    who = event.actor.name if event.actor is not None else None
    return sentence(notification.kind, who, name, event.detail or "")


@bp.app_template_global("notification_link")
def notification_link(notification: Notification, record: Any) -> str:
    endpoint, values = records.page_endpoint(notification.record_kind, record)
    return url_for(endpoint, **values)


bp.add_app_template_global(describe, "describe_notification")
