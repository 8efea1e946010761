"""Derived data do not depend on arrival order: the same positions fed in any order (live, one
transaction each, late ones marking the vehicle dirty) and refreshed give exactly the trips,
stops, events and daily stats of an in-order feed. Property-tested with hypothesis."""

import random

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from polytrack.payt import derive, fleet
from tests.payt.fleetkit import derived, make_client, make_vehicle

pytestmark = pytest.mark.usefixtures("services")

# 2024-06-09 22:50 UTC = 23:50 in London: the feeds cross local midnight
START_MS = 1717973400000
RULES = derive.Rules()


def segments():
    stay = st.tuples(st.just("stay"), st.integers(1, 20), st.integers(5, 90))
    move = st.tuples(st.just("move"), st.integers(1, 40), st.integers(5, 60))
    gap = st.tuples(st.just("gap"), st.integers(3000, 8000), st.just(0))
    return st.lists(st.one_of(stay, move, gap), min_size=1, max_size=8)


def build_feed(plan, seed):
    """Fixes (t_ms, lat, lon, speed or None, ignition None) along a plan of stays, moves and gaps."""
    rng = random.Random(seed)
    t, lat, lon = START_MS, 51.5, -0.12
    feed = []
    for kind, count, interval in plan:
        if kind == "gap":
            t += count * 1000
            continue
        for _ in range(count):
            t += interval * 1000
            if kind == "move":
                speed = rng.uniform(15, 90)
                step = speed / 3.6 * interval
                lat += step / 111_000 * rng.choice((1, -1)) * rng.random()
                lon += step / 69_000 * rng.random()
            else:
                speed = rng.uniform(0, 1.5)
                lat += rng.uniform(-2e-5, 2e-5)
            reported = None if rng.random() < 0.2 else round(speed, 3)
            feed.append((t, round(lat, 7), round(lon, 7), reported, None))
    return feed


def feed_live(services, vehicle_id, fixes, refresh_every=0):
    context_rules = RULES
    for k, (t, lat, lon, speed, ignition) in enumerate(fixes, 1):
        with services.transaction() as conn:
            context = derive.load_context(conn, vehicle_id, context_rules, cached=False)
            derive.apply_live(conn, context_rules, context,
                              (vehicle_id, None, t, t, lat, lon, speed, None, None, None, None, ignition))
        if refresh_every and k % refresh_every == 0:
            with services.transaction() as conn:
                derive.ensure_fresh(conn, [vehicle_id], rules=context_rules)
    with services.transaction() as conn:
        derive.ensure_fresh(conn, [vehicle_id], rules=context_rules)
        return derived(conn, vehicle_id)


@pytest.fixture
def fleet_client(services):
    client_id = make_client(services)
    with services.transaction() as conn:
        fleet.create_location(conn, client_id, name="Depot", latitude=51.5, longitude=-0.12, radius_m=300)
    return client_id


counter = iter(range(10**9))


def delayed(feed, rng):
    """Mostly in order, as a tracker that buffers while offline: a few fixes arrive later."""
    arrivals = list(feed)
    for _ in range(len(arrivals) // 10 + (1 if arrivals else 0)):
        k = rng.randrange(len(arrivals))
        fix = arrivals.pop(k)
        arrivals.insert(min(len(arrivals), k + rng.randint(1, 60)), fix)
    return arrivals


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=segments(), seed=st.integers(0, 10**6), refresh_every=st.sampled_from([0, 1, 3, 7]),
       shuffle=st.sampled_from(["random", "delayed", "delayed"]))
def test_any_arrival_order_gives_in_order_result(services, fleet_client, plan, seed, refresh_every, shuffle):
    feed = build_feed(plan, seed)
    n = next(counter)
    in_order = make_vehicle(services, fleet_client, f"inorder-{n}")
    shuffled = make_vehicle(services, fleet_client, f"shuffled-{n}")
    expected = feed_live(services, in_order, feed)
    rng = random.Random(seed)
    if shuffle == "random":
        arrivals = list(feed)
        rng.shuffle(arrivals)
    else:
        arrivals = delayed(feed, rng)
    # a few retransmissions too: duplicates must change nothing
    arrivals += random.Random(seed + 1).sample(feed, min(3, len(feed)))
    assert feed_live(services, shuffled, arrivals, refresh_every) == expected


def test_batch_recompute_equals_live_feed(services, fleet_client):
    plan = [("stay", 12, 30), ("move", 40, 10), ("stay", 15, 30), ("move", 30, 15), ("gap", 5000, 0),
            ("move", 25, 10), ("stay", 20, 30)]
    feed = build_feed(plan, 7)
    vehicle = make_vehicle(services, fleet_client, "batch")
    live = feed_live(services, vehicle, feed)
    assert live["trips"] and live["stops"] and live["days"]
    with services.transaction() as conn:
        derive.recompute(conn, vehicle, None, rules=RULES)
        assert derived(conn, vehicle) == live


def test_late_fix_after_many_trips_resumes_from_a_checkpoint(services, fleet_client):
    plan = [("stay", 12, 30)] + [("move", 30, 10), ("stay", 14, 30)] * 5
    feed = build_feed(plan, 11)
    reference = make_vehicle(services, fleet_client, "reference")
    late = make_vehicle(services, fleet_client, "late")
    expected = feed_live(services, reference, feed)
    assert len(expected["trips"]) == 5
    held_back = feed[-20]  # inside the last stop: everything before it stays as it was
    feed_live(services, late, [f for f in feed if f is not held_back] + [held_back])
    with services.transaction() as conn:
        assert derived(conn, late) == expected
