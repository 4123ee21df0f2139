"""The "Matches" panels a need's and an offer's page include: the record's matches and, for
those who may propose, suggestions with their reasons. Page helpers: they read the request
(where the page is, the reader's language) and hand the services what they need."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import has_request_context, request

from portal.core.i18n import current_language
from portal.core.visibility import is_signed_in
from portal.extensions import db
from portal.matching.precomputed import needs_for, offers_for
from portal.matching.queries import MatchFilters, matches_query
from portal.matching.services import may_propose_for_need, may_propose_for_offer


def _current_path() -> str | None:
    if has_request_context() and request.method == "GET":
        return request.full_path.rstrip("?")
    return None


def _reader_language() -> str | None:
    return current_language() if has_request_context() else None


def _panel(
    kind: str, viewer: Any, record: Any, may_propose: bool, suggest: Callable[..., Any]
) -> dict[str, Any]:
    panel: dict[str, Any] = {
        "kind": kind,
        kind: record,
        "matches": [],
        "suggestions": [],
        "may_propose": False,
        "is_hidden": not is_signed_in(viewer),
        "return_to": _current_path(),
    }
    if panel["is_hidden"]:
        return panel
    filters = MatchFilters(**{f"{kind}_id": record.id})
    panel["matches"] = list(db.session.scalars(matches_query(viewer, filters)))
    if may_propose:
        # Experts propose their own offers, requesters their own needs.
        own_side = viewer.is_expert if kind == "need" else viewer.is_requester
        panel["may_propose"] = True
        panel["suggestions"] = suggest(
            viewer,
            record,
            organisation_id=viewer.organisation_id if own_side else None,
            lang=_reader_language(),
        )
    return panel


def need_panel(viewer: Any, need: Any) -> dict[str, Any]:
    """What a need's page shows under "Matches": its matches and, for those who may propose,
    suggested offers with their reasons (precomputed where the stored list can tell, see
    ``portal.matching.precomputed``). Rendered by ``matching/_panel.html``."""
    return _panel("need", viewer, need, may_propose_for_need(viewer, need), offers_for)


def offer_panel(viewer: Any, offer: Any) -> dict[str, Any]:
    """The same for an offer's page: suggested needs."""
    return _panel("offer", viewer, offer, may_propose_for_offer(viewer, offer), needs_for)
