"""The API call log: every call, with API, operation, account, outcome and duration.

Entries are buffered in memory and written in batches (when the buffer fills, once a second
from the server's background task, and at shutdown), so logging costs a tuple append on the hot
path; the batch goes to the database in one driver-level executemany.
"""

from __future__ import annotations

import threading
import time

from sqlalchemy.engine import Engine

from polytrack.kernel.hot import HotDB
from polytrack.kernel.sql import Statement

FLUSH_AT = 500

_INSERT = Statement(
    "INSERT INTO kernel_call_log (at, api, operation, account, outcome, duration_ms) VALUES (?, ?, ?, ?, ?, ?)",
    bookkeeping=True,
)


class CallLog:
    def __init__(self, engine: Engine, clock, *, enabled: bool = True, flush_at: int = FLUSH_AT, hot: HotDB | None = None):
        self.engine = engine
        self.clock = clock
        self.enabled = enabled
        self.flush_at = flush_at
        self.hot = hot or HotDB(engine)
        self._buffer: list[tuple] = []
        self._lock = threading.Lock()

    def record(self, *, api: str, operation: str, account: str, outcome: str, duration_ms: float) -> None:
        if not self.enabled:
            return
        entry = (self.clock.timestamp(), api, operation, account or "", outcome, duration_ms)
        with self._lock:
            self._buffer.append(entry)
            full = len(self._buffer) >= self.flush_at
        if full:
            self.flush()

    def timed(self, *, api: str, operation: str) -> "LoggedCall":
        """Time a call: `with calllog.timed(...) as call:`; the body sets `call.account` and
        `call.outcome` (default "ok"; an exception records "internal_error")."""
        return LoggedCall(self, api, operation)

    def flush(self) -> int:
        with self._lock:
            batch, self._buffer = self._buffer, []
        if not batch:
            return 0
        rows = [
            (at, api, _printable(operation, 128), _printable(account, 255), _printable(outcome, 64), duration_ms)
            for at, api, operation, account, outcome, duration_ms in batch
        ]
        with self.hot.transaction(bookkeeping=True):
            self.hot.many(_INSERT, rows)
        return len(rows)


def _printable(text: str, limit: int) -> str:
    """Client-supplied text (an op name, a login) as the log stores it: PostgreSQL refuses NUL
    in text, and one refused row would lose the whole batch, so control characters go."""
    text = text[:limit]
    return text if text.isprintable() else "".join(ch if ch.isprintable() else "?" for ch in text)


class LoggedCall:
    """A context manager (a plain class: cheaper than a generator-based one on the hot path)."""

    __slots__ = ("log", "api", "operation", "account", "outcome", "started")

    def __init__(self, log: CallLog, api: str, operation: str):
        self.log = log
        self.api = api
        self.operation = operation
        self.account = ""
        self.outcome = "ok"

    def __enter__(self) -> "LoggedCall":
        self.started = time.perf_counter()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None and self.outcome == "ok":  # an outcome the caller set says more
            self.outcome = "internal_error"
        self.log.record(
            api=self.api, operation=self.operation, account=self.account, outcome=self.outcome,
            duration_ms=(time.perf_counter() - self.started) * 1000.0,
        )
