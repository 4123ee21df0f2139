"""The agreement page and recording amendments, per role and with bad input."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from portal.agreements.models import Amendment
from portal.agreements.services import default_agreement
from portal.extensions import db
from tests.conftest import count_queries

ROLES = ["requester", "expert", "coordinator", "admin", "other_requester", "other_expert"]
TODAY = date.today()


def body(response) -> str:
    return response.get_data(as_text=True)


def amendment_data(agreement, **changes):
    data = {
        "kind": "extension",
        "new_valid_until": (agreement.valid_until + timedelta(days=365)).isoformat(),
        "decided_on": TODAY.isoformat(),
        "reason": "The City Council extended the agreement.",
        "reason_lang": "en",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize("who", ["anonymous", *ROLES])
def test_agreement_page_is_public(login, client, who):
    if who != "anonymous":
        login(who)
    agreement = default_agreement()
    for url in ("/agreements/", f"/agreements/{agreement.id}"):
        response = client.get(url)
        assert response.status_code == 200
        html = body(response)
        assert html.count("<h1") == 1
        assert "KS 2022/428" in html
        assert "Kyiv" in html and "Stockholm" in html
        assert "12 June 2023" in html  # signed on
        assert "1 July 2023" in html  # valid from
        assert f"{agreement.days_left()} days left" in html
        assert "Water and sewage" in html and "14010–14050" in html
        assert "The agreement has not been amended." in html
        assert ("Record an amendment" in html) == (who == "coordinator")


def test_unknown_agreement_is_404(client):
    assert client.get("/agreements/999").status_code == 404


def test_warning_when_the_end_is_near(client):
    agreement = default_agreement()
    agreement.valid_until = TODAY + timedelta(days=1)
    db.session.commit()
    html = body(client.get("/agreements/"))
    assert "1 day left" in html
    assert "The agreement ends in 1 day." in html
    assert "read-only until an amendment extends it" in html


def test_no_warning_when_the_end_is_far(client):
    agreement = default_agreement()
    agreement.valid_until = TODAY + timedelta(days=91)
    db.session.commit()
    html = body(client.get("/agreements/"))
    assert "91 days left" in html
    assert "The agreement ends in" not in html


def test_warning_after_expiry(client):
    agreement = default_agreement()
    agreement.valid_until = TODAY - timedelta(days=1)
    db.session.commit()
    html = body(client.get("/agreements/"))
    assert "This agreement expired on" in html
    assert "read-only until an amendment extends it" in html
    assert "days left" not in html


def test_coordinator_records_an_extension(login, client):
    agreement = default_agreement()
    old_end = agreement.valid_until
    login("coordinator")
    form = client.get(f"/agreements/{agreement.id}/amendments/new")
    assert form.status_code == 200
    assert f'min="{(old_end + timedelta(days=1)).isoformat()}"' in body(form)
    response = client.post(
        f"/agreements/{agreement.id}/amendments/new", data=amendment_data(agreement)
    )
    assert response.status_code == 302
    db.session.expire_all()
    agreement = default_agreement()
    assert agreement.valid_until == old_end + timedelta(days=365)
    html = body(client.get("/agreements/"))
    assert "Extension" in html
    assert "The City Council extended the agreement." in html
    assert "Erik Sandberg" in html
    assert "The agreement has not been amended." not in html


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"new_valid_until": "same"}, "new_valid_until", "Not a valid date value"),
        ({"new_valid_until": ""}, "new_valid_until", "Enter the new end of the agreement."),
        ({"decided_on": ""}, "decided_on", "Enter the date of the decision."),
        ({"decided_on": "2024-13-01"}, "decided_on", "Not a valid date value"),
        ({"reason": ""}, "reason", "Say why the agreement was changed."),
        ({"kind": "forever"}, "kind", "Not a valid choice"),
        ({"reason_lang": "xx"}, "reason_lang", "Not a valid choice"),
    ],
)
def test_bad_amendment_input_is_422(login, client, changes, field, message):
    agreement = default_agreement()
    login("coordinator")
    response = client.post(
        f"/agreements/{agreement.id}/amendments/new", data=amendment_data(agreement, **changes)
    )
    assert response.status_code == 422
    html = body(response)
    assert message in html
    assert f'id="{field}-error"' in html
    assert db.session.scalar(db.select(db.func.count(Amendment.id))) == 0


def test_control_characters_in_the_reason_are_dropped(login, client):
    agreement = default_agreement()
    login("coordinator")
    data = amendment_data(agreement, reason="Council\x00 decision")
    response = client.post(f"/agreements/{agreement.id}/amendments/new", data=data)
    assert response.status_code == 302
    assert db.session.scalar(db.select(Amendment.reason)) == "Council decision"


def test_extension_to_an_earlier_date_is_refused_beside_the_field(login, client):
    agreement = default_agreement()
    old_end = agreement.valid_until
    login("coordinator")
    response = client.post(
        f"/agreements/{agreement.id}/amendments/new",
        data=amendment_data(agreement, new_valid_until=old_end.isoformat()),
    )
    assert response.status_code == 422
    html = body(response)
    assert "The new end must be later than the current end" in html
    assert 'id="new_valid_until-error"' in html
    db.session.expire_all()
    assert default_agreement().valid_until == old_end


@pytest.mark.parametrize("who", ["requester", "expert", "admin", "other_requester"])
def test_only_coordinators_record_amendments(login, client, who):
    agreement = default_agreement()
    login(who)
    url = f"/agreements/{agreement.id}/amendments/new"
    assert client.get(url).status_code == 403
    assert client.post(url, data=amendment_data(agreement)).status_code == 403
    assert db.session.scalar(db.select(db.func.count(Amendment.id))) == 0


def test_anonymous_is_sent_to_sign_in_for_amendments(client):
    response = client.get(f"/agreements/{default_agreement().id}/amendments/new")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_the_dashboard_and_the_projects_list_follow_an_amendment_at_once(app, login, client):
    """The default agreement's terms are kept per data version: the next visit reads no
    agreement, and an amendment or the agreement's end shows on the very next page."""
    agreement = default_agreement()
    days = (agreement.valid_until - TODAY).days
    login("coordinator")
    client.get("/dashboard/")
    with count_queries(app) as statements:
        html = body(client.get("/dashboard/"))
    assert f"{days} days left in the agreement." in html
    assert not [s for s in statements if "FROM agreements" in str(s)]
    start = "Start a project from agreed matches"
    assert start in body(client.get("/projects/"))

    url = f"/agreements/{agreement.id}/amendments/new"
    assert client.post(url, data=amendment_data(agreement)).status_code == 302
    db.session.expire_all()
    assert (default_agreement().valid_until - TODAY).days == days + 365
    assert f"{days + 365} days left in the agreement." in body(client.get("/dashboard/"))

    default_agreement().valid_until = TODAY - timedelta(days=1)
    db.session.commit()
    assert start not in body(client.get("/projects/"))
    assert "The agreement expired on" in body(client.get("/dashboard/"))
