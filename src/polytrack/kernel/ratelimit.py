"""A rate limiter whose state lives in the database, so every worker process shares it.

Sliding-window approximation over two fixed windows (the scheme Cloudflare and nginx-style
limiters use): the estimate is `current + previous * (1 - elapsed/period)`. One row per key holds
both windows, and each hit is one atomic UPSERT ... RETURNING that rolls the windows forward
when a new one starts; SQLite (WAL, busy timeout) and PostgreSQL serialise it, so two processes
can never both take the last slot. Refused hits count too: a client hammering a closed door
keeps it closed.

Leases. A database write per call is most of what an API call would cost, so a process takes
slots in small batches: one UPSERT adds `n` to the count and the process hands out what it was
granted from memory until the batch is spent or the window turns. Across processes the total
never exceeds the limit; a process may hold up to `n - 1` slots another one could have used, so
`n` is small relative to the limit (2 %, at most 64) and drops to 1 as the count nears the
limit. Limits under 50 per period are counted one call at a time, exactly.
"""

from __future__ import annotations

import math
import threading
from typing import NamedTuple

from sqlalchemy import delete

from polytrack.kernel.sql import Db, Statement
from polytrack.kernel.tables import kernel_rate_windows as windows


class RateDecision(NamedTuple):
    """(A NamedTuple: made on every API call, at a third of the cost of a frozen dataclass.)"""

    allowed: bool
    estimate: float
    retry_after: float


_UNLIMITED = RateDecision(True, 0.0, 0.0)


# In ON CONFLICT ... SET every right-hand side reads the row as it was before the update, on
# both SQLite and PostgreSQL. A hit stamped with an older window than the stored one (another
# process's clock a little behind) counts in the stored window.
_HIT = Statement("""
    INSERT INTO kernel_rate_windows (key, window_start, count, previous_count) VALUES (?, ?, ?, 0)
    ON CONFLICT (key) DO UPDATE SET
      previous_count = CASE
        WHEN excluded.window_start <= kernel_rate_windows.window_start THEN kernel_rate_windows.previous_count
        WHEN excluded.window_start - ? = kernel_rate_windows.window_start THEN kernel_rate_windows.count
        ELSE 0 END,
      count = CASE
        WHEN excluded.window_start <= kernel_rate_windows.window_start
          THEN kernel_rate_windows.count + excluded.count
        ELSE excluded.count END,
      window_start = CASE
        WHEN excluded.window_start <= kernel_rate_windows.window_start THEN kernel_rate_windows.window_start
        ELSE excluded.window_start END
    RETURNING count, previous_count, window_start
""", bookkeeping=True)


LEASE_FRACTION = 0.02
MAX_LEASE = 64


class _Lease:
    __slots__ = ("window", "slots", "estimate", "decision")

    def __init__(self, window: int, slots: int, estimate: float):
        self.window = window
        self.slots = slots
        self.estimate = estimate
        self.decision = RateDecision(True, estimate, 0.0)  # what each slot of the lease answers


class RateLimiter:
    def __init__(self, clock, enabled: bool = True):
        self.clock = clock
        self.enabled = enabled
        self._leases: dict[str, _Lease] = {}
        self._lock = threading.Lock()

    def hit(self, db, key: str, *, limit: int, period: float) -> RateDecision:
        """Count one call against `key`: at most `limit` per `period` (whole seconds; one period
        per key, so a key names its period when an API has several). `db` is a SQLAlchemy
        connection or the hot path's HotDB."""
        if not self.enabled or limit <= 0:
            return _UNLIMITED
        if type(period) is not int or period < 1:
            period = max(1, int(round(period)))
        now = self.clock.timestamp()
        start = int(now // period) * period  # windows are stored by their start, in unix seconds
        with self._lock:
            lease = self._leases.get(key)
            if lease is not None and lease.window == start and lease.slots > 0:
                lease.slots -= 1
                return lease.decision
            size = self._lease_size(limit, lease)
        current, previous, stored_start = db.run(_HIT, (key, start, size, period)).fetchone()
        elapsed = min(max((now - stored_start) / period, 0.0), 1.0)
        before = (current - size) + previous * (1.0 - elapsed)  # the estimate without this batch
        granted = max(0, min(size, math.floor(limit - before)))
        with self._lock:
            self._leases[key] = _Lease(start, max(granted - 1, 0), before + size)
        if granted:
            return RateDecision(True, before + 1, 0.0)
        return RateDecision(False, before + 1, float(math.ceil((1.0 - elapsed) * period)))

    @staticmethod
    def _lease_size(limit: int, last: _Lease | None) -> int:
        size = min(MAX_LEASE, int(limit * LEASE_FRACTION))
        if size <= 1 or (last is not None and last.estimate + 2 * size > limit):
            return 1
        return size

    def purge(self, db: Db, *, older_than_seconds: float = 7200) -> int:
        cutoff = int(self.clock.timestamp() - older_than_seconds)
        return db.execute(delete(windows).where(windows.c.window_start < cutoff)).rowcount
