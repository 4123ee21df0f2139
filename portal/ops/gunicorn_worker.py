"""gunicorn's threaded worker, stopping without dropping requests already sent to it.

A gthread worker that stops (replaced after ``max_requests``, or a graceful restart) leaves its
loop, then waits up to ``graceful_timeout`` for the requests in its threads, and only then exits.
The keep-alive connections it held idle stay open all that time, but nothing reads them any
more: a request a client sends on one meanwhile is never answered, and the process's exit resets
the connection (``make loadtest``: 71 of 5,088 requests without any response while 4 workers
were replaced). Here the worker, as it leaves its loop, answers (with ``Connection: close``)
every request already sent on its connections and, for a moment (``DRAIN_GRACE``), every request
sent on its idle keep-alive and just-accepted connections, and then closes those that stayed
idle: the client sees the close before it reuses the connection and opens a new one, which
another worker answers.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from gunicorn.workers.gthread import TConn, ThreadWorker

# Seconds the connections still open when the worker stops get to send a request, which is
# answered (with Connection: close) before they are closed.
DRAIN_GRACE = 2.0


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
        # For a moment, every connection still open (idle keep-alive ones, and those accepted
        # just before the stop) is served as it sends its request, and that answer closes it.
        # Closing an idle connection at once would race with a request the client is sending
        # on it right then (it would get no answer at all); a client busy enough to be hurt
        # sends within the moment and is told to reconnect instead.
        deadline = time.monotonic() + DRAIN_GRACE
        self._serve_ready(0)
        while self._waiting() and time.monotonic() < deadline:
            self.notify()
            self._serve_ready(0.05)
        # Connections that stayed idle all that time: closed now.
        with self._lock:
            self._keep.clear()
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
