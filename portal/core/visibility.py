"""Who may see what, as SQL predicates shared by lists, counts, search, exports and detail pages.

public: everyone, also without an account. partners: any signed-in user. restricted: the owning
organisation, the organisations on a live match or project, and coordinators. Drafts are seen only
by their own organisation.

Every SQL rule (``visible_to`` of needs, offers, matches and projects) reads the viewer only
through :class:`Scope`: viewers with equal scopes see the same rows, so a kept page or list
fragment (``portal.core.pagecache``) is keyed by the scope the rule itself was built from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeGuard

from flask_login import AnonymousUserMixin

from portal.core.enums import Visibility

if TYPE_CHECKING:
    from portal.accounts.models import User


def is_signed_in(user: Any) -> TypeGuard[User]:
    """A signed-in person (not None, not the anonymous visitor). A type guard: after it, the
    checker knows ``user`` is a ``User``."""
    return user is not None and not isinstance(user, AnonymousUserMixin) and user.is_authenticated


@dataclass(frozen=True)
class Scope:
    """What the visibility rules know of a viewer, and nothing more: signed in or not, sees
    everything (coordinators) or not, and the organisation (its own drafts and restricted
    records). ``key`` names it in cache keys."""

    is_signed_in: bool
    sees_everything: bool
    organisation_id: int | None

    @classmethod
    def of(cls, user: Any) -> Scope:
        if not is_signed_in(user):
            return PUBLIC_SCOPE
        return cls(True, bool(user.sees_everything), user.organisation_id)

    @property
    def key(self) -> str:
        if not self.is_signed_in:
            return "public"
        kind = "everything" if self.sees_everything else "organisation"
        return f"{kind}-{self.organisation_id}"

    @property
    def visibilities(self) -> tuple[Visibility, ...]:
        """The visibilities seen without further conditions (restricted needs a reason)."""
        if not self.is_signed_in:
            return (Visibility.PUBLIC,)
        return (Visibility.PUBLIC, Visibility.PARTNERS)


PUBLIC_SCOPE = Scope(False, False, None)


def allowed_visibilities(user: Any) -> tuple[Visibility, ...]:
    return Scope.of(user).visibilities
