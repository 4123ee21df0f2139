"""E-mail about notifications: one message now, or a digest per person and period, in the
recipient's own language, each with a one-click unsubscribe link.

A delivery (or a digest) is claimed in the database and committed before anything is sent,
and marked sent once it is: a job run again — a retry, a second worker, a re-queued job after a
worker died — finds it claimed or sent and sends nothing. A job killed between the claim and
the mark leaves the row "sending"; it is never sent again by itself (the mail may have left),
and admins see it among the failed deliveries and may send it again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, timedelta
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, g
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update

from portal.accounts.models import User
from portal.core.enums import Visibility
from portal.core.types import utcnow
from portal.extensions import db
from portal.mail import services as mail
from portal.notifications import records
from portal.notifications.kinds import DEFAULT_FREQUENCY, quoted, sentence
from portal.notifications.models import (
    Delivery,
    DeliveryStatus,
    Digest,
    Frequency,
    Notification,
    NotificationPreference,
)

RETRIES = 3  # tries after the first: four in all, with RQ's growing pauses between them
STALE_AFTER = timedelta(minutes=15)  # a claim older than this belongs to a job that died
DIGEST_KIND = "digest"  # an unsubscribe token's kind for digest mail: every digest kind


class DeliveryFailed(Exception):
    """The mail server refused or was away; the job is tried again."""


# ------------------------------------------------------------------------- unsubscribe links


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(str(current_app.secret_key), salt="notifications-unsubscribe")


def unsubscribe_token(user: User, kind: str) -> str:
    return _serializer().dumps({"u": user.id, "k": kind})


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    """``(user id, kind)`` of a genuine token, else None."""
    if not token or len(token) > 300:
        return None
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    kind = data.get("k")
    return (data["u"], kind) if isinstance(kind, str) else None


def _headers(user: User, kind: str, message_key: str) -> dict[str, str]:
    link = mail.external_url("notifications.unsubscribe", token=unsubscribe_token(user, kind))
    host = urlsplit(current_app.config["PORTAL_BASE_URL"]).hostname or "localhost"
    return {
        "List-Unsubscribe": f"<{link}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        # The same for every try of one delivery: a receiving server may drop a repeat.
        "Message-ID": f"<{message_key}@{host}>",
    }


# ------------------------------------------------------------------------------ what is said


@dataclass
class Line:
    text: str
    link: str


def is_restricted(kind: str, record: Any) -> bool:
    if kind in records.PROJECT_PARTS:
        record = record.project
        kind = "project"
    if kind == "match":
        return Visibility.RESTRICTED in (record.need.visibility, record.offer.visibility)
    return getattr(record, "visibility", None) == Visibility.RESTRICTED


def line_for(notification: Notification, record: Any, lang: str) -> Line:
    """The sentence and link of one notification for mail: a restricted record is named by
    neither title nor actor, only that it changed."""
    endpoint, values = records.page_endpoint(notification.record_kind, record)
    link = mail.external_url(endpoint, **values)
    if is_restricted(notification.record_kind, record):
        return Line(_("A restricted record changed. Sign in to see it."), link)
    event = notification.event
    actor = event.actor.name if event.actor is not None else None
    name = quoted(records.title(notification.record_kind, record, lang))
    return Line(sentence(notification.kind, actor, name, event.detail or ""), link)


def _locale(user: User) -> str:
    return user.locale or current_app.config.get("BABEL_DEFAULT_LOCALE", "en")


@contextmanager
def in_language(lang: str) -> Iterator[None]:
    """``force_locale`` that also works in a job's fresh application context: Flask-Babel's
    does nothing while ``g`` is empty (and the mail would go out in whatever language the
    process last used)."""
    if not hasattr(g, "_flask_babel"):
        g._flask_babel = SimpleNamespace()
    g.pop("_portal_lang", None)  # portal.core.i18n.current_language's cache
    with force_locale(lang):
        yield
    g.pop("_portal_lang", None)


def _frequency(user_id: int, kind: str) -> Frequency:
    chosen = db.session.scalar(
        select(NotificationPreference.frequency).where(
            NotificationPreference.user_id == user_id, NotificationPreference.kind == kind
        )
    )
    return chosen or DEFAULT_FREQUENCY


def _claim(model: type[Delivery] | type[Digest], row_id: int) -> bool:
    """Mark the row as being sent, if it waits; commit, so that no other run sends it."""
    claimed = db.session.execute(
        update(model)
        .where(model.id == row_id, model.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.SENDING, claimed_at=utcnow(), attempts=model.attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    db.session.commit()
    return bool(claimed)


def _failed(row: Delivery | Digest, error: str) -> None:
    row.error = error[:255]
    row.status = DeliveryStatus.FAILED if row.attempts > RETRIES else DeliveryStatus.PENDING
    db.session.commit()
    if row.status == DeliveryStatus.PENDING:
        raise DeliveryFailed(error)


# ------------------------------------------------------------------------------------- jobs


def deliver(delivery_id: int) -> str:
    """Send one notification's e-mail now (a job). Returns what became of it."""
    if not _claim(Delivery, delivery_id):
        return "not waiting"
    delivery = db.session.get(Delivery, delivery_id)
    assert delivery is not None
    notification = delivery.notification
    user = notification.user
    record = records.load(notification.record_kind, notification.record_id)
    if _frequency(user.id, notification.kind) == Frequency.NEVER or not records.can_view(
        notification.record_kind, record, user
    ):
        delivery.status = DeliveryStatus.SKIPPED
        db.session.commit()
        return "skipped"
    lang = _locale(user)
    with in_language(lang):
        line = line_for(notification, record, lang)
        body = mail.render_mail(
            "notifications/email/notification.txt",
            user=user,
            lines=[line],
            settings_url=mail.external_url("notifications.settings"),
            unsubscribe_url=mail.external_url(
                "notifications.unsubscribe", token=unsubscribe_token(user, notification.kind)
            ),
        )
        subject = line.text
        headers = _headers(user, notification.kind, f"notification-{delivery.id}")
    message = mail.send(user.email, subject, body, headers)
    if message.error:
        _failed(delivery, message.error)
        return "failed"
    delivery.status = DeliveryStatus.SENT
    delivery.sent_at = utcnow()
    db.session.commit()
    return "sent"


def send_digest(digest_id: int) -> str:
    """Send one person's digest (a job): every notification gathered in it that they may
    still see, in one message."""
    if not _claim(Digest, digest_id):
        return "not waiting"
    digest = db.session.get(Digest, digest_id)
    assert digest is not None
    user = digest.user
    deliveries = list(
        db.session.scalars(
            select(Delivery)
            .where(Delivery.digest_id == digest.id)
            .order_by(Delivery.id)
            .options(db.selectinload(Delivery.notification))
        )
    )
    lang = _locale(user)
    lines: list[Line] = []
    shown: list[Delivery] = []
    with in_language(lang):
        for delivery in deliveries:
            notification = delivery.notification
            record = records.load(notification.record_kind, notification.record_id)
            if delivery.status != DeliveryStatus.PENDING or not records.can_view(
                notification.record_kind, record, user
            ):
                if delivery.status == DeliveryStatus.PENDING:
                    delivery.status = DeliveryStatus.SKIPPED
                continue
            lines.append(line_for(notification, record, lang))
            shown.append(delivery)
        if not lines:
            digest.status = DeliveryStatus.SKIPPED
            db.session.commit()
            return "skipped"
        subject = (
            _("Your daily digest from the cooperation portal")
            if digest.period.startswith("daily")
            else _("Your weekly digest from the cooperation portal")
        )
        body = mail.render_mail(
            "notifications/email/notification.txt",
            user=user,
            lines=lines,
            settings_url=mail.external_url("notifications.settings"),
            unsubscribe_url=mail.external_url(
                "notifications.unsubscribe", token=unsubscribe_token(user, DIGEST_KIND)
            ),
        )
        headers = _headers(user, DIGEST_KIND, f"digest-{digest.id}")
    message = mail.send(user.email, subject, body, headers)
    if message.error:
        _failed(digest, message.error)
        return "failed"
    now = utcnow()
    for delivery in shown:
        delivery.status = DeliveryStatus.SENT
        delivery.sent_at = now
    digest.status = DeliveryStatus.SENT
    digest.sent_at = now
    db.session.commit()
    return "sent"


def retry(actor: User, delivery: Delivery | Digest) -> None:
    """An admin sends a failed or interrupted delivery again (after the commit)."""
    from portal.audit.services import record
    from portal.core.transaction import call_after_commit
    from portal.jobs import enqueue

    delivery.status = DeliveryStatus.PENDING
    delivery.attempts = 0
    delivery.error = None
    kind = "digest" if isinstance(delivery, Digest) else "delivery"
    record(actor, "retry", f"notification_{kind}", delivery.id)
    db.session.flush()
    func = send_digest if isinstance(delivery, Digest) else deliver
    row_id = delivery.id
    call_after_commit(lambda: enqueue(func, row_id, retries=RETRIES))


@dataclass
class FailedJob:
    id: str
    name: str
    error: str
    ended_at: Any


def failed_queue_jobs(limit: int = 50) -> list[FailedJob]:
    """Other background jobs (machine translation, say) that failed their last try, from RQ's
    failed-job registry when jobs run on Redis (in the process, they are only logged)."""
    from portal.jobs import queue, uses_redis

    app: Any = current_app._get_current_object()  # type: ignore[attr-defined]
    if not uses_redis(app):
        return []
    try:
        q = queue(app)
        registry = q.failed_job_registry
        jobs = []
        for job_id in registry.get_job_ids(0, limit - 1):
            job = q.fetch_job(job_id)
            if job is None:
                continue
            args = job.args or ()
            name = getattr(args[0], "__name__", str(args[0])) if args else job.func_name
            lines = (job.exc_info or "").strip().splitlines()
            ended = job.ended_at
            if ended is not None and ended.tzinfo is None:
                ended = ended.replace(tzinfo=UTC)
            jobs.append(FailedJob(job.id, name, lines[-1][:255] if lines else "", ended))
        return jobs
    except Exception:  # Redis away: the page still shows the database's failures
        return []


def failed_rows() -> tuple[list[Delivery], list[Digest]]:
    """Deliveries and digests that failed every try, or whose job died while sending."""
    stale = utcnow() - STALE_AFTER
    deliveries = list(
        db.session.scalars(
            select(Delivery)
            .where(
                (Delivery.status == DeliveryStatus.FAILED)
                | ((Delivery.status == DeliveryStatus.SENDING) & (Delivery.claimed_at < stale))
            )
            .options(
                db.joinedload(Delivery.notification).joinedload(Notification.user),
            )
            .order_by(Delivery.id.desc())
            .limit(200)
        )
    )
    digests = list(
        db.session.scalars(
            select(Digest)
            .where(
                (Digest.status == DeliveryStatus.FAILED)
                | ((Digest.status == DeliveryStatus.SENDING) & (Digest.claimed_at < stale))
            )
            .options(db.joinedload(Digest.user))
            .order_by(Digest.id.desc())
            .limit(200)
        )
    )
    return deliveries, digests
