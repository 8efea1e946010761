"""Every method, the webhooks and the swap endpoint with hostile parameters: always the
documented shape (an envelope code 0/1 for the API, 403 for unsigned webhooks, the swap
endpoint's own errors), never a 500 or `internal_error`, and nothing stored is lost."""

from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from polytrack.avidtrak.client import METHODS
from tests.avidtrak.conftest import URL, call, client
from tests.avidtrak.test_bad_input import envelope
from tests.avidtrak.test_numbers import buy

pytestmark = pytest.mark.usefixtures("services")

NAMES = ["sid", "sid[]", "number[]", "number_type", "quantity", "area_code", "country", "type", "forward_number",
         "extension", "forwarding_number[]", "extension[]", "label[]", "round_robin_list_id", "use_default_first",
         "rings", "recording", "greet_caller", "email_alerts", "title", "site_id", "site_number", "site_phone[]",
         "action", "startdate", "enddate", "filter", "location", "client_pin", "userid", "password",
         "account_type", "email", "domain", "username", "fullname", "adgroup", "assignment_type"]
VALUES = st.one_of(
    st.sampled_from(["", " ", "0", "-1", "1", "99999999999999999999", "4105550100", "PN" + "f" * 32, "toll", "local",
                     "pro", "lite", "sid", "agency", "telco", "add", "delete", "gppc", "yes", "no", "2024-02-30",
                     "2024-06-11", "x" * 600, "a@b.c", "\u00e9\u4e2d", "(410) 555-0100", "[]", "null"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40),
)


@pytest.fixture
def stocked(http, agency, pro_client):
    """joesplumbing with a number and a round robin: what must survive every bad call."""
    pin = pro_client["pincode"]
    buy(http, pin, "4105550100")
    client(http, pin).call("insert_round_robin", sid="4105550100", forwarding_number=["4105551111"])
    return pin


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(method=st.sampled_from(METHODS), fmt=st.sampled_from(["json", "xml"]),
       params=st.lists(st.tuples(st.sampled_from(NAMES), VALUES), max_size=6))
def test_any_parameters_get_an_envelope_never_an_internal_error(http, agency, stocked, method, fmt, params):
    pincode = agency["pincode"] if method in ("create_account", "client_list", "transfer_number") else stocked
    form = [("pincode", pincode), ("format", fmt), ("method", method), *params]
    answer = envelope(http.post(URL, content=urlencode(form),
                                headers={"content-type": "application/x-www-form-urlencoded"}))
    if answer["code"] == 0:
        error = answer["data"]["error"] if fmt == "json" else answer["data"].findtext("error")
        assert error != "internal_error"


def test_what_was_stored_survives_the_fuzzing(http, stocked):
    rows = call(http, stocked, "list_round_robin", sid="4105550100")["data"]
    assert [row["forwarding_number"] for row in rows] == ["4105551111"]


@pytest.mark.parametrize("body", [b"\xff\xfe\x00", b"CallSid=%ED%A0%80&To=%FF", b"a" * 100_000, b"=&=&&"])
@pytest.mark.parametrize("path", ["/voice/incoming", "/voice/dial-result?call_id=x&step=%FF", "/voice/status",
                                  "/voice/recording?call_id=1", "/voice/whisper"])
def test_webhooks_refuse_garbage_with_403(http, stocked, body, path):
    response = http.post(path, content=body, headers={"content-type": "application/x-www-form-urlencoded",
                                                      "x-twilio-signature": "\u00e9bad".encode("latin-1")})
    assert response.status_code == 403


@pytest.mark.parametrize("body,content_type", [(b"\xff", "application/json"), (b"{", "application/json"),
                                               (b'{"call_sid": "\\ud800"}', "application/json"),
                                               (b"x=1", "application/x-www-form-urlencoded")])
def test_ingest_refuses_garbage(services, body, content_type):
    from starlette.testclient import TestClient

    from polytrack.app import create_app

    services.settings.api["avidtrak.ingest_token"] = "t"
    with TestClient(create_app(services=services)) as http:
        response = http.post("/ingest/call", content=body, headers={"content-type": content_type,
                                                                   "authorization": "Bearer t"})
    assert response.status_code == 422 and response.json() == {"error": "invalid_body"}
