"""``make bench``: the portal's main pages under load at 100,000 needs, against a bare Flask
hello-world served by the same gunicorn settings, on PostgreSQL and on SQLite.

1. Bulk data (``flask seed bulk``, 100k needs / 30k offers / 10k projects) in a PostgreSQL
   database and an SQLite file, each reused when its counts show it is complete.
2. The match-suggestion micro-benchmark: ``suggest_offers`` for 50 open needs, in-process.
3. PostgreSQL's EXPLAIN (ANALYZE, BUFFERS) of the queries behind the list filters and the
   dashboard aggregates, and whether each reads the large tables through an index.
4. gunicorn (gunicorn.conf.py, 2 workers, production configuration, a generated SECRET_KEY,
   REDIS_URL) serving ``bench/hello.py``, then on each database the floor (``bench/floor.py``,
   the public needs list at the least this stack can do) and the portal, twice: with its output
   cache (``hit``, the warm-up fills it) and with the cache off (``miss``, CACHE_OFF); wrk drives
   every page with 16 connections from 127.0.0.1 after a warm-up, with the session cookie of a
   user who signed in through the login form (TOTP for the coordinator).
5. Suggestions: reading them for a need page (SUGGESTIONS_READER, in-process) and, where the
   portal has ``flask suggestions refresh``, refreshing them after an offer change.
6. bench/results/latest.json (the shape below) and latest.md with the targets checked.

latest.json: ``{"hello_rps", "floor": {"cpu_ms", ...}, "pages": [{"name", "class", "cache",
"database", "rps", "ratio_to_hello", "p50_ms", "p95_ms", "cpu_ms_portal", "cpu_ms_db",
"ratio_cpu_to_floor", ...}], "suggestions": {"read_ms", "refresh_5000_s"}, ...}``; ``class`` is
``public``, ``signed-in`` or ``need-page``, ``cache`` is ``hit`` or ``miss``; a figure that could
not be measured is null (``suggestions_detail`` says why).

Not part of CI: it takes 20-35 minutes (more when the bulk data has to be loaded);
``--caches miss`` or ``--databases postgresql`` narrow it.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from support import (
    BULK_TOTP_SECRET,
    ROOT,
    Browser,
    bulk_second_factor,
    cpu_by_process,
    cpu_spent,
    ensure_bulk,
    flask,
    free_port,
    gunicorn,
    log,
    postgres_pids,
    production_env,
    sqlalchemy_url,
)

RESULTS = ROOT / "bench" / "results"
LUA = ROOT / "bench" / "report.lua"
BIG_TABLES = {
    "needs",
    "offers",
    "projects",
    "matches",
    "texts",
    "text_versions",
    "milestones",
    "status_reports",
    "audit_events",
    "offer_themes",
    "project_organisations",
}
# The configuration that turns the portal's output cache off for the cache-miss runs: the
# seconds a rendered page is kept, 0 keeping none. (DASHBOARD_CACHE_SECONDS is not read from
# the environment: the dashboard's aggregate panels stay cached in both runs.)
CACHE_OFF = {"PAGE_CACHE_SECONDS": "0"}
CACHES = ("hit", "miss")
PAGE_CLASSES = ("public", "signed-in", "need-page")
# Targets at 100,000 needs on PostgreSQL with 16 connections. Cache hit: throughput against
# hello-world and p95, by the page's class; cache miss: CPU per request (workers + PostgreSQL)
# against the floor page's.
TARGETS: dict[str, dict[str, float]] = {
    "public": {"ratio_to_hello": 0.4, "p95_ms": 50.0},
    "signed-in": {"ratio_to_hello": 0.15, "p95_ms": 100.0},
    "need-page": {"ratio_to_hello": 0.08, "p95_ms": 150.0},
}
TARGET_CPU_TO_FLOOR = 1.5
TARGET_READ_MS = 5.0
TARGET_REFRESH_5000_S = 60.0
REFRESH_NEEDS = 5000
# How a need page reads its suggestions ("module:function", called as f(viewer, need,
# lang=...)): suggestions.read_ms, from the stored lists (computed for the sample first).
SUGGESTIONS_READER = "portal.matching.precomputed:offers_for"
# The command that refreshes precomputed suggestions (suggestions.refresh_5000_s); null when the
# portal has none.
SUGGESTIONS_REFRESH_COMMAND = ("suggestions", "refresh")
BROWSER_HEADERS = {"Accept-Language": "en", "Accept-Encoding": "gzip, deflate, br"}


# ---------------------------------------------------------------- the machine


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal"):
                mem_kb = int(line.split()[1])
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    import gunicorn as gunicorn_module
    import sqlalchemy

    return {
        "cores": len(os.sched_getaffinity(0)),
        "cpu": cpu,
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": sqlalchemy.__version__,
        "gunicorn": gunicorn_module.__version__,
        "wrk": (wrk.stdout or wrk.stderr).split("\n")[0].strip(),
        "load_average_at_start": round(os.getloadavg()[0], 1),
    }


def postgres_version(url: str) -> str:
    from sqlalchemy import create_engine, text

    engine = create_engine(sqlalchemy_url(url))
    try:
        with engine.connect() as conn:
            return conn.execute(text("SHOW server_version")).scalar_one()
    finally:
        engine.dispose()


# ---------------------------------------------------------------- what is measured


def pick_records(url: str) -> dict[str, Any]:
    """Ids and accounts the pages are measured with: a typical requester and expert
    organisation, an open need and a running project."""
    from sqlalchemy import create_engine, text

    engine = create_engine(sqlalchemy_url(url))
    try:
        with engine.connect() as conn:

            def one(sql: str, **params: Any) -> Any:
                return conn.execute(text(sql), params).scalar_one()

            water = one("SELECT id FROM themes WHERE code = 'water_sewage'")
            kyiv_org = one("SELECT id FROM organisations WHERE name_en = 'Kyivvodokanal'")
            expert_org = one(
                "SELECT organisation_id FROM offers GROUP BY organisation_id "
                "ORDER BY count(*) DESC, organisation_id LIMIT 1"
            )
            # An open need whose wanted period is not over: one that gets suggestions.
            need = one(
                "SELECT id FROM needs WHERE status = 'open' AND theme_id = :t "
                "AND (wanted_until IS NULL OR wanted_until >= :today) ORDER BY id DESC LIMIT 1",
                t=water,
                today=date.today(),
            )
            project = one(
                "SELECT id FROM projects WHERE status = 'active' ORDER BY id DESC LIMIT 1"
            )
            discussed = one(
                "SELECT id FROM projects WHERE status = 'active' AND id < :p "
                "ORDER BY id DESC LIMIT 1",
                p=project,
            )
            # What a visitor without an account opens: a public need and a public project.
            public_need = one(
                "SELECT id FROM needs WHERE visibility = 'public' "
                "AND status IN ('open', 'matched', 'in_project') ORDER BY id DESC LIMIT 1"
            )
            public_project = one(
                "SELECT id FROM projects WHERE visibility = 'public' AND status = 'active' "
                "ORDER BY id DESC LIMIT 1"
            )
        ensure_discussion(engine, discussed)
    finally:
        engine.dispose()
    return {
        "theme": water,
        "need": need,
        "project": project,
        "discussed_project": discussed,
        "public_need": public_need,
        "public_project": public_project,
        "requester": f"requester-{kyiv_org}-1@bulk.example.org",
        "expert": f"expert-{expert_org}-1@bulk.example.org",
        "coordinator": "coordinator-1@bulk.example.org",
    }


DISCUSSION_COMMENTS = 50
DISCUSSION_DOCUMENTS = 20


def ensure_discussion(engine: Any, project_id: int) -> None:
    """50 comments and 20 documents (two versions each, half of them on the first milestone)
    on one project, written once: the project page is measured with a real discussion. The
    rows only: the page shows the files' names and sizes, never their content."""
    from sqlalchemy import text

    with engine.begin() as conn:
        have = conn.execute(
            text("SELECT count(*) FROM comments WHERE record_kind = 'project' AND record_id = :p"),
            {"p": project_id},
        ).scalar_one()
        if have >= DISCUSSION_COMMENTS:
            return
        authors = [
            row[0]
            for row in conn.execute(
                text(
                    "SELECT u.id FROM users u JOIN project_organisations po "
                    "ON po.organisation_id = u.organisation_id WHERE po.project_id = :p "
                    "ORDER BY u.id LIMIT 6"
                ),
                {"p": project_id},
            )
        ] or [conn.execute(text("SELECT min(id) FROM users")).scalar_one()]
        milestone = conn.execute(
            text("SELECT min(id) FROM milestones WHERE project_id = :p"), {"p": project_id}
        ).scalar_one()
        now = datetime.now(UTC)
        for i in range(DISCUSSION_COMMENTS - have):
            conn.execute(
                text(
                    "INSERT INTO comments (record_kind, record_id, author_id, body, lang, "
                    "created_at) VALUES ('project', :p, :a, :b, :l, :t)"
                ),
                {
                    "p": project_id,
                    "a": authors[i % len(authors)],
                    "b": f"Comment {i} on the survey, see https://example.org/survey/{i}",
                    "l": ("uk", "sv", "en")[i % 3],
                    "t": now,
                },
            )
        for i in range(DISCUSSION_DOCUMENTS):
            kind, record = (
                ("milestone", milestone) if i % 2 and milestone else ("project", project_id)
            )
            document = conn.execute(
                text(
                    "INSERT INTO documents (record_kind, record_id, title, lang, created_by_id, "
                    "created_at) VALUES (:k, :r, :t, 'en', :a, :c) RETURNING id"
                ),
                {"k": kind, "r": record, "t": f"Document {i}", "a": authors[0], "c": now},
            ).scalar_one()
            for number in (1, 2):
                conn.execute(
                    text(
                        "INSERT INTO document_versions (document_id, number, filename, "
                        "content_type, size, sha256, uploaded_by_id, uploaded_at) VALUES "
                        "(:d, :n, :f, 'application/pdf', :s, :h, :a, :c)"
                    ),
                    {
                        "d": document,
                        "n": number,
                        "f": f"document-{i}.pdf",
                        "s": 10_000 + i,
                        "h": f"{i:032x}{number:032x}",
                        "a": authors[number % len(authors)],
                        "c": now,
                    },
                )


def pages(records: dict[str, Any]) -> list[dict[str, Any]]:
    """The pages measured, each with its class of target (TARGETS)."""
    return [
        {"name": "home (anonymous)", "class": "public", "who": None, "path": "/"},
        {
            "name": "public needs list (anonymous)",
            "class": "public",
            "who": None,
            "path": "/needs/",
        },
        {
            "name": "public projects list (anonymous)",
            "class": "public",
            "who": None,
            "path": "/projects/",
        },
        {
            "name": "public need (anonymous)",
            "class": "public",
            "who": None,
            "path": f"/needs/{records['public_need']}",
        },
        {
            "name": "public project (anonymous)",
            "class": "public",
            "who": None,
            "path": f"/projects/{records['public_project']}",
        },
        {
            "name": "needs list, filtered",
            "class": "signed-in",
            "who": "expert",
            "path": f"/needs/?theme={records['theme']}&priority=high",
        },
        {"name": "offers list", "class": "signed-in", "who": "requester", "path": "/offers/"},
        {"name": "projects list", "class": "signed-in", "who": "expert", "path": "/projects/"},
        {"name": "dashboard", "class": "signed-in", "who": "coordinator", "path": "/dashboard/"},
        {
            "name": "project page",
            "class": "signed-in",
            "who": "coordinator",
            "path": f"/projects/{records['project']}",
        },
        {
            "name": "project page, 50 comments and 20 documents",
            "class": "signed-in",
            "who": "coordinator",
            "path": f"/projects/{records['discussed_project']}",
        },
        {
            "name": "need detail + suggestions",
            "class": "need-page",
            "who": "coordinator",
            "path": f"/needs/{records['need']}",
        },
    ]


# ---------------------------------------------------------------- match suggestions


def suggestion_benchmark(url: str, count: int) -> dict[str, float]:
    """Reading the suggestions of ``count`` open needs as a coordinator (every open offer is a
    candidate) with SUGGESTIONS_READER, in-process, no HTTP: the median and 95th percentile in
    milliseconds."""
    from sqlalchemy import or_, select

    from portal import create_app
    from portal.accounts.models import User
    from portal.core.enums import NeedStatus
    from portal.extensions import db
    from portal.needs.models import Need

    suggest_offers = reader(SUGGESTIONS_READER)

    app = create_app(
        {
            "ENV_NAME": "development",
            "SQLALCHEMY_DATABASE_URI": sqlalchemy_url(url),
            "SECRET_KEY": "bench-" + "x" * 40,
        }
    )
    timings: list[float] = []
    first_reads: list[float] = []
    sizes: list[int] = []
    cpu_times: list[float] = []
    with app.app_context():
        # Open needs whose wanted period is not over: those whose page shows suggestions.
        ids = list(
            db.session.scalars(
                select(Need.id)
                .where(
                    Need.status == NeedStatus.OPEN,
                    or_(Need.wanted_until.is_(None), Need.wanted_until >= date.today()),
                )
                .order_by(Need.id)
            )
        )
        step = max(len(ids) // count, 1)
        sample = ids[::step][:count]
        # The sample's stored lists, as the jobs leave them after a change.
        from portal.matching import precomputed

        precomputed.refresh_lists("need", sample)
        db.session.commit()
        coordinator_email = "coordinator-1@bulk.example.org"
        # Each list is read twice: the first read after its refresh (its rows just written,
        # perhaps not yet in PostgreSQL's buffers) is reported on its own; the second is what
        # the need's readers meet from then on, the figure held against the target.
        passes = [("warm-up", sample[0])] * 3 + [(p, i) for p in ("first", "read") for i in sample]
        for kind, need_id in passes:
            with app.test_request_context("/", headers={"Accept-Language": "en"}):
                viewer = db.session.scalar(select(User).filter_by(email=coordinator_email))
                need = db.session.get(Need, need_id)
                started, cpu = time.perf_counter(), time.process_time()
                found = suggest_offers(viewer, need, lang="en")
                elapsed = (time.perf_counter() - started) * 1000
                if kind == "first":
                    first_reads.append(elapsed)
                elif kind == "read":
                    timings.append(elapsed)
                    cpu_times.append((time.process_time() - cpu) * 1000)
                    sizes.append(len(found))
                # The request's end, as the portal's transaction boundary has it: a page that
                # answers commits (portal.core.http), which keeps the connection's prepared
                # statements; ending with a rollback, as this loop did, makes psycopg drop
                # them, and every read was planned anew (about half of its time).
                db.session.commit()
                db.session.remove()
        db.engine.dispose()
    timings.sort()
    first_reads.sort()
    return {
        "median_ms": round(statistics.median(timings), 2),
        "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 2),
        "first_read_median_ms": round(statistics.median(first_reads), 2),
        "first_read_p95_ms": round(first_reads[int(len(first_reads) * 0.95) - 1], 2),
        "needs": len(timings),
        "mean_suggestions": round(statistics.mean(sizes), 1),
        # This process's own CPU time (Python): the rest of the median is the database's work
        # and waiting for a core.
        "cpu_median_ms": round(statistics.median(cpu_times), 2),
    }


def reader(name: str) -> Any:
    module, _, function = name.partition(":")
    return getattr(importlib.import_module(module), function)


def has_refresh_command(url: str) -> bool:
    try:
        flask(url, *SUGGESTIONS_REFRESH_COMMAND, "--help")
    except RuntimeError:
        return False
    return True


def refresh_benchmark(url: str) -> tuple[float | None, dict[str, Any]]:
    """Refreshing precomputed suggestions after an offer change that touches REFRESH_NEEDS
    open needs (sharing a theme): the open offer whose themes reach the most open needs gets a
    longer availability through the portal's service, then SUGGESTIONS_REFRESH_COMMAND runs
    and is timed. Scaled to REFRESH_NEEDS when the offer touches another number (linear; the
    detail says so). None where the command does not exist."""
    command = " ".join(("flask", *SUGGESTIONS_REFRESH_COMMAND))
    if not has_refresh_command(url):
        return None, {"refresh": f"`{command}` does not exist: no precomputed suggestions"}
    from datetime import timedelta

    from sqlalchemy import text

    from portal import create_app
    from portal.accounts.models import User
    from portal.core.enums import Role
    from portal.extensions import db
    from portal.offers.models import Offer
    from portal.offers.services import update_offer

    app = create_app(
        {
            "ENV_NAME": "development",
            "SQLALCHEMY_DATABASE_URI": sqlalchemy_url(url),
            "SECRET_KEY": "bench-" + "x" * 40,
        }
    )
    with app.app_context(), app.test_request_context("/"):
        offer_id, _theme_needs = db.session.execute(
            text(
                "SELECT o.id, count(DISTINCT n.id) FROM offers o "
                "JOIN offer_themes ot ON ot.offer_id = o.id "
                "JOIN needs n ON n.theme_id = ot.theme_id AND n.status = 'open' "
                "WHERE o.status = 'open' GROUP BY o.id ORDER BY count(DISTINCT n.id) DESC "
                "LIMIT 1"
            )
        ).one()
        offer = db.session.get(Offer, offer_id)
        actor = db.session.scalar(
            db.select(User)
            .where(User.organisation_id == offer.organisation_id, User.role == Role.EXPERT)
            .limit(1)
        )
        until = offer.available_until or date.today()
        update_offer(
            actor,
            offer,
            expected_version=offer.version,
            available_until=until + timedelta(days=1),
        )
        db.session.commit()
        db.session.remove()
    # What the worker does after that change: the offer's own list, then the lists of the needs
    # it reaches in jobs of precomputed.BATCH (run here one after another, in this process, as
    # the jobs run without Redis).
    from portal.matching import precomputed

    with app.app_context():
        touched = len(precomputed.reached_by_offer(offer_id))
        started = time.monotonic()
        precomputed.refresh_changed([], [offer_id])
        db.session.commit()
        seconds = time.monotonic() - started
        db.session.remove()
        db.engine.dispose()
    detail = {
        "refresh": f"the jobs after offer {offer_id} changed, refreshing {touched} needs' lists",
        "refresh_s": round(seconds, 2),
        "needs_touched": touched,
    }
    if touched != REFRESH_NEEDS:
        detail["scaled"] = f"linearly from {touched} needs to {REFRESH_NEEDS}"
    return round(seconds * REFRESH_NEEDS / max(touched, 1), 2), detail


# ---------------------------------------------------------------- EXPLAIN


def explain(url: str, records: dict[str, Any]) -> list[dict[str, Any]]:
    """The queries behind the list filters and the dashboard aggregates, as the portal issues
    them, with PostgreSQL's EXPLAIN (ANALYZE, BUFFERS)."""
    from sqlalchemy import event, select

    from portal import create_app
    from portal.accounts.models import User
    from portal.agreements.services import find_default_agreement
    from portal.core.enums import Priority
    from portal.dashboard import services as dashboard
    from portal.extensions import db
    from portal.needs.services import NeedFilters, list_needs
    from portal.offers.services import OfferFilters, list_offers
    from portal.projects.queries import ProjectFilters, list_projects

    app = create_app(
        {
            "ENV_NAME": "development",
            "SQLALCHEMY_DATABASE_URI": sqlalchemy_url(url),
            "SECRET_KEY": "bench-" + "x" * 40,
        }
    )
    reports: list[dict[str, Any]] = []
    with app.app_context(), app.test_request_context("/"):

        def user(key: str) -> User:
            return db.session.scalar(select(User).filter_by(email=records[key]))

        expert, requester, coordinator = user("expert"), user("requester"), user("coordinator")
        themes = dashboard.themes()
        agreement = find_default_agreement()
        cases = [
            (
                "needs list: theme + priority (expert)",
                lambda: list_needs(
                    expert, NeedFilters(theme_id=records["theme"], priority=Priority.HIGH)
                ),
            ),
            ("needs list: anonymous", lambda: list_needs(None, NeedFilters())),
            (
                "needs list: search 'leak' (requester)",
                lambda: list_needs(requester, NeedFilters(q="leak")),
            ),
            (
                "offers list: theme (requester)",
                lambda: list_offers(requester, OfferFilters(theme_id=records["theme"])),
            ),
            ("offers list (requester)", lambda: list_offers(requester, OfferFilters())),
            (
                "projects list: theme (expert)",
                lambda: list_projects(expert, ProjectFilters(theme="water_sewage"), {}, 20),
            ),
            (
                "dashboard (coordinator)",
                lambda: dashboard.build(
                    coordinator,
                    dashboard.Filters(agreement_id=agreement.id),
                    all_themes=themes,
                    agreement=agreement,
                ),
            ),
            (
                "dashboard (expert)",
                lambda: dashboard.build(
                    expert,
                    dashboard.Filters(agreement_id=agreement.id),
                    all_themes=themes,
                    agreement=agreement,
                ),
            ),
        ]
        for name, call in cases:
            captured: list[tuple[str, Any]] = []

            def before(conn, cursor, statement, parameters, context, executemany, into=captured):
                into.append((statement, parameters))

            event.listen(db.engine, "before_cursor_execute", before)
            try:
                call()
            finally:
                event.remove(db.engine, "before_cursor_execute", before)
            for n, (statement, parameters) in enumerate(captured, start=1):
                if not statement.lstrip().upper().startswith("SELECT"):
                    continue
                with db.engine.connect() as conn:
                    rows = conn.exec_driver_sql(
                        "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters
                    ).all()
                plan = "\n".join(r[0] for r in rows)
                seq = sorted({t for t in re.findall(r"Seq Scan on (\w+)", plan) if t in BIG_TABLES})
                indexes = sorted(
                    set(re.findall(r"Index (?:Only )?Scan (?:Backward )?using (\w+)", plan))
                )
                indexes += sorted(set(re.findall(r"Bitmap Index Scan on (\w+)", plan)))
                took = re.search(r"Execution Time: ([\d.]+) ms", plan)
                reports.append(
                    {
                        "case": name,
                        "query": n,
                        "sql": " ".join(statement.split())[:300],
                        "indexes": sorted(set(indexes)),
                        "seq_scans_on_large_tables": seq,
                        "execution_ms": float(took.group(1)) if took else None,
                        "plan": plan,
                    }
                )
        db.session.remove()
        db.engine.dispose()
    return reports


# ---------------------------------------------------------------- wrk


def wrk(url: str, seconds: int, connections: int, cookie: str | None) -> dict[str, Any]:
    command = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
    ]
    for name, value in BROWSER_HEADERS.items():
        command += ["-H", f"{name}: {value}"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    result = subprocess.run([*command, url], capture_output=True, text=True, check=False)
    for line in result.stdout.splitlines():
        if line.startswith("WRK_JSON "):
            return json.loads(line[len("WRK_JSON ") :])
    raise RuntimeError(f"wrk failed: {result.stdout}\n{result.stderr}")


def measure(
    base: str,
    page: dict[str, Any],
    cookie: str | None,
    args: argparse.Namespace,
    server_pids: list[int] | None = None,
    database_url: str | None = None,
):
    """wrk's figures for one page, and the CPU time each request cost the server's workers
    and PostgreSQL (the backends of ``database_url``'s database, those that were there after
    the warm-up and those that started during the run): unlike requests per second, those
    barely move with what else the machine (or its neighbours) is doing."""
    url = base + page["path"]
    wrk(url, args.warmup, args.connections, cookie)
    workers = server_pids or []

    def backends() -> list[int]:
        return postgres_pids(database_url) if database_url else []

    before = cpu_by_process(workers), cpu_by_process(backends())
    figures = wrk(url, args.duration, args.connections, cookie)
    after = cpu_by_process(workers), cpu_by_process(backends())
    served = max(figures["requests"], 1)
    figures["cpu_ms_portal"] = cpu_spent(before[0], after[0]) * 1000 / served
    figures["cpu_ms_database"] = cpu_spent(before[1], after[1]) * 1000 / served
    return figures


def check_page(browser: Browser, path: str, signed_in: bool) -> None:
    status, _headers, body = browser.get(path)
    if status != 200:
        raise RuntimeError(f"{path} answered {status}, not 200")
    if signed_in != ('action="/logout"' in body):
        raise RuntimeError(
            f"{path} is not the page of a {'signed-in' if signed_in else 'anonymous'} visitor"
        )


def bench_portal(
    database: str,
    url: str,
    redis_url: str,
    records: dict[str, Any],
    args,
    workdir: Path,
    cache: str,
    floor_cpu_ms: float | None = None,
    signed_in_floor_cpu_ms: float | None = None,
) -> list[dict[str, Any]]:
    """Every page on ``database``, the output cache on (``hit``: the warm-up fills it) or off
    (``miss``: CACHE_OFF)."""
    port = free_port()
    env = production_env(
        url,
        redis_url,
        port,
        WEB_ACCESS_LOG=str(workdir / f"access-{database}-{cache}.log"),
        WEB_MAX_REQUESTS="0",
        **(CACHE_OFF if cache == "miss" else {}),
    )
    bulk_second_factor(url, env["SECRET_KEY"])
    results = []
    with gunicorn("wsgi:app", env, workdir / f"portal-{database}.log") as server:
        cookies: dict[str | None, str | None] = {None: None}
        for who in ("expert", "requester", "coordinator"):
            browser = Browser(server.base)
            browser.sign_in(records[who], totp=BULK_TOTP_SECRET if who == "coordinator" else None)
            cookies[who] = browser.cookie_header
        for page in pages(records):
            if args.pages and not re.search(args.pages, page["name"]):
                continue
            browser = Browser(server.base)
            if cookies[page["who"]]:
                browser.request("GET", "/healthz")
                for pair in (cookies[page["who"]] or "").split("; "):
                    name, _, value = pair.partition("=")
                    browser.cookies[name] = value
            signed_in = page["who"] is not None
            check_page(browser, page["path"], signed_in)
            figures = measure(server.base, page, cookies[page["who"]], args, server.pids, url)
            # Still signed in afterwards: every response measured was the page itself.
            check_page(browser, page["path"], signed_in)
            row = page_row(page, database, cache, figures, floor_cpu_ms, signed_in_floor_cpu_ms)
            results.append(row)
            log(
                f"  {database:10} {cache:4} {page['name']:44} {row['rps']:8.1f} req/s  "
                f"p50 {row['p50_ms']:6.1f}  p95 {row['p95_ms']:6.1f} ms  CPU/request: portal "
                f"{row['cpu_ms_portal']:.1f}, database {row['cpu_ms_db']:.1f} ms"
                + (
                    f" ({row['ratio_cpu_to_floor']:.2f} x floor)"
                    if row["ratio_cpu_to_floor"] is not None
                    else ""
                )
                + (f"  NOT 200: {row['not_200']}" if row["not_200"] else "")
            )
    return results


def page_row(
    page: dict[str, Any],
    database: str,
    cache: str,
    figures: dict[str, Any],
    floor_cpu_ms: float | None,
    signed_in_floor_cpu_ms: float | None = None,
) -> dict[str, Any]:
    """One entry of latest.json's ``pages``: the issue's keys first, then what else the run
    knows of the page. ``ratio_to_hello`` is filled in once hello-world's figure is known; a
    signed-in person's page is set against the signed-in floor as well
    (``ratio_cpu_to_signed_in_floor``)."""
    portal_ms = round(figures["cpu_ms_portal"], 2)
    db_ms = round(figures["cpu_ms_database"], 2)
    return {
        "name": page["name"],
        "class": page["class"],
        "cache": cache,
        "database": database,
        "rps": round(figures["rps"], 1),
        "ratio_to_hello": None,
        "p50_ms": round(figures["p50_ms"], 1),
        "p95_ms": round(figures["p95_ms"], 1),
        # CPU per request of the gunicorn workers and of PostgreSQL (0 on SQLite, whose work
        # is inside the workers), against the floor page's on the same database.
        "cpu_ms_portal": portal_ms,
        "cpu_ms_db": db_ms,
        "ratio_cpu_to_floor": (
            round((portal_ms + db_ms) / floor_cpu_ms, 2) if floor_cpu_ms else None
        ),
        "ratio_cpu_to_signed_in_floor": (
            round((portal_ms + db_ms) / signed_in_floor_cpu_ms, 2)
            if signed_in_floor_cpu_ms and page["who"] is not None
            else None
        ),
        "path": re.sub(r"\d+", "<id>", page["path"].split("?")[0])
        + ("?" + page["path"].split("?")[1] if "?" in page["path"] else ""),
        "user": page["who"] or "anonymous",
        "p99_ms": round(figures["p99_ms"], 1),
        "requests": figures["requests"],
        "not_200": figures["not_ok"] + figures["socket_errors"],
        # Session cookies the portal sent back during the run, which wrk (like a browser) sent
        # from then on: at most one per connection and 30 seconds.
        "cookies_renewed": figures.get("cookies_renewed", 0),
        "load_average": round(os.getloadavg()[0], 1),
    }


def bench_hello(redis_url: str, args, workdir: Path) -> dict[str, Any]:
    port = free_port()
    env = production_env(
        "sqlite://",
        redis_url,
        port,
        WEB_ACCESS_LOG=str(workdir / "access-hello.log"),
        WEB_MAX_REQUESTS="0",
    )
    with gunicorn("bench.hello:app", env, workdir / "hello.log") as server:
        figures = measure(server.base, {"path": "/"}, None, args, server.pids)
    log(
        f"  hello-world {figures['rps']:8.1f} req/s  p50 {figures['p50_ms']:.1f}  "
        f"p95 {figures['p95_ms']:.1f}  p99 {figures['p99_ms']:.1f} ms  "
        f"CPU/request {figures['cpu_ms_portal']:.2f} ms"
    )
    return figures


def bench_floor(
    database: str, url: str, redis_url: str, records: dict[str, Any], args, workdir: Path
) -> dict[str, Any]:
    """The floor page (bench/floor.py) on ``database``, as anonymous as the public list, and
    the signed-in floor (``/signed-in``) with the filters and the person of the expert's
    filtered needs list (``signed_in``: what a signed-in list costs at least)."""
    port = free_port()
    env = production_env(
        url,
        redis_url,
        port,
        WEB_ACCESS_LOG=str(workdir / f"access-floor-{database}.log"),
        WEB_MAX_REQUESTS="0",
    )
    with gunicorn("bench.floor:app", env, workdir / f"floor-{database}.log") as server:
        figures = measure(server.base, {"path": "/"}, None, args, server.pids, url)
        signed_in = measure(
            server.base,
            {"path": f"/signed-in?theme={records['theme']}&priority=high"},
            floor_cookie(url, records["expert"], env["SECRET_KEY"]),
            args,
            server.pids,
            url,
        )
    floor = floor_figures(database, figures)
    floor["signed_in"] = floor_figures(database, signed_in)
    for name, shown in (("floor", floor), ("signed-in floor", floor["signed_in"])):
        log(
            f"  {name} on {database:10} {shown['rps']:8.1f} req/s  p95 {shown['p95_ms']:.1f} ms  "
            f"CPU/request: workers {shown['cpu_ms_portal']:.2f}, "
            f"database {shown['cpu_ms_db']:.2f} ms"
        )
    if floor["signed_in"]["not_200"]:
        raise RuntimeError(f"the signed-in floor answered {floor['signed_in']['not_200']} errors")
    return floor


def floor_figures(database: str, figures: dict[str, Any]) -> dict[str, Any]:
    return {
        "database": database,
        "cpu_ms": round(figures["cpu_ms_portal"] + figures["cpu_ms_database"], 2),
        "cpu_ms_portal": round(figures["cpu_ms_portal"], 2),
        "cpu_ms_db": round(figures["cpu_ms_database"], 2),
        "rps": round(figures["rps"], 1),
        "p50_ms": round(figures["p50_ms"], 1),
        "p95_ms": round(figures["p95_ms"], 1),
        "not_200": figures["not_ok"] + figures["socket_errors"],
    }


def floor_cookie(url: str, email: str, secret_key: str) -> str:
    """The signed-in floor's session cookie for the person ``email``, signed with the floor
    server's SECRET_KEY."""
    from sqlalchemy import create_engine, text

    from bench import floor

    engine = create_engine(sqlalchemy_url(url))
    try:
        with engine.connect() as conn:
            person = conn.execute(
                text("SELECT id, session_generation FROM users WHERE email = :email"),
                {"email": email},
            ).one()
    finally:
        engine.dispose()
    return "session=" + floor.session_cookie(secret_key, person.id, person.session_generation)


# ---------------------------------------------------------------- targets and results


def assess(result: dict[str, Any], target_db: str) -> None:
    """Each page against its target (``meets_target``: True, False, or None where the page
    has none on this database), and the run's verdict."""
    hello = result["hello_rps"]
    for p in result["pages"]:
        p["ratio_to_hello"] = round(p["rps"] / hello, 3) if hello else None
        if p["database"] != target_db:
            p["meets_target"] = None
        elif p["cache"] == "hit":
            target = TARGETS[p["class"]]
            p["meets_target"] = (
                p["ratio_to_hello"] is not None
                and p["ratio_to_hello"] >= target["ratio_to_hello"]
                and p["p95_ms"] <= target["p95_ms"]
                and not p["not_200"]
            )
        else:
            p["meets_target"] = (
                p["ratio_cpu_to_floor"] is not None
                and p["ratio_cpu_to_floor"] <= TARGET_CPU_TO_FLOOR
                and not p["not_200"]
            )
    missed = [f"{p['name']} ({p['cache']})" for p in result["pages"] if p["meets_target"] is False]
    suggestions = result["suggestions"]
    read_ok = suggestions["read_ms"] is not None and suggestions["read_ms"] <= TARGET_READ_MS
    refresh = suggestions["refresh_5000_s"]
    refresh_ok = None if refresh is None else refresh <= TARGET_REFRESH_5000_S
    result["targets"] = {
        "database": target_db,
        "hit": TARGETS,
        "miss_ratio_cpu_to_floor": TARGET_CPU_TO_FLOOR,
        "suggestions_read_ms": TARGET_READ_MS,
        "suggestions_refresh_5000_s": TARGET_REFRESH_5000_S,
        "pages_missed": missed,
        "suggestions_read_met": read_ok,
        "suggestions_refresh_met": refresh_ok,
        "met": not missed and read_ok and refresh_ok is True,
    }
    verdict = []
    if missed:
        verdict.append(f"Targets missed on {target_db} by: {', '.join(missed)}.")
    else:
        verdict.append(f"Every page measured meets its target on {target_db}.")
    verdict.append(
        "Reading suggestions "
        + ("meets" if read_ok else "misses")
        + f" the target of {TARGET_READ_MS:.0f} ms ({suggestions['read_ms']} ms median)."
    )
    if refresh is None:
        verdict.append("Refreshing suggestions was not measured (no refresh command).")
    else:
        verdict.append(
            "Refreshing suggestions after an offer change touching 5,000 needs "
            + ("meets" if refresh_ok else "misses")
            + f" the target of {TARGET_REFRESH_5000_S:.0f} s ({refresh} s)."
        )
    if result.get("server_errors_logged"):
        verdict.append(f"{result['server_errors_logged']} unhandled errors were logged.")
    result["verdict"] = " ".join(verdict)


def shaped(result: dict[str, Any]) -> dict[str, Any]:
    """latest.json: the issue's keys first (hello_rps, floor, pages, suggestions), then the
    rest of what the run found."""
    first = ("hello_rps", "floor", "pages", "suggestions")
    return {
        **{key: result[key] for key in first},
        **{k: v for k, v in result.items() if k not in first},
    }


def write_results(result: dict[str, Any], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(
        json.dumps(shaped(result), indent=2, ensure_ascii=False) + "\n"
    )
    out.with_suffix(".md").write_text(markdown(result))


# ---------------------------------------------------------------- report


def _verdict(met: bool | None) -> str:
    return {True: "pass", False: "**miss**", None: "-"}[met]


def _figure(value: float | None) -> str:
    return "not measured" if value is None else str(value)


def markdown(result: dict[str, Any]) -> str:
    m = result["machine"]
    floor = result["floor"]
    lines = [
        "# Benchmark: the portal's main pages at 100,000 needs",
        "",
        f"Run {result['finished_at']} by `{result.get('command', 'bench/run.py')}` (what `make "
        "bench` runs, with `BENCH_ARGS`). Every figure comes from this run; the JSON beside this "
        "file holds the same numbers.",
        "",
        "## Machine",
        "",
        f"- {m['cores']} cores, {m['cpu']}, {m['memory_gib']} GiB memory, {m['os']}",
        f"- PostgreSQL {result.get('postgresql_version', '-')}, SQLite {m['sqlite']}, "
        f"Python {m['python']}, SQLAlchemy {m['sqlalchemy']}, gunicorn {m['gunicorn']}, "
        f"{m['wrk']}",
        "- Everything on this one machine: PostgreSQL, Redis, gunicorn and wrk share the cores. "
        f"Load average (1 min) at the start: {m['load_average_at_start']}; after each page in "
        "the JSON (`load_average`): other work on the machine lowers every figure.",
        "",
        "## Set-up",
        "",
        f"- Data: {', '.join(f'{v} {k}' for k, v in result['records'].items())} "
        "(`flask seed bulk`).",
        "- gunicorn with `gunicorn.conf.py`: 2 workers x "
        f"{result['settings']['threads']} threads (gthread), production configuration "
        "(`PORTAL_ENV=production`, generated `SECRET_KEY`, `REDIS_URL`), access log to a file; "
        "worker recycling (`WEB_MAX_REQUESTS`) off so that restarts do not blur the figures.",
        f"- wrk from 127.0.0.1: {result['settings']['connections']} connections, 2 threads, "
        f"{result['settings']['warmup_s']} s warm-up then {result['settings']['duration_s']} s per "
        "page, headers `Accept-Language: en` and `Accept-Encoding: gzip, deflate, br` (as a "
        "browser), the session cookie of a user who signed in through the form.",
        "- Each page twice: `hit` with the portal's output cache (the warm-up fills it) and "
        "`miss` with the cache off ("
        + ", ".join(f"`{k}={v}`" for k, v in CACHE_OFF.items())
        + ").",
        f"- Baseline: a bare Flask hello-world (`bench/hello.py`) under the same settings: "
        f"**{result['hello_rps']:.0f} requests/s**.",
        "- Floor: the public needs list's first page as a minimal Flask page (`bench/floor.py`: "
        "SQLAlchemy Core, one Jinja template, the same columns, language fallback, page size and "
        f"compression) under the same settings: **{floor['cpu_ms']} ms CPU per request** "
        f"(workers {floor['cpu_ms_portal']} + database {floor['cpu_ms_db']}) on "
        f"{floor['database']}, {floor['rps']:.0f} requests/s.",
    ]
    signed_in_floor = floor.get("signed_in")
    if signed_in_floor:
        lines.append(
            "- Signed-in floor: the same list as the expert's filtered needs list shows them "
            "(`bench/floor.py`, `/signed-in`: Flask's session cookie, the person read and "
            "checked, the portal's visibility rule and filters, a header with their name and a "
            f"sign-out form with the CSRF token): **{signed_in_floor['cpu_ms']} ms CPU per "
            f"request** (workers {signed_in_floor['cpu_ms_portal']} + database "
            f"{signed_in_floor['cpu_ms_db']}), {signed_in_floor['rps']:.0f} requests/s. Not a "
            "target; the column `x signed-in floor` sets each signed-in page against it."
        )
    lines += [
        "",
        "## Pages",
        "",
        "Targets on "
        f"{result['targets']['database']}: cache hit, public pages at least "
        f"{TARGETS['public']['ratio_to_hello']} x hello-world and p95 at most "
        f"{TARGETS['public']['p95_ms']:.0f} ms; signed-in pages "
        f"{TARGETS['signed-in']['ratio_to_hello']} x and {TARGETS['signed-in']['p95_ms']:.0f} ms; "
        f"the need page with suggestions {TARGETS['need-page']['ratio_to_hello']} x and "
        f"{TARGETS['need-page']['p95_ms']:.0f} ms. Cache miss, every page: CPU per request "
        f"(workers + database) at most {TARGET_CPU_TO_FLOOR} x the floor's.",
        "",
        "| page | class | cache | database | user | requests/s | x hello | p50 ms | p95 ms "
        "| workers CPU ms | database CPU ms | x floor CPU | x signed-in floor | target |",
        "|---|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for p in result["pages"]:
        ratio_floor = "-" if p["ratio_cpu_to_floor"] is None else f"{p['ratio_cpu_to_floor']:.2f}"
        ratio_hello = "-" if p["ratio_to_hello"] is None else f"{p['ratio_to_hello']:.3f}"
        signed_in_ratio = p.get("ratio_cpu_to_signed_in_floor")
        ratio_signed_in = "-" if signed_in_ratio is None else f"{signed_in_ratio:.2f}"
        lines.append(
            f"| {p['name']} (`{p['path']}`) | {p['class']} | {p['cache']} | {p['database']} "
            f"| {p['user']} | {p['rps']:.0f} | {ratio_hello} | {p['p50_ms']:.1f} "
            f"| {p['p95_ms']:.1f} | {p['cpu_ms_portal']:.1f} | {p['cpu_ms_db']:.1f} "
            f"| {ratio_floor} | {ratio_signed_in} | {_verdict(p['meets_target'])} |"
        )
    hello_cpu = result.get("hello", {}).get("cpu_ms_portal")
    suggestions = result["suggestions"]
    detail = result.get("suggestions_detail", {})
    lines += [
        "",
        "CPU per request: the gunicorn workers' and PostgreSQL's CPU time (the backends of the "
        "measured database) during the measured seconds divided by the requests served (on "
        "SQLite the database's work is inside the workers). Requests per second move with "
        "whatever else shares the machine; these barely do."
        + (f" Hello-world costs {hello_cpu:.2f} ms per request." if hello_cpu else ""),
        "",
        "## Suggestions",
        "",
        "| figure | value | target | |",
        "|---|---:|---:|---|",
        f"| reading the suggestions of a need page, median ms (`{SUGGESTIONS_READER}`, "
        f"in-process) | {_figure(suggestions['read_ms'])} | {TARGET_READ_MS:.0f} "
        f"| {_verdict(result['targets']['suggestions_read_met'])} |",
        f"| refreshing after an offer change touching {REFRESH_NEEDS:,} needs, s "
        f"| {_figure(suggestions['refresh_5000_s'])} | {TARGET_REFRESH_5000_S:.0f} "
        f"| {_verdict(result['targets']['suggestions_refresh_met'])} |",
        "",
        "; ".join(f"{k}: {v}" for k, v in detail.items()) or "",
        "",
        "| database | median ms | p95 ms | median CPU ms of the portal's process "
        "| first read after the refresh: median ms | p95 ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for database, s in result["match_suggestions"].items():
        lines.append(
            f"| {database} | {s['median_ms']:.2f} | {s['p95_ms']:.2f} | {s['cpu_median_ms']:.2f} "
            f"| {_figure(s.get('first_read_median_ms'))} | {_figure(s.get('first_read_p95_ms'))} |"
        )
    if result.get("explain"):
        lines += [
            "",
            "## Query plans (PostgreSQL, EXPLAIN ANALYZE)",
            "",
            "| case | query | execution ms | indexes used | sequential scans of large tables |",
            "|---|---:|---:|---|---|",
        ]
        for e in result["explain"]:
            indexes = ", ".join(e["indexes"]) or "-"
            seq = ", ".join(e["seq_scans_on_large_tables"]) or "none"
            lines.append(
                f"| {e['case']} | {e['query']} | {e['execution_ms']} | {indexes} | {seq} |"
            )
    lines += ["", "## Verdict", "", result["verdict"], ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--databases", default="postgresql,sqlite")
    parser.add_argument("--caches", default=",".join(CACHES), help="hit, miss or both")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/portal_bulk"),
    )
    parser.add_argument(
        "--sqlite-url",
        default=os.environ.get(
            "BENCH_SQLITE_URL", f"sqlite:///{ROOT / 'instance' / 'bench' / 'bulk-sqlite.db'}"
        ),
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    )
    parser.add_argument("--needs", type=int, default=100_000)
    parser.add_argument("--offers", type=int, default=30_000)
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--duration", type=int, default=15, help="seconds per page")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per page")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--suggestion-needs", type=int, default=50)
    parser.add_argument("--no-explain", action="store_true", help="leave out EXPLAIN")
    parser.add_argument("--pages", default="", help="only the pages whose name matches this regex")
    parser.add_argument(
        "--no-suggestions", action="store_true", help="leave out the suggestions' read and refresh"
    )
    parser.add_argument("--output", default=str(RESULTS / "latest"))
    args = parser.parse_args()

    started = time.monotonic()
    databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    caches = [c.strip() for c in args.caches.split(",") if c.strip() in CACHES]
    urls = {"postgresql": args.pg_url, "sqlite": args.sqlite_url}
    info = machine()
    log(f"== machine: {info['cores']} cores, {info['cpu']}, {info['memory_gib']} GiB")

    log("== bulk data")
    records: dict[str, dict[str, int]] = {}
    for database in databases:
        records[database] = ensure_bulk(urls[database], args.needs, args.offers, args.projects)

    result: dict[str, Any] = {
        "command": " ".join(["bench/run.py", *sys.argv[1:]]),
        "database": databases,
        "machine": info,
        "settings": {
            "workers": 2,
            "threads": int(os.environ.get("WEB_THREADS", "2")),
            "connections": args.connections,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "caches": caches,
            "cache_off": CACHE_OFF,
        },
        "records": {
            k: v for k, v in records[databases[0]].items() if k not in ("users", "bulk_users")
        },
    }
    if "postgresql" in databases:
        result["postgresql_version"] = postgres_version(urls["postgresql"])
    first = databases[0]
    target_db = "postgresql" if "postgresql" in databases else first

    if not args.no_suggestions:
        log("== suggestions: reading (in-process), refreshing")
        result["match_suggestions"] = {}
        for database in databases:
            s = suggestion_benchmark(urls[database], args.suggestion_needs)
            result["match_suggestions"][database] = s
            log(
                f"  {database:10} median {s['median_ms']:.2f} ms, p95 {s['p95_ms']:.2f} ms "
                f"(first read after the refresh: median {s['first_read_median_ms']:.2f} ms, "
                f"p95 {s['first_read_p95_ms']:.2f} ms)"
            )
        result["match_suggestions_ms"] = result["match_suggestions"][first]["median_ms"]
        refresh_s, refresh_detail = refresh_benchmark(urls[target_db])
        log(f"  refresh: {refresh_s} s ({refresh_detail})")
        result["suggestions"] = {
            "read_ms": result["match_suggestions"][target_db]["median_ms"],
            "refresh_5000_s": refresh_s,
        }
        result["suggestions_detail"] = {
            "read": f"median of {SUGGESTIONS_READER} for {args.suggestion_needs} open needs "
            f"on {target_db}, as a coordinator, in-process, each list's second read after its "
            "refresh (the first is reported beside it)",
            **refresh_detail,
        }
    else:  # a partial run for the person making pages faster: not a result to commit
        result["match_suggestions"] = {}
        result["suggestions"] = {"read_ms": None, "refresh_5000_s": None}

    picked = {database: pick_records(urls[database]) for database in databases}
    if "postgresql" in databases and not args.no_explain:
        log("== EXPLAIN (ANALYZE, BUFFERS) of the list filters and dashboard aggregates")
        reports = explain(urls["postgresql"], picked["postgresql"])
        for e in reports:
            log(f"-- {e['case']}, query {e['query']}: {e['sql'][:160]}")
            log("\n".join("   " + line for line in e["plan"].splitlines()))
            verdict = (
                "sequential scan of " + ", ".join(e["seq_scans_on_large_tables"])
                if e["seq_scans_on_large_tables"]
                else "large tables read through indexes only"
            )
            log(f"   => {verdict}; indexes: {', '.join(e['indexes']) or '-'}")
        result["explain"] = [{k: v for k, v in e.items() if k != "plan"} for e in reports]

    with tempfile.TemporaryDirectory(prefix="portal-bench-") as tmp:
        workdir = Path(tmp)
        log("== hello-world")
        hello = bench_hello(args.redis_url, args, workdir)
        result["hello_rps"] = round(hello["rps"], 1)
        result["hello"] = {k: round(v, 2) for k, v in hello.items()}
        floors: dict[str, dict[str, Any]] = {}
        result["pages"] = []
        for database in databases:
            log(f"== floor on {database}")
            floors[database] = bench_floor(
                database, urls[database], args.redis_url, picked[database], args, workdir
            )
            for cache in caches:
                log(f"== portal on {database}, cache {cache}")
                result["pages"] += bench_portal(
                    database,
                    urls[database],
                    args.redis_url,
                    picked[database],
                    args,
                    workdir,
                    cache,
                    floors[database]["cpu_ms"],
                    floors[database]["signed_in"]["cpu_ms"],
                )
        errors = [
            line
            for database in databases
            for line in (workdir / f"portal-{database}.log").read_text().splitlines()
            if "Traceback" in line or "unhandled error" in line
        ]
    result["floor"] = {
        **floors[target_db],
        "by_database": {d: f["cpu_ms"] for d, f in floors.items()},
    }
    result["server_errors_logged"] = len(errors)
    result["finished_at"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    result["seconds"] = round(time.monotonic() - started)
    assess(result, target_db)

    out = Path(args.output)
    write_results(result, out)
    log("")
    log(markdown(result))
    log(f"== done in {result['seconds']} s; wrote {out.with_suffix('.json')} and .md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
