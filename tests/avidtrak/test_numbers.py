"""Tracking numbers over the API, in JSON and XML: search, purchase (and its rental charge),
transfer, assign, list_numbers with every filter, return to agency or telco; tenant isolation."""

import hashlib

import pytest

from polytrack.avidtrak import providers
from tests.avidtrak.conftest import FORMATS, as_sent, call, client, create, error_of

pytestmark = pytest.mark.usefixtures("services")


def sid_of(number):
    return "PN" + hashlib.md5(f"sandbox:+1{number}".encode()).hexdigest()


def buy(http, pincode, *wanted, number_type="local", **extra):
    return client(http, pincode).call("purchase_number", number_type=number_type, number=list(wanted), **extra)


def ledger(admin, userid):
    return admin.get(f"/_polytrack/avidtrak/accounts/{userid}/ledger").json()["entries"]


def balance(http, pincode):
    return call(http, pincode, "get_remaining_balance")["data"]["balance"]


# --- search_number ------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_search_returns_the_lowest_available_numbers(http, agency, pro_client, fmt):
    buy(http, agency["pincode"], "4105550100")
    rows = client(http, pro_client["pincode"], fmt).call("search_number", quantity=2, number_type="local",
                                                          area_code="410")
    assert rows == as_sent([
        {"number": "4105550101", "friendly_name": "(410) 555-0101", "number_type": "local", "area_code": "410",
         "region": "", "rate_center": "", "country": "US", "monthly_fee": "2.00"},
        {"number": "4105550102", "friendly_name": "(410) 555-0102", "number_type": "local", "area_code": "410",
         "region": "", "rate_center": "", "country": "US", "monthly_fee": "2.00"}], fmt)


def test_search_toll_free_and_canada(http, agency):
    rows = client(http, agency["pincode"]).call("search_number", quantity=30, number_type="toll", area_code="888")
    assert len(rows) == 30 and rows[0]["number"] == "8885550100" and rows[0]["monthly_fee"] == "4.00"
    rows = client(http, agency["pincode"]).call("search_number", quantity=1, number_type="local", area_code="416",
                                                country="ca")
    assert rows[0]["country"] == "CA"


@pytest.mark.parametrize("fmt", FORMATS)
def test_search_errors_in_order(http, agency, fmt):
    pin = agency["pincode"]
    assert error_of(http, pin, "search_number", fmt)["parameter"] == "quantity"
    assert error_of(http, pin, "search_number", fmt, quantity=1)["parameter"] == "number_type"
    assert error_of(http, pin, "search_number", fmt, quantity=1, number_type="local")["parameter"] == "area_code"
    base = {"quantity": "1", "number_type": "local", "area_code": "410"}
    assert error_of(http, pin, "search_number", fmt, **{**base, "quantity": "0"})["parameter"] == "quantity"
    assert error_of(http, pin, "search_number", fmt, **{**base, "quantity": "31"}) == as_sent(
        {"error": "quantity_exceeded", "message": "Maximum quantity is 30"}, fmt)
    assert error_of(http, pin, "search_number", fmt, **{**base, "number_type": "mobile"})["parameter"] == "number_type"
    for area in ("41", "800", "abc"):
        assert error_of(http, pin, "search_number", fmt, **{**base, "area_code": area})["parameter"] == "area_code"
    assert error_of(http, pin, "search_number", fmt, **{**base, "number_type": "toll"})["parameter"] == "area_code"
    assert error_of(http, pin, "search_number", fmt, **{**base, "country": "USA"})["parameter"] == "country"
    assert error_of(http, pin, "search_number", fmt, **{**base, "country": "GB"}) == as_sent(
        {"error": "unsupported_country", "message": "Country not supported: GB", "parameter": "country"}, fmt)


def test_search_with_everything_taken_is_no_data(http, admin):
    rich = create(admin, kind="individual", userid="rich_shop", password="Rich2024", account_type="pro",
                  initial_credit="1000")
    for start in range(100, 200, 30):
        buy(http, rich["pincode"], *[f"4105550{n}" for n in range(start, min(start + 30, 200))])
    assert error_of(http, rich["pincode"], "search_number", quantity=1, number_type="local",
                    area_code="410")["error"] == "no_data"


# --- purchase_number ----------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_purchase_charges_the_month_and_answers_rows(http, admin, agency, pro_client, fmt):
    rows = client(http, pro_client["pincode"], fmt).call("purchase_number", number_type="local",
                                                          number=["(410) 555-0103", "+14105550104"])
    assert rows == as_sent([
        {"sid": sid_of("4105550103"), "number": "4105550103", "friendly_name": "(410) 555-0103",
         "number_type": "local", "owner": "joesplumbing", "monthly_fee": "2.00", "status": "purchased", "reason": ""},
        {"sid": sid_of("4105550104"), "number": "4105550104", "friendly_name": "(410) 555-0104",
         "number_type": "local", "owner": "joesplumbing", "monthly_fee": "2.00", "status": "purchased", "reason": ""},
    ], fmt)
    assert balance(http, pro_client["pincode"]) == "46.00"  # billed to the agency
    entries = ledger(admin, "acme_agency")
    assert [(e["type"], e["amount"], e["balance_after"], e["account"]) for e in entries[1:]] == [
        ("number_rental", "-2.00", "48.00", "joesplumbing"), ("number_rental", "-2.00", "46.00", "joesplumbing")]


@pytest.mark.parametrize("fmt", FORMATS)
def test_purchase_refusals_change_nothing(http, admin, agency, pro_client, fmt):
    pin = pro_client["pincode"]
    buy(http, agency["pincode"], "4105550100")
    assert error_of(http, pin, "purchase_number", fmt, number=["4105550101"])["parameter"] == "number_type"
    assert error_of(http, pin, "purchase_number", fmt, number_type="local")["parameter"] == "number"
    assert error_of(http, pin, "purchase_number", fmt, number_type="cell", number=["4105550101"])["parameter"] == \
        "number_type"
    assert error_of(http, pin, "purchase_number", fmt, number_type="local",
                    number=[f"41055501{n:02d}" for n in range(31)])["error"] == "quantity_exceeded"
    assert error_of(http, pin, "purchase_number", fmt, number_type="local", number=["4105550101", "12"]) == as_sent(
        {"error": "invalid_parameter", "message": "Invalid value for parameter: number", "parameter": "number",
         "values": ["12"]}, fmt)
    assert error_of(http, pin, "purchase_number", fmt, number_type="local", number=["4105550101"],
                    client_pin=pin)["error"] == "agency_only"
    assert error_of(http, pin, "purchase_number", fmt, number_type="toll",
                    number=["4105550101", "8005550100"]) == as_sent(
        {"error": "number_type_mismatch", "message": "Number does not match number_type", "numbers": ["4105550101"]},
        fmt)
    assert error_of(http, pin, "purchase_number", fmt, number_type="local",
                    number=["4105550100", "4105550101", "4105559999"]) == as_sent(
        {"error": "number_unavailable", "message": "Number not available for purchase",
         "numbers": ["4105550100", "4105559999"]}, fmt)
    many = [f"41055501{n:02d}" for n in range(1, 27)]  # 26 x 2.00 > 48.00
    assert error_of(http, pin, "purchase_number", fmt, number_type="local", number=many) == as_sent(
        {"error": "insufficient_balance", "message": "Insufficient balance", "required": "52.00",
         "balance": "48.00"}, fmt)
    assert balance(http, pin) == "48.00"
    assert call(http, pin, "list_numbers")["data"]["error"] == "no_data"


def test_suspended_payer_cannot_buy(http, admin, agency, pro_client):
    admin.post("/_polytrack/avidtrak/accounts/acme_agency/credit", json={"amount": "-50.01"})
    assert error_of(http, pro_client["pincode"], "purchase_number") == {
        "error": "account_suspended", "message": "Account is suspended because the balance is below zero"}


def test_agency_buys_straight_into_a_client(http, agency, pro_client, lite_client):
    rows = buy(http, agency["pincode"], "4105550100", client_pin=pro_client["pincode"])
    assert rows[0]["owner"] == "joesplumbing"
    assert call(http, pro_client["pincode"], "list_numbers")["data"][0]["number"] == "4105550100"
    assert call(http, agency["pincode"], "list_numbers")["data"]["error"] == "no_data"
    assert error_of(http, agency["pincode"], "purchase_number", number_type="local", number=["4105550101"],
                    client_pin="1234567890")["error"] == "invalid_client_pin"


def test_telephone_company_failure_on_some_numbers(http, admin, agency, monkeypatch):
    real = providers.SandboxProvider.purchase

    def refuse_0102(self, number, country):
        if number == "4105550102":
            raise providers.ProviderError("forced")
        return real(self, number, country)

    monkeypatch.setattr(providers.SandboxProvider, "purchase", refuse_0102)
    rows = buy(http, agency["pincode"], "4105550101", "4105550102")
    assert [(r["number"], r["status"], r["reason"], r["sid"]) for r in rows] == [
        ("4105550101", "purchased", "", sid_of("4105550101")), ("4105550102", "failed", "provider_error", "")]
    assert balance(http, agency["pincode"]) == "48.00"  # only the bought one is charged
    assert error_of(http, agency["pincode"], "purchase_number", number_type="local",
                    number=["4105550102"])["error"] == "provider_error"
    assert balance(http, agency["pincode"]) == "48.00"
    assert [e["type"] for e in ledger(admin, "acme_agency")] == ["credit", "number_rental"]


# --- transfer, assign, list ---------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_transfer_moves_numbers_to_a_client_and_resets_them(http, agency, pro_client, lite_client, fmt):
    buy(http, agency["pincode"], "8005550100", number_type="toll")
    sid = sid_of("8005550100")
    client(http, agency["pincode"]).call("assign_number", sid=[sid], type="gppc")
    rows = client(http, agency["pincode"], fmt).call("transfer_number", sid=[sid], client_pin=pro_client["pincode"])
    assert rows == as_sent([{"sid": sid, "number": "8005550100", "from": "acme_agency", "to": "joesplumbing",
                             "status": "transferred"}], fmt)
    mine = call(http, pro_client["pincode"], "list_numbers")["data"][0]
    assert (mine["number"], mine["assign_type"], mine["tracking_mode"]) == ("8005550100", "", "")
    # again to the same client: unchanged; from one client to another: allowed for the agency
    rows = client(http, agency["pincode"], fmt).call("transfer_number", sid=sid, client_pin=pro_client["pincode"])
    assert rows[0]["status"] == "unchanged"
    rows = client(http, agency["pincode"]).call("transfer_number", sid=["8005550100"], client_pin=lite_client["pincode"])
    assert (rows[0]["from"], rows[0]["to"]) == ("joesplumbing", "mikesradio")


def test_transfer_errors_and_isolation(http, admin, agency, pro_client):
    other = create(admin, kind="agency", userid="globex", password="Globex2024", initial_credit="10")
    buy(http, other["pincode"], "4105550150")
    pin = agency["pincode"]
    assert error_of(http, pro_client["pincode"], "transfer_number")["error"] == "agency_only"
    assert error_of(http, pin, "transfer_number", client_pin=pro_client["pincode"])["parameter"] == "sid"
    assert error_of(http, pin, "transfer_number", sid=["x"])["parameter"] == "client_pin"
    assert error_of(http, pin, "transfer_number", sid=["x"], client_pin=other["pincode"])["error"] == \
        "invalid_client_pin"
    assert error_of(http, pin, "transfer_number", sid=[sid_of("4105550150"), "junk"],
                    client_pin=pro_client["pincode"]) == {
        "error": "invalid_sid", "message": "Invalid sid", "sids": [sid_of("4105550150"), "junk"]}
    assert call(http, other["pincode"], "list_numbers")["data"][0]["number"] == "4105550150"


@pytest.mark.parametrize("fmt", FORMATS)
def test_assign_number_and_the_lite_rule(http, agency, pro_client, lite_client, fmt):
    buy(http, pro_client["pincode"], "4105550100")
    buy(http, lite_client["pincode"], "4105550101")
    rows = client(http, pro_client["pincode"], fmt).call("assign_number", sid=[sid_of("4105550100")], type="gppc")
    assert rows == as_sent([{"sid": sid_of("4105550100"), "number": "4105550100", "assign_type": "gppc",
                             "assign_label": "Google PPC", "tracking_mode": "pro", "forward_number": ""}], fmt)
    assert error_of(http, lite_client["pincode"], "assign_number", fmt, sid=["4105550101"], type="gppc")["error"] == \
        "pro_account_required"
    rows = client(http, lite_client["pincode"], fmt).call("assign_number", sid=["4105550101"], type="lite")
    assert rows[0]["tracking_mode"] == "lite"
    assert error_of(http, pro_client["pincode"], "assign_number", fmt, sid=["4105550100"], type="tv")["parameter"] == \
        "type"
    # another account's number is not found
    assert error_of(http, pro_client["pincode"], "assign_number", fmt, sid=["4105550101"], type="lite")["error"] == \
        "invalid_sid"


def test_assigned_number_inherits_the_mode_default(http, agency, pro_client):
    buy(http, pro_client["pincode"], "4105550100", "4105550101")
    client(http, pro_client["pincode"]).call("set_forwarding", type="pro", forward_number="4105559876")
    rows = client(http, pro_client["pincode"]).call("assign_number", sid=["4105550101"], type="bseo")
    assert rows[0]["forward_number"] == "4105559876"


@pytest.mark.parametrize("fmt", FORMATS)
def test_list_numbers_filters(http, agency, fmt):
    pin = agency["pincode"]
    buy(http, pin, "4105550100", "4435550100")
    buy(http, pin, "8005550100", number_type="toll")
    client(http, pin).call("assign_number", sid=["4435550100"], type="direct")
    listed = client(http, pin, fmt).call("list_numbers")
    assert [row["number"] for row in listed] == ["4105550100", "4435550100", "8005550100"]
    row = client(http, pin).call("list_numbers", number_type="local", assignment_type="assigned")[0]
    assert row == {
        "sid": sid_of("4435550100"), "number": "4435550100", "friendly_name": "(443) 555-0100",
        "number_type": "local", "area_code": "443", "country": "US", "assign_type": "direct",
        "assign_label": "Direct Visit", "tracking_mode": "pro", "forward_number": "", "extension": "",
        "use_default_first": "yes", "round_robin_entries": 0, "recording": 0, "greet_caller": "",
        "whisper_message": "", "enable_email": 0, "email_alerts": "", "metro_site_id": None,
        "lite_campaign_id": None, "monthly_fee": "2.00", "purchased_on": "2024-06-12 12:00:00"}
    assert [r["number"] for r in client(http, pin, fmt).call("list_numbers", assignment_type="unassigned")] == [
        "4105550100", "8005550100"]
    assert [r["number"] for r in client(http, pin, fmt).call("list_numbers", number_type="toll")] == ["8005550100"]
    assert [r["number"] for r in client(http, pin, fmt).call("list_numbers", area_code="410")] == ["4105550100"]
    assert error_of(http, pin, "list_numbers", fmt, area_code="555")["error"] == "no_data"
    for name, value in [("number_type", "x"), ("assignment_type", "some"), ("area_code", "41")]:
        assert error_of(http, pin, "list_numbers", fmt, **{name: value})["parameter"] == name


# --- return_number ------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_return_to_agency_resets_and_keeps_billing_there(http, agency, pro_client, fmt):
    buy(http, pro_client["pincode"], "4105550103")
    sid = sid_of("4105550103")
    client(http, pro_client["pincode"]).call("assign_number", sid=[sid], type="gppc")
    rows = client(http, pro_client["pincode"], fmt).call("return_number", sid=[sid], location="agency")
    assert rows == as_sent([{"sid": sid, "number": "4105550103", "location": "agency", "status": "returned"}], fmt)
    row = call(http, agency["pincode"], "list_numbers")["data"][0]
    assert (row["sid"], row["assign_type"]) == (sid, "")
    assert error_of(http, agency["pincode"], "return_number", fmt, sid=[sid], location="agency")["error"] == \
        "no_parent_agency"


@pytest.mark.parametrize("fmt", FORMATS)
def test_return_to_telco_is_gone_for_good(http, agency, pro_client, fmt):
    buy(http, pro_client["pincode"], "4105550103")
    rows = client(http, pro_client["pincode"], fmt).call("return_number", sid=["4105550103"])  # telco by default
    assert rows == as_sent([{"sid": sid_of("4105550103"), "number": "4105550103", "location": "telco",
                             "status": "returned"}], fmt)
    assert error_of(http, pro_client["pincode"], "assign_number", sid=[sid_of("4105550103")], type="gppc")["error"] == \
        "invalid_sid"
    searched = client(http, agency["pincode"]).call("search_number", quantity=5, number_type="local", area_code="410")
    assert "4105550103" not in [row["number"] for row in searched]
    assert error_of(http, agency["pincode"], "purchase_number", number_type="local",
                    number=["4105550103"])["error"] == "number_unavailable"
    assert error_of(http, pro_client["pincode"], "return_number", fmt, sid=["x"], location="moon")["parameter"] == \
        "location"


def test_release_failure_changes_nothing(http, agency, monkeypatch):
    buy(http, agency["pincode"], "4105550103")

    def refuse(self, sid):
        raise providers.ProviderError("forced")

    monkeypatch.setattr(providers.SandboxProvider, "release", refuse)
    assert error_of(http, agency["pincode"], "return_number", sid=["4105550103"])["error"] == "provider_error"
    assert call(http, agency["pincode"], "list_numbers")["data"][0]["number"] == "4105550103"


def test_a_refusal_midway_keeps_what_the_telephone_company_kept(http, agency, monkeypatch):
    """Several SIDs: released in turn until the telephone company refuses one; the ones it
    released are gone here too, the refused one and the rest are kept (Twilio releases each
    number with its own request, so a refusal midway cannot undo the ones before)."""
    wanted = ["4105550103", "4105550104", "4105550105"]
    for number in wanted:
        buy(http, agency["pincode"], number)
    released_at_provider = []

    def release(self, sid):
        if sid == sid_of("4105550104"):
            raise providers.ProviderError("forced")
        released_at_provider.append(sid)

    monkeypatch.setattr(providers.SandboxProvider, "release", release)
    rows = client(http, agency["pincode"]).call("return_number", sid=[sid_of(n) for n in wanted])
    assert {row["number"]: row["status"] for row in rows} == {
        "4105550103": "returned", "4105550104": "failed", "4105550105": "failed"}
    assert released_at_provider == [sid_of("4105550103")]
    kept = sorted(row["number"] for row in call(http, agency["pincode"], "list_numbers")["data"])
    assert kept == ["4105550104", "4105550105"]
    assert error_of(http, agency["pincode"], "purchase_number", number_type="local",
                    number=["4105550103"])["error"] == "number_unavailable"
