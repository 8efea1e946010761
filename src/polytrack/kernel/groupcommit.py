"""Group commit: the events of concurrent requests are stored in one transaction.

A collection endpoint (a GPS fix, a pixel hit, a click, a telephony webhook) may only answer once
its event is committed, and the commit is the largest cost of storing one event. So a request
does not commit on its own: it validates what it received, appends its items to the pending
batch of its event loop and waits. The batch is flushed as soon as the event loop gets to it on
a quiet server (a lone client waits for nothing: one transaction per request), and on a busy one
once most of the clients the last flush answered are back, or after at most 1 ms (see
GroupCommit). The flush stores the whole batch in one transaction, commits, and only then
answers every waiter with its own outcomes.

One event must not fail its neighbours: the caller checks everything it can before items join a
batch, and when the batch's transaction fails anyway (a row deleted meanwhile, a database error)
it is rolled back and every request's items are stored again on their own, so each request gets
its own answer. PAYT's OsmAnd ingest was the first user; its figures are in bench/RESULTS.md."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable, Sequence

log = logging.getLogger("polytrack.kernel.groupcommit")

# A bound on one transaction (SQLite holds its write lock meanwhile); more pending items are
# stored by the next flush, scheduled at once.
MAX_BATCH_ITEMS = 500
# A busy server (the last flush answered several requests, less than BUSY_WINDOW_S ago) waits up
# to MAX_WAIT_S for the clients it answered to send again before it commits (see GroupCommit).
MAX_WAIT_S = 0.001
BUSY_WINDOW_S = 0.005


@dataclass(slots=True)
class Waiter:
    """One request's items and the future its handler awaits: resolved with the list of their
    outcomes (one per item, whatever the store returns), or the request's own exception."""

    items: list[Any]
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
    """Collects the items of concurrent requests per event loop and stores each batch with
    `store_batch(items) -> outcomes` (one transaction; raises to have the batch retried) or,
    after a failed batch and for lone requests, `store_alone(items) -> outcomes` (raises the
    request's own error). Both run on the event loop's thread, so a held connection per
    thread (kernel.hot) is theirs alone.

    When to flush: a quiet server (the last flush answered one request, or ended more than
    `busy_window_s` ago) flushes as soon as the event loop gets to it: a lone client waits for
    nothing. A busy one waits until three quarters as many requests have joined as the last
    flush answered (those clients are sending their next requests), or `max_wait_s`, whichever
    comes first; requests already in the loop's queue join too. Without that wait the server
    hands requests to the loop one at a time, and under PAYT's ingest load 46 % of the
    transactions held one position."""

    def __init__(self, store_batch: Callable[[list[Any]], Sequence[Any]],
                 store_alone: Callable[[list[Any]], Sequence[Any]], *, max_batch_items: int = MAX_BATCH_ITEMS,
                 max_wait_s: float = MAX_WAIT_S, busy_window_s: float = BUSY_WINDOW_S):
        self.store_batch = store_batch
        self.store_alone = store_alone
        self.max_batch_items = max_batch_items
        self.max_wait_s = max_wait_s
        self.busy_window_s = busy_window_s
        self._lanes: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Lane] = weakref.WeakKeyDictionary()
        # what happened so far: for operators and tests
        self.batches = 0  # transactions that committed
        self.items_stored = 0
        self.retried_batches = 0  # batches rolled back and stored request by request
        self.batch_sizes: Counter[int] = Counter()  # requests per committed transaction

    async def submit(self, items: list[Any]) -> list[Any]:
        """Store the items of one request (in order); returns their outcomes
        once they are committed."""
        loop = asyncio.get_running_loop()
        lane = self._lanes.get(loop)
        if lane is None:
            lane = self._lanes[loop] = Lane()
        waiter = Waiter(items, loop.create_future())
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
        while taken < len(waiters) and (taken == 0 or count + len(waiters[taken].items) <= self.max_batch_items):
            count += len(waiters[taken].items)
            taken += 1
        batch, lane.waiters = waiters[:taken], waiters[taken:]
        if lane.waiters:
            lane.flush_scheduled = True
            loop.call_soon(self._flush, loop, lane)
        if not batch:
            return
        try:
            self._store(batch)
        except BaseException as exc:  # a bug must not leave clients waiting forever
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
            items = [item for waiter in waiters for item in waiter.items]
            try:
                outcomes = self.store_batch(items)
            except Exception:
                # rolled back: store each request on its own, so only the culprit fails
                log.warning("a batch of %d items failed; storing them one request at a time", len(items),
                            exc_info=True)
                self.retried_batches += 1
            else:
                self._committed(len(waiters), len(items))
                start = 0
                for waiter in waiters:
                    end = start + len(waiter.items)
                    _resolve(waiter.future, outcomes[start:end])
                    start = end
                return
        for waiter in waiters:
            try:
                outcomes = self.store_alone(waiter.items)
            except Exception as exc:
                if not waiter.future.done():
                    waiter.future.set_exception(exc)
            else:
                self._committed(1, len(waiter.items))
                _resolve(waiter.future, outcomes)

    def _committed(self, requests: int, items: int) -> None:
        self.batches += 1
        self.items_stored += items
        self.batch_sizes[requests] += 1


def _resolve(future: asyncio.Future, outcomes: Sequence[Any]) -> None:
    if not future.done():  # a handler cancelled meanwhile (client gone): its items are stored anyway
        future.set_result(outcomes)


