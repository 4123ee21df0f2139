"""Cities, organisations, themes and districts: the vocabulary everything else refers to."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.enums import OrganisationKind
from portal.core.i18n import NamedInThreeLanguages
from portal.core.types import enum_column
from portal.extensions import Model, db

if TYPE_CHECKING:
    from portal.accounts.models import User


organisation_themes = Table(
    "organisation_themes",
    db.metadata,
    Column("organisation_id", ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True),
    Column("theme_id", ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True),
)


class City(NamedInThreeLanguages, Model):
    __tablename__ = "cities"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_en: Mapped[str] = mapped_column(String(80))
    name_sv: Mapped[str] = mapped_column(String(80))
    name_uk: Mapped[str] = mapped_column(String(80))
    country_code: Mapped[str] = mapped_column(String(2))
    timezone: Mapped[str] = mapped_column(String(40))

    organisations: Mapped[list[Organisation]] = relationship(back_populates="city")
    districts: Mapped[list[District]] = relationship(back_populates="city")

    def __repr__(self) -> str:
        return f"<City {self.code}>"


class Theme(NamedInThreeLanguages, Model):
    __tablename__ = "themes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_en: Mapped[str] = mapped_column(String(80))
    name_sv: Mapped[str] = mapped_column(String(80))
    name_uk: Mapped[str] = mapped_column(String(80))
    dac_codes: Mapped[str] = mapped_column(String(80), default="")
    # Critical infrastructure: needs are restricted by default (martial law forbids publishing
    # the state of such facilities).
    is_critical: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return f"<Theme {self.code}>"


class District(NamedInThreeLanguages, Model):
    __tablename__ = "districts"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)  # KATOTTH
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id"), index=True)
    name_en: Mapped[str] = mapped_column(String(80))
    name_sv: Mapped[str] = mapped_column(String(80))
    name_uk: Mapped[str] = mapped_column(String(80))

    city: Mapped[City] = relationship(back_populates="districts")


class Organisation(NamedInThreeLanguages, Model):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name_en: Mapped[str] = mapped_column(String(160))
    name_sv: Mapped[str] = mapped_column(String(160))
    name_uk: Mapped[str] = mapped_column(String(160))
    kind: Mapped[OrganisationKind] = mapped_column(enum_column(OrganisationKind))
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id"), index=True)
    registry_id: Mapped[str | None] = mapped_column(String(32))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    city: Mapped[City] = relationship(back_populates="organisations", lazy="joined")
    themes: Mapped[list[Theme]] = relationship(secondary=organisation_themes)
    users: Mapped[list[User]] = relationship(back_populates="organisation")

    def __repr__(self) -> str:
        return f"<Organisation {self.name_en}>"
