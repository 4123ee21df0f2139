"""A document on a record and its versions. Each version is a stored file (``storage``, by its
sha256); the newest is the document's current file, the older ones stay downloadable."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.records import AttachedToRecordMixin
from portal.core.types import UTCDateTime, utcnow
from portal.extensions import Model

if TYPE_CHECKING:
    from portal.accounts.models import User

DOCUMENT_KINDS = ("need", "offer", "project", "milestone", "status_report")


class Document(AttachedToRecordMixin, Model):
    __tablename__ = "documents"
    __table_args__ = (Index("ix_documents_record", "record_kind", "record_id"),)
    attachable_kinds = DOCUMENT_KINDS

    id: Mapped[int] = mapped_column(primary_key=True)
    record_kind: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(String(200))
    lang: Mapped[str] = mapped_column(String(2))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    created_by: Mapped[User] = relationship()
    versions: Mapped[list[DocumentVersion]] = relationship(
        back_populates="document",
        order_by="DocumentVersion.number.desc()",
        cascade="all, delete-orphan",
    )

    @property
    def current(self) -> DocumentVersion:
        return self.versions[0]

    def __repr__(self) -> str:
        return f"<Document {self.id} on {self.record_kind} {self.record_id}>"


class DocumentVersion(Model):
    __tablename__ = "document_versions"
    __table_args__ = (UniqueConstraint("document_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    document: Mapped[Document] = relationship(back_populates="versions")
    uploaded_by: Mapped[User] = relationship()

    def can_view(self, user: object) -> bool:
        return self.document.can_view(user)

    def __repr__(self) -> str:
        return f"<DocumentVersion {self.document_id}.{self.number}>"
