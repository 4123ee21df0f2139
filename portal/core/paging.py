"""The page number a list is asked for, within what the database can page to."""

from __future__ import annotations

from collections.abc import Mapping

# Deep pages cost the database a long scan, and a huge number overflows the SQL OFFSET (a 500
# on PostgreSQL); nobody reads page 10 001.
MAX_PAGE = 10_000


def page_number(args: Mapping[str, str], name: str = "page") -> int:
    """``args[name]`` as a page number from 1 to MAX_PAGE (1 when missing or not a number)."""
    try:
        number = int(args.get(name) or 1)
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), MAX_PAGE)
