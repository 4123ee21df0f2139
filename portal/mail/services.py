"""Sending mail. Every message is kept in the outbox; with ``MAIL_SERVER`` set it also goes out
over SMTP. The log records that a message was sent, never its body (which may hold a link with a
one-time token).

Links in mail are built from ``PORTAL_BASE_URL`` (``external_url``), never from the request, whose
Host header the sender chooses. Work that must not hold up (or be timed through) a response runs
after it has gone (``after_response``), until the portal has a job queue.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

from flask import after_this_request, current_app, has_request_context

from portal.core.types import utcnow
from portal.extensions import db
from portal.mail.models import OutboxMessage

log = logging.getLogger(__name__)


def send(recipient: str, subject: str, body: str) -> OutboxMessage:
    message = OutboxMessage(recipient=recipient, subject=subject, body=body)
    db.session.add(message)
    config = current_app.config
    server = config.get("MAIL_SERVER")
    if not server:
        log.info("mail kept in the outbox (no MAIL_SERVER): to=%s subject=%s", recipient, subject)
        return message
    email = EmailMessage()
    email["From"] = config.get("MAIL_DEFAULT_SENDER", "portal@localhost")
    email["To"] = recipient
    email["Subject"] = subject
    email.set_content(body)
    try:
        with smtplib.SMTP(server, int(config.get("MAIL_PORT", 25)), timeout=10) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD", ""))
            smtp.send_message(email)
        message.sent_at = utcnow()
        log.info("mail sent: to=%s subject=%s", recipient, subject)
    except (OSError, smtplib.SMTPException) as error:
        message.error = error.__class__.__name__
        log.warning("mail not sent: to=%s error=%s", recipient, error.__class__.__name__)
    return message


def render_mail(template: str, **context: Any) -> str:
    """A message's text from its template. Without the request's template context (CSRF token,
    htmx headers): mail may be written after the response, outside any request."""
    return current_app.jinja_env.get_template(template).render(**context)


def external_url(endpoint: str, **values: Any) -> str:
    """The absolute URL of a portal page for a message that leaves the portal (mail, feeds,
    exports): from ``PORTAL_BASE_URL``, whatever host the current request names."""
    base = urlsplit(current_app.config["PORTAL_BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme
    )
    return adapter.build(endpoint, values, force_external=True)


def after_response(work: Callable[..., Any], *args: Any) -> None:
    """Run ``work(*args)`` once the current response has been sent, in an application context
    of its own (its own database session: it commits what it keeps). Outside a request (the
    CLI, a service called directly) it runs at once. Errors are logged, never shown: the
    response has already gone."""
    if not has_request_context():
        work(*args)
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def run() -> None:
        with app.app_context():
            try:
                work(*args)
            except Exception:  # the response is gone; nobody but the log can hear of it
                log.exception("work after the response failed: %s", work.__qualname__)

    @after_this_request
    def schedule(response: Any) -> Any:
        response.call_on_close(run)
        return response
