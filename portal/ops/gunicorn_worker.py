"""gunicorn's threaded worker, stopping without dropping requests already sent to it.

A gthread worker that stops (replaced after ``max_requests``, or a graceful restart) leaves its
loop, then waits up to ``graceful_timeout`` for the requests in its threads, and only then exits.
The keep-alive connections it held idle stay open all that time, but nothing reads them any
more: a request a client sends on one meanwhile is never answered, and the process's exit resets
the connection (``make loadtest``: 71 of 5,088 requests without any response while 4 workers
were replaced). Here the worker, as it leaves its loop, answers (with ``Connection: close``)
every request already sent on its connections and, for as long as it keeps an idle keep-alive
connection open anyway (gunicorn's ``keepalive``, ``WEB_KEEPALIVE``: 5 seconds), every request
sent on its idle keep-alive and just-accepted connections, and then closes those that stayed
idle: the client sees the close before it reuses the connection and opens a new one, which
another worker answers.

Closing an idle connection always races with a request its client may be sending on it right
then; that is why HTTP clients retry such a request (browsers and proxies do). Cut at the
keep-alive time, the drain closes only connections that the keep-alive timeout would have closed
as well, no more often. A shorter moment (two seconds, before) closed connections of clients
that were only between two requests: the 2-minute load test, whose people wait up to two
seconds, lost one request of 6,460 that way, reset as its worker was replaced. The price: a
worker whose connections stay idle (a proxy's pool, say) takes the keep-alive time to leave, and
gunicorn starts its replacement only then.
"""

from __future__ import annotations

import contextlib
import selectors
import time
from functools import partial
from typing import Any

from gunicorn.workers.gthread import TConn, ThreadWorker

# The least time the connections still open when the worker stops get to send a request, which
# is answered (with Connection: close) before they are closed: the keep-alive time, when longer.
DRAIN_GRACE = 1.0


class DrainingThreadWorker(ThreadWorker):
    _drained = False  # the drain is over: a connection finished now is closed

    def murder_keepalived(self) -> None:
        super().murder_keepalived()
        # Called at the end of every turn of the loop: the last turn is the one that finds
        # the worker no longer alive.
        if not self.alive:
            self.drain()

    def finish_request(self, fs: Any) -> None:
        """A request answered as kept alive while another thread's request stopped the worker
        (its headers were sent before): its client may send the next request at once (a
        redirect followed, a form posted after the page that holds it), so the connection is
        kept for the drain to answer, as an idle one, instead of being closed under it."""
        if not self.alive and not fs.cancelled() and fs.exception() is None:
            keepalive, conn = fs.result()
            if keepalive:
                with self._lock:
                    if not self._drained:
                        conn.sock.setblocking(False)
                        conn.set_timeout()
                        self._keep.append(conn)
                        self.poller.register(
                            conn.sock,
                            selectors.EVENT_READ,
                            partial(self.on_client_socket_readable, conn),
                        )
                        return
        super().finish_request(fs)

    def drain(self) -> None:
        with self._lock:
            for listener in self.sockets:
                with contextlib.suppress(KeyError, ValueError, OSError):
                    self.poller.unregister(listener)
        # For as long as the worker keeps an idle connection open anyway, every connection still
        # open (idle keep-alive ones, those accepted just before the stop, and those whose
        # request a thread is still answering) is served as it sends its request, and that
        # answer closes it. Closing an idle connection at once would race with a request the
        # client is sending on it right then (it would get no answer at all).
        deadline = time.monotonic() + max(float(self.cfg.keepalive), DRAIN_GRACE)
        self._serve_ready(0)
        while (self._waiting() or self._answering()) and time.monotonic() < deadline:
            self.notify()
            self._serve_ready(0.05)
        # Connections that stayed idle all that time: closed now.
        with self._lock:
            self._drained = True
            self._keep.clear()
            late = self._waiting()
            for conn in late:
                self._forget(conn)
        for conn in late:
            self.nr_conns -= 1
            conn.close()

    def _answering(self) -> bool:
        return any(not fs.done() for fs in list(self.futures))

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
