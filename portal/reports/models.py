"""Frozen reports: the report to the city councils as it was sent, kept byte for byte.

A frozen report keeps the documents themselves (HTML, PDF and XLSX in each interface language),
not the figures they were made from: a later change to the templates, the translations, the
charts or the fonts must not change what a council was given, and the bytes prove it (each
document keeps its SHA-256). Only coordinators and admins see them.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Date, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.types import UTCDateTime, utcnow
from portal.extensions import Model

if TYPE_CHECKING:
    from portal.accounts.models import User
    from portal.agreements.models import Agreement

# format → media type of the stored documents
MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def may_produce_reports(user: User | None) -> bool:
    """Coordinators (and admins) produce, freeze and read the reports."""
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and (user.is_coordinator or user.is_admin)
    )


class FrozenReport(Model):
    __tablename__ = "frozen_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), index=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    frozen_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    frozen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    agreement: Mapped[Agreement] = relationship()
    frozen_by: Mapped[User] = relationship()
    documents: Mapped[list[FrozenReportDocument]] = relationship(
        back_populates="report",
        cascade="all, delete-orphan",
        order_by="(FrozenReportDocument.lang, FrozenReportDocument.format)",
    )

    def can_view(self, user: User | None) -> bool:
        return may_produce_reports(user)

    def document(self, lang: str, format: str) -> FrozenReportDocument | None:
        return next((d for d in self.documents if d.lang == lang and d.format == format), None)

    def __repr__(self) -> str:
        return f"<FrozenReport {self.id} {self.period_start}–{self.period_end}>"


class FrozenReportDocument(Model):
    __tablename__ = "frozen_report_documents"
    __table_args__ = (UniqueConstraint("report_id", "lang", "format"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("frozen_reports.id", ondelete="CASCADE"), index=True
    )
    lang: Mapped[str] = mapped_column(String(2))
    format: Mapped[str] = mapped_column(String(8))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))

    report: Mapped[FrozenReport] = relationship(back_populates="documents")

    @classmethod
    def of(cls, lang: str, format: str, content: bytes) -> FrozenReportDocument:
        return cls(
            lang=lang, format=format, content=content, sha256=hashlib.sha256(content).hexdigest()
        )

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.format]
