"""When the database is unreachable, pages answer 503 with the translated error page and /healthz
answers 503; once it is back, the next request succeeds (pool pre-ping) without an error.

The suite's own backend is exercised either way: on PostgreSQL, backends are terminated as a
server restart would; on SQLite, another connection holds the database locked. A PostgreSQL
port where nothing listens needs no server, so that case runs in both suites.
"""

from __future__ import annotations

import socket
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from portal import create_app
from portal.extensions import db
from tests.conftest import PortalClient


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _testing_app(url: str, **overrides):
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url, **overrides})
    app.test_client_class = PortalClient  # each request in its own app context, as in production
    return app


def _is_postgres(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


def _assert_unavailable_page(response, lang: str = "en") -> None:
    assert response.status_code == 503
    body = response.get_data(as_text=True)
    assert f'<html lang="{lang}"' in body  # the portal's own page, in the reader's language
    assert 'role="alert"' in body
    if lang == "en":
        assert "Temporarily unavailable" in body
        assert "cannot reach its database" in body


@pytest.fixture
def dead_postgres_url() -> str:
    return f"postgresql+psycopg://postgres@127.0.0.1:{_free_port()}/portal_nowhere"


def test_nothing_listening_on_the_postgresql_port_gives_503(dead_postgres_url):
    app = _testing_app(dead_postgres_url)
    client = app.test_client()
    with app.app_context():
        _assert_unavailable_page(client.get("/"))
        _assert_unavailable_page(client.get("/", headers={"Accept-Language": "sv"}), "sv")
        _assert_unavailable_page(client.get("/?lang=uk"), "uk")
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.json == {"status": "error", "database": "error"}
        db.engine.dispose()


def test_signed_in_user_also_gets_503_not_500(dead_postgres_url):
    """The user loader needs the database too: the error page must not need it again."""
    app = _testing_app(dead_postgres_url)
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1:0"
        session["_fresh"] = True
    with app.app_context():
        _assert_unavailable_page(client.get("/"))
        _assert_unavailable_page(client.get("/profile"))
        db.engine.dispose()


def test_production_configuration_gives_503_too(dead_postgres_url, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "s" * 48)
    monkeypatch.setenv("DATABASE_URL", dead_postgres_url.replace("+psycopg", ""))
    monkeypatch.delenv("REDIS_URL", raising=False)
    app = create_app("production")
    app.test_client_class = PortalClient
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True
    client = app.test_client()
    with app.app_context():
        _assert_unavailable_page(client.get("/"))
        assert client.get("/healthz").status_code == 503
        db.engine.dispose()


def test_unreachable_suite_database_gives_503(database_url, tmp_path):
    """The suite's backend, unreachable: a closed port (PostgreSQL) or an unopenable file."""
    url = make_url(database_url)
    if _is_postgres(database_url):
        broken = url.set(port=_free_port()).render_as_string(hide_password=False)
    else:
        broken = f"sqlite:///{tmp_path / 'no-such-directory' / 'portal.db'}"
    app = _testing_app(broken)
    client = app.test_client()
    with app.app_context():
        _assert_unavailable_page(client.get("/"))
        assert client.get("/healthz").status_code == 503
        db.engine.dispose()


# ---------------------------------------------------------------- outage and recovery


def _terminate_backends(database_url: str) -> int:
    """What a PostgreSQL restart does to the portal's pooled connections."""
    url = make_url(database_url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            return len(
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": url.database},
                ).all()
            )
    finally:
        admin.dispose()


@contextmanager
def _sqlite_locked(database_url: str) -> Iterator[None]:
    """Another process holds the SQLite database exclusively (a long write, a copy)."""
    conn = sqlite3.connect(make_url(database_url).database, isolation_level=None)
    conn.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        conn.execute("ROLLBACK")
        conn.close()


def test_requests_succeed_once_the_database_is_back(database_url):
    if _is_postgres(database_url):
        app = _testing_app(database_url)
        client = app.test_client()
        with app.app_context():
            assert client.get("/").status_code == 200  # the pool now holds live connections
            assert db.engine.pool.checkedin() >= 1
            assert _terminate_backends(database_url) >= 1  # the server "restarted"
            # Pre-ping notices the dead connections and replaces them: no request fails.
            assert client.get("/").status_code == 200
            assert client.get("/healthz").status_code == 200
            db.engine.dispose()

        # The control: without pre-ping, the same restart fails one request (503, not 500)
        # before the pool starts afresh. This is what the setting saves us from.
        app = _testing_app(database_url, SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": False})
        client = app.test_client()
        with app.app_context():
            assert client.get("/").status_code == 200
            assert _terminate_backends(database_url) >= 1
            _assert_unavailable_page(client.get("/"))
            assert client.get("/").status_code == 200
            db.engine.dispose()
    else:
        # SQLite has no server connection to lose: the outage is another process holding the
        # database locked (a long write, a copy), and it is over when the lock is released.
        app = _testing_app(
            database_url, SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"timeout": 0.2}}
        )
        client = app.test_client()
        with app.app_context():
            assert client.get("/").status_code == 200
            with _sqlite_locked(database_url):
                _assert_unavailable_page(client.get("/"))
                _assert_unavailable_page(client.get("/?lang=sv"), "sv")
            assert client.get("/").status_code == 200
            assert client.get("/healthz").status_code == 200
            db.engine.dispose()


def test_exhausted_pool_gives_503_not_500(database_url):
    """All connections busy longer than pool_timeout: the request gives up with 503."""
    options = {"pool_size": 1, "max_overflow": 0, "pool_timeout": 0.3}
    if not _is_postgres(database_url):
        options["connect_args"] = {"timeout": 1}
    app = _testing_app(database_url, SQLALCHEMY_ENGINE_OPTIONS=options)
    client = app.test_client()
    with app.app_context():
        held = db.engine.connect()
        try:
            _assert_unavailable_page(client.get("/"))
        finally:
            held.close()
        assert client.get("/").status_code == 200
        db.engine.dispose()
