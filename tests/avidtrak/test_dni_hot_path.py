"""The swap endpoint's hot path: a page load is collected data, so it leaves the read caches
(the routing of calls, the sites the swap reads) warm, while a change made by an operation
empties them; concurrent swaps share transactions, each answered after its commit, and a call
to the number a visitor was shown is attributed to that visit."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import text

from polytrack.app import create_app
from tests.avidtrak.conftest import BASE, client
from tests.avidtrak.test_voice import A, incoming, joe, stored  # noqa: F401  (joe: a fixture)

pytestmark = pytest.mark.usefixtures("services")

SITE = "4105557000"
PAGE = "https://www.joesplumbing.example/?gclid=1"


def _endpoint_owner(app, path):
    return next(route.endpoint.__self__ for route in app.routes if getattr(route, "path", "") == path)


@pytest.fixture
def site_key(hooks, joe, pro_client):
    client(hooks, joe).call("set_smart_replacement", action="add", site_phone=[SITE])
    return pro_client["site_key"]


def test_a_swap_leaves_the_routing_cache_warm(hooks, joe, site_key):
    store = _endpoint_owner(hooks.app, "/voice/incoming").store
    sites = _endpoint_owner(hooks.app, "/dni/swap").sites
    assert b"<Dial" in incoming(hooks, "CAwarm1").content
    assert store.routes.lookup(A) is not None
    for n in range(3):
        answer = hooks.get("/dni/swap", params={"k": site_key, "vid": f"visitor-warm-{n}", "url": PAGE,
                                                "ts": "2024-06-12 10:00:00"})
        assert answer.status_code == 200 and answer.json()["swaps"][0]["tracking_number"] == A
    assert store.routes.lookup(A) is not None and sites.lookup(site_key) is not None
    assert b"<Dial" in incoming(hooks, "CAwarm2").content  # a call's commit leaves both warm too
    assert store.routes.lookup(A) is not None and sites.lookup(site_key) is not None
    # a change made by an operation empties them
    client(hooks, joe).call("update_number_setting", sid=[A], greet_caller="Welcome back.")
    assert store.routes.lookup(A) is None and sites.lookup(site_key) is None


def test_concurrent_swaps_share_transactions_and_calls_find_their_visit(hooks, services, clock, joe, site_key):
    app = create_app(services=services)
    store = _endpoint_owner(app, "/dni/swap").store

    async def send_all():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:
            async def one(n):
                return await http.get("/dni/swap", params={"k": site_key, "vid": f"visitor-group-{n:02d}",
                                                           "url": PAGE})
            return await asyncio.gather(*(one(n) for n in range(20)))

    answers = asyncio.run(send_all())
    assert all(answer.status_code == 200 for answer in answers)
    assert {answer.json()["swaps"][0]["tracking_number"] for answer in answers} == {A}
    assert store.group_commit.items_stored == 20 and store.group_commit.batches < 20
    with services.engine.connect() as conn:
        visits = conn.execute(text("SELECT count(*) FROM avidtrak_visits WHERE visitor_id LIKE 'visitor-group-%'"))
        shown = conn.execute(text("SELECT count(*) FROM avidtrak_visit_numbers WHERE tracking_number = :n"), {"n": A})
        assert (visits.scalar(), shown.scalar()) == (20, 20)
    # one visitor's next page, five minutes later: the same visit and number; a call to the
    # number then is attributed to the visit last shown it
    clock.advance(300)
    again = hooks.get("/dni/swap", params={"k": site_key, "vid": "visitor-group-07", "url": PAGE + "&p=2"}).json()
    assert again["visit_id"] == answers[7].json()["visit_id"] and again["swaps"][0]["tracking_number"] == A
    clock.advance(60)
    incoming(hooks, "CAvisit1")
    (call,) = stored(services, "CAvisit1")
    assert (call.visit_id, call.match_type, call.channel) == (again["visit_id"], "session", "gppc")
