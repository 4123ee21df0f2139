"""Matching: the contract other domains use. Filled in by the matching work."""

from __future__ import annotations

from typing import Any


def need_panel(viewer: Any, need: Any) -> dict[str, Any]:
    """What a need's page shows under "Matches": its matches and, for those who may propose,
    suggested offers with their reasons. Rendered by ``matching/_need_panel.html``."""
    return {"need": need, "matches": [], "suggestions": []}


def offer_panel(viewer: Any, offer: Any) -> dict[str, Any]:
    """The same for an offer's page, rendered by ``matching/_offer_panel.html``."""
    return {"offer": offer, "matches": [], "suggestions": []}
