"""Needs: the list with live filters, the detail page, the editor and the state changes."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.audit.services import history
from portal.core.conflicts import EditConflict
from portal.core.http import MAX_ID, actor, wants_fragment
from portal.extensions import db
from portal.matching import services as matching
from portal.needs import services
from portal.needs.forms import NeedFilterForm, NeedForm
from portal.needs.models import Need

bp = Blueprint("needs", __name__, template_folder="templates", url_prefix="/needs")


def load_visible(need_id: int) -> Need:
    """The need, or 404 when it does not exist or the viewer may not see it: the two look
    the same from outside."""
    need = (
        db.session.get(Need, need_id, options=services.detail_options())
        if need_id <= MAX_ID
        else None
    )
    if need is None or not need.can_view(current_user):
        abort(404)
    return need


@bp.route("/")
def index():
    form = NeedFilterForm(formdata=request.args)
    page = services.list_needs(
        current_user,
        form.filters(),
        request.args.get("page", 1, type=int),
        current_app.config["PAGE_SIZE"],
    )
    context = {"form": form, "page": page}
    if wants_fragment():
        return render_template("needs/_list.html", oob=True, **context)
    return render_template(
        "needs/index.html", can_create=services.can_create_need(current_user), **context
    )


@bp.route("/<int:need_id>")
def detail(need_id: int):
    need = load_visible(need_id)
    return render_template(
        "needs/detail.html",
        need=need,
        actions=services.actions_for(current_user, need),
        history=history("need", need.id) if current_user.is_authenticated else [],
        panel=matching.need_panel(current_user, need),
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    if not services.can_create_need(current_user):
        abort(403)
    form = NeedForm()
    if form.validate_on_submit():
        try:
            need = services.create_need(actor(), **form.values())
        except services.InvalidNeed as error:
            _blame(form, error)
        else:
            flash(_("The need was saved as a draft. Publish it when it is ready."), "success")
            return redirect(url_for("needs.detail", need_id=need.id))
    status = 422 if form.is_submitted() else 200
    return render_template("needs/form.html", form=form, need=None), status


@bp.route("/<int:need_id>/edit", methods=["GET", "POST"])
@login_required
def edit(need_id: int):
    need = load_visible(need_id)
    if not need.can_edit(current_user):
        abort(403)
    form = NeedForm(is_new=False)
    if not form.is_submitted():
        form.load(need)
        return render_template("needs/form.html", form=form, need=need)
    if form.validate():
        try:
            services.update_need(actor(), need, expected_version=form.version.data, **form.values())
        except EditConflict as conflict:
            return _conflict(form, conflict.record)
        except services.InvalidNeed as error:
            _blame(form, error)
        else:
            flash(_("Your changes were saved."), "success")
            return redirect(url_for("needs.detail", need_id=need.id))
    return render_template("needs/form.html", form=form, need=need), 422


def _blame(form: NeedForm, error: services.InvalidNeed) -> None:
    target = getattr(form, error.field or "", None) or form.title
    target.errors = [*target.errors, error.message]


def _conflict(form: NeedForm, theirs: Need):
    """Someone saved the need after this editor loaded it: keep the editor's input, show the
    saved values beside it, and let the next save go ahead knowingly."""
    form.version.data = theirs.version
    form.version.raw_data = [str(theirs.version)]  # the input renders what was posted otherwise
    differs = _differences(form, theirs)
    return (
        render_template(
            "needs/form.html",
            form=form,
            need=theirs,
            theirs=theirs,
            differs=differs,
            last_change=next(iter(history("need", theirs.id, limit=1)), None),
        ),
        409,
    )


def _differences(form: NeedForm, need: Need) -> set[str]:
    mine = form.values()
    lang = mine["lang"]
    saved = {
        "title": (need.title.version(lang).body if need.title.version(lang) else ""),
        "description": (
            need.description.version(lang).body if need.description.version(lang) else ""
        ),
        "theme": need.theme,
        "priority": need.priority,
        "help_kind": need.help_kind,
        "district": need.district,
        "wanted_from": need.wanted_from,
        "wanted_until": need.wanted_until,
        "person_days": need.person_days,
        "visibility": need.visibility,
    }
    return {
        key
        for key, value in saved.items()
        if (services.clean_text(mine[key]) if isinstance(mine[key], str) else mine[key]) != value
    }


# ---------------------------------------------------------------- state changes


def _change_state(need_id: int, change: Any, message: str):
    need = load_visible(need_id)
    change(actor(), need)
    if wants_fragment():
        # The matches panel changes with the state (suggestions appear once the need is
        # published, and go when it is closed): it comes along out of band.
        panel = matching.need_panel(current_user, need)
        panel["return_to"] = url_for("needs.detail", need_id=need.id)
        return render_template(
            "needs/_state.html",
            need=need,
            actions=services.actions_for(current_user, need),
            message=message,
            panel=panel,
            panel_out_of_band=True,
        )
    flash(message, "success")
    return redirect(url_for("needs.detail", need_id=need.id))


@bp.route("/<int:need_id>/publish", methods=["POST"])
@login_required
def publish(need_id: int):
    return _change_state(need_id, services.publish_need, _("The need was published."))


@bp.route("/<int:need_id>/withdraw", methods=["POST"])
@login_required
def withdraw(need_id: int):
    return _change_state(need_id, services.withdraw_need, _("The need was withdrawn."))


@bp.route("/<int:need_id>/close", methods=["POST"])
@login_required
def close(need_id: int):
    return _change_state(need_id, services.close_need, _("The need was closed."))
