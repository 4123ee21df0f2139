"""Password policy (ASVS 5.0 L2): 12 to 128 characters, no composition rules, and not on the list
of common passwords shipped with the portal (Django's list of 20,000, BSD licence)."""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path

from flask_babel import gettext as _

MIN_LENGTH = 12
MAX_LENGTH = 128
_COMMON_LIST = Path(__file__).parent / "data" / "common-passwords.txt.gz"


@cache
def common_passwords() -> frozenset[str]:
    with gzip.open(_COMMON_LIST, "rt", encoding="utf-8") as handle:
        return frozenset(line.strip().casefold() for line in handle if line.strip())


def password_problems(password: str, email: str | None = None) -> list[str]:
    """Translated reasons why ``password`` is refused; empty when it is acceptable."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(
            _(
                "Use at least %(min)d characters. A phrase of several words is easy to remember.",
                min=MIN_LENGTH,
            )
        )
    if len(password) > MAX_LENGTH:
        problems.append(_("Use at most %(max)d characters.", max=MAX_LENGTH))
    folded = password.casefold()
    if folded in common_passwords():
        problems.append(
            _("This password is too common. Choose one that others are unlikely to use.")
        )
    elif email and folded == email.casefold():
        problems.append(_("The password must not be your e-mail address."))
    return problems
