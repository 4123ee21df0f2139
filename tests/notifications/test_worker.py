"""Delivery on the real queue: a `flask jobs worker` process on the local Redis, killed with
SIGKILL in the middle of sending, and the outbox afterwards. Each test uses its own Redis
database number and queue name."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from portal.extensions import db
from portal.mail.models import OutboxMessage
from portal.matching import services as matching
from portal.notifications.models import Delivery, DeliveryStatus
from tests import factories
from tests.notifications.conftest import deliveries, free_port

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15").rsplit("/", 1)[0]
FLASK = Path(sys.executable).with_name("flask")


def _redis_must_answer():
    import redis

    redis.Redis.from_url(f"{REDIS_URL}/13").ping()  # the suite needs Redis: fail, never skip


class SlowMailbox:
    """An SMTP server that takes ``delay`` seconds to accept a message."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.started = threading.Event()
        self.accepted: list[bytes] = []
        self.calls = 0  # messages that reached the server, accepted or not

    async def handle_DATA(self, server, session, envelope):
        self.calls += 1
        self.started.set()
        await asyncio.sleep(self.delay)
        self.accepted.append(envelope.content)
        return "250 OK"


@pytest.fixture
def queue_env(app, database_url):
    from aiosmtpd.controller import Controller

    _redis_must_answer()
    prefix = f"test-{uuid.uuid4().hex[:8]}:"
    redis_url = f"{REDIS_URL}/13"
    box = SlowMailbox(delay=30)
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(
        REDIS_URL=redis_url,
        CACHE_KEY_PREFIX=prefix,
        JOBS_QUEUE=f"{prefix}portal",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=port,
    )
    env = {
        **os.environ,
        "PORTAL_ENV": "testing",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CACHE_KEY_PREFIX": prefix,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(port),
    }
    yield box, env
    controller.stop()
    import redis

    connection = redis.Redis.from_url(redis_url)
    for key in connection.scan_iter(f"*{prefix}*"):
        connection.delete(key)


def start_worker(env, *extra):
    """A worker in a process group of its own: RQ runs each job in a forked work horse, which
    a kill of the worker alone would leave running (an orphan sending on after the test)."""
    return subprocess.Popen(
        [str(FLASK), "--app", "portal", "jobs", "worker", *extra],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def kill_worker(worker: subprocess.Popen) -> None:
    """SIGKILL to the worker and its work horse at once, as when the machine dies."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.pid, signal.SIGKILL)


def queue_a_proposal(users) -> int:
    need = factories.make_need(users["requester"], title="Leak detection")
    offer = factories.make_offer(users["expert"], title="Acoustic loggers")
    matching.propose(users["requester"], need, offer)
    db.session.commit()  # queues the delivery in Redis
    [delivery] = deliveries()
    assert delivery.status == DeliveryStatus.PENDING
    return delivery.id


def test_a_worker_killed_while_sending_never_sends_twice(app, users, queue_env):
    box, env = queue_env
    delivery_id = queue_a_proposal(users)

    worker = start_worker(env)
    try:
        assert box.started.wait(60), "the worker never reached the mail server"
        kill_worker(worker)
        worker.wait(10)
    finally:
        kill_worker(worker)
    [delivery] = deliveries()
    assert delivery.status == DeliveryStatus.SENDING  # claimed, never marked sent
    assert db.session.scalar(db.select(db.func.count(OutboxMessage.id))) == 0

    # The job runs again (a sweep, a retry, an admin's mistake): it sends nothing.
    from portal.jobs import enqueue
    from portal.notifications.delivery import deliver

    box.delay = 0
    enqueue(deliver, delivery_id)
    again = start_worker(env, "--burst")
    assert again.wait(60) == 0, again.stderr.read().decode() if again.stderr else ""
    db.session.expire_all()
    assert db.session.get(Delivery, delivery_id).status == DeliveryStatus.SENDING
    assert db.session.scalar(db.select(db.func.count(OutboxMessage.id))) == 0
    assert box.calls == 1  # only the killed worker's attempt ever reached the server


def test_a_sent_delivery_run_again_is_skipped(app, users, queue_env):
    box, env = queue_env
    box.delay = 0
    delivery_id = queue_a_proposal(users)
    from portal.jobs import enqueue
    from portal.notifications.delivery import deliver

    enqueue(deliver, delivery_id)  # the same job twice in the queue
    worker = start_worker(env, "--burst")
    assert worker.wait(60) == 0, worker.stderr.read().decode() if worker.stderr else ""
    time.sleep(0.2)
    db.session.expire_all()
    assert db.session.get(Delivery, delivery_id).status == DeliveryStatus.SENT
    assert len(box.accepted) == box.calls == 1
    assert db.session.scalar(db.select(db.func.count(OutboxMessage.id))) == 1


def always_fails() -> None:
    raise RuntimeError("the provider is away")


def test_a_job_that_failed_its_last_try_is_shown_to_admins(app, users, queue_env, login):
    from rq import SimpleWorker

    from portal.jobs import enqueue, queue

    enqueue(always_fails, retries=0)
    q = queue(app)
    SimpleWorker([q], connection=q.connection).work(burst=True)
    client = login("admin")
    page = client.get("/admin/notifications/failed").get_data(as_text=True)
    assert "always_fails" in page
    assert "RuntimeError: the provider is away" in page


def test_the_scheduler_queues_the_periodic_work_on_redis(app, users, queue_env, runner):
    from datetime import date, timedelta

    from rq import SimpleWorker

    from portal.agreements.services import default_agreement
    from portal.jobs import queue
    from tests.notifications.conftest import kinds_for

    agreement = default_agreement()
    agreement.valid_until = date.today() + timedelta(days=20)
    db.session.commit()
    for _round in range(2):  # two rounds: nothing twice
        result = runner.invoke(args=["jobs", "scheduler", "--once"])
        assert result.exit_code == 0, result.output
    q = queue(app)
    # Each round queues every periodic job once: the reminders', the suggestions' refresh,
    # the documents' sweep (which sweeps once a day, whatever the rounds) and the access
    # tables' check (once an hour).
    assert sorted(job.args[0].__name__ for job in q.jobs) == sorted(
        2 * ["run_due", "refresh_stale", "sweep_daily", "reconcile_hourly"]
    )
    SimpleWorker([q], connection=q.connection).work(burst=True)
    assert kinds_for(users["coordinator"]) == ["agreement_ending"]
