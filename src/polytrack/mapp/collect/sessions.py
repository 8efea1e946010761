"""Sessionisation off the pixel's path.

The pixel stores a hit as it came (`pending`, collect/store.py) and answers once it is
committed; deriving visits (reading the visitor's hits around it, replacing the visits there)
costs ten times more, so it happens here, in batches:

* every worker's background task (`Sessioniser.run`) sessionises the pending hits of every
  account, oldest first, and now and then brings the account's daily pre-aggregates up to date;
* every analysis, report and export catches up on its own account first (`catch_up`, bounded),
  so a caller reads what it has just sent.

A batch is one transaction: the pending hits' visitors' visits are derived again around them
(collect/visits.py `rederive`, which clears `pending` on every hit it derives), the custom
parameters of the hits derived for the first time are filed in `mapp_hit_params` (bots' hits,
which take part in no visit and no analysis, keep theirs in their row only), and the days they
touch are counted as changed for the pre-aggregates. Visits are a function of the set of hits,
so when and in which batches hits are sessionised changes nothing in the result. Batches of one
account take turns: SQLite's write lock does that; on PostgreSQL an advisory lock per account,
taken before the pending hits are read, so the second batch sees what the first committed.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import time
from datetime import date, tzinfo

from polytrack.kernel.dates import zone
from polytrack.kernel.sql import Db, Statement
from polytrack.mapp.analysis import daily
from polytrack.mapp.analysis.definition import Dimension
from polytrack.kernel.hot import CollectedDB
from polytrack.mapp.collect.store import days_between
from polytrack.mapp.collect.visits import is_session_parameter, rederive

log = logging.getLogger("polytrack.mapp.sessions")

BATCH_HITS = 2_000           # pending hits per transaction
# The background task's transactions are smaller and it pauses between them: while one holds
# SQLite's write lock, the pixel's group commit waits for it on the worker's event loop, so
# every hit in flight waits too (2,000-hit batches put the pixel's p99 near 300 ms under load).
BACKGROUND_BATCH_HITS = 200
BACKGROUND_PAUSE_SECONDS = 0.002
# Working through a backlog while the pixel stays busy: shorter transactions and longer pauses,
# so that a hit waits for the write lock a few milliseconds at most
BUSY_BATCH_HITS = 50
BUSY_PAUSE_SECONDS = 0.005
CATCH_UP_MAX_HITS = 50_000   # what one analysis call sessionises at most before it answers
IDLE_SECONDS = 0.25          # the background task's pause when nothing is pending
REFRESH_SECONDS = 5.0        # the background task refreshes an account's pre-aggregates this often at most
# While the worker's pixel is storing hits (some in the last BUSY_SECONDS), the background task
# leaves it the worker's CPU: sessionising costs about as much per hit as the pixel's whole
# request, so doing both halves the rate a burst of hits is acknowledged at. It waits at most
# MAX_DEFERRAL_SECONDS, then works through the backlog whatever the load (a flood that lasts
# must share the CPU). Analyses catch up on their own account anyway (`catch_up`).
BUSY_SECONDS = 0.1
MAX_DEFERRAL_SECONDS = 15.0

_PENDING_ACCOUNTS = Statement("SELECT DISTINCT account_id FROM mapp_hits WHERE pending")
_PENDING = Statement("SELECT visitor, time_ms FROM mapp_hits WHERE account_id = ? AND pending ORDER BY id LIMIT ?")
_ANY_PENDING = Statement("SELECT 1 FROM mapp_hits WHERE account_id = ? AND pending LIMIT 1")
_ZONE = Statement("SELECT timezone FROM mapp_accounts WHERE id = ?")
_INSERT_PARAMETER = Statement("INSERT INTO mapp_hit_params (hit_id, name, value, account_id) VALUES (?, ?, ?, ?)")
_NOTE_PARAMETER_NAME = Statement("INSERT INTO mapp_parameter_names (account_id, name) VALUES (?, ?) "
                                 "ON CONFLICT (account_id, name) DO NOTHING")
_LOCK_ACCOUNT = Statement("SELECT pg_advisory_xact_lock(?)")
_MARK_CHANGED = Statement("""
    INSERT INTO mapp_day_changes (account_id, day, changes) VALUES (?, ?, 1)
    ON CONFLICT (account_id, day) DO UPDATE SET changes = mapp_day_changes.changes + 1
""")
# the advisory lock of an account's derived data: "mapp" in the upper 32 bits, the account below
_LOCK_NAMESPACE = 0x6D617070 << 32


def lock_account(db: Db, account_id: int) -> None:
    """Make this transaction take turns with every other one deriving the account's visits or
    pre-aggregates (PostgreSQL; SQLite's write transactions take turns anyway)."""
    if db.dialect == "postgresql":
        db.one(_LOCK_ACCOUNT, (_LOCK_NAMESPACE | account_id,))


def sessionise_pending(db: Db, account_id: int, account_zone: tzinfo, limit: int = BATCH_HITS) -> int:
    """Sessionise up to `limit` pending hits of the account (the oldest), in the caller's
    transaction; returns how many were pending."""
    lock_account(db, account_id)
    pending = db.all(_PENDING, (account_id, limit))
    windows: dict[str, tuple[int, int]] = {}
    for visitor, time_ms in pending:
        low, high = windows.get(visitor, (time_ms, time_ms))
        windows[visitor] = (min(low, time_ms), max(high, time_ms))
    derived = rederive(db, account_id, windows, account_zone)
    # the custom parameters of hits derived for the first time, where analyses join them
    # (session parameters were filed with the visits: they hold the visit's last value)
    parameters = [(hit_id, name, value, account_id)
                  for hit_id, params in derived.first_time if params for name, value in json.loads(params)]
    if parameters:
        per_hit = [row for row in parameters if not is_session_parameter(row[1])]
        if per_hit:
            db.many(_INSERT_PARAMETER, per_hit)
        db.many(_NOTE_PARAMETER_NAME, sorted({(account_id, name) for _, name, _, _ in parameters}))
    changed = {day for low, high in derived.windows for day in days_between(low, high, account_zone)}
    if changed:
        db.many(_MARK_CHANGED, [(account_id, day) for day in sorted(changed)])
    return len(pending)


class Sessioniser:
    """Sessionisation and pre-aggregate refreshes on a held connection of its own
    (`CollectedDB`: its commits touch only collected data). A worker has two: its background
    task's, and the JSON-RPC endpoint's for the catch-up of analyses."""

    def __init__(self, services):
        self.services = services
        self.db = CollectedDB(services.engine)
        self.zones: dict[int, tzinfo] = {}
        self.changed: set[int] = set()  # accounts sessionised since their last refresh
        self.refreshed_at: dict[int, float] = {}

    def zone_of(self, account_id: int) -> tzinfo:
        found = self.zones.get(account_id)
        if found is None:  # an account's zone is set when it is made
            row = self.db.one(_ZONE, (account_id,))
            found = self.zones[account_id] = zone(row[0] if row else "UTC")
        return found

    def settle(self, account_id: int, max_hits: int | None = None, batch: int = BATCH_HITS) -> int:
        """Sessionise the account's pending hits, `batch` at a time, up to `max_hits` (None: all)."""
        done = 0
        while max_hits is None or done < max_hits:
            with self.db.transaction():
                count = sessionise_pending(self.db, account_id, self.zone_of(account_id), batch)
            done += count
            if count < batch:
                break
        return done

    def settle_all(self) -> int:
        """Sessionise every account's pending hits; returns how many."""
        return sum(self.settle(account_id) for (account_id,) in self.db.all(_PENDING_ACCOUNTS))

    def catch_up(self, account_id: int) -> None:
        """Before an analysis, report or export of the account: its pending hits (up to
        CATCH_UP_MAX_HITS; a flood of hits beyond that is answered a little later)."""
        if self.db.one(_ANY_PENDING, (account_id,)) is not None:
            self.settle(account_id, CATCH_UP_MAX_HITS)

    def freshen(self, account_id: int, kept_by: Dimension | None, first_day: date, last_day: date) -> None:
        """The pre-aggregates of `kept_by` (None: the days' totals) current for the days asked:
        read first, written (in a transaction of its own) only when some day is stale."""
        if daily.stale_days(self.db, account_id, kept_by, first_day, last_day):
            with self.services.transaction() as db:
                lock_account(db, account_id)
                daily.refresh(db, account_id, self.zone_of(account_id), kept_by, first_day, last_day)

    def refresh_kept(self, account_id: int) -> None:
        """Every stale day of every object the account's analyses have asked for."""
        for kept_by in daily.kept_objects(self.db, account_id):
            self.freshen(account_id, kept_by, date.min, date.max)

    def work_once(self, batch: int = BACKGROUND_BATCH_HITS) -> int:
        """One round of the background task: a small batch of every account's pending hits, and
        the pre-aggregates of those that changed, at most every REFRESH_SECONDS per account."""
        done = 0
        for (account_id,) in self.db.all(_PENDING_ACCOUNTS):
            done += self.settle(account_id, batch, batch)
            self.changed.add(account_id)
        now = time.monotonic()
        for account_id in sorted(self.changed):
            if now - self.refreshed_at.get(account_id, float("-inf")) >= REFRESH_SECONDS:
                self.refresh_kept(account_id)
                self.refreshed_at[account_id] = now
                self.changed.discard(account_id)
        return done

    async def run(self, pixel: PixelActivity) -> None:
        """The background task of a worker (ApiPackage.background_tasks); yields to the
        worker's pixel while it is busy, for up to MAX_DEFERRAL_SECONDS of backlog."""
        deferred_since: float | None = None
        while True:
            busy = pixel.busy()
            if busy:
                now = time.monotonic()
                deferred_since = deferred_since or now
                if now - deferred_since < MAX_DEFERRAL_SECONDS:
                    await asyncio.sleep(BUSY_SECONDS)
                    continue
            # in a thread: a batch takes milliseconds, and the pixel keeps answering meanwhile
            done = await asyncio.to_thread(self.work_once, BUSY_BATCH_HITS if busy else BACKGROUND_BATCH_HITS)
            if not done:
                deferred_since = None  # caught up
                await asyncio.sleep(IDLE_SECONDS)
            else:
                await asyncio.sleep(BUSY_PAUSE_SECONDS if busy else BACKGROUND_PAUSE_SECONDS)


class PixelActivity:
    """When the worker's pixel last stored hits (the pixel notes it, the background
    sessionisation reads it)."""

    __slots__ = ("stored_at",)

    def __init__(self) -> None:
        self.stored_at = float("-inf")

    def note(self) -> None:
        self.stored_at = time.monotonic()

    def busy(self) -> bool:
        return time.monotonic() - self.stored_at < BUSY_SECONDS


def pixel_activity(services) -> PixelActivity:
    return services.shared("mapp.pixel_activity", PixelActivity)


def background_tasks(services) -> list:
    """Sessionisation in the background, unless `mapp.background_sessions = false`: then hits
    wait, pending, for the next analysis of their account (its catch-up); the benchmark
    measures the pixel alone that way."""
    if not services.settings.api_setting("mapp.background_sessions", True):
        return []
    return [functools.partial(Sessioniser(services).run, pixel_activity(services))]
