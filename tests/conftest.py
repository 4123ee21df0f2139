"""Fixtures: a fresh database per test, copied from a migrated template with reference data and
the standard cast of users, on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is set."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import MetaData, create_engine, delete, event, func, insert, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from portal import create_app
from portal.extensions import db

# What production requires (portal/config.py), for the tests that build a production portal.
os.environ.setdefault("PORTAL_BASE_URL", "http://localhost")
os.environ.setdefault("TOTP_ENCRYPTION_KEY", "testing-totp-key-not-for-production")

PASSWORD = "correct horse battery staple"
# Coordinators and admins must use a second factor; the test cast's share this secret.
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

# email: (name, role, organisation English name)
PEOPLE = {
    "requester@kyiv.test": ("Olena Kovalenko", "requester", "Kyivvodokanal"),
    "expert@stockholm.test": (
        "Anna Lindqvist",
        "expert",
        "Stockholm Water and Waste (Stockholm Vatten och Avfall)",
    ),
    "coordinator@stockholm.test": ("Erik Sandberg", "coordinator", "City Executive Office"),
    "admin@stockholm.test": ("Maria Holm", "admin", "Service Administration"),
    # Unrelated users: same roles, other organisations.
    "other.requester@kyiv.test": (
        "Taras Melnyk",
        "requester",
        "KCSA Department of Education and Science",
    ),
    "other.expert@stockholm.test": ("Johan Berg", "expert", "Stokab"),
}


class PortalClient(FlaskClient):
    """A test client that sends a valid CSRF token with every unsafe request, as a browser
    holding the portal's page would. Pass ``csrf=False`` to send none."""

    def open(self, *args, **kwargs):  # type: ignore[override]
        send_csrf = kwargs.pop("csrf", True)
        method = (kwargs.get("method") or "GET").upper()
        if send_csrf and method not in ("GET", "HEAD", "OPTIONS"):
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRFToken", self.csrf_token())
            kwargs["headers"] = headers
        # Each request gets its own application context, as in production: a test that holds
        # the app context must not share ``g`` (the signed-in user, the locale) or the database
        # session between requests.
        # Read and close the response as a server does once it has sent it: work the portal
        # does after the response (portal.jobs, in-process) has then run.
        kwargs.setdefault("buffered", True)
        with self.application.app_context():
            return super().open(*args, **kwargs)

    def csrf_token(self) -> str:
        app = self.application
        with self.session_transaction() as sess:
            raw = sess.get("csrf_token")
            if raw is None:
                raw = hashlib.sha1(os.urandom(64)).hexdigest()  # noqa: S324 (as Flask-WTF does)
                sess["csrf_token"] = raw
        serializer = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token")
        return serializer.dumps(raw)

    def login(self, email: str, password: str = PASSWORD):
        response = self.post("/login", data={"email": email, "password": password})
        assert response.status_code == 302, f"login as {email} failed: {response.status_code}"
        if "/login/verify" in response.headers["Location"]:
            response = self.post(
                response.headers["Location"], data={"code": fresh_code(self, email)}
            )
            assert response.status_code == 302, f"second factor for {email} failed"
        return response

    def logout(self):
        return self.post("/logout")


# A signed CSRF token (itsdangerous: payload, time, signature), wherever the page holds one.
_CSRF = re.compile(r"[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{4,8}\.[A-Za-z0-9_-]{20,}")
_CLOCK = re.compile(r'data-remaining="\d+"')


def masked(body: str) -> str:
    """A page without what differs on every rendering: CSRF tokens (signed with the second they
    were made) and the session clock's seconds. Two renderings of one page compare equal through
    this, even when a second ticks between them."""
    return _CLOCK.sub('data-remaining=""', _CSRF.sub("…", body))


def fresh_code(client: FlaskClient, email: str) -> str:
    """A TOTP code for a test user, forgetting the last step used so that a test may sign the
    same person in twice within one 30-second step."""
    import pyotp

    from portal.accounts.models import User

    with client.application.app_context():
        user = db.session.scalar(db.select(User).filter_by(email=email))
        user.totp_last_step = None
        db.session.commit()
    return pyotp.TOTP(TOTP_SECRET).now()


# ---------------------------------------------------------------- database templates


def _build_template(url: str) -> None:
    from flask_migrate import upgrade

    from portal.accounts.services import create_user
    from portal.accounts.twofactor import enable
    from portal.core.enums import Role
    from portal.reference.models import Organisation
    from portal.seed.reference import load_reference

    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        load_reference()
        for email, (name, role, org_name) in PEOPLE.items():
            org = db.session.scalar(db.select(Organisation).filter_by(name_en=org_name))
            assert org is not None, org_name
            user = create_user(
                email=email,
                name=name,
                password=PASSWORD,
                role=Role(role),
                organisation=org,
                actor=None,
            )
            if user.role in (Role.COORDINATOR, Role.ADMIN):
                enable(user, TOTP_SECRET)
        db.session.commit()
        db.engine.dispose()


class SqliteDatabases:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.template = tmp / "template.db"
        _build_template(f"sqlite:///{self.template}")
        self.counter = 0

    def reset(self) -> str:
        return self.fresh()

    def fresh(self) -> str:
        self.counter += 1
        path = self.tmp / f"test-{self.counter}.db"
        shutil.copyfile(self.template, path)
        return f"sqlite:///{path}"

    def drop(self, url: str) -> None:
        Path(make_url(url).database or "").unlink(missing_ok=True)


SNAPSHOT = "portal_test_snapshot"


class PostgresDatabases:
    def __init__(self, base_url: str) -> None:
        url = make_url(base_url)
        if url.drivername in ("postgresql", "postgres"):
            url = url.set(drivername="postgresql+psycopg")
        self.base = url
        self.name = url.database or "portal_test"
        self.admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        self.template_name = f"{self.name}_{os.getpid()}_template"
        self._recreate(self.template_name)
        _build_template(self.url_for(self.template_name))
        self.counter = 0
        # Most tests share one working database that is emptied and refilled from a snapshot of
        # the template: far cheaper than CREATE DATABASE per test.
        self.work_name = f"{self.name}_{os.getpid()}_work"
        self._recreate(self.work_name, self.template_name)
        self.work_url = self.url_for(self.work_name)
        self.work = create_engine(self.work_url, poolclass=NullPool)
        self.refill = self._snapshot()

    def _snapshot(self) -> str:
        """Keep the template's rows in a schema of the working database, and return the SQL
        that empties the portal's tables and refills them from it: one round trip per test."""
        tables = db.metadata.sorted_tables
        with self.work.begin() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {SNAPSHOT}")
            filled = []
            for table in tables:
                if conn.scalar(select(func.count()).select_from(table)):
                    conn.exec_driver_sql(
                        f'CREATE TABLE {SNAPSHOT}."{table.name}" AS TABLE public."{table.name}"'
                    )
                    filled.append(table)
        kept = MetaData()
        statements = [
            delete(table) for table in reversed(tables)
        ]  # DELETE beats TRUNCATE on tables this small (no new files to create).
        statements += [
            insert(table).from_select(
                list(table.c.keys()), select(table.to_metadata(kept, schema=SNAPSHOT))
            )
            for table in filled
        ]
        for table in tables:
            if "id" in table.c and table.c.id.autoincrement is not False:
                sequence = func.pg_get_serial_sequence(f'"{table.name}"', "id")
                highest = func.coalesce(func.max(table.c.id), 0) + 1
                statements.append(select(func.setval(sequence, highest, False)))
        dialect = postgresql.dialect()
        sql = [
            str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
            for statement in statements
        ]
        return ";\n".join(["SET LOCAL lock_timeout = '20s'", *sql])

    def reset(self) -> str:
        """The working database, as the template left it."""
        with self.admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": self.work_name},
            )
        with self.work.begin() as conn:
            # Without parameters, psycopg sends the statements in one simple query.
            conn.connection.driver_connection.execute(self.refill)  # type: ignore[union-attr]
        return self.work_url

    def url_for(self, name: str) -> str:
        return self.base.set(database=name).render_as_string(hide_password=False)

    def _recreate(self, name: str, template: str | None = None) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            suffix = f' TEMPLATE "{template}"' if template else ""
            conn.execute(text(f'CREATE DATABASE "{name}"{suffix}'))

    def fresh(self) -> str:
        self.counter += 1
        name = f"{self.name}_{os.getpid()}_{self.counter}"
        self._recreate(name, self.template_name)
        return self.url_for(name)

    def drop(self, url: str) -> None:
        if url == self.work_url:
            return  # emptied by the next reset()
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory):
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield SqliteDatabases(tmp_path_factory.mktemp("db"))
        return
    pg = PostgresDatabases(url)
    yield pg
    pg.work.dispose()
    for name in (pg.work_name, pg.template_name):
        with pg.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    pg.admin.dispose()


@pytest.fixture
def database_url(databases) -> Iterator[str]:
    url = databases.reset()
    yield url
    databases.drop(url)


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    # Document files of each test in a directory of its own.
    app = create_app(
        {
            "ENV_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "FILES_DIR": str(tmp_path / "files"),
        }
    )
    app.test_client_class = PortalClient
    # Each test's people have the ids of the last test's: what a worker remembers of a person
    # (the scope their header was last counted under) and the default agreement's terms it
    # keeps start empty, as in a new worker.
    from portal.agreements import services as agreements
    from portal.notifications import queries

    queries._LAST_KEY.clear()
    agreements._kept_terms = None
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(params=["page cache off", "page cache on"])
def page_cache(request, app: Flask) -> bool:
    """Run a test twice: without and with everything the portal keeps, as in production: kept
    pages and list fragments (``portal.core.pagecache``), list counts (``core.counts``) and
    the dashboard's panels and lists (``core.current``);
    ``pytestmark = pytest.mark.usefixtures("page_cache")``."""
    from portal.extensions import cache

    on = request.param == "page cache on"
    if on:
        app.config["PAGE_CACHE_SECONDS"] = 300
        app.config["LIST_COUNT_SECONDS"] = 60
        app.config["DASHBOARD_CACHE_SECONDS"] = 60
        cache.clear()
    return on


@pytest.fixture
def client(app: Flask) -> PortalClient:
    return app.test_client()  # type: ignore[return-value]


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


@pytest.fixture
def users(app: Flask) -> dict[str, object]:
    """The standard cast by short name: requester, expert, coordinator, admin, other_requester,
    other_expert."""
    from portal.accounts.models import User

    by_email = {u.email: u for u in db.session.scalars(db.select(User))}
    return {
        "requester": by_email["requester@kyiv.test"],
        "expert": by_email["expert@stockholm.test"],
        "coordinator": by_email["coordinator@stockholm.test"],
        "admin": by_email["admin@stockholm.test"],
        "other_requester": by_email["other.requester@kyiv.test"],
        "other_expert": by_email["other.expert@stockholm.test"],
    }


EMAILS = {
    "requester": "requester@kyiv.test",
    "expert": "expert@stockholm.test",
    "coordinator": "coordinator@stockholm.test",
    "admin": "admin@stockholm.test",
    "other_requester": "other.requester@kyiv.test",
    "other_expert": "other.expert@stockholm.test",
}


@pytest.fixture
def login(client: PortalClient):
    """``login("expert")`` signs the client in as one of the standard cast."""

    def _login(who: str) -> PortalClient:
        client.login(EMAILS[who])
        return client

    return _login


@pytest.fixture
def no_kept_parts() -> Iterator[None]:
    """Record pages' kept parts (``web.kept_part``) forgotten before and after the test, for
    tests that count what is kept: ``pytestmark = pytest.mark.usefixtures("no_kept_parts")``."""
    from portal import web

    web._kept_parts.clear()
    yield
    web._kept_parts.clear()


@contextmanager
def count_queries(app: Flask) -> Iterator[list[str]]:
    """Collect the SQL statements issued inside the block."""
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


# Redis for the tests of several workers sharing limits and caches (see README).
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of its own in the test Redis database; its keys are removed afterwards."""
    import uuid

    import redis

    prefix = f"portal-test-{uuid.uuid4().hex}:"
    client = redis.Redis.from_url(TEST_REDIS_URL)
    client.ping()  # Redis must be running for this suite (see README)
    yield prefix
    for key in client.scan_iter(f"*{prefix}*"):
        client.delete(key)
    client.close()
