"""The one rule for user text as the portal stores and searches it."""

from __future__ import annotations

import re

# Control characters a browser never sends in text; PostgreSQL refuses NUL outright.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: str | None) -> str:
    """User text as stored and searched: no control characters, ``\\n`` line ends, trimmed."""
    value = _CONTROL.sub("", value or "")
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()
