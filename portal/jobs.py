"""Background jobs: work that must not hold up a page (asking a translation provider, later mail).

``enqueue(func, *args, retries=3)`` hands a module-level function to RQ when ``REDIS_URL`` is
set (and ``JOBS_IN_PROCESS`` is not): an RQ queue in Redis, retried with growing pauses, run by
``flask jobs worker`` (scripts/serve.sh starts one next to gunicorn). Without Redis — ``make
run``, the tests — the job runs in this process once the page has been sent (the response's
``call_on_close``), or right away outside a request (a CLI command, a test), retried with the
same pauses. Either way a job opens its own application context and commits its own
transaction: it never shares the page's.

Enqueue from :func:`portal.core.transaction.call_after_commit`, so that a save that is rolled
back asks for nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import click
from flask import Flask, Response, current_app, g, has_app_context, has_request_context
from flask.cli import AppGroup

from portal.extensions import db

log = logging.getLogger(__name__)

QUEUE_NAME = "portal"
# Seconds to wait before each retry (RQ's Retry(interval=[...]) takes the same list).
RETRY_INTERVALS = (10, 60, 300)


class RetryLater(Exception):
    """Raised by a job whose failure is passing (a provider that is down, slow or rate-limited):
    run it again later."""


def uses_redis(app: Flask) -> bool:
    return bool(app.config.get("REDIS_URL")) and not app.config.get("JOBS_IN_PROCESS")


def intervals(app: Flask, retries: int) -> list[int]:
    configured: Sequence[int] = app.config.get("JOBS_RETRY_INTERVALS") or RETRY_INTERVALS
    return [configured[min(i, len(configured) - 1)] for i in range(retries)]


def queue(app: Flask) -> Any:
    from redis import Redis
    from rq import Queue

    connection = Redis.from_url(app.config["REDIS_URL"])
    # Two portals (or a test run) sharing one Redis keep their jobs apart, as their caches.
    name = app.config.get("JOBS_QUEUE") or app.config.get("CACHE_KEY_PREFIX", "") + QUEUE_NAME
    return Queue(name, connection=connection)


def enqueue(func: Callable[..., Any], *args: Any, retries: int = 3) -> None:
    """Run ``func(*args)`` in the background, again up to ``retries`` times if it raises."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if uses_redis(app):
        from rq import Retry

        # RQ refuses Retry(max=0): a job tried once (a scheduler round) goes without one.
        retry = Retry(max=retries, interval=intervals(app, retries)) if retries > 0 else None
        queue(app).enqueue(run, func, *args, retry=retry)
        return
    job = partial(run_in_process, app, func, args, retries)
    if has_request_context():
        # After the response: the hook below hands these to the response's call_on_close.
        g.setdefault("portal_jobs", []).append(job)
    else:
        job()


def run(func: Callable[..., Any], *args: Any) -> Any:
    """One attempt, as RQ's worker calls it (its command has built the app)."""
    app = current_app._get_current_object() if has_app_context() else _app()  # type: ignore[attr-defined]
    return attempt(app, func, args)


def attempt(app: Flask, func: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    """``func(*args)`` in an application context and a transaction of its own."""
    with app.app_context():
        try:
            result = func(*args)
            db.session.commit()
            return result
        except BaseException:
            db.session.rollback()
            raise


def _app() -> Flask:
    from portal import create_app

    return create_app()


def run_in_process(app: Flask, func: Callable[..., Any], args: tuple[Any, ...], retries: int):
    pauses = intervals(app, retries)
    for tried in range(retries + 1):
        try:
            return attempt(app, func, args)
        except Exception:
            if tried >= retries:
                log.exception("job %s failed %d times; giving up", func.__name__, tried + 1)
                return None
            log.warning("job %s failed; retrying in %ss", func.__name__, pauses[tried])
            time.sleep(pauses[tried])
    return None


def _run_after_response(response: Response) -> Response:
    waiting = g.pop("portal_jobs", None)
    if waiting:

        def run_all() -> None:
            for job in waiting:
                job()

        response.call_on_close(run_all)
    return response


jobs_cli = AppGroup("jobs", help="Background jobs.")


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker(burst: bool) -> None:
    """Run the jobs queued in Redis (REDIS_URL), one after another."""
    from rq import SimpleWorker

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not uses_redis(app):
        raise click.ClickException("REDIS_URL is not set: jobs run inside the portal's process.")
    q = queue(app)
    # SimpleWorker: jobs run in this process, which holds the app and its database pool (a
    # forked child would share the parent's connections).
    SimpleWorker([q], connection=q.connection).work(burst=burst, with_scheduler=True)


# Work to run now and then (reminders, digests): registered by the domains that own it.
PERIODIC: list[Callable[[], Any]] = []


def register_periodic(func: Callable[[], Any]) -> None:
    if func not in PERIODIC:
        PERIODIC.append(func)


@jobs_cli.command("scheduler")
@click.option("--every", default=60, show_default=True, help="Seconds between two rounds.")
@click.option("--once", is_flag=True, help="Queue one round and stop.")
def scheduler(every: int, once: bool) -> None:
    """Queue the periodic jobs (reminders, digests) every ``--every`` seconds.

    A plain loop rather than a cron-like scheduler: each periodic job is idempotent (a unique
    key per reminder and per digest period), so a round queued twice, late or by two
    schedulers sends nothing twice, and a scheduler that was down catches up in its next
    round. Without Redis the job runs here, in this process."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    while True:
        for func in PERIODIC:
            try:
                enqueue(func, retries=0)
            except Exception:  # Redis away: the next round tries again
                log.exception("could not queue %s", func.__name__)
        if once:
            return
        time.sleep(max(every, 1))
        app.logger.debug("scheduler round")


def init_jobs(app: Flask) -> None:
    # First in the list, so it runs after every other after_request hook, the request's commit
    # included: jobs enqueued by the commit are then waiting in ``g``.
    app.after_request_funcs.setdefault(None, []).insert(0, _run_after_response)
    app.cli.add_command(jobs_cli)
