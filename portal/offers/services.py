"""Writing, listing and permission checks for offers of expertise.

The same shape as the needs services: every write takes the acting user explicitly, refuses when
the agreement is no longer writable, records an audit event and commits; lists go through
``offers_query``, which applies ``Offer.visible_to`` in SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import Forbidden

from portal.audit import services as audit
from portal.content.models import CONTENT_LANGUAGES, Text
from portal.content.search import any_version_contains
from portal.core.conflicts import EditConflict, check_version
from portal.core.enums import HelpKind, OfferStatus, Visibility
from portal.core.transitions import IllegalTransition
from portal.core.types import utcnow
from portal.core.visibility import is_signed_in
from portal.extensions import db
from portal.needs.services import clean_text
from portal.offers.models import Offer
from portal.reference.models import Theme

if TYPE_CHECKING:
    from portal.accounts.models import User
    from portal.agreements.models import Agreement

# What "current offers" means on the list.
LIVE_STATUSES: tuple[OfferStatus, ...] = (OfferStatus.OPEN,)
SORTS = ("newest", "available")
TITLE_MAX = 200
DESCRIPTION_MAX = 20_000
CAPACITY_MAX = 100_000
MAX_PAGE = 10_000

# What update_offer may change. Organisation, author, agreement, status and committed capacity
# are not among them: committed days move only with agreed matches.
EDITABLE_FIELDS = frozenset(
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


class InvalidOffer(ValueError):
    """The values given cannot make a valid offer. ``field`` names the form field to blame."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# ---------------------------------------------------------------- permissions


def can_create_offer(user: User | None) -> bool:
    return is_signed_in(user) and user is not None and user.is_expert


def is_owner(user: User | None, offer: Offer) -> bool:
    """An expert of the organisation that made the offer."""
    return (
        is_signed_in(user)
        and user is not None
        and user.is_expert
        and user.organisation_id == offer.organisation_id
    )


@dataclass(frozen=True)
class OfferActions:
    """What ``user`` may do to an offer now; the page shows a button exactly when it is True."""

    edit: bool = False
    publish: bool = False
    withdraw: bool = False

    @property
    def any(self) -> bool:
        return self.edit or self.publish or self.withdraw


def actions_for(user: User | None, offer: Offer) -> OfferActions:
    if not is_owner(user, offer) or offer.agreement.has_expired():
        return OfferActions()
    return OfferActions(
        edit=offer.can_edit(user),
        publish=offer.status == OfferStatus.DRAFT,
        withdraw=offer.can_transition(OfferStatus.WITHDRAWN),
    )


def default_visibility(themes: list[Theme]) -> Visibility:
    """An offer touching critical infrastructure is for signed-in partners by default; the
    offer itself tells nothing about a facility's state, so it need not be restricted."""
    return Visibility.PARTNERS if any(t.is_critical for t in themes) else Visibility.PUBLIC


def _ensure_owner(actor: User | None, offer: Offer) -> None:
    if not is_owner(actor, offer):
        raise Forbidden(_("Only experts of the organisation that made an offer may change it."))


# ---------------------------------------------------------------- writes


def _snapshot(offer: Offer) -> dict[str, Any]:
    """The offer's columns, its themes and every language version of its texts."""
    data = audit.snapshot(offer)
    data["themes"] = sorted(t.code for t in offer.themes)
    data["title"] = {v.lang: v.body for v in offer.title.versions}
    data["description"] = {v.lang: v.body for v in offer.description.versions}
    return data


def _check(offer: Offer) -> None:
    if not offer.title.original.strip():
        raise InvalidOffer(_("Enter a title."), "title")
    if not offer.description.original.strip():
        raise InvalidOffer(_("Describe the expertise you offer."), "description")
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


def _check_lang(lang: str) -> None:
    if lang not in CONTENT_LANGUAGES:
        raise InvalidOffer(_("Choose the language the text is written in."), "lang")


def create_offer(
    actor: User,
    *,
    title: str,
    description: str,
    lang: str,
    themes: list[Theme],
    help_kind: HelpKind,
    capacity_days: int,
    available_from: date,
    available_until: date,
    visibility: Visibility | None = None,
    agreement: Agreement | None = None,
) -> Offer:
    """Make a draft offer for the actor's organisation. Without a visibility, an offer on a
    critical-infrastructure theme is for partners and the others public."""
    if not can_create_offer(actor):
        raise Forbidden(_("Only experts may make offers."))
    if agreement is None:
        from portal.agreements.services import default_agreement

        agreement = default_agreement()
    agreement.ensure_writable()
    _check_lang(lang)
    themes = list(dict.fromkeys(themes))  # keep the order, drop repeats
    offer = Offer(
        agreement=agreement,
        organisation_id=actor.organisation_id,
        created_by=actor,
        themes=themes,
        title=Text.new(clean_text(title), lang, actor),
        description=Text.new(clean_text(description), lang, actor),
        help_kind=HelpKind(help_kind),
        capacity_days=capacity_days,
        committed_days=0,
        available_from=available_from,
        available_until=available_until,
        visibility=Visibility(visibility) if visibility else default_visibility(themes),
        status=OfferStatus.DRAFT,
    )
    _check(offer)
    db.session.add(offer)
    db.session.flush()
    audit.record(actor, "create", "offer", offer.id, after=_snapshot(offer))
    db.session.commit()
    return offer


def _set_text(text: Text, lang: str, body: str, actor: User) -> bool:
    body = clean_text(body)
    current = text.version(lang)
    if current is not None and current.body == body:
        return False
    text.set_version(lang, body, actor)
    return True


def _apply(offer: Offer, lang: str, changes: dict[str, Any], actor: User) -> bool:
    changed = False
    for name in ("title", "description"):
        body = changes.pop(name, None)
        if body is not None:
            changed |= _set_text(getattr(offer, name), lang, body, actor)
    themes = changes.pop("themes", None)
    if themes is not None:
        themes = list(dict.fromkeys(themes))
        if {t.id for t in themes} != {t.id for t in offer.themes}:
            offer.themes = themes
            changed = True
    for key, value in changes.items():
        if key == "help_kind":
            value = HelpKind(value)
        elif key == "visibility":
            value = Visibility(value)
        if getattr(offer, key) != value:
            setattr(offer, key, value)
            changed = True
    return changed


def update_offer(actor: User, offer: Offer, *, expected_version: int, **changes: Any) -> Offer:
    """Change an offer that ``actor`` may edit, if nobody saved it since ``expected_version``.

    Texts are written as the version in ``lang`` (the original language by default);
    ``visibility=None`` keeps the visibility. Raises ``EditConflict`` when the offer changed
    meanwhile, ``TypeError`` for a field that cannot be changed here.
    """
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"update_offer cannot change {', '.join(sorted(unknown))}")
    if not offer.can_edit(actor):
        raise Forbidden(_("You may not edit this offer."))
    offer.agreement.ensure_writable()
    check_version(offer, expected_version)

    before = _snapshot(offer)
    lang = changes.pop("lang", None) or offer.title.original_lang
    _check_lang(lang)
    if changes.get("visibility", "keep") is None:
        changes.pop("visibility")
    try:
        # One flush at the end: each autoflush on the way would bump the version again.
        with db.session.no_autoflush:
            if not _apply(offer, lang, changes, actor):
                return offer
            _check(offer)
        # Texts and themes live in other tables; touching the row bumps the version so that a
        # concurrent editor is warned of those changes too.
        offer.updated_at = utcnow()
        db.session.flush()
    except InvalidOffer:
        db.session.rollback()
        raise
    except StaleDataError:  # saved by someone else between our check and our write
        db.session.rollback()
        raise EditConflict(offer, expected_version) from None
    audit.record(actor, "update", "offer", offer.id, before, _snapshot(offer))
    db.session.commit()
    return offer


def _transition(actor: User, offer: Offer, target: OfferStatus, action: str) -> Offer:
    _ensure_owner(actor, offer)
    offer.agreement.ensure_writable()
    before = audit.snapshot(offer)
    offer.transition(target)
    db.session.flush()
    audit.record(actor, action, "offer", offer.id, before, audit.snapshot(offer))
    db.session.commit()
    return offer


def publish_offer(actor: User, offer: Offer) -> Offer:
    """Draft → open: the offer becomes visible beyond its organisation."""
    _ensure_owner(actor, offer)
    if offer.status != OfferStatus.DRAFT:
        # open is also reachable from committed, but that follows the capacity, not publishing
        raise IllegalTransition(
            _(
                "Only a draft can be published; this offer is %(status)s.",
                status=offer.status.label.lower(),
            )
        )
    return _transition(actor, offer, OfferStatus.OPEN, "publish")


def withdraw_offer(actor: User, offer: Offer) -> Offer:
    return _transition(actor, offer, OfferStatus.WITHDRAWN, "withdraw")


# ---------------------------------------------------------------- lists and search


@dataclass
class OfferFilters:
    """What a list of offers is narrowed to. ``statuses=None`` means every status."""

    statuses: tuple[OfferStatus, ...] | None = LIVE_STATUSES
    theme_id: int | None = None
    help_kind: HelpKind | None = None
    organisation_id: int | None = None
    q: str = ""
    sort: str = "newest"


def _order(sort: str) -> list[Any]:
    if sort == "available":
        return [Offer.available_from.asc(), Offer.created_at.desc(), Offer.id.desc()]
    return [Offer.created_at.desc(), Offer.id.desc()]


def offers_query(viewer: User | None, filters: OfferFilters) -> Select[tuple[Offer]]:
    """The offers ``viewer`` may see that match ``filters``, sorted, with what a list shows
    eager-loaded so that the page costs the same number of queries for any number of rows."""
    stmt = select(Offer).where(Offer.visible_to(viewer))
    if filters.statuses is not None:
        stmt = stmt.where(Offer.status.in_(filters.statuses))
    if filters.theme_id is not None:
        stmt = stmt.where(Offer.themes.any(Theme.id == filters.theme_id))
    if filters.help_kind is not None:
        stmt = stmt.where(Offer.help_kind == filters.help_kind)
    if filters.organisation_id is not None:
        stmt = stmt.where(Offer.organisation_id == filters.organisation_id)
    q = clean_text(filters.q)
    if q:
        stmt = stmt.where(any_version_contains([Offer.title_id, Offer.description_id], q))
    return stmt.order_by(*_order(filters.sort)).options(
        joinedload(Offer.title),
        selectinload(Offer.themes),
        joinedload(Offer.organisation),
    )


def detail_options() -> tuple[Any, ...]:
    """What an offer's page shows of the offer itself, loaded with it (a function, as in
    portal.needs.services)."""
    return (
        joinedload(Offer.title),
        joinedload(Offer.description),
        joinedload(Offer.organisation),
        selectinload(Offer.themes),
    )


def list_offers(
    viewer: User | None, filters: OfferFilters, page: int = 1, per_page: int = 20
) -> Pagination:
    return db.paginate(
        offers_query(viewer, filters),
        page=min(max(page, 1), MAX_PAGE),
        per_page=max(per_page, 1),
        error_out=False,
    )
