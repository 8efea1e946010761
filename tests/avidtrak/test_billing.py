"""Prepaid money: rental at purchase and on the 1st of each month (idempotent per number and
month, also when runs race), suspension below $0, every change a ledger row."""

import json
import threading
from datetime import datetime, timezone

import pytest

from polytrack import cli
from polytrack.avidtrak import admin as avidtrak_admin
from tests.avidtrak.conftest import call, client, create, error_of
from tests.avidtrak.test_numbers import balance, buy, ledger, sid_of

pytestmark = pytest.mark.usefixtures("services")

JULY_1 = datetime(2024, 7, 1, 0, 5, tzinfo=timezone.utc)


def run(admin, month=None):
    response = admin.post("/_polytrack/avidtrak/jobs/monthly-rental", json={"month": month} if month else {})
    assert response.status_code == 200, response.text
    return response.json()


def test_rental_is_charged_at_purchase_and_once_per_month(http, admin, clock, agency, pro_client):
    buy(http, pro_client["pincode"], "4105550100")
    buy(http, agency["pincode"], "8005550100", number_type="toll")
    assert balance(http, agency["pincode"]) == "44.00"
    assert run(admin) == {"month": "2024-06", "charged": 0, "total": "0.00"}  # paid at purchase
    clock.set(JULY_1)
    assert run(admin) == {"month": "2024-07", "charged": 2, "total": "6.00"}
    assert run(admin) == {"month": "2024-07", "charged": 0, "total": "0.00"}
    assert balance(http, pro_client["pincode"]) == "38.00"
    rentals = [(e["sid"], e["period"], e["amount"], e["account"]) for e in ledger(admin, "acme_agency")
               if e["type"] == "number_rental"]
    assert sorted(rentals) == sorted([
        (sid_of("4105550100"), "2024-06", "-2.00", "joesplumbing"), (sid_of("8005550100"), "2024-06", "-4.00", "acme_agency"),
        (sid_of("4105550100"), "2024-07", "-2.00", "joesplumbing"), (sid_of("8005550100"), "2024-07", "-4.00", "acme_agency")])
    # a past month is billed only for numbers held then
    assert run(admin, "2024-05") == {"month": "2024-05", "charged": 0, "total": "0.00"}
    assert admin.post("/_polytrack/avidtrak/jobs/monthly-rental", json={"month": "2024-08"}).status_code == 400
    assert admin.post("/_polytrack/avidtrak/jobs/monthly-rental", json={"month": "July"}).status_code == 400


def test_released_numbers_are_not_billed_again(http, admin, clock, agency):
    buy(http, agency["pincode"], "4105550100", "4105550101")
    client(http, agency["pincode"]).call("return_number", sid=["4105550101"])
    clock.set(JULY_1)
    assert run(admin)["charged"] == 1


def test_negative_balance_suspends_and_blocks_purchases(http, admin, clock, agency, pro_client):
    buy(http, agency["pincode"], *[f"41055501{n:02d}" for n in range(24)])  # 48.00 of 50.00
    clock.set(JULY_1)
    assert run(admin)["total"] == "48.00"  # charged even into the negative
    assert call(http, pro_client["pincode"], "get_remaining_balance")["data"] == {
        "balance": "-46.00", "currency": "USD", "billed_to": "agency", "account_status": "suspended"}
    assert call(http, agency["pincode"], "client_list")["data"][0]["status"] == "suspended"
    assert error_of(http, pro_client["pincode"], "purchase_number", number_type="local",
                    number=["4105550150"])["error"] == "account_suspended"
    # everything else keeps working while suspended
    assert len(call(http, agency["pincode"], "list_numbers")["data"]) == 24
    admin.post("/_polytrack/avidtrak/accounts/acme_agency/credit", json={"amount": "50"})
    assert buy(http, pro_client["pincode"], "4105550150")[0]["status"] == "purchased"


def test_individual_pays_for_its_own_numbers(http, admin, clock):
    solo = create(admin, kind="individual", userid="solo_shop", password="Solo2024", account_type="pro",
                  initial_credit="5")
    buy(http, solo["pincode"], "4105550100")
    clock.set(JULY_1)
    run(admin)
    assert balance(http, solo["pincode"]) == "1.00"


def test_concurrent_runs_charge_each_number_once(http, admin, services, clock, agency):
    buy(http, agency["pincode"], *[f"41055501{n:02d}" for n in range(10)])
    clock.set(JULY_1)
    results, start = [], threading.Barrier(4)

    def job():
        start.wait()
        results.append(avidtrak_admin.monthly_rental(services, {}))

    threads = [threading.Thread(target=job) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(result["charged"] for result in results) == 10
    assert balance(http, agency["pincode"]) == "10.00"  # 50 - 20 at purchase - 20 in July


def test_bill_command(http, admin, agency, database_url, capsys):
    buy(http, agency["pincode"], "4105550100")
    assert cli.main(["avidtrak", "bill", "--db", database_url]) == 0  # the real clock: some later month
    first = json.loads(capsys.readouterr().out)
    assert (first["charged"], first["total"]) == (1, "2.00")
    assert cli.main(["avidtrak", "bill", "--db", database_url, "--month", first["month"]]) == 0
    assert json.loads(capsys.readouterr().out)["charged"] == 0
    assert balance(http, agency["pincode"]) == "46.00"
