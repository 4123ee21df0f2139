"""Demo discussions and documents: a few threads in all three languages on the demo projects
and needs, and small generated PDF and text files on the projects and their first milestones,
written through the documents' storage (content-addressed, like any upload)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from sqlalchemy import select

from portal.accounts.models import User
from portal.comments.models import Comment
from portal.comments.services import mentioned_in
from portal.core.enums import NeedStatus, Role, Visibility
from portal.core.records import kind_of
from portal.core.types import utcnow
from portal.documents import storage
from portal.documents.filetypes import TYPES
from portal.documents.models import Document, DocumentVersion
from portal.extensions import db
from portal.needs.models import Need
from portal.projects.models import Project

DATA = Path(__file__).parent / "data" / "demo_discussion.toml"
COORDINATOR = "coordinator@example.org"


def simple_pdf(lines: list[str]) -> bytes:
    """A one-page PDF showing ``lines`` (ASCII) in Helvetica."""
    text = "BT /F1 14 Tf 72 760 Td 18 TL " + " ".join(
        "(" + line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") '"
        for line in lines
    )
    stream = text.encode("ascii") + b" ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _person(record: Any, side: str, people: list[User]) -> User:
    """Someone of that side who takes part in the record (the demo coordinator otherwise)."""
    coordinator = next(p for p in people if p.email == COORDINATOR)
    if side == "coordinator":
        return coordinator
    role = Role.REQUESTER if side == "requester" else Role.EXPERT
    organisations = (
        {o.id for o in record.organisations}
        if kind_of(record) == "project"
        else {record.organisation_id}
    )
    return next(
        (p for p in people if p.role == role and p.organisation_id in organisations), coordinator
    )


def _thread(record: Any, entries: list[dict[str, Any]], people: list[User]) -> None:
    for entry in entries:
        body = entry["body"].replace("@coordinator", f"@{COORDINATOR}")
        db.session.add(
            Comment(
                record_kind=kind_of(record),
                record_id=record.id,
                author=_person(record, entry["by"], people),
                body=body,
                lang=entry["lang"],
                created_at=utcnow(),
                mentioned=mentioned_in(body, record),
            )
        )


def _content(entry: dict[str, Any]) -> tuple[bytes, str]:
    if "lines" in entry:
        return simple_pdf(entry["lines"]), TYPES["pdf"].content_type
    return entry["text"].encode("utf-8"), TYPES["txt"].content_type


def _document(record: Any, entry: dict[str, Any], author: User, versions: int = 1) -> None:
    document = Document(
        record_kind=kind_of(record),
        record_id=record.id,
        title=entry["title"],
        lang=entry["lang"],
        created_by=author,
        created_at=utcnow(),
    )
    content, content_type = _content(entry)
    for number in range(1, versions + 1):
        if number > 1:  # a later version: the same file with a line more
            content = (
                content.replace(b"%%EOF", b"%% revised\n%%EOF")
                if b"%PDF" in content[:5]
                else content + b"\n"
            )
        sha256 = storage.store_bytes(content)
        document.versions.append(
            DocumentVersion(
                number=number,
                filename=entry["filename"],
                content_type=content_type,
                size=len(content),
                sha256=sha256,
                uploaded_by=author,
                uploaded_at=utcnow(),
            )
        )
    db.session.add(document)


def load_demo_discussion() -> None:
    """Add the demo threads and documents (the demo loader commits)."""
    data = tomllib.loads(DATA.read_text(encoding="utf-8"))
    people = list(db.session.scalars(select(User).where(User.email.like("%@example.org"))))
    # The first projects and needs, and the first public ones (what a visitor sees).
    projects = list(db.session.scalars(select(Project).order_by(Project.id).limit(3)))
    public = db.session.scalar(
        select(Project).where(Project.visibility == Visibility.PUBLIC).order_by(Project.id)
    )
    if public is not None and public not in projects:
        projects.append(public)
    for index, project in enumerate(projects):
        _thread(project, data["project_thread"], people)
        author = _person(project, "expert", people)
        for number, entry in enumerate(data["document"]):
            _document(project, entry, author, versions=2 if number == 0 and index == 0 else 1)
        if project.milestones:
            _document(
                project.milestones[0], data["document"][0], _person(project, "requester", people)
            )
    open_needs = select(Need).where(Need.status == NeedStatus.OPEN).order_by(Need.id)
    needs = list(db.session.scalars(open_needs.limit(2)))
    public_need = db.session.scalar(open_needs.where(Need.visibility == Visibility.PUBLIC))
    if public_need is not None and public_need not in needs:
        needs.append(public_need)
    for need in needs:
        _thread(need, data["record_thread"], people)
        _document(need, data["document"][1], _person(need, "requester", people))
    db.session.flush()
