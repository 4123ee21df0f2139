"""Needs services without HTTP: creation defaults, visibility, transitions, conflicts, lists."""

from __future__ import annotations

from datetime import date

import pytest
from werkzeug.exceptions import Forbidden

from portal.agreements.models import AgreementExpired
from portal.agreements.services import default_agreement
from portal.audit.models import AuditEvent
from portal.audit.services import history
from portal.content.models import Text
from portal.core.conflicts import EditConflict
from portal.core.enums import HelpKind, NeedStatus, Priority, Visibility
from portal.core.transitions import IllegalTransition
from portal.extensions import db
from portal.needs import services
from portal.needs.models import Need
from portal.needs.services import NeedFilters
from tests.factories import reload


def test_create_need_defaults(users, themes, districts):
    requester = users["requester"]
    need = services.create_need(
        requester,
        title="  Leak detection  ",
        description="Find leaks in the network.",
        lang="uk",
        theme=themes["it_digital"],
        priority=Priority.CRITICAL,
        help_kind=HelpKind.TRAINING,
        district=districts["Podilskyi"],
        wanted_from=date(2026, 3, 1),
        wanted_until=date(2026, 6, 30),
        person_days=40,
    )
    need = reload(need)
    assert need.status == NeedStatus.DRAFT
    assert need.published_at is None
    assert need.organisation_id == requester.organisation_id
    assert need.created_by_id == requester.id
    assert need.agreement_id == default_agreement().id
    assert need.visibility == Visibility.PUBLIC
    assert need.title.original_lang == "uk"
    assert need.title.original == "Leak detection"
    assert need.description.version("uk").body == "Find leaks in the network."
    assert need.district.name_en == "Podilskyi"
    assert need.version == 1
    [event] = history("need", need.id)
    assert event.action == "create" and event.actor_id == requester.id
    assert event.after["title"] == {"uk": "Leak detection"}
    assert event.after["status"] == "draft"


@pytest.mark.parametrize(
    ("theme", "expected"),
    [
        ("water_sewage", Visibility.RESTRICTED),
        ("electricity", Visibility.RESTRICTED),
        ("district_heating", Visibility.RESTRICTED),
        ("education", Visibility.PUBLIC),
    ],
)
def test_visibility_defaults_to_restricted_for_critical_infrastructure(make_need, theme, expected):
    assert make_need(theme=theme, publish=False).visibility == expected


def test_an_explicit_visibility_wins_over_the_default(make_need):
    need = make_need(theme="water_sewage", visibility=Visibility.PARTNERS, publish=False)
    assert need.visibility == Visibility.PARTNERS


@pytest.mark.parametrize("who", ["expert", "coordinator", "admin"])
def test_only_requesters_create_needs(users, themes, who):
    with pytest.raises(Forbidden):
        services.create_need(
            users[who],
            title="x",
            description="y",
            lang="en",
            theme=themes["education"],
            priority=Priority.LOW,
            help_kind=HelpKind.ADVICE,
        )
    assert db.session.scalar(db.select(db.func.count(Need.id))) == 0


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"wanted_from": date(2026, 5, 1), "wanted_until": date(2026, 4, 30)}, "wanted_until"),
        ({"person_days": 0}, "person_days"),
        ({"title": "   "}, "title"),
        ({"lang": "de"}, "lang"),
    ],
)
def test_create_refuses_invalid_values(make_need, values, field):
    with pytest.raises(services.InvalidNeed) as error:
        make_need(publish=False, **values)
    assert error.value.field == field
    assert db.session.scalar(db.select(db.func.count(Need.id))) == 0


def test_create_refuses_under_an_expired_agreement(make_need):
    agreement = default_agreement()
    agreement.valid_until = date(2024, 1, 1)
    db.session.commit()
    with pytest.raises(AgreementExpired):
        make_need(publish=False)


def test_publish_withdraw_close(make_need, users):
    requester = users["requester"]
    need = make_need(publish=False)
    services.publish_need(requester, need)
    assert need.status == NeedStatus.OPEN and need.published_at is not None
    services.close_need(requester, need)
    assert need.status == NeedStatus.CLOSED
    assert [e.action for e in history("need", need.id)] == ["close", "publish", "create"]

    other = make_need("Second", publish=False)
    services.withdraw_need(requester, other)
    assert other.status == NeedStatus.WITHDRAWN


@pytest.mark.parametrize(
    ("status", "change"),
    [
        (NeedStatus.OPEN, services.publish_need),
        (NeedStatus.MATCHED, services.publish_need),
        (NeedStatus.CLOSED, services.publish_need),
        (NeedStatus.DRAFT, services.close_need),
        (NeedStatus.CLOSED, services.withdraw_need),
        (NeedStatus.WITHDRAWN, services.close_need),
        (NeedStatus.IN_PROJECT, services.withdraw_need),
    ],
)
def test_illegal_transitions_are_refused_and_change_nothing(make_need, users, status, change):
    need = make_need(publish=False)
    need.status = status
    db.session.commit()
    events = len(history("need", need.id))
    with pytest.raises(IllegalTransition):
        change(users["requester"], need)
    db.session.rollback()
    assert db.session.get(Need, need.id).status == status
    assert len(history("need", need.id)) == events


def test_update_changes_fields_and_records_before_and_after(make_need, users, themes):
    requester = users["requester"]
    need = make_need(publish=False)
    services.update_need(
        requester,
        need,
        expected_version=1,
        title="Leak detection, phase 2",
        priority=Priority.LOW,
        theme=themes["education"],
    )
    assert need.title.original == "Leak detection, phase 2"
    assert need.priority == Priority.LOW
    assert need.version == 2
    event = history("need", need.id)[0]
    assert event.action == "update"
    assert event.before["priority"] == "high" and event.after["priority"] == "low"
    assert event.after["title"] == {"en": "Leak detection, phase 2"}
    assert "help_kind" not in event.after


def test_update_of_the_text_alone_bumps_the_version(make_need, users):
    need = make_need(publish=False)
    services.update_need(users["requester"], need, expected_version=1, description="Changed.")
    assert need.version == 2
    with pytest.raises(EditConflict):
        services.update_need(users["requester"], need, expected_version=1, title="Stale")


def test_update_in_another_language_adds_a_translation(make_need, users):
    need = make_need(publish=False, lang="uk", title="Виявлення витоків")
    services.update_need(
        users["requester"], need, expected_version=1, lang="sv", title="Läcksökning"
    )
    assert need.title.original_lang == "uk"
    assert need.title.original == "Виявлення витоків"
    assert need.title.version("sv").body == "Läcksökning"


def test_update_without_changes_writes_nothing(make_need, users):
    need = make_need(publish=False)
    services.update_need(users["requester"], need, expected_version=1, priority=need.priority)
    assert need.version == 1
    assert [e.action for e in history("need", need.id)] == ["create"]


def test_update_on_a_stale_version_is_a_conflict_and_keeps_the_saved_values(make_need, users):
    requester = users["requester"]
    need = make_need(publish=False)
    services.update_need(requester, need, expected_version=1, priority=Priority.LOW)
    with pytest.raises(EditConflict) as conflict:
        services.update_need(requester, need, expected_version=1, priority=Priority.CRITICAL)
    assert conflict.value.record is need
    assert need.priority == Priority.LOW
    assert need.version == 2


@pytest.mark.parametrize("who", ["other_requester", "expert", "coordinator", "admin"])
def test_only_requesters_of_the_organisation_edit(make_need, users, who):
    need = make_need(publish=False)
    with pytest.raises(Forbidden):
        services.update_need(users[who], need, expected_version=1, title="Taken over")
    assert need.title.original == "Leak detection in the water network"


def test_closed_needs_cannot_be_edited(make_need, users):
    need = make_need()
    services.close_need(users["requester"], need)
    with pytest.raises(Forbidden):
        services.update_need(users["requester"], need, expected_version=need.version, title="x")


def test_update_refuses_a_period_ending_before_it_starts(make_need, users):
    need = make_need(publish=False, wanted_from=date(2026, 5, 1))
    with pytest.raises(services.InvalidNeed):
        services.update_need(
            users["requester"], need, expected_version=1, wanted_until=date(2026, 1, 1)
        )
    assert reload(need).wanted_until is None


def test_actions_follow_state_and_role(make_need, users):
    need = make_need(publish=False)
    owner = services.actions_for(users["requester"], need)
    assert (owner.edit, owner.publish, owner.withdraw, owner.close) == (True, True, True, False)
    services.publish_need(users["requester"], need)
    owner = services.actions_for(users["requester"], need)
    assert (owner.edit, owner.publish, owner.withdraw, owner.close) == (True, False, True, True)
    for who in ("other_requester", "expert", "coordinator", "admin"):
        assert not services.actions_for(users[who], need).any
    assert not services.actions_for(None, need).any


# ---------------------------------------------------------------- lists


def _ids(viewer, **filters) -> set[int]:
    return {n.id for n in db.session.scalars(services.needs_query(viewer, NeedFilters(**filters)))}


def test_lists_apply_visibility(make_need, users):
    public = make_need("Public")
    restricted = make_need("Restricted", theme="water_sewage")
    partners = make_need("Partners", visibility=Visibility.PARTNERS)
    draft = make_need("Draft", publish=False)
    everything = {"statuses": None}
    assert _ids(None, **everything) == {public.id}
    assert _ids(users["other_requester"], **everything) == {public.id, partners.id}
    assert _ids(users["expert"], **everything) == {public.id, partners.id}
    assert _ids(users["coordinator"], **everything) == {public.id, partners.id, restricted.id}
    assert _ids(users["requester"], **everything) == {
        public.id,
        partners.id,
        restricted.id,
        draft.id,
    }


def test_search_finds_any_language_version_and_respects_visibility(make_need, users):
    visible = make_need("Виявлення витоків", lang="uk")
    visible.title.set_version("sv", "Läcksökning i vattennätet", users["expert"])
    hidden = make_need("Läcksökning i Kyivvodokanal", theme="water_sewage")
    db.session.commit()
    assert _ids(users["other_requester"], q="LÄCKSÖKNING") == {visible.id}
    assert _ids(users["coordinator"], q="läcksökning") == {visible.id, hidden.id}
    assert _ids(users["other_requester"], q="ВИТОКІВ") == {visible.id}
    assert _ids(users["other_requester"], q="100%_") == set()


def test_filters(make_need, users, themes, districts):
    a = make_need("A", priority=Priority.CRITICAL, district=districts["Obolonskyi"])
    b = make_need("B", theme="education", help_kind=HelpKind.TRAINING)
    c = make_need("C", who="other_requester", theme="education")
    services.close_need(users["requester"], b)
    coordinator = users["coordinator"]
    assert _ids(coordinator) == {a.id, c.id}  # live by default
    assert _ids(coordinator, statuses=None) == {a.id, b.id, c.id}
    assert _ids(coordinator, statuses=(NeedStatus.CLOSED,)) == {b.id}
    assert _ids(coordinator, statuses=None, theme_id=themes["education"].id) == {b.id, c.id}
    assert _ids(coordinator, priority=Priority.CRITICAL) == {a.id}
    assert _ids(coordinator, statuses=None, help_kind=HelpKind.TRAINING) == {b.id}
    assert _ids(coordinator, district_id=districts["Obolonskyi"].id) == {a.id}
    org = users["other_requester"].organisation_id
    assert _ids(coordinator, organisation_id=org) == {c.id}


def test_sorting(make_need, users):
    low = make_need("Low", priority=Priority.LOW, wanted_from=date(2026, 1, 1))
    critical = make_need("Critical", priority=Priority.CRITICAL)
    medium = make_need("Medium", priority=Priority.MEDIUM, wanted_from=date(2025, 9, 1))
    viewer = users["coordinator"]

    def order(sort):
        stmt = services.needs_query(viewer, NeedFilters(sort=sort))
        return [n.id for n in db.session.scalars(stmt)]

    assert order("newest") == [medium.id, critical.id, low.id]
    assert order("priority") == [critical.id, medium.id, low.id]
    assert order("wanted") == [medium.id, low.id, critical.id]


def test_list_needs_pages_and_survives_absurd_pages(make_need, users):
    for i in range(5):
        make_need(f"Need {i}")
    coordinator = users["coordinator"]
    page = services.list_needs(coordinator, NeedFilters(), {"page": "2"}, per_page=2)
    assert page.count.value == 5 and page.count.exact and len(page.items) == 2
    assert page.has_prev and page.has_next
    first = services.list_needs(coordinator, NeedFilters(), {"page": "-3"}, per_page=2)
    assert not first.has_prev and len(first.items) == 2
    assert services.list_needs(coordinator, NeedFilters(), {"page": str(10**30)}).items == []


def test_audit_rows_are_written_once_per_change(make_need, users):
    need = make_need()
    count = db.session.scalar(
        db.select(db.func.count(AuditEvent.id)).where(
            AuditEvent.record_type == "need", AuditEvent.record_id == need.id
        )
    )
    assert count == 2
    assert isinstance(need.title, Text)
