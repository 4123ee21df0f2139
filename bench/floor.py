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

``gunicorn -c gunicorn.conf.py bench.floor:app`` with DATABASE_URL, as ``bench/hello.py``; the
portal's pages are measured against both (``ratio_cpu_to_floor`` in bench/results/latest.json).
"""

from __future__ import annotations

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
from flask import Flask, Response, request
from flask_compress import Compress
from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    UnicodeText,
    and_,
    case,
    create_engine,
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


def page_statement(lang: str, limit: int = PAGE_SIZE + 1) -> Any:
    """The first page's rows: the title in ``lang`` where a version exists, else the original
    (and the language it is in). Theme, organisation and district names come from the kept
    reference data (:class:`Names`): joined here, the seven tables cost PostgreSQL 5-10 ms of
    planning for every request, ten times the query's execution."""
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
        .where(needs.c.visibility == "public", needs.c.status.in_(LIVE_STATUSES))
        .order_by(needs.c.created_at.desc(), needs.c.id.desc())
        .limit(limit)
    )


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
    app.config.update(COMPRESS_ALGORITHM=["br", "gzip"], COMPRESS_MIMETYPES=["text/html"])
    Compress(app)
    engine = make_engine(url or database_url())
    template = app.jinja_env.get_template("floor.html")  # compiled once
    statements = {lang: page_statement(lang) for lang in LANGUAGES}
    names = Names(engine)

    @app.route("/")
    def needs_list() -> Response:
        lang = request.accept_languages.best_match(LANGUAGES) or "en"
        with engine.connect() as conn:
            rows = conn.execute(statements[lang]).all()
        html = template.render(
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
        )
        return Response(html, content_type="text/html; charset=utf-8")

    @app.route("/healthz")
    def healthz() -> str:
        return "ok"

    app.extensions["floor_engine"] = engine
    return app


app = create_app()
