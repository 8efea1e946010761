"""Unknown pincodes count against the client's address; past the limit that address is refused
(rate_limited, right pincode or wrong), while the account goes on working from elsewhere."""

import pytest
from starlette.testclient import TestClient

from polytrack.app import create_app
from polytrack.config import Settings
from tests.avidtrak.conftest import call
from tests.conftest import ADMIN_TOKEN

pytestmark = pytest.mark.usefixtures("services")

LIMIT = 3
RATE_LIMITED = {"code": 0, "status": "Unknown Error",
                "data": {"error": "rate_limited", "message": "Too many requests, please slow down"}}


@pytest.fixture
def settings(database_url):
    return Settings(db=database_url, admin_token=ADMIN_TOKEN, osmand_port=0, read_cache="on",
                    api={"avidtrak.failed_auth_limit": LIMIT, "avidtrak.failed_auth_period": 600})


def guess(client, n: int) -> dict:
    return call(client, f"{1_000_000_000 + n}", "get_remaining_balance")


def test_failed_pincodes_block_the_address_not_the_account(app, admin, agency):
    attacker = TestClient(app, client=("10.1.2.3", 1234))
    owner_elsewhere = TestClient(app, client=("10.9.9.9", 1234))
    assert call(attacker, agency["pincode"], "get_remaining_balance")["code"] == 1  # the right one counts nothing
    for n in range(LIMIT):
        assert guess(attacker, n)["code"] == 4
    # the right pincode from that address gets what a wrong one gets: nothing to learn from
    assert call(attacker, agency["pincode"], "get_remaining_balance") == RATE_LIMITED
    assert guess(attacker, 99) == RATE_LIMITED
    root = call(attacker, agency["pincode"], "client_list", "xml")
    assert root.findtext("code") == "0" and root.find("data").findtext("error") == "rate_limited"
    # what checks no pincode is answered as before
    assert call(attacker, None, "get_remaining_balance")["code"] == 3
    assert call(attacker, agency["pincode"], "get_remaining_balance", "yaml")["code"] == 6
    # the owner, calling from elsewhere, goes on
    assert call(owner_elsewhere, agency["pincode"], "get_remaining_balance")["code"] == 1
    assert guess(owner_elsewhere, 1)["code"] == 4
    entries = admin.get("/_polytrack/calls", params={"api": "avidtrak"}).json()["calls"]
    assert [(e["account"], e["outcome"]) for e in entries].count(("", "rate_limited")) == 3


def test_the_address_may_try_again_after_the_period(services, app, clock, agency):
    attacker = TestClient(app, client=("10.1.2.3", 1234))
    for n in range(LIMIT):
        guess(attacker, n)
    assert call(attacker, agency["pincode"], "get_remaining_balance") == RATE_LIMITED
    clock.advance(1200)  # two periods: the failures have slid out of the window
    restarted = TestClient(create_app(services=services), client=("10.1.2.3", 1234))  # no remembered answer
    assert call(restarted, agency["pincode"], "get_remaining_balance")["code"] == 1


def test_failures_are_counted_for_every_worker(services, agency):
    """The count lives in the database: a second app (another worker) refuses the address too."""
    first = TestClient(create_app(services=services), client=("10.1.2.3", 1234))
    for n in range(LIMIT):
        guess(first, n)
    second = TestClient(create_app(services=services), client=("10.1.2.3", 1234))
    assert call(second, agency["pincode"], "get_remaining_balance") == RATE_LIMITED


@pytest.mark.parametrize("knobs", [{"avidtrak.failed_auth_limit": 0}, {}], ids=["limit-0", "rate-limits-off"])
def test_turned_off(database_url, engine, clock, agency, knobs):
    from polytrack.services import Services

    settings = Settings(db=database_url, admin_token=ADMIN_TOKEN, osmand_port=0, api=knobs,
                        rate_limits=bool(knobs))
    client = TestClient(create_app(services=Services.build(settings, engine=engine, clock=clock)),
                        client=("10.1.2.3", 1234))
    for n in range(25):
        assert guess(client, n)["code"] == 4
    assert call(client, agency["pincode"], "get_remaining_balance")["code"] == 1
