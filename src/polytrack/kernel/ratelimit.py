"""A rate limiter whose state lives in the database, so every worker process shares it.

Sliding-window approximation over two fixed windows (the scheme Cloudflare and nginx-style
limiters use): the estimate is `current + previous * (1 - elapsed/period)`. One row per key holds
both windows, and each hit is one atomic UPSERT ... RETURNING that rolls the windows forward
when a new one starts; SQLite (WAL, busy timeout) and PostgreSQL serialise it, so two processes
can never both take the last slot. Refused hits count too: a client hammering a closed door
keeps it closed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import delete
from sqlalchemy.engine import Connection

from polytrack.kernel.rawsql import RawStatement
from polytrack.kernel.tables import kernel_rate_windows as windows


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    estimate: float
    retry_after: float


# In ON CONFLICT ... SET every right-hand side reads the row as it was before the update, on
# both SQLite and PostgreSQL. A hit stamped with an older window than the stored one (another
# process's clock a little behind) counts in the stored window.
_HIT = RawStatement("""
    INSERT INTO kernel_rate_windows (key, window_start, count, previous_count) VALUES (?, ?, 1, 0)
    ON CONFLICT (key) DO UPDATE SET
      previous_count = CASE
        WHEN excluded.window_start <= kernel_rate_windows.window_start THEN kernel_rate_windows.previous_count
        WHEN excluded.window_start - ? = kernel_rate_windows.window_start THEN kernel_rate_windows.count
        ELSE 0 END,
      count = CASE
        WHEN excluded.window_start <= kernel_rate_windows.window_start THEN kernel_rate_windows.count + 1
        ELSE 1 END,
      window_start = CASE
        WHEN excluded.window_start <= kernel_rate_windows.window_start THEN kernel_rate_windows.window_start
        ELSE excluded.window_start END
    RETURNING count, previous_count, window_start
""")


class RateLimiter:
    def __init__(self, clock, enabled: bool = True):
        self.clock = clock
        self.enabled = enabled

    def hit(self, conn: Connection, key: str, *, limit: int, period: float) -> RateDecision:
        """Count one call against `key`: at most `limit` per `period` (whole seconds; one period
        per key, so a key names its period when an API has several)."""
        if not self.enabled or limit <= 0:
            return RateDecision(True, 0.0, 0.0)
        period = max(1, int(round(period)))
        now = self.clock.timestamp()
        start = int(now // period) * period  # windows are stored by their start, in unix seconds
        current, previous, stored_start = _HIT.run(conn, (key, start, period)).fetchone()
        elapsed = min(max((now - stored_start) / period, 0.0), 1.0)
        estimate = current + previous * (1.0 - elapsed)
        allowed = estimate <= limit
        retry_after = 0.0 if allowed else float(math.ceil((1.0 - elapsed) * period))
        return RateDecision(allowed, estimate, retry_after)

    def purge(self, conn: Connection, *, older_than_seconds: float = 7200) -> int:
        cutoff = int(self.clock.timestamp() - older_than_seconds)
        return conn.execute(delete(windows).where(windows.c.window_start < cutoff)).rowcount
