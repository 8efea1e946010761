"""The issue's scenario end to end, over HTTP as the parties would talk to the server: an agency
creates a client, buys and transfers numbers, sets forwarding and a round robin; a Google PPC
visit gets a swapped number; a signed call to it arrives by webhook, is routed through the
round robin, billed, and shows in call_logs and visit_data attributed to the visit."""

import pytest

from tests.avidtrak.conftest import FORMATS, as_sent, call, client
from tests.avidtrak.test_voice import dial_result, incoming, status, stored, twiml

pytestmark = pytest.mark.usefixtures("services")


@pytest.mark.parametrize("fmt", FORMATS)
def test_agency_to_attributed_call(hooks, services, admin, agency, fmt):
    agency_api = client(hooks, agency["pincode"], fmt)
    joe = agency_api.call("create_account", userid="joesplumbing", password="Pipes2024", account_type="pro",
                          domain="www.joesplumbing.example")
    bought = agency_api.call("purchase_number", number_type="local", number=["4105550100", "4105550101"])
    sids = [row["sid"] for row in bought]
    moved = agency_api.call("transfer_number", sid=sids, client_pin=joe["pincode"])
    assert [row["status"] for row in moved] == ["transferred", "transferred"]

    joe_api = client(hooks, joe["pincode"], fmt)
    joe_api.call("assign_number", sid=sids, type="gppc")
    joe_api.call("set_forwarding", type="pro", forward_number="4105559876")
    joe_api.call("insert_round_robin", sid=sids, forwarding_number=["4105551111", "4105552222"],
                 label=["Front desk", "Joe cell"], use_default_first="no")
    joe_api.call("set_smart_replacement", action="add", site_phone="(410) 555-7000")

    visit = hooks.get("/dni/swap", params={
        "k": joe["site_key"], "vid": "3f6c1d2e-8a4b-4c5d-9e0f-112233445566", "ts": "2024-06-12 11:50:00",
        "url": "https://www.joesplumbing.example/?gclid=EAIaIQ&utm_term=emergency+plumber+baltimore",
        "ref": "https://www.google.com/"}).json()
    assert visit["channel"] == "gppc" and visit["keyword"] == "emergency plumber baltimore"
    (swap,) = visit["swaps"]
    tracking = swap["tracking_number"]
    assert swap["site_number"] == "4105557000" and tracking in ("4105550100", "4105550101")

    call_sid = "CA" + "9" * 32
    first = twiml(incoming(hooks, call_sid, to=tracking, CallerName="SMITH JOHN"))
    assert first[0][0].text == "+14105551111"  # use_default_first=no: the round robin only
    (row,) = stored(services)
    assert twiml(dial_result(hooks, row.id, 1, "no-answer", call_sid))[0][0].text == "+14105552222"
    twiml(dial_result(hooks, row.id, 2, "completed", call_sid))
    status(hooks, call_sid, 125)

    logged = joe_api.call("call_logs", startdate="2024-06-12")
    assert logged == as_sent([{
        "call_id": row.id, "call_sid": call_sid, "sid": sids[["4105550100", "4105550101"].index(tracking)],
        "tracking_number": tracking, "caller_number": "4435551234", "caller_name": "SMITH JOHN",
        "caller_city": "", "caller_state": "", "caller_zip": "", "caller_country": "",
        "call_start": "2024-06-12 12:00:00", "call_end": "2024-06-12 12:02:05", "duration": 125,
        "billable_minutes": 3, "cost": "0.15", "call_status": "answered", "forwarded_to": "4105552222",
        "recording_url": "", "channel": "gppc", "channel_label": "Google PPC", "campaign": "",
        "campaign_id": None, "adgroup": "", "keyword": "emergency plumber baltimore",
        "landing_page": "https://www.joesplumbing.example/?gclid=EAIaIQ&utm_term=emergency+plumber+baltimore",
        "referrer": "https://www.google.com/", "visit_id": visit["visit_id"], "match_type": "session"}], fmt)
    assert joe_api.call("visit_data", filter="gppc", startdate="2024-06-12") == as_sent([{
        "keyword": "emergency plumber baltimore", "filter": "gppc", "visits": 1, "calls": 1, "call_rate": "100.00",
        "first_visit": "2024-06-12 11:50:00", "last_visit": "2024-06-12 11:50:00"}], fmt)
    # billed to the agency: two rentals and three minutes
    assert call(hooks, agency["pincode"], "get_remaining_balance")["data"]["balance"] == "45.85"
    entries = admin.get("/_polytrack/avidtrak/accounts/acme_agency/ledger").json()["entries"]
    assert [(e["type"], e["amount"], e["account"]) for e in entries] == [
        ("credit", "50.00", "acme_agency"), ("number_rental", "-2.00", "acme_agency"),
        ("number_rental", "-2.00", "acme_agency"), ("talk_time", "-0.15", "joesplumbing")]
