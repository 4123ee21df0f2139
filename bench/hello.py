"""The baseline of ``make bench``: a bare Flask hello-world served by the same gunicorn settings
(``gunicorn -c gunicorn.conf.py bench.hello:app``). The portal's pages are measured against it."""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello() -> str:
    return "Hello, World!"


@app.route("/healthz")
def healthz() -> str:
    return "ok"
