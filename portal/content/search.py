"""Text search over every language version of a record's translatable fields."""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import InstrumentedAttribute

from portal.content.models import TextVersion, fold


def like_pattern(query: str) -> str:
    escaped = fold(query).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def any_version_contains(
    text_columns: list[InstrumentedAttribute[int]], query: str
) -> ColumnElement[bool]:
    """True where any version (any language) of any of the given text columns contains ``query``,
    ignoring case. A Swedish word finds a need written in Ukrainian that has a Swedish version."""
    pattern = like_pattern(query)
    return exists(
        select(TextVersion.id).where(
            TextVersion.text_id.in_(text_columns),
            TextVersion.folded.like(pattern, escape="\\"),
        )
    )
