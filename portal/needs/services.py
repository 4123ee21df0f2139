"""Writing, listing and the actions of needs: the posting services with what is a need's own.

Every write takes the acting user explicitly, refuses when the agreement is no longer writable,
records an audit event and flushes (see ``portal.postings.services``). Lists and search apply
``Need.visible_to`` in SQL, so a need a user may not see never reaches them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, case
from sqlalchemy.orm import joinedload

from portal.content.models import ShownText
from portal.core.enums import NeedStatus, Priority, Visibility
from portal.core.keyset import SortKey
from portal.needs.models import Need
from portal.postings.services import (
    InvalidPosting,
    PostingActions,
    PostingFilters,
    PostingService,
    newest_first,
)
from portal.reference import lists as reference_lists
from portal.reference.lists import Named

# What "current needs" means on the list: posted and not yet finished.
LIVE_STATUSES: tuple[NeedStatus, ...] = (
    NeedStatus.OPEN,
    NeedStatus.MATCHED,
    NeedStatus.IN_PROJECT,
)
SORTS = ("newest", "priority", "wanted")
PERSON_DAYS_MAX = 100_000

InvalidNeed = InvalidPosting
NeedActions = PostingActions


@dataclass
class NeedFilters(PostingFilters):
    """What a list of needs is narrowed to. ``statuses=None`` means every status."""

    statuses: tuple[Any, ...] | None = LIVE_STATUSES
    priority: Priority | None = None
    district_id: int | None = None


@dataclass(frozen=True, slots=True)
class ListedNeed:
    """A need as the list shows it (``postings/_list.html``, ``needs/_list.html``)."""

    id: int
    title: ShownText
    priority: Priority
    status: NeedStatus
    theme: Named
    organisation: Named
    district: Named | None
    wanted_from: date | None
    wanted_until: date | None
    created_at: datetime


def default_visibility(theme: Any) -> Visibility:
    """Critical infrastructure is restricted by default: under martial law Ukraine forbids
    publishing the state of such facilities."""
    return Visibility.RESTRICTED if theme.is_critical else Visibility.PUBLIC


class NeedService(PostingService[Need]):
    model = Need
    kind = "need"
    editable_fields = frozenset(
        {
            "title",
            "description",
            "lang",
            "theme",
            "priority",
            "help_kind",
            "visibility",
            "district",
            "wanted_from",
            "wanted_until",
            "person_days",
        }
    )
    required_fields = frozenset({"theme", "priority"})
    enums = {**PostingService.enums, "priority": Priority}
    closed_status = NeedStatus.CLOSED
    create_refused = _l("Only requesters may post needs.")
    change_refused = _l("Only requesters of the organisation that posted a need may change it.")
    edit_refused = _l("You may not edit this need.")
    publish_refused = _l("Only a draft can be published; this need is %(status)s.")
    describe = _l("Describe what is needed.")

    def default_visibility(self, values: dict[str, Any]) -> Visibility:
        return default_visibility(values["theme"])

    def prepare(self, values: dict[str, Any]) -> dict[str, Any]:
        return {**values, "priority": Priority(values["priority"])}

    def check(self, need: Need) -> None:
        if need.wanted_from and need.wanted_until and need.wanted_until < need.wanted_from:
            raise InvalidNeed(
                _("The end of the wanted period cannot be before its start."), "wanted_until"
            )
        if need.person_days is not None and not 1 <= need.person_days <= PERSON_DAYS_MAX:
            raise InvalidNeed(
                _("Enter a number of person-days from 1 to %(max)d.", max=PERSON_DAYS_MAX),
                "person_days",
            )
        themes = need.agreement.themes
        if themes and need.theme not in themes:
            raise InvalidNeed(_("The agreement does not cover this theme."), "theme")

    def filter(self, stmt: Select[Any], filters: Any) -> Select[Any]:
        if filters.theme_id is not None:
            stmt = stmt.where(Need.theme_id == filters.theme_id)
        if filters.priority is not None:
            stmt = stmt.where(Need.priority == filters.priority)
        if filters.district_id is not None:
            stmt = stmt.where(Need.district_id == filters.district_id)
        return stmt

    def order(self, sort: str) -> tuple[SortKey, ...]:
        if sort == "priority":
            rank = case(*((Need.priority == p, p.rank) for p in Priority), else_=len(Priority))
            return (SortKey(rank), *newest_first(Need))
        if sort == "wanted":
            return (SortKey(Need.wanted_from, nullable=True), *newest_first(Need))
        return super().order(sort)

    def listed_columns(self) -> tuple[Any, ...]:
        return (
            *super().listed_columns(),
            Need.priority,
            Need.theme_id,
            Need.district_id,
            Need.wanted_from,
            Need.wanted_until,
        )

    def listed(self, rows: list[Any], titles: list[ShownText]) -> list[ListedNeed]:
        # No query but for the names the kept reference lists do not hold (none, usually).
        themes = reference_lists.names("themes", (row.theme_id for row in rows))
        districts = reference_lists.names("districts", (row.district_id for row in rows))
        organisations = reference_lists.names(
            "organisations", (row.organisation_id for row in rows)
        )
        return [
            ListedNeed(
                id=row.id,
                title=title,
                priority=row.priority,
                status=row.status,
                theme=themes[row.theme_id],
                organisation=organisations[row.organisation_id],
                district=districts[row.district_id] if row.district_id is not None else None,
                wanted_from=row.wanted_from,
                wanted_until=row.wanted_until,
                created_at=row.created_at,
            )
            for row, title in zip(rows, titles, strict=True)
        ]

    def list_options(self) -> tuple[Any, ...]:
        # Many-to-one rows come in the same query (joins); the title's language versions in
        # one more (Text.versions is selectin).
        return (
            joinedload(Need.title),
            joinedload(Need.theme),
            joinedload(Need.organisation),
            joinedload(Need.district),
        )


service = NeedService()

# The names the rest of the portal (and its commands and tests) calls.
EDITABLE_FIELDS = service.editable_fields
can_create_need = service.can_create
is_owner = service.is_owner
actions_for = service.actions_for
detail_options = service.detail_options
create_need = service.create
update_need = service.update
publish_need = service.publish
withdraw_need = service.withdraw
close_need = service.close
needs_query = service.query
list_needs = service.list
