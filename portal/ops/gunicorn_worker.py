"""gunicorn's threaded worker, stopping without dropping requests already sent to it.

A gthread worker that stops (replaced after ``max_requests``, or a graceful restart) leaves its
loop, then waits up to ``graceful_timeout`` for the requests in its threads, and only then exits.
The keep-alive connections it held idle stay open all that time, but nothing reads them any
more: a request a client sends on one meanwhile is never answered, and the process's exit resets
the connection (``make loadtest``: 71 of 5,088 requests without any response while 4 workers
were replaced). Here the worker, as it leaves its loop, answers (with ``Connection: close``)
every request already sent on its connections, gives a connection it has just accepted a moment
to send its request, and closes the idle keep-alive connections at once: the client sees the
close before it reuses the connection and opens a new one, which another worker answers.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from gunicorn.workers.gthread import TConn, ThreadWorker

# Seconds a connection accepted just before the stop gets to send its first request.
NEW_CONNECTION_GRACE = 2.0


class DrainingThreadWorker(ThreadWorker):
    def murder_keepalived(self) -> None:
        super().murder_keepalived()
        # Called at the end of every turn of the loop: the last turn is the one that finds
        # the worker no longer alive.
        if not self.alive:
            self.drain()

    def drain(self) -> None:
        with self._lock:
            for listener in self.sockets:
                with contextlib.suppress(KeyError, ValueError, OSError):
                    self.poller.unregister(listener)
        self._serve_ready(0)
        # Idle keep-alive connections: closed now, so that the client opens a new one.
        with self._lock:
            idle = list(self._keep)
            self._keep.clear()
            for conn in idle:
                self._forget(conn)
        for conn in idle:
            self.nr_conns -= 1
            conn.close()
        # Connections accepted but not yet read: their request is on its way.
        deadline = time.monotonic() + NEW_CONNECTION_GRACE
        while self._waiting() and time.monotonic() < deadline:
            self.notify()
            self._serve_ready(0.05)
        with self._lock:
            late = self._waiting()
            for conn in late:
                self._forget(conn)
        for conn in late:
            self.nr_conns -= 1
            conn.close()

    def _serve_ready(self, timeout: float) -> None:
        """Hand every connection with a request waiting to a thread (as the loop does); the
        worker is no longer alive, so each answer closes its connection."""
        for key, _events in self.poller.select(timeout):
            key.data(key.fileobj)

    def _waiting(self) -> list[Any]:
        arguments = (getattr(key.data, "args", ()) for key in self.poller.get_map().values())
        return [args[0] for args in arguments if args and isinstance(args[0], TConn)]

    def _forget(self, conn: Any) -> None:
        with contextlib.suppress(KeyError, ValueError, OSError):
            self.poller.unregister(conn.sock)
