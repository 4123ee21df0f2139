"""Uploading documents and new versions of them, and who may.

A file is staged (``storage.stage``: hashed and size-checked while written to a temporary file),
its type decided by its content (``filetypes.detect``), scanned when scanning is on
(``scanner.scan``), and only then moved into place and recorded. Every refusal comes back as
``DocumentError`` with a translated message and the form field it belongs to; an infected file is
also audited, committed on its own so that the record of the refusal survives the request's
rollback. Writes audit, flush and then tell the notifications; the request commits.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, BinaryIO

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, exists, func, or_, select
from werkzeug.exceptions import Forbidden

from portal import jobs
from portal.accounts.models import User
from portal.audit import services as audit
from portal.content.models import CONTENT_LANGUAGES
from portal.core import empty
from portal.core.i18n import format_number
from portal.core.records import kind_of
from portal.core.statements import KeptStatements, read_columns
from portal.core.text import clean_text
from portal.core.types import utcnow
from portal.core.visibility import is_signed_in
from portal.documents import filetypes, scanner, storage
from portal.documents.models import DOCUMENT_KINDS, Document, DocumentVersion
from portal.extensions import cache, db
from portal.notifications.events import notify

TITLE_MAX = 200
# Files no document version refers to are removed this long after they were last written: long
# enough for any upload's transaction, and for undoing a restore of the wrong backup.
SWEEP_AFTER = timedelta(days=7)


class DocumentError(ValueError):
    """A document that cannot be accepted; a translated message and the field it concerns."""

    def __init__(self, message: str, field: str = "file") -> None:
        super().__init__(message)
        self.field = field

    @property
    def message(self) -> str:
        return str(self.args[0])


class NotAllowed(Forbidden):
    """The acting user may not do this (answered 403)."""


def project_of(record: Any) -> Any | None:
    kind = kind_of(record)
    if kind == "project":
        return record
    if kind in ("milestone", "status_report"):
        return record.project
    return None


def agreement_of(record: Any) -> Any:
    project = project_of(record)
    return project.agreement if project is not None else record.agreement


def can_upload(user: Any, record: Any) -> bool:
    """Who may edit the record: the posting organisation (needs, offers) and the project's
    participants (projects, milestones, reports), and coordinators; never after the
    agreement has expired."""
    if not is_signed_in(user) or kind_of(record) not in DOCUMENT_KINDS:
        return False
    if agreement_of(record).has_expired() or not record.can_view(user):
        return False
    project = project_of(record)
    if project is not None:
        return bool(project.can_report(user))
    return bool(record.can_edit(user)) or user.is_coordinator


def max_bytes() -> int:
    return int(current_app.config["MAX_DOCUMENT_BYTES"])


def size_limit_text() -> str:
    return _("%(size)s MB", size=format_number(round(max_bytes() / (1024 * 1024), 1)))


def _check_title(title: str) -> str:
    title = clean_text(title)
    if not title:
        raise DocumentError(_("Enter a title."), "title")
    if len(title) > TITLE_MAX:
        raise DocumentError(_("Keep the title under %(max)d characters.", max=TITLE_MAX), "title")
    return title


def _accept_file(actor: User, record: Any, stream: BinaryIO | None, filename: str) -> tuple:
    """Stage, check and scan the upload; its place in storage and its type, or DocumentError."""
    if stream is None or not filename:
        raise DocumentError(_("Choose a file to upload."))
    try:
        staged = storage.stage(stream, max_bytes())
    except storage.TooLarge:
        raise DocumentError(
            _("The file is too large: at most %(size)s are accepted.", size=size_limit_text())
        ) from None
    try:
        if staged.size == 0:
            raise DocumentError(_("The file is empty."))
        kind = filetypes.detect(staged.path, filename)
        if kind is None:
            raise DocumentError(
                _(
                    "This kind of file is not accepted. Upload a PDF, Word (DOCX), Excel (XLSX), "
                    "PowerPoint (PPTX), OpenDocument text or spreadsheet (ODT, ODS), PNG or JPEG "
                    "image, plain text or CSV in UTF-8, or a DWG or DXF drawing."
                )
            )
        try:
            scanner.scan(staged.path)
        except scanner.Infected as found:
            audit.record(
                actor,
                "refuse_infected",
                kind_of(record),
                record.id,
                after={"filename": filename[:200], "signature": found.signature},
            )
            db.session.commit()  # the record of the refusal outlives the request's rollback
            raise DocumentError(
                _(
                    "The file was refused: the virus scanner found %(name)s in it.",
                    name=found.signature,
                )
            ) from None
        except scanner.ScannerUnavailable:
            current_app.logger.warning("virus scanner unavailable; upload refused")
            raise DocumentError(
                _("The file could not be checked for viruses just now. Please try again later.")
            ) from None
    except BaseException:
        staged.discard()
        raise
    staged.keep()  # in place before the database refers to it
    return staged, kind


def _version(
    actor: User, document: Document, number: int, staged: Any, kind: Any, filename: str
) -> DocumentVersion:
    return DocumentVersion(
        document=document,
        number=number,
        filename=filetypes.safe_filename(filename, kind),
        content_type=kind.content_type,
        size=staged.size,
        sha256=staged.sha256,
        uploaded_by=actor,
        uploaded_at=utcnow(),
    )


def upload(
    actor: User, record: Any, *, title: str, lang: str, stream: BinaryIO | None, filename: str
) -> Document:
    if not can_upload(actor, record):
        raise NotAllowed()
    agreement_of(record).ensure_writable()
    title = _check_title(title)
    if lang not in CONTENT_LANGUAGES:
        raise DocumentError(_("Choose the language the text is written in."), "lang")
    staged, kind = _accept_file(actor, record, stream, filename)
    document = Document(
        record_kind=kind_of(record),
        record_id=record.id,
        title=title,
        lang=lang,
        created_by=actor,
        created_at=utcnow(),
    )
    db.session.add(document)
    version = _version(actor, document, 1, staged, kind, filename)
    db.session.add(version)
    db.session.flush()
    audit.record(
        actor,
        "create",
        "document",
        document.id,
        after={**audit.snapshot(document), "version": audit.snapshot(version)},
    )
    db.session.flush()
    notify("document", record, actor)
    return document


def add_version(
    actor: User, document: Document, *, stream: BinaryIO | None, filename: str
) -> DocumentVersion:
    record = document.record
    if record is None or not can_upload(actor, record):
        raise NotAllowed()
    agreement_of(record).ensure_writable()
    staged, kind = _accept_file(actor, record, stream, filename)
    number = (
        db.session.scalar(
            select(func.max(DocumentVersion.number)).where(
                DocumentVersion.document_id == document.id
            )
        )
        or 0
    ) + 1
    version = _version(actor, document, number, staged, kind, filename)
    db.session.add(version)
    db.session.flush()
    audit.record(actor, "new_version", "document", document.id, after=audit.snapshot(version))
    db.session.flush()
    db.session.refresh(document, ["versions"])
    notify("document", record, actor)
    return version


# ---------------------------------------------------------------- reading


@dataclass(frozen=True)
class ListedDocument:
    """A document as a record's page lists it (``documents/_list.html``): its current version,
    who uploaded that and when."""

    id: int
    record_kind: str
    record_id: int
    title: str
    lang: str
    number: int
    filename: str
    size: int
    uploaded_at: datetime
    uploaded_by_name: str


def any_on(kind: str, record_id: Any) -> Any:
    """Whether any document is attached to the record of ``kind`` whose id is ``record_id`` (a
    column): a column for the statement that loads the record (``empty.found_empty``)."""
    return exists().where(Document.record_kind == kind, Document.record_id == record_id)


# The statement listing documents, one per set of record kinds listed together (a project's
# page lists its own, its milestones' and its reports'), the ids bound as parameters.
_LISTED = KeptStatements()


def documents_of(records: Sequence[Any]) -> dict[tuple[str, int], list[ListedDocument]]:
    """The documents of several records (a project, its milestones and reports), newest first,
    by ``(kind, id)``, each with its current version and its uploader's name: one statement of
    the shown columns, however many documents and versions there are."""
    by_kind: dict[str, list[int]] = {}
    for record in records:
        kind = kind_of(record)
        if not empty.known_empty("documents", kind, record.id):
            by_kind.setdefault(kind, []).append(record.id)
    if not by_kind:
        return {}
    kinds = tuple(sorted(by_kind))

    def build() -> Any:
        current = (
            select(func.max(DocumentVersion.number))
            .where(DocumentVersion.document_id == Document.id)
            .correlate(Document)
            .scalar_subquery()
        )
        return (
            select(
                Document.id,
                Document.record_kind,
                Document.record_id,
                Document.title,
                Document.lang,
                DocumentVersion.number,
                DocumentVersion.filename,
                DocumentVersion.size,
                DocumentVersion.uploaded_at,
                User.name.label("uploaded_by_name"),
            )
            .join(
                DocumentVersion,
                and_(DocumentVersion.document_id == Document.id, DocumentVersion.number == current),
            )
            .join(User, User.id == DocumentVersion.uploaded_by_id)
            .where(
                or_(
                    *(
                        and_(
                            Document.record_kind == kind,
                            Document.record_id.in_(bindparam(f"ids_{kind}", expanding=True)),
                        )
                        for kind in kinds
                    )
                )
            )
            .order_by(Document.created_at.desc(), Document.id.desc())
        )

    rows = read_columns(
        _LISTED.get(kinds, build), {f"ids_{kind}": ids for kind, ids in by_kind.items()}
    )
    found: dict[tuple[str, int], list[ListedDocument]] = {}
    for row in rows:
        found.setdefault((row.record_kind, row.record_id), []).append(
            ListedDocument(**row._mapping)
        )
    return found


def sweep(after: timedelta = SWEEP_AFTER, dry_run: bool = False) -> tuple[list[str], int]:
    """Remove the stored files that no document version refers to and that were last written
    more than ``after`` ago: the file of an upload whose request was rolled back after the file
    was put in place (the database refers to a file only after it is there), and temporary
    files of uploads whose process died. The sha256 of each file removed (or, ``dry_run``,
    that would be) and the number of temporary files."""
    older_than = time.time() - after.total_seconds()
    candidates = dict(storage.stored_files(older_than))
    referenced: set[str] = set()
    names = sorted(candidates)
    for start in range(0, len(names), 500):
        chunk = names[start : start + 500]
        referenced.update(
            db.session.scalars(
                select(DocumentVersion.sha256).where(DocumentVersion.sha256.in_(chunk)).distinct()
            )
        )
    orphans = [sha for sha in names if sha not in referenced]
    staged = list(storage.staged_files(older_than))
    if not dry_run:
        for sha in orphans:
            candidates[sha].unlink(missing_ok=True)
        for path in staged:
            path.unlink(missing_ok=True)
    return orphans, len(staged)


def sweep_daily() -> None:
    """The scheduler's round (every minute) sweeps once a day, on whichever worker gets it."""
    if cache.add("documents-swept", 1, timeout=24 * 3600):
        orphans, staged = sweep()
        if orphans or staged:
            current_app.logger.info(
                "documents: removed %d unreferenced files and %d unfinished uploads",
                len(orphans),
                staged,
            )


jobs.register_periodic(sweep_daily)
