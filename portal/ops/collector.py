"""Python's cyclic garbage collector in gunicorn's workers: what a worker loads once is frozen
out of every collection, and the youngest generation is collected after tens of thousands of
new objects instead of Python's 700.

Python's default thresholds (700, 10, 10) suit short scripts. A page builds far more than 700
objects that live until it is sent (ORM rows, template contexts, the statement's parameters), so
a worker collected its youngest objects about once a request and, every few hundred requests,
walked its whole heap: the modules, the Flask app, SQLAlchemy's mappers and compiled statements,
Jinja's templates and the catalogs of three languages, none of which ever becomes garbage. On
the bench's project page that walk took 75-130 ms, a pause for whichever request it fell into,
and collections as a whole 0.3-0.4 ms of every request (``bench/profile.py``, 300 requests).
Frozen (``gc.freeze``), the objects built while loading are left alone; at 20,000 the youngest
generation is collected every few dozen requests and nothing else is walked at all in 300.
Cycles still die: reference counting frees what a request leaves behind without cycles, and
the collector still runs, only less often, with tens of thousands of young objects to look at
(a few megabytes at most).

The job worker (``flask jobs worker``) keeps Python's collector. It waits idle between jobs,
allocating next to nothing, so at 20,000 the garbage of a job (a session, a connection left in
a cycle) could wait hours for a collection; a web worker allocates with every request and is
replaced every ``WEB_MAX_REQUESTS``. Refreshing suggestions after an offer change was 20 %
faster settled, measured in the benchmark's process; that is not worth the risk.
"""

from __future__ import annotations

import gc
import os

# The youngest generation's threshold in a gunicorn worker, unless GC_THRESHOLD says otherwise
# (0: Python's own collector, untouched).
DEFAULT_THRESHOLD = 20_000


def threshold() -> int:
    value = os.environ.get("GC_THRESHOLD", "").strip()
    if not value:
        return DEFAULT_THRESHOLD
    if not value.isdigit():
        raise ValueError(
            f"GC_THRESHOLD must be a whole number of objects (0: Python's), not {value!r}"
        )
    return int(value)


def settle() -> None:
    """Once a worker has loaded what it keeps (the app, its templates, the catalogs): collect
    what loading left behind, freeze the rest out of later collections and collect the youngest
    generation after ``threshold()`` new objects. With 0 the collector is left as Python sets
    it."""
    youngest = threshold()
    if youngest <= 0:
        return
    gc.collect()
    gc.freeze()
    _youngest, middle, oldest = gc.get_threshold()
    gc.set_threshold(youngest, middle, oldest)
