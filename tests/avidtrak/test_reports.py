"""Reads computed from recorded calls and visits, in JSON and XML: call_logs (yesterday by
default), all_lite_calls, lite_campaign (after add_lite_campaign), visit_data."""

import pytest

from tests.avidtrak.conftest import FORMATS, as_sent, client, error_of
from tests.avidtrak.test_numbers import buy, sid_of
from tests.avidtrak.test_voice import ingest

pytestmark = pytest.mark.usefixtures("services")

A, L = "4105550100", "4105550101"


@pytest.fixture
def shop(hooks, agency, pro_client, lite_client):
    """joesplumbing: gppc number A forwarding to 4105559876; mikesradio: lite number L in the
    campaign "Spring Mailer"."""
    joe, mike = pro_client["pincode"], lite_client["pincode"]
    buy(hooks, joe, A)
    client(hooks, joe).call("assign_number", sid=[A], type="gppc")
    client(hooks, joe).call("set_forwarding", type="sid", sid=[A], forward_number="4105559876")
    buy(hooks, mike, L)
    return joe, mike


def a_call(http, sid, to, start, duration, answer_at=1, **extra):
    body = {"call_sid": sid, "to": to, "from": "+14435551234", "start": start, "duration": duration,
            "answer_at": answer_at, **extra}
    response = ingest(http, body)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.mark.parametrize("fmt", FORMATS)
def test_call_logs_default_to_yesterday(hooks, shop, fmt):
    joe, _ = shop
    first = a_call(hooks, "CA" + "1" * 32, A, "2024-06-11 15:04:05", 125, caller_name="SMITH JOHN",
                   caller_city="BALTIMORE", caller_state="MD", caller_zip="21201", caller_country="US")
    a_call(hooks, "CA" + "2" * 32, A, "2024-06-10 10:00:00", 10)  # the day before yesterday
    a_call(hooks, "CA" + "3" * 32, A, "2024-06-12 08:00:00", 10)  # today
    rows = client(hooks, joe, fmt).call("call_logs")
    assert rows == as_sent([{
        "call_id": first["call_id"], "call_sid": "CA" + "1" * 32, "sid": sid_of(A), "tracking_number": A,
        "caller_number": "4435551234", "caller_name": "SMITH JOHN", "caller_city": "BALTIMORE",
        "caller_state": "MD", "caller_zip": "21201", "caller_country": "US", "call_start": "2024-06-11 15:04:05",
        "call_end": "2024-06-11 15:06:10", "duration": 125, "billable_minutes": 3, "cost": "0.15",
        "call_status": "answered", "forwarded_to": "4105559876", "recording_url": "", "channel": "gppc",
        "channel_label": "Google PPC", "campaign": "", "campaign_id": None, "adgroup": "", "keyword": "",
        "landing_page": "", "referrer": "", "visit_id": None, "match_type": "none"}], fmt)
    ranged = client(hooks, joe, fmt).call("call_logs", Startdate="2024-06-10", Enddate="2024-06-12 23:59:59")
    assert [row["call_start"] for row in ranged] == ["2024-06-10 10:00:00", "2024-06-11 15:04:05",
                                                      "2024-06-12 08:00:00"]
    only_start = client(hooks, joe).call("call_logs", startdate="2024-06-11")
    assert len(only_start) == 2
    assert len(client(hooks, joe).call("call_logs", enddate="2024-06-10")) == 1


@pytest.mark.parametrize("fmt", FORMATS)
def test_call_logs_errors_and_isolation(hooks, shop, agency, fmt):
    joe, mike = shop
    a_call(hooks, "CA" + "4" * 32, A, "2024-06-11 09:00:00", 10)
    assert error_of(hooks, joe, "call_logs", fmt, startdate="2024-02-30") == as_sent(
        {"error": "invalid_date", "message": "Invalid date for parameter: startdate", "parameter": "startdate"}, fmt)
    assert error_of(hooks, joe, "call_logs", fmt, enddate="11/06/2024")["parameter"] == "enddate"
    assert error_of(hooks, joe, "call_logs", fmt, startdate="2024-06-12", enddate="2024-06-11") == as_sent(
        {"error": "invalid_date_range", "message": "startdate must not be later than enddate"}, fmt)
    # another account (the agency itself, the lite client) sees none of joe's calls
    assert error_of(hooks, agency["pincode"], "call_logs", fmt)["error"] == "no_data"
    assert error_of(hooks, mike, "call_logs", fmt)["error"] == "no_data"


def test_calls_stay_with_the_account_after_the_number_goes(hooks, shop):
    joe, _ = shop
    a_call(hooks, "CA" + "5" * 32, A, "2024-06-11 09:00:00", 10)
    client(hooks, joe).call("return_number", sid=[A])
    assert [row["tracking_number"] for row in client(hooks, joe).call("call_logs")] == [A]


@pytest.mark.parametrize("fmt", FORMATS)
def test_lite_campaign_and_its_calls(hooks, shop, fmt):
    _, mike = shop
    created = client(hooks, mike, fmt).call("add_lite_campaign", Title="Spring Mailer", sid=sid_of(L),
                                            adgroup="Direct mail", forward_number="4105559876")
    campaign_id = int(created["campaign_id"])
    assert created == as_sent({"campaign_id": campaign_id, "title": "Spring Mailer", "adgroup": "Direct mail",
                               "sid": sid_of(L), "number": L, "forward_number": "4105559876", "extension": "",
                               "status": "active", "created_on": "2024-06-12 12:00:00"}, fmt)
    a_call(hooks, "CA" + "6" * 32, L, "2024-06-11 09:12:44", 18, answer_at=0)
    a_call(hooks, "CA" + "7" * 32, L, "2024-06-11 10:00:00", 70)
    rows = client(hooks, mike, fmt).call("lite_campaign")
    assert rows == as_sent([{"campaign_id": campaign_id, "title": "Spring Mailer", "adgroup": "Direct mail",
                             "sid": sid_of(L), "number": L, "forward_number": "4105559876", "status": "active",
                             "created_on": "2024-06-12 12:00:00", "calls": 2, "answered_calls": 1,
                             "duration": 88}], fmt)
    lite_calls = client(hooks, mike, fmt).call("all_lite_calls")
    assert [(r["channel"], r["campaign"], r["adgroup"], r["call_status"], r["cost"]) for r in lite_calls] == [
        ("lite", "Spring Mailer", "Direct mail", "no-answer", "0.05"), ("lite", "Spring Mailer", "Direct mail",
                                                                        "answered", "0.10")]
    # a new campaign ends the old one; old calls keep theirs; an empty range still lists it
    client(hooks, mike).call("add_lite_campaign", title="Radio Spot", sid=L)
    rows = client(hooks, mike, fmt).call("lite_campaign", startdate="2024-06-12")
    assert [(r["title"], r["calls"]) for r in rows] == [("Radio Spot", as_sent(0, fmt))]
    assert len(client(hooks, mike).call("all_lite_calls")) == 2


@pytest.mark.parametrize("fmt", FORMATS)
def test_add_lite_campaign_errors(hooks, shop, fmt):
    joe, mike = shop
    assert error_of(hooks, mike, "add_lite_campaign", fmt, sid=L)["parameter"] == "title"
    assert error_of(hooks, mike, "add_lite_campaign", fmt, title="T")["parameter"] == "sid"
    assert error_of(hooks, mike, "add_lite_campaign", fmt, title="T", sid=[L, A])["error"] == \
        "multiple_sid_not_allowed"
    assert error_of(hooks, mike, "add_lite_campaign", fmt, title="x" * 101, sid=L)["parameter"] == "title"
    assert error_of(hooks, joe, "add_lite_campaign", fmt, title="T", sid=A) == as_sent(
        {"error": "number_not_lite", "message": "Number is assigned to an online (pro) type", "sids": [sid_of(A)]},
        fmt)
    assert error_of(hooks, mike, "add_lite_campaign", fmt, title="T", sid=L, forward_number=L)["error"] == \
        "forward_loop"
    assert error_of(hooks, mike, "lite_campaign", fmt)["error"] == "no_data"


@pytest.mark.parametrize("fmt", FORMATS)
def test_visit_data_by_keyword(hooks, shop, pro_client, lite_client, fmt):
    joe, _ = shop
    client(hooks, joe).call("set_smart_replacement", action="add", site_phone="4105557000")
    for n, (keyword, hour) in enumerate([("emergency plumber", 8), ("emergency plumber", 9), ("water heater", 10)]):
        visit = hooks.get("/dni/swap", params={
            "k": pro_client["site_key"], "vid": f"visitor-{n:04d}", "ts": f"2024-06-11 {hour:02d}:00:00",
            "url": f"https://www.joesplumbing.example/?gclid=x{n}&utm_term={keyword}",
            "ref": "https://www.google.com/"}).json()
        assert visit["swaps"][0]["tracking_number"] == A
    # a call 15 minutes after the water-heater visit is attributed to it (session)
    answer = a_call(hooks, "CA" + "8" * 32, A, "2024-06-11 10:15:00", 30)
    assert (answer["channel"], answer["match_type"]) == ("gppc", "session")
    rows = client(hooks, joe, fmt).call("visit_data", filter="gppc")
    assert rows == as_sent([
        {"keyword": "water heater", "filter": "gppc", "visits": 1, "calls": 1, "call_rate": "100.00",
         "first_visit": "2024-06-11 10:00:00", "last_visit": "2024-06-11 10:00:00"},
        {"keyword": "emergency plumber", "filter": "gppc", "visits": 2, "calls": 0, "call_rate": "0.00",
         "first_visit": "2024-06-11 08:00:00", "last_visit": "2024-06-11 09:00:00"}], fmt)
    logged = client(hooks, joe).call("call_logs")[0]
    assert (logged["keyword"], logged["referrer"], logged["match_type"]) == ("water heater", "https://www.google.com/",
                                                                            "session")
    assert error_of(hooks, joe, "visit_data", fmt)["parameter"] == "filter"
    assert error_of(hooks, joe, "visit_data", fmt, filter="direct")["parameter"] == "filter"
    assert error_of(hooks, joe, "visit_data", fmt, filter="bseo")["error"] == "no_data"
    assert error_of(hooks, lite_client["pincode"], "visit_data", fmt, filter="gppc")["error"] == \
        "pro_account_required"


@pytest.mark.parametrize("visited,match_type", [("2024-06-11 09:50:00", "session"),
                                                 ("2024-06-01 10:00:00", "post_session"),
                                                 ("2024-05-01 10:00:00", "none")])
def test_match_windows(hooks, shop, pro_client, visited, match_type):
    joe, _ = shop
    client(hooks, joe).call("set_smart_replacement", action="add", site_phone="4105557000")
    visit = hooks.get("/dni/swap", params={"k": pro_client["site_key"], "vid": "visitor-0001", "ts": visited,
                                           "url": "https://www.joesplumbing.example/?gclid=1&utm_term=pipes"}).json()
    answer = a_call(hooks, "CA" + "a" * 32, A, "2024-06-11 10:00:00", 30)
    assert answer["match_type"] == match_type
    row = client(hooks, joe).call("call_logs")[0]
    expected = (visit["visit_id"], "pipes") if match_type != "none" else (None, "")
    assert (row["visit_id"], row["keyword"]) == expected
