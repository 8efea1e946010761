"""When the group commit flushes a batch (kernel.groupcommit alone, with a recording store).
How the OsmAnd ingest uses it, on real databases, is in tests/payt/test_ingest_batch.py."""

import asyncio

from polytrack.kernel.groupcommit import GroupCommit


class RecordingStore:
    def __init__(self):
        self.transactions: list[list] = []

    def store(self, items):
        self.transactions.append(list(items))
        return ["stored"] * len(items)


def test_a_busy_server_waits_for_the_clients_it_answered_and_a_quiet_one_for_nobody():
    recorder = RecordingStore()
    group = GroupCommit(recorder.store, recorder.store, max_wait_s=30.0, busy_window_s=0.5)

    async def main():
        async def burst(names):
            return await asyncio.gather(*(asyncio.wait_for(group.submit([name]), 5.0) for name in names))

        await burst(["a1", "b1", "c1"])  # quiet: flushed as soon as the loop got to it
        await burst(["a2", "b2", "c2"])  # busy: waits for three (not for the 30 s timer)
        await asyncio.sleep(0.6)  # longer than the busy window: quiet again
        await asyncio.wait_for(group.submit(["lone"]), 5.0)

    asyncio.run(main())
    assert recorder.transactions == [["a1", "b1", "c1"], ["a2", "b2", "c2"], ["lone"]]


def test_a_busy_server_stops_waiting_at_the_timer():
    recorder = RecordingStore()
    group = GroupCommit(recorder.store, recorder.store, max_wait_s=0.05, busy_window_s=5.0)

    async def main():
        await asyncio.gather(*(group.submit([name]) for name in ("a", "b", "c")))
        started = asyncio.get_running_loop().time()
        await asyncio.wait_for(group.submit(["a again"]), 5.0)  # b and c do not come back
        return asyncio.get_running_loop().time() - started

    waited = asyncio.run(main())
    assert recorder.transactions == [["a", "b", "c"], ["a again"]]
    assert 0.04 <= waited < 2.0


def test_a_batch_is_bounded_and_the_rest_follows_at_once():
    recorder = RecordingStore()
    group = GroupCommit(recorder.store, recorder.store, max_batch_items=4)

    async def main():
        await asyncio.gather(*(group.submit([f"{k}a", f"{k}b"]) for k in range(5)))

    asyncio.run(main())
    assert [len(t) for t in recorder.transactions] == [4, 4, 2]
    assert [item for t in recorder.transactions for item in t] == [f"{k}{x}" for k in range(5) for x in "ab"]
