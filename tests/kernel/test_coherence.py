"""Read caches and the shared generation: a commit in any process empties every cache."""

import subprocess
import sys
import time

from sqlalchemy import insert, select

from polytrack.kernel.coherence import CoherentCache, Generation, generation_for
from polytrack.kernel.hot import HotDB
from polytrack.kernel.sql import transaction
from polytrack.kernel.sql import Statement
from polytrack.kernel.tables import kernel_call_log


def test_a_bump_in_another_process_is_seen(tmp_path):
    generation = Generation(tmp_path / "db-generation")
    before = generation.current()
    code = (
        "import sys; from pathlib import Path; from polytrack.kernel.coherence import Generation; "
        "Generation(Path(sys.argv[1])).bump()"
    )
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "db-generation")], check=True)
    assert generation.current() != before


def test_cache_holds_values_until_the_generation_changes(tmp_path):
    generation = Generation(tmp_path / "g")
    cache = CoherentCache(generation)
    assert cache.lookup("k") is None
    cache.store("k", "v", cache.snapshot())
    assert cache.lookup("k") == "v"
    generation.bump()
    assert cache.lookup("k") is None
    cache.store("k", "v2", cache.snapshot())
    assert cache.lookup("k") == "v2"


def test_a_value_read_before_a_commit_is_not_kept(tmp_path):
    generation = Generation(tmp_path / "g")
    cache = CoherentCache(generation)
    cache.lookup("k")
    snapshot = cache.snapshot()
    generation.bump()  # someone commits while the value is being read
    cache.store("k", "stale", snapshot)
    assert cache.lookup("k") is None
    assert cache.lookup("k") is None


def test_entries_age_out_and_a_disabled_cache_holds_nothing(tmp_path):
    generation = Generation(tmp_path / "g")
    cache = CoherentCache(generation, max_age=0.05)
    cache.store("k", "v", cache.snapshot())
    assert cache.lookup("k") == "v"
    time.sleep(0.06)
    assert cache.lookup("k") is None
    off = CoherentCache(generation, enabled=False)
    off.store("k", "v", off.snapshot())
    assert off.lookup("k") is None


def test_a_full_cache_starts_over(tmp_path):
    cache = CoherentCache(Generation(tmp_path / "g"), max_entries=2)
    for key in "abc":
        cache.store(key, key, cache.snapshot())
    assert [cache.lookup(k) for k in "abc"] == [None, None, "c"]


def test_engine_commits_bump_when_rows_changed(engine):
    generation = generation_for(engine.url)
    before = generation.current()
    with transaction(engine) as conn:
        conn.execute(insert(kernel_call_log).values(at=1.0, api="t", operation="o", account="", outcome="ok", duration_ms=1))
    assert generation.current() != before
    if engine.dialect.name == "sqlite":  # PostgreSQL counts every commit
        before = generation.current()
        with transaction(engine) as conn:
            conn.execute(select(kernel_call_log.c.id)).all()
        assert generation.current() == before
    before = generation.current()
    try:
        with transaction(engine) as conn:
            conn.execute(insert(kernel_call_log).values(at=2.0, api="t", operation="o", account="", outcome="ok", duration_ms=1))
            raise RuntimeError("rolled back")
    except RuntimeError:
        pass
    assert generation.current() == before


_WRITE = Statement("INSERT INTO kernel_call_log (at, api, operation, account, outcome, duration_ms) VALUES (?, 't', 'o', '', 'ok', 1)")
_COUNT = Statement("INSERT INTO kernel_call_log (at, api, operation, account, outcome, duration_ms) VALUES (?, 't', 'o', '', 'ok', 1)",
                      bookkeeping=True)
_READ = Statement("SELECT count(*) FROM kernel_call_log")


def test_hot_writes_bump_except_bookkeeping(engine):
    hot = HotDB(engine)
    try:
        generation = hot.generation
        before = generation.current()
        hot.one(_READ)
        hot.run(_COUNT, (1.0,))
        with hot.transaction(bookkeeping=True):
            hot.many(_COUNT, [(2.0,), (3.0,)])
        assert generation.current() == before
        hot.run(_WRITE, (4.0,))
        assert generation.current() != before
        before = generation.current()
        with hot.transaction():
            hot.run(_WRITE, (5.0,))
            assert generation.current() == before  # not before the COMMIT
        assert generation.current() != before
    finally:
        hot.close()


def test_values_share_a_byte_budget(tmp_path):
    cache = CoherentCache(Generation(tmp_path / "g"), max_bytes=100)
    cache.store("a", "A", cache.snapshot(), size=60)
    cache.store("b", "B", cache.snapshot(), size=30)
    assert [cache.lookup(k) for k in "ab"] == ["A", "B"]
    cache.store("c", "C", cache.snapshot(), size=30)  # over budget: start over
    assert [cache.lookup(k) for k in "abc"] == [None, None, "C"]
    cache.store("huge", "H", cache.snapshot(), size=101)  # never kept
    assert cache.lookup("huge") is None and cache.lookup("c") == "C"


def test_collected_data_moves_only_the_caches_that_follow_it(tmp_path):
    generation = Generation(tmp_path / "g")
    accounts = CoherentCache(generation)
    reports = CoherentCache(generation, follows_collected=True)
    for cache in (accounts, reports):
        cache.store("k", "v", cache.snapshot())
    generation.bump(collected=True)  # e.g. an ingest batch
    assert accounts.lookup("k") == "v" and reports.lookup("k") is None
    reports.store("k", "v", reports.snapshot())
    generation.bump()  # any other change
    assert accounts.lookup("k") is None and reports.lookup("k") is None


def test_an_ingest_connection_moves_the_collected_marker(engine):
    class Collecting(HotDB):
        collected = True

    hot = Collecting(engine)
    try:
        before_main, before_all = hot.generation.current(), hot.generation.current_with_collected()
        with hot.transaction():
            hot.run(_WRITE, (6.0,))
        assert hot.generation.current() == before_main
        assert hot.generation.current_with_collected() != before_all
    finally:
        hot.close()


def test_get_or_load_loads_once_and_never_keeps_none(tmp_path):
    from polytrack.kernel.coherence import read_through

    cache = CoherentCache(Generation(tmp_path / "g"))
    loads = []
    assert cache.get_or_load("k", lambda: loads.append(1) or "v") == "v"
    assert cache.get_or_load("k", lambda: loads.append(1) or "other") == "v"
    assert cache.get_or_load("gone", lambda: loads.append(1)) is None
    assert cache.get_or_load("gone", lambda: loads.append(1)) is None
    assert len(loads) == 3
    assert read_through(None, "k", lambda: "fresh") == "fresh"
