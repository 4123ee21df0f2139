"""Agreements between two cities. Everything in the portal belongs to one.

An agreement is valid from ``valid_from`` to ``valid_until`` (both inclusive). An extension is an
``Amendment`` that moves ``valid_until``; the agreement keeps the current end date so that every
query can compare against one column. After expiry, records under it are read-only.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from flask_babel import gettext as _
from sqlalchemy import Boolean, Column, Date, ForeignKey, String, Table, UnicodeText
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.enums import AmendmentKind
from portal.core.types import UTCDateTime, enum_column, utcnow
from portal.extensions import Model, db
from portal.reference.models import City, Theme

if TYPE_CHECKING:
    from portal.accounts.models import User


agreement_themes = Table(
    "agreement_themes",
    db.metadata,
    Column("agreement_id", ForeignKey("agreements.id", ondelete="CASCADE"), primary_key=True),
    Column("theme_id", ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True),
)


class AgreementExpired(Exception):
    """A write was attempted under an agreement that is no longer (or not yet) valid."""

    def __init__(self, agreement: Agreement) -> None:
        self.agreement = agreement
        super().__init__(
            _(
                "The agreement %(reference)s expired on %(date)s. Its records are read-only "
                "until an amendment extends it.",
                reference=agreement.reference,
                date=agreement.valid_until.isoformat(),
            )
        )


class AgreementPeriod:
    """What an agreement's titles and period answer, for its row and for the terms a page keeps
    of the default one (``services.AgreementTerms``)."""

    title_en: str
    title_sv: str
    title_uk: str
    valid_from: date
    valid_until: date

    @property
    def title(self) -> str:
        from portal.core.i18n import current_language

        try:
            lang = current_language()
        except RuntimeError:
            lang = "en"
        return getattr(self, f"title_{lang}", None) or self.title_en

    def is_valid_on(self, day: date) -> bool:
        return self.valid_from <= day <= self.valid_until

    def has_expired(self, today: date | None = None) -> bool:
        return (today or date.today()) > self.valid_until

    def days_left(self, today: date | None = None) -> int:
        return max((self.valid_until - (today or date.today())).days, 0)

    def period_fits(self, start: date, end: date) -> bool:
        return self.valid_from <= start <= end <= self.valid_until


class Agreement(AgreementPeriod, Model):
    __tablename__ = "agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)  # diarienummer
    title_en: Mapped[str] = mapped_column(String(200))
    title_sv: Mapped[str] = mapped_column(String(200))
    title_uk: Mapped[str] = mapped_column(String(200))
    # The city that asks for support (Kyiv) and the city that offers it (Stockholm).
    requester_city_id: Mapped[int] = mapped_column(ForeignKey("cities.id"))
    expert_city_id: Mapped[int] = mapped_column(ForeignKey("cities.id"))
    signed_on: Mapped[date] = mapped_column(Date)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)

    requester_city: Mapped[City] = relationship(foreign_keys=[requester_city_id], lazy="joined")
    expert_city: Mapped[City] = relationship(foreign_keys=[expert_city_id], lazy="joined")
    themes: Mapped[list[Theme]] = relationship(secondary=agreement_themes, order_by=Theme.position)
    amendments: Mapped[list[Amendment]] = relationship(
        back_populates="agreement", order_by="Amendment.recorded_at"
    )

    def ensure_writable(self, today: date | None = None) -> None:
        if self.has_expired(today):
            raise AgreementExpired(self)

    def __repr__(self) -> str:
        return f"<Agreement {self.reference}>"


class Amendment(Model):
    __tablename__ = "amendments"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), index=True)
    kind: Mapped[AmendmentKind] = mapped_column(enum_column(AmendmentKind))
    reason: Mapped[str] = mapped_column(UnicodeText)
    reason_lang: Mapped[str] = mapped_column(String(2), default="en")
    previous_valid_until: Mapped[date] = mapped_column(Date)
    new_valid_until: Mapped[date | None] = mapped_column(Date)
    decided_on: Mapped[date] = mapped_column(Date)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    agreement: Mapped[Agreement] = relationship(back_populates="amendments")
    recorded_by: Mapped[User] = relationship()
