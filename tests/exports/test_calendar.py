"""Calendar feeds: the public one carries public projects only; a personal address shows what
its owner may see, is stored as a digest, and stops working when renewed."""

from __future__ import annotations

import re
from datetime import date, timedelta

from icalendar import Calendar
from sqlalchemy import select

from portal.core.enums import Visibility
from portal.exports.models import CalendarToken
from portal.extensions import db
from tests.projects.factories import bare_project


def summaries(response) -> list[str]:
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.get_data())
    return [str(event["summary"]) for event in calendar.walk("VEVENT")]


def projects(users):
    public = bare_project(users, 1, visibility=Visibility.PUBLIC)
    restricted = bare_project(users, 2, visibility=Visibility.RESTRICTED)
    for project in (public, restricted):  # running now: a calendar leaves old history out
        project.starts_on = date.today() - timedelta(days=10)
        project.ends_on = date.today() + timedelta(days=100)
        for milestone in project.milestones:
            milestone.due_on = date.today() + timedelta(days=20)
    db.session.commit()
    return public, restricted


def new_address(client) -> str:
    response = client.post("/profile/calendar")
    assert response.status_code == 200
    found = re.search(r'value="(http[^"]+\.ics)"', response.get_data(as_text=True))
    assert found
    return found.group(1)


def test_public_calendar_has_public_projects_and_the_agreement_end(client, users):
    projects(users)
    found = summaries(client.get("/calendar/public.ics"))
    assert "Project: Project 1" in found
    assert "Milestone: Milestone 1.0 (Project 1)" in found
    assert not any("Project 2" in s for s in found)
    assert any(s.startswith("The cooperation agreement KS 2022/428 ends") for s in found)


def test_personal_calendar_shows_what_its_owner_sees_and_renews(client, users, login):
    projects(users)
    login("requester")  # a participant of the restricted project
    address = new_address(client)
    path = address.split("localhost", 1)[1].lstrip(":0123456789")
    token = path.rsplit("/", 1)[1].removesuffix(".ics")
    stored = db.session.scalar(select(CalendarToken))
    assert stored.digest != token and token not in stored.digest  # kept as a digest
    client.logout()
    found = summaries(client.get(path))  # a calendar application has no session
    assert "Project: Project 2" in found

    # A new address: the old one stops working.
    login("requester")
    second = new_address(client)
    assert second != address
    client.logout()
    assert client.get(path).status_code == 404
    second_path = second.split("localhost", 1)[1].lstrip(":0123456789")
    assert client.get(second_path).status_code == 200
    assert db.session.scalar(select(db.func.count()).select_from(CalendarToken)) == 1


def test_an_outsiders_calendar_leaves_restricted_projects_out(client, users, login):
    projects(users)
    login("other_requester")
    path = new_address(client).split("localhost", 1)[1].lstrip(":0123456789")
    client.logout()
    found = summaries(client.get(path))
    assert "Project: Project 1" in found
    assert not any("Project 2" in s for s in found)


def test_projects_that_ended_long_ago_are_left_out(client, users):
    public, _ = projects(users)
    public.ends_on = date.today() - timedelta(days=400)
    public.starts_on = public.ends_on - timedelta(days=100)
    db.session.commit()
    assert not any("Project 1" in s for s in summaries(client.get("/calendar/public.ics")))


def test_renewing_needs_sign_in_and_csrf(client, login):
    assert client.post("/profile/calendar").status_code in (302, 401)
    login("requester")
    assert client.post("/profile/calendar", csrf=False).status_code == 400
    assert client.get("/calendar/not-a-token.ics").status_code == 404


def test_profile_offers_the_calendar_address(client, login):
    login("requester")
    body = client.get("/profile").get_data(as_text=True)
    assert "/profile/calendar" in body
    assert "Make a calendar address" in body


def test_a_personal_calendar_speaks_its_owners_language(client, users, login):
    projects(users)
    users["other_requester"].locale = "uk"
    db.session.commit()
    login("other_requester")
    path = new_address(client).split("localhost", 1)[1].lstrip(":0123456789")
    client.logout()
    found = summaries(client.get(path))
    assert "Проєкт: Project 1" in found
    assert any(s.startswith("Угода про співпрацю KS 2022/428") for s in found)
