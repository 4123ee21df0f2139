"""A WSGI app whose answers take 20 ms (a page's work; ``/slow``: a second), for tests that
run a real gunicorn; each answer names the worker process that gave it (``X-Worker``)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from typing import Any


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ["PATH_INFO"] == "/slow":
        time.sleep(1.0)
    elif environ["PATH_INFO"] != "/healthz":
        time.sleep(0.02)
    start_response(
        "200 OK",
        [("Content-Type", "text/plain"), ("Content-Length", "2"), ("X-Worker", str(os.getpid()))],
    )
    return [b"ok"]
