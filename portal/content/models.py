"""One schema for every translatable field.

A translatable field (a need's title, a milestone's title, a status report's text...) points to a
``Text``; the ``Text`` knows its original language and holds one ``TextVersion`` per language. A
reader gets their own language where a version exists, else the original, marked as such.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple, Protocol

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    Select,
    String,
    UnicodeText,
    UniqueConstraint,
    and_,
    bindparam,
    event,
    false,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.orm import Mapped, Mapper, aliased, mapped_column, relationship
from sqlalchemy.orm.attributes import set_committed_value

from portal.core.records import register_record_kind
from portal.core.statements import read_columns
from portal.core.types import UTCDateTime, utcnow
from portal.extensions import Model, db

if TYPE_CHECKING:
    from portal.accounts.models import User

CONTENT_LANGUAGES = ("uk", "sv", "en")


@dataclass(frozen=True)
class Rendered:
    """What a reader sees of a text: the body, its language, and whether it is a fallback."""

    body: str
    lang: str
    is_fallback: bool  # True when the reader's language has no version and the original is shown
    wanted: str
    is_machine: bool = False  # a machine translation no person has reviewed yet

    def __str__(self) -> str:
        return self.body


class _Version(Protocol):
    @property
    def lang(self) -> str: ...
    @property
    def body(self) -> str: ...
    @property
    def is_machine(self) -> bool: ...


def render_versions(versions: Sequence[_Version], original_lang: str, lang: str) -> Rendered:
    """What a reader of ``lang`` sees of a text with these versions: their own language where
    it has a body, else the original (marked as a fallback)."""
    own = next((v for v in versions if v.lang == lang), None)
    if own is not None and own.body:
        return Rendered(own.body, lang, False, lang, own.is_machine)
    original = next((v for v in versions if v.lang == original_lang), None) or (
        versions[0] if versions else None
    )
    if original is None:
        return Rendered("", lang, False, lang)
    return Rendered(original.body, original.lang, True, lang)


class ShownVersion(NamedTuple):
    lang: str
    body: str
    is_machine: bool


@dataclass(frozen=True, slots=True)
class ShownText:
    """A text read for showing only, with the row it belongs to (a Core select, no ORM rows):
    rendered for a reader exactly as :meth:`Text.render` renders it."""

    original_lang: str
    versions: tuple[ShownVersion, ...]

    @property
    def original(self) -> str:
        """The body in the language it was written in, as :attr:`Text.original`."""
        return next((v.body for v in self.versions if v.lang == self.original_lang), "")

    def render(self, lang: str) -> Rendered:
        return render_versions(self.versions, self.original_lang, lang)


class Text(Model):
    __tablename__ = "texts"
    __table_args__ = (Index("ix_texts_owner", "owner_type", "owner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    original_lang: Mapped[str] = mapped_column(String(2))
    # The record the text belongs to (Indico's LinkMixin): its kind ("need", "milestone"…) and
    # id, written when the record is inserted (TextOwnerMixin). None only for a text nothing
    # refers to.
    owner_type: Mapped[str | None] = mapped_column(String(20))
    owner_id: Mapped[int | None] = mapped_column(Integer)

    versions: Mapped[list[TextVersion]] = relationship(
        back_populates="text", cascade="all, delete-orphan", lazy="selectin"
    )

    def version(self, lang: str) -> TextVersion | None:
        for v in self.versions:
            if v.lang == lang:
                return v
        return None

    @property
    def original(self) -> str:
        v = self.version(self.original_lang)
        return v.body if v else ""

    def render(self, lang: str) -> Rendered:
        return render_versions(self.versions, self.original_lang, lang)

    def shown(self) -> tuple[Any, ...]:
        """Everything a rendering of the text can show, in any language: its id, original
        language and each version (language, body, whether a machine wrote it). Part of the key
        of a kept part that shows it."""
        return (
            self.id,
            self.original_lang,
            tuple((v.lang, v.body, v.is_machine) for v in self.versions),
        )

    def missing_languages(self) -> list[str]:
        """Languages without a version a person wrote or approved (a machine draft awaits one)."""
        present = {v.lang for v in self.versions if v.body and not v.is_machine}
        return [lang for lang in CONTENT_LANGUAGES if lang not in present]

    def drafts(self) -> list[str]:
        """Languages whose version is a machine draft awaiting review."""
        return [v.lang for v in self.versions if v.body and v.is_machine]

    def set_version(self, lang: str, body: str, author: User | None) -> TextVersion:
        """A person's version: it replaces a machine draft in that language."""
        v = self.version(lang)
        if v is None:
            v = TextVersion(lang=lang, body=body, author=author)
            self.versions.append(v)
        else:
            v.body = body
            v.author = author
            v.written_at = utcnow()
            v.is_machine = False
        return v

    @classmethod
    def new(cls, body: str, lang: str, author: User | None) -> Text:
        text = cls(original_lang=lang)
        text.versions.append(TextVersion(lang=lang, body=body, author=author))
        return text


class TextVersion(Model):
    __tablename__ = "text_versions"
    __table_args__ = (
        UniqueConstraint("text_id", "lang"),
        # Search (LIKE '%words%' on ``folded``) through trigrams on PostgreSQL (pg_trgm). No
        # B-tree helps such a pattern, so on SQLite the index is declared empty (WHERE 0).
        Index(
            "ix_text_versions_folded_trgm",
            "folded",
            postgresql_using="gin",
            postgresql_ops={"folded": "gin_trgm_ops"},
            sqlite_where=text("0"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    text_id: Mapped[int] = mapped_column(ForeignKey("texts.id", ondelete="CASCADE"), index=True)
    lang: Mapped[str] = mapped_column(String(2))
    body: Mapped[str] = mapped_column(UnicodeText)
    # Case-folded copy for search: SQLite's lower() only folds ASCII, and Kyiv writes Cyrillic.
    # Read by SQL only (search, match suggestions), so pages loading texts leave it behind.
    folded: Mapped[str] = mapped_column(UnicodeText, default="", deferred=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Written by a translation provider (portal.translation) and not yet reviewed by a person.
    # Readers see it marked as such; a person's edit or approval clears it.
    is_machine: Mapped[bool] = mapped_column(default=False, server_default=false())
    written_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    text: Mapped[Text] = relationship(back_populates="versions")
    author: Mapped[User | None] = relationship()


@event.listens_for(TextVersion, "before_insert")
@event.listens_for(TextVersion, "before_update")
def _fold_for_search(mapper: object, connection: object, version: TextVersion) -> None:
    version.folded = fold(version.body)


# kind → model, filled as the domain models are defined (TextOwnerMixin).
TEXT_OWNERS: dict[str, type[Any]] = {}


class TextOwnerMixin:
    """A record whose translatable fields are ``Text`` rows. The model names its kind and its
    fields (field name → the column holding the text's id); when the record is inserted its texts
    learn who owns them, so that finding a text's record is one lookup, not a probe of every
    table that might refer to it.

    ``__text_kind__ = "need"`` and ``__text_fields__ = {"title": "title_id", …}``."""

    __text_kind__: ClassVar[str]
    __text_fields__: ClassVar[dict[str, str]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        kind = cls.__dict__.get("__text_kind__")
        if kind is not None:
            TEXT_OWNERS[kind] = cls
            register_record_kind(kind, cls)

    def text_field(self, text_id: int) -> str:
        """Which of the record's fields the text is (title, description, body)."""
        for name, column in self.__text_fields__.items():
            if getattr(self, column) == text_id:
                return name
        raise LookupError(text_id)


@event.listens_for(TextOwnerMixin, "after_insert", propagate=True)
def _own_texts(mapper: Mapper[Any], connection: Any, record: TextOwnerMixin) -> None:
    kind = type(record).__text_kind__
    ids = [getattr(record, column) for column in type(record).__text_fields__.values()]
    connection.execute(
        update(Text).where(Text.id.in_(ids)).values(owner_type=kind, owner_id=record.id)  # type: ignore[attr-defined]
    )
    # The texts in this session say so too, without asking the database again.
    for name in type(record).__text_fields__:
        text_row = getattr(record, name, None)
        if isinstance(text_row, Text):
            set_committed_value(text_row, "owner_type", kind)
            set_committed_value(text_row, "owner_id", record.id)  # type: ignore[attr-defined]


@cache
def _versions_of() -> Select[Any]:
    """``load_versions``'s statement, built once (building and hashing it anew cost a record
    page more than running it)."""
    return (
        select(TextVersion)
        .where(TextVersion.text_id.in_(bindparam("text_ids", expanding=True)))
        .order_by(TextVersion.id)
    )


def load_versions(texts: Iterable[Text | None]) -> None:
    """Every version of these texts in one query, put in place as if loaded with them: a page
    showing the texts of a record and of its milestones, reports and matches reads them at
    once, where loading ``Text.versions`` along each path costs a query per path. Texts whose
    versions are loaded already are left as they are. Pair with ``lazyload(Text.versions)`` on
    those paths."""
    wanted = {
        text.id: text for text in texts if text is not None and "versions" not in inspect(text).dict
    }
    if not wanted:
        return
    found: dict[int, list[TextVersion]] = {text_id: [] for text_id in wanted}
    for version in db.session.scalars(_versions_of(), {"text_ids": sorted(wanted)}):
        found[version.text_id].append(version)
    for text_id, versions in found.items():
        set_committed_value(wanted[text_id], "versions", versions)


@cache
def _texts_with_versions() -> Select[int, str, str, str, bool]:
    """``load_texts``'s statement, built once, the ids as an expanding parameter."""
    return (
        select(
            Text.id, Text.original_lang, TextVersion.lang, TextVersion.body, TextVersion.is_machine
        )
        .outerjoin(TextVersion, TextVersion.text_id == Text.id)
        .where(Text.id.in_(bindparam("text_ids", expanding=True)))
        .order_by(Text.id, TextVersion.id)
    )


def load_texts(ids: Iterable[int]) -> dict[int, ShownText]:
    """The texts with these ids and all their versions, for showing, in exactly one query
    (also when there are none, so that a page's query count does not depend on the data): a
    Core select of the shown columns, no ORM rows."""
    wanted = sorted(set(ids))
    original: dict[int, str] = {}
    versions: dict[int, list[ShownVersion]] = {}
    for text_id, original_lang, lang, body, is_machine in read_columns(
        _texts_with_versions(), {"text_ids": wanted}
    ):
        original[text_id] = original_lang
        found = versions.setdefault(text_id, [])
        if lang is not None:
            found.append(ShownVersion(lang, body, is_machine))
    return {
        text_id: ShownText(lang, tuple(versions[text_id])) for text_id, lang in original.items()
    }


class _ShownColumns:
    """The two versions of a text that :func:`with_text_in` joins, and its labelled columns:
    made once (an alias and its labels cost more to build than the list's rows to read) and
    joined into each statement at most once."""

    def __init__(self) -> None:
        self.own = aliased(TextVersion, name="text_own")
        self.original = aliased(TextVersion, name="text_original")
        self.columns = (
            Text.original_lang.label("text_original_lang"),
            self.original.body.label("text_original_body"),
            self.original.is_machine.label("text_original_is_machine"),
            self.own.body.label("text_own_body"),
            self.own.is_machine.label("text_own_is_machine"),
        )


@cache
def _shown_columns() -> _ShownColumns:
    return _ShownColumns()


def with_text_in(stmt: Select[Any], text_id: Any, lang: str) -> Select[Any]:
    """``stmt`` with what shows the text ``text_id`` to a reader of ``lang``, joined in: its
    version in ``lang`` (body, whether a machine wrote it) and its original (language, body).
    A list of twenty rows then reads its titles in its own query instead of one more, and only
    the two versions a reader can be shown. :func:`shown_texts` makes them ``ShownText``s."""
    shown = _shown_columns()
    own, original = shown.own, shown.original
    return (
        stmt.add_columns(*shown.columns)
        .join(Text, Text.id == text_id)
        .outerjoin(original, and_(original.text_id == text_id, original.lang == Text.original_lang))
        .outerjoin(own, and_(own.text_id == text_id, own.lang == lang))
    )


def shown_texts(rows: Sequence[Any], text_ids: Sequence[int], lang: str) -> list[ShownText]:
    """The texts of ``rows`` (selected by :func:`with_text_in` for ``lang``; ``text_ids`` are
    their ids, in the same order), rendered for ``lang`` exactly as with every version. A
    text without its original version (none is made so) is read whole, in one query."""
    shown: list[ShownText | None] = []
    for row in rows:
        if row.text_original_body is None:
            shown.append(None)
            continue
        versions = [
            ShownVersion(
                row.text_original_lang, row.text_original_body, row.text_original_is_machine
            )
        ]
        if row.text_own_body is not None and lang != row.text_original_lang:
            versions.append(ShownVersion(lang, row.text_own_body, row.text_own_is_machine))
        shown.append(ShownText(row.text_original_lang, tuple(versions)))
    missing = [text_id for text_id, text in zip(text_ids, shown, strict=True) if text is None]
    whole = load_texts(missing) if missing else {}
    return [
        text if text is not None else whole[text_id]
        for text_id, text in zip(text_ids, shown, strict=True)
    ]


# Ukrainian is written with ’ (U+2019, the portal's choice), ʼ (U+02BC) or a typewriter ' by
# whoever typed it; search treats them as one letter.
APOSTROPHES = str.maketrans({"'": "\u2019", "\u02bc": "\u2019", "\u2018": "\u2019", "`": "\u2019"})


def fold(value: str) -> str:
    """The form search compares: case-folded, one apostrophe, single spaces."""
    return " ".join(value.casefold().translate(APOSTROPHES).split())
