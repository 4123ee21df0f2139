"""Multilingual user text: which record a text belongs to, who may translate it, saving a language
version, and the coordinators' list of records that still need translating.

A text belongs to exactly one record: a need, offer or project (title, description), a milestone
(title) or a status report (body). Translating follows the owner: whoever may edit the owner may
add or correct its versions in the other languages, and coordinators may translate everything
they can see. The original is changed only by editing the record itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from flask_babel import gettext as _
from sqlalchemy import String, case, exists, func, literal_column, or_, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portal.audit import services as audit
from portal.content.models import CONTENT_LANGUAGES, TEXT_OWNERS, Text, TextVersion
from portal.core.enums import NeedStatus, OfferStatus, ProjectStatus
from portal.core.text import clean_text
from portal.core.types import utcnow
from portal.core.visibility import is_signed_in
from portal.extensions import db
from portal.needs.models import Need
from portal.offers.models import Offer, offer_themes
from portal.projects.models import Milestone, Project, StatusReport
from portal.reference.models import Theme

# The longest version accepted per field, in characters.
MAX_LENGTH = {"title": 300, "description": 20_000, "body": 20_000}


class Owner(NamedTuple):
    kind: str
    record: Any


class TranslationError(ValueError):
    """A clear, translated reason why a version was not saved."""


class TranslationConflict(TranslationError):
    """Someone saved a version in this language after the translator loaded the form."""

    def __init__(self, current: TextVersion | None) -> None:
        super().__init__(_("Someone else saved a version in this language while you were writing."))
        self.current = current


# ---------------------------------------------------------------- owners and permissions


def owner_of(text_id: int) -> Owner | None:
    """The record the text belongs to, or None for a text nothing refers to."""
    row = db.session.execute(
        select(Text.owner_type, Text.owner_id).where(Text.id == text_id)
    ).one_or_none()
    if row is None or row.owner_type not in TEXT_OWNERS or row.owner_id is None:
        return None
    record = db.session.get(TEXT_OWNERS[row.owner_type], row.owner_id)
    return Owner(row.owner_type, record) if record is not None else None


def field_of(owner: Owner, text_id: int) -> str:
    """Which of the owner's fields the text is: title, description or body."""
    return str(owner.record.text_field(text_id))


def _project(record: Any) -> Project | None:
    if isinstance(record, Project):
        return record
    if isinstance(record, Milestone | StatusReport):
        return record.project
    return None


def can_view_owner(user: Any, record: Any) -> bool:
    project = _project(record)
    if project is not None:
        return project.can_view(user)
    return bool(record.can_view(user))


def can_translate_record(user: Any, record: Any) -> bool:
    """May ``user`` add or correct language versions of ``record``'s texts? Used by templates
    (no query: the record is at hand) and by :func:`can_translate`."""
    if record is None or not is_signed_in(user):
        return False
    if user.is_coordinator:
        return can_view_owner(user, record)
    # Whoever may edit a need or offer, or report on a project, also sees it: no need to ask
    # (asking may load the record's matches).
    project = _project(record)
    if project is not None:
        return project.can_report(user)
    return bool(record.can_edit(user))


def can_translate(user: Any, text: Text, owner: Owner | None = None) -> bool:
    owner = owner or owner_of(text.id)
    return owner is not None and can_translate_record(user, owner.record)


def _agreement(owner: Owner) -> Any:
    project = _project(owner.record)
    return (project or owner.record).agreement


# ---------------------------------------------------------------- saving a version


def version_token(version: TextVersion | None) -> str:
    """What an edit form remembers of the version it was loaded with ("" when there was none)."""
    if version is None:
        return ""
    return f"{version.id}:{version.written_at.timestamp():.6f}"


_UNCHECKED = object()


def save_version(
    actor: Any,
    text: Text,
    lang: str,
    body: str | None,
    *,
    expected: Any = _UNCHECKED,
    owner: Owner | None = None,
) -> TextVersion:
    """Add or correct the version of ``text`` in ``lang``, written by ``actor`` now.

    ``expected`` is :func:`version_token` of the version the form was loaded with; a save over a
    version someone saved since raises :class:`TranslationConflict`. Flushes; the request
    commits."""
    if lang not in CONTENT_LANGUAGES:
        raise TranslationError(_("Versions can be added in Ukrainian, Swedish and English only."))
    if lang == text.original_lang:
        raise TranslationError(_("The original is changed by editing the record itself."))
    owner = owner or owner_of(text.id)
    if owner is None:
        raise TranslationError(_("This text does not belong to any record."))
    if not can_translate_record(actor, owner.record):
        raise PermissionError("may not translate this text")
    body = clean_text(body)
    name = field_of(owner, text.id)
    if not body:
        raise TranslationError(_("Enter the text. An empty version cannot be saved."))
    if len(body) > MAX_LENGTH[name]:
        raise TranslationError(
            _(
                "The text is too long: %(length)d characters, at most %(max)d are allowed.",
                length=len(body),
                max=MAX_LENGTH[name],
            )
        )
    _agreement(owner).ensure_writable()
    current = text.version(lang)
    if expected is not _UNCHECKED and version_token(current) != (expected or ""):
        raise TranslationConflict(current)
    before = current.body if current is not None else None
    if before == body and not (current is not None and current.is_machine):
        return current  # type: ignore[return-value]
    version = text.set_version(lang, body, actor)
    version.written_at = utcnow()
    key = f"{name}_{lang}"
    audit.record(actor, "translate", owner.kind, owner.record.id, {key: before}, {key: body})
    try:
        db.session.flush()
    except IntegrityError:
        # Another translator created the version in the same moment. The failed flush has
        # doomed the transaction; rolling it back lets the page show that translator's version.
        db.session.rollback()
        raise TranslationConflict(db.session.get(Text, text.id).version(lang)) from None  # type: ignore[union-attr]
    return version


def approve_version(
    actor: Any, text: Text, lang: str, *, owner: Owner | None = None
) -> TextVersion:
    """A person approves the machine translation in ``lang`` as it is: from now on it is their
    version (shown without the machine mark, never replaced by a draft). Flushes."""
    owner = owner or owner_of(text.id)
    if owner is None:
        raise TranslationError(_("This text does not belong to any record."))
    if not can_translate_record(actor, owner.record):
        raise PermissionError("may not translate this text")
    _agreement(owner).ensure_writable()
    version = text.version(lang)
    if version is None or not version.is_machine or not version.body:
        raise TranslationError(_("There is no machine translation to approve in this language."))
    version.is_machine = False
    version.author = actor
    version.written_at = utcnow()
    key = f"{field_of(owner, text.id)}_{lang}"
    audit.record(
        actor, "approve_translation", owner.kind, owner.record.id, None, {key: version.body}
    )
    db.session.flush()
    return version


# ---------------------------------------------------------------- what needs translating


@dataclass
class MissingItem:
    kind: str
    record: Any
    since: datetime
    themes: list[Theme]
    # field name → languages without a version a person wrote or approved
    missing: dict[str, list[str]] = field(default_factory=dict)
    # field name → languages whose version is a machine draft awaiting review
    drafts: dict[str, list[str]] = field(default_factory=dict)

    @property
    def awaits_review(self) -> bool:
        return any(self.drafts.values())

    @property
    def texts(self) -> list[tuple[str, Text, list[str]]]:
        return [(name, getattr(self.record, name), langs) for name, langs in self.missing.items()]


@dataclass
class MissingPage:
    items: list[MissingItem]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(math.ceil(self.total / self.per_page), 1) if self.per_page else 1

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def _has_version(text_column: Any, lang: str) -> Any:
    """A version a person wrote or approved (a machine draft still needs one)."""
    return exists(
        select(TextVersion.id).where(
            TextVersion.text_id == text_column,
            TextVersion.lang == lang,
            TextVersion.body != "",
            TextVersion.is_machine.is_(False),
        )
    )


def _has_draft(model: Any) -> Any:
    """1 when the record's title or description has a machine draft awaiting review."""
    draft = exists(
        select(TextVersion.id).where(
            TextVersion.text_id.in_((model.title_id, model.description_id)),
            TextVersion.is_machine.is_(True),
        )
    )
    return case((draft, 1), else_=0)


def _complete_count(text_column: Any) -> Any:
    return (
        select(func.count(TextVersion.id))
        .where(
            TextVersion.text_id == text_column,
            TextVersion.lang.in_(CONTENT_LANGUAGES),
            TextVersion.body != "",
            TextVersion.is_machine.is_(False),
        )
        .scalar_subquery()
    )


def _incomplete(model: Any, lang: str | None) -> Any:
    columns = (model.title_id, model.description_id)
    if lang is not None:
        return or_(*(~_has_version(col, lang) for col in columns))
    return or_(*(_complete_count(col) < len(CONTENT_LANGUAGES) for col in columns))


def _candidates(viewer: Any, theme_id: int | None, lang: str | None) -> list[Any]:
    """One SELECT (kind, id, since) per kind of record that has a title and a description.
    Drafts, withdrawn and closed needs, and cancelled projects are nobody's translation work."""
    need = (
        select(
            literal_column("'need'", String).label("kind"),
            Need.id.label("id"),
            func.coalesce(Need.published_at, Need.created_at).label("since"),
            _has_draft(Need).label("drafts"),
        )
        .where(Need.visible_to(viewer))
        .where(Need.status.not_in((NeedStatus.DRAFT, NeedStatus.WITHDRAWN, NeedStatus.CLOSED)))
        .where(_incomplete(Need, lang))
    )
    offer = (
        select(
            literal_column("'offer'", String).label("kind"),
            Offer.id.label("id"),
            func.coalesce(Offer.published_at, Offer.created_at).label("since"),
            _has_draft(Offer).label("drafts"),
        )
        .where(Offer.visible_to(viewer))
        .where(Offer.status.not_in((OfferStatus.DRAFT, OfferStatus.WITHDRAWN)))
        .where(_incomplete(Offer, lang))
    )
    project = (
        select(
            literal_column("'project'", String).label("kind"),
            Project.id.label("id"),
            Project.created_at.label("since"),
            _has_draft(Project).label("drafts"),
        )
        .where(Project.visible_to(viewer))
        .where(Project.status != ProjectStatus.CANCELLED)
        .where(_incomplete(Project, lang))
    )
    if theme_id is not None:
        need = need.where(Need.theme_id == theme_id)
        project = project.where(Project.theme_id == theme_id)
        offer = offer.where(
            exists(
                select(offer_themes.c.offer_id).where(
                    offer_themes.c.offer_id == Offer.id, offer_themes.c.theme_id == theme_id
                )
            )
        )
    return [need, offer, project]


def _load(kind: str, ids: list[int]) -> dict[int, Any]:
    """The page's records of one kind with their texts (and versions) and themes."""
    if not ids:
        return {}
    model: Any = {"need": Need, "offer": Offer, "project": Project}[kind]
    themes = selectinload(Offer.themes) if kind == "offer" else selectinload(model.theme)
    records = db.session.scalars(
        select(model)
        .where(model.id.in_(ids))
        .options(selectinload(model.title), selectinload(model.description), themes)
    )
    return {r.id: r for r in records}


MAX_PAGE = 10_000


def missing_translations(
    viewer: Any,
    theme: Theme | int | None = None,
    page: int = 1,
    *,
    lang: str | None = None,
    per_page: int = 20,
) -> MissingPage:
    """The records ``viewer`` may see whose title or description lacks a version a person wrote
    in some language (or in ``lang``): those with machine drafts awaiting review first, then the
    oldest first. The same number of queries whatever the number of records."""
    theme_id = theme.id if isinstance(theme, Theme) else theme
    if lang is not None and lang not in CONTENT_LANGUAGES:
        lang = None
    # A huge page number would overflow the SQL OFFSET (a 500 on PostgreSQL); nobody reads
    # page 10 001, as on the needs list.
    page = min(max(page, 1), MAX_PAGE)
    candidates = union_all(*_candidates(viewer, theme_id, lang)).subquery()
    total = db.session.scalar(select(func.count()).select_from(candidates)) or 0
    rows = db.session.execute(
        select(candidates.c.kind, candidates.c.id, candidates.c.since)
        .order_by(
            candidates.c.drafts.desc(), candidates.c.since, candidates.c.kind, candidates.c.id
        )
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    records = {
        kind: _load(kind, [row.id for row in rows if row.kind == kind])
        for kind in ("need", "offer", "project")
    }
    items = []
    for row in rows:
        record = records[row.kind].get(row.id)
        if record is None:
            continue
        missing, drafts = {}, {}
        for name in ("title", "description"):
            langs = getattr(record, name).missing_languages()
            if lang is not None:
                langs = [lang] if lang in langs else []
            if langs:
                missing[name] = langs
                drafts[name] = [d for d in getattr(record, name).drafts() if d in langs]
        themes = list(record.themes) if row.kind == "offer" else [record.theme]
        since = (
            record.created_at
            if row.kind == "project"
            else (record.published_at or record.created_at)
        )
        items.append(MissingItem(row.kind, record, since, themes, missing, drafts))
    return MissingPage(items, total, page, per_page)
