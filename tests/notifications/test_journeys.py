"""The journeys of the brief, now with who is told: each step over HTTP, as the people do it,
and the inbox and the mail (received by a real SMTP server) of the people who must hear of it,
each in their own language."""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import force_locale

from portal.core.enums import Visibility
from portal.extensions import db
from portal.matching.models import Match
from portal.notifications.kinds import sentence
from portal.projects import services as projects
from portal.projects.models import Project
from tests import factories
from tests.conftest import EMAILS
from tests.notifications.conftest import body_of, kinds_for


def test_propose_accept_start_report_each_told_in_the_reader_s_language(app, users, smtp):
    requester, expert, coordinator = users["requester"], users["expert"], users["coordinator"]
    requester.locale, expert.locale, coordinator.locale = "uk", "sv", "en"
    db.session.commit()
    need = factories.make_need(
        requester, title="Пошук витоків у водопровідній мережі", visibility=Visibility.PUBLIC
    )
    offer = factories.make_offer(expert, title="Akustisk läcksökning")

    # 1. The Kyiv official proposes the offer (in Ukrainian), in a browser of their own.
    client = app.test_client()
    client.login(EMAILS["requester"])
    response = client.post(
        "/matches/propose?lang=uk", data={"need_id": need.id, "offer_id": offer.id}
    )
    assert response.status_code == 302
    match = db.session.scalar(db.select(Match))
    assert kinds_for(expert) == ["proposal"]
    [proposal_mail] = smtp.to(expert.email)
    assert "föreslog en matchning som du ska ta ställning till" in proposal_mail["Subject"]
    assert f"http://localhost/matches/{match.id}" in body_of(proposal_mail)
    assert smtp.to(requester.email) == []
    client.logout()

    # 2. The Stockholm expert sees it in the header and accepts (in Swedish).
    client = app.test_client()
    client.login(EMAILS["expert"])
    page = client.get("/?lang=sv").get_data(as_text=True)
    assert 'Aviseringar <span class="badge">1' in page
    assert client.post(f"/matches/{match.id}/accept").status_code == 302
    [accepted_mail] = smtp.to(requester.email)
    assert "прийняв(-ла) збіг" in accepted_mail["Subject"]
    assert "Anna Lindqvist" in accepted_mail["Subject"]
    client.logout()

    # 3. The coordinator starts a project: both sides hear of it, each in their language.
    db.session.expire_all()
    project = projects.start_project(
        coordinator,
        [db.session.get(Match, match.id)],
        title="Leak detection pilot",
        description="Two pressure zones.",
        lang="en",
        starts_on=date.today(),
        ends_on=date.today() + timedelta(days=200),
    )
    db.session.commit()
    assert kinds_for(requester) == ["match_accepted", "project_started"]
    assert kinds_for(expert) == ["proposal", "project_started"]
    assert "розпочав(-ла) проєкт співпраці" in smtp.to(requester.email)[-1]["Subject"]
    assert "startade samarbetsprojektet" in smtp.to(expert.email)[-1]["Subject"]

    # 4. The expert reports progress; the Kyiv side hears of it.
    project = db.session.get(Project, project.id)
    project.status = projects.ProjectStatus.ACTIVE
    db.session.commit()
    client = app.test_client()
    client.login(EMAILS["expert"])
    response = client.post(
        f"/projects/{project.id}/reports",
        data={"report-status": "on_track", "report-body": "Loggers installed", "report-lang": "en"},
    )
    assert response.status_code == 302
    assert kinds_for(requester)[-1] == "report_posted"
    with force_locale("uk"):
        expected = sentence("report_posted", "Anna Lindqvist", "«Leak detection pilot»")
    assert smtp.to(requester.email)[-1]["Subject"] == expected
    assert kinds_for(users["other_requester"]) == []
    client.logout()

    # 5. Anyone without an account sees no inbox.
    response = app.test_client().get("/notifications/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
