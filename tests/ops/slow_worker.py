"""The portal's gunicorn worker, slow to settle each answered connection (kept alive or closed):
0.3 s between a request's end and what the worker does with its connection, the
moment in which a stopping worker's drain could miss a connection it should wait for."""

from __future__ import annotations

import time
from typing import Any

from portal.ops.gunicorn_worker import DrainingThreadWorker


class SlowToSettleWorker(DrainingThreadWorker):
    def finish_request(self, fs: Any) -> None:
        time.sleep(0.3)
        super().finish_request(fs)
