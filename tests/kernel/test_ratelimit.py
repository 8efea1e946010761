"""kernel.ratelimit: a sliding-window estimate over two fixed windows, shared through the database."""

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from polytrack.kernel.sql import Transaction
from polytrack.kernel.ratelimit import RateLimiter
from polytrack.kernel.tables import kernel_rate_windows

WINDOW_START = datetime(2024, 6, 12, 12, 0, tzinfo=timezone.utc)  # a multiple of 60 s and 10 s


@pytest.fixture
def at_window_start(clock):
    clock.set(WINDOW_START)
    return clock


def hit(services, key="k", limit=3, period=60):
    with services.transaction() as conn:
        return services.limiter.hit(conn, key, limit=limit, period=period)


def test_limit_within_one_window(services, at_window_start):
    assert [hit(services).allowed for _ in range(4)] == [True, True, True, False]


def test_refused_hits_count_and_retry_after(services, at_window_start):
    at_window_start.advance(15)
    decisions = [hit(services) for _ in range(6)]
    assert [d.estimate for d in decisions] == [1, 2, 3, 4, 5, 6]
    assert decisions[-1].retry_after == 45
    assert decisions[0].retry_after == 0


def test_last_second_of_a_window_and_first_of_the_next(services, at_window_start):
    at_window_start.advance(59.999)
    assert [hit(services).allowed for _ in range(3)] == [True, True, True]
    at_window_start.advance(0.001)  # the next window starts: the previous one still weighs fully
    refused = hit(services)
    assert not refused.allowed and refused.estimate == pytest.approx(1 + 3)


def test_previous_window_weighs_less_as_the_window_advances(services, at_window_start):
    for _ in range(4):
        hit(services)  # 3 allowed + 1 refused: 4 counted
    at_window_start.advance(60 + 45)  # 75 % into the next window
    decision = hit(services)
    assert decision.estimate == pytest.approx(1 + 4 * 0.25) and decision.allowed
    assert hit(services).estimate == pytest.approx(2 + 1)
    assert not hit(services).allowed  # 3 + 1 > 3


def test_a_gap_of_two_windows_forgets_the_past(services, at_window_start):
    for _ in range(10):
        hit(services)
    at_window_start.advance(120)
    decision = hit(services)
    assert decision.allowed and decision.estimate == 1


def test_keys_are_independent(services, at_window_start):
    for _ in range(3):
        hit(services, key="a")
    assert not hit(services, key="a").allowed
    assert hit(services, key="b").allowed


def test_short_periods(services, at_window_start):
    assert [hit(services, limit=5, period=10).allowed for _ in range(6)] == [True] * 5 + [False]
    at_window_start.advance(20)
    assert hit(services, limit=5, period=10).allowed


def test_clock_behind_the_stored_window_counts_in_the_stored_window(services, at_window_start):
    at_window_start.advance(61)
    hit(services)
    at_window_start.advance(-2)  # another worker's clock, a little behind
    assert hit(services).estimate >= 2


def test_disabled_or_unlimited_always_allows_and_stores_nothing(services, at_window_start):
    off = RateLimiter(at_window_start, enabled=False)
    with services.transaction() as conn:
        assert all(off.hit(conn, "k", limit=1, period=60).allowed for _ in range(5))
        assert services.limiter.hit(conn, "k", limit=0, period=60).allowed
    with services.engine.connect() as conn:
        assert conn.execute(select(kernel_rate_windows)).all() == []


def test_hit_rolls_back_with_its_transaction(services, at_window_start):
    conn = services.engine.connect()
    with conn.begin() as tx:
        services.limiter.hit(Transaction(conn), "k", limit=3, period=60)
        tx.rollback()
    conn.close()
    assert hit(services).estimate == 1


def test_purge_drops_old_windows(services, at_window_start):
    hit(services, key="old")
    at_window_start.advance(3 * 3600)
    hit(services, key="new")
    with services.transaction() as conn:
        assert services.limiter.purge(conn) == 1
    with services.engine.connect() as conn:
        assert [r.key for r in conn.execute(select(kernel_rate_windows))] == ["new"]


# --- leases: slots taken from the database in small batches ---------------------------------

def stored_count(services, key="k"):
    with services.engine.connect() as conn:
        return conn.execute(select(kernel_rate_windows.c.count).where(kernel_rate_windows.c.key == key)).scalar()


def test_large_limits_are_leased_in_batches(services, at_window_start):
    decisions = [hit(services, limit=1000).allowed for _ in range(45)]
    assert all(decisions)
    # 2 % of 1000 = 20 slots per database write: 45 calls took three batches.
    assert stored_count(services) == 60


def test_processes_together_never_exceed_the_limit(services, clock, at_window_start):
    """Two limiters on one database stand for two worker processes."""
    other = RateLimiter(clock)
    limit = 300
    allowed = 0
    for i in range(600):
        limiter = services.limiter if i % 2 else other
        with services.transaction() as conn:
            allowed += limiter.hit(conn, "shared", limit=limit, period=60).allowed
    # Never more than the limit; at most one unspent lease slot per process short of it.
    assert limit - 2 <= allowed <= limit


def test_leases_end_with_their_window(services, at_window_start):
    assert hit(services, limit=1000).allowed
    at_window_start.advance(60)
    hit(services, limit=1000)
    with services.engine.connect() as conn:
        row = conn.execute(select(kernel_rate_windows).where(kernel_rate_windows.c.key == "k")).one()
    assert row.window_start == int(WINDOW_START.timestamp()) + 60 and row.previous_count == 20
