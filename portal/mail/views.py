"""The outbox: what the portal sent or would have sent, for admins."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required

from portal.core.paging import page_number
from portal.extensions import db
from portal.mail.models import OutboxMessage

bp = Blueprint("mail", __name__, template_folder="templates", url_prefix="/admin/outbox")


@bp.route("/")
@login_required
def outbox():
    if not current_user.is_admin:
        abort(403)
    page = db.paginate(
        db.select(OutboxMessage).order_by(OutboxMessage.created_at.desc()),
        page=page_number(request.args),
        per_page=20,
        error_out=False,
    )
    return render_template("mail/outbox.html", page=page)
