"""gunicorn settings for the portal: ``gunicorn -c gunicorn.conf.py wsgi:app``.

Every value comes from the environment with a default that suits a small server:

| variable | default | meaning |
|---|---|---|
| HOST, PORT | 127.0.0.1, 8000 | where to listen (put nginx or a load balancer in front) |
| WEB_CONCURRENCY | 2 x cores + 1, at most 8 | worker processes |
| WEB_THREADS | 2 | threads per worker (keep DB_POOL_SIZE at least this) |
| WEB_TIMEOUT | 30 | seconds before a stuck worker is killed and replaced |
| WEB_GRACEFUL_TIMEOUT | 30 | seconds a worker gets to finish its requests on restart |
| WEB_KEEPALIVE | 5 | seconds to hold an idle keep-alive connection from the proxy |
| WEB_MAX_REQUESTS | 1000 | a worker is replaced after this many requests (0: never) |
| WEB_MAX_REQUESTS_JITTER | WEB_MAX_REQUESTS / 10 | up to this many more (workers apart) |
| WEB_ACCESS_LOG | - (stdout) | access log file; empty turns the access log off |
| WEB_LOG_LEVEL | info | error log level |
| GC_THRESHOLD | 20000 | new objects between a worker's young collections; 0: Python's 700 |

Workers share nothing in memory: the app is not preloaded, so each worker builds its own app and
its own database connection pool after the fork; rate limits live in Redis (REDIS_URL); sessions
are signed cookies checked against the user's session generation in the database.
"""

from __future__ import annotations

import os

MAX_DEFAULT_WORKERS = 8


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


_host = os.environ.get("HOST", "127.0.0.1")
_port = _int("PORT", 8000)
bind = [f"[{_host}]:{_port}" if ":" in _host else f"{_host}:{_port}"]

workers = _int("WEB_CONCURRENCY", min(2 * _cores() + 1, MAX_DEFAULT_WORKERS))
threads = _int("WEB_THREADS", 2)
# gthread that answers what was already sent on its keep-alive connections when it stops
# (replaced after max_requests, or a graceful restart) instead of resetting them at its exit.
worker_class = "portal.ops.gunicorn_worker.DrainingThreadWorker"
timeout = _int("WEB_TIMEOUT", 30)
graceful_timeout = _int("WEB_GRACEFUL_TIMEOUT", 30)
keepalive = _int("WEB_KEEPALIVE", 5)
max_requests = _int("WEB_MAX_REQUESTS", 1000)
max_requests_jitter = _int("WEB_MAX_REQUESTS_JITTER", max(max_requests // 10, 1))

# Each worker imports the app itself: no connection pool, Redis client or random state is
# inherited across fork.
preload_app = False

# Heartbeat files in memory, not on a possibly slow disk.
# gunicorn creates them with mkstemp, so a shared directory is safe.
_SHM = "/dev/shm"  # noqa: S108
if os.path.isdir(_SHM):
    worker_tmp_dir = _SHM


# What a worker loaded (the app, its templates, the catalogs) frozen out of garbage collection
# once it is loaded, and the youngest objects collected every 20,000 instead of 700: see
# portal/ops/collector.py (GC_THRESHOLD).
def post_worker_init(worker) -> None:
    from portal.ops.collector import settle

    settle()


proc_name = "portal"
accesslog = os.environ.get("WEB_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("WEB_LOG_LEVEL", "info")
# No query strings, no token-like path segments, no cookies (see portal/ops/access_log.py).
logger_class = "portal.ops.access_log.RedactingLogger"
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(B)s %(M)sms "%(f)s" "%(a)s"'
