"""Administration services, without HTTP."""

from __future__ import annotations

import pytest

from portal.admin import services
from portal.audit.models import AuditEvent
from portal.core.enums import OrganisationKind, Role
from portal.extensions import db
from portal.reference.models import City, Organisation


def _city(code: str) -> City:
    return db.session.scalar(db.select(City).filter_by(code=code))


@pytest.mark.parametrize(
    "value, expected",
    [
        ("212000-0142", "212000-0142"),
        ("2120000142", "212000-0142"),
        (" 212000-0142 ", "212000-0142"),
        ("", None),
        (None, None),
    ],
)
def test_swedish_registry_ids_are_normalised(app, value, expected):
    assert services.normalise_registry_id(value, _city("stockholm")) == expected


@pytest.mark.parametrize("value", ["212000-0143", "21200-00142", "abc", "2120000142x"])
def test_swedish_registry_ids_need_form_and_check_digit(app, value):
    with pytest.raises(services.AdminError) as error:
        services.normalise_registry_id(value, _city("stockholm"))
    assert error.value.field == "registry_id"


def test_ukrainian_registry_id_is_the_edrpou(app):
    assert services.normalise_registry_id("03327664", _city("kyiv")) == "03327664"
    with pytest.raises(services.AdminError):
        services.normalise_registry_id("0332766", _city("kyiv"))


def test_users_query_filters(app, users):
    def emails(**kwargs):
        query = services.users_query(services.UserFilters(**kwargs))
        return {u.email for u in db.session.scalars(query)}

    assert emails(role=Role.REQUESTER) == {"requester@kyiv.test", "other.requester@kyiv.test"}
    assert emails(organisation_id=users["admin"].organisation_id) == {"admin@stockholm.test"}
    users["requester"].organisation.is_active = False
    db.session.commit()
    assert "requester@kyiv.test" in emails(active=False)
    assert "requester@kyiv.test" not in emails(active=True)
    assert len(emails()) == 6


def test_update_user_without_change_records_nothing(app, users):
    expert = users["expert"]
    changed = services.update_user(
        users["admin"],
        expert,
        name=expert.name,
        role=expert.role,
        organisation=expert.organisation,
        expected=services.user_fingerprint(expert),
    )
    assert changed is False
    assert db.session.scalar(db.select(AuditEvent).filter_by(action="update")) is None


def test_update_user_refuses_a_stale_fingerprint(app, users):
    from portal.core.conflicts import EditConflict

    expert = users["expert"]
    stale = services.user_fingerprint(expert)
    expert.name = "Someone else's edit"
    db.session.commit()
    with pytest.raises(EditConflict):
        services.update_user(
            users["admin"],
            expert,
            name="Mine",
            role=expert.role,
            organisation=expert.organisation,
            expected=stale,
        )


def test_deactivating_twice_is_recorded_once(app, users):
    admin, expert = users["admin"], users["expert"]
    generation = expert.session_generation
    assert services.deactivate_user(admin, expert) is True
    assert services.deactivate_user(admin, expert) is False
    assert expert.session_generation == generation + 1
    events = db.session.scalars(db.select(AuditEvent).filter_by(action="deactivate")).all()
    assert len(events) == 1


def test_create_organisation_and_count_its_users(app, users):
    org = services.create_organisation(
        users["admin"],
        services.OrganisationData(
            name_en="Kyiv Metro",
            name_sv="Kyivs tunnelbana",
            name_uk="Київський метрополітен",
            kind=OrganisationKind.CITY_OWNED_COMPANY,
            city=_city("kyiv"),
            registry_id=None,
            themes=[],
        ),
    )
    counts = {o.name_en: n for o, n in services.organisations_with_user_counts()}
    assert counts["Kyiv Metro"] == 0
    assert counts["Kyivvodokanal"] == 1
    assert db.session.get(Organisation, org.id).is_active


def test_organisations_list_costs_the_same_whatever_their_number(app, users):
    from tests.conftest import count_queries

    with count_queries(app) as few:
        services.organisations_with_user_counts()
    for n in range(5):
        services.create_organisation(
            users["admin"],
            services.OrganisationData(
                name_en=f"Partner {n}",
                name_sv=f"Partner {n}",
                name_uk=f"Партнер {n}",
                kind=OrganisationKind.PRIVATE_COMPANY,
                city=_city("stockholm"),
                registry_id=None,
                themes=[],
            ),
        )
    db.session.commit()  # as the request would
    with count_queries(app) as many:
        services.organisations_with_user_counts()
    assert len(many) == len(few)
