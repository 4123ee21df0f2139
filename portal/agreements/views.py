"""The agreement page (the default agreement and any other) and recording amendments."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.agreements import services
from portal.agreements.forms import AmendmentForm
from portal.agreements.models import Agreement
from portal.agreements.services import AmendmentRuleError, default_agreement
from portal.core.enums import AmendmentKind
from portal.core.i18n import current_language

bp = Blueprint("agreements", __name__, template_folder="templates", url_prefix="/agreements")


def _load(agreement_id: int) -> Agreement:
    agreement = services.get_agreement(agreement_id)
    if agreement is None:
        abort(404)
    return agreement


def _render(agreement: Agreement):
    return render_template(
        "agreements/detail.html",
        agreement=agreement,
        ending_soon=services.is_ending_soon(agreement),
        can_amend=services.can_amend(current_user),
        warn_days=services.WARN_DAYS,
    )


@bp.route("/")
def default():
    try:
        agreement = default_agreement()
    except LookupError:
        abort(404)
    return _render(_load(agreement.id))


@bp.route("/<int:agreement_id>")
def detail(agreement_id: int):
    return _render(_load(agreement_id))


@bp.route("/<int:agreement_id>/amendments/new", methods=["GET", "POST"])
@login_required
def new_amendment(agreement_id: int):
    agreement = _load(agreement_id)
    if not services.can_amend(current_user):
        abort(403)
    form = AmendmentForm()
    form.set_choices()
    if request.method == "GET":
        form.kind.data = AmendmentKind.EXTENSION.value
        form.reason_lang.data = current_language()
    code = 200
    if request.method == "POST":
        code = 422
        if form.validate_on_submit():
            try:
                services.record_amendment(
                    current_user,
                    agreement,
                    kind=AmendmentKind(form.kind.data),
                    reason=form.reason.data or "",
                    reason_lang=form.reason_lang.data or "",
                    decided_on=form.decided_on.data,
                    new_valid_until=form.new_valid_until.data,
                )
            except AmendmentRuleError as error:
                field = getattr(form, error.field or "", None)
                if field is None:
                    form.form_errors.append(error.message)
                else:
                    field.errors = [*field.errors, error.message]
            else:
                flash(_("The amendment was recorded."), "success")
                return redirect(url_for("agreements.detail", agreement_id=agreement.id))
    return (
        render_template(
            "agreements/amendment_form.html",
            form=form,
            agreement=agreement,
            earliest_new_end=agreement.valid_until + timedelta(days=1),
        ),
        code,
    )
