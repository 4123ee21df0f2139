"""Offers: the list with live filters, the detail page, the editor and the state changes."""

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
from portal.offers import services
from portal.offers.forms import OfferFilterForm, OfferForm
from portal.offers.models import Offer

bp = Blueprint("offers", __name__, template_folder="templates", url_prefix="/offers")


def load_visible(offer_id: int) -> Offer:
    """The offer, or 404 when it does not exist or the viewer may not see it: the two look
    the same from outside."""
    offer = (
        db.session.get(Offer, offer_id, options=services.detail_options())
        if offer_id <= MAX_ID
        else None
    )
    if offer is None or not offer.can_view(current_user):
        abort(404)
    return offer


@bp.route("/")
def index():
    form = OfferFilterForm(formdata=request.args)
    page = services.list_offers(
        current_user,
        form.filters(),
        request.args.get("page", 1, type=int),
        current_app.config["PAGE_SIZE"],
    )
    context = {"form": form, "page": page}
    if wants_fragment():
        return render_template("offers/_list.html", oob=True, **context)
    return render_template(
        "offers/index.html", can_create=services.can_create_offer(current_user), **context
    )


@bp.route("/<int:offer_id>")
def detail(offer_id: int):
    offer = load_visible(offer_id)
    return render_template(
        "offers/detail.html",
        offer=offer,
        actions=services.actions_for(current_user, offer),
        history=history("offer", offer.id) if current_user.is_authenticated else [],
        panel=matching.offer_panel(current_user, offer),
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    if not services.can_create_offer(current_user):
        abort(403)
    form = OfferForm()
    if form.validate_on_submit():
        try:
            offer = services.create_offer(actor(), **form.values())
        except services.InvalidOffer as error:
            _blame(form, error)
        else:
            flash(_("The offer was saved as a draft. Publish it when it is ready."), "success")
            return redirect(url_for("offers.detail", offer_id=offer.id))
    status = 422 if form.is_submitted() else 200
    return render_template("offers/form.html", form=form, offer=None), status


@bp.route("/<int:offer_id>/edit", methods=["GET", "POST"])
@login_required
def edit(offer_id: int):
    offer = load_visible(offer_id)
    if not offer.can_edit(current_user):
        abort(403)
    form = OfferForm(is_new=False)
    if not form.is_submitted():
        form.load(offer)
        return render_template("offers/form.html", form=form, offer=offer)
    if form.validate():
        try:
            services.update_offer(
                actor(), offer, expected_version=form.version.data, **form.values()
            )
        except EditConflict as conflict:
            return _conflict(form, conflict.record)
        except services.InvalidOffer as error:
            _blame(form, error)
        else:
            flash(_("Your changes were saved."), "success")
            return redirect(url_for("offers.detail", offer_id=offer.id))
    return render_template("offers/form.html", form=form, offer=offer), 422


def _blame(form: OfferForm, error: services.InvalidOffer) -> None:
    target = getattr(form, error.field or "", None) or form.title
    target.errors = [*target.errors, error.message]


def _conflict(form: OfferForm, theirs: Offer):
    """Someone saved the offer after this editor loaded it: keep the editor's input, show the
    saved values beside it, and let the next save go ahead knowingly."""
    form.version.data = theirs.version
    form.version.raw_data = [str(theirs.version)]  # the input renders what was posted otherwise
    return (
        render_template(
            "offers/form.html",
            form=form,
            offer=theirs,
            theirs=theirs,
            differs=_differences(form, theirs),
            last_change=next(iter(history("offer", theirs.id, limit=1)), None),
        ),
        409,
    )


def _differences(form: OfferForm, offer: Offer) -> set[str]:
    mine = form.values()
    lang = mine["lang"]
    title, description = offer.title.version(lang), offer.description.version(lang)
    saved = {
        "title": title.body if title else "",
        "description": description.body if description else "",
        "themes": {t.id for t in offer.themes},
        "help_kind": offer.help_kind,
        "capacity_days": offer.capacity_days,
        "available_from": offer.available_from,
        "available_until": offer.available_until,
        "visibility": offer.visibility,
    }
    mine["themes"] = {t.id for t in mine["themes"]}
    return {
        key
        for key, value in saved.items()
        if (services.clean_text(mine[key]) if isinstance(mine[key], str) else mine[key]) != value
    }


# ---------------------------------------------------------------- state changes


def _change_state(offer_id: int, change: Any, message: str):
    offer = load_visible(offer_id)
    change(actor(), offer)
    if wants_fragment():
        # The matches panel changes with the state (suggestions appear once the offer is
        # published, and go when it is withdrawn): it comes along out of band.
        panel = matching.offer_panel(current_user, offer)
        panel["return_to"] = url_for("offers.detail", offer_id=offer.id)
        return render_template(
            "offers/_state.html",
            offer=offer,
            actions=services.actions_for(current_user, offer),
            message=message,
            panel=panel,
            panel_out_of_band=True,
        )
    flash(message, "success")
    return redirect(url_for("offers.detail", offer_id=offer.id))


@bp.route("/<int:offer_id>/publish", methods=["POST"])
@login_required
def publish(offer_id: int):
    return _change_state(offer_id, services.publish_offer, _("The offer was published."))


@bp.route("/<int:offer_id>/withdraw", methods=["POST"])
@login_required
def withdraw(offer_id: int):
    return _change_state(offer_id, services.withdraw_offer, _("The offer was withdrawn."))
