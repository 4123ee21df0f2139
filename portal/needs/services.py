"""Writing, listing and permission checks for needs.

Every write takes the acting user explicitly, refuses when the agreement is no longer writable,
records an audit event and commits. Lists and search go through ``needs_query``, which applies
``Need.visible_to`` in SQL, so a need a user may not see never reaches them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, case, nulls_last, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import Forbidden

from portal.audit import services as audit
from portal.content.models import CONTENT_LANGUAGES, Text
from portal.content.search import any_version_contains
from portal.core.conflicts import EditConflict, check_version
from portal.core.enums import HelpKind, NeedStatus, Priority, Visibility
from portal.core.transitions import IllegalTransition
from portal.core.types import utcnow
from portal.core.visibility import is_signed_in
from portal.extensions import db
from portal.needs.models import Need

if TYPE_CHECKING:
    from portal.accounts.models import User
    from portal.agreements.models import Agreement
    from portal.reference.models import District, Theme

# What "current needs" means on the list: posted and not yet finished.
LIVE_STATUSES: tuple[NeedStatus, ...] = (
    NeedStatus.OPEN,
    NeedStatus.MATCHED,
    NeedStatus.IN_PROJECT,
)
SORTS = ("newest", "priority", "wanted")
TITLE_MAX = 200
DESCRIPTION_MAX = 20_000
PERSON_DAYS_MAX = 100_000
# Deep pages cost the database a long scan and overflow its integers; nobody reads page 10 001.
MAX_PAGE = 10_000

# What update_need may change. Organisation, author, agreement and status are not among them:
# the organisation owns the need for its whole life, and status moves only by transitions.
EDITABLE_FIELDS = frozenset(
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


# Control characters a browser never sends in text; PostgreSQL refuses NUL outright.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: str | None) -> str:
    """User text as stored and searched: no control characters, ``\n`` line ends, trimmed."""
    value = _CONTROL.sub("", value or "")
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


class InvalidNeed(ValueError):
    """The values given cannot make a valid need. ``field`` names the form field to blame."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# ---------------------------------------------------------------- permissions


def can_create_need(user: User | None) -> bool:
    return is_signed_in(user) and user is not None and user.is_requester


def is_owner(user: User | None, need: Need) -> bool:
    """A requester of the organisation that posted the need."""
    return (
        is_signed_in(user)
        and user is not None
        and user.is_requester
        and user.organisation_id == need.organisation_id
    )


@dataclass(frozen=True)
class NeedActions:
    """What ``user`` may do to a need now; the page shows a button exactly when it is True."""

    edit: bool = False
    publish: bool = False
    withdraw: bool = False
    close: bool = False

    @property
    def any(self) -> bool:
        return self.edit or self.publish or self.withdraw or self.close


def actions_for(user: User | None, need: Need) -> NeedActions:
    if not is_owner(user, need) or need.agreement.has_expired():
        return NeedActions()
    return NeedActions(
        edit=need.can_edit(user),
        publish=need.status == NeedStatus.DRAFT,
        withdraw=need.can_transition(NeedStatus.WITHDRAWN),
        close=need.can_transition(NeedStatus.CLOSED),
    )


def default_visibility(theme: Theme) -> Visibility:
    """Critical infrastructure is restricted by default: under martial law Ukraine forbids
    publishing the state of such facilities."""
    return Visibility.RESTRICTED if theme.is_critical else Visibility.PUBLIC


def _ensure_owner(actor: User | None, need: Need) -> None:
    if not is_owner(actor, need):
        raise Forbidden(_("Only requesters of the organisation that posted a need may change it."))


# ---------------------------------------------------------------- writes


def _snapshot(need: Need) -> dict[str, Any]:
    """The need's columns plus every language version of its texts, for the audit trail."""
    data = audit.snapshot(need)
    data["title"] = {v.lang: v.body for v in need.title.versions}
    data["description"] = {v.lang: v.body for v in need.description.versions}
    return data


def _check(need: Need) -> None:
    if not need.title.original.strip():
        raise InvalidNeed(_("Enter a title."), "title")
    if not need.description.original.strip():
        raise InvalidNeed(_("Describe what is needed."), "description")
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


def _check_lang(lang: str) -> None:
    if lang not in CONTENT_LANGUAGES:
        raise InvalidNeed(_("Choose the language the text is written in."), "lang")


def create_need(
    actor: User,
    *,
    title: str,
    description: str,
    lang: str,
    theme: Theme,
    priority: Priority,
    help_kind: HelpKind,
    visibility: Visibility | None = None,
    district: District | None = None,
    wanted_from: date | None = None,
    wanted_until: date | None = None,
    person_days: int | None = None,
    agreement: Agreement | None = None,
) -> Need:
    """Post a draft need for the actor's organisation. Without a visibility, critical
    infrastructure themes are restricted and the others public."""
    if not can_create_need(actor):
        raise Forbidden(_("Only requesters may post needs."))
    if agreement is None:
        from portal.agreements.services import default_agreement

        agreement = default_agreement()
    agreement.ensure_writable()
    _check_lang(lang)
    need = Need(
        agreement=agreement,
        organisation_id=actor.organisation_id,
        created_by=actor,
        theme=theme,
        district=district,
        title=Text.new(clean_text(title), lang, actor),
        description=Text.new(clean_text(description), lang, actor),
        priority=Priority(priority),
        help_kind=HelpKind(help_kind),
        visibility=Visibility(visibility) if visibility else default_visibility(theme),
        wanted_from=wanted_from,
        wanted_until=wanted_until,
        person_days=person_days,
        status=NeedStatus.DRAFT,
    )
    _check(need)
    db.session.add(need)
    db.session.flush()
    audit.record(actor, "create", "need", need.id, after=_snapshot(need))
    db.session.commit()
    return need


def _set_text(text: Text, lang: str, body: str, actor: User) -> bool:
    body = clean_text(body)
    current = text.version(lang)
    if current is not None and current.body == body:
        return False
    text.set_version(lang, body, actor)
    return True


def update_need(actor: User, need: Need, *, expected_version: int, **changes: Any) -> Need:
    """Change a need that ``actor`` may edit, if nobody saved it since ``expected_version``.

    ``title`` and ``description`` are written as the version in ``lang`` (the original
    language by default): editing in the original language changes the original, another
    language adds or changes that translation. ``visibility=None`` keeps the visibility.
    Raises ``EditConflict`` when the need changed meanwhile, ``TypeError`` for a field that
    cannot be changed here.
    """
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"update_need cannot change {', '.join(sorted(unknown))}")
    if not need.can_edit(actor):
        raise Forbidden(_("You may not edit this need."))
    need.agreement.ensure_writable()
    check_version(need, expected_version)

    before = _snapshot(need)
    lang = changes.pop("lang", None) or need.title.original_lang
    _check_lang(lang)
    if changes.get("visibility", "keep") is None:
        changes.pop("visibility")
    try:
        # One flush at the end: each autoflush on the way would bump the version again.
        with db.session.no_autoflush:
            changed = _apply(need, lang, changes, actor)
            if not changed:
                return need
            _check(need)
        # A change to the texts alone leaves the row clean; touching it bumps the version so
        # that a concurrent editor of the title is warned too.
        need.updated_at = utcnow()
        db.session.flush()
    except InvalidNeed:
        db.session.rollback()
        raise
    except StaleDataError:  # saved by someone else between our check and our write
        db.session.rollback()
        raise EditConflict(need, expected_version) from None
    audit.record(actor, "update", "need", need.id, before, _snapshot(need))
    db.session.commit()
    return need


def _apply(need: Need, lang: str, changes: dict[str, Any], actor: User) -> bool:
    changed = False
    for name in ("title", "description"):
        body = changes.pop(name, None)
        if body is not None:
            changed |= _set_text(getattr(need, name), lang, body, actor)
    for key, value in changes.items():
        if key == "priority":
            value = Priority(value)
        elif key == "help_kind":
            value = HelpKind(value)
        elif key == "visibility":
            value = Visibility(value)
        if getattr(need, key) != value:
            setattr(need, key, value)
            changed = True
    return changed


def _transition(actor: User, need: Need, target: NeedStatus, action: str) -> Need:
    _ensure_owner(actor, need)
    need.agreement.ensure_writable()
    before = audit.snapshot(need)
    need.transition(target)
    db.session.flush()
    audit.record(actor, action, "need", need.id, before, audit.snapshot(need))
    db.session.commit()
    return need


def publish_need(actor: User, need: Need) -> Need:
    """Draft → open: the need becomes visible beyond its organisation."""
    _ensure_owner(actor, need)
    if need.status != NeedStatus.DRAFT:
        # open is also reachable from matched, but that is the matching's business, not publishing
        raise IllegalTransition(
            _(
                "Only a draft can be published; this need is %(status)s.",
                status=need.status.label.lower(),
            )
        )
    return _transition(actor, need, NeedStatus.OPEN, "publish")


def withdraw_need(actor: User, need: Need) -> Need:
    return _transition(actor, need, NeedStatus.WITHDRAWN, "withdraw")


def close_need(actor: User, need: Need) -> Need:
    return _transition(actor, need, NeedStatus.CLOSED, "close")


# ---------------------------------------------------------------- lists and search


@dataclass
class NeedFilters:
    """What a list of needs is narrowed to. ``statuses=None`` means every status."""

    statuses: tuple[NeedStatus, ...] | None = LIVE_STATUSES
    theme_id: int | None = None
    priority: Priority | None = None
    help_kind: HelpKind | None = None
    district_id: int | None = None
    organisation_id: int | None = None
    q: str = ""
    sort: str = "newest"


def _order(sort: str) -> list[Any]:
    if sort == "priority":
        rank = case(*((Need.priority == p, p.rank) for p in Priority), else_=len(Priority))
        return [rank, Need.created_at.desc(), Need.id.desc()]
    if sort == "wanted":
        return [nulls_last(Need.wanted_from.asc()), Need.created_at.desc(), Need.id.desc()]
    return [Need.created_at.desc(), Need.id.desc()]


def needs_query(viewer: User | None, filters: NeedFilters) -> Select[tuple[Need]]:
    """The needs ``viewer`` may see that match ``filters``, sorted, with what a list shows
    eager-loaded so that the page costs the same number of queries for any number of rows."""
    stmt = select(Need).where(Need.visible_to(viewer))
    if filters.statuses is not None:
        stmt = stmt.where(Need.status.in_(filters.statuses))
    if filters.theme_id is not None:
        stmt = stmt.where(Need.theme_id == filters.theme_id)
    if filters.priority is not None:
        stmt = stmt.where(Need.priority == filters.priority)
    if filters.help_kind is not None:
        stmt = stmt.where(Need.help_kind == filters.help_kind)
    if filters.district_id is not None:
        stmt = stmt.where(Need.district_id == filters.district_id)
    if filters.organisation_id is not None:
        stmt = stmt.where(Need.organisation_id == filters.organisation_id)
    q = clean_text(filters.q)
    if q:
        stmt = stmt.where(any_version_contains([Need.title_id, Need.description_id], q))
    # Many-to-one rows come in the same query (joins); the title's language versions in one
    # more (Text.versions is selectin).
    return stmt.order_by(*_order(filters.sort)).options(
        joinedload(Need.title),
        joinedload(Need.theme),
        joinedload(Need.organisation),
        joinedload(Need.district),
    )


def detail_options() -> tuple[Any, ...]:
    """What a need's page shows of the need itself, joined into the one query that loads it.
    (A function: loader options configure the mappers, which needs every model imported.)"""
    return (
        joinedload(Need.title),
        joinedload(Need.description),
        joinedload(Need.theme),
        joinedload(Need.district),
        joinedload(Need.organisation),
    )


def list_needs(
    viewer: User | None, filters: NeedFilters, page: int = 1, per_page: int = 20
) -> Pagination:
    return db.paginate(
        needs_query(viewer, filters),
        page=min(max(page, 1), MAX_PAGE),
        per_page=max(per_page, 1),
        error_out=False,
    )
