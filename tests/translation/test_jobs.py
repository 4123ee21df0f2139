"""Background jobs on RQ (with Redis) and in the process (without): the same job, its own
transaction, retried with pauses."""

from __future__ import annotations

import pytest

from portal import jobs
from portal.extensions import db
from tests.conftest import TEST_REDIS_URL
from tests.content.factories import make_need
from tests.translation.test_drafts import UK_TITLE, versions


@pytest.fixture
def on_redis(app, redis_prefix):
    app.config.update(
        REDIS_URL=TEST_REDIS_URL, CACHE_KEY_PREFIX=redis_prefix, JOBS_IN_PROCESS=False
    )
    yield jobs.queue(app)
    jobs.queue(app).empty()


def test_with_redis_drafts_wait_in_the_queue_for_the_worker(app, users, libretranslate, on_redis):
    from rq import SimpleWorker

    need = make_need(users["requester"], title=UK_TITLE, lang="uk")
    assert set(versions(need.title_id)) == {"uk"}  # nothing ran in the saving process
    # The suggestions' refresh after the same save waits in the queue too.
    queued = [job for job in on_redis.jobs if job.args[0].__name__ == "write_drafts"]
    assert len(queued) == 2  # title and description
    assert queued[0].retries_left == 3
    assert queued[0].retry_intervals == [0, 0, 0]
    SimpleWorker([on_redis], connection=on_redis.connection).work(burst=True)
    assert versions(need.title_id)["sv"] == ("Läcksökning i vattenledningsnätet", True)


def test_jobs_in_process_even_with_redis_when_asked(app, users, libretranslate, on_redis):
    app.config["JOBS_IN_PROCESS"] = True
    need = make_need(users["requester"], title=UK_TITLE, lang="uk")
    assert on_redis.count == 0
    assert versions(need.title_id)["sv"][1] is True


def test_the_worker_command_refuses_without_redis(runner):
    result = runner.invoke(args=["jobs", "worker", "--burst"])
    assert result.exit_code != 0
    assert "REDIS_URL is not set" in result.output


def test_a_job_commits_its_own_transaction_and_retries(app):
    calls = []

    def flaky() -> None:
        calls.append(1)
        if len(calls) < 3:
            raise RuntimeError("passing failure")

    app.config["JOBS_RETRY_INTERVALS"] = (0,)
    jobs.enqueue(flaky, retries=3)
    assert len(calls) == 3
    assert db.session.is_active
