"""Administration: user accounts and organisations. Every change is audited.

Edit forms carry a fingerprint of the record as it was loaded (users and organisations have no
version column); a save made on a stale fingerprint is refused so two admins never silently
overwrite each other.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func

from portal.accounts import services as accounts
from portal.accounts.models import User
from portal.audit import services as audit
from portal.core.conflicts import EditConflict
from portal.core.enums import OrganisationKind, Role
from portal.core.transaction import call_after_commit
from portal.extensions import db
from portal.reference import lists as reference_lists
from portal.reference.models import City, Organisation, Theme

PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 128


class AdminError(ValueError):
    """A clear, translated reason why an administrative change was refused; ``field`` names the
    form field it concerns, if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


# ---------------------------------------------------------------- fingerprints


def _fingerprint(values: dict[str, Any]) -> str:
    encoded = json.dumps(values, sort_keys=True, default=str).encode()
    return hashlib.sha256(encoded).hexdigest()[:20]


def user_fingerprint(user: User) -> str:
    return _fingerprint(
        {
            "name": user.name,
            "role": user.role.value,
            "organisation_id": user.organisation_id,
            "active": user.is_active_account,
        }
    )


def organisation_fingerprint(org: Organisation) -> str:
    return _fingerprint(organisation_snapshot(org))


def _check_fingerprint(record: Any, current: str, expected: str | None) -> None:
    if expected is not None and expected != current:
        raise EditConflict(record, 0)


# ---------------------------------------------------------------- users


@dataclass(frozen=True)
class UserFilters:
    organisation_id: int | None = None
    role: Role | None = None
    active: bool | None = None


def users_query(filters: UserFilters):
    """Users matching the filters, by name. The organisation and its city load by join."""
    query = db.select(User).join(User.organisation).order_by(func.lower(User.name), User.id)
    if filters.organisation_id is not None:
        query = query.where(User.organisation_id == filters.organisation_id)
    if filters.role is not None:
        query = query.where(User.role == filters.role)
    if filters.active is True:
        query = query.where(User.is_active_account.is_(True), Organisation.is_active.is_(True))
    elif filters.active is False:
        query = query.where(
            db.or_(User.is_active_account.is_(False), Organisation.is_active.is_(False))
        )
    return query


def check_password_policy(password: str) -> None:
    if len(password) < PASSWORD_MIN_LENGTH:
        raise AdminError(
            _("The password must be at least %(min)d characters long.", min=PASSWORD_MIN_LENGTH),
            "password",
        )
    if len(password) > PASSWORD_MAX_LENGTH:
        raise AdminError(
            _("The password must be at most %(max)d characters long.", max=PASSWORD_MAX_LENGTH),
            "password",
        )


def create_user(
    actor: User,
    *,
    email: str,
    name: str,
    role: Role,
    organisation: Organisation,
    password: str,
    locale: str | None,
) -> User:
    check_password_policy(password)
    if not organisation.is_active:
        raise AdminError(_("The organisation is deactivated; activate it first."), "organisation")
    try:
        user = accounts.create_user(
            email=email,
            name=name,
            password=password,
            role=role,
            organisation=organisation,
            actor=actor,
            locale=locale,
        )
    except accounts.AccountError as error:
        raise AdminError(str(error), "email") from None
    db.session.flush()
    return user


def update_user(
    actor: User,
    user: User,
    *,
    name: str,
    role: Role,
    organisation: Organisation,
    expected: str | None = None,
) -> bool:
    """Change name, role and organisation. A role change is audited as its own action so that
    privilege changes can be found in the log. Returns whether anything changed."""
    _check_fingerprint(user, user_fingerprint(user), expected)
    if user.id == actor.id and role != user.role:
        raise AdminError(_("You cannot change your own role."), "role")
    if organisation.id != user.organisation_id and not organisation.is_active:
        raise AdminError(_("The organisation is deactivated; activate it first."), "organisation")
    before = audit.snapshot(user)
    role_changed = role != user.role
    user.name = name.strip()
    user.role = role
    user.organisation = organisation
    db.session.flush()
    after = audit.snapshot(user)
    if before == after:
        return False
    audit.record(actor, "change_role" if role_changed else "update", "user", user.id, before, after)
    db.session.flush()
    return True


def deactivate_user(actor: User, user: User) -> bool:
    """Deactivate and end every session of the user. Returns False if already inactive."""
    if user.id == actor.id:
        raise AdminError(_("You cannot deactivate your own account."))
    if not user.is_active_account:
        return False
    accounts.set_active(user, False, actor=actor)
    db.session.flush()
    return True


def activate_user(actor: User, user: User) -> bool:
    if user.is_active_account:
        return False
    accounts.set_active(user, True, actor=actor)
    db.session.flush()
    return True


# ---------------------------------------------------------------- organisations


def organisation_snapshot(org: Organisation) -> dict[str, Any]:
    """The organisation's columns plus its themes (a many-to-many, not a column)."""
    values = audit.snapshot(org)
    values["themes"] = sorted(t.code for t in org.themes)
    return values


def organisations_with_user_counts() -> list[tuple[Organisation, int]]:
    """Every organisation with its number of users, in two queries whatever their number."""
    counts = dict(
        db.session.execute(
            db.select(User.organisation_id, func.count(User.id)).group_by(User.organisation_id)
        ).all()
    )
    orgs = db.session.scalars(
        db.select(Organisation)
        .join(Organisation.city)
        .options(db.selectinload(Organisation.themes))
        .order_by(City.code, func.lower(Organisation.name_en))
    ).all()
    return [(org, counts.get(org.id, 0)) for org in orgs]


_SWEDISH_ORG_NUMBER = re.compile(r"^(\d{6})-?(\d{4})$")
_EDRPOU = re.compile(r"^\d{8}$")


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def normalise_registry_id(value: str | None, city: City) -> str | None:
    """Check the registry id's form for the organisation's country: the Swedish
    organisationsnummer (NNNNNN-NNNN with a Luhn check digit) or the Ukrainian EDRPOU (8 digits)."""
    value = (value or "").strip()
    if not value:
        return None
    if city.country_code == "SE":
        match = _SWEDISH_ORG_NUMBER.match(value)
        if not match or not _luhn_ok(match.group(1) + match.group(2)):
            raise AdminError(
                _(
                    "A Swedish organisation number has the form NNNNNN-NNNN "
                    "with a valid check digit."
                ),
                "registry_id",
            )
        return f"{match.group(1)}-{match.group(2)}"
    if city.country_code == "UA" and not _EDRPOU.match(value):
        raise AdminError(_("A Ukrainian EDRPOU code has exactly eight digits."), "registry_id")
    return value


@dataclass
class OrganisationData:
    name_en: str
    name_sv: str
    name_uk: str
    kind: OrganisationKind
    city: City
    registry_id: str | None
    themes: list[Theme]


def _check_unique_name(name_en: str, exclude_id: int | None) -> None:
    query = db.select(Organisation.id).where(
        func.lower(Organisation.name_en) == name_en.strip().lower()
    )
    if exclude_id is not None:
        query = query.where(Organisation.id != exclude_id)
    if db.session.scalar(query) is not None:
        raise AdminError(_("An organisation with this English name already exists."), "name_en")


def _apply(org: Organisation, data: OrganisationData) -> None:
    # Checked before anything changes: a refused registry number leaves the organisation as it
    # was, and a new one out of its city's organisations (which it would join, unsaved).
    registry_id = normalise_registry_id(data.registry_id, data.city)
    org.name_en = data.name_en.strip()
    org.name_sv = data.name_sv.strip()
    org.name_uk = data.name_uk.strip()
    org.kind = data.kind
    org.city = data.city
    org.registry_id = registry_id
    org.themes = sorted(data.themes, key=lambda t: t.position)


def create_organisation(actor: User, data: OrganisationData) -> Organisation:
    _check_unique_name(data.name_en, None)
    org = Organisation(is_active=True)
    _apply(org, data)
    db.session.add(org)
    db.session.flush()
    audit.record(actor, "create", "organisation", org.id, after=organisation_snapshot(org))
    call_after_commit(reference_lists.forget)
    return org


def update_organisation(
    actor: User, org: Organisation, data: OrganisationData, expected: str | None = None
) -> bool:
    _check_fingerprint(org, organisation_fingerprint(org), expected)
    _check_unique_name(data.name_en, org.id)
    before = organisation_snapshot(org)
    _apply(org, data)
    db.session.flush()
    after = organisation_snapshot(org)
    if before == after:
        return False
    audit.record(actor, "update", "organisation", org.id, before, after)
    call_after_commit(reference_lists.forget)
    return True


def deactivate_organisation(actor: User, org: Organisation) -> bool:
    """Deactivate: its users can no longer sign in, and their current sessions end (so that
    reactivating the organisation later does not bring old sessions back)."""
    if org.id == actor.organisation_id:
        raise AdminError(_("You cannot deactivate your own organisation."))
    if not org.is_active:
        return False
    before = organisation_snapshot(org)
    org.is_active = False
    db.session.execute(
        db.update(User)
        .where(User.organisation_id == org.id)
        .values(session_generation=User.session_generation + 1)
        .execution_options(synchronize_session="fetch")
    )
    audit.record(actor, "deactivate", "organisation", org.id, before, organisation_snapshot(org))
    call_after_commit(reference_lists.forget)
    return True


def activate_organisation(actor: User, org: Organisation) -> bool:
    if org.is_active:
        return False
    before = organisation_snapshot(org)
    org.is_active = True
    audit.record(actor, "activate", "organisation", org.id, before, organisation_snapshot(org))
    call_after_commit(reference_lists.forget)
    return True
