"""Who may see what, as SQL predicates shared by lists, counts, search, exports and detail pages.

public: everyone, also without an account. partners: any signed-in user. restricted: the owning
organisation, the organisations on a live match or project, and coordinators. Drafts are seen only
by their own organisation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeGuard

from flask_login import AnonymousUserMixin

from portal.core.enums import Visibility

if TYPE_CHECKING:
    from portal.accounts.models import User


def is_signed_in(user: Any) -> TypeGuard[User]:
    """A signed-in person (not None, not the anonymous visitor). A type guard: after it, the
    checker knows ``user`` is a ``User``."""
    return user is not None and not isinstance(user, AnonymousUserMixin) and user.is_authenticated


def allowed_visibilities(user: Any) -> tuple[Visibility, ...]:
    if not is_signed_in(user):
        return (Visibility.PUBLIC,)
    return (Visibility.PUBLIC, Visibility.PARTNERS)
