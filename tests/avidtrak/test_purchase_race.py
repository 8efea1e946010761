"""Concurrent purchases of one number: exactly one wins, on SQLite and PostgreSQL, with real
threads each in its own transaction, as server workers would run them."""

import threading

import httpx
import pytest

from polytrack.avidtrak import billing, domain, numbers
from polytrack.avidtrak.errors import AvidTrakError
from polytrack.avidtrak.providers import SandboxProvider
from tests.avidtrak.conftest import call, create
from tests.serving import Server

pytestmark = pytest.mark.usefixtures("services")

BUYERS = 8


def test_one_number_many_buyers_exactly_one_success(http, admin, services):
    pincodes = [create(admin, kind="agency", userid=f"agency{i}", password="Agency2024", initial_credit="10")["pincode"]
                for i in range(BUYERS)]
    with services.transaction() as db:
        buyers = [domain.account_by_userid(db, f"agency{i}") for i in range(BUYERS)]
    provider, prices = SandboxProvider("token"), billing.Prices()
    start = threading.Barrier(BUYERS)
    outcomes: list[str] = []

    def buy(owner):
        start.wait()
        try:
            with services.transaction() as db:
                numbers.purchase(db, provider, prices, owner=owner, number_type="local", country="US",
                                 wanted=["4105550150", "4105550151"], now=services.clock.now(), tz_name="UTC")
            outcomes.append("purchased")
        except AvidTrakError as refused:
            outcomes.append(refused.error)

    threads = [threading.Thread(target=buy, args=(owner,)) for owner in buyers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["number_unavailable"] * (BUYERS - 1) + ["purchased"]
    owners = [pin for pin in pincodes if call(http, pin, "list_numbers")["code"] == 1]
    assert len(owners) == 1
    balances = sorted(call(http, pin, "get_remaining_balance")["data"]["balance"] for pin in pincodes)
    assert balances == ["10.00"] * (BUYERS - 1) + ["6.00"]  # only the winner paid, once per number


def test_over_http_against_two_server_workers(http, admin, database_url, tmp_path):
    """The same race through `polytrack serve --workers 2`: separate processes, one database."""
    pincodes = [create(admin, kind="agency", userid=f"racer{i}", password="Racer2024", initial_credit="10")["pincode"]
                for i in range(BUYERS)]
    start = threading.Barrier(BUYERS)
    outcomes: list[str] = []
    with Server("--db", database_url, "--workers", "2", "--osmand-port", "0", cwd=tmp_path) as server:

        def buy(pincode):
            with httpx.Client(base_url=server.url, timeout=60) as client:
                start.wait()
                answer = client.post("/webservice/api.php", data={
                    "pincode": pincode, "format": "json", "method": "purchase_number", "number_type": "local",
                    "number[]": "4105550160"}).json()
            outcomes.append("purchased" if answer["code"] == 1 else answer["data"]["error"])

        threads = [threading.Thread(target=buy, args=(pincode,)) for pincode in pincodes]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert sorted(outcomes) == ["number_unavailable"] * (BUYERS - 1) + ["purchased"]
    assert sorted(call(http, pin, "get_remaining_balance")["data"]["balance"] for pin in pincodes) == \
        ["10.00"] * (BUYERS - 1) + ["8.00"]
