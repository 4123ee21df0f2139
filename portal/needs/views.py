"""Needs: the list with live filters, the detail page, the editor and the state changes (the
pages every posting has, from ``portal.postings.views``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from portal.matching import panels
from portal.needs.forms import NeedFilterForm, NeedForm
from portal.needs.services import service
from portal.postings.views import PostingViews

bp = Blueprint("needs", __name__, template_folder="templates", url_prefix="/needs")


class NeedViews(PostingViews):
    service = service
    form = NeedForm
    filter_form = NeedFilterForm
    panel = staticmethod(panels.need_panel)
    saved_message = _l("The need was saved as a draft. Publish it when it is ready.")
    state_changes = {
        "publish": ("publish", _l("The need was published.")),
        "withdraw": ("withdraw", _l("The need was withdrawn.")),
        "close": ("close", _l("The need was closed.")),
    }

    def saved_values(self, need: Any) -> dict[str, Any]:
        return {
            "theme": need.theme,
            "priority": need.priority,
            "district": need.district,
            "wanted_from": need.wanted_from,
            "wanted_until": need.wanted_until,
            "person_days": need.person_days,
        }


NeedViews(bp).register()
