"""Shared by ``bench/run.py`` (``make bench``) and ``bench/loadtest.py`` (``make loadtest``):
bulk databases that are reused when complete, gunicorn in the production configuration on a free
port of 127.0.0.1, and signing in through the login form as a browser would."""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = Path(os.environ.get("VENV", ROOT / ".venv"))
if not VENV.is_absolute():
    VENV = ROOT / VENV
BIN = VENV / "bin"
FLASK = [str(BIN / "flask"), "--app", "portal"]

# The bulk accounts (bench/bulk/planner.py).
BULK_PASSWORD = os.environ.get("PORTAL_BULK_PASSWORD", "kyiv-stockholm-bulk-data")
BULK_TOTP_SECRET = "KYIVSTOCKHOLMBULKKYIVSTOCKHOLMBU"  # noqa: S105 (documented test data)
BULK_SEED = 20221128

CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def log(message: str) -> None:
    print(message, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def is_postgres(url: str) -> bool:
    return url.startswith(("postgresql", "postgres:"))


def sqlalchemy_url(url: str) -> str:
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def flask(url: str, *args: str, env: Mapping[str, str] | None = None) -> str:
    """Run a ``flask --app portal`` command against ``url``; returns its output."""
    full_env = {
        **os.environ,
        "DATABASE_URL": url,
        "PORTAL_ENV": "development",
        "FLASK_SKIP_DOTENV": "1",
        **(env or {}),
    }
    result = subprocess.run(
        [*FLASK, *args], cwd=ROOT, env=full_env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


# ---------------------------------------------------------------- bulk databases


def record_counts(url: str) -> dict[str, int] | None:
    """Rows per main table, or None when the database or its schema does not exist."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    if not is_postgres(url):
        path = url.split("///", 1)[-1]
        if not Path(path).exists():
            return None
    engine = create_engine(sqlalchemy_url(url))
    try:
        with engine.connect() as conn:
            counts = {
                table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608 (fixed names)
                for table in ("needs", "offers", "projects", "matches", "milestones", "users")
            }
            counts["bulk_users"] = conn.execute(
                text("SELECT count(*) FROM users WHERE email LIKE '%@bulk.example.org'")
            ).scalar_one()
            return counts
    except SQLAlchemyError:
        return None
    finally:
        engine.dispose()


def _recreate(url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    if is_postgres(url):
        parsed = make_url(sqlalchemy_url(url))
        admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
        finally:
            admin.dispose()
    else:
        path = Path(url.split("///", 1)[-1])
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def ensure_bulk(url: str, needs: int, offers: int, projects: int) -> dict[str, int]:
    """A database holding exactly this bulk data set at the current schema: reused when its
    counts say it is complete (a load takes minutes), else made anew."""
    counts = record_counts(url)
    complete = (
        counts is not None
        and counts["needs"] == needs
        and counts["offers"] == offers
        and counts["projects"] == projects
        and counts["bulk_users"] > 0
    )
    if complete:
        log(f"  reusing the bulk data in {_safe(url)} ({needs} needs, {offers} offers)")
        flask(url, "db", "upgrade")  # new migrations (indexes) apply to the kept data
    else:
        log(f"  loading bulk data into {_safe(url)} ({needs}/{offers}/{projects})...")
        started = time.monotonic()
        _recreate(url)
        flask(url, "db", "upgrade")
        flask(url, "seed", "reference")
        flask(
            url,
            "seed",
            "bulk",
            "--needs",
            str(needs),
            "--offers",
            str(offers),
            "--projects",
            str(projects),
            "--seed",
            str(BULK_SEED),
        )
        log(f"  loaded in {time.monotonic() - started:.0f} s")
    analyse(url)
    counts = record_counts(url)
    assert counts is not None
    return counts


def analyse(url: str) -> None:
    """Planner statistics, as autovacuum would have them on a database in use."""
    from sqlalchemy import create_engine, text

    if not is_postgres(url):
        return
    engine = create_engine(sqlalchemy_url(url), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("VACUUM ANALYZE"))
    finally:
        engine.dispose()


def _safe(url: str) -> str:
    return re.sub(r"//[^@/]*@", "//", url)


# ---------------------------------------------------------------- gunicorn


@dataclass
class Server:
    base: str
    process: subprocess.Popen
    log_path: Path

    @property
    def pids(self) -> list[int]:
        """The worker processes (children of the arbiter)."""
        try:
            out = subprocess.run(
                ["ps", "-o", "pid=", "--ppid", str(self.process.pid)],
                capture_output=True,
                text=True,
                check=False,
            ).stdout
        except OSError:
            return []
        return [int(p) for p in out.split()]


def cpu_by_process(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds each of these processes has used so far (Linux /proc); those
    gone are left out."""
    tick = os.sysconf("SC_CLK_TCK")
    used: dict[int, float] = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone
        used[pid] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return used


def cpu_spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds used between two ``cpu_by_process`` readings: a process that started in
    between counts from zero; one that ended in between is left out (never a negative
    figure)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def postgres_pids(url: str) -> list[int]:
    """The PostgreSQL backends connected to ``url``'s database (none for SQLite): the
    processes doing the portal's queries, not another database's on the same server."""
    if not is_postgres(url):
        return []
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    engine = create_engine(sqlalchemy_url(url), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return list(
                conn.scalars(
                    text(
                        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                        "AND pid <> pg_backend_pid()"
                    )
                )
            )
    finally:
        engine.dispose()


def bulk_second_factor(url: str, secret_key: str) -> None:
    """Encrypt the bulk coordinators' and admins' authenticator secret with the key a server
    started with ``secret_key`` derives (TOTP_ENCRYPTION_KEY, else SECRET_KEY): the data may have
    been loaded under another key, and a generated SECRET_KEY differs on every run."""
    from sqlalchemy import select

    from portal import create_app
    from portal.accounts.models import User
    from portal.accounts.twofactor import encrypt_secret
    from portal.extensions import db

    app = create_app(
        {
            "ENV_NAME": "development",
            "SQLALCHEMY_DATABASE_URI": sqlalchemy_url(url),
            "SECRET_KEY": secret_key,
        }
    )
    with app.app_context():
        users = db.session.scalars(
            select(User).where(
                User.email.like("%@bulk.example.org"), User.totp_enabled_at.is_not(None)
            )
        )
        for user in users:
            user.totp_secret_encrypted = encrypt_secret(BULK_TOTP_SECRET)
            user.totp_last_step = None
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def production_env(url: str, redis_url: str, port: int, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in (
            "SECRET_KEY",
            "DATABASE_URL",
            "REDIS_URL",
            "PORTAL_ENV",
            "FLASK_APP",
            "PORTAL_BASE_URL",
            "TOTP_ENCRYPTION_KEY",
        )
    }
    env.update(
        PORTAL_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(48),
        DATABASE_URL=url,
        REDIS_URL=redis_url,
        HOST="127.0.0.1",
        PORT=str(port),
        WEB_CONCURRENCY="2",
        # A cache of its own: nothing kept by an earlier run, or for another database, is read.
        CACHE_KEY_PREFIX=f"bench-{secrets.token_hex(6)}:",
        PORTAL_BASE_URL=f"http://127.0.0.1:{port}",
    )
    env.update(extra)
    # Production requires its own TOTP key; this one is the key bulk_second_factor derives from
    # SECRET_KEY, so the bulk coordinators' second factor still works.
    env.setdefault("TOTP_ENCRYPTION_KEY", env["SECRET_KEY"])
    return env


@contextmanager
def gunicorn(
    app: str, env: Mapping[str, str], log_path: Path, health: str = "/healthz"
) -> Iterator[Server]:
    """gunicorn with the portal's gunicorn.conf.py serving ``app``; stopped with SIGTERM."""
    port = env["PORT"]
    base = f"http://127.0.0.1:{port}"
    with open(log_path, "ab") as out:
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), app],
            cwd=ROOT,
            env=dict(env),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(base, process, log_path)
    try:
        wait_for(base + health, process, 120)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_for(url: str, process: subprocess.Popen | None, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server stopped (exit {process.returncode}) before answering")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (127.0.0.1)
                if response.status == 200:
                    return
        except (OSError, urllib.error.HTTPError):
            pass
        time.sleep(0.3)
    raise RuntimeError(f"nothing answered 200 at {url} within {seconds:.0f} s")


# ---------------------------------------------------------------- a browser's sign-in


class Browser:
    """Just enough of a browser: cookies (also those marked Secure, as the production
    configuration sets them and a TLS proxy would carry them), no redirects followed."""

    def __init__(self, base: str, headers: Mapping[str, str] | None = None) -> None:
        parsed = urllib.parse.urlsplit(base)
        self.host, self.port = parsed.hostname or "127.0.0.1", parsed.port or 80
        self.cookies: dict[str, str] = {}
        self.headers = dict(headers or {})

    def request(
        self, method: str, path: str, form: Mapping[str, str] | None = None
    ) -> tuple[int, dict[str, str], str]:
        conn = HTTPConnection(self.host, self.port, timeout=60)
        headers = {"Accept-Language": "en", **self.headers}
        if self.cookies:
            headers["Cookie"] = self.cookie_header
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    self._remember(value)
            return response.status, {k.lower(): v for k, v in response.getheaders()}, text
        finally:
            conn.close()

    def _remember(self, header: str) -> None:
        pair, *attributes = header.split(";")
        name, _, value = pair.strip().partition("=")
        expired = any(a.strip().lower().startswith("max-age=0") or "1970" in a for a in attributes)
        if expired or not value:
            self.cookies.pop(name, None)
        else:
            self.cookies[name] = value

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def get(self, path: str) -> tuple[int, dict[str, str], str]:
        return self.request("GET", path)

    def post_form(self, path: str, data: Mapping[str, str]) -> tuple[int, dict[str, str], str]:
        """POST a form with the CSRF token of the page it is on (fetched first)."""
        _status, _headers, page = self.get(path)
        token = csrf_token(page)
        return self.request("POST", path, {**data, "csrf_token": token})

    def sign_in(self, email: str, password: str = BULK_PASSWORD, totp: str | None = None) -> None:
        status, headers, _body = self.post_form("/login", {"email": email, "password": password})
        if status != 302:
            raise RuntimeError(f"signing in as {email} failed: {status}")
        location = urllib.parse.urlsplit(headers.get("location", ""))
        if location.path != "/login/verify":
            return
        if totp is None:
            raise RuntimeError(f"{email} needs a second factor")
        import pyotp

        verify = location.path + (f"?{location.query}" if location.query else "")
        for _attempt in range(3):
            code = pyotp.TOTP(totp).now()
            status, headers, _body = self.post_form(verify, {"code": code})
            if status == 302:
                return
            # The code of this 30-second step was used already (by another sign-in of the same
            # account): the next step's code is fresh.
            time.sleep(30.5 - time.time() % 30)
        raise RuntimeError(f"second factor for {email} failed: {status}")


def csrf_token(page: str) -> str:
    found = CSRF_INPUT.search(page) or re.search(r'name="csrf-token" content="([^"]+)"', page)
    if not found:
        raise RuntimeError("no CSRF token on the page")
    return found.group(1)


def python() -> str:
    return sys.executable
