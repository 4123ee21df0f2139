"""``make bench-export``: export every need of the bulk data as CSV and as XLSX, as a coordinator
(who sees them all), and print the time and the peak memory (RSS) of each.

The exports stream (CSV) or spool to a temporary file (XLSX, XlsxWriter's constant_memory
mode), reading the needs with ``yield_per``: the peak RSS should stay about the same whatever
the number of needs. Each export runs in a process of its own, so that one's peak does not
hide the other's; the process's RSS before the export (the portal loaded, the database open)
is printed beside it.

    .venv/bin/python bench/export.py --needs 10000 --databases sqlite
    .venv/bin/python bench/export.py                   # 100,000 needs, PostgreSQL and SQLite

The bulk databases are those of ``bench/run.py`` (the same URLs and environment variables),
reused when their counts are complete.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from support import ROOT, ensure_bulk, log, sqlalchemy_url

FORMATS = ("csv", "xlsx")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def export_once(url: str, fmt: str) -> dict[str, float | int | str]:
    """In this process: one export of every need as the first coordinator; its figures."""
    os.environ.update({"DATABASE_URL": sqlalchemy_url(url), "PORTAL_ENV": "development"})
    from flask_login import login_user
    from sqlalchemy import func, select

    from portal import create_app
    from portal.accounts.models import User
    from portal.core.enums import Role
    from portal.exports.views import download
    from portal.extensions import db
    from portal.needs.models import Need

    app = create_app()
    with app.test_request_context(f"/exports/needs.{fmt}?status=all"):
        coordinator = db.session.scalar(
            select(User).where(User.role == Role.COORDINATOR).order_by(User.id).limit(1)
        )
        assert coordinator is not None, "no coordinator in the bulk data"
        login_user(coordinator)
        needs = db.session.scalar(select(func.count()).select_from(Need))
        db.session.expire_all()
        before = peak_rss_mb()
        started = time.perf_counter()
        response = download("needs", fmt)
        size = 0
        for piece in response.response:
            size += len(piece)
        response.close()
        seconds = time.perf_counter() - started
    return {
        "format": fmt,
        "needs_in_database": needs or 0,
        "bytes": size,
        "seconds": round(seconds, 2),
        "rss_before_mb": round(before, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", default="postgresql,sqlite")
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
    parser.add_argument("--needs", type=int, default=100_000)
    parser.add_argument("--offers", type=int, default=None, help="default: needs × 0.3")
    parser.add_argument("--projects", type=int, default=None, help="default: needs × 0.1")
    parser.add_argument("--one", nargs=2, metavar=("URL", "FORMAT"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.one:  # the child process: one export, its figures as JSON
        print(json.dumps(export_once(*args.one)))
        return 0

    offers = args.offers if args.offers is not None else args.needs * 3 // 10
    projects = args.projects if args.projects is not None else args.needs // 10
    urls = {"postgresql": args.pg_url, "sqlite": args.sqlite_url}
    if args.needs != 100_000 and "BENCH_SQLITE_URL" not in os.environ:
        # A smaller set gets a file of its own: the 100k one is worth keeping.
        urls["sqlite"] = f"sqlite:///{ROOT / 'instance' / 'bench' / f'export-{args.needs}.db'}"
    (ROOT / "instance" / "bench").mkdir(parents=True, exist_ok=True)
    results = []
    for name in args.databases.split(","):
        url = urls[name]
        log(f"{name}: {args.needs} needs")
        ensure_bulk(url, args.needs, offers, projects)
        for fmt in FORMATS:
            out = subprocess.run(
                [sys.executable, __file__, "--one", url, fmt],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=False,
            )
            if out.returncode != 0:
                log(out.stderr)
                return 1
            figures = {"database": name, **json.loads(out.stdout.strip().splitlines()[-1])}
            results.append(figures)
            log(
                f"  {fmt:4}  {figures['needs_in_database']} needs  "
                f"{figures['bytes'] / 1e6:7.1f} MB  {figures['seconds']:7.2f} s  "
                f"peak RSS {figures['peak_rss_mb']:6.1f} MB "
                f"(before the export {figures['rss_before_mb']:.1f} MB)"
            )
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
