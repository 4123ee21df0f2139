"""Text search over every language version of a record's translatable fields."""

from __future__ import annotations

from sqlalchemy import ColumnElement, select, union
from sqlalchemy.orm import InstrumentedAttribute

from portal.content.models import TextVersion, fold


def like_pattern(query: str) -> str:
    escaped = fold(query).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def any_version_contains(
    text_columns: list[InstrumentedAttribute[int]], query: str
) -> ColumnElement[bool]:
    """True where any version (any language) of any of the given text columns contains ``query``,
    ignoring case. A Swedish word finds a need written in Ukrainian that has a Swedish version.

    Shaped for large tables: the versions that contain the words are found by one scan (the
    trigram index on PostgreSQL), their records through the index on each text column, and the
    result is a plain ``id IN (...)``. (A correlated EXISTS per record made PostgreSQL loop over
    every record for every matching version: seconds at 100,000 needs.)"""
    pattern = like_pattern(query)
    containing = select(TextVersion.text_id).where(TextVersion.folded.like(pattern, escape="\\"))
    entity = text_columns[0].class_
    records = union(*(select(entity.id).where(column.in_(containing)) for column in text_columns))
    return entity.id.in_(records)
