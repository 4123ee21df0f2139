"""Periodic work: reminders of what is due (milestones, status reports, the agreement's end),
digests, and immediate deliveries whose job was never queued.

``run_due`` is safe to run as often as anyone likes: a reminder is an event with a unique key
per (record, reminder kind), a digest a row unique per (person, period), a delivery is claimed
before it is sent. With Redis, ``flask jobs scheduler`` queues it every minute; without,
``flask notifications run-due`` runs it, and the portal itself checks after a response at most
every ``NOTIFICATIONS_DUE_CHECK_SECONDS`` (``make run`` does everything on its own).
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Flask, Response, current_app
from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.orm import selectinload

from portal.agreements.models import Agreement
from portal.core.enums import ProjectStatus
from portal.core.types import utcnow
from portal.extensions import db
from portal.notifications.events import insert_unless_exists, notify
from portal.notifications.models import Delivery, DeliveryStatus, Digest, Frequency, Notification
from portal.projects.models import Milestone, Project, StatusReport
from portal.projects.timeline import REPORT_INTERVAL_DAYS, RUNNING_PROJECT_STATES

MILESTONE_NOTICE_DAYS = 7
AGREEMENT_NOTICES = (90, 30)
SWEEP_AFTER = timedelta(minutes=5)  # an immediate delivery still waiting this long lost its job


def run_due(now: datetime | None = None) -> dict[str, int]:
    """Make the reminders that are due, the digests of the periods that ended, and queue what
    waits. Returns how many of each were made (for the command's output and the tests)."""
    now = now or utcnow()
    today = now.astimezone(UTC).date()
    counts = {
        "milestone_reminders": _milestone_reminders(today),
        "report_reminders": _report_reminders(now),
        "agreement_reminders": _agreement_reminders(today),
    }
    db.session.commit()
    counts["digests"] = _digests(now)
    counts["requeued"] = _sweep(now)
    return counts


# -------------------------------------------------------------------------------- reminders


def _milestone_reminders(today: date) -> int:
    made = 0
    milestones = db.session.scalars(
        select(Milestone)
        .join(Project, Project.id == Milestone.project_id)
        .where(
            Milestone.done_on.is_(None),
            Milestone.due_on <= today + timedelta(days=MILESTONE_NOTICE_DAYS),
            Project.status.in_(RUNNING_PROJECT_STATES),
        )
        .options(selectinload(Milestone.project))
    )
    for milestone in milestones:
        if milestone.due_on < today:
            kind, key = "milestone_overdue", f"milestone:{milestone.id}:overdue:{milestone.due_on}"
        else:
            kind, key = "milestone_due", f"milestone:{milestone.id}:due:{milestone.due_on}"
        made += notify(kind, milestone, None, key=key) is not None
    return made


def _report_reminders(now: datetime) -> int:
    """Active projects without a status report within REPORT_INTERVAL_DAYS: once per interval."""
    made = 0
    since = now - timedelta(days=REPORT_INTERVAL_DAYS)
    recent = exists(
        select(StatusReport.id).where(
            StatusReport.project_id == Project.id, StatusReport.created_at >= since
        )
    )
    last = (
        select(func.max(StatusReport.created_at))
        .where(StatusReport.project_id == Project.id)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Project, last.label("last"))
        .where(
            Project.status == ProjectStatus.ACTIVE,
            ~recent,
            Project.starts_on <= (now - timedelta(days=REPORT_INTERVAL_DAYS)).date(),
        )
        .options(selectinload(Project.organisations))
    ).all()
    for project, last_at in rows:
        # One reminder per interval without a report: counted from the last report (or start).
        start = (last_at.date() if last_at else project.starts_on).isoformat()
        key = f"project:{project.id}:report_due:{start}"
        made += notify("report_due", project, None, key=key) is not None
    return made


def _agreement_reminders(today: date) -> int:
    made = 0
    for agreement in db.session.scalars(
        select(Agreement).where(
            Agreement.valid_until >= today,
            Agreement.valid_until <= today + timedelta(days=max(AGREEMENT_NOTICES)),
        )
    ):
        days_left = (agreement.valid_until - today).days
        notice = min(n for n in AGREEMENT_NOTICES if days_left <= n)
        key = f"agreement:{agreement.id}:ending:{notice}:{agreement.valid_until}"
        made += notify("agreement_ending", agreement, None, key=key, detail=str(notice)) is not None
    return made


# ---------------------------------------------------------------------------------- digests


def period_of(frequency: Frequency, now: datetime) -> tuple[str, datetime]:
    """The period a digest made at ``now`` covers: its name and where it ended (UTC midnight
    today for daily digests, Monday's for weekly ones)."""
    day = now.astimezone(UTC).date()
    if frequency == Frequency.DAILY:
        end = day
        name = f"daily:{day.isoformat()}"
    else:
        end = day - timedelta(days=day.weekday())
        year, week, _ = end.isocalendar()
        name = f"weekly:{year}-W{week:02d}"
    return name, datetime(end.year, end.month, end.day, tzinfo=UTC)


def _digests(now: datetime) -> int:
    from portal.jobs import enqueue
    from portal.notifications.delivery import RETRIES, send_digest

    made: list[int] = []
    for frequency in (Frequency.DAILY, Frequency.WEEKLY):
        period, ended = period_of(frequency, now)
        waiting = and_(
            Delivery.status == DeliveryStatus.PENDING,
            Delivery.frequency == frequency,
            Delivery.digest_id.is_(None),
            Delivery.created_at < ended,
        )
        user_ids = db.session.scalars(
            select(Notification.user_id)
            .join(Delivery, Delivery.notification_id == Notification.id)
            .where(waiting)
            .distinct()
        ).all()
        for user_id in user_ids:
            exists_already = db.session.scalar(
                select(Digest.id).where(Digest.user_id == user_id, Digest.period == period)
            )
            if exists_already:
                continue
            digest = insert_unless_exists(
                Digest,
                {
                    "user_id": user_id,
                    "period": period,
                    "status": DeliveryStatus.PENDING,
                    "attempts": 0,
                    "created_at": now,
                },
                ["user_id", "period"],
            )
            if digest is None:  # another run made it a moment ago
                continue
            mine = select(Notification.id).where(Notification.user_id == user_id)
            db.session.execute(
                update(Delivery)
                .where(waiting, Delivery.notification_id.in_(mine))
                .values(digest_id=digest.id)
                .execution_options(synchronize_session=False)
            )
            db.session.commit()
            made.append(digest.id)
    for digest_id in made:
        enqueue(send_digest, digest_id, retries=RETRIES)
    return len(made)


def _sweep(now: datetime) -> int:
    """Queue again immediate deliveries that have waited too long (their job was lost)."""
    from portal.jobs import enqueue
    from portal.notifications.delivery import RETRIES, deliver

    ids = db.session.scalars(
        select(Delivery.id).where(
            Delivery.status == DeliveryStatus.PENDING,
            Delivery.frequency == Frequency.IMMEDIATELY,
            Delivery.created_at < now - SWEEP_AFTER,
        )
    ).all()
    for delivery_id in ids:
        enqueue(deliver, delivery_id, retries=RETRIES)
    return len(ids)


# ------------------------------------------------------------------- without a scheduler


_last_check: dict[str, float] = {}


def _check_due_after_response(response: Response) -> Response:
    """Without Redis (``make run``): now and then, after a response, run what is due."""
    from portal.jobs import enqueue, uses_redis

    app: Any = current_app._get_current_object()  # type: ignore[attr-defined]
    every = app.config.get("NOTIFICATIONS_DUE_CHECK_SECONDS", 0)
    if not every or uses_redis(app):
        return response
    now = time.monotonic()
    if now - _last_check.get(app.name, -every) < every:
        return response
    _last_check[app.name] = now
    enqueue(run_due, retries=0)
    return response


def init_schedule(app: Flask) -> None:
    from portal.jobs import register_periodic

    register_periodic(run_due)
    app.after_request(_check_due_after_response)
