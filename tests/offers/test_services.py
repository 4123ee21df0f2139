"""Offers services without HTTP: creation defaults, visibility, transitions, conflicts, lists."""

from __future__ import annotations

from datetime import date

import pytest
from werkzeug.exceptions import Forbidden

from portal.agreements.models import AgreementExpired
from portal.agreements.services import default_agreement
from portal.audit.services import history
from portal.core.conflicts import EditConflict
from portal.core.enums import HelpKind, MatchStatus, OfferStatus, Side, Visibility
from portal.core.transitions import IllegalTransition
from portal.extensions import db
from portal.offers import services
from portal.offers.models import Offer
from portal.offers.services import OfferFilters
from tests.factories import reload


def test_create_offer_defaults(users, themes):
    expert = users["expert"]
    offer = services.create_offer(
        expert,
        title=" Läcksökning ",
        description="Vi har gjort det i tjugo år.",
        lang="sv",
        themes=[themes["it_digital"], themes["education"], themes["it_digital"]],
        help_kind=HelpKind.TRAINING,
        capacity_days=30,
        available_from=date(2026, 1, 1),
        available_until=date(2026, 6, 30),
    )
    offer = reload(offer)
    assert offer.status == OfferStatus.DRAFT
    assert offer.organisation_id == expert.organisation_id
    assert offer.created_by_id == expert.id
    assert offer.agreement_id == default_agreement().id
    assert offer.visibility == Visibility.PUBLIC
    assert {t.code for t in offer.themes} == {"it_digital", "education"}
    assert offer.title.original_lang == "sv" and offer.title.original == "Läcksökning"
    assert offer.committed_days == 0 and offer.remaining_days == 30
    [event] = history("offer", offer.id)
    assert event.action == "create" and event.actor_id == expert.id
    assert event.after["themes"] == ["education", "it_digital"]


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        (("water_sewage",), Visibility.PARTNERS),
        (("education", "district_heating"), Visibility.PARTNERS),
        (("education", "transport"), Visibility.PUBLIC),
    ],
)
def test_visibility_defaults_to_partners_for_critical_themes(make_offer, codes, expected):
    assert make_offer(themes=codes, publish=False).visibility == expected


def test_an_explicit_visibility_wins(make_offer):
    offer = make_offer(themes=("water_sewage",), visibility=Visibility.RESTRICTED)
    assert offer.visibility == Visibility.RESTRICTED


@pytest.mark.parametrize("who", ["requester", "coordinator", "admin"])
def test_only_experts_make_offers(make_offer, who):
    with pytest.raises(Forbidden):
        make_offer(who=who)
    assert db.session.scalar(db.select(db.func.count(Offer.id))) == 0


@pytest.mark.parametrize(
    ("values", "field"),
    [
        (
            {"available_from": date(2026, 5, 1), "available_until": date(2026, 4, 30)},
            "available_until",
        ),
        ({"capacity_days": 0}, "capacity_days"),
        ({"description": ""}, "description"),
        ({"themes": ()}, "themes"),
        ({"lang": "fr"}, "lang"),
    ],
)
def test_create_refuses_invalid_values(make_offer, values, field):
    with pytest.raises(services.InvalidOffer) as error:
        make_offer(**values)
    assert error.value.field == field
    assert db.session.scalar(db.select(db.func.count(Offer.id))) == 0


def test_create_refuses_under_an_expired_agreement(make_offer):
    default_agreement().valid_until = date(2024, 1, 1)
    db.session.commit()
    with pytest.raises(AgreementExpired):
        make_offer()


def test_publish_and_withdraw(make_offer, users):
    offer = make_offer(publish=False)
    services.publish_offer(users["expert"], offer)
    assert offer.status == OfferStatus.OPEN and offer.published_at is not None
    services.withdraw_offer(users["expert"], offer)
    assert offer.status == OfferStatus.WITHDRAWN
    assert [e.action for e in history("offer", offer.id)] == ["withdraw", "publish", "create"]


@pytest.mark.parametrize(
    ("status", "change"),
    [
        (OfferStatus.OPEN, services.publish_offer),
        (OfferStatus.COMMITTED, services.publish_offer),
        (OfferStatus.WITHDRAWN, services.publish_offer),
        (OfferStatus.WITHDRAWN, services.withdraw_offer),
    ],
)
def test_illegal_transitions_are_refused(make_offer, users, status, change):
    offer = make_offer(publish=False)
    offer.status = status
    db.session.commit()
    with pytest.raises(IllegalTransition):
        change(users["expert"], offer)
    db.session.rollback()
    assert db.session.get(Offer, offer.id).status == status


def test_update_changes_fields_and_themes(make_offer, users, themes):
    offer = make_offer(publish=False)
    services.update_offer(
        users["expert"],
        offer,
        expected_version=1,
        themes=[themes["water_sewage"]],
        capacity_days=80,
        description="Nu med fler experter.",
    )
    assert [t.code for t in offer.themes] == ["water_sewage"]
    assert offer.capacity_days == 80
    assert offer.description.original == "Nu med fler experter."
    assert offer.version == 2
    event = history("offer", offer.id)[0]
    assert event.before["themes"] == ["it_digital"] and event.after["themes"] == ["water_sewage"]
    assert event.before["capacity_days"] == 40 and event.after["capacity_days"] == 80


def test_a_change_of_themes_alone_bumps_the_version(make_offer, users, themes):
    offer = make_offer(publish=False)
    services.update_offer(users["expert"], offer, expected_version=1, themes=[themes["waste"]])
    assert offer.version == 2
    with pytest.raises(EditConflict):
        services.update_offer(users["expert"], offer, expected_version=1, capacity_days=5)
    assert offer.capacity_days == 40


def test_capacity_cannot_drop_below_what_is_committed(make_offer, users):
    offer = make_offer()
    offer.committed_days = 30
    db.session.commit()
    with pytest.raises(services.InvalidOffer) as error:
        services.update_offer(
            users["expert"], offer, expected_version=offer.version, capacity_days=20
        )
    assert error.value.field == "capacity_days"
    assert reload(offer).capacity_days == 40


@pytest.mark.parametrize(
    "field", ["organisation_id", "created_by", "status", "committed_days", "agreement"]
)
def test_update_cannot_change_owner_status_or_commitments(make_offer, users, field):
    offer = make_offer(publish=False)
    with pytest.raises(TypeError):
        services.update_offer(users["expert"], offer, expected_version=1, **{field: 1})
    assert offer.organisation_id == users["expert"].organisation_id
    assert offer.committed_days == 0


@pytest.mark.parametrize("who", ["other_expert", "requester", "coordinator", "admin"])
def test_only_experts_of_the_organisation_edit(make_offer, users, who):
    offer = make_offer(publish=False)
    with pytest.raises(Forbidden):
        services.update_offer(users[who], offer, expected_version=1, title="Taken over")


def test_withdrawn_offers_cannot_be_edited(make_offer, users):
    offer = make_offer()
    services.withdraw_offer(users["expert"], offer)
    with pytest.raises(Forbidden):
        services.update_offer(users["expert"], offer, expected_version=offer.version, title="x")


def test_actions_follow_state_and_role(make_offer, users):
    offer = make_offer(publish=False)
    owner = services.actions_for(users["expert"], offer)
    assert (owner.edit, owner.publish, owner.withdraw) == (True, True, True)
    services.publish_offer(users["expert"], offer)
    owner = services.actions_for(users["expert"], offer)
    assert (owner.edit, owner.publish, owner.withdraw) == (True, False, True)
    for who in ("other_expert", "requester", "coordinator", "admin"):
        assert not services.actions_for(users[who], offer).any
    services.withdraw_offer(users["expert"], offer)
    assert not services.actions_for(users["expert"], offer).any


# ---------------------------------------------------------------- lists


def _ids(viewer, **filters) -> set[int]:
    stmt = services.offers_query(viewer, OfferFilters(**filters))
    return {o.id for o in db.session.scalars(stmt)}


def test_lists_apply_visibility(make_offer, users):
    public = make_offer("Public", themes=("education",))
    partners = make_offer("Partners", themes=("water_sewage",))
    restricted = make_offer("Restricted", visibility=Visibility.RESTRICTED)
    draft = make_offer("Draft", publish=False)
    assert _ids(None) == {public.id}
    assert _ids(users["requester"]) == {public.id, partners.id}
    assert _ids(users["other_expert"]) == {public.id, partners.id}
    assert _ids(users["coordinator"]) == {public.id, partners.id, restricted.id}
    assert _ids(users["expert"], statuses=None) == {
        public.id,
        partners.id,
        restricted.id,
        draft.id,
    }


def test_a_restricted_offer_is_visible_to_the_organisation_on_a_live_match(
    make_offer, users, themes
):
    from portal.matching.models import Match
    from portal.needs.services import create_need

    offer = make_offer("Restricted", visibility=Visibility.RESTRICTED)
    need = create_need(
        users["requester"],
        title="Need",
        description="d",
        lang="uk",
        theme=themes["it_digital"],
        priority="high",
        help_kind="advice",
    )
    match = Match(
        need=need,
        offer=offer,
        proposed_side=Side.EXPERT,
        proposed_by_id=users["expert"].id,
        status=MatchStatus.PROPOSED,
    )
    db.session.add(match)
    db.session.commit()
    assert _ids(users["requester"]) == {offer.id}
    assert _ids(users["other_requester"]) == set()
    match.status = MatchStatus.DECLINED
    db.session.commit()
    assert _ids(users["requester"]) == set()


def test_search_finds_any_language_version(make_offer, users):
    offer = make_offer("Läcksökning", lang="sv")
    offer.description.set_version("uk", "Виявлення витоків акустичними логерами", None)
    make_offer("Skolutveckling", themes=("education",))
    db.session.commit()
    assert _ids(users["requester"], q="ЛОГЕРАМИ") == {offer.id}
    assert _ids(users["requester"], q="läcksök") == {offer.id}
    assert _ids(users["requester"], q="nothing") == set()


def test_filters_and_sorting(make_offer, users, themes):
    late = make_offer("Late", themes=("education", "transport"), available_from=date(2026, 9, 1))
    early = make_offer("Early", help_kind=HelpKind.SECONDMENT, available_from=date(2026, 1, 1))
    other = make_offer("Other org", who="other_expert", themes=("transport",))
    gone = make_offer("Gone", themes=("transport",))
    services.withdraw_offer(users["expert"], gone)
    viewer = users["requester"]
    assert _ids(viewer) == {late.id, early.id, other.id}
    assert _ids(viewer, statuses=None) == {late.id, early.id, other.id, gone.id}
    assert _ids(viewer, statuses=(OfferStatus.WITHDRAWN,)) == {gone.id}
    assert _ids(viewer, theme_id=themes["transport"].id) == {late.id, other.id}
    assert _ids(viewer, help_kind=HelpKind.SECONDMENT) == {early.id}
    assert _ids(viewer, organisation_id=users["other_expert"].organisation_id) == {other.id}
    stmt = services.offers_query(viewer, OfferFilters(sort="available"))
    assert [o.id for o in db.session.scalars(stmt)][:2] == [early.id, other.id]
    stmt = services.offers_query(viewer, OfferFilters(sort="newest"))
    assert [o.id for o in db.session.scalars(stmt)] == [other.id, early.id, late.id]


def test_list_offers_pages(make_offer, users):
    for i in range(3):
        make_offer(f"Offer {i}")
    page = services.list_offers(users["requester"], OfferFilters(), {"page": "2"}, per_page=2)
    assert page.count.value == 3 and len(page.items) == 1 and not page.has_next
    assert services.list_offers(None, OfferFilters(), {"page": str(10**40)}).items == []
