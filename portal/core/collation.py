"""Sorting names in the reader's alphabet (Ukrainian: а б в г ґ д е є …; Swedish: … x y z å ä
ö), not by code points or English spelling: ICU's collation through PyICU, one collator per
language."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache
from operator import attrgetter
from typing import Any, TypeVar

import icu

from portal.core.i18n import FORMAT_LOCALES, current_language

T = TypeVar("T")


@cache
def _collator(lang: str) -> Any:
    collator = icu.Collator.createInstance(icu.Locale(FORMAT_LOCALES.get(lang, "en_GB")))
    return collator


def sort_key(lang: str | None = None) -> Callable[[str], bytes]:
    """A key for ``sorted`` that orders strings as ``lang`` (default: the reader's) does."""
    collator = _collator(lang or _reader())
    return lambda value: bytes(collator.getSortKey(value or ""))


def _reader() -> str:
    try:
        return current_language()
    except RuntimeError:  # outside a request
        return "en"


def by_name(
    items: Iterable[T], name: Callable[[T], str] = attrgetter("name"), lang: str | None = None
) -> list[T]:
    """``items`` sorted by their name in the reader's alphabet."""
    key = sort_key(lang)
    return sorted(items, key=lambda item: key(name(item)))
