"""Who may see what, as SQL predicates shared by lists, counts, search, exports and detail pages.

public: everyone, also without an account. partners: any signed-in user. restricted: the owning
organisation, the organisations on a live match or project, and coordinators. Drafts are seen only
by their own organisation.
"""

from __future__ import annotations

from typing import Any

from flask_login import AnonymousUserMixin

from portal.core.enums import Visibility


def is_signed_in(user: Any) -> bool:
    return user is not None and not isinstance(user, AnonymousUserMixin) and user.is_authenticated


def allowed_visibilities(user: Any) -> tuple[Visibility, ...]:
    if not is_signed_in(user):
        return (Visibility.PUBLIC,)
    return (Visibility.PUBLIC, Visibility.PARTNERS)
