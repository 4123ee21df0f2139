"""Writing, listing and the actions of offers: the posting services with what is an offer's own
(its themes, its capacity and its availability).

Every write takes the acting user explicitly, refuses when the agreement is no longer writable,
records an audit event and flushes (see ``portal.postings.services``); lists apply
``Offer.visible_to`` in SQL.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import joinedload, selectinload

from portal.content.models import ShownText
from portal.core.enums import HelpKind, OfferStatus, Visibility
from portal.core.keyset import SortKey
from portal.core.statements import read_columns
from portal.offers.models import Offer, offer_themes
from portal.postings.services import (
    InvalidPosting,
    PostingActions,
    PostingFilters,
    PostingService,
    newest_first,
)
from portal.reference import lists as reference_lists
from portal.reference.lists import Named
from portal.reference.models import Theme

# What "current offers" means on the list.
LIVE_STATUSES: tuple[OfferStatus, ...] = (OfferStatus.OPEN,)
SORTS = ("newest", "available")
CAPACITY_MAX = 100_000

InvalidOffer = InvalidPosting
OfferActions = PostingActions


@dataclass
class OfferFilters(PostingFilters):
    """What a list of offers is narrowed to. ``statuses=None`` means every status."""

    statuses: tuple[Any, ...] | None = LIVE_STATUSES


def default_visibility(themes: list[Theme]) -> Visibility:
    """An offer touching critical infrastructure is for signed-in partners by default; the
    offer itself tells nothing about a facility's state, so it need not be restricted."""
    return Visibility.PARTNERS if any(t.is_critical for t in themes) else Visibility.PUBLIC


@dataclass(frozen=True, slots=True)
class ListedOffer:
    """An offer as the list shows it (``postings/_list.html``, ``offers/_list.html``)."""

    id: int
    title: ShownText
    status: OfferStatus
    themes: tuple[Named, ...]
    organisation: Named
    help_kind: HelpKind
    available_from: date
    available_until: date
    remaining_days: int
    created_at: datetime


@functools.cache
def _listed_themes() -> Select[tuple[int, int]]:
    """The themes of the listed offers (``offer_ids``, expanding), in the themes' order: built
    once, as a list page reads it on every request."""
    return (
        select(offer_themes.c.offer_id, offer_themes.c.theme_id)
        .join(Theme, Theme.id == offer_themes.c.theme_id)
        .where(offer_themes.c.offer_id.in_(bindparam("offer_ids", expanding=True)))
        .order_by(offer_themes.c.offer_id, Theme.position, Theme.id)
    )


class OfferService(PostingService[Offer]):
    model = Offer
    kind = "offer"
    # Committed capacity is not among them: committed days move only with agreed matches.
    editable_fields = frozenset(
        {
            "title",
            "description",
            "lang",
            "themes",
            "help_kind",
            "capacity_days",
            "available_from",
            "available_until",
            "visibility",
        }
    )
    required_fields = frozenset({"themes", "capacity_days", "available_from", "available_until"})
    create_refused = _l("Only experts may make offers.")
    change_refused = _l("Only experts of the organisation that made an offer may change it.")
    edit_refused = _l("You may not edit this offer.")
    publish_refused = _l("Only a draft can be published; this offer is %(status)s.")
    describe = _l("Describe the expertise you offer.")

    def default_visibility(self, values: dict[str, Any]) -> Visibility:
        return default_visibility(values["themes"])

    def prepare(self, values: dict[str, Any]) -> dict[str, Any]:
        # keep the order, drop repeats
        return {**values, "themes": list(dict.fromkeys(values["themes"])), "committed_days": 0}

    def apply(self, offer: Offer, key: str, value: Any) -> bool:
        if key != "themes":
            return super().apply(offer, key, value)
        themes = list(dict.fromkeys(value))
        if {t.id for t in themes} == {t.id for t in offer.themes}:
            return False
        offer.themes = themes
        return True

    def snapshot_extra(self, offer: Offer) -> dict[str, Any]:
        return {"themes": sorted(t.code for t in offer.themes)}

    def check(self, offer: Offer) -> None:
        if not offer.themes:
            raise InvalidOffer(_("Choose at least one theme."), "themes")
        if offer.available_from is None or offer.available_until is None:
            raise InvalidOffer(_("Enter when the expertise is available."), "available_from")
        if offer.available_until < offer.available_from:
            raise InvalidOffer(
                _("The end of the availability cannot be before its start."), "available_until"
            )
        if not 1 <= (offer.capacity_days or 0) <= CAPACITY_MAX:
            raise InvalidOffer(
                _("Enter a capacity from 1 to %(max)d person-days.", max=CAPACITY_MAX),
                "capacity_days",
            )
        if offer.capacity_days < (offer.committed_days or 0):
            raise InvalidOffer(
                _(
                    "%(days)d person-days are already committed; the capacity cannot be lower.",
                    days=offer.committed_days,
                ),
                "capacity_days",
            )
        covered = offer.agreement.themes
        if covered and any(t not in covered for t in offer.themes):
            raise InvalidOffer(_("The agreement does not cover every chosen theme."), "themes")

    def filter(self, stmt: Select[Any], filters: Any) -> Select[Any]:
        if filters.theme_id is not None:
            stmt = stmt.where(Offer.themes.any(Theme.id == filters.theme_id))
        return stmt

    def order(self, sort: str) -> tuple[SortKey, ...]:
        if sort == "available":
            return (SortKey(Offer.available_from), *newest_first(Offer))
        return super().order(sort)

    def listed_columns(self) -> tuple[Any, ...]:
        return (
            *super().listed_columns(),
            Offer.help_kind,
            Offer.available_from,
            Offer.available_until,
            Offer.capacity_days,
            Offer.committed_days,
        )

    def listed(self, rows: list[Any], titles: list[ShownText]) -> list[ListedOffer]:
        # Each offer's themes (in the themes' order) in one query for any number of rows;
        # names from the kept reference lists.
        theme_ids: dict[int, list[int]] = {row.id: [] for row in rows}
        for offer_id, theme_id in read_columns(_listed_themes(), {"offer_ids": sorted(theme_ids)}):
            theme_ids[offer_id].append(theme_id)
        themes = reference_lists.names("themes", (t for ids in theme_ids.values() for t in ids))
        organisations = reference_lists.names(
            "organisations", (row.organisation_id for row in rows)
        )
        return [
            ListedOffer(
                id=row.id,
                title=title,
                status=row.status,
                themes=tuple(themes[t] for t in theme_ids[row.id]),
                organisation=organisations[row.organisation_id],
                help_kind=row.help_kind,
                available_from=row.available_from,
                available_until=row.available_until,
                remaining_days=max(row.capacity_days - (row.committed_days or 0), 0),
                created_at=row.created_at,
            )
            for row, title in zip(rows, titles, strict=True)
        ]

    def list_options(self) -> tuple[Any, ...]:
        return (
            joinedload(Offer.title),
            selectinload(Offer.themes),
            joinedload(Offer.organisation),
        )


service = OfferService()

# The names the rest of the portal (and its commands and tests) calls.
EDITABLE_FIELDS = service.editable_fields
can_create_offer = service.can_create
is_owner = service.is_owner
actions_for = service.actions_for
detail_options = service.detail_options
create_offer = service.create
update_offer = service.update
publish_offer = service.publish
withdraw_offer = service.withdraw
offers_query = service.query
list_offers = service.list
