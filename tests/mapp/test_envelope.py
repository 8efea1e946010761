"""The JSON/RPC 1.1 transport: envelopes, Content-Type independence, id echo, bad input."""

import json
import re

import pytest

from polytrack.kernel.operations import Operation
from polytrack.mapp.operations.base import AUTH_NONE, registry
from tests.mapp.helpers import PATH, SHOP, TOKEN_PATTERN, error_of, rpc

pytestmark = pytest.mark.usefixtures("services")

LOGIN_BODY = json.dumps({"params": {"login": "alice", "pass": "alice-pass", "customerId": SHOP}, "version": "1.1", "method": "login"})


def test_connection_test_exact_answer(http):
    response = http.post(PATH, json={"params": {}, "version": "1.1", "method": "getConnectionTest"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.json() == {"version": "1.1", "result": "Connection successful"}


@pytest.mark.parametrize("headers", [
    {},  # requests.post(url, data=json.dumps(...)): no Content-Type at all
    {"Content-Type": "application/x-www-form-urlencoded"},  # Ruby Net::HTTP default
    {"Content-Type": "application/json"},
    {"content_type": "application/json-rpc", "encode": "json"},  # ZEIT's bogus underscore headers
    {"Content-Type": "text/plain; charset=latin-1"},
])
def test_body_is_json_whatever_the_content_type(http, world, headers):
    response = http.post(PATH, content=LOGIN_BODY.encode(), headers=headers)
    assert response.status_code == 200
    assert re.match(TOKEN_PATTERN, response.json()["result"])


def test_raw_utf8_and_bom_and_key_order_accepted(http, world):
    body = '\ufeff{"method": "login", "version": "1.1", "params": {"pass": "alice-pass", "customerId": "%s", "login": "alice", "note": "Größe"}}' % SHOP
    response = http.post(PATH, content=body.encode("utf-8"), headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert "result" in response.json()


@pytest.mark.parametrize("request_id", [42, "abc-1", None, {"nested": [1]}])
def test_id_is_echoed_on_success_and_error(http, request_id):
    ok = rpc(http, "getConnectionTest", id=request_id)
    assert ok == {"version": "1.1", "result": "Connection successful", "id": request_id}
    failed = rpc(http, "noSuchMethod", id=request_id)
    assert failed["id"] == request_id and "result" not in failed


def test_no_id_key_when_request_has_none(http):
    assert "id" not in rpc(http, "getConnectionTest")
    assert "id" not in rpc(http, "noSuchMethod")


def test_error_envelope_has_no_result_key(http):
    body = rpc(http, "logout_typo")
    assert body == error_of("Unknown method: logout_typo")
    assert "result" not in body


@pytest.mark.parametrize("method", [" getConnectionTest", "getConnectionTest \n", "\tgetConnectionTest"])
def test_method_name_is_stripped(http, method):
    assert rpc(http, method)["result"] == "Connection successful"


def test_method_names_are_case_sensitive(http):
    assert rpc(http, "GetConnectionTest") == error_of("Unknown method: GetConnectionTest")


@pytest.mark.parametrize("params", [[{"login": "alice", "pass": "alice-pass", "customerId": SHOP}]])
def test_params_as_one_element_array_is_unwrapped(http, world, params):
    assert re.match(TOKEN_PATTERN, rpc(http, "login", params)["result"])


@pytest.mark.parametrize("envelope", [
    {"method": "getConnectionTest"},
    {"method": "getConnectionTest", "params": None},
    {"method": "getConnectionTest", "params": []},
    {"method": "getConnectionTest", "params": {}, "version": "2.0"},
    {"method": "getConnectionTest", "params": {"unknown": {"deep": [1, 2]}}, "extra": True},
])
def test_missing_or_empty_params_version_and_unknown_keys_are_fine(http, envelope):
    assert http.post(PATH, json=envelope).json()["result"] == "Connection successful"


@pytest.mark.parametrize("params", ["x", 5, True, [{}, {}], [1]])
def test_params_of_wrong_type(http, params):
    assert http.post(PATH, json={"method": "getConnectionTest", "params": params}).json() == error_of("Invalid parameter: params")


@pytest.mark.parametrize("body", [
    b"",
    b"not json",
    b"{\"method\": \"getConnectionTest\"",  # truncated
    b"[{\"method\": \"getConnectionTest\"}]",  # a batch / array
    b"\"getConnectionTest\"",
    b"42",
    b"null",
    b"\xff\xfe{\x00}",  # not UTF-8
    b"method=getConnectionTest&params=%7B%7D",  # a real form body is still not JSON
    b"{\"method\": \"getConnectionTest\", \"params\": {\"n\": " + b"9" * 5000 + b"}}",  # over Python's int digit limit
    b"[" * 100_000 + b"]" * 100_000,  # nesting deeper than the parser's recursion limit
])
def test_unparsable_bodies_are_invalid_request(http, body):
    response = http.post(PATH, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 200
    assert response.json() == error_of("Invalid request")


@pytest.mark.parametrize("document", [
    {},
    {"params": {}},
    {"method": ""},
    {"method": "   "},
    {"method": 5},
    {"method": None},
    {"method": ["getConnectionTest"]},
    {"method": {"name": "getConnectionTest"}},
])
def test_missing_or_non_string_method_is_invalid_request(http, document):
    assert http.post(PATH, json=document).json() == error_of("Invalid request")


@pytest.mark.parametrize("verb", ["GET", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_other_http_methods_get_an_error_envelope_with_200(http, verb):
    response = http.request(verb, PATH)
    assert response.status_code == 200
    assert response.json() == error_of("Invalid request")


def test_unknown_method_name_is_echoed_but_bounded(http):
    name = "x" * 5000
    message = rpc(http, name)["error"]["message"]
    assert message.startswith("Unknown method: xxx") and len(message) < 300


def test_an_unexpected_failure_is_an_internal_error_envelope(http, monkeypatch):
    def explode(call):
        raise RuntimeError("boom")

    monkeypatch.setitem(registry._operations, "explode", Operation("mapp", "explode", explode, options={"auth": AUTH_NONE}))
    response = http.post(PATH, json={"method": "explode", "id": 3})
    assert response.status_code == 200
    assert response.json() == {**error_of("Internal error"), "id": 3}


def test_every_call_is_logged_with_method_and_outcome(admin, world):
    rpc(admin, "getConnectionTest")
    rpc(admin, "login", {"customerId": SHOP, "login": "alice", "pass": "wrong"})
    rpc(admin, "login", {"customerId": SHOP, "login": "alice", "pass": "alice-pass"})
    rpc(admin, "getAnalysisData", {"token": "nope"})
    rpc(admin, "nope")
    admin.post(PATH, content=b"garbage")
    calls = admin.get("/_polytrack/calls", params={"api": "mapp"}).json()["calls"]
    seen = [(c["operation"], c["outcome"], c["account"]) for c in reversed(calls)]
    assert seen == [
        ("getConnectionTest", "ok", ""),
        ("login", "Authorization failed", "alice"),
        ("login", "ok", f"{SHOP}/alice"),
        ("getAnalysisData", "Authorization failed", ""),
        ("nope", "Unknown method", ""),
        ("", "Invalid request", ""),
    ]
    assert all(c["api"] == "mapp" and c["duration_ms"] >= 0 for c in calls)
