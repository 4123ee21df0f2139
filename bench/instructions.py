"""``bench/instructions.py``: what one page costs the portal's process, counted in instructions.

On this machine (a virtual machine sharing its host) the CPU time of the same request moves by
up to 40 % between two runs of the same code, so a change worth a few per cent cannot be seen in
milliseconds. Valgrind's callgrind counts the instructions a process executes instead, and that
count is the same on every run of the same code and data, whatever else the machine does.

Each page runs ``bench/profile.py --no-profile`` under callgrind twice, with ``--repeat N`` and
``--repeat 3N``; the difference divided by 2N is the instructions of one request, with start-up,
sign-in and warm-up taken out. The database's own work (PostgreSQL's processes) is not counted:
``bench/profile.py --sql`` lists a page's statements, ``make bench`` measures their CPU.

    .venv/bin/python bench/instructions.py --miss \
        --database-url postgresql://postgres@127.0.0.1/portal_bulk \
        --path /needs/ --path /offers/ [--email … --password … --totp-secret …]

Slow (callgrind runs Python about fifty times slower: a minute or two per page); not run by CI.
Run one at a time for signed-in pages: sign-in is throttled per account.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COLLECTED = re.compile(r"Collected\s*:\s*([\d,]+)")


def count(path: str, repeat: int, args: argparse.Namespace, extra: list[str]) -> int:
    """The instructions callgrind counts in one run of profile.py for ``repeat`` requests."""
    # One secret key for every run: the bulk data's second factor is encrypted with a key
    # derived from it, and two runs signing in at once must not rewrite it for each other.
    env = {
        **os.environ,
        "PYTHONHASHSEED": "0",
        "PORTAL_ENV": "production",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-instructions-" + "0" * 32),
    }
    if args.miss:
        env["PAGE_CACHE_SECONDS"] = "0"
    # Nothing kept for a while expires during a run: under callgrind thirty requests take
    # minutes, and the reference lists (kept five minutes) or a list's count (one) made again
    # in one of the two runs and not in the other would be counted as the pages' own work.
    env.setdefault("REFERENCE_CACHE_SECONDS", "86400")
    env.setdefault("LIST_COUNT_SECONDS", "86400")
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        str(ROOT / "bench" / "profile.py"),
        "--no-profile",
        "--path",
        path,
        "--repeat",
        str(repeat),
        *extra,
    ]
    run = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    found = COLLECTED.findall(run.stderr)
    if run.returncode != 0 or not found:
        raise SystemExit(f"{path}: profile.py failed\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}")
    return int(found[-1].replace(",", ""))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--path", action="append", required=True, help="a page; repeatable")
    parser.add_argument("--repeat", type=int, default=10, help="N: runs of N and 3N requests")
    parser.add_argument("--miss", action="store_true", help="without the output cache")
    args, extra = parser.parse_known_args()  # the rest goes to profile.py
    for path in args.path:
        few = count(path, args.repeat, args, extra)
        many = count(path, 3 * args.repeat, args, extra)
        per_request = (many - few) / (2 * args.repeat)
        print(f"{path}: {per_request / 1e6:.2f} million instructions per request", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
