"""Operator provisioning (spec §11.6) over HTTP and the CLI; the demo fixture."""

import json

import pytest

from polytrack import cli
from polytrack.avidtrak import demo
from tests.avidtrak.conftest import URL, call, create

pytestmark = pytest.mark.usefixtures("services")

ACCOUNTS = "/_polytrack/avidtrak/accounts"


def test_admin_needs_the_operator_token(http):
    assert http.post(ACCOUNTS, json={"kind": "agency", "userid": "acme", "password": "Passw0rd"}).status_code == 401
    assert http.get(f"{ACCOUNTS}/acme/ledger").status_code == 401


def test_create_agency_returns_pincode_and_site_key(http, admin):
    created = create(admin, kind="agency", userid="Acme.Agency", password="AcmePass1")
    assert set(created) == {"userid", "pincode", "site_key"}
    assert created["userid"] == "Acme.Agency"
    assert len(created["pincode"]) == 10 and created["pincode"].isdigit() and created["pincode"][0] != "0"
    assert len(created["site_key"]) == 36 and created["site_key"].isalnum()
    assert call(http, created["pincode"], "get_remaining_balance")["data"]["balance"] == "0.00"


@pytest.mark.parametrize("fields,status,needle", [
    ({"userid": "acme", "password": "Passw0rd"}, 400, "kind"),
    ({"kind": "boss", "userid": "acme", "password": "Passw0rd"}, 400, "kind"),
    ({"kind": "agency", "userid": "ab", "password": "Passw0rd"}, 400, "userid"),
    ({"kind": "agency", "userid": "acme\n", "password": "Passw0rd"}, 201, ""),  # trimmed
    ({"kind": "agency", "userid": "ac me", "password": "Passw0rd"}, 400, "userid"),
    ({"kind": "agency", "userid": "acme", "password": "short"}, 400, "password"),
    ({"kind": "agency", "userid": "acme", "password": "Passw0rd", "email": "nope"}, 400, "email"),
    ({"kind": "agency", "userid": "acme", "password": "Passw0rd", "contact_name": "x" * 101}, 400, "contact_name"),
    ({"kind": "agency", "userid": "acme", "password": "Passw0rd", "contact_name": "a\x00b"}, 400, "contact_name"),
    ({"kind": "agency", "userid": "acme", "password": "Passw0rd", "contact_number": "12345"}, 400, "contact_number"),
    ({"kind": "agency", "userid": "acme", "password": "Passw0rd", "domain": "not a domain"}, 400, "domain"),
    ({"kind": "agency", "userid": "acme", "password": "Passw0rd", "initial_credit": "1.234"}, 400, "initial_credit"),
    ({"kind": "agency", "userid": "acme", "password": "Passw0rd", "initial_credit": "-5"}, 400, "initial_credit"),
    ({"kind": "agency", "userid": "acme", "password": "Passw0rd", "initial_credit": "NaN"}, 400, "initial_credit"),
    ({"kind": "individual", "userid": "acme", "password": "Passw0rd"}, 400, "account_type"),
    ({"kind": "individual", "userid": "acme", "password": "Passw0rd", "account_type": "gold"}, 400, "account_type"),
    ({"kind": "client", "userid": "acme", "password": "Passw0rd", "account_type": "pro"}, 400, "agency"),
    ({"kind": "client", "userid": "acme", "password": "Passw0rd", "account_type": "pro", "agency": "ghost"}, 404, "ghost"),
])
def test_create_account_validation(admin, fields, status, needle):
    response = admin.post(ACCOUNTS, json=fields)
    assert response.status_code == status, response.text
    if status != 201:
        assert needle in response.json()["error"]


def test_garbage_admin_bodies_are_400(admin):
    assert admin.post(ACCOUNTS, content=b"{not json", headers={"content-type": "application/json"}).status_code == 400
    assert admin.post(ACCOUNTS, json=["a", "list"]).status_code == 400


def test_userids_are_unique_case_insensitively(admin, agency):
    response = admin.post(ACCOUNTS, json={"kind": "individual", "userid": "ACME_Agency", "password": "Passw0rd",
                                          "account_type": "pro"})
    assert response.status_code == 409 and response.json() == {"error": "User ID already exists"}


def test_clients_hang_only_under_agencies_and_have_no_wallet(admin, agency, pro_client):
    response = admin.post(ACCOUNTS, json={"kind": "client", "agency": "joesplumbing", "userid": "subclient",
                                          "password": "Passw0rd", "account_type": "lite"})
    assert response.status_code == 400
    response = admin.post(ACCOUNTS, json={"kind": "client", "agency": "acme_agency", "userid": "paid_client",
                                          "password": "Passw0rd", "account_type": "lite", "initial_credit": "5"})
    assert response.status_code == 400
    response = admin.post(f"{ACCOUNTS}/joesplumbing/credit", json={"amount": "5"})
    assert response.status_code == 400 and "agency" in response.json()["error"]


@pytest.mark.parametrize("body", [{}, {"amount": ""}, {"amount": "abc"}, {"amount": "0"}, {"amount": "1e3"},
                                  {"amount": "12345678901"}, {"amount": "0.001"}])
def test_bad_credit_amounts_change_nothing(http, admin, agency, body):
    assert admin.post(f"{ACCOUNTS}/acme_agency/credit", json=body).status_code == 400
    assert call(http, agency["pincode"], "get_remaining_balance")["data"]["balance"] == "50.00"
    assert len(admin.get(f"{ACCOUNTS}/acme_agency/ledger").json()["entries"]) == 1


def test_balance_overflow_is_refused_and_rolled_back(http, admin, agency):
    assert admin.post(f"{ACCOUNTS}/acme_agency/credit", json={"amount": "9999999999.99"}).status_code == 400
    assert call(http, agency["pincode"], "get_remaining_balance")["data"]["balance"] == "50.00"
    top = admin.post(f"{ACCOUNTS}/acme_agency/credit", json={"amount": "9999999949.99"})
    assert top.json() == {"balance": "9999999999.99", "account_status": "active"}
    assert admin.post(f"{ACCOUNTS}/acme_agency/credit", json={"amount": "0.01"}).status_code == 400
    assert call(http, agency["pincode"], "get_remaining_balance")["data"]["balance"] == "9999999999.99"


def test_unknown_userid_is_404(admin):
    assert admin.post(f"{ACCOUNTS}/ghost/credit", json={"amount": "5"}).status_code == 404
    assert admin.post(f"{ACCOUNTS}/ghost/pincode").status_code == 404
    assert admin.get(f"{ACCOUNTS}/ghost/ledger").status_code == 404


def test_client_ledger_shows_entries_concerning_it(admin, agency, pro_client):
    assert admin.get(f"{ACCOUNTS}/joesplumbing/ledger").json() == {"userid": "joesplumbing", "entries": []}


# --- CLI ------------------------------------------------------------------------------------------

def run_cli(capsys, database_url, *args):
    assert cli.main(["admin", "avidtrak", *args, "--db", database_url]) == 0
    return json.loads(capsys.readouterr().out)


def test_cli_create_credit_regenerate_and_ledger(http, capsys, database_url):
    agency = run_cli(capsys, database_url, "create-account", "--kind", "agency", "--userid", "cli_agency",
                     "--password", "CliPass1", "--initial-credit", "20")
    client = run_cli(capsys, database_url, "create-account", "--kind", "client", "--agency", "cli_agency",
                     "--userid", "cli_client", "--password", "CliPass1", "--account-type", "lite")
    assert client["site_key"] is None
    assert run_cli(capsys, database_url, "credit", "--userid", "cli_agency", "--amount", "-25") == {
        "balance": "-5.00", "account_status": "suspended"}
    assert call(http, client["pincode"], "get_remaining_balance")["data"]["account_status"] == "suspended"
    new = run_cli(capsys, database_url, "regenerate-pincode", "--userid", "cli_agency")["pincode"]
    assert call(http, agency["pincode"], "client_list")["code"] == 4
    assert call(http, new, "client_list")["data"][0]["pincode"] == client["pincode"]
    ledger = run_cli(capsys, database_url, "ledger", "--userid", "cli_agency")
    assert [e["amount"] for e in ledger["entries"]] == ["20.00", "-25.00"]


def test_cli_errors_exit_2_with_a_message(capsys, database_url):
    assert cli.main(["admin", "avidtrak", "credit", "--userid", "ghost", "--amount", "5", "--db", database_url]) == 2
    assert "ghost" in capsys.readouterr().err


# --- demo -----------------------------------------------------------------------------------------

def test_demo_fixture_is_the_spec_fixture_and_seeding_is_idempotent(http, admin):
    assert admin.post("/_polytrack/seed").status_code == 200
    assert admin.post("/_polytrack/seed").status_code == 200
    creds = demo.credentials("http://testserver")["avidtrak"]
    assert creds == {"url": "http://testserver/webservice/api.php", "agency_pincode": "4815162342",
                     "client_pincode": "7300914852", "site_key": "A51fc715d02561b62de8865a227adbe7d70b",
                     "track_js_url": "http://testserver/A51fc715d02561b62de8865a227adbe7d70b/track.js",
                     "webhook_url": "http://testserver/voice/incoming", "twilio_auth_token": None}
    rows = call(http, "4815162342", "client_list")["data"]
    assert [(r["userid"], r["pincode"], r["account_type"]) for r in rows] == [
        ("joesplumbing", "7300914852", "pro"), ("mikesradio", "6021774410", "lite")]
    assert rows[0]["site_key"] == "A51fc715d02561b62de8865a227adbe7d70b"
    balance = call(http, "7300914852", "get_remaining_balance")["data"]
    assert (balance["billed_to"], balance["account_status"]) == ("agency", "active")
    (example,) = demo.curl_examples("http://testserver", {"avidtrak": creds})
    query = example.split("?", 1)[1].rstrip("'")
    assert http.get(f"{URL}?{query}").json()["code"] == 1
