"""Slowing down credential guessing: failed logins, keys, pincodes and tokens per address.

Every API counts a failed authentication against the client's address (`failed`), in the
database like the rate limits (kernel.ratelimit), so all workers share the count. Once an
address has failed `limit` times within `period` seconds, `blocked` says so and the API refuses
that address's authentications, right or wrong, in its own error shape, until the window
slides past. Only the address is refused: the rightful owner calling from elsewhere goes on.

`blocked` runs on every authenticated call, so it reads the database at most once a second per
address and process (a block therefore starts up to a second late in other workers; this
worker sees its own failures at once).
"""

from __future__ import annotations

import math
import time

from polytrack.kernel.ratelimit import RateLimiter
from polytrack.kernel.sql import Db, Statement

DEFAULT_LIMIT = 20
DEFAULT_PERIOD = 600
_RECHECK_SECONDS = 1.0
_MAX_REMEMBERED = 10_000

_WINDOW = Statement("SELECT count, previous_count, window_start FROM kernel_rate_windows WHERE key = ?")


class FailedAuthGuard:
    """One API's failure counts by client address (see the module docstring)."""

    def __init__(self, limiter: RateLimiter, db: Db, *, api: str, limit: int = DEFAULT_LIMIT,
                 period: int = DEFAULT_PERIOD):
        self.limiter = limiter
        self.db = db  # the held connection: counts commit on their own
        self.api = api
        self.limit = limit
        self.period = period
        self._checked: dict[str, tuple[float, float]] = {}  # address -> (recheck at, retry after)

    @property
    def enabled(self) -> bool:
        return self.limiter.enabled and self.limit > 0

    def _key(self, address: str) -> str:
        return f"authfail:{self.api}:{address[:200]}"

    def blocked(self, address: str | None) -> float:
        """Seconds until `address` may try again; 0.0 when it may now."""
        if not self.enabled or not address:
            return 0.0
        now = time.monotonic()
        checked = self._checked.get(address)
        if checked is not None and checked[0] > now:
            return checked[1]
        retry_after = self._retry_after(address)
        if len(self._checked) >= _MAX_REMEMBERED:
            self._checked = {}
        self._checked[address] = (now + _RECHECK_SECONDS, retry_after)
        return retry_after

    def _retry_after(self, address: str) -> float:
        row = self.db.one(_WINDOW, (self._key(address),))
        if row is None:
            return 0.0
        current, previous, window_start = row
        now = self.limiter.clock.timestamp()
        windows_since = (now - window_start) / self.period
        if windows_since >= 2:
            return 0.0
        if windows_since >= 1:  # the stored window is the previous one now
            previous, current, windows_since = current, 0, windows_since - 1
        estimate = current + previous * (1.0 - windows_since)
        if estimate < self.limit:
            return 0.0
        return float(max(1, math.ceil((1.0 - windows_since) * self.period)))

    def failed(self, address: str | None) -> None:
        """Count one failed authentication from `address`."""
        if not self.enabled or not address:
            return
        # limit=1: counted one by one in the database (no leased slots); the decision is unused
        self.limiter.hit(self.db, self._key(address), limit=1, period=self.period)
        self._checked.pop(address, None)
