"""Configuration from the environment.

Development generates a secret key once into ``instance/``; production refuses to start
without ``SECRET_KEY``, ``TOTP_ENCRYPTION_KEY`` and ``PORTAL_BASE_URL``. ``DATABASE_URL`` picks
the database (SQLite in ``instance/portal.db`` by default) and ``REDIS_URL`` the shared state
store, when there is one.

``PORTAL_BASE_URL`` is where people reach the portal: every link in an e-mail is built from it,
never from the request's Host header, and requests for any other host are refused (400) through
Flask's ``TRUSTED_HOSTS``. Old keys stay readable while they are rotated out:
``SECRET_KEY_FALLBACKS`` and ``TOTP_ENCRYPTION_KEY_FALLBACKS`` (comma-separated, newest first).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


class ConfigurationError(RuntimeError):
    """The portal cannot start with this configuration."""


def _normalise_database_url(url: str) -> str:
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants a driver name.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _env_int(env: Mapping[str, str], name: str, default: int) -> int:
    value = env.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, not {value!r}") from None


def _postgresql_engine_options(env: Mapping[str, str]) -> dict:
    """Connection pool for PostgreSQL, per process (each gunicorn worker has its own pool).

    workers x (DB_POOL_SIZE + DB_MAX_OVERFLOW) must stay below the server's max_connections.
    Pre-ping replaces connections the server closed (a restart, a failover, an idle timeout)
    before a request uses them; pool_recycle retires connections before firewalls drop them.
    PostgreSQL's JIT compiler is off for these connections (DB_JIT=on turns it back on): at
    100,000 needs it spent about half a second compiling each list count and dashboard
    aggregate whose estimated cost crossed jit_above_cost, for queries that run in tens of ms.
    """
    connect_args: dict = {
        "connect_timeout": _env_int(env, "DB_CONNECT_TIMEOUT", 5),
        "application_name": env.get("DB_APPLICATION_NAME", "portal"),
    }
    if env.get("DB_JIT", "off").strip().lower() not in ("on", "1", "true", "yes"):
        connect_args["options"] = "-c jit=off"
    return {
        "pool_pre_ping": True,
        "pool_size": _env_int(env, "DB_POOL_SIZE", 5),
        "max_overflow": _env_int(env, "DB_MAX_OVERFLOW", 5),
        "pool_recycle": _env_int(env, "DB_POOL_RECYCLE", 1800),
        "pool_timeout": _env_int(env, "DB_POOL_TIMEOUT", 10),
        "connect_args": connect_args,
    }


def _env_list(env: Mapping[str, str], name: str) -> list[str]:
    return [item.strip() for item in env.get(name, "").split(",") if item.strip()]


def _base_url(value: str) -> str:
    """``value`` as the portal's address: http(s), a host, perhaps a port and a path prefix."""
    value = value.strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"PORTAL_BASE_URL must look like https://portal.example.org, not {value!r}"
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ConfigurationError("PORTAL_BASE_URL must hold no query, fragment or credentials")
    return value


def _development_secret(instance_path: Path) -> str:
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


class Config:
    ENV_NAME = "development"
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True}
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "Europe/Stockholm"
    LANGUAGES = ("en", "sv", "uk")
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    SEND_FILE_MAX_AGE_DEFAULT = timedelta(days=365)
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    COMPRESS_ALGORITHM = ["br", "gzip"]
    COMPRESS_MIMETYPES = [
        "text/html",
        "text/css",
        "text/javascript",
        "application/javascript",
        "application/json",
        "image/svg+xml",
    ]
    PAGE_SIZE = 20
    # Seconds the dashboard's aggregate panels are kept per visibility scope (0: not kept).
    DASHBOARD_CACHE_SECONDS = 60
    NOTIFICATIONS_DUE_CHECK_SECONDS = 300
    # Rendered pages and list fragments kept per visibility scope (portal.core.pagecache): a
    # backstop only, every committed write makes them out of date at once (0: nothing kept).
    PAGE_CACHE_SECONDS = 300
    # How long a reverse proxy or browser may keep a public page read without a session
    # (Cache-Control: public, max-age); 0 sends no such header.
    PAGE_CACHE_MAX_AGE = 30
    # Seconds themes, districts and organisations are kept for the filters (forgotten on change).
    REFERENCE_CACHE_SECONDS = 300
    # Seconds a list's count past a thousand is kept per visibility scope and filters (0: not
    # kept); shown as "about …", so it may lag by that much. Counts up to a thousand are exact.
    LIST_COUNT_SECONDS = 60
    CACHE_DEFAULT_TIMEOUT = 300
    IDLE_TIMEOUT = timedelta(minutes=30)
    # How long before the idle sign-out the page warns and offers to stay signed in (WCAG 2.1
    # SC 2.2.1 asks for at least 20 seconds).
    IDLE_WARNING = timedelta(minutes=2)
    ABSOLUTE_SESSION_LIFETIME = timedelta(hours=12)
    LOCKOUT_THRESHOLD = 5
    LOCKOUT_WINDOW = timedelta(minutes=15)
    LOCKOUT_DURATION = timedelta(minutes=15)
    INVITATION_LIFETIME = timedelta(days=7)
    PASSWORD_RESET_LIFETIME = timedelta(hours=1)
    # Said by every app: Flask-Limiter's one extension object keeps the last app's setting for
    # an app that says nothing (one test's app with limits off left the next without them).
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_STRATEGY = "moving-window"
    # When Redis is unreachable, limit per process instead of failing every limited request.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    # Sign-in protection (README, "Security in short"). Progressive: each further lockout of an
    # account doubles its length, up to LOCKOUT_MAX_DURATION.
    LOCKOUT_MAX_DURATION = timedelta(hours=24)
    # Failed sign-ins from one address (whatever the accounts) before it must wait between
    # attempts: 1 s, then twice as long after each further failure, up to ADDRESS_MAX_DELAY.
    ADDRESS_DELAY_AFTER = 20
    ADDRESS_MAX_DELAY = timedelta(minutes=15)
    # A browser that signed in to an account keeps a signed "device cookie" this long; failures
    # from other browsers do not lock it out (OWASP's device cookies).
    DEVICE_COOKIE_NAME = "portal_device"
    DEVICE_COOKIE_LIFETIME = timedelta(days=180)
    # Wrong second-factor codes: this many end the pending sign-in (the password again); this
    # many rounds within SECOND_FACTOR_WINDOW lock the second factor for SECOND_FACTOR_LOCKOUT.
    SECOND_FACTOR_ATTEMPTS = 5
    SECOND_FACTOR_ROUNDS = 3
    SECOND_FACTOR_WINDOW = timedelta(hours=1)
    SECOND_FACTOR_LOCKOUT = timedelta(hours=1)
    # How long a sign-in or a confirmation of the password (and code) counts as recent enough
    # to change the password or the second factor.
    REAUTHENTICATION_WINDOW = timedelta(minutes=5)
    DEMO_ALLOWED = True
    TESTING = False
    DEBUG = False
    # Where the portal is reached when PORTAL_BASE_URL is not set (development and tests).
    DEFAULT_BASE_URL: str | None = "http://localhost:5000"
    # Also accepted as Host besides PORTAL_BASE_URL's, outside production.
    LOCAL_HOSTS: tuple[str, ...] = ("localhost", "127.0.0.1")

    def __init__(self, instance_path: Path, overrides: dict | None = None) -> None:
        env = os.environ
        default_db = f"sqlite:///{instance_path / 'portal.db'}"
        self.SQLALCHEMY_DATABASE_URI = _normalise_database_url(env.get("DATABASE_URL", default_db))
        self.REDIS_URL = env.get("REDIS_URL") or None
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        # Keys of the shared cache begin with this: two portals (or a benchmark) may share Redis.
        self.CACHE_KEY_PREFIX = env.get("CACHE_KEY_PREFIX") or "portal:"
        self.MAIL_SERVER = env.get("MAIL_SERVER") or None
        self.MAIL_PORT = int(env.get("MAIL_PORT", "25"))
        self.MAIL_USE_TLS = env.get("MAIL_USE_TLS", "").lower() in ("1", "true", "yes")
        self.MAIL_USERNAME = env.get("MAIL_USERNAME") or None
        self.MAIL_PASSWORD = env.get("MAIL_PASSWORD") or None
        self.MAIL_DEFAULT_SENDER = env.get("MAIL_DEFAULT_SENDER", "portal@localhost")
        self.TOTP_ENCRYPTION_KEY = env.get("TOTP_ENCRYPTION_KEY") or None
        self.TOTP_ENCRYPTION_KEY_FALLBACKS = _env_list(env, "TOTP_ENCRYPTION_KEY_FALLBACKS")
        self.SECRET_KEY = (
            (overrides or {}).get("SECRET_KEY")
            or env.get("SECRET_KEY")
            or self.secret_fallback(instance_path)
        )
        # Flask tries these after SECRET_KEY when reading a session: rotation signs nobody out.
        self.SECRET_KEY_FALLBACKS = _env_list(env, "SECRET_KEY_FALLBACKS")
        self.PORTAL_BASE_URL = env.get("PORTAL_BASE_URL") or self.DEFAULT_BASE_URL
        self.EXTRA_TRUSTED_HOSTS = _env_list(env, "PORTAL_TRUSTED_HOSTS")
        # Machine-translated drafts (portal.translation.providers): off unless a provider is named.
        self.MT_URL = env.get("MT_URL") or None
        self.MT_API_KEY = env.get("MT_API_KEY") or None
        self.DEEPL_API_KEY = env.get("DEEPL_API_KEY") or None
        self.DEEPL_URL = env.get("DEEPL_URL") or None
        self.MT_TRUSTED = env.get("MT_TRUSTED", "").lower() in ("1", "true", "yes")
        self.MT_TIMEOUT = float(env.get("MT_TIMEOUT") or 10)
        # Background jobs (portal.jobs) go to Redis when REDIS_URL is set, unless this says to
        # run them in the portal's own process after each response.
        self.JOBS_IN_PROCESS = env.get("JOBS_IN_PROCESS", "").lower() in ("1", "true", "yes")
        # The publisher named in the IATI file (portal.exports.iati): the City of Stockholm.
        self.IATI_REPORTING_ORG_REF = env.get("IATI_REPORTING_ORG_REF") or "SE-ON-2120000142"
        self.IATI_REPORTING_ORG_NAME = env.get("IATI_REPORTING_ORG_NAME") or "Stockholms stad"
        # Without Redis, the portal runs the due reminders and digests after a response at
        # most this often (seconds; 0: only `flask notifications run-due` does).
        self.NOTIFICATIONS_DUE_CHECK_SECONDS = _env_int(
            env, "NOTIFICATIONS_DUE_CHECK_SECONDS", self.NOTIFICATIONS_DUE_CHECK_SECONDS
        )
        # Documents (portal.documents): where the files live (outside the web root; on several
        # app servers, the same path on a shared volume), the largest file accepted, and the
        # clamd socket every upload is scanned through (no scanning when unset).
        self.FILES_DIR = env.get("FILES_DIR") or str(instance_path / "files")
        self.MAX_DOCUMENT_BYTES = _env_int(env, "MAX_DOCUMENT_BYTES", 25 * 1024 * 1024)
        self.CLAMD_SOCKET = env.get("CLAMD_SOCKET") or None
        self.PAGE_CACHE_SECONDS = _env_int(env, "PAGE_CACHE_SECONDS", self.PAGE_CACHE_SECONDS)
        self.PAGE_CACHE_MAX_AGE = _env_int(env, "PAGE_CACHE_MAX_AGE", self.PAGE_CACHE_MAX_AGE)
        # Backstops of what an admin's change or a write forgets at once anyway (a longer one
        # only for measuring: bench/instructions.py).
        self.REFERENCE_CACHE_SECONDS = _env_int(
            env, "REFERENCE_CACHE_SECONDS", self.REFERENCE_CACHE_SECONDS
        )
        self.LIST_COUNT_SECONDS = _env_int(env, "LIST_COUNT_SECONDS", self.LIST_COUNT_SECONDS)
        # Behind a reverse proxy: how many proxy hops to trust for X-Forwarded-* (ProxyFix).
        self.TRUST_PROXY = _env_int(env, "TRUST_PROXY", 0)
        for key, value in (overrides or {}).items():
            setattr(self, key, value)
        self.check_required()
        if self.PORTAL_BASE_URL:
            self.PORTAL_BASE_URL = _base_url(self.PORTAL_BASE_URL)
        if "TRUSTED_HOSTS" not in (overrides or {}):
            self.TRUSTED_HOSTS = self.trusted_hosts()
        if "SQLALCHEMY_ENGINE_OPTIONS" in (overrides or {}):
            pass  # given explicitly (tests)
        elif self.SQLALCHEMY_DATABASE_URI.startswith("sqlite"):
            # SQLite serialises writers; wait for the lock instead of failing at once.
            self.SQLALCHEMY_ENGINE_OPTIONS = {"connect_args": {"timeout": 15}}
        elif self.SQLALCHEMY_DATABASE_URI.startswith("postgresql"):
            self.SQLALCHEMY_ENGINE_OPTIONS = _postgresql_engine_options(env)
        if "CACHE_TYPE" not in (overrides or {}):
            # Shared caches (Flask-Caching): in Redis when there is one, so that every worker and
            # app server sees the same entries; in the process for the embedded set-up.
            if self.REDIS_URL:
                self.CACHE_TYPE = "RedisCache"
                self.CACHE_REDIS_URL = self.REDIS_URL
                # An unreachable Redis costs a request half a second at most, then no cache.
                self.CACHE_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
            else:
                self.CACHE_TYPE = "SimpleCache"

    def secret_fallback(self, instance_path: Path) -> str:
        return _development_secret(instance_path)

    def check_required(self) -> None:
        """Production refuses to start without what it cannot guess (see ProductionConfig)."""

    def trusted_hosts(self) -> list[str]:
        """The Host names answered: PORTAL_BASE_URL's, PORTAL_TRUSTED_HOSTS (a load balancer's
        health check by address, say) and, outside production, this machine's own names."""
        hosts = [urlsplit(self.PORTAL_BASE_URL).hostname or ""] if self.PORTAL_BASE_URL else []
        hosts += [*self.EXTRA_TRUSTED_HOSTS, *self.LOCAL_HOSTS]
        return list(dict.fromkeys(host for host in hosts if host))


class DevelopmentConfig(Config):
    pass


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    DEFAULT_BASE_URL = "http://localhost"  # the test client's host
    DASHBOARD_CACHE_SECONDS = 0  # every test sees the counts of its own data
    NOTIFICATIONS_DUE_CHECK_SECONDS = 0  # tests run the scheduler themselves
    REFERENCE_CACHE_SECONDS = 0  # tests add organisations directly
    # Tests write rows directly, past the request's commit; the page cache's own tests (and
    # the crawl, once with it) turn it on.
    PAGE_CACHE_SECONDS = 0
    LIST_COUNT_SECONDS = 0  # every test sees the counts of its own data
    DEMO_ALLOWED = True
    # The suite builds an app per test: each template is compiled once per test process.
    SHARE_COMPILED_TEMPLATES = True

    def secret_fallback(self, instance_path: Path) -> str:
        return "testing-secret-not-for-production"


class ProductionConfig(Config):
    ENV_NAME = "production"
    DEMO_ALLOWED = False
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    DEFAULT_BASE_URL = None
    LOCAL_HOSTS = ()

    def secret_fallback(self, instance_path: Path) -> str:
        raise ConfigurationError("SECRET_KEY must be set in production")

    def check_required(self) -> None:
        if not self.PORTAL_BASE_URL:
            raise ConfigurationError(
                "PORTAL_BASE_URL must be set in production: the address people use, "
                "e.g. https://portal.example.org (links in e-mail are built from it)"
            )
        if not self.TOTP_ENCRYPTION_KEY:
            raise ConfigurationError(
                "TOTP_ENCRYPTION_KEY must be set in production: it encrypts the second "
                "factor's secrets, and must not change when SECRET_KEY does"
            )


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_name(name: str | None) -> type[Config]:
    name = name or os.environ.get("PORTAL_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise ConfigurationError(f"Unknown PORTAL_ENV {name!r}") from None
