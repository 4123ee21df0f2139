"""Amendments to the agreement, without HTTP."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from portal.agreements.models import Amendment
from portal.agreements.services import (
    AmendmentRuleError,
    NotAllowed,
    default_agreement,
    is_ending_soon,
    record_amendment,
)
from portal.audit.models import AuditEvent
from portal.core.enums import AmendmentKind
from portal.extensions import db

pytestmark = pytest.mark.usefixtures("req")

TODAY = date.today()


def extend(actor, agreement, new_end, **changes):
    values = {
        "kind": AmendmentKind.EXTENSION,
        "reason": "The City Council extended the agreement (KF 2027/12).",
        "reason_lang": "en",
        "decided_on": TODAY,
        "new_valid_until": new_end,
    }
    values.update(changes)
    return record_amendment(actor, agreement, **values)


def test_extension_moves_the_end_and_keeps_the_previous_one(users):
    agreement = default_agreement()
    old_end = agreement.valid_until
    new_end = old_end + timedelta(days=365)
    amendment = extend(users["coordinator"], agreement, new_end)

    assert agreement.valid_until == new_end
    assert amendment.previous_valid_until == old_end
    assert amendment.new_valid_until == new_end
    assert amendment.recorded_by.id == users["coordinator"].id
    assert agreement.amendments == [amendment]
    event = db.session.scalar(
        db.select(AuditEvent).where(
            AuditEvent.record_type == "agreement", AuditEvent.record_id == agreement.id
        )
    )
    assert event is not None and event.action == "amend"
    assert event.before == {"valid_until": old_end.isoformat()}
    assert event.after["valid_until"] == new_end.isoformat()
    assert event.after["amendment_id"] == amendment.id


@pytest.mark.parametrize("days", [0, -1, -400])
def test_extension_must_end_later(users, days):
    agreement = default_agreement()
    old_end = agreement.valid_until
    with pytest.raises(AmendmentRuleError) as refused:
        extend(users["coordinator"], agreement, old_end + timedelta(days=days))
    assert refused.value.field == "new_valid_until"
    assert agreement.valid_until == old_end
    assert db.session.scalar(db.select(db.func.count(Amendment.id))) == 0


def test_extension_needs_a_new_end(users):
    with pytest.raises(AmendmentRuleError) as refused:
        extend(users["coordinator"], default_agreement(), None)
    assert refused.value.field == "new_valid_until"


def test_other_amendments_keep_the_end(users):
    agreement = default_agreement()
    old_end = agreement.valid_until
    amendment = record_amendment(
        users["coordinator"],
        agreement,
        kind=AmendmentKind.THEMES,
        reason="Waste management added.",
        reason_lang="sv",
        decided_on=TODAY,
    )
    assert agreement.valid_until == old_end
    assert amendment.new_valid_until is None
    assert amendment.previous_valid_until == old_end
    with pytest.raises(AmendmentRuleError):
        record_amendment(
            users["coordinator"],
            agreement,
            kind=AmendmentKind.OTHER,
            reason="x",
            reason_lang="en",
            decided_on=TODAY,
            new_valid_until=old_end + timedelta(days=10),
        )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"reason": "  "}, "reason"),
        ({"reason": "x" * 5001}, "reason"),
        ({"reason_lang": "de"}, "reason_lang"),
        ({"decided_on": TODAY + timedelta(days=1)}, "decided_on"),
    ],
)
def test_bad_amendments_are_refused(users, changes, field):
    agreement = default_agreement()
    with pytest.raises(AmendmentRuleError) as refused:
        extend(
            users["coordinator"], agreement, agreement.valid_until + timedelta(days=1), **changes
        )
    assert refused.value.field == field


@pytest.mark.parametrize("who", ["requester", "expert", "admin", "other_expert"])
def test_only_coordinators_amend(users, who):
    agreement = default_agreement()
    old_end = agreement.valid_until
    with pytest.raises(NotAllowed):
        extend(users[who], agreement, old_end + timedelta(days=30))
    assert agreement.valid_until == old_end


def test_an_expired_agreement_can_be_extended(users):
    agreement = default_agreement()
    agreement.valid_until = TODAY - timedelta(days=10)
    db.session.commit()
    assert agreement.has_expired()
    extend(users["coordinator"], agreement, TODAY + timedelta(days=100))
    assert not agreement.has_expired()
    agreement.ensure_writable()


def test_ending_soon():
    agreement = default_agreement()
    end = agreement.valid_until
    assert is_ending_soon(agreement, end - timedelta(days=90))
    assert not is_ending_soon(agreement, end - timedelta(days=91))
    assert is_ending_soon(agreement, end + timedelta(days=1))
