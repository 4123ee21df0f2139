"""Reminders and digests: due once, whoever runs the scheduler how often."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from portal.agreements.services import default_agreement
from portal.core.enums import ProjectStatus
from portal.core.types import utcnow
from portal.extensions import db
from portal.notifications import services as notifications
from portal.notifications.events import notify
from portal.notifications.models import Delivery, DeliveryStatus, Digest, Frequency
from portal.notifications.schedule import period_of, run_due
from tests import factories
from tests.notifications.conftest import kinds_for, outbox_to
from tests.projects import factories as pf


def running_project(users):
    project = pf.start(users, [pf.agreed_match(users)])
    project.status = ProjectStatus.ACTIVE
    db.session.commit()
    return project


def test_milestone_reminders_come_once_due_and_once_overdue(users):
    project = running_project(users)
    milestone = pf.milestone(project, due_on=date.today() + timedelta(days=7))
    later = pf.milestone(project, "Later", due_on=date.today() + timedelta(days=20))
    db.session.commit()

    run_due()
    run_due()
    assert kinds_for(users["expert"]).count("milestone_due") == 1
    assert kinds_for(users["requester"]).count("milestone_due") == 1

    eight_days_on = utcnow() + timedelta(days=8)
    run_due(eight_days_on)
    run_due(eight_days_on)
    assert kinds_for(users["expert"]).count("milestone_overdue") == 1
    assert later.id  # twenty days off: nothing yet
    assert kinds_for(users["expert"]).count("milestone_due") == 1

    milestone.done_on = date.today()
    db.session.commit()
    run_due(utcnow() + timedelta(days=9))
    assert kinds_for(users["expert"]).count("milestone_overdue") == 1


def test_a_status_report_reminder_comes_once_per_silent_interval(users):
    project = running_project(users)
    project.starts_on = date.today() - timedelta(days=40)
    db.session.commit()
    run_due()
    run_due()
    assert kinds_for(users["requester"]).count("report_due") == 1
    assert kinds_for(users["expert"]).count("report_due") == 1


def test_the_agreement_s_end_is_told_to_coordinators_at_90_and_30_days(users):
    agreement = default_agreement()
    agreement.valid_until = date.today() + timedelta(days=80)
    db.session.commit()
    run_due()
    run_due()
    assert kinds_for(users["coordinator"]) == ["agreement_ending"]
    run_due(utcnow() + timedelta(days=55))
    run_due(utcnow() + timedelta(days=56))
    assert kinds_for(users["coordinator"]) == ["agreement_ending", "agreement_ending"]
    assert kinds_for(users["expert"]) == []


def test_a_digest_is_made_once_per_person_and_period(users, smtp):
    need = factories.make_need(users["requester"], title="Leak detection")
    notifications.set_preferences(
        users["requester"], users["requester"], {"comment": Frequency.DAILY}
    )
    db.session.commit()
    notify("comment", need, users["expert"])
    notify("comment", need, users["coordinator"])
    db.session.commit()
    assert smtp.messages == []  # waits for the digest

    today = run_due()
    assert today["digests"] == 0  # the day has not ended

    tomorrow = utcnow() + timedelta(days=1)
    assert run_due(tomorrow)["digests"] == 1
    assert run_due(tomorrow)["digests"] == 0
    assert run_due(tomorrow + timedelta(hours=3))["digests"] == 0

    [mail] = smtp.to(users["requester"].email)
    assert "daily digest" in mail["Subject"]
    assert mail.get_content().count("commented on") == 2
    assert len(outbox_to(users["requester"])) == 1
    assert db.session.scalar(db.select(db.func.count(Digest.id))) == 1
    statuses = set(db.session.scalars(db.select(Delivery.status)))
    assert statuses == {DeliveryStatus.SENT}


def test_periods_are_days_and_iso_weeks():
    wednesday = datetime(2026, 12, 2, 15, tzinfo=UTC)
    assert period_of(Frequency.DAILY, wednesday) == (
        "daily:2026-12-02",
        datetime(2026, 12, 2, tzinfo=UTC),
    )
    assert period_of(Frequency.WEEKLY, wednesday) == (
        "weekly:2026-W49",
        datetime(2026, 11, 30, tzinfo=UTC),
    )


def test_the_command_runs_what_is_due(users, runner):
    agreement = default_agreement()
    agreement.valid_until = date.today() + timedelta(days=20)
    db.session.commit()
    result = runner.invoke(args=["notifications", "run-due"])
    assert result.exit_code == 0, result.output
    assert "agreement_reminders: 1" in result.output
    assert kinds_for(users["coordinator"]) == ["agreement_ending"]
    result = runner.invoke(args=["notifications", "run-due"])
    assert "agreement_reminders: 0" in result.output


def test_without_redis_a_page_now_and_then_runs_what_is_due(app, client, users):
    from portal.notifications import schedule

    agreement = default_agreement()
    agreement.valid_until = date.today() + timedelta(days=20)
    db.session.commit()
    app.config["NOTIFICATIONS_DUE_CHECK_SECONDS"] = 3600
    schedule._last_check.pop(app.name, None)
    assert client.get("/").status_code == 200  # after this response: run_due, in the process
    assert kinds_for(users["coordinator"]) == ["agreement_ending"]
    agreement.valid_until = date.today() + timedelta(days=10)
    db.session.commit()
    client.get("/")  # within the hour: not checked again
    assert kinds_for(users["coordinator"]) == ["agreement_ending"]
