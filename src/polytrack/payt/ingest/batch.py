"""Group commit: the positions of concurrent requests are stored in one transaction.

A device may only get its 200 once its position is committed, and a commit was the largest cost
of storing a position (~55 µs of ~120, bench/RESULTS.md). So a request does not commit on its
own: it validates its fixes, appends them to the pending batch of its event loop and waits.
The batch is flushed as soon as the event loop gets to it on a quiet server (a lone device
waits for nothing: one transaction per request, as before), and on a busy one once most of the
devices the last flush answered are back, or after at most 1 ms (see GroupCommit). The flush
stores the whole batch in one transaction (position insert and live derivation for each, in
arrival order per vehicle), commits, and only then answers every waiter with its own outcome.

One position must not fail its neighbours: everything that can be checked is checked before a
fix joins a batch, and when the batch's transaction fails anyway (a vehicle deleted meanwhile,
a database error) it is rolled back and every request's fixes are stored again on their own,
so each request gets its own answer (stored, 400, or 503)."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections import Counter
from dataclasses import dataclass

from polytrack.kernel.sql import Db
from polytrack.payt import derive
from polytrack.payt.motion import VehicleContext

log = logging.getLogger("polytrack.payt.ingest")

# A bound on one transaction (SQLite holds its write lock meanwhile); more pending fixes are
# stored by the next flush, scheduled at once.
MAX_BATCH_FIXES = 500
# A busy server (the last flush answered several requests, less than BUSY_WINDOW_S ago) waits up
# to MAX_WAIT_S for the devices it answered to send again before it commits (see GroupCommit).
MAX_WAIT_S = 0.001
BUSY_WINDOW_S = 0.005


@dataclass(slots=True)
class Prepared:
    """A validated fix, ready to store: its vehicle's context and the payt_positions row
    (vehicle_id, device_id, fix_ms, received_ms, lat, lon, speed_kph, heading, altitude,
    accuracy, battery, ignition)."""

    identifier: str
    context: VehicleContext
    row: tuple


@dataclass(slots=True)
class Waiter:
    """One request's fixes and the future its handler awaits: resolved with the list of
    outcomes (derive.STORED / DUPLICATE / LATE), or an exception (Refused, a database error)."""

    fixes: list[Prepared]
    future: asyncio.Future


class Lane:
    """The group commit's state on one event loop (one thread): the waiters not yet flushed,
    and what the last flush looked like (to tell a busy server from a quiet one)."""

    __slots__ = ("waiters", "timer", "flush_scheduled", "target", "last_answered", "last_flush_end")

    def __init__(self):
        self.waiters: list[Waiter] = []
        self.timer: asyncio.TimerHandle | None = None
        self.flush_scheduled = False
        self.target = 1  # flush once this many requests are waiting (or at the timer)
        self.last_answered = 0  # requests the last flush answered
        self.last_flush_end = float("-inf")


class GroupCommit:
    """Collects the fixes of concurrent requests per event loop and stores each batch with
    `store_batch(fixes) -> outcomes` (one transaction; raises to have the batch retried) or,
    after a failed batch and for lone requests, `store_alone(fixes) -> outcomes` (raises the
    request's own error).

    When to flush: a quiet server (the last flush answered one request, or ended more than
    `busy_window_s` ago) flushes as soon as the event loop gets to it: a lone device waits for
    nothing. A busy one waits until three quarters as many requests have joined as the last
    flush answered (those devices are sending their next fixes), or `max_wait_s`, whichever
    comes first; requests already in the loop's queue join too. Without that wait the server hands requests
    to the loop one at a time, and under load 46 % of the transactions held one position."""

    def __init__(self, store_batch, store_alone, *, max_batch_fixes: int = MAX_BATCH_FIXES,
                 max_wait_s: float = MAX_WAIT_S, busy_window_s: float = BUSY_WINDOW_S):
        self.store_batch = store_batch
        self.store_alone = store_alone
        self.max_batch_fixes = max_batch_fixes
        self.max_wait_s = max_wait_s
        self.busy_window_s = busy_window_s
        self._lanes: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Lane] = weakref.WeakKeyDictionary()
        # what happened so far: for operators and tests
        self.batches = 0  # transactions that committed
        self.fixes_stored = 0
        self.retried_batches = 0  # batches rolled back and stored request by request
        self.batch_sizes: Counter[int] = Counter()  # requests per committed transaction

    async def submit(self, fixes: list[Prepared]) -> list[str]:
        """Store the fixes of one request (all of one device, in order); returns their outcomes
        once they are committed."""
        loop = asyncio.get_running_loop()
        lane = self._lanes.get(loop)
        if lane is None:
            lane = self._lanes[loop] = Lane()
        waiter = Waiter(fixes, loop.create_future())
        lane.waiters.append(waiter)
        if len(lane.waiters) == 1:  # a new batch: how long may it wait for company?
            busy = lane.last_answered > 1 and loop.time() - lane.last_flush_end < self.busy_window_s
            # three quarters of them: waiting for the last stragglers idled the loop for up to
            # max_wait_s; they join the next batch instead
            lane.target = -(-lane.last_answered * 3 // 4) if busy else 1
        if not lane.flush_scheduled:
            if len(lane.waiters) >= lane.target:
                lane.flush_scheduled = True
                if lane.timer is not None:
                    lane.timer.cancel()
                    lane.timer = None
                loop.call_soon(self._flush, loop, lane)
            elif lane.timer is None:
                lane.timer = loop.call_later(self.max_wait_s, self._flush, loop, lane)
        return await waiter.future

    def _flush(self, loop: asyncio.AbstractEventLoop, lane: Lane) -> None:
        if lane.timer is not None:
            lane.timer.cancel()
            lane.timer = None
        lane.flush_scheduled = False
        # a bounded transaction; the rest go to the next flush, which runs right after
        waiters, taken, count = lane.waiters, 0, 0
        while taken < len(waiters) and (taken == 0 or count + len(waiters[taken].fixes) <= self.max_batch_fixes):
            count += len(waiters[taken].fixes)
            taken += 1
        batch, lane.waiters = waiters[:taken], waiters[taken:]
        if lane.waiters:
            lane.flush_scheduled = True
            loop.call_soon(self._flush, loop, lane)
        if not batch:
            return
        try:
            self._store(batch)
        except BaseException as exc:  # a bug must not leave devices waiting forever
            log.exception("group commit failed")
            for waiter in batch:
                if not waiter.future.done():
                    waiter.future.set_exception(exc if isinstance(exc, Exception) else RuntimeError(str(exc)))
            if not isinstance(exc, Exception):
                raise
        finally:
            lane.last_answered = len(batch)
            lane.last_flush_end = loop.time()

    def _store(self, waiters: list[Waiter]) -> None:
        if len(waiters) > 1:
            fixes = [fix for waiter in waiters for fix in waiter.fixes]
            try:
                outcomes = self.store_batch(fixes)
            except Exception:
                # rolled back: store each request on its own, so only the culprit fails
                log.warning("a batch of %d positions failed; storing them one request at a time", len(fixes),
                            exc_info=True)
                self.retried_batches += 1
            else:
                self._committed(len(waiters), len(fixes))
                start = 0
                for waiter in waiters:
                    end = start + len(waiter.fixes)
                    _resolve(waiter.future, outcomes[start:end])
                    start = end
                return
        for waiter in waiters:
            try:
                outcomes = self.store_alone(waiter.fixes)
            except Exception as exc:
                if not waiter.future.done():
                    waiter.future.set_exception(exc)
            else:
                self._committed(1, len(waiter.fixes))
                _resolve(waiter.future, outcomes)

    def _committed(self, requests: int, fixes: int) -> None:
        self.batches += 1
        self.fixes_stored += fixes
        self.batch_sizes[requests] += 1


def _resolve(future: asyncio.Future, outcomes: list[str]) -> None:
    if not future.done():  # a handler cancelled meanwhile (client gone): its fix is stored anyway
        future.set_result(outcomes)


def vehicle_order(fixes: list[Prepared]) -> list[int]:
    """Indexes of `fixes` sorted by vehicle, arrival order kept within a vehicle: derivation
    needs only the latter, and taking vehicles' row locks in one global order means two
    processes' batches (or a batch and a recomputation) never wait on each other in a cycle."""
    return sorted(range(len(fixes)), key=lambda k: fixes[k].row[0])


def apply_in_order(db: Db, rules: derive.Rules, fixes: list[Prepared]) -> list[str]:
    """Store and derive `fixes` in the caller's transaction; outcomes in the order given."""
    order = vehicle_order(fixes)
    outcomes = derive.apply_live_many(db, rules, [(fixes[k].context, fixes[k].row) for k in order])
    by_arrival: list[str] = [""] * len(fixes)
    for k, outcome in zip(order, outcomes):
        by_arrival[k] = outcome
    return by_arrival
