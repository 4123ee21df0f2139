"""Writing, listing and the actions of postings (needs and offers), written once.

``PostingService`` holds what both kinds do; ``portal.needs.services`` and
``portal.offers.services`` each make one with their hooks (the columns only a kind has, its checks,
filters and sorts) and export its methods under the names the rest of the portal uses.

Every write takes the acting user explicitly, refuses when the agreement is no longer writable,
records an audit event and flushes; the request (or the command) commits. A refused write raises
and writes nothing: ``InvalidPosting`` for values that cannot make a valid posting,
``EditConflict`` for a stale version, ``Forbidden`` and ``IllegalTransition`` for the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import astuple, dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from flask import has_request_context
from flask_babel import LazyString
from flask_babel import gettext as _
from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload, lazyload
from werkzeug.exceptions import Forbidden

from portal.agreements.models import Agreement
from portal.audit import services as audit
from portal.content.models import CONTENT_LANGUAGES, ShownText, Text, shown_texts, with_text_in
from portal.content.search import any_version_contains
from portal.core.conflicts import check_version
from portal.core.counts import count_list
from portal.core.enums import HelpKind, Visibility
from portal.core.i18n import current_language
from portal.core.keyset import KeysetPage, Order, SortKey, keyset_page
from portal.core.text import clean_text
from portal.core.transitions import IllegalTransition
from portal.core.types import utcnow
from portal.core.visibility import Scope, is_signed_in
from portal.extensions import db
from portal.reference.models import Organisation

if TYPE_CHECKING:
    from portal.accounts.models import User
    from portal.agreements.models import Agreement

TITLE_MAX = 200
DESCRIPTION_MAX = 20_000

Posting = TypeVar("Posting", bound=Any)


def newest_first(model: Any) -> tuple[SortKey, ...]:
    return (SortKey(model.created_at, descending=True), SortKey(model.id, descending=True))


class InvalidPosting(ValueError):
    """The values given cannot make a valid posting. ``field`` names the form field to blame."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class PostingActions:
    """What a user may do to a posting now; the page shows a button exactly when it is True."""

    edit: bool = False
    publish: bool = False
    withdraw: bool = False
    close: bool = False

    @property
    def any(self) -> bool:
        return self.edit or self.publish or self.withdraw or self.close


@dataclass
class PostingFilters:
    """What a list of postings is narrowed to. ``statuses=None`` means every status; each kind
    sets its own default and adds its own filters."""

    statuses: tuple[Any, ...] | None = None
    theme_id: int | None = None
    help_kind: HelpKind | None = None
    organisation_id: int | None = None
    q: str = ""
    sort: str = "newest"


class PostingService(Generic[Posting]):
    """The services of one kind of posting. Subclasses set the class attributes and override
    the hooks (the methods documented as such)."""

    model: ClassVar[Any]  # the kind's model class (Need, Offer)
    # The record type in the audit trail ("need", "offer").
    kind: ClassVar[str]
    # What update may change. Organisation, author, agreement and status are never among them:
    # the organisation owns the posting for its whole life, and status moves only by transitions.
    editable_fields: ClassVar[frozenset[str]]
    # What create must be given besides the texts, their language and the kind of help.
    required_fields: ClassVar[frozenset[str]] = frozenset()
    # Turn the values of these fields into their enum.
    enums: ClassVar[dict[str, type]] = {"help_kind": HelpKind, "visibility": Visibility}
    # The status "close" leads to, for a kind that can be closed (from which statuses is the
    # model's transitions table's business).
    closed_status: ClassVar[Any] = None

    # Messages: each kind says them in its own words.
    create_refused: ClassVar[LazyString]
    change_refused: ClassVar[LazyString]
    edit_refused: ClassVar[LazyString]
    publish_refused: ClassVar[LazyString]
    describe: ClassVar[LazyString]

    # ------------------------------------------------------------ permissions

    def can_create(self, user: User | None) -> bool:
        return is_signed_in(user) and getattr(user, self.model.owner_role)

    def is_owner(self, user: User | None, posting: Posting) -> bool:
        return bool(posting.is_owned_by(user))

    def actions_for(self, user: User | None, posting: Posting) -> PostingActions:
        if not self.is_owner(user, posting) or posting.agreement.has_expired():
            return PostingActions()
        draft = self.model.Status("draft")
        return PostingActions(
            edit=posting.can_edit(user),
            publish=posting.status == draft,
            withdraw=posting.can_transition(self.model.Status("withdrawn")),
            close=self.closed_status is not None and posting.can_transition(self.closed_status),
        )

    def _ensure_owner(self, actor: User | None, posting: Posting) -> None:
        if not self.is_owner(actor, posting):
            raise Forbidden(str(self.change_refused))

    # ------------------------------------------------------------ hooks

    def default_visibility(self, values: dict[str, Any]) -> Visibility:
        """Hook: the visibility of a new posting made without one."""
        return Visibility.PUBLIC

    def prepare(self, values: dict[str, Any]) -> dict[str, Any]:
        """Hook: the kind's own values as the model takes them (repeats dropped, say)."""
        return values

    def check(self, posting: Posting) -> None:
        """Hook: refuse values of the kind's own columns with ``InvalidPosting``."""

    def apply(self, posting: Posting, key: str, value: Any) -> bool:
        """Hook: set one field other than the texts; True when it changed."""
        enum_class = self.enums.get(key)
        if enum_class is not None:
            value = enum_class(value)
        if getattr(posting, key) == value:
            return False
        setattr(posting, key, value)
        return True

    def snapshot_extra(self, posting: Posting) -> dict[str, Any]:
        """Hook: what the audit trail records beside the columns and the texts."""
        return {}

    def filter(self, stmt: Select[Any], filters: Any) -> Select[Any]:
        """Hook: the kind's own filters (and its theme filter)."""
        return stmt

    def order(self, sort: str) -> tuple[SortKey, ...]:
        """Hook: the order of a list (ending in the id); the newest first unless the kind knows
        another."""
        return newest_first(self.model)

    def list_options(self) -> tuple[Any, ...]:
        """Hook: what a list shows of each posting, eager-loaded so that a page costs the same
        number of queries for any number of rows."""
        return ()

    def listed_columns(self) -> tuple[Any, ...]:
        """Hook: the columns a list row shows, read by a Core select (no ORM rows: loading
        twenty postings with their relations cost more than rendering them)."""
        model = self.model
        return (model.id, model.title_id, model.status, model.organisation_id, model.created_at)

    def listed(self, rows: list[Any], titles: list[ShownText]) -> list[Any]:
        """Hook: the list's rows (``listed_columns``) as the list template shows them, with
        their titles (in the rows' order)."""
        raise NotImplementedError

    def detail_options(self) -> tuple[Any, ...]:
        """What a posting's page shows of it, loaded with it: what a list shows and the
        description. (A function: loader options configure the mappers, which needs every
        model imported.)"""
        # The agreement: whether it has expired decides the buttons of a signed-in reader.
        # The title's and the description's versions: both in one query after it
        # (``load_versions``), not one query each. No city: the page names none, and the
        # organisation's and the agreement's two would join the cities table three times
        # (21 of the statement's 81 columns).
        return (
            *self.list_options(),
            joinedload(self.model.organisation).lazyload(Organisation.city),
            joinedload(self.model.title).lazyload(Text.versions),
            joinedload(self.model.description).lazyload(Text.versions),
            joinedload(self.model.agreement).options(
                lazyload(Agreement.requester_city), lazyload(Agreement.expert_city)
            ),
        )

    # ------------------------------------------------------------ writes

    def snapshot(self, posting: Posting) -> dict[str, Any]:
        """The posting's columns, the kind's extras and every language version of its texts,
        for the audit trail."""
        data = audit.snapshot(posting)
        data.update(self.snapshot_extra(posting))
        data["title"] = {v.lang: v.body for v in posting.title.versions}
        data["description"] = {v.lang: v.body for v in posting.description.versions}
        return data

    def _check(self, posting: Posting) -> None:
        if not posting.title.original.strip():
            raise InvalidPosting(_("Enter a title."), "title")
        if not posting.description.original.strip():
            raise InvalidPosting(str(self.describe), "description")
        self.check(posting)

    def _check_lang(self, lang: str) -> None:
        if lang not in CONTENT_LANGUAGES:
            raise InvalidPosting(_("Choose the language the text is written in."), "lang")

    def create(
        self,
        actor: User,
        *,
        title: str,
        description: str,
        lang: str,
        help_kind: HelpKind,
        visibility: Visibility | None = None,
        agreement: Agreement | None = None,
        **values: Any,
    ) -> Posting:
        """A draft posting of the actor's organisation. Without a visibility, the kind's
        default for its themes."""
        unknown = set(values) - self.editable_fields
        missing = self.required_fields - set(values)
        if unknown or missing:
            raise TypeError(
                f"cannot create a {self.kind} with {sorted(unknown) or sorted(missing)}"
            )
        if not self.can_create(actor):
            raise Forbidden(str(self.create_refused))
        if agreement is None:
            from portal.agreements.services import default_agreement

            agreement = default_agreement()
        agreement.ensure_writable()
        self._check_lang(lang)
        values = self.prepare(values)
        posting = self.model(
            agreement=agreement,
            organisation_id=actor.organisation_id,
            created_by=actor,
            title=Text.new(clean_text(title), lang, actor),
            description=Text.new(clean_text(description), lang, actor),
            help_kind=HelpKind(help_kind),
            visibility=Visibility(visibility) if visibility else self.default_visibility(values),
            status=self.model.Status("draft"),
            **values,
        )
        self._check(posting)
        db.session.add(posting)
        db.session.flush()
        audit.record(actor, "create", self.kind, posting.id, after=self.snapshot(posting))
        return posting

    def update(
        self, actor: User, posting: Posting, *, expected_version: int, **changes: Any
    ) -> Posting:
        """Change a posting that ``actor`` may edit, if nobody saved it since
        ``expected_version``.

        ``title`` and ``description`` are written as the version in ``lang`` (the original
        language by default): editing in the original language changes the original, another
        language adds or changes that translation. ``visibility=None`` keeps the visibility.
        Raises ``EditConflict`` when the posting changed meanwhile (a write between our check
        and ours fails the flush with ``StaleDataError``, which the request answers with 409),
        ``TypeError`` for a field that cannot be changed here.
        """
        unknown = set(changes) - self.editable_fields - {"title", "description", "lang"}
        if unknown:
            raise TypeError(f"cannot change {', '.join(sorted(unknown))} of a {self.kind}")
        if not posting.can_edit(actor):
            raise Forbidden(str(self.edit_refused))
        posting.agreement.ensure_writable()
        check_version(posting, expected_version)

        before = self.snapshot(posting)
        lang = changes.pop("lang", None) or posting.title.original_lang
        self._check_lang(lang)
        if changes.get("visibility", "keep") is None:
            changes.pop("visibility")
        # Nothing reaches the database before the checks pass (a refusal leaves nothing to
        # undo), and one flush at the end: each autoflush on the way would bump the version.
        with db.session.no_autoflush:
            changed = False
            for name in ("title", "description"):
                body = changes.pop(name, None)
                if body is not None:
                    changed |= _set_text(getattr(posting, name), lang, body, actor)
            for key, value in changes.items():
                changed |= self.apply(posting, key, value)
            if not changed:
                return posting
            self._check(posting)
        # Texts (and an offer's themes) live in other tables; touching the row bumps the
        # version so that a concurrent editor is warned of those changes too.
        posting.updated_at = utcnow()
        db.session.flush()
        audit.record(actor, "update", self.kind, posting.id, before, self.snapshot(posting))
        return posting

    def transition(self, actor: User, posting: Posting, target: Any, action: str) -> Posting:
        self._ensure_owner(actor, posting)
        posting.agreement.ensure_writable()
        before = audit.snapshot(posting)
        posting.transition(target)
        db.session.flush()
        audit.record(actor, action, self.kind, posting.id, before, audit.snapshot(posting))
        return posting

    def publish(self, actor: User, posting: Posting) -> Posting:
        """Draft → open: the posting becomes visible beyond its organisation."""
        self._ensure_owner(actor, posting)
        if posting.status != self.model.Status("draft"):
            # open is also reachable later (a need's match falls through, an offer's capacity
            # comes back), but that is the matching's business, not publishing
            raise IllegalTransition(
                str(self.publish_refused) % {"status": posting.status.label.lower()}
            )
        return self.transition(actor, posting, self.model.Status("open"), "publish")

    def withdraw(self, actor: User, posting: Posting) -> Posting:
        return self.transition(actor, posting, self.model.Status("withdrawn"), "withdraw")

    def close(self, actor: User, posting: Posting) -> Posting:
        if self.closed_status is None:
            raise TypeError(f"a {self.kind} cannot be closed")
        return self.transition(actor, posting, self.closed_status, "close")

    # ------------------------------------------------------------ lists and search

    def filtered(self, viewer: User | None, filters: PostingFilters) -> Select[tuple[Posting]]:
        """The postings ``viewer`` may see that match ``filters``, in no order."""
        model = self.model
        stmt = select(model).where(model.visible_to(viewer))
        if filters.statuses is not None:
            stmt = stmt.where(model.status.in_(filters.statuses))
        stmt = self.filter(stmt, filters)
        if filters.help_kind is not None:
            stmt = stmt.where(model.help_kind == filters.help_kind)
        if filters.organisation_id is not None:
            stmt = stmt.where(model.organisation_id == filters.organisation_id)
        q = clean_text(filters.q)
        if q:
            stmt = stmt.where(any_version_contains([model.title_id, model.description_id], q))
        return stmt

    def list_order(self, sort: str) -> Order:
        return Order(f"{self.kind}:{sort}", self.order(sort))

    def query(self, viewer: User | None, filters: PostingFilters) -> Select[tuple[Posting]]:
        """The postings ``viewer`` may see that match ``filters``, sorted, with what a list
        shows eager-loaded."""
        order = self.list_order(filters.sort)
        return (
            self.filtered(viewer, filters).order_by(*order.order_by()).options(*self.list_options())
        )

    def list(
        self,
        viewer: User | None,
        filters: PostingFilters,
        args: Mapping[str, str] | None = None,
        per_page: int = 20,
        lang: str | None = None,
    ) -> KeysetPage:
        """The page of the list that ``args`` ask for (``after``/``before`` a cursor, an old
        ``page``; the first page without), with the list's count. Its items are what
        ``listed`` makes of the shown columns (``ListedNeed``, ``ListedOffer``), their titles
        read for a reader of ``lang`` (the request's language by default)."""
        lang = lang or (current_language() if has_request_context() else "en")
        scope = Scope.of(viewer)
        searched = bool(clean_text(filters.q))
        page = keyset_page(
            lambda: with_text_in(
                self.filtered(viewer, filters).with_only_columns(*self.listed_columns()),
                self.model.title_id,
                lang,
            ),
            self.list_order(filters.sort),
            args or {},
            per_page,
            whole_rows=True,
            # The first page's statement is kept per what it is built from (the visibility
            # rule reads the viewer only through the scope); a search's is not kept, one per
            # set of words.
            kept_as=None if searched else (self.kind, scope, astuple(filters), lang),
        )
        page.items = self.listed(
            page.items, shown_texts(page.items, [r.title_id for r in page.items], lang)
        )
        counted = replace(filters, sort="")
        page.count = count_list(
            lambda: self.filtered(viewer, filters),
            self.model.id,
            self.kind,
            scope.key,
            counted,
            searched=searched,
        )
        return page


def _set_text(text: Text, lang: str, body: str, actor: User) -> bool:
    body = clean_text(body)
    current = text.version(lang)
    if current is not None and current.body == body:
        return False
    text.set_version(lang, body, actor)
    return True
