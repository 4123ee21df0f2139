"""PostgreSQL + Redis behind gunicorn: the gunicorn settings, several app instances sharing
rate limits in Redis and sessions by cookie, the proxy settings, the start script, and a real
gunicorn serving the suite's database."""

from __future__ import annotations

import os
import runpy
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import redis
from flask import request
from gunicorn.config import Config as GunicornConfig
from sqlalchemy.engine import make_url

from portal import create_app
from portal.config import ConfigurationError, config_from_name
from portal.extensions import db
from portal.ops.access_log import RedactingLogger, redact_path, redact_referrer
from portal.ops.gunicorn_worker import DrainingThreadWorker
from tests.conftest import EMAILS, TEST_REDIS_URL, PortalClient

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "Zr8cJ1u0Yv3Q9wXkPq2mT7sLdA4eHbN6fG5iKoUjWxy"  # the shape of secrets.token_urlsafe(32)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- gunicorn.conf.py


def _gunicorn_settings(monkeypatch, **env: str) -> dict:
    for name in ("HOST", "PORT", "WEB_CONCURRENCY", "WEB_THREADS", "WEB_ACCESS_LOG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    return {k: v for k, v in settings.items() if not k.startswith("_") and k.islower()}


def test_gunicorn_defaults(monkeypatch):
    settings = _gunicorn_settings(monkeypatch)
    cores = len(os.sched_getaffinity(0))
    assert settings["workers"] == min(2 * cores + 1, 8)
    assert settings["preload_app"] is False  # each worker opens its own pool
    assert settings["bind"] == ["127.0.0.1:8000"]
    assert settings["worker_class"] == "portal.ops.gunicorn_worker.DrainingThreadWorker"
    assert settings["threads"] >= 2
    assert settings["timeout"] > 0 and settings["graceful_timeout"] > 0
    assert settings["keepalive"] > 0
    assert settings["max_requests"] > 0 and settings["max_requests_jitter"] > 0
    assert "%(q)s" not in settings["access_log_format"]
    # Every name is a real gunicorn setting with a valid value.
    config = GunicornConfig()
    for name, value in settings.items():
        if callable(value) or name in ("os", "annotations"):
            continue
        config.set(name, value)
    assert config.logger_class is RedactingLogger
    assert config.worker_class is DrainingThreadWorker
    assert config.preload_app is False


def test_gunicorn_settings_from_the_environment(monkeypatch):
    settings = _gunicorn_settings(
        monkeypatch, HOST="::", PORT="8443", WEB_CONCURRENCY="3", WEB_THREADS="4"
    )
    assert settings["bind"] == ["[::]:8443"]
    assert settings["workers"] == 3 and settings["threads"] == 4


def test_access_log_never_writes_tokens_or_query_strings(capsys):
    config = GunicornConfig()
    config.set("accesslog", "-")
    config.set("access_log_format", _gunicorn_settings_static()["access_log_format"])
    logger = RedactingLogger(config)

    class Response:
        status = "200 OK"
        sent = 1234
        headers = [("Set-Cookie", "session=secret-session-cookie")]

    class Request:
        headers = [("COOKIE", "session=secret-session-cookie"), ("X-REQUEST-ID", "abc")]

    environ = {
        "REQUEST_METHOD": "POST",
        "RAW_URI": f"/password/reset/{TOKEN}?next=/profile&code=123456",
        "PATH_INFO": f"/password/reset/{TOKEN}",
        "QUERY_STRING": "next=/profile&code=123456",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.7",
        "HTTP_REFERER": f"https://portal.example/invitation/{TOKEN}?x=1",
        "HTTP_USER_AGENT": "curl/8",
        "HTTP_COOKIE": "session=secret-session-cookie",
    }
    from datetime import timedelta

    logger.access(Response(), Request(), environ, timedelta(milliseconds=12))
    line = capsys.readouterr().out
    assert "POST /password/reset/[redacted] HTTP/1.1" in line
    assert "https://portal.example/invitation/[redacted]" in line
    assert TOKEN not in line
    assert "123456" not in line and "next=" not in line
    assert "secret-session-cookie" not in line
    assert "203.0.113.7" in line and " 200 " in line


def _gunicorn_settings_static() -> dict:
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_redaction_keeps_ordinary_paths():
    assert redact_path("/needs/123/edit?page=2") == "/needs/123/edit"
    assert redact_path("/static/vendor/htmx.min.js") == "/static/vendor/htmx.min.js"
    assert redact_path(f"/invitation/{TOKEN}") == "/invitation/[redacted]"
    assert redact_referrer(None) == "-"
    assert redact_referrer("https://p.example/needs?q=leak") == "https://p.example/needs"


# ---------------------------------------------------------------- configuration


def test_postgresql_pool_settings_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://portal@db:5432/portal")
    monkeypatch.setenv("DB_POOL_SIZE", "7")
    monkeypatch.setenv("DB_MAX_OVERFLOW", "3")
    monkeypatch.setenv("SECRET_KEY", "k" * 48)
    config = config_from_name("production")(tmp_path)
    assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://portal@db:5432/portal"
    options = config.SQLALCHEMY_ENGINE_OPTIONS
    assert options["pool_pre_ping"] is True
    assert options["pool_size"] == 7 and options["max_overflow"] == 3
    assert options["pool_recycle"] > 0 and options["pool_timeout"] > 0
    assert options["connect_args"]["connect_timeout"] > 0

    monkeypatch.setenv("DB_POOL_SIZE", "many")
    with pytest.raises(ConfigurationError, match="DB_POOL_SIZE"):
        config_from_name("production")(tmp_path)


def test_the_cache_is_shared_through_redis_when_there_is_one(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "k" * 48)
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("CACHE_KEY_PREFIX", raising=False)
    alone = config_from_name("production")(tmp_path)
    assert alone.CACHE_TYPE == "SimpleCache" and alone.CACHE_KEY_PREFIX == "portal:"
    monkeypatch.setenv("REDIS_URL", "redis://cache.internal:6379/2")
    monkeypatch.setenv("CACHE_KEY_PREFIX", "kyiv-stockholm:")
    shared = config_from_name("production")(tmp_path)
    assert shared.CACHE_TYPE == "RedisCache"
    assert shared.CACHE_REDIS_URL == "redis://cache.internal:6379/2"
    assert shared.CACHE_KEY_PREFIX == "kyiv-stockholm:"
    assert 0 < shared.CACHE_OPTIONS["socket_timeout"] <= 1  # an outage costs little


def test_sqlite_keeps_its_own_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/p.db")
    config = config_from_name("development")(tmp_path)
    assert "pool_size" not in config.SQLALCHEMY_ENGINE_OPTIONS


# ---------------------------------------------------------------- several app instances


def _instance(database_url: str, **overrides):
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": database_url, **overrides})
    app.test_client_class = PortalClient
    return app


def _forgot(client) -> int:
    return client.post("/password/forgot", data={"email": "nobody@example.org"}).status_code


# Another worker: a separate process with its own app (the limiter is a module global, so two
# apps in one process would share its storage whatever it is).
OTHER_WORKER = """
import sys
from portal import create_app
from tests.conftest import PortalClient
url, storage, prefix = sys.argv[1:4]
app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url,
                  "RATELIMIT_STORAGE_URI": storage, "RATELIMIT_KEY_PREFIX": prefix})
app.test_client_class = PortalClient
client = app.test_client()
print(client.post("/password/forgot", data={"email": "nobody@example.org"}).status_code)
"""


def _forgot_in_another_worker(database_url: str, storage: str, prefix: str) -> int:
    result = subprocess.run(
        [sys.executable, "-c", OTHER_WORKER, database_url, storage, prefix],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return int(result.stdout.strip().splitlines()[-1])


def test_workers_share_rate_limits_through_redis(database_url, redis_prefix):
    app = _instance(
        database_url, RATELIMIT_STORAGE_URI=TEST_REDIS_URL, RATELIMIT_KEY_PREFIX=redis_prefix
    )
    client = app.test_client()
    # The forgotten-password form allows 5 posts a minute from one address.
    assert [_forgot(client) for _ in range(5)] == [302] * 5
    assert redis.Redis.from_url(TEST_REDIS_URL).keys(f"*{redis_prefix}*")
    assert _forgot_in_another_worker(database_url, TEST_REDIS_URL, redis_prefix) == 429
    with app.app_context():
        db.engine.dispose()


def test_without_shared_storage_each_worker_counts_alone(database_url):
    """The control: in-memory limits are per process, which is why production needs Redis."""
    app = _instance(database_url, RATELIMIT_STORAGE_URI="memory://")
    client = app.test_client()
    assert [_forgot(client) for _ in range(5)] == [302] * 5
    assert _forgot(client) == 429
    assert _forgot_in_another_worker(database_url, "memory://", "portal") == 302
    with app.app_context():
        db.engine.dispose()


def test_redis_outage_does_not_break_limited_pages(database_url):
    app = _instance(database_url, RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{_free_port()}/0")
    client = app.test_client()
    assert _forgot(client) == 302
    with app.app_context():
        db.engine.dispose()


def test_a_session_from_one_instance_works_on_another(database_url):
    """Sessions are signed cookies checked against the database: any app server will do."""
    first, second = _instance(database_url), _instance(database_url)
    a, b = first.test_client(), second.test_client()
    a.login(EMAILS["requester"])
    cookie = a.get_cookie("session")
    assert cookie is not None
    assert b.get("/profile").status_code == 302  # not signed in on the other server yet
    b.set_cookie("session", cookie.value)
    assert b.get("/profile").status_code == 200
    for app in (first, second):
        with app.app_context():
            db.engine.dispose()


# ---------------------------------------------------------------- behind a reverse proxy


def _proxy_probe(database_url: str, trust: int):
    app = _instance(database_url, TRUST_PROXY=trust, PORTAL_BASE_URL="https://portal.example")

    @app.route("/_probe")
    def probe():
        return {"addr": request.remote_addr, "scheme": request.scheme, "host": request.host}

    return app


PROXY_HEADERS = {
    "X-Forwarded-For": "198.51.100.1, 203.0.113.9",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "portal.example",
}


def test_trusts_one_proxy_hop_when_told(database_url):
    app = _proxy_probe(database_url, 1)
    client = app.test_client()
    probe = client.get("/_probe", headers=PROXY_HEADERS).json
    # Only the last hop (the proxy's view of the client) is trusted, not what the client sent.
    assert probe == {"addr": "203.0.113.9", "scheme": "https", "host": "portal.example"}
    response = client.get("/healthz", headers=PROXY_HEADERS)
    assert "max-age=" in response.headers["Strict-Transport-Security"]
    assert "Strict-Transport-Security" not in client.get("/healthz").headers
    with app.app_context():
        db.engine.dispose()


def test_ignores_forwarded_headers_by_default(database_url):
    app = _proxy_probe(database_url, 0)
    client = app.test_client()
    probe = client.get("/_probe", headers=PROXY_HEADERS).json
    assert probe == {"addr": "127.0.0.1", "scheme": "http", "host": "localhost"}
    assert "Strict-Transport-Security" not in client.get("/healthz", headers=PROXY_HEADERS).headers
    with app.app_context():
        db.engine.dispose()


def test_rate_limits_count_per_client_behind_the_proxy(database_url):
    app = _instance(database_url, TRUST_PROXY=1, RATELIMIT_STORAGE_URI="memory://")
    client = app.test_client()

    def forgot(ip: str) -> int:
        return client.post(
            "/password/forgot",
            data={"email": "nobody@example.org"},
            headers={"X-Forwarded-For": ip},
        ).status_code

    assert [forgot("198.51.100.20") for _ in range(5)] == [302] * 5
    assert forgot("198.51.100.20") == 429
    assert forgot("198.51.100.21") == 302  # another visitor behind the same proxy
    with app.app_context():
        db.engine.dispose()


# ---------------------------------------------------------------- the start script


def _serve_env(**env: str) -> dict[str, str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "PORTAL_ENV", "PORTAL_BASE_URL")
    }
    base["VENV"] = str(Path(sys.executable).parent.parent)
    base["TOTP_ENCRYPTION_KEY"] = "t" * 40
    base.update(env)
    return base


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "SECRET_KEY is not set"),
        ({"SECRET_KEY": "short"}, "too short"),
        ({"SECRET_KEY": "s" * 40}, "DATABASE_URL is not set"),
        ({"SECRET_KEY": "s" * 40, "TOTP_ENCRYPTION_KEY": ""}, "TOTP_ENCRYPTION_KEY is not set"),
        ({"SECRET_KEY": "s" * 40, "TOTP_ENCRYPTION_KEY": "short"}, "TOTP_ENCRYPTION_KEY is too"),
        (
            {"SECRET_KEY": "s" * 40, "DATABASE_URL": "sqlite:///instance/portal.db"},
            "must point to PostgreSQL",
        ),
        (
            {"SECRET_KEY": "s" * 40, "DATABASE_URL": "postgresql://p@127.0.0.1/p"},
            "REDIS_URL is not set",
        ),
    ],
)
def test_serve_refuses_an_incomplete_production_environment(env, message):
    result = subprocess.run(
        [str(ROOT / "scripts" / "serve.sh")],
        env=_serve_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert message in result.stderr


# ---------------------------------------------------------------- gunicorn for real


def _wait_for(url: str, deadline: float) -> int:
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (local)
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"nothing answered at {url}")


def test_gunicorn_serves_the_portal_in_production_mode(database_url, redis_prefix, tmp_path):
    """The production configuration behind gunicorn, on the suite's database and Redis. On
    PostgreSQL it is started the way ``make serve`` starts it (scripts/serve.sh)."""
    port = _free_port()
    access_log = tmp_path / "access.log"
    url = make_url(database_url)
    env = _serve_env(
        SECRET_KEY="g" * 48,
        DATABASE_URL=url.render_as_string(hide_password=False),
        REDIS_URL=TEST_REDIS_URL,
        CACHE_KEY_PREFIX=redis_prefix,
        HOST="127.0.0.1",
        PORT=str(port),
        WEB_CONCURRENCY="2",
        WEB_ACCESS_LOG=str(access_log),
        PORTAL_ENV="production",
        PORTAL_BASE_URL=f"http://127.0.0.1:{port}",
    )
    if url.get_backend_name() == "postgresql":
        command = [str(ROOT / "scripts" / "serve.sh")]
    else:
        command = [
            str(Path(sys.executable).parent / "gunicorn"),
            "-c",
            "gunicorn.conf.py",
            "wsgi:app",
        ]
    server = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: every child can be ended if it hangs
    )
    try:
        base = f"http://127.0.0.1:{port}"
        assert _wait_for(f"{base}/healthz", time.monotonic() + 90) == 200
        with urllib.request.urlopen(f"{base}/healthz") as response:  # noqa: S310
            assert response.headers["Content-Type"].startswith("application/json")
        assert _wait_for(f"{base}/password/reset/{TOKEN}?code=987654", time.monotonic() + 10) == 404
        assert _wait_for(f"{base}/", time.monotonic() + 10) == 200
        foreign = urllib.request.Request(  # noqa: S310 (local)
            f"{base}/healthz", headers={"Host": "evil.example"}
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(foreign, timeout=5)  # noqa: S310 (local)
        assert refused.value.code == 400
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            output, _ = server.communicate(timeout=60)
        except subprocess.TimeoutExpired as still_running:
            # serve.sh or one of its children (gunicorn, the job worker, the scheduler) did
            # not stop: end them all and show what they said.
            os.killpg(server.pid, signal.SIGKILL)
            server.communicate(timeout=10)
            log = (still_running.output or b"").decode("utf-8", "replace")
            raise AssertionError(f"still running 60 s after SIGTERM:\n{log[-6000:]}") from None
    log = access_log.read_text()
    assert "GET /healthz HTTP/1.1" in log and '"GET / HTTP/1.1" 200' in log
    assert "/password/reset/[redacted]" in log
    assert TOKEN not in log and "987654" not in log
    text_output = output.decode("utf-8", "replace")
    assert "Booting worker" in text_output
    assert server.returncode == 0, text_output


# ---------------------------------------------------------------- what production requires


def _production(tmp_path, monkeypatch, **env: str):
    monkeypatch.setenv("SECRET_KEY", "k" * 48)
    monkeypatch.setenv("PORTAL_BASE_URL", "https://portal.example.org")
    monkeypatch.setenv("TOTP_ENCRYPTION_KEY", "t" * 48)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return config_from_name("production")(tmp_path)


@pytest.mark.parametrize("missing", ["PORTAL_BASE_URL", "TOTP_ENCRYPTION_KEY"])
def test_production_refuses_to_start_without(missing, tmp_path, monkeypatch):
    with pytest.raises(ConfigurationError, match=f"{missing} must be set in production"):
        _production(tmp_path, monkeypatch, **{missing: ""})


def test_base_url_must_be_an_address(tmp_path, monkeypatch):
    with pytest.raises(ConfigurationError, match="PORTAL_BASE_URL"):
        _production(tmp_path, monkeypatch, PORTAL_BASE_URL="portal.example.org")


def test_only_the_portals_own_host_is_answered_in_production(tmp_path, monkeypatch):
    config = _production(tmp_path, monkeypatch, PORTAL_TRUSTED_HOSTS="10.0.0.5")
    assert config.TRUSTED_HOSTS == ["portal.example.org", "10.0.0.5"]
    development = config_from_name("development")(tmp_path)
    assert {"localhost", "127.0.0.1"} <= set(development.TRUSTED_HOSTS)


def test_old_keys_are_read_from_the_environment(tmp_path, monkeypatch):
    config = _production(
        tmp_path,
        monkeypatch,
        SECRET_KEY_FALLBACKS="old-secret-1, old-secret-2",
        TOTP_ENCRYPTION_KEY_FALLBACKS="old-totp",
    )
    assert config.SECRET_KEY_FALLBACKS == ["old-secret-1", "old-secret-2"]
    assert config.TOTP_ENCRYPTION_KEY_FALLBACKS == ["old-totp"]
