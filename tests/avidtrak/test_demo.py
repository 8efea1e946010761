"""The demo: numbers, forwarding, a round robin and three weeks of calls and visits, made through
the same code as live traffic, deterministic, and its credentials work."""

import time

import pytest
from twilio.request_validator import RequestValidator

from polytrack.avidtrak import demo
from tests.avidtrak.conftest import call

pytestmark = pytest.mark.usefixtures("services")

JOE, AGENCY, MIKE = "7300914852", "4815162342", "6021774410"


def test_demo_has_numbers_calls_and_visits(http, admin, services):
    started = time.monotonic()
    with services.transaction() as db:
        demo.seed(services, db)  # AvidTrak's part of `make run`: a second or two
    assert time.monotonic() - started < 10
    assert admin.post("/_polytrack/seed").status_code == 200  # every API's demo; AvidTrak's exists already
    numbers = call(http, JOE, "list_numbers")["data"]
    assert {n["number"]: n["assign_type"] for n in numbers} == {
        "4105550100": "gppc", "4105550102": "", "4105550103": "gppc", "4105550104": "gseo",
        "4105550105": "universal"}
    assert next(n for n in numbers if n["number"] == "4105550100")["round_robin_entries"] == 2
    calls = call(http, JOE, "call_logs", startdate="2000-01-01")["data"]
    assert len(calls) > 20
    assert {c["match_type"] for c in calls} >= {"session"} and {c["channel"] for c in calls} >= {"gppc", "gseo"}
    assert all(c["cost"] != "0.00" for c in calls if c["duration"] > 0)
    visits = call(http, JOE, "visit_data", filter="gppc", startdate="2000-01-01")["data"]
    assert sum(v["visits"] for v in visits) > 20 and sum(v["calls"] for v in visits) > 0
    assert call(http, MIKE, "lite_campaign", startdate="2000-01-01")["data"][0]["calls"] > 0
    assert call(http, JOE, "list_metro_numbers")["data"][0]["tracking_numbers"][0]["number"] == "4105550102"
    # seeding again adds nothing; the same history every time
    assert admin.post("/_polytrack/seed").status_code == 200
    assert call(http, JOE, "call_logs", startdate="2000-01-01")["data"] == calls


def test_demo_credentials_sign_a_call(http, admin, services):
    admin.post("/_polytrack/seed")
    creds = demo.credentials("http://testserver", services.settings)["avidtrak"]
    assert http.get(creds["track_js_url"].replace("http://testserver", "")).status_code == 200
    params = {"CallSid": "CA" + "d" * 32, "From": "+14435550000", "To": "+14105550104"}
    signature = RequestValidator(creds["twilio_auth_token"]).compute_signature(creds["webhook_url"], params)
    response = http.post("/voice/incoming", data=params, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200 and b"<Dial" in response.content
