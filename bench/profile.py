"""``bench/profile.py``: where one page's time goes, in-process, with pyinstrument.

Signs in through the real form (production configuration, so the same middleware, limits and
cookies as under gunicorn), warms the page up, then profiles ``--repeat`` requests of it and
prints pyinstrument's call tree, the mean wall time and the SQL statements per request.

    .venv/bin/python bench/profile.py --database-url postgresql://postgres@127.0.0.1/portal_bulk \
        --email bulk.expert.1@example.org --path '/needs/?theme=1&priority=high'

Not run by CI; a tool for the person making a page faster.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from support import (  # noqa: E402
    bulk_second_factor,
    cpu_by_process,
    cpu_spent,
    csrf_token,
    postgres_pids,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL"))
    parser.add_argument("--email", default="")
    parser.add_argument("--password", default="kyiv-stockholm-demo")
    parser.add_argument("--totp-secret", default="", help="the coordinator's; bulk data's below")
    parser.add_argument("--path", default="/needs/")
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--language", default="en")
    parser.add_argument(
        "--encoding", default="", help="Accept-Encoding (wrk in make bench: gzip, deflate, br)"
    )
    parser.add_argument("--no-profile", action="store_true", help="time only")
    parser.add_argument("--flat", type=int, default=0, help="cProfile: the N costliest functions")
    parser.add_argument(
        "--callers", default="", help="with --flat: who calls functions matching this"
    )
    parser.add_argument("--sql", action="store_true", help="print one request's statements")
    parser.add_argument("--save", default="", help="write the page's HTML (uncompressed) here")
    parser.add_argument(
        "--explain", action="store_true", help="with --sql: PostgreSQL's plan of each, as run"
    )
    parser.add_argument(
        "--trace", default="", help="with --sql: where statements matching this regex come from"
    )
    args = parser.parse_args()

    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    if args.redis_url:
        os.environ["REDIS_URL"] = args.redis_url
    os.environ.setdefault("SECRET_KEY", "profile-" + os.urandom(8).hex())
    # What production requires: the test client's own address, and the TOTP key that
    # bulk_second_factor derives from SECRET_KEY.
    os.environ.setdefault("PORTAL_BASE_URL", "http://localhost")
    os.environ.setdefault("TOTP_ENCRYPTION_KEY", os.environ["SECRET_KEY"])
    if args.totp_secret and args.database_url:
        # Bulk data's coordinators: their second factor, encrypted under this SECRET_KEY.
        bulk_second_factor(args.database_url, os.environ["SECRET_KEY"])

    from sqlalchemy import event

    from portal import create_app
    from portal.extensions import db

    app = create_app("production")
    client = app.test_client()
    client.environ_base.update(
        {
            "HTTP_ACCEPT_LANGUAGE": args.language,
            "HTTP_REFERER": "https://localhost/",
            "wsgi.url_scheme": "https",
        }
    )
    base = "https://localhost"
    if args.email:
        page = client.get(base + "/login").get_data(as_text=True)
        response = client.post(
            base + "/login",
            data={"email": args.email, "password": args.password, "csrf_token": csrf_token(page)},
        )
        assert response.status_code == 302, f"sign-in failed: {response.status_code}"
        if "/login/verify" in response.headers["Location"]:
            import pyotp

            page = client.get(base + "/login/verify").get_data(as_text=True)
            response = client.post(
                base + "/login/verify",
                data={"code": pyotp.TOTP(args.totp_secret).now(), "csrf_token": csrf_token(page)},
            )
            assert response.status_code == 302, "second factor refused"

    statements: list[tuple[str, object]] = []  # each statement run, with its parameters
    origins: dict[int, str] = {}

    def before(conn, cursor, statement, params, *rest):
        statements.append((statement, params))
        if args.trace and re.search(args.trace, statement):
            frames = [
                f"{Path(f.filename).relative_to(ROOT)}:{f.lineno} {f.name}"
                for f in traceback.extract_stack()
                if str(ROOT / "portal") in f.filename
            ]
            origins[len(statements)] = " <- ".join(reversed(frames[-4:]))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", before)
    measured = {"Accept-Encoding": args.encoding} if args.encoding else {}
    for _ in range(5):
        response = client.get(base + args.path, headers=measured)
        assert response.status_code == 200, f"{args.path}: {response.status_code}"
    statements.clear()
    # Python's collector as a gunicorn worker has it once loaded (portal.ops.collector): with
    # Python's own thresholds a walk of the whole heap falls into some runs and not others, a
    # million instructions a request apart under bench/instructions.py.
    from portal.ops.collector import settle

    settle()
    if args.save:
        Path(args.save).write_bytes(client.get(base + args.path).get_data())
        statements.clear()
    if args.sql:
        client.get(base + args.path)
        for n, (statement, _params) in enumerate(statements, start=1):
            print(f"{n:3}. {' '.join(statement.split())[:220]}")
            if n in origins:
                print(f"     from {origins[n]}")
        if args.explain:
            with app.app_context(), db.engine.connect() as connection:
                for n, (statement, params) in enumerate(statements, start=1):
                    cursor = connection.connection.driver_connection.cursor()
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)
                    print(f"--- {n}.", *(line for (line,) in cursor.fetchall()), sep="\n")
        statements.clear()
        origins.clear()

    profiler = None
    flat = None
    if args.flat:
        # This file is named like the standard library's ``profile``, which cProfile imports.
        here = [p for p in sys.path if Path(p or ".").resolve() == Path(__file__).parent]
        for p in here:
            sys.path.remove(p)
        import cProfile

        flat = cProfile.Profile()
        flat.enable()
    elif not args.no_profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
    backends = postgres_pids(args.database_url or "")
    database = cpu_by_process(backends)
    started = time.perf_counter()
    cpu = time.process_time()
    for _ in range(args.repeat):
        client.get(base + args.path, headers=measured)
    wall = (time.perf_counter() - started) / args.repeat * 1000
    cpu = (time.process_time() - cpu) / args.repeat * 1000
    database_ms = cpu_spent(database, cpu_by_process(backends)) / args.repeat * 1000
    if flat:
        import pstats

        flat.disable()
        stats = pstats.Stats(flat).sort_stats(os.environ.get("PROFILE_SORT", "tottime"))
        stats.print_stats(args.flat)
        if args.callers:
            stats.print_callers(args.callers)
    if profiler:
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))
    print(f"{args.path}: {wall:.1f} ms wall, {cpu:.1f} ms CPU per request", end="")
    print(f" + {database_ms:.2f} ms of PostgreSQL" if backends else "")
    print(f"{len(statements) / args.repeat:.1f} SQL statements per request")
    return 0


if __name__ == "__main__":
    sys.exit(main())
