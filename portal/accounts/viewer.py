"""A signed-in person's facts, kept: a kept page served without asking the database.

Serving a kept page (``portal.core.pagecache.kept_for_viewers``) needs only a few facts of the
person: who they are (id, name, session generation), whether they may still sign in (their
account and organisation active), what they see (role and organisation: the visibility scope),
how they read (language, time zone) and what the second-factor rules ask of them. Loading the
account row with its organisation cost a third of a kept page's time and four round trips to
PostgreSQL (pool ping, BEGIN, SELECT, COMMIT); these facts come from Redis instead, in the
round trip that reads the data version.

The facts are kept under the **accounts version**, bumped after every commit that writes
accounts, organisations, cities or site settings (``pagecache.ACCOUNTS_TABLES``): a person
signed out everywhere, deactivated, given another role or organisation, or asked for a second
factor is seen as such on their next request. They are read only for GETs of kept pages; every
other request, and a kept page that has to be rendered, has the account row itself
(``real_user``). Nothing secret is kept: no password hash, no second-factor secret or
challenge (only whether one is set up).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from flask import g, has_request_context
from flask_login import current_user

from portal.accounts.models import HasRole, SiteSetting, User
from portal.accounts.twofactor import MFA_FOR_EVERYONE
from portal.core import pagecache
from portal.core.enums import Role
from portal.extensions import db


@dataclass(frozen=True)
class KeptViewer(HasRole):
    """What a kept page needs of the signed-in person: the same names as ``User``'s. Anything
    else asked of it is asked of the account row, loaded then (``__getattr__``)."""

    id: int
    name: str
    role: Role
    organisation_id: int
    locale: str | None
    effective_timezone: str
    session_generation: int
    is_active: bool
    has_totp: bool

    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_generation}"

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(real_user(), name)


def facts_of(user: User, setting: SiteSetting | None) -> dict[str, Any]:
    """What is kept of ``user`` (and whether the site asks everyone for a second factor)."""
    viewer = KeptViewer(
        id=user.id,
        name=user.name,
        role=user.role,
        organisation_id=user.organisation_id,
        locale=user.locale,
        effective_timezone=user.effective_timezone,
        session_generation=user.session_generation,
        is_active=user.is_active,
        has_totp=user.has_totp,
    )
    return {"viewer": asdict(viewer), "second_factor_for_everyone": _setting_value(setting)}


def _setting_value(setting: SiteSetting | None) -> str | None:
    return None if setting is None else setting.value


def viewer_of(facts: dict[str, Any]) -> tuple[KeptViewer, SiteSetting | None]:
    """The kept person, and the setting as the user loader would have read it."""
    value = facts["second_factor_for_everyone"]
    setting = None if value is None else SiteSetting(key=MFA_FOR_EVERYONE, value=value)
    return KeptViewer(**facts["viewer"]), setting


def real_user() -> Any:
    """The signed-in person's account row, loaded now if the request began with their kept
    facts; the anonymous visitor stays as they are."""
    user = current_user._get_current_object()
    if not isinstance(user, KeptViewer):
        return user
    # Checked against the session when the request began, as a row loaded then would have been.
    row = db.session.get(User, user.id)
    if row is None:
        raise LookupError(f"account {user.id} is gone")
    if has_request_context():
        g._login_user = row
    return row


pagecache.register_viewer_loader(real_user)
