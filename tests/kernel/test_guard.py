"""Failed authentications per address: blocked after the limit, others unaffected."""

from polytrack.kernel.guard import FailedAuthGuard


def test_an_address_is_blocked_after_its_failures_and_others_are_not(services, clock):
    guard = FailedAuthGuard(services.limiter, services.hot, api="test", limit=3, period=60)
    other_worker = FailedAuthGuard(services.limiter, services.hot, api="test", limit=3, period=60)
    for _ in range(2):
        guard.failed("10.0.0.1")
    assert guard.blocked("10.0.0.1") == 0.0
    guard.failed("10.0.0.1")
    assert 0 < guard.blocked("10.0.0.1") <= 60
    assert other_worker.blocked("10.0.0.1") > 0  # shared through the database
    assert guard.blocked("10.0.0.2") == 0.0
    assert guard.blocked(None) == 0.0


def test_the_block_ends_when_the_window_slides_past(services, clock):
    guard = FailedAuthGuard(services.limiter, services.hot, api="test", limit=2, period=60)
    guard.failed("10.0.0.1")
    guard.failed("10.0.0.1")
    clock.advance(121)
    fresh = FailedAuthGuard(services.limiter, services.hot, api="test", limit=2, period=60)
    assert fresh.blocked("10.0.0.1") == 0.0


def test_apis_count_separately(services, clock):
    one = FailedAuthGuard(services.limiter, services.hot, api="one", limit=1, period=60)
    two = FailedAuthGuard(services.limiter, services.hot, api="two", limit=1, period=60)
    one.failed("10.0.0.1")
    assert one.blocked("10.0.0.1") > 0
    assert two.blocked("10.0.0.1") == 0.0
