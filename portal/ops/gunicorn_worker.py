"""gunicorn's threaded worker, stopping without dropping requests already sent to it, and
leaving new connections to a worker with a free thread.

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

A gthread worker also accepts every connection it can, busy or not: the first to wake takes it,
and keeps it for as long as the client keeps it alive. Sixteen keep-alive connections opened at
once (wrk, or a proxy's pool) were split 13:3 and 14:2 between two workers, so that one process
(one core, Python's lock) served most of them while the other idled. Here a worker stops
accepting while as many connections as it has threads are at work (a request read or being
answered, or just accepted and its request still to come): a new connection waits in the
listening socket for a worker with a free thread. A connection left waiting there for
``SHARE_PAUSE`` seconds tells a paused worker that every other one is as busy: it accepts again,
and the connection waits behind its requests, as it would have at once before.
"""

from __future__ import annotations

import contextlib
import select
import selectors
import time
from concurrent import futures
from functools import partial
from typing import Any

from gunicorn.workers.gthread import TConn, ThreadWorker

# The least time the connections still open when the worker stops get to send a request, which
# is answered (with Connection: close) before they are closed: the keep-alive time, when longer.
DRAIN_GRACE = 1.0
# The longest a worker with all its threads at work leaves new connections to the others.
SHARE_PAUSE = 0.05
# How long the loop waits for an event while accepting (gunicorn's own turn).
TURN = 1.0


class DrainingThreadWorker(ThreadWorker):
    _drained = False  # the drain is over: a connection finished now is closed
    _paused = False  # not accepting: its threads are all at work
    _waiting_since: float | None = None  # paused, and a connection waiting since then
    _owed = False  # resumed with its threads still busy: accepts one before pausing again
    _acceptors: list[tuple[Any, Any]]  # each listening socket and what accepts on it
    _in_hand: set[Any]  # connections handed to a thread and neither kept nor closed yet

    def run(self) -> None:
        """gunicorn 23's loop, whose wait for an event ends when a pause runs out."""
        self._acceptors = []
        self._in_hand = set()
        for sock in self.sockets:
            sock.setblocking(False)
            acceptor = partial(self.accept, sock.getsockname())
            self._acceptors.append((sock, acceptor))
            self.poller.register(sock, selectors.EVENT_READ, acceptor)

        while self.alive:
            self.notify()
            if self.nr_conns < self.worker_connections:
                for key, _events in self.poller.select(self._turn()):
                    key.data(key.fileobj)
                result = futures.wait(self.futures, timeout=0, return_when=futures.FIRST_COMPLETED)
            else:
                result = futures.wait(
                    self.futures, timeout=TURN, return_when=futures.FIRST_COMPLETED
                )
            for fut in result.done:
                self.futures.remove(fut)
            if not self.is_parent_alive():
                break
            self.murder_keepalived()

    def _turn(self) -> float:
        # Paused, the worker looks at its listening sockets every half pause.
        return SHARE_PAUSE / 2 if self._paused else TURN

    def accept(self, server: Any, listener: Any) -> None:
        super().accept(server, listener)
        with self._lock:
            self._owed = False
            self._share()

    def on_client_socket_readable(self, conn: Any, client: Any) -> None:
        super().on_client_socket_readable(conn, client)
        with self._lock:
            self._share()

    def _share(self) -> None:
        """Stop accepting while as many connections as the worker has threads are at work;
        start again when one is done, or when a connection has been waiting in the listening
        socket for ``SHARE_PAUSE`` (no other worker took it: all as busy). Called holding
        ``_lock``."""
        if not self.alive or self._drained:
            return
        engaged = self.nr_conns - len(self._keep)  # every open connection not idle
        busy = engaged >= self.cfg.threads
        if not self._paused:
            if busy and not self._owed:
                for sock, _acceptor in self._acceptors:
                    with contextlib.suppress(KeyError, ValueError, OSError):
                        self.poller.unregister(sock)
                self._paused = True
                self._waiting_since = None
            return
        if busy:
            now = time.monotonic()
            if not self._connection_waiting():
                self._waiting_since = None
                return
            if self._waiting_since is None:
                self._waiting_since = now
            if now - self._waiting_since < SHARE_PAUSE:
                return
        for sock, acceptor in self._acceptors:
            with contextlib.suppress(KeyError, ValueError, OSError):
                self.poller.register(sock, selectors.EVENT_READ, acceptor)
        self._paused = False
        self._owed = busy

    def _connection_waiting(self) -> bool:
        sockets = [sock for sock, _acceptor in self._acceptors]
        try:
            return bool(select.select(sockets, [], [], 0)[0])
        except (OSError, ValueError):
            return True  # a socket closed under the worker: accept as gunicorn would

    def murder_keepalived(self) -> None:
        super().murder_keepalived()
        # Called at the end of every turn of the loop: the last turn is the one that finds
        # the worker no longer alive.
        if not self.alive:
            self.drain()
        else:
            with self._lock:
                self._share()

    def _wrap_future(self, fs: Any, conn: Any) -> None:
        with self._lock:
            self._in_hand.add(conn)
        super()._wrap_future(fs, conn)

    def finish_request(self, fs: Any) -> None:
        """A connection whose answer was sent as kept alive is kept for its next request, even
        when another thread's request has stopped the worker meanwhile (its headers were sent
        before): its client may send the next request at once (a redirect followed, a form
        posted after the page that holds it), and the drain answers it, with Connection: close,
        instead of closing the connection under it. The decision is taken once, under the lock
        the drain takes: gunicorn's own asks ``alive`` a second time, and a stop between the
        two closed a connection its client had just been told to keep. The connection stays
        in hand until it is kept or given up, and the drain waits for it: a request's future is
        done before this callback has run, and the drain, seeing nothing to answer, closed the
        connection the callback was about to keep."""
        conn = fs.conn
        keepalive = False
        if not fs.cancelled():
            try:
                keepalive, conn = fs.result()
            except Exception:  # as gunicorn: the connection is closed
                keepalive = False
        kept = False
        with self._lock:
            if keepalive and not self._drained:
                conn.sock.setblocking(False)
                conn.set_timeout()
                self._keep.append(conn)
                self.poller.register(
                    conn.sock, selectors.EVENT_READ, partial(self.on_client_socket_readable, conn)
                )
                kept = True
            self._in_hand.discard(fs.conn)
        if not kept:
            self.nr_conns -= 1
            conn.close()
        with self._lock:
            self._share()

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
        while time.monotonic() < deadline:
            with self._lock:
                if not self._waiting() and not self._in_hand:
                    break
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
