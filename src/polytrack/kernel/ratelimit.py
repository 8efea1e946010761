"""A rate limiter whose state lives in the database, so every worker process shares it.

Sliding-window approximation over two fixed windows (the scheme Cloudflare and nginx-style
limiters use): the estimate is `current + previous * (1 - elapsed/period)`. Each hit is one
atomic UPSERT ... RETURNING, which both SQLite (WAL, busy timeout) and PostgreSQL serialise, so
two processes can never both take the last slot. Refused hits count too: a client hammering a
closed door keeps it closed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import and_, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from polytrack.kernel.tables import kernel_rate_windows as windows


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    estimate: float
    retry_after: float


class RateLimiter:
    def __init__(self, clock, enabled: bool = True):
        self.clock = clock
        self.enabled = enabled

    def hit(self, conn: Connection, key: str, *, limit: int, period: float) -> RateDecision:
        if not self.enabled or limit <= 0:
            return RateDecision(True, 0.0, 0.0)
        now = self.clock.timestamp()
        window = int(now // period)
        insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        # Windows are stored by their start in unix seconds, whatever the period.
        start, previous_start = int(window * period), int((window - 1) * period)
        stmt = insert(windows).values(key=key, window_start=start, count=1)
        stmt = stmt.on_conflict_do_update(
            index_elements=[windows.c.key, windows.c.window_start],
            set_={"count": windows.c.count + 1},
        ).returning(windows.c.count)
        current = conn.execute(stmt).scalar_one()
        elapsed = (now - window * period) / period
        estimate = float(current)
        if current <= limit:
            # Only read the previous window when the current one alone does not decide.
            previous = conn.execute(
                select(windows.c.count).where(and_(windows.c.key == key, windows.c.window_start == previous_start))
            ).scalar()
            estimate += (previous or 0) * (1.0 - elapsed)
        allowed = estimate <= limit
        retry_after = 0.0 if allowed else math.ceil((1.0 - elapsed) * period)
        return RateDecision(allowed, estimate, retry_after)

    def purge(self, conn: Connection, *, older_than_seconds: float = 7200) -> int:
        cutoff = int(self.clock.timestamp() - older_than_seconds)
        return conn.execute(delete(windows).where(windows.c.window_start < cutoff)).rowcount
