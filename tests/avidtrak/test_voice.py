"""The voice webhooks, signed as Twilio signs them (the real `twilio` package's
RequestValidator), the routing decision of an inbound call, and the provider-neutral ingest."""

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient
from twilio.request_validator import RequestValidator

from polytrack.app import create_app
from polytrack.avidtrak.tables import avidtrak_calls, avidtrak_ledger
from tests.avidtrak.conftest import BASE, INGEST, TOKEN, call, client
from tests.avidtrak.test_numbers import buy, sid_of

pytestmark = pytest.mark.usefixtures("services")

A = "4105550100"


def post(http, path, params, *, token=TOKEN, url=None, signature=None):
    """A webhook POST signed by twilio's RequestValidator over the URL it is sent to."""
    url = url or BASE + path
    signed = RequestValidator(token).compute_signature(url, params) if signature is None else signature
    return http.post(path, data=params, headers={"X-Twilio-Signature": signed})


def incoming(http, call_sid, to=A, caller="+14435551234", **extra):
    return post(http, "/voice/incoming", {"CallSid": call_sid, "AccountSid": "AC" + "0" * 32, "From": caller,
                                          "To": "+1" + to, "CallStatus": "ringing", "Direction": "inbound",
                                          "ApiVersion": "2010-04-01", **extra})


def dial_result(http, call_id, step, status, call_sid):
    return post(http, f"/voice/dial-result?call_id={call_id}&step={step}",
                {"CallSid": call_sid, "DialCallStatus": status, "DialCallSid": "CA" + "1" * 32,
                 "DialCallDuration": "0"})


def status(http, call_sid, seconds, final="completed"):
    return post(http, "/voice/status", {"CallSid": call_sid, "CallStatus": final, "CallDuration": str(seconds)})


def twiml(response):
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/xml"), response.text
    return ET.fromstring(response.content)


def stored(services, call_sid=None):
    with services.engine.connect() as conn:
        query = select(avidtrak_calls).order_by(avidtrak_calls.c.id)
        rows = conn.execute(query if call_sid is None else query.where(avidtrak_calls.c.call_sid == call_sid)).all()
    return rows


@pytest.fixture
def joe(hooks, agency, pro_client):
    """joesplumbing's gppc number A forwarding to 4105559876 x12, with greeting, whisper,
    recording and a round robin of two."""
    pin = pro_client["pincode"]
    api = client(hooks, pin)
    buy(hooks, pin, A)
    api.call("assign_number", sid=[A], type="gppc")
    api.call("set_forwarding", type="sid", sid=[A], forward_number="4105559876", extension="12")
    api.call("update_number_setting", sid=[A], recording="1", greet_caller="Thank you for calling Joe's Plumbing.",
             whisper_message="Call from Google Ads")
    api.call("insert_round_robin", sid=[A], forwarding_number=["4105551111", "4105552222"])
    return pin


def test_incoming_call_is_answered_with_the_routing_decision(hooks, services, joe):
    root = twiml(incoming(hooks, "CA" + "a" * 32, CallerName="SMITH JOHN", FromCity="BALTIMORE", FromState="MD",
                          FromZip="21201", FromCountry="US"))
    (row,) = stored(services)
    assert [child.tag for child in root] == ["Say", "Dial"]
    assert root[0].text == "Thank you for calling Joe's Plumbing."
    dial = root[1]
    assert dial.attrib == {
        "action": f"{BASE}/voice/dial-result?step=1", "method": "POST", "timeout": "20",
        "callerId": "+14435551234", "record": "record-from-answer-dual",
        "recordingStatusCallback": f"{BASE}/voice/recording?call_id={row.id}"}
    (number,) = dial
    assert (number.tag, number.text, number.attrib) == ("Number", "+14105559876", {
        "url": f"{BASE}/voice/whisper?call_id={row.id}", "sendDigits": "ww12"})
    assert (row.call_status, row.caller_number, row.caller_name, row.caller_city, row.channel, row.sid) == (
        "in-progress", "4435551234", "SMITH JOHN", "BALTIMORE", "gppc", sid_of(A))


def test_round_robin_hunt_answer_and_bill(hooks, services, admin, joe):
    sid = "CA" + "b" * 32
    incoming(hooks, sid)
    (row,) = stored(services)
    nxt = twiml(dial_result(hooks, row.id, 1, "no-answer", sid))
    assert [c.tag for c in nxt] == ["Dial"]  # no greeting the second time
    assert nxt[0].attrib["action"].endswith("step=2") and nxt[0][0].text == "+14105551111"
    assert "sendDigits" not in nxt[0][0].attrib
    done = twiml(dial_result(hooks, row.id, 2, "completed", sid))
    assert [c.tag for c in done] == ["Hangup"]
    assert status(hooks, sid, 125).status_code == 204
    assert status(hooks, sid, 125).status_code == 204  # retried by the provider
    (row,) = stored(services)
    assert (row.call_status, row.forwarded_to, row.duration, row.billable_minutes, row.cost) == (
        "answered", "4105551111", 125, 3, Decimal("0.15"))
    with services.engine.connect() as conn:
        talk = conn.execute(select(avidtrak_ledger).where(avidtrak_ledger.c.entry_type == "talk_time")).all()
    assert [(t.call_id, t.amount) for t in talk] == [(row.id, Decimal("-0.15"))]
    assert call(hooks, joe, "get_remaining_balance")["data"]["balance"] == "47.85"  # 50 - 2.00 rental - 0.15
    # the next call hunts the default first, then the list from its second entry
    sid2 = "CA" + "c" * 32
    incoming(hooks, sid2)
    second = stored(services, sid2)[0]
    dial_result(hooks, second.id, 1, "busy", sid2)
    assert twiml(dial_result(hooks, second.id, 2, "no-answer", sid2))[0][0].text == "+14105551111"


def test_use_default_first_no_rings_only_the_list_and_exhausts(hooks, services, joe):
    entry = client(hooks, joe).call("list_round_robin", sid=A)[0]["round_robin_list_id"]
    client(hooks, joe).call("edit_round_robin", sid=A, round_robin_list_id=entry, forwarding_number="4105551111",
                            use_default_first="no")
    sid = "CA" + "d" * 32
    first = twiml(incoming(hooks, sid))
    assert first[1][0].text == "+14105551111"
    (row,) = stored(services)
    dial_result(hooks, row.id, 1, "no-answer", sid)
    sorry = twiml(dial_result(hooks, row.id, 2, "busy", sid))
    assert [(c.tag, c.text) for c in sorry] == [("Say", "Sorry, no one is available to take your call."),
                                               ("Hangup", None)]
    status(hooks, sid, 30)
    (row,) = stored(services)
    assert (row.call_status, row.forwarded_to, row.cost) == ("busy", "4105552222", Decimal("0.05"))


def test_a_retried_incoming_webhook_is_the_same_call(hooks, services, joe):
    sid = "CA" + "e" * 32
    first, again = incoming(hooks, sid).content, incoming(hooks, sid).content
    assert first == again and len(stored(services)) == 1


@pytest.mark.parametrize("how", ["missing", "wrong token", "tampered", "other url"])
def test_bad_signatures_get_403_and_record_nothing(hooks, services, joe, how):
    params = {"CallSid": "CA" + "f" * 32, "From": "+14435551234", "To": "+1" + A}
    if how == "missing":
        response = hooks.post("/voice/incoming", data=params)
    elif how == "wrong token":
        response = post(hooks, "/voice/incoming", params, token="not-the-token")
    elif how == "tampered":
        good = RequestValidator(TOKEN).compute_signature(BASE + "/voice/incoming", params)
        response = post(hooks, "/voice/incoming", {**params, "To": "+14105550101"}, signature=good)
    else:
        response = post(hooks, "/voice/incoming", params, url="https://elsewhere.example/voice/incoming")
    assert response.status_code == 403
    assert stored(services) == []
    for path in ("/voice/status", "/voice/dial-result?call_id=1&step=1", "/voice/recording?call_id=1"):
        assert hooks.post(path, data={"CallSid": "x"}).status_code == 403


def test_behind_a_proxy_the_public_url_is_signed(services, agency, pro_client):
    services.settings.api.update({"avidtrak.sandbox_auth_token": TOKEN,
                                  "avidtrak.public_base_url": "https://track.example.com"})
    with TestClient(create_app(services=services), base_url=BASE) as http:
        buy(http, pro_client["pincode"], A)
        client(http, pro_client["pincode"]).call("set_forwarding", type="sid", sid=[A], forward_number="4105559876")
        params = {"CallSid": "CA" + "1" * 32, "From": "+14435551234", "To": "+1" + A}
        assert post(http, "/voice/incoming", params).status_code == 403  # signed for the inner URL
        root = twiml(post(http, "/voice/incoming", params, url="https://track.example.com/voice/incoming"))
        assert root[0].attrib["action"].startswith("https://track.example.com/voice/dial-result")
        assert root[0].attrib["timeout"] == "30"  # no round robin


def test_unknown_number_is_rejected_and_not_logged(hooks, services, joe):
    root = twiml(incoming(hooks, "CA" + "2" * 32, to="4105550199"))
    assert [c.tag for c in root] == ["Reject"]
    assert stored(services) == []


def test_suspended_payer_and_unconfigured_numbers(hooks, services, admin, joe):
    buy(hooks, joe, "4105550101")
    root = twiml(incoming(hooks, "CA" + "3" * 32, to="4105550101"))
    assert [(c.tag, c.text) for c in root] == [("Say", "This number is not configured to receive calls."),
                                              ("Hangup", None)]
    admin.post("/_polytrack/avidtrak/accounts/acme_agency/credit", json={"amount": "-60"})
    sid = "CA" + "4" * 32
    root = twiml(incoming(hooks, sid))
    assert [(c.tag, c.text) for c in root] == [("Say", "This number is temporarily unavailable."), ("Hangup", None)]
    status(hooks, sid, 40)
    row = stored(services, sid)[0]
    assert (row.call_status, row.cost, row.billable_minutes) == ("suspended", Decimal("0.00"), 1)
    assert stored(services, "CA" + "3" * 32)[0].call_status == "no-forwarding"


def test_recording_and_whisper(hooks, services, joe):
    sid = "CA" + "5" * 32
    incoming(hooks, sid)
    (row,) = stored(services)
    assert post(hooks, f"/voice/recording?call_id={row.id}",
                {"RecordingSid": "RE1", "RecordingUrl": "https://api.twilio.com/rec/RE1",
                 "RecordingStatus": "completed", "RecordingDuration": "12"}).status_code == 204
    assert stored(services)[0].recording_url == "https://api.twilio.com/rec/RE1.mp3"
    root = twiml(post(hooks, f"/voice/whisper?call_id={row.id}", {"CallSid": "CA9"}))
    assert [(c.tag, c.text) for c in root] == [("Say", "Call from Google Ads")]


# --- the provider-neutral ingest ---------------------------------------------------------------

def ingest(http, body, token=INGEST):
    return http.post("/ingest/call", json=body, headers={"Authorization": f"Bearer {token}"})


def test_ingest_runs_the_routing_decision(hooks, services, joe):
    body = {"call_sid": "CA" + "6" * 32, "to": A, "from": "4105556060", "caller_city": "TOWSON",
            "start": "2024-06-11 09:12:44", "duration": 18, "answer_at": 0}
    response = ingest(hooks, body)
    assert response.status_code == 201
    assert response.json() == {"call_id": response.json()["call_id"], "call_status": "no-answer",
                               "forwarded_to": "4105552222", "dial_plan": ["4105559876", "4105551111", "4105552222"],
                               "billable_minutes": 1, "cost": "0.05", "channel": "gppc", "match_type": "none"}
    again = ingest(hooks, body)
    assert again.status_code == 200 and again.json() == response.json()
    row = stored(services)[0]
    assert (str(row.call_start), str(row.call_end)) == ("2024-06-11 09:12:44", "2024-06-11 09:13:02")
    # the pointer moved: the next plan starts the list at its second entry
    second = ingest(hooks, {**body, "call_sid": "CA" + "7" * 32, "answer_at": 2}).json()
    assert second["dial_plan"] == ["4105559876", "4105552222", "4105551111"]
    assert (second["call_status"], second["forwarded_to"]) == ("answered", "4105552222")


@pytest.mark.parametrize("body,token,code,error", [
    ({"call_sid": "CAx", "to": A}, "wrong", 401, "bad_token"),
    ({"call_sid": "CAx", "to": "4105550199"}, INGEST, 404, "unknown_number"),
    ({"call_sid": "CAx", "to": "12"}, INGEST, 422, "invalid_body"),
    ({"to": A}, INGEST, 422, "invalid_body"),
    ({"call_sid": "CAx", "to": A, "duration": -1}, INGEST, 422, "invalid_body"),
    ({"call_sid": "CAx", "to": A, "status": "exploded"}, INGEST, 422, "invalid_body"),
    ({"call_sid": "CAx", "to": A, "answer_at": 9}, INGEST, 422, "invalid_body"),
    ([1, 2], INGEST, 422, "invalid_body"),
])
def test_ingest_errors(hooks, services, joe, body, token, code, error):
    response = ingest(hooks, body, token)
    assert (response.status_code, response.json()) == (code, {"error": error})
    assert stored(services) == []
