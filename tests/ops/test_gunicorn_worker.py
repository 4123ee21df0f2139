"""Workers replaced under load (gunicorn's max_requests) answer every request sent to them:
a real gunicorn with gunicorn.conf.py, replacing its workers every few requests, and clients
that keep their connections alive as browsers and locust do."""

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
    tmp_path: Path, *, workers: int, max_requests: int, jitter: int = 0
) -> Iterator[tuple[int, Path]]:
    """A real gunicorn with gunicorn.conf.py serving slow_wsgi (two threads a worker, 5 s of
    keep-alive), each worker replaced after ``max_requests`` (plus up to ``jitter``), up and
    answering (its first request counted): its port and its log."""
    port = _free_port()
    log_path = tmp_path / "gunicorn.log"
    env = {
        **os.environ,
        "PORT": str(port),
        "WEB_CONCURRENCY": str(workers),
        "WEB_THREADS": "2",
        "WEB_KEEPALIVE": "5",
        "WEB_MAX_REQUESTS": str(max_requests),
        "WEB_MAX_REQUESTS_JITTER": str(jitter),
        "WEB_ACCESS_LOG": "",
        "PYTHONPATH": str(ROOT),
    }
    with open(log_path, "wb") as out:
        server = subprocess.Popen(
            [str(GUNICORN), "-c", str(ROOT / "gunicorn.conf.py"), "tests.ops.slow_wsgi:app"],
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


def test_an_answer_sent_as_kept_alive_as_the_worker_stops_is_followed(tmp_path):
    """A slow page is answered as kept alive while another request stops the worker: its client
    follows with the next request at once (a redirect, the form posted after its page), on the
    same connection, and is answered with Connection: close instead of finding it closed."""
    with _gunicorn(tmp_path, workers=1, max_requests=3) as (port, log_path):

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
        following = _answer(reader)
        reader.close()
    assert "Autorestarting worker" in log_path.read_text()
    assert slow.startswith(b"HTTP/1.1 200") and b"connection: close" not in slow.lower()
    assert following.startswith(b"HTTP/1.1 200"), following
    assert b"connection: close" in following.lower()
