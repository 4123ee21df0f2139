"""Sending mail. Every message is kept in the outbox; with ``MAIL_SERVER`` set it also goes out
over SMTP. The log records that a message was sent, never its body (which may hold a link with a
one-time token)."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app

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
