"""``make loadtest``: simulated people of every role against gunicorn + PostgreSQL + Redis.

A fresh PostgreSQL database with bulk data, gunicorn in the production configuration (2 workers,
a generated SECRET_KEY, REDIS_URL, TRUST_PROXY=1 so that every simulated person has their own
address for the rate limits, as behind nginx), then locust headless (bench/locustfile.py),
bounded in time. Afterwards it checks, and fails (exit 1) unless:

- no response was a 5xx (during a database outage only 503 with the portal's translated page,
  and only while the database is down);
- every write the portal acknowledged (a redirect after the POST) is in the database: each
  created need and offer with its latest acknowledged title, each publication, each proposal,
  each acceptance;
- nothing is half-written: every need and offer has its title and description texts with a
  version, no text without versions, no new text without an owner, no agreed match on an open
  need, every offer's committed days are the sum of its agreed matches (as before the run);
- the server logged no unhandled error.

A request that gets no response at all (status 0) fails the run as a 5xx does, unless workers
are killed on purpose (``--fault worker``). ``--max-requests`` (LOADTEST_MAX_REQUESTS) replaces
gunicorn workers after that many requests, so that a short run sees workers replaced too.

Sizes: 50 people for 120 s by default; ``--small`` (or LOADTEST_SMALL=1, what .ci/run uses):
20 people for 30 s. Faults: ``--fault postgres`` takes the database away during the load
(its connections are ended and new ones refused for ``--outage`` seconds, as a restart does, or
``--restart-command`` runs a real restart, e.g. ``pg_ctlcluster 15 main restart``);
``--fault worker`` kills gunicorn workers with SIGKILL in the middle of requests.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from support import (
    BIN,
    BULK_PASSWORD,
    BULK_TOTP_SECRET,
    ROOT,
    bulk_second_factor,
    ensure_bulk,
    free_port,
    gunicorn,
    log,
    production_env,
    sqlalchemy_url,
)

EXTRA_COORDINATORS = 8


def parse_args() -> argparse.Namespace:
    small = os.environ.get("LOADTEST_SMALL", "") not in ("", "0")
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", action="store_true", default=small)
    parser.add_argument("--users", type=int)
    parser.add_argument("--duration", type=int, help="seconds of load")
    parser.add_argument("--fault", choices=["none", "postgres", "worker"], default="none")
    parser.add_argument("--outage", type=int, default=8, help="seconds the database is away")
    parser.add_argument("--restart-command", default=os.environ.get("LOADTEST_RESTART_COMMAND"))
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(
            "LOADTEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/portal_loadtest"
        ),
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("LOADTEST_REDIS_URL", "redis://127.0.0.1:6379/13")
    )
    parser.add_argument(
        "--max-requests",
        type=int,
        default=int(os.environ.get("LOADTEST_MAX_REQUESTS") or 0) or None,
        help="replace a gunicorn worker after this many requests (WEB_MAX_REQUESTS; default: "
        "gunicorn.conf.py's): a low value replaces workers often during a short run",
    )
    parser.add_argument("--output", help="write the figures to this JSON file")
    args = parser.parse_args()
    args.users = args.users or (20 if args.small else 50)
    args.duration = args.duration or (30 if args.small else 120)
    return args


# ---------------------------------------------------------------- set-up


def fresh_database(url: str, small: bool) -> dict[str, int]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    parsed = make_url(sqlalchemy_url(url))
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    finally:
        admin.dispose()
    sizes = (1000, 300, 100) if small else (5000, 1500, 500)
    return ensure_bulk(url, *sizes)


def accounts_and_context(url: str, secret_key: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The bulk accounts by role, extra coordinators (each simulated coordinator needs their own
    authenticator: a code is accepted once), and what the forms need (theme ids, dates)."""
    from sqlalchemy import select

    from portal import create_app
    from portal.accounts.models import User
    from portal.accounts.services import create_user
    from portal.accounts.twofactor import enable
    from portal.agreements.services import default_agreement
    from portal.core.enums import Role
    from portal.extensions import db
    from portal.reference.models import Organisation, Theme

    app = create_app(
        {
            "ENV_NAME": "development",
            "SQLALCHEMY_DATABASE_URI": sqlalchemy_url(url),
            "SECRET_KEY": secret_key,
        }
    )
    with app.app_context():
        office = db.session.scalar(select(Organisation).filter_by(name_en="City Executive Office"))
        for n in range(1, EXTRA_COORDINATORS + 1):
            email = f"coordinator-load-{n}@bulk.example.org"
            if db.session.scalar(select(User).filter_by(email=email)) is None:
                user = create_user(
                    email=email,
                    name=f"Load Coordinator {n}",
                    password=BULK_PASSWORD,
                    role=Role.COORDINATOR,
                    organisation=office,
                    actor=None,
                )
                enable(user, BULK_TOTP_SECRET)
        db.session.commit()
        accounts: dict[str, list[dict[str, Any]]] = {}
        for role in (Role.REQUESTER, Role.EXPERT, Role.COORDINATOR):
            users = db.session.scalars(
                select(User)
                .where(User.role == role, User.email.like("%@bulk.example.org"))
                .order_by(User.id)
            )
            accounts[role.value] = [
                {"email": u.email, "password": BULK_PASSWORD, "totp": BULK_TOTP_SECRET}
                for u in users
            ]
        agreement = default_agreement()
        themes = list(db.session.scalars(select(Theme).order_by(Theme.id)))
        covered = {t.id for t in agreement.themes} or {t.id for t in themes}
        today = date.today()
        context = {
            "themes": [t.id for t in themes],
            "open_themes": [t.id for t in themes if not t.is_critical and t.id in covered],
            "today": today.isoformat(),
            "until": min(today + timedelta(days=300), agreement.valid_until).isoformat(),
        }
        db.session.remove()
        db.engine.dispose()
    bulk_second_factor(url, secret_key)
    return accounts, context


# ---------------------------------------------------------------- checks


INTEGRITY = {
    "needs without title or description versions": """
        SELECT count(*) FROM needs n
        WHERE NOT EXISTS (SELECT 1 FROM text_versions v WHERE v.text_id = n.title_id)
           OR NOT EXISTS (SELECT 1 FROM text_versions v WHERE v.text_id = n.description_id)""",
    "offers without title or description versions": """
        SELECT count(*) FROM offers o
        WHERE NOT EXISTS (SELECT 1 FROM text_versions v WHERE v.text_id = o.title_id)
           OR NOT EXISTS (SELECT 1 FROM text_versions v WHERE v.text_id = o.description_id)""",
    "texts without any version": """
        SELECT count(*) FROM texts t
        WHERE NOT EXISTS (SELECT 1 FROM text_versions v WHERE v.text_id = t.id)""",
    "texts without an owner": """
        SELECT count(*) FROM texts t
        WHERE NOT EXISTS (SELECT 1 FROM needs WHERE t.id IN (title_id, description_id))
          AND NOT EXISTS (SELECT 1 FROM offers WHERE t.id IN (title_id, description_id))
          AND NOT EXISTS (SELECT 1 FROM projects WHERE t.id IN (title_id, description_id))
          AND NOT EXISTS (SELECT 1 FROM milestones WHERE milestones.title_id = t.id)
          AND NOT EXISTS (SELECT 1 FROM status_reports WHERE status_reports.body_id = t.id)""",
    "agreed matches on an open need": """
        SELECT count(*) FROM matches m JOIN needs n ON n.id = m.need_id
        WHERE m.status = 'agreed' AND n.status = 'open'""",
    "offers whose committed days differ from their agreed matches": """
        SELECT count(*) FROM offers o
        WHERE o.committed_days <> COALESCE(
            (SELECT sum(m.person_days) FROM matches m
             WHERE m.offer_id = o.id AND m.status = 'agreed'), 0)""",
    "needs and offers created without their audit event": """
        SELECT (SELECT count(*) FROM needs n WHERE NOT EXISTS (
                  SELECT 1 FROM audit_events a WHERE a.record_type = 'need'
                  AND a.record_id = n.id AND a.action = 'create'))
             + (SELECT count(*) FROM offers o WHERE NOT EXISTS (
                  SELECT 1 FROM audit_events a WHERE a.record_type = 'offer'
                  AND a.record_id = o.id AND a.action = 'create'))""",
}


def integrity(url: str) -> dict[str, int]:
    from sqlalchemy import create_engine, text

    engine = create_engine(sqlalchemy_url(url))
    try:
        with engine.connect() as conn:
            return {
                name: int(conn.execute(text(sql)).scalar_one()) for name, sql in INTEGRITY.items()
            }
    finally:
        engine.dispose()


def check_ledger(url: str, ledger: list[dict[str, Any]], run: str) -> dict[str, Any]:
    """Every acknowledged write, looked up in the database."""
    from sqlalchemy import create_engine, text

    expected_titles: dict[tuple[str, int], str] = {}
    for entry in ledger:
        if entry["kind"] in ("need", "need_edit"):
            expected_titles[("needs", entry["id"])] = entry["title"]
        elif entry["kind"] in ("offer", "offer_edit"):
            expected_titles[("offers", entry["id"])] = entry["title"]
    missing: list[str] = []
    engine = create_engine(sqlalchemy_url(url))
    try:
        with engine.connect() as conn:
            for (table, record_id), title in expected_titles.items():
                found = conn.execute(
                    text(
                        f"SELECT count(*) FROM {table} r JOIN text_versions v "  # noqa: S608 (fixed names)
                        "ON v.text_id = r.title_id WHERE r.id = :id AND v.body = :title"
                    ),
                    {"id": record_id, "title": title},
                ).scalar_one()
                if not found:
                    missing.append(f"{table} {record_id} titled {title!r}")
            for entry in ledger:
                kind = entry["kind"]
                if kind in ("need_published", "offer_published"):
                    table = "needs" if kind == "need_published" else "offers"
                    status = conn.execute(
                        text(f"SELECT status FROM {table} WHERE id = :id"),  # noqa: S608
                        {"id": entry["id"]},
                    ).scalar()
                    if status in (None, "draft"):
                        missing.append(f"publication of {table} {entry['id']} ({status})")
                elif kind == "match":
                    row = conn.execute(
                        text("SELECT need_id, offer_id FROM matches WHERE id = :id"),
                        {"id": entry["id"]},
                    ).first()
                    if row is None or tuple(row) != (entry["need"], entry["offer"]):
                        missing.append(f"match {entry['id']}")
                elif kind == "accept":
                    column = (
                        "requester_accepted_at"
                        if entry["side"] == "requester"
                        else "expert_accepted_at"
                    )
                    accepted = conn.execute(
                        text(f"SELECT {column} FROM matches WHERE id = :id"),  # noqa: S608
                        {"id": entry["id"]},
                    ).scalar()
                    if accepted is None:
                        missing.append(f"{entry['side']} acceptance of match {entry['id']}")
            created = {
                table: conn.execute(
                    text(
                        f"SELECT count(DISTINCT r.id) FROM {table} r JOIN text_versions v "  # noqa: S608
                        "ON v.text_id = r.title_id WHERE v.body LIKE :prefix"
                    ),
                    {"prefix": f"Load {run} %"},
                ).scalar_one()
                for table in ("needs", "offers")
            }
    finally:
        engine.dispose()
    counts: dict[str, int] = {}
    for entry in ledger:
        counts[entry["kind"]] = counts.get(entry["kind"], 0) + 1
    return {"acknowledged": counts, "missing": missing, "in_database": created}


# ---------------------------------------------------------------- faults


def database_outage(url: str, seconds: int, command: str | None, window: list[float]) -> None:
    """What a PostgreSQL restart does to the portal: its connections are cut and new ones fail
    until the server is back. Without a restart command only this database is taken away
    (connections ended, new ones refused), so that other databases on the server are spared."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    window.append(time.time())
    if command:
        log(f"  fault: {command}")
        subprocess.run(command, shell=True, check=False)  # noqa: S602 (the operator's command)
        window.append(time.time())
        return
    name = make_url(sqlalchemy_url(url)).database
    admin = create_engine(
        make_url(sqlalchemy_url(url)).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    try:
        with admin.connect() as conn:
            log(f"  fault: database {name} away for {seconds} s")
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            time.sleep(seconds)
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
            log("  fault: database back")
    finally:
        admin.dispose()
        window.append(time.time())


def logged_at(server_log: str, event: str = "Autorestarting worker") -> list[float]:
    """When gunicorn logged ``event`` (its lines begin "[2026-12-05 03:23:01 +0000]")."""
    times = []
    for line in server_log.splitlines():
        if event in line and line.startswith("["):
            try:
                stamp = datetime.strptime(line[1 : line.index("]")], "%Y-%m-%d %H:%M:%S %z")
            except ValueError:
                continue
            times.append(stamp.timestamp())
    return times


def kill_workers(pids_of, times: int, pause: float, killed: list[tuple[float, int]]) -> None:
    for _n in range(times):
        time.sleep(pause)
        pids = pids_of()
        if pids:
            pid = pids[0]
            os.kill(pid, signal.SIGKILL)
            killed.append((time.time(), pid))
            log(f"  fault: SIGKILL to worker {pid}")


# ---------------------------------------------------------------- the run


def main() -> int:
    args = parse_args()
    started = time.monotonic()
    log(
        f"== load test: {args.users} people for {args.duration} s"
        + (f", fault: {args.fault}" if args.fault != "none" else "")
    )
    log("== fresh database with bulk data")
    records = fresh_database(args.pg_url, args.small)
    secret_key = secrets.token_urlsafe(48)
    accounts, context = accounts_and_context(args.pg_url, secret_key)
    before = integrity(args.pg_url)
    run = f"{int(time.time())}"
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="portal-load-") as tmp:
        work = Path(tmp)
        (work / "accounts.json").write_text(json.dumps(accounts))
        (work / "context.json").write_text(json.dumps(context))
        port = free_port()
        env = production_env(
            args.pg_url,
            args.redis_url,
            port,
            SECRET_KEY=secret_key,
            TRUST_PROXY="1",
            WEB_ACCESS_LOG=str(work / "access.log"),
            **({"WEB_MAX_REQUESTS": str(args.max_requests)} if args.max_requests else {}),
        )
        window: list[float] = []
        killed: list[tuple[float, int]] = []
        with gunicorn("wsgi:app", env, work / "server.log") as server:
            locust_env = {
                **os.environ,
                "LOADTEST_ACCOUNTS": str(work / "accounts.json"),
                "LOADTEST_CONTEXT": str(work / "context.json"),
                "LOADTEST_LEDGER": str(work / "ledger.jsonl"),
                "LOADTEST_STATUS": str(work / "status.json"),
                "LOADTEST_RUN": run,
            }
            command = [
                str(BIN / "locust"),
                "-f",
                str(ROOT / "bench" / "locustfile.py"),
                "--headless",
                "--users",
                str(args.users),
                "--spawn-rate",
                str(max(args.users // 5, 1)),
                "--run-time",
                f"{args.duration}s",
                "--stop-timeout",
                "15",
                "--host",
                server.base,
                "--csv",
                str(work / "stats"),
                "--only-summary",
                "--exit-code-on-error",
                "0",
                "--loglevel",
                "WARNING",
            ]
            log(f"== locust against {server.base}")
            fault: threading.Thread | None = None
            if args.fault == "postgres":
                fault = threading.Thread(
                    target=lambda: (
                        time.sleep(args.duration / 3),
                        database_outage(args.pg_url, args.outage, args.restart_command, window),
                    )
                )
            elif args.fault == "worker":
                fault = threading.Thread(
                    target=kill_workers,
                    args=(lambda: server.pids, 3, args.duration / 5, killed),
                )
            if fault:
                fault.start()
            load_started = time.time()
            locust = subprocess.run(
                command,
                cwd=ROOT,
                env=locust_env,
                capture_output=True,
                text=True,
                timeout=args.duration + 180,
                check=False,
            )
            if fault:
                fault.join()
            if locust.returncode != 0:
                failures.append(f"locust exited {locust.returncode}: {locust.stderr[-2000:]}")
        server_log = (work / "server.log").read_text(errors="replace")
        ledger = (
            [
                json.loads(line)
                for line in (work / "ledger.jsonl").read_text().splitlines()
                if line.strip()
            ]
            if (work / "ledger.jsonl").exists()
            else []
        )
        status = (
            json.loads((work / "status.json").read_text())
            if (work / "status.json").exists()
            else {"statuses": {}, "unavailable": {}, "five_xx": []}
        )
        with open(work / "stats_stats.csv") as f:
            rows = {row["Name"]: row for row in csv.DictReader(f)}
        with open(work / "stats_failures.csv") as f:
            failed = sorted(csv.DictReader(f), key=lambda r: -int(r["Occurrences"]))
        failure_kinds = {
            f"{r['Method']} {r['Name']}: {r['Error'][:120]}": int(r["Occurrences"])
            for r in failed[:8]
        }
        total = rows["Aggregated"]
        slowest = sorted(
            (r for name, r in rows.items() if name != "Aggregated"),
            key=lambda r: -float(r["95%"] or 0),
        )[:5]

    after = integrity(args.pg_url)
    ledger_check = check_ledger(args.pg_url, ledger, run)
    statuses = {int(k): v for k, v in status["statuses"].items()}
    unanswered = status.get("unanswered", [])
    five_xx = {code: n for code, n in statuses.items() if code >= 500}
    unavailable_times = status.get("unavailable_times", [])

    if args.fault == "postgres":
        other = {code: n for code, n in five_xx.items() if code != 503}
        if other:
            failures.append(f"5xx other than 503 during the outage run: {other}")
        if status["unavailable"].get("other"):
            failures.append(f"{status['unavailable']['other']} 503s without the portal's page")
        if len(window) == 2:
            late = [t for t in unavailable_times if not window[0] - 1 <= t <= window[1] + 5]
            if late:
                failures.append(f"{len(late)} 503s outside the outage (+5 s for the pool)")
    elif five_xx:
        failures.append(f"5xx responses: {five_xx}")
    # Every form is sent with the token its page gave (none is sent when the page did not
    # answer): a 400 is the portal refusing a person's valid form, in any run.
    if statuses.get(400):
        failures.append(f"{statuses[400]} forms refused with 400")
    # A request without any response (the connection closed or reset before an answer) is lost
    # as surely as a 5xx. Only a worker killed mid-request (--fault worker) may cause one.
    if statuses.get(0) and args.fault != "worker":
        lost = "; ".join(
            f"{u['request']} at {u['at'] - load_started:.1f} s: {u['error'][:160]}"
            for u in unanswered
        )
        failures.append(f"{statuses[0]} requests got no response at all (status 0): {lost}")
    acknowledged = ledger_check["acknowledged"]
    if not (acknowledged.get("need") and acknowledged.get("offer")):
        failures.append(f"the simulated people got too few writes through: {acknowledged}")
    if ledger_check["missing"]:
        failures.append(
            f"{len(ledger_check['missing'])} acknowledged writes missing: "
            + "; ".join(ledger_check["missing"][:10])
        )
    for name in INTEGRITY:
        if after[name] != before[name]:
            failures.append(f"{name}: {before[name]} before, {after[name]} after")
    errors = [
        line
        for line in server_log.splitlines()
        if "unhandled error" in line or line.startswith("Traceback")
    ]
    if errors:
        # The last line of each traceback names the exception: the distinct ones, counted.
        kinds: dict[str, int] = {}
        lines = server_log.splitlines()
        for n, line in enumerate(lines):
            if line.startswith("Traceback"):
                end = n + 1
                while end < len(lines) and (lines[end].startswith((" ", "\t")) or not lines[end]):
                    end += 1
                if end < len(lines):
                    kinds[lines[end][:200]] = kinds.get(lines[end][:200], 0) + 1
        failures.append(f"{len(errors)} unhandled errors in the server log: {kinds}")
    if failures:
        # Whatever failed, gunicorn's own log (workers replaced, timed out, exiting) is kept.
        keep = ROOT / "instance" / "loadtest-server.log"
        keep.parent.mkdir(exist_ok=True)
        keep.write_text(server_log)
        failures.append(f"the server log is kept in {keep}")

    figures = {
        "users": args.users,
        "duration_s": args.duration,
        "fault": args.fault,
        "records": {k: v for k, v in records.items() if k != "bulk_users"},
        "requests": int(total["Request Count"]),
        "failures": int(total["Failure Count"]),
        "requests_per_s": round(float(total["Requests/s"]), 1),
        "p50_ms": float(total["50%"]),
        "p95_ms": float(total["95%"]),
        "p99_ms": float(total["99%"]),
        "statuses": dict(sorted(statuses.items())),
        "unavailable_pages": status["unavailable"],
        "outage_s": round(window[1] - window[0], 1) if len(window) == 2 else None,
        "workers_killed": len(killed),
        # gunicorn replaces a worker after WEB_MAX_REQUESTS requests (portal.ops.gunicorn_worker
        # answers what was sent on its connections before it goes).
        "max_requests": args.max_requests,
        "workers_recycled": server_log.count("Autorestarting worker"),
        # When, in seconds from the start of the load, each request without a response ended
        # and each worker replacement and outage began: what a lost request coincided with.
        "unanswered": [
            {**lost, "at_s": round(lost["at"] - load_started, 1)} for lost in unanswered
        ],
        "workers_recycled_at_s": [round(t - load_started) for t in logged_at(server_log)],
        "outage_at_s": [round(t - load_started, 1) for t in window],
        "failure_kinds": failure_kinds,
        "acknowledged_writes": ledger_check["acknowledged"],
        "created_in_database": ledger_check["in_database"],
        "integrity_after": after,
        "slowest_p95": {r["Name"]: float(r["95%"]) for r in slowest},
        "seconds": round(time.monotonic() - started),
        "passed": not failures,
        "failures_found": failures,
    }
    log(json.dumps(figures, indent=2, ensure_ascii=False))
    if args.output:
        Path(args.output).write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
    log(
        f"== {figures['requests']} requests, {figures['failures']} failed, "
        f"p95 {figures['p95_ms']:.0f} ms, {sum(ledger_check['acknowledged'].values())} "
        f"acknowledged writes, all in the database: {not ledger_check['missing']}"
    )
    if failures:
        log("== LOAD TEST FAILED:\n  " + "\n  ".join(failures))
        return 1
    log(f"== load test passed in {figures['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
