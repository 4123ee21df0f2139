"""Offers: the list with live filters, the detail page, the editor and the state changes (the
pages every posting has, from ``portal.postings.views``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from portal.matching import panels
from portal.offers.forms import OfferFilterForm, OfferForm
from portal.offers.services import service
from portal.postings.forms import PostingForm
from portal.postings.views import PostingViews

bp = Blueprint("offers", __name__, template_folder="templates", url_prefix="/offers")


class OfferViews(PostingViews):
    service = service
    form = OfferForm
    filter_form = OfferFilterForm
    panel = staticmethod(panels.offer_panel)
    saved_message = _l("The offer was saved as a draft. Publish it when it is ready.")
    state_changes = {
        "publish": ("publish", _l("The offer was published.")),
        "withdraw": ("withdraw", _l("The offer was withdrawn.")),
    }

    def saved_values(self, offer: Any) -> dict[str, Any]:
        return {
            "themes": {t.id for t in offer.themes},
            "capacity_days": offer.capacity_days,
            "available_from": offer.available_from,
            "available_until": offer.available_until,
        }

    def input_values(self, form: PostingForm) -> dict[str, Any]:
        values = form.values()
        return {**values, "themes": {t.id for t in values["themes"]}}


OfferViews(bp).register()
