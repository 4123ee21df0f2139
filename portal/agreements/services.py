"""The agreement's validity and its amendments.

An amendment is recorded even after expiry: that is how an expired agreement is extended and
its records become writable again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from flask import has_request_context
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import Forbidden

from portal.accounts.models import User
from portal.agreements.models import Agreement, AgreementPeriod, Amendment
from portal.audit import services as audit
from portal.content.models import CONTENT_LANGUAGES
from portal.core import pagecache
from portal.core.enums import AmendmentKind
from portal.core.i18n import format_date
from portal.core.visibility import is_signed_in
from portal.extensions import db

# The agreement page and the dashboard warn this many days before the agreement ends.
WARN_DAYS = 90
REASON_MAX = 5000
# Control characters a browser never sends in text; PostgreSQL refuses NUL outright.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class NotAllowed(Forbidden):
    """The acting user may not do this (answered 403)."""


class AmendmentRuleError(ValueError):
    """An amendment breaks a rule; ``field`` names the form field the message belongs beside."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field

    @property
    def message(self) -> str:
        return str(self.args[0])


def can_amend(user: User | None) -> bool:
    return is_signed_in(user) and user.is_coordinator


def is_ending_soon(agreement: Agreement, today: date | None = None) -> bool:
    """Ends within ``WARN_DAYS`` days, or has already ended."""
    return agreement.has_expired(today) or agreement.days_left(today) <= WARN_DAYS


def find_default_agreement() -> Agreement | None:
    """The agreement new needs and offers fall under, when reference data has been loaded."""
    return db.session.scalar(select(Agreement).where(Agreement.is_default.is_(True)))


@dataclass(frozen=True, slots=True)
class AgreementTerms(AgreementPeriod):
    """The default agreement as the projects list and the dashboard show it: its reference,
    titles and period (days left, whether it has expired)."""

    id: int
    reference: str
    title_en: str
    title_sv: str
    title_uk: str
    valid_from: date
    valid_until: date


# (the data version it was read under, the default agreement's terms): an amendment, as any
# committed write, makes a new data version, and the next page reads the terms again.
_kept_terms: tuple[int, AgreementTerms | None] | None = None


def default_terms() -> AgreementTerms | None:
    """The default agreement's terms (None before reference data is loaded), read once per data
    version by each worker: a page showing whether new projects may start, or the days left,
    sends no statement for it (the row with its two cities cost a coordinator's page about
    a tenth of its CPU). Without a data version (outside a request, the cache away) it is read."""
    global _kept_terms
    version = pagecache.data_version() if has_request_context() else None
    kept = _kept_terms
    if version is not None and kept is not None and kept[0] == version:
        return kept[1]
    row = db.session.execute(
        select(
            Agreement.id,
            Agreement.reference,
            Agreement.title_en,
            Agreement.title_sv,
            Agreement.title_uk,
            Agreement.valid_from,
            Agreement.valid_until,
        ).where(Agreement.is_default.is_(True))
    ).first()
    terms = AgreementTerms(*row) if row is not None else None
    if version is not None:
        _kept_terms = (version, terms)
    return terms


def default_agreement() -> Agreement:
    """The agreement new needs and offers fall under; an error when reference data is missing."""
    agreement = find_default_agreement()
    if agreement is None:
        raise LookupError("no default agreement: run 'flask seed reference'")
    return agreement


def get_agreement(agreement_id: int) -> Agreement | None:
    return db.session.scalar(
        select(Agreement)
        .where(Agreement.id == agreement_id)
        .options(
            selectinload(Agreement.themes),
            selectinload(Agreement.amendments).selectinload(Amendment.recorded_by),
        )
    )


def record_amendment(
    actor: User,
    agreement: Agreement,
    *,
    kind: AmendmentKind,
    reason: str,
    reason_lang: str,
    decided_on: date,
    new_valid_until: date | None = None,
) -> Amendment:
    """Record a decided change to the agreement. An extension moves ``valid_until`` to a later
    date and keeps the previous end on the amendment."""
    if not can_amend(actor):
        raise NotAllowed()
    if not isinstance(kind, AmendmentKind):
        raise AmendmentRuleError(_("Choose what kind of change this is."), "kind")
    reason = _CONTROL.sub("", reason or "").strip()
    if not reason:
        raise AmendmentRuleError(_("Say why the agreement was changed."), "reason")
    if len(reason) > REASON_MAX:
        raise AmendmentRuleError(
            ngettext(
                "Use at most %(num)d character.", "Use at most %(num)d characters.", REASON_MAX
            ),
            "reason",
        )
    if reason_lang not in CONTENT_LANGUAGES:
        raise AmendmentRuleError(_("Choose Ukrainian, Swedish or English."), "reason_lang")
    if decided_on is None:
        raise AmendmentRuleError(_("Enter the date of the decision."), "decided_on")
    if decided_on > date.today():
        raise AmendmentRuleError(_("The decision date cannot be in the future."), "decided_on")
    if kind == AmendmentKind.EXTENSION:
        if new_valid_until is None:
            raise AmendmentRuleError(_("Enter the new end of the agreement."), "new_valid_until")
        if new_valid_until <= agreement.valid_until:
            raise AmendmentRuleError(
                _(
                    "The new end must be later than the current end, %(date)s.",
                    date=format_date(agreement.valid_until),
                ),
                "new_valid_until",
            )
    elif new_valid_until is not None:
        raise AmendmentRuleError(
            _("Only an extension changes the end of the agreement."), "new_valid_until"
        )

    before = {"valid_until": agreement.valid_until.isoformat()}
    amendment = Amendment(
        agreement=agreement,
        kind=kind,
        reason=reason,
        reason_lang=reason_lang,
        previous_valid_until=agreement.valid_until,
        new_valid_until=new_valid_until,
        decided_on=decided_on,
        recorded_by=actor,
    )
    if new_valid_until is not None:
        agreement.valid_until = new_valid_until
    db.session.add(amendment)
    db.session.flush()
    audit.record(
        actor,
        "amend",
        "agreement",
        agreement.id,
        before,
        {
            "valid_until": agreement.valid_until.isoformat(),
            "amendment_id": amendment.id,
            "kind": kind.value,
            "reason": reason,
            "decided_on": decided_on.isoformat(),
        },
    )
    db.session.flush()
    return amendment
