"""The accessibility statement (Digg's model) and the form for reporting a problem."""

from __future__ import annotations

import re

import pytest

from portal.accounts.models import User
from portal.core.enums import Role
from portal.extensions import db
from portal.mail.models import OutboxMessage

REPORT = "/accessibility/report"


def outbox() -> list[OutboxMessage]:
    return list(db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id)))


@pytest.mark.parametrize("lang", ["en", "sv", "uk"])
def test_statement_in_each_language(client, lang):
    response = client.get(f"/accessibility?lang={lang}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'<html lang="{lang}">' in html
    assert html.count("<h1") == 1
    # Digg's supervision: the authority, its reporting form, how to reach it.
    assert '<span lang="sv">Myndigheten för digital förvaltning</span>' in html
    assert 'href="https://www.digg.se/tdosanmalan" hreflang="sv"' in html
    assert 'href="mailto:info@digg.se"' in html
    assert "0771-11 44 00" in html
    assert "851 02 Sundsvall" in html
    assert f'href="{REPORT}"' in html


def test_statement_states_compliance_shortcomings_testing_and_dates(client, app):
    html = client.get("/accessibility?lang=en").get_data(as_text=True)
    assert "partially compliant" in html
    assert "WCAG) 2.1 at level AA" in html
    # The idle sign-out warns and can be extended (2.2.1 met); the absolute lifetime cannot.
    assert "without activity" not in html
    hours = int(app.config["ABSOLUTE_SESSION_LIFETIME"].total_seconds() // 3600)
    assert f"You are signed out {hours} hours after signing in" in html
    assert "2.2.1, Timing Adjustable" in html
    assert "axe-core" in html and "keyboard" in html
    dates = re.findall(r'<time datetime="(\d{4}-\d\d-\d\d)">\d+ \w+ \d{4}</time>', html)
    assert len(dates) == 2  # the latest assessment and the last update
    assert "Latest assessment" in html and "Statement last updated" in html


def test_every_page_links_to_the_statement(client, login):
    for path in ["/", "/needs/", "/login", "/accessibility"]:
        assert 'href="/accessibility"' in client.get(path).get_data(as_text=True), path
    body = login("requester").get("/dashboard/").get_data(as_text=True)
    assert 'href="/accessibility"' in body


def test_report_link_carries_the_page_the_reader_came_from(client):
    html = client.get(
        "/accessibility", headers={"Referer": "http://localhost/needs/?theme=3"}
    ).get_data(as_text=True)
    assert f'href="{REPORT}?page=http://localhost/needs/?theme%3D3"' in html
    elsewhere = client.get("/accessibility", headers={"Referer": "https://example.org/x"})
    assert f'href="{REPORT}"' in elsewhere.get_data(as_text=True)


def test_report_form_is_prefilled_only_with_a_portal_address(client):
    html = client.get(f"{REPORT}?page=http://localhost/needs/12").get_data(as_text=True)
    assert 'value="http://localhost/needs/12"' in html
    html = client.get(f"{REPORT}?page=https://evil.example/x").get_data(as_text=True)
    assert re.search(r'<input[^>]*id="page"[^>]*value=""', html)
    # Labels, hints and the required description.
    for name in ("page", "description", "name", "email"):
        assert f'<label for="{name}">' in html
    assert 'aria-describedby="description-hint"' in html


def test_description_is_required_and_errors_stand_beside_fields(client, users):
    response = client.post(
        REPORT, data={"name": "Iryna", "email": "not an address", "description": "  "}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="description-error"' in html and "Describe the problem." in html
    assert 'id="email-error"' in html and "name@example.org" in html
    assert 'aria-describedby="description-hint description-error"' in html
    assert html.count('aria-invalid="true"') == 2
    assert 'value="Iryna"' in html  # what was typed stays
    assert outbox() == []


def test_too_long_texts_are_refused(client, users):
    response = client.post(REPORT, data={"description": "x" * 5001, "page": "p" * 2001})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="description-error"' in html and 'id="page-error"' in html
    assert outbox() == []


def test_a_report_reaches_every_active_admin_and_thanks_the_person(client, users):
    from portal.accounts.services import create_user

    retired = create_user(
        email="retired.admin@stockholm.test",
        name="Retired Admin",
        password=None,
        role=Role.ADMIN,
        organisation=users["admin"].organisation,
        actor=None,
    )
    retired.is_active_account = False
    db.session.commit()
    response = client.post(
        REPORT,
        data={
            "page": "http://localhost/needs/12",
            "description": "The priority filter cannot be reached with the keyboard.",
            "name": "Iryna",
            "email": "iryna@example.org",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/accessibility")
    messages = outbox()
    admins = db.session.scalars(db.select(User).where(User.role == Role.ADMIN)).all()
    assert {m.recipient for m in messages} == {a.email for a in admins if a.is_active}
    assert "retired.admin@stockholm.test" not in {m.recipient for m in messages}
    body = messages[0].body
    assert "The priority filter cannot be reached with the keyboard." in body
    assert "http://localhost/needs/12" in body
    assert "Iryna" in body and "iryna@example.org" in body
    assert "(not signed in)" in body
    assert "Accessibility problem reported" in messages[0].subject
    thanks = client.get("/accessibility").get_data(as_text=True)
    assert "Thank you for your report." in thanks


def test_only_the_description_is_needed_and_a_signed_in_reporter_is_named(login, users):
    client = login("requester")
    response = client.post(REPORT, data={"description": "Contrast too low on the dashboard."})
    assert response.status_code == 302
    (message,) = outbox()
    assert message.recipient == users["admin"].email
    assert "Signed in as: requester@kyiv.test" in message.body
    assert "Page: (not given)" in message.body


def test_report_without_csrf_token_is_refused(client, users):
    response = client.post(REPORT, data={"description": "x"}, csrf=False)
    assert response.status_code == 400
    assert outbox() == []
