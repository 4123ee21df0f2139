"""The audit log page: who may read it, what it shows, filters, paging, and that nothing in the
application changes or deletes an audit event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from portal.audit.models import AuditEvent
from portal.core.enums import Visibility
from portal.extensions import db
from tests.conftest import count_queries
from tests.content.factories import make_need


def _event(actor, action="update", record_type="need", record_id=1, at=None, **kwargs):
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        action=action,
        record_type=record_type,
        record_id=record_id,
        at=at or datetime.now(UTC),
        **kwargs,
    )
    db.session.add(event)
    db.session.commit()
    return event


def _rows(body: str) -> int:
    section = body.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in body else ""
    return section.count("<tr>")


# ---------------------------------------------------------------- who may


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/audit/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("who", ["requester", "expert", "other_requester", "other_expert"])
def test_requesters_and_experts_are_refused(login, who):
    assert login(who).get("/audit/").status_code == 403


@pytest.mark.parametrize("who", ["coordinator", "admin"])
def test_coordinators_and_admins_read_the_log(login, who):
    response = login(who).get("/audit/")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.count("<h1") == 1
    assert "<caption>" in body and 'scope="col"' in body


def test_no_route_changes_or_deletes_audit_events(app, login):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/audit"):
            assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule
    client = login("admin")
    for method in ("post", "put", "patch", "delete"):
        assert getattr(client, method)("/audit/").status_code == 405


# ---------------------------------------------------------------- what it shows


def test_shows_who_when_what_where_and_the_change(login, users):
    users["coordinator"].timezone = "Europe/Kyiv"
    db.session.commit()
    _event(
        users["admin"],
        action="change_role",
        record_type="user",
        record_id=users["expert"].id,
        at=datetime(2025, 3, 1, 22, 30, tzinfo=UTC),
        ip="192.0.2.7",
        before={"role": "expert"},
        after={"role": "coordinator"},
    )
    body = login("coordinator").get("/audit/?action=change_role").get_data(as_text=True)
    assert _rows(body) == 1
    assert "Maria Holm" in body and "admin@stockholm.test" in body
    assert "Role changed" in body
    assert "192.0.2.7" in body
    assert '<del class="nowrap">Expert</del>' in body
    assert '<ins class="nowrap">Coordinator</ins>' in body
    # 22:30 UTC is 00:30 the next day in Kyiv, the reader's time zone.
    assert "02/03/2025, 00:30" in body
    # Coordinators get no link to the admin pages.
    assert f"/admin/users/{users['expert'].id}/edit" not in body


def test_admin_gets_a_link_to_the_record(login, users):
    _event(users["admin"], action="update", record_type="user", record_id=users["expert"].id)
    body = login("admin").get("/audit/?record_type=user&action=update").get_data(as_text=True)
    assert f'href="/admin/users/{users["expert"].id}/edit"' in body


def test_newest_first_and_paged(app, login, users):
    base = datetime(2025, 1, 1, tzinfo=UTC)
    for n in range(25):
        _event(
            users["admin"],
            action="update",
            record_type="organisation",
            record_id=n,
            at=base + timedelta(minutes=n),
        )
    client = login("admin")
    body = client.get("/audit/?record_type=organisation").get_data(as_text=True)
    assert "25 entries" in body
    assert _rows(body) == 20
    assert body.index("Organisation #24") < body.index("Organisation #23")
    second = client.get("/audit/?record_type=organisation&page=2").get_data(as_text=True)
    assert _rows(second) == 5
    assert "Organisation #0" in second and "Organisation #24" not in second


def test_the_page_costs_the_same_whatever_the_number_of_events(app, login, users):
    client = login("coordinator")
    actors = [users[w] for w in ("admin", "requester", "expert")]
    for n in range(3):
        _event(actors[n], action="update", record_type="organisation", record_id=n)
    with count_queries(app) as few:
        client.get("/audit/")
    for n in range(30):
        _event(actors[n % 3], action="update", record_type="organisation", record_id=n)
    with count_queries(app) as many:
        client.get("/audit/")
    assert len(many) == len(few)


# ---------------------------------------------------------------- filters


def test_filter_by_record_type_action_and_actor(login, users):
    _event(users["admin"], action="create", record_type="organisation", record_id=1)
    _event(users["requester"], action="amend", record_type="agreement", record_id=7)
    client = login("admin")
    body = client.get("/audit/?record_type=organisation").get_data(as_text=True)
    assert _rows(body) == 1 and "Organisation #1" in body
    body = client.get("/audit/?action=create&record_type=organisation").get_data(as_text=True)
    assert _rows(body) == 1
    body = client.get("/audit/?actor=REQUESTER@kyiv").get_data(as_text=True)
    assert "Agreement #7" in body and "Organisation #1" not in body
    body = client.get("/audit/?actor=nobody%25").get_data(as_text=True)
    assert _rows(body) == 0


def test_filter_by_date_range_in_the_readers_time_zone(login, users):
    users["coordinator"].timezone = "Europe/Kyiv"
    db.session.commit()
    _event(
        users["admin"],
        record_type="organisation",
        record_id=1,
        at=datetime(2025, 3, 1, 22, 30, tzinfo=UTC),
    )  # 2 March 00:30 in Kyiv
    _event(
        users["admin"],
        record_type="organisation",
        record_id=2,
        at=datetime(2025, 3, 3, 12, 0, tzinfo=UTC),
    )
    client = login("coordinator")
    body = client.get("/audit/?record_type=organisation&date_from=2025-03-02&date_until=2025-03-02")
    body = body.get_data(as_text=True)
    assert _rows(body) == 1 and "Organisation #1" in body
    body = client.get("/audit/?record_type=organisation&date_from=2025-03-03").get_data(
        as_text=True
    )
    assert _rows(body) == 1 and "Organisation #2" in body
    body = client.get("/audit/?record_type=organisation&date_until=2025-03-01").get_data(
        as_text=True
    )
    assert _rows(body) == 0


@pytest.mark.parametrize(
    "query",
    [
        "date_from=yesterday",
        "date_from=2025-02-30",
        "date_from=2025-03-05&date_until=2025-03-01",
        "page=-1",
        "page=abc",
        "actor=" + "x" * 300,
        "record_type=%00",
        "action=%00&actor=a%00b",
    ],
)
def test_bad_filters_are_explained_never_500(login, query):
    response = login("coordinator").get("/audit/?" + query)
    assert response.status_code == 200


def test_htmx_request_gets_the_results_only(login):
    response = login("admin").get("/audit/", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="audit-results">')
    assert "<h1" not in body


# ---------------------------------------------------------------- visibility


def test_events_of_a_restricted_need_are_hidden_from_who_may_not_see_it(login, users):
    restricted = make_need(users["requester"], visibility=Visibility.RESTRICTED)
    public = make_need(users["requester"], visibility=Visibility.PUBLIC)
    for need in (restricted, public):
        _event(users["requester"], action="update", record_type="need", record_id=need.id)

    client = login("admin")
    admin_body = client.get("/audit/?record_type=need").get_data(as_text=True)
    assert f"Need #{public.id}" in admin_body
    assert f"Need #{restricted.id}" not in admin_body
    assert "1 entry" in admin_body

    client.logout()
    body = login("coordinator").get("/audit/?record_type=need").get_data(as_text=True)
    assert f"Need #{restricted.id}" in body and f"Need #{public.id}" in body


@pytest.mark.parametrize(
    "query",
    ["date_from=0001-1-1", "date_until=9999-12-31", "date_from=0001-01-01&date_until=9999-12-31"],
)
def test_dates_at_the_ends_of_the_calendar_do_not_break_the_log(login, query):
    response = login("coordinator").get(f"/audit/?{query}")
    assert response.status_code == 200
