"""Sending mail. Every message is kept in the outbox; with ``MAIL_SERVER`` set it also goes out
over SMTP. The log records that a message was sent, never its body (which may hold a link with a
one-time token).

Links in mail are built from ``PORTAL_BASE_URL`` (``external_url``), never from the request, whose
Host header the sender chooses. Work that must not hold up (or be timed through) a response is
a background job (``portal.jobs.enqueue``).
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

from flask import current_app

from portal.core.types import utcnow
from portal.extensions import db
from portal.mail.models import OutboxMessage

log = logging.getLogger(__name__)


def send(
    recipient: str, subject: str, body: str, headers: dict[str, str] | None = None
) -> OutboxMessage:
    """Keep ``body`` in the outbox and send it when a server is configured. ``headers`` are
    added to the message as they are (List-Unsubscribe, Message-ID)."""
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
    for name, value in (headers or {}).items():
        email[name] = value
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
