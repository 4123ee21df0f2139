"""The "Matches" panels a need's and an offer's page include: the record's matches and, for
those who may propose, suggestions with their reasons. Page helpers: they read the request
(where the page is, the reader's language) and hand the services what they need."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app, has_request_context, request
from sqlalchemy import Integer, Select, bindparam, exists, select

from portal.content.models import ShownText, Text, shown_texts, with_text_in
from portal.core import empty
from portal.core.enums import MatchStatus, Side
from portal.core.i18n import current_language
from portal.core.statements import KeptStatements, read_columns
from portal.core.visibility import Scope, is_signed_in
from portal.matching.models import Match, MatchRules
from portal.matching.precomputed import needs_for, offers_for
from portal.matching.queries import matching
from portal.matching.services import may_propose_for_need, may_propose_for_offer
from portal.needs.models import Need
from portal.offers.models import Offer
from portal.reference import lists as reference_lists
from portal.reference.lists import Named


def _current_path() -> str | None:
    if has_request_context() and request.method == "GET":
        return request.full_path.rstrip("?")
    return None


def _reader_language() -> str | None:
    return current_language() if has_request_context() else None


@dataclass(frozen=True)
class MatchedRecord:
    """One side of a match as the panel shows it: its title and its organisation."""

    title: Text | ShownText | None
    organisation: Named


@dataclass(frozen=True)
class PanelMatch(MatchRules):
    """A match as a record's panel shows it (``matching/_match.html``, views "need" and
    "offer"), read with the shown columns only; its buttons follow the same rules as
    ``Match``'s (``MatchRules``)."""

    id: int
    status: MatchStatus
    score: int | None
    proposed_at: datetime
    proposed_side: Side
    requester_accepted_at: datetime | None
    expert_accepted_at: datetime | None
    need_organisation_id: int
    offer_organisation_id: int
    need: MatchedRecord
    offer: MatchedRecord


# The panels' statements, built once per list kind, reader's scope and role (what the visibility
# rule and "waiting for your decision" are made of) and language; the record is a parameter.
# A page then spends no time building and hashing the statement, which costs more than the rows.
_STATEMENTS = KeptStatements()


def _statement(kind: str, viewer: Any, lang: str) -> Select[Any]:
    def build() -> Select[Any]:
        other: Any = Offer if kind == "need" else Need
        listed = matching(
            select(
                Match.id,
                Match.status,
                Match.score,
                Match.proposed_at,
                Match.proposed_side,
                Match.requester_accepted_at,
                Match.expert_accepted_at,
                Need.organisation_id.label("need_organisation_id"),
                Offer.organisation_id.label("offer_organisation_id"),
                other.title_id.label("title_id"),
            ),
            viewer,
        ).where(getattr(Match, f"{kind}_id") == bindparam("record_id", type_=Integer))
        return with_text_in(listed, other.title_id, lang)

    return _STATEMENTS.get((kind, Scope.of(viewer), getattr(viewer, "role", None), lang), build)


def any_on(kind: str, record_id: Any) -> Any:
    """Whether any match, of any status, is made with the need or offer (``kind``) whose id is
    ``record_id`` (a column): a column for the statement that loads the record
    (``empty.found_empty``)."""
    return exists().where(getattr(Match, f"{kind}_id") == record_id)


def record_matches(viewer: Any, kind: str, record: Any, lang: str) -> list[PanelMatch]:
    """The matches of ``record`` (a need, ``kind`` "need", or an offer) that ``viewer`` may see,
    in the lists' order, in one statement: the other side's title in ``lang`` with them, the
    organisations' names from the kept reference lists."""
    if empty.known_empty("matches", kind, record.id):
        return []
    rows = read_columns(_statement(kind, viewer, lang), {"record_id": record.id}).all()
    titles = shown_texts(rows, [row.title_id for row in rows], lang)
    names = reference_lists.names(
        "organisations",
        [row.need_organisation_id for row in rows] + [row.offer_organisation_id for row in rows],
    )
    found = []
    for row, title in zip(rows, titles, strict=True):
        need_organisation = names[row.need_organisation_id]
        offer_organisation = names[row.offer_organisation_id]
        if kind == "need":
            need = MatchedRecord(record.title, need_organisation)
            offer = MatchedRecord(title, offer_organisation)
        else:
            need = MatchedRecord(title, need_organisation)
            offer = MatchedRecord(record.title, offer_organisation)
        found.append(
            PanelMatch(
                id=row.id,
                status=row.status,
                score=row.score,
                proposed_at=row.proposed_at,
                proposed_side=row.proposed_side,
                requester_accepted_at=row.requester_accepted_at,
                expert_accepted_at=row.expert_accepted_at,
                need_organisation_id=row.need_organisation_id,
                offer_organisation_id=row.offer_organisation_id,
                need=need,
                offer=offer,
            )
        )
    return found


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
    lang = _reader_language() or current_app.config["BABEL_DEFAULT_LOCALE"]
    panel["matches"] = record_matches(viewer, kind, record, lang)
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
