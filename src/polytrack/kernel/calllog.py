"""The API call log: every call, with API, operation, account, outcome and duration.

Entries are buffered in memory and written in batches (when the buffer fills, once a second
from the server's background task, and at shutdown), so logging costs a list append on the hot
path instead of a database write.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager

from sqlalchemy.engine import Engine

from polytrack.kernel.tables import kernel_call_log

FLUSH_AT = 500


class CallLog:
    def __init__(self, engine: Engine, clock, *, enabled: bool = True, flush_at: int = FLUSH_AT):
        self.engine = engine
        self.clock = clock
        self.enabled = enabled
        self.flush_at = flush_at
        self._buffer: list[dict] = []
        self._lock = threading.Lock()

    def record(self, *, api: str, operation: str, account: str, outcome: str, duration_ms: float) -> None:
        if not self.enabled:
            return
        entry = {
            "at": self.clock.timestamp(), "api": api, "operation": _printable(operation, 128),
            "account": _printable(account or "", 255), "outcome": _printable(outcome, 64), "duration_ms": duration_ms,
        }
        with self._lock:
            self._buffer.append(entry)
            full = len(self._buffer) >= self.flush_at
        if full:
            self.flush()

    @contextmanager
    def timed(self, *, api: str, operation: str):
        """Time a call; the body sets `call.account` and `call.outcome` as it learns them."""
        call = _Call(operation)
        started = time.perf_counter()
        try:
            yield call
        except Exception:
            call.outcome = "internal_error"
            raise
        finally:
            self.record(
                api=api, operation=call.operation, account=call.account, outcome=call.outcome,
                duration_ms=(time.perf_counter() - started) * 1000.0,
            )

    def flush(self) -> int:
        with self._lock:
            batch, self._buffer = self._buffer, []
        if not batch:
            return 0
        with self.engine.begin() as conn:
            conn.execute(kernel_call_log.insert(), batch)
        return len(batch)


def _printable(text: str, limit: int) -> str:
    """Client-supplied text (an op name, a login) as the log stores it: PostgreSQL refuses NUL
    in text, and one refused row would lose the whole batch, so control characters go."""
    text = text[:limit]
    return text if text.isprintable() else "".join(ch if ch.isprintable() else "?" for ch in text)


class _Call:
    __slots__ = ("operation", "account", "outcome")

    def __init__(self, operation: str):
        self.operation = operation
        self.account = ""
        self.outcome = "ok"
