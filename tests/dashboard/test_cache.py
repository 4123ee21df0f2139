"""The dashboard's aggregate panels are kept per visibility scope for DASHBOARD_CACHE_SECONDS:
the next dashboard of the same scope runs only the queries of its lists, one of another scope
computes its own, and after the time they are counted again."""

from __future__ import annotations

import pytest

from portal.core.enums import Visibility
from portal.dashboard import services
from portal.extensions import db
from tests.conftest import count_queries
from tests.dashboard import builders as b


@pytest.fixture
def kept(app, monkeypatch):
    app.config["DASHBOARD_CACHE_SECONDS"] = 60
    services._cache.clear()
    clock = [1000.0]
    monkeypatch.setattr(services, "_clock", lambda: clock[0])
    yield clock
    services._cache.clear()


def _queries(app, client) -> int:
    with count_queries(app) as statements:
        assert client.get("/dashboard/").status_code == 200
    return len(statements)


def test_aggregates_are_kept_per_scope_and_for_a_while(app, client, login, users, kept):
    b.need(users["requester"], "water_sewage", "Kept need", visibility=Visibility.PUBLIC)
    db.session.commit()
    login("coordinator")
    client.get("/dashboard/")  # the session's first request does one-off work
    kept[0] += 61
    first = _queries(app, client)
    again = _queries(app, client)
    assert again == first - 5  # funnel, needs, projects, progress, unmatched: kept

    # A new need is not counted while the panels are kept (the page's filters)...
    as_on_the_page = services.Filters(agreement_id=b.agreement().id)
    b.need(users["requester"], "water_sewage", "Newer need", visibility=Visibility.PUBLIC)
    db.session.commit()
    assert services.funnel(users["coordinator"], as_on_the_page)[0].count == 1
    kept[0] += 61  # ...and is once they have expired: all five are counted again
    assert _queries(app, client) == again + 5
    assert services.funnel(users["coordinator"], as_on_the_page)[0].count == 2


def test_scopes_are_not_shared(app, users, kept):
    coordinator, expert, other_expert = users["coordinator"], users["expert"], users["other_expert"]
    assert services.visibility_scope(coordinator) == ("everything",)
    assert services.visibility_scope(expert) == ("organisation", expert.organisation_id)
    assert services.visibility_scope(expert) != services.visibility_scope(other_expert)
    b.need(users["requester"], "water_sewage", "Restricted", visibility=Visibility.RESTRICTED)
    db.session.commit()
    assert services.funnel(coordinator, services.Filters())[0].count == 1
    assert services.funnel(expert, services.Filters())[0].count == 0  # not the coordinator's
