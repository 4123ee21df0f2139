"""A live portal with the demo data, and Debian's Chromium driven by Playwright.

The server runs in a thread of the test process on its own SQLite database (migrated, with the
demo data), so the browser sees exactly what `make run` serves. Chromium is the system one:
Playwright cannot download browsers here.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from flask import Flask
from werkzeug.serving import make_server

from portal import create_app
from portal.extensions import db

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO_PASSWORD = "kyiv-stockholm-demo"
DEMO = {
    "requester": "kyiv.official@example.org",
    "expert": "stockholm.expert@example.org",
    "coordinator": "coordinator@example.org",
    "admin": "admin@example.org",
}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"


class LiveServer:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)

    def totp_code(self, email: str) -> str:
        """The current code of a demo coordinator or admin, forgetting the last step used so the
        same person may sign in twice within 30 seconds."""
        from portal.accounts.models import User
        from portal.accounts.twofactor import decrypt_secret

        with self.app.app_context():
            user = db.session.scalar(db.select(User).filter_by(email=email))
            user.totp_last_step = None
            db.session.commit()
            return pyotp.TOTP(decrypt_secret(user.totp_secret_encrypted)).now()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    from flask_migrate import upgrade

    from portal.seed.demo import load_demo
    from portal.seed.reference import load_reference

    path = tmp_path_factory.mktemp("live") / "portal.db"
    app = create_app(
        {
            "ENV_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "FILES_DIR": str(path.parent / "files"),
            # One browser signs in many times from 127.0.0.1; throttling is tested elsewhere.
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        upgrade()
        load_reference()
        load_demo()
        db.session.remove()
    server = LiveServer(app)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright launches Debian's Chromium with the flags this machine needs."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def base_url(live_server: LiveServer) -> str:
    return live_server.url


def sign_in(page, live_server: LiveServer, who: str, lang: str = "en") -> None:
    """Sign in through the form as a person would, with the second factor where needed."""
    email = DEMO.get(who, who)
    page.goto(f"{live_server.url}/login?lang={lang}")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("form button[type=submit]").click()
    if "/login/verify" in page.url:
        page.locator("input[name=code]").fill(live_server.totp_code(email))
        page.locator("form button[type=submit]").click()
    page.wait_for_load_state()
    assert "/login" not in page.url, f"sign-in as {email} failed"
