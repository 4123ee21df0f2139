"""Workers replaced under load (gunicorn's max_requests) answer every request sent to them, and
a new connection goes to a worker with a free thread: a real gunicorn with gunicorn.conf.py,
replacing its workers every few requests, and clients that keep their connections alive as
browsers and locust do."""

from __future__ import annotations

import os
import random
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(os.environ.get("VENV", ROOT / ".venv")) / "bin" / "gunicorn"
CLIENTS = 12
SECONDS = 8.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def _gunicorn(
    tmp_path: Path,
    *,
    workers: int,
    max_requests: int,
    jitter: int = 0,
    threads: int = 2,
    worker_class: str | None = None,
) -> Iterator[tuple[int, Path]]:
    """A real gunicorn with gunicorn.conf.py serving slow_wsgi (two threads a worker unless
    told, 5 s of keep-alive, the portal's worker unless told), each worker replaced after
    ``max_requests`` (plus up to ``jitter``; 0: never), up and answering (its first request
    counted): its port and its log."""
    port = _free_port()
    log_path = tmp_path / "gunicorn.log"
    env = {
        **os.environ,
        "PORT": str(port),
        "WEB_CONCURRENCY": str(workers),
        "WEB_THREADS": str(threads),
        "WEB_KEEPALIVE": "5",
        "WEB_MAX_REQUESTS": str(max_requests),
        "WEB_MAX_REQUESTS_JITTER": str(jitter),
        "WEB_ACCESS_LOG": "",
        "PYTHONPATH": str(ROOT),
    }
    with open(log_path, "wb") as out:
        command = [str(GUNICORN), "-c", str(ROOT / "gunicorn.conf.py")]
        if worker_class:
            command += ["--worker-class", worker_class]
        server = subprocess.Popen(
            [*command, "tests.ops.slow_wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        for _attempt in range(150):
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.2)
        yield port, log_path
    finally:
        server.terminate()
        server.wait(timeout=60)


def test_no_request_goes_unanswered_while_workers_are_replaced(tmp_path):
    answered: list[int] = []
    unanswered: list[str] = []
    lock = threading.Lock()

    def client(base: str, seed: int) -> None:
        pace = random.Random(seed)
        session = requests.Session()  # keep-alive, as a browser
        deadline = time.monotonic() + SECONDS
        while time.monotonic() < deadline:
            try:
                status = session.get(base + "/", timeout=10).status_code
            except requests.ConnectionError as error:
                with lock:
                    unanswered.append(repr(error)[-120:])
            else:
                with lock:
                    answered.append(status)
            time.sleep(pace.uniform(0, 0.2))

    with _gunicorn(tmp_path, workers=2, max_requests=20, jitter=5) as (port, log_path):
        base = f"http://127.0.0.1:{port}"
        threads = [threading.Thread(target=client, args=(base, n)) for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    replaced = log_path.read_text().count("Autorestarting worker")
    assert replaced >= 4, log_path.read_text()[-2000:]
    assert unanswered == []
    assert len(answered) > 100 and set(answered) == {200}


def _answer(sock: socket.socket) -> bytes:
    """One whole answer of slow_wsgi's ("ok", Content-Length 2), or what came before EOF."""
    received = b""
    while not (b"\r\n\r\n" in received and received.endswith(b"ok")):
        chunk = sock.recv(4096)
        if not chunk:
            break
        received += chunk
    return received


def test_a_client_between_two_requests_is_answered_by_the_stopping_worker(tmp_path):
    """A keep-alive connection idle for less than the keep-alive time when its worker is replaced
    stays open: the request its client sends three seconds later (a person reading a page) is
    answered, with Connection: close, instead of meeting a connection closed under it."""
    with _gunicorn(tmp_path, workers=1, max_requests=6) as (port, log_path):
        request = f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
        reader = socket.create_connection(("127.0.0.1", port), timeout=10)
        reader.sendall(request)
        first = _answer(reader)
        assert first.startswith(b"HTTP/1.1 200") and b"close" not in first.lower()
        # Others use up the worker's requests: the last one's answer closes its connection,
        # and the worker stops, the reader's connection idle.
        for _request in range(10):
            with socket.create_connection(("127.0.0.1", port), timeout=10) as other:
                other.sendall(request)
                if b"connection: close" in _answer(other).lower():
                    break
        else:
            raise AssertionError(log_path.read_text()[-2000:])
        time.sleep(3)
        reader.sendall(request)
        second = _answer(reader)
        reader.close()
    assert "Autorestarting worker" in log_path.read_text()
    assert second.startswith(b"HTTP/1.1 200"), second
    assert b"connection: close" in second.lower()


@pytest.mark.parametrize("worker_class", [None, "tests.ops.slow_worker.SlowToSettleWorker"])
def test_an_answer_sent_as_kept_alive_as_the_worker_stops_is_followed(tmp_path, worker_class):
    """A slow page is answered as kept alive while another request stops the worker: its client
    follows with the next request at once (a redirect, the form posted after its page), on the
    same connection, and is answered with Connection: close instead of finding it closed. So
    too when the worker takes its time to settle the connection after the answer (the drain
    waits for it instead of finding nothing to answer and leaving)."""
    with _gunicorn(tmp_path, workers=1, max_requests=3, worker_class=worker_class) as (
        port,
        log_path,
    ):

        def asking(path: str) -> bytes:
            return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()

        reader = socket.create_connection(("127.0.0.1", port), timeout=10)
        reader.sendall(asking("/slow"))  # the second: answered as kept alive
        time.sleep(0.4)  # counted (and being answered) before the third comes
        with socket.create_connection(("127.0.0.1", port), timeout=10) as other:
            other.sendall(asking("/"))  # the third: the worker stops
            assert b"connection: close" in _answer(other).lower()
        slow = _answer(reader)
        reader.sendall(asking("/"))
        try:
            following = _answer(reader)
        except ConnectionResetError:
            following = b"(reset)"
        reader.close()
    assert "Autorestarting worker" in log_path.read_text()
    assert slow.startswith(b"HTTP/1.1 200") and b"connection: close" not in slow.lower()
    assert following.startswith(b"HTTP/1.1 200"), following
    assert b"connection: close" in following.lower()


def _worker(answer: bytes) -> str:
    for line in answer.split(b"\r\n"):
        if line.lower().startswith(b"x-worker:"):
            return line.split(b":", 1)[1].strip().decode()
    raise AssertionError(answer)


def test_a_new_connection_goes_to_a_worker_with_a_free_thread(tmp_path):
    """Two workers of one thread, one of them answering a slow page: a new connection is
    answered at once by the other, every time, instead of waiting behind the slow page on the
    worker that happened to accept it."""
    with _gunicorn(tmp_path, workers=2, max_requests=0, threads=1) as (port, log_path):
        for _attempt in range(5):
            with socket.create_connection(("127.0.0.1", port), timeout=10) as slow:
                slow.sendall(f"GET /slow HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
                time.sleep(0.2)  # accepted, and its page being answered
                started = time.monotonic()
                with socket.create_connection(("127.0.0.1", port), timeout=10) as other:
                    other.sendall(f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
                    quick = _answer(other)
                waited = time.monotonic() - started
                slow_answer = _answer(slow)
            assert quick.startswith(b"HTTP/1.1 200"), quick
            assert waited < 0.5, (waited, log_path.read_text()[-2000:])
            assert _worker(quick) != _worker(slow_answer)


def test_a_busy_worker_takes_a_waiting_connection_after_a_short_pause(tmp_path):
    """One worker of one thread, holding a connection whose request has not come yet (a
    browser's preconnection): a new connection is accepted all the same after the short pause
    and answered, and so is the first one's request when it comes."""
    with _gunicorn(tmp_path, workers=1, max_requests=0, threads=1) as (port, _log_path):
        request = f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
        with socket.create_connection(("127.0.0.1", port), timeout=10) as silent:
            time.sleep(0.2)  # accepted: the worker's one thread counted as taken
            started = time.monotonic()
            with socket.create_connection(("127.0.0.1", port), timeout=10) as other:
                other.sendall(request)
                answer = _answer(other)
            waited = time.monotonic() - started
            silent.sendall(request)
            late = _answer(silent)
    assert answer.startswith(b"HTTP/1.1 200") and waited < 0.5, waited
    assert late.startswith(b"HTTP/1.1 200")


def test_keep_alive_connections_opened_at_once_are_shared_by_the_workers(tmp_path):
    """Sixteen keep-alive connections opened at once (wrk, a proxy's pool), each asking again
    as soon as it is answered: both workers hold a fair part of them."""
    connections = 16
    workers_seen: list[str] = []
    lock = threading.Lock()

    def client(port: int, start: threading.Barrier) -> None:
        start.wait()
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            request = f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
            answers = []
            for _request in range(10):
                sock.sendall(request)
                answers.append(_worker(_answer(sock)))
        assert len(set(answers)) == 1  # kept alive: one worker answered them all
        with lock:
            workers_seen.append(answers[0])

    with _gunicorn(tmp_path, workers=2, max_requests=0) as (port, _log_path):
        start = threading.Barrier(connections)
        threads = [threading.Thread(target=client, args=(port, start)) for _n in range(connections)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(workers_seen) == connections
    shares = sorted(workers_seen.count(worker) for worker in set(workers_seen))
    assert len(shares) == 2 and shares[0] >= connections // 4, shares
