"""Workers replaced under load (gunicorn's max_requests) answer every request sent to them:
a real gunicorn with gunicorn.conf.py, replacing its workers every ~20 requests, and clients
that keep their connections alive as browsers and locust do."""

from __future__ import annotations

import os
import random
import socket
import subprocess
import threading
import time
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


def test_no_request_goes_unanswered_while_workers_are_replaced(tmp_path):
    port = _free_port()
    log_path = tmp_path / "gunicorn.log"
    env = {
        **os.environ,
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "WEB_THREADS": "2",
        "WEB_MAX_REQUESTS": "20",
        "WEB_MAX_REQUESTS_JITTER": "5",
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
    base = f"http://127.0.0.1:{port}"
    answered: list[int] = []
    unanswered: list[str] = []
    lock = threading.Lock()

    def client(seed: int) -> None:
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

    try:
        for _attempt in range(150):
            try:
                if requests.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.2)
        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        server.terminate()
        server.wait(timeout=60)
    replaced = log_path.read_text().count("Autorestarting worker")
    assert replaced >= 4, log_path.read_text()[-2000:]
    assert unanswered == []
    assert len(answered) > 100 and set(answered) == {200}
