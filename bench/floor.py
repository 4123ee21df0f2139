"""The floor of ``make bench``: the public needs list as the least this stack can do to show it.

The first page of the anonymous needs list (what ``/needs/`` shows a visitor): each need's title
in the reader's language or else its original, marked with its language; priority, status,
theme, requesting organisation, district, wanted period and the day it was posted, in the
reader's language (the portal's own catalogs and date forms); the same page size, the same
order, the same rule (published, public, current). One SQLAlchemy Core statement per request,
the reference names kept for as long as the portal keeps them, one Jinja template compiled once
(bench/templates/floor.html), the same compression as the portal (Flask-Compress, brotli or
gzip), no session, no count (a next-page link from one row more). It shares nothing with the
portal's code but the database and the translations, so that the portal's changes never move
the floor.

``/signed-in`` is the same least for a signed-in person's list (what the expert's filtered
needs list, ``/needs/?theme=…&priority=high``, shows): Flask's signed session cookie naming the
person and their session generation, the person read and checked in one statement (active, the
generation theirs: signing out everywhere ends the session), the list under the portal's
visibility rule for their organisation (public and partners' needs, their organisation's
restricted needs, and the restricted needs granted to it: ``need_access``) and the filters, and
a header with their name and a sign-out form carrying the session's CSRF token (Flask-WTF).
What a signed-in page costs beyond the public floor is then measured, not guessed
(``floor.signed_in`` in bench/results/latest.json). The bench makes the cookie with
:func:`session_cookie`; there is no sign-in route: the floor is never served to anyone.

``gunicorn -c gunicorn.conf.py bench.floor:app`` with DATABASE_URL, as ``bench/hello.py``; the
portal's pages are measured against both (``ratio_cpu_to_floor`` in bench/results/latest.json).
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import dates as babel_dates
from babel.support import Translations
from flask import Flask, Response, abort, request, session
from flask_compress import Compress
from flask_wtf.csrf import generate_csrf
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    UnicodeText,
    and_,
    bindparam,
    case,
    create_engine,
    exists,
    or_,
    select,
)
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parents[1]
LANGUAGES = ("en", "sv", "uk")
PAGE_SIZE = 20  # the portal's PAGE_SIZE
LIVE_STATUSES = ("open", "matched", "in_project")  # what the list shows unless filtered
TIME_ZONE = ZoneInfo("Europe/Stockholm")  # the portal's default time zone for visitors
FORMAT_LOCALES = {"en": "en_GB", "sv": "sv_SE", "uk": "uk_UA"}
LANGUAGE_NAMES = {"en": "English", "sv": "svenska", "uk": "українська"}
REFERENCE_SECONDS = 300
# FLOOR_KEEP_PREPARED=1: each request's transaction ends with a commit, as the portal's read-only
# requests do, so psycopg keeps the statements it has prepared (a rollback drops them all and
# every statement is planned again). Off by default: the floor the targets are read
# against plans its statement on every request.
KEEP_PREPARED = os.environ.get("FLOOR_KEEP_PREPARED", "") == "1"

metadata = MetaData()
needs = Table(
    "needs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("title_id", Integer),
    Column("theme_id", Integer),
    Column("organisation_id", Integer),
    Column("district_id", Integer),
    Column("priority", String),
    Column("status", String),
    Column("visibility", String),
    Column("wanted_from", Date),
    Column("wanted_until", Date),
    Column("created_at", DateTime),
)
texts = Table("texts", metadata, Column("id", Integer), Column("original_lang", String))
text_versions = Table(
    "text_versions",
    metadata,
    Column("text_id", Integer),
    Column("lang", String),
    Column("body", UnicodeText),
)
users = Table(
    "users",
    metadata,
    Column("id", Integer),
    Column("name", String),
    Column("role", String),
    Column("organisation_id", Integer),
    Column("is_active", Boolean),
    Column("session_generation", Integer),
)
need_access = Table(
    "need_access", metadata, Column("need_id", Integer), Column("organisation_id", Integer)
)
named = {
    name: Table(
        name,
        metadata,
        Column("id", Integer),
        Column("name_en", String),
        Column("name_sv", String),
        Column("name_uk", String),
    )
    for name in ("themes", "organisations", "districts")
}


def page_statement(lang: str, limit: int = PAGE_SIZE + 1, rule: Any = None) -> Any:
    """The first page's rows: the title in ``lang`` where a version exists, else the original
    (and the language it is in). Theme, organisation and district names come from the kept
    reference data (:class:`Names`): joined here, the seven tables cost PostgreSQL 5-10 ms of
    planning for every request, ten times the query's execution. ``rule``: which needs (the
    public list's when not given)."""
    own = text_versions.alias("own")
    original = text_versions.alias("original")
    has_own = and_(own.c.body.is_not(None), own.c.body != "")
    return (
        select(
            needs.c.id,
            case((has_own, own.c.body), else_=original.c.body).label("title"),
            case((has_own, lang), else_=texts.c.original_lang).label("title_lang"),
            needs.c.priority,
            needs.c.status,
            needs.c.wanted_from,
            needs.c.wanted_until,
            needs.c.created_at,
            needs.c.theme_id,
            needs.c.organisation_id,
            needs.c.district_id,
        )
        .select_from(needs)
        .join(texts, texts.c.id == needs.c.title_id)
        .outerjoin(own, and_(own.c.text_id == needs.c.title_id, own.c.lang == lang))
        .outerjoin(
            original,
            and_(
                original.c.text_id == needs.c.title_id,
                original.c.lang == texts.c.original_lang,
            ),
        )
        .where(
            and_(needs.c.visibility == "public", needs.c.status.in_(LIVE_STATUSES))
            if rule is None
            else rule
        )
        .order_by(needs.c.created_at.desc(), needs.c.id.desc())
        .limit(limit)
    )


def signed_in_rule(sees_everything: bool) -> Any:
    """The portal's rule for a signed-in person's needs list with a theme and a priority chosen
    (``:organisation``, ``:theme``, ``:priority``): live needs of the theme and priority that
    are theirs, or public or for partners, or restricted and granted to their organisation;
    all live ones for a coordinator."""
    own = needs.c.organisation_id == bindparam("organisation")
    granted = exists(
        select(need_access.c.need_id).where(
            need_access.c.need_id == needs.c.id,
            need_access.c.organisation_id == bindparam("organisation"),
        )
    )
    seen = (
        or_(own, needs.c.status != "draft")
        if sees_everything
        else or_(
            own,
            and_(
                needs.c.status != "draft",
                or_(
                    needs.c.visibility.in_(("public", "partners")),
                    and_(needs.c.visibility == "restricted", granted),
                ),
            ),
        )
    )
    return and_(
        seen,
        needs.c.status.in_(LIVE_STATUSES),
        needs.c.theme_id == bindparam("theme"),
        needs.c.priority == bindparam("priority"),
    )


PERSON = select(
    users.c.name,
    users.c.role,
    users.c.organisation_id,
    users.c.is_active,
    users.c.session_generation,
).where(users.c.id == bindparam("person"))


def session_cookie(secret_key: str, person_id: int, generation: int) -> str:
    """The session cookie of ``person_id``, signed with ``secret_key`` as Flask signs it: what
    ``make bench`` sends to ``/signed-in``."""
    signer = Flask(__name__)
    signer.secret_key = secret_key
    interface = signer.session_interface
    serializer = interface.get_signing_serializer(signer)  # type: ignore[attr-defined]
    # With a CSRF token already, as a signed-in person's session has (Flask-WTF's own form).
    token = hashlib.sha1(os.urandom(64)).hexdigest()  # noqa: S324 - Flask-WTF's token, not a hash
    return serializer.dumps({"person": person_id, "generation": generation, "csrf_token": token})


class Names:
    """Themes', organisations' and districts' names by language and id, read again after
    REFERENCE_SECONDS (the portal keeps them as long: REFERENCE_CACHE_SECONDS)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.read_at = -REFERENCE_SECONDS
        self.names: dict[str, dict[str, dict[int, str]]] = {}
        self.lock = threading.Lock()

    def __call__(self, lang: str) -> dict[str, dict[int, str]]:
        with self.lock:
            if time.monotonic() - self.read_at >= REFERENCE_SECONDS:
                self.names = self.read()
                self.read_at = time.monotonic()
            return self.names[lang]

    def read(self) -> dict[str, dict[str, dict[int, str]]]:
        names: dict[str, dict[str, dict[int, str]]] = {lang: {} for lang in LANGUAGES}
        with self.engine.connect() as conn:
            for kind, table in named.items():
                rows = conn.execute(select(table)).all()
                for lang in LANGUAGES:
                    names[lang][kind] = {row.id: getattr(row, f"name_{lang}") for row in rows}
        return names


def database_url() -> str:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{ROOT / 'instance' / 'portal.db'}"
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def make_engine(url: str) -> Engine:
    """A pool as the portal's (pre-ping, PostgreSQL's JIT off)."""
    if url.startswith("postgresql"):
        return create_engine(
            url,
            pool_pre_ping=True,
            pool_size=5,
            max_overflow=5,
            connect_args={"application_name": "floor", "options": "-c jit=off"},
        )
    return create_engine(url, pool_pre_ping=True)


@lru_cache(maxsize=len(LANGUAGES))
def translations(lang: str) -> Translations:
    return Translations.load(str(ROOT / "translations"), [lang], "messages")


@lru_cache(maxsize=4096)
def long_date(value: date, lang: str) -> str:
    return babel_dates.format_date(value, "long", locale=FORMAT_LOCALES[lang])


def period(start: date | None, end: date | None, lang: str) -> str:
    t = translations(lang)
    if start and end:
        return t.gettext("%(start)s – %(end)s") % {
            "start": long_date(start, lang),
            "end": long_date(end, lang),
        }
    if start:
        return t.gettext("from %(start)s") % {"start": long_date(start, lang)}
    if end:
        return t.gettext("until %(end)s") % {"end": long_date(end, lang)}
    return ""


def posted(value: datetime, lang: str) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return long_date(value.astimezone(TIME_ZONE).date(), lang)


PRIORITIES = {"critical": "Critical", "high": "High", "medium": "Medium", "low": "Low"}
STATUSES = {"open": "Open", "matched": "Matched", "in_project": "In project"}


def create_app(url: str | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(
        COMPRESS_ALGORITHM=["br", "gzip"],
        COMPRESS_MIMETYPES=["text/html"],
        SECRET_KEY=os.environ.get("SECRET_KEY") or os.urandom(16).hex(),
        SESSION_COOKIE_SAMESITE="Lax",
    )
    Compress(app)
    engine = make_engine(url or database_url())
    template = app.jinja_env.get_template("floor.html")  # compiled once
    signed_in_template = app.jinja_env.get_template("floor_signed_in.html")
    statements = {lang: page_statement(lang) for lang in LANGUAGES}
    signed_in_statements = {
        (lang, everything): page_statement(lang, rule=signed_in_rule(everything))
        for lang in LANGUAGES
        for everything in (False, True)
    }
    names = Names(engine)

    def page(shown: Any, lang: str, rows: list[Any], **more: Any) -> Response:
        """The first page of ``rows`` in ``shown`` (a template), in ``lang``."""
        html = shown.render(
            rows=rows[:PAGE_SIZE],
            more=len(rows) > PAGE_SIZE,
            lang=lang,
            reference=names(lang),
            t=translations(lang),
            names=LANGUAGE_NAMES,
            priorities=PRIORITIES,
            statuses=STATUSES,
            period=period,
            posted=posted,
            **more,
        )
        return Response(html, content_type="text/html; charset=utf-8")

    @app.route("/")
    def needs_list() -> Response:
        lang = request.accept_languages.best_match(LANGUAGES) or "en"
        with engine.connect() as conn:
            rows = conn.execute(statements[lang]).all()
            if KEEP_PREPARED:
                conn.commit()
        return page(template, lang, rows)

    @app.route("/signed-in")
    def signed_in_list() -> Response:
        person_id, generation = session.get("person"), session.get("generation")
        theme = request.args.get("theme", type=int)
        priority = request.args.get("priority", "")
        if not isinstance(person_id, int) or theme is None or priority not in PRIORITIES:
            abort(400)
        lang = request.accept_languages.best_match(LANGUAGES) or "en"
        with engine.connect() as conn:
            person = conn.execute(PERSON, {"person": person_id}).one_or_none()
            if person is None or not person.is_active or person.session_generation != generation:
                abort(401)
            everything = person.role == "coordinator"
            rows = conn.execute(
                signed_in_statements[(lang, everything)],
                {"organisation": person.organisation_id, "theme": theme, "priority": priority},
            ).all()
            if KEEP_PREPARED:
                conn.commit()
        return page(signed_in_template, lang, rows, person=person, csrf_token=generate_csrf())

    @app.route("/healthz")
    def healthz() -> str:
        return "ok"

    app.extensions["floor_engine"] = engine
    return app


app = create_app()
