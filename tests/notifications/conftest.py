"""Fixtures for the notifications tests: a real SMTP server (aiosmtpd) in the test process,
a request context for services, and readers of what the database holds."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from datetime import date, timedelta
from email.message import Message
from typing import Any

import pytest

from portal.extensions import db
from portal.mail.models import OutboxMessage
from portal.notifications.models import Delivery, Notification


@pytest.fixture
def req(app):
    with app.test_request_context():
        yield


@pytest.fixture(autouse=True)
def agreement_valid_for_a_while(app):
    from portal.agreements.services import default_agreement

    agreement = default_agreement()
    agreement.valid_from = min(agreement.valid_from, date.today() - timedelta(days=365))
    if agreement.valid_until < date.today() + timedelta(days=365):
        agreement.valid_until = date.today() + timedelta(days=365)
    db.session.commit()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if m["To"] == address]


def body_of(message: Message) -> str:
    return str(message.get_content())  # type: ignore[attr-defined]


@pytest.fixture
def smtp(app) -> Iterator[Mailbox]:
    """An SMTP server the portal sends to; ``smtp.messages`` holds what arrived."""
    from aiosmtpd.controller import Controller

    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    try:
        yield box
    finally:
        controller.stop()


def inbox_of(user: Any) -> list[Notification]:
    """The user's notification rows as the database holds them now."""
    db.session.expire_all()
    return list(
        db.session.scalars(
            db.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        )
    )


def kinds_for(user: Any) -> list[str]:
    return [n.kind for n in inbox_of(user)]


def outbox_to(user: Any) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            db.select(OutboxMessage)
            .where(OutboxMessage.recipient == user.email)
            .order_by(OutboxMessage.id)
        )
    )


def deliveries() -> list[Delivery]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(Delivery).order_by(Delivery.id)))
