"""The "Matches" panels a need's and an offer's page include: the record's matches and, for
those who may propose, suggestions with their reasons. Page helpers: they read the request
(where the page is, the reader's language) and hand the services what they need."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request

from portal.core.i18n import current_language
from portal.core.visibility import is_signed_in
from portal.extensions import db
from portal.matching.queries import MatchFilters, matches_query
from portal.matching.services import may_propose_for_need, may_propose_for_offer
from portal.matching.suggestions import suggest_needs, suggest_offers


def _current_path() -> str | None:
    if has_request_context() and request.method == "GET":
        return request.full_path.rstrip("?")
    return None


def _reader_language() -> str | None:
    return current_language() if has_request_context() else None


def need_panel(viewer: Any, need: Any) -> dict[str, Any]:
    """What a need's page shows under "Matches": its matches and, for those who may propose,
    suggested offers with their reasons. Rendered by ``matching/_need_panel.html``."""
    panel: dict[str, Any] = {
        "kind": "need",
        "need": need,
        "matches": [],
        "suggestions": [],
        "may_propose": False,
        "is_hidden": not is_signed_in(viewer),
        "return_to": _current_path(),
    }
    if panel["is_hidden"]:
        return panel
    panel["matches"] = list(
        db.session.scalars(matches_query(viewer, MatchFilters(need_id=need.id)))
    )
    if may_propose_for_need(viewer, need):
        panel["may_propose"] = True
        panel["suggestions"] = suggest_offers(
            viewer,
            need,
            organisation_id=viewer.organisation_id if viewer.is_expert else None,
            lang=_reader_language(),
        )
    return panel


def offer_panel(viewer: Any, offer: Any) -> dict[str, Any]:
    """The same for an offer's page, rendered by ``matching/_offer_panel.html``."""
    panel: dict[str, Any] = {
        "kind": "offer",
        "offer": offer,
        "matches": [],
        "suggestions": [],
        "may_propose": False,
        "is_hidden": not is_signed_in(viewer),
        "return_to": _current_path(),
    }
    if panel["is_hidden"]:
        return panel
    panel["matches"] = list(
        db.session.scalars(matches_query(viewer, MatchFilters(offer_id=offer.id)))
    )
    if may_propose_for_offer(viewer, offer):
        panel["may_propose"] = True
        panel["suggestions"] = suggest_needs(
            viewer,
            offer,
            organisation_id=viewer.organisation_id if viewer.is_requester else None,
            lang=_reader_language(),
        )
    return panel
