"""client_list, get_remaining_balance, sealed pincodes, tenant isolation (spec §4, §6, §10.19-20)."""

import pytest
from sqlalchemy import select

from polytrack.avidtrak.client import AvidTrakClient, AvidTrakError
from polytrack.avidtrak.tables import avidtrak_accounts, avidtrak_ledger, avidtrak_server_keys, avidtrak_wallets
from polytrack.config import Settings
from tests.avidtrak.conftest import URL, call, create
from tests.conftest import ADMIN_TOKEN

pytestmark = pytest.mark.usefixtures("services")


def credit(admin, userid, amount, note=""):
    response = admin.post(f"/_polytrack/avidtrak/accounts/{userid}/credit", json={"amount": amount, "note": note})
    assert response.status_code == 200, response.text
    return response.json()


def balance(http, pincode):
    return call(http, pincode, "get_remaining_balance")["data"]


# --- client_list --------------------------------------------------------------------------------

def test_client_list_rows_ordered_by_userid_with_documented_keys(http, agency, lite_client, pro_client):
    body = call(http, agency["pincode"], "client_list")
    assert body["code"] == 1
    assert [row["userid"] for row in body["data"]] == ["joesplumbing", "mikesradio"]
    joe, mike = body["data"]
    assert joe == {
        "userid": "joesplumbing", "pincode": pro_client["pincode"], "account_type": "pro",
        "contact_name": "Joseph Smith", "email": "owner@joesplumbing.example", "contact_number": "4105557788",
        "domain": "www.joesplumbing.example", "site_key": pro_client["site_key"], "status": "active",
        "created_on": "2024-06-12 12:00:00",
    }
    assert mike["site_key"] is None and mike["account_type"] == "lite" and mike["contact_name"] == ""
    assert mike["pincode"] == lite_client["pincode"]


def test_client_list_xml_rows(http, agency, lite_client, pro_client):
    root = call(http, agency["pincode"], "client_list", "xml")
    rows = root.find("data").findall("row")
    assert [r.findtext("userid") for r in rows] == ["joesplumbing", "mikesradio"]
    assert [c.tag for c in rows[1]] == ["userid", "pincode", "account_type", "contact_name", "email",
                                        "contact_number", "domain", "site_key", "status", "created_on"]
    assert rows[1].find("site_key").text is None and len(rows[1].find("site_key")) == 0
    assert rows[1].findtext("pincode") == lite_client["pincode"]


def test_client_list_pincodes_log_in(http, agency, pro_client, lite_client):
    rows = call(http, agency["pincode"], "client_list")["data"]
    for row in rows:
        assert balance(http, row["pincode"])["billed_to"] == "agency"
        # the listed pincode is the client's own: it is refused the agency-only method
        assert call(http, row["pincode"], "client_list")["data"]["error"] == "agency_only"


def test_client_list_without_clients_is_no_data(http, agency):
    assert call(http, agency["pincode"], "client_list") == {
        "code": 0, "status": "Unknown Error", "data": {"error": "no_data", "message": "No data found"}}


def test_client_list_is_agency_only_for_individuals_too(http, admin):
    solo = create(admin, kind="individual", userid="solo_shop", password="Solo2024", account_type="pro")
    assert call(http, solo["pincode"], "client_list")["data"]["error"] == "agency_only"


def test_client_status_follows_the_agency_wallet(http, admin, agency, pro_client):
    credit(admin, "acme_agency", "-50.01")
    assert call(http, agency["pincode"], "client_list")["data"][0]["status"] == "suspended"
    assert balance(http, pro_client["pincode"])["account_status"] == "suspended"


def test_created_on_uses_the_server_time_zone(services, admin, agency, pro_client):
    from polytrack.app import create_app
    from starlette.testclient import TestClient

    services.settings.api["avidtrak.timezone"] = "America/New_York"
    with TestClient(create_app(services=services)) as other:
        rows = call(other, agency["pincode"], "client_list")["data"]
    assert rows[0]["created_on"] == "2024-06-12 08:00:00"


# --- tenant isolation ---------------------------------------------------------------------------

def test_one_agency_never_sees_another_agencys_clients(http, admin, agency, pro_client):
    other = create(admin, kind="agency", userid="globex", password="Globex2024")
    assert call(http, other["pincode"], "client_list")["data"]["error"] == "no_data"
    create(admin, kind="client", agency="globex", userid="globex_client", password="Client2024", account_type="lite")
    theirs = call(http, other["pincode"], "client_list")["data"]
    mine = call(http, agency["pincode"], "client_list")["data"]
    assert [r["userid"] for r in theirs] == ["globex_client"]
    assert [r["userid"] for r in mine] == ["joesplumbing"]
    assert balance(http, other["pincode"])["balance"] == "0.00"
    assert balance(http, agency["pincode"])["balance"] == "50.00"


def test_sealed_pincode_copied_to_another_row_does_not_open(http, services, admin, agency, pro_client, lite_client):
    with services.transaction() as conn:
        sealed = conn.execute(select(avidtrak_accounts.c.pincode_sealed)
                              .where(avidtrak_accounts.c.userid == "joesplumbing")).scalar_one()
        conn.execute(avidtrak_accounts.update().where(avidtrak_accounts.c.userid == "mikesradio")
                     .values(pincode_sealed=sealed))
    rows = call(http, agency["pincode"], "client_list")["data"]
    assert rows[0]["pincode"] == pro_client["pincode"]
    assert rows[1]["pincode"] is None  # never another client's pincode


def test_database_never_holds_a_pincode_in_the_clear(services, agency, pro_client, lite_client):
    pincodes = {agency["pincode"], pro_client["pincode"], lite_client["pincode"]}
    with services.engine.connect() as conn:
        for table in (avidtrak_accounts, avidtrak_wallets, avidtrak_ledger, avidtrak_server_keys):
            for row in conn.execute(select(table)):
                text = " ".join(str(v) for v in row)
                assert not any(p in text for p in pincodes), table.name


def test_configured_seal_secret_keeps_the_key_out_of_the_database(database_url, engine, clock):
    from polytrack.app import create_app
    from polytrack.kernel.db import wipe
    from polytrack.services import Services
    from starlette.testclient import TestClient

    wipe(engine)
    settings = Settings(db=database_url, admin_token=ADMIN_TOKEN, osmand_port=0,
                        api={"avidtrak.seal_secret": "operator-chosen-secret"})
    services = Services.build(settings, engine=engine, clock=clock)
    with TestClient(create_app(services=services)) as client:
        client.headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
        agency = create(client, kind="agency", userid="acme_agency", password="AcmePass1")
        joe = create(client, kind="client", agency="acme_agency", userid="joesplumbing", password="Pipes2024",
                     account_type="pro")
        assert call(client, agency["pincode"], "client_list")["data"][0]["pincode"] == joe["pincode"]
    with engine.connect() as conn:
        assert conn.execute(select(avidtrak_server_keys)).first() is None


# --- pincode regeneration -----------------------------------------------------------------------

def test_regenerating_a_client_pincode_kills_the_old_one(http, admin, agency, pro_client):
    response = admin.post("/_polytrack/avidtrak/accounts/joesplumbing/pincode")
    assert response.status_code == 200
    new = response.json()["pincode"]
    assert new != pro_client["pincode"] and len(new) == 10 and new.isdigit() and new[0] != "0"
    assert call(http, pro_client["pincode"], "get_remaining_balance")["code"] == 4
    assert call(http, new, "get_remaining_balance")["code"] == 1
    assert call(http, agency["pincode"], "client_list")["data"][0]["pincode"] == new


def test_regenerating_an_agency_pincode_keeps_client_pincodes_listable(http, admin, agency, pro_client, lite_client):
    new = admin.post("/_polytrack/avidtrak/accounts/ACME_AGENCY/pincode").json()["pincode"]
    assert call(http, agency["pincode"], "client_list")["code"] == 4
    rows = call(http, new, "client_list")["data"]
    assert {r["userid"]: r["pincode"] for r in rows} == {
        "joesplumbing": pro_client["pincode"], "mikesradio": lite_client["pincode"]}
    assert call(http, pro_client["pincode"], "get_remaining_balance")["code"] == 1


# --- balance and the ledger ---------------------------------------------------------------------

def test_balance_is_exact_decimal_money(http, admin, agency):
    for _ in range(3):
        credit(admin, "acme_agency", "0.10")
    assert credit(admin, "acme_agency", "0.20")["balance"] == "50.50"
    assert balance(http, agency["pincode"]) == {
        "balance": "50.50", "currency": "USD", "billed_to": "self", "account_status": "active"}


def test_negative_balance_suspends_and_a_credit_to_zero_lifts_it(http, admin, agency, pro_client):
    assert credit(admin, "acme_agency", "-53.5", "chargeback") == {"balance": "-3.50", "account_status": "suspended"}
    assert balance(http, pro_client["pincode"]) == {
        "balance": "-3.50", "currency": "USD", "billed_to": "agency", "account_status": "suspended"}
    assert credit(admin, "acme_agency", "3.50") == {"balance": "0.00", "account_status": "active"}
    assert balance(http, agency["pincode"])["account_status"] == "active"


def test_ledger_lists_every_change_with_balance_after(admin, agency):
    credit(admin, "acme_agency", "-60", "correction")
    entries = admin.get("/_polytrack/avidtrak/accounts/acme_agency/ledger").json()["entries"]
    assert [(e["type"], e["amount"], e["balance_after"], e["note"]) for e in entries] == [
        ("credit", "50.00", "50.00", "initial credit"), ("adjustment", "-60.00", "-10.00", "correction")]
    assert entries[0]["created_on"] == "2024-06-12 12:00:00"


def test_individual_pays_for_itself(http, admin):
    solo = create(admin, kind="individual", userid="solo_shop", password="Solo2024", account_type="lite",
                  initial_credit="12.5")
    assert solo["site_key"] is None
    assert balance(http, solo["pincode"]) == {
        "balance": "12.50", "currency": "USD", "billed_to": "self", "account_status": "active"}


# --- the Python client ------------------------------------------------------------------------

@pytest.mark.parametrize("fmt,use_post", [("json", False), ("xml", False), ("json", True), ("xml", True)])
def test_python_client_in_both_formats(http, agency, pro_client, fmt, use_post):
    client = AvidTrakClient(URL, agency["pincode"], fmt, http=http, use_post=use_post)
    assert client.call("get_remaining_balance")["balance"] == "50.00"
    assert client.call("client_list")[0]["pincode"] == pro_client["pincode"]
    with pytest.raises(AvidTrakError) as failure:
        AvidTrakClient(URL, pro_client["pincode"], fmt, http=http).call("client_list")
    assert failure.value.code == 0 and failure.value.error == "agency_only"
    with pytest.raises(AvidTrakError) as failure:
        AvidTrakClient(URL, "0000000000", fmt, http=http).call("client_list")
    assert (failure.value.code, failure.value.status, failure.value.data) == (4, "Authentication Failed", None)
