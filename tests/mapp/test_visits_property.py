"""Late and out-of-order hits end up exactly as if they had arrived in order: the visits (and
each hit's visit and page duration) are a function of the set of hits, whatever order and
batches they came in."""

import itertools

from hypothesis import HealthCheck, given, settings, strategies as st

from polytrack.mapp import admin as mapp_admin
from tests.mapp.helpers import NOW_MS, p, settle, stored

T0 = NOW_MS - 20 * 3_600_000  # 16:00 Berlin the day before: visits cross midnight
_accounts = itertools.count(1)

hits_strategy = st.lists(
    st.tuples(
        st.sampled_from(["v1", "v2"]),                     # visitor
        st.integers(min_value=0, max_value=600),           # minutes after T0 (midnight at 480)
        st.sampled_from(["home", "list", "item,1", "Über"]),
        st.booleans(),                                     # an action rather than a page view
        st.integers(min_value=0, max_value=9),             # fns=1 when 0
    ),
    min_size=1, max_size=14,
)


def line(visitor, minute, page, action, session):
    extra = ("&ct=click" if action else "") + ("&fns=1" if session == 0 else "")
    return f"wt?p={p(page, T0 + minute * 60_000)}&eid={visitor}{extra}"


def send(http, track_id, hits, batch_sizes, services=None):
    """Send the hits in batches of `batch_sizes`, then one by one; with `services`, sessionise
    after each request (so visits are derived again around every late hit)."""
    position = 0
    for size in batch_sizes:
        chunk = hits[position:position + size]
        if chunk:
            body = "\n".join(line(*h) for h in chunk)
            assert http.post(f"/{track_id}/batch", content=body.encode()).status_code == 200
            if services is not None:
                settle(services)
        position += size
    for h in hits[position:]:
        assert http.get(f"/{track_id}/{line(*h)}").status_code == 200
        if services is not None:
            settle(services)


def derived(services, track_id):
    visits = stored(services, """
        SELECT v.visitor, v.start_ms, v.end_ms, v.day, v.hits, v.page_impressions, v.entry_page, v.exit_page, v.bounce
        FROM mapp_visits v JOIN mapp_accounts a ON a.id = v.account_id WHERE a.customer_id = :c""", c=track_id)
    hits = stored(services, """
        SELECT h.query, h.time_ms, h.duration_ms, v.start_ms
        FROM mapp_hits h JOIN mapp_accounts a ON a.id = h.account_id LEFT JOIN mapp_visits v ON v.id = h.visit_id
        WHERE a.customer_id = :c""", c=track_id)
    return sorted(visits), sorted(hits, key=repr)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(hits=hits_strategy, order=st.randoms(use_true_random=False),
       batch_sizes=st.lists(st.integers(min_value=1, max_value=5), max_size=3))
def test_visits_do_not_depend_on_arrival_order(http, services, hits, order, batch_sizes):
    in_order, shuffled = str(900000 + next(_accounts) * 2), str(900001 + next(_accounts) * 2)
    for customer_id in (in_order, shuffled):
        mapp_admin.create_account(services, title="Property", customer_id=customer_id)
    send(http, in_order, sorted(hits, key=lambda h: (h[1], line(*h))), [])
    late = list(hits)
    order.shuffle(late)
    send(http, shuffled, late, batch_sizes, services)
    assert derived(services, shuffled) == derived(services, in_order)
    visits, _ = derived(services, in_order)
    # the same hit twice (same time and text) is a retransmission and counts once
    assert sum(visit[4] for visit in visits) == len({line(*h) for h in hits})


def test_workers_storing_hits_of_one_visitor_at_once_take_turns(services):
    """Four threads (each with its own connection, as four workers would have) store hits of one
    visitor and sessionise them at the same time; the visits are those of the hits sent in order."""
    import threading

    from polytrack.mapp.collect.pixel import parse_hit
    from polytrack.mapp.collect.sessions import sessionise_pending
    from polytrack.kernel.hot import CollectedDB
    from polytrack.mapp.collect.store import destination, store_hits

    for customer_id in ("800000000000001", "800000000000002"):
        mapp_admin.create_account(services, title="Concurrent", customer_id=customer_id)
    hits = [("v1", minute, "home", False, 1) for minute in [*range(0, 120, 5), *range(160, 280, 5)]]
    db = CollectedDB(services.engine)
    rounds = threading.Barrier(4)

    def store(customer_id, lines, together=False):
        where = destination(db, customer_id)
        for text in lines:
            if together:  # each round's four hits are stored at the same moment
                rounds.wait()
            with db.transaction():
                store_hits(db, [(where, parse_hit(text.partition("?")[2], received_ms=NOW_MS))])
            if together:  # the four sessionise at the same moment too
                rounds.wait()
            with db.transaction():
                sessionise_pending(db, where.account_id, where.zone)

    lines = [line(*h) for h in hits]
    threads = [threading.Thread(target=store, args=("800000000000001", lines[k::4], True)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    store("800000000000002", lines)
    with services.engine.connect() as connection:  # nothing was left to the background
        assert connection.exec_driver_sql("SELECT count(*) FROM mapp_hits WHERE pending").scalar() == 0
    assert derived(services, "800000000000001") == derived(services, "800000000000002")
    assert len(derived(services, "800000000000002")[0]) > 1


def test_a_late_hit_joins_a_chain_of_hits_longer_than_what_is_read_at_once(http, services):
    """Hits every 20 minutes for 16 hours make one chain (split at midnight); a late hit at
    its start re-derives it all, further than the first read reaches."""
    for customer_id in ("800000000000003", "800000000000004"):
        mapp_admin.create_account(services, title="Chain", customer_id=customer_id)
    hits = [("v1", minute, "home", False, 1) for minute in range(0, 16 * 60, 20)]
    send(http, "800000000000003", hits, [])
    send(http, "800000000000004", hits[1:] + hits[:1], [])
    assert derived(services, "800000000000004") == derived(services, "800000000000003")
