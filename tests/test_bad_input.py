"""Bad input never reaches a 500: arbitrary JSON values, deep nesting, odd unicode and raw bytes
thrown at one endpoint of every API, at the OsmAnd device endpoint and at the operator API.
Each must answer in its own documented shape (PAYT's envelope, Mapp's JSON-RPC object at HTTP
200, AvidTrak's envelope, Trackier's error body, OsmAnd's plain 4xx, the operator API's
{"error": ...}), never a 5xx or a traceback."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from polytrack.avidtrak.demo import AGENCY as AVIDTRAK_AGENCY
from polytrack.trackier.demo import DEMO_NETWORK_API_KEY

EXAMPLES = 40

# Text as clients really send it, and worse: every plane, lone surrogates included.
any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)
json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | any_text
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_text, inner, max_size=4), max_leaves=12)


def _encode(value) -> bytes:
    """JSON text as a careless client writes it: lone surrogates as \\u escapes, NaN as NaN."""
    return json.dumps(value, ensure_ascii=True).encode()


def deep(depth: int, opener: str = "[") -> bytes:
    return (opener * depth).encode()


bodies = (
    json_values.map(_encode)
    | st.binary(max_size=200)
    | st.integers(min_value=1000, max_value=100_000).map(deep)
    | st.integers(min_value=1000, max_value=50_000).map(lambda n: b'{"a":' * n)
    | st.just(b'"\\ud800"')
    | st.just(b'{"method": "\\ud800", "id": "\\udfff"}')
)

query_values = any_text | st.binary(max_size=40).map(lambda raw: raw.decode("latin-1"))
query_pairs = st.lists(st.tuples(st.sampled_from(["op", "subop", "ticket", "method", "format", "pincode", "id",
                                                  "lat", "lon", "timestamp", "name", "x[]", "reqId"]) | any_text,
                                 query_values), max_size=6)

SETTINGS = settings(max_examples=EXAMPLES, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _percent(text: str) -> str:
    """Percent-encode every byte of the text's UTF-8 (surrogates as their raw 3-byte forms)."""
    raw = text.encode("utf-8", "surrogatepass")
    return "".join(f"%{byte:02X}" for byte in raw)


def query_string(pairs) -> str:
    return "&".join(f"{_percent(name)}={_percent(value)}" for name, value in pairs)


@pytest.fixture
def seeded(admin):
    """The demo data, so the calls below pass authentication and reach their parameters."""
    assert admin.post("/_polytrack/seed").status_code == 200


def _json(response):
    assert response.status_code < 500, (response.status_code, response.text[:300])
    return response.json()


def _payt_envelope(response) -> None:
    body = _json(response)
    assert response.status_code == 200 and body["version"] and body["status"] in ("ok", "error"), body


@SETTINGS
@given(pairs=query_pairs, body=bodies)
def test_payt_and_trackerpro(http, pairs, body):
    for path in ("/api2.ashx", "/trackerpro_admin.ashx"):
        _payt_envelope(http.get(f"{path}?{query_string(pairs)}"))
        _payt_envelope(http.post(f"{path}?op=Group&subop=GetByTypeID", content=body,
                                 headers={"content-type": "application/x-www-form-urlencoded"}))


@SETTINGS
@given(body=bodies, content_type=st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded", ""]))
def test_mapp(http, body, content_type):
    response = http.post("/cgi-bin/wt/JSONRPC.cgi", content=body, headers={"content-type": content_type})
    answer = _json(response)
    assert response.status_code == 200 and answer["version"] == "1.1"
    assert ("result" in answer) != ("error" in answer), answer


@SETTINGS
@given(pairs=query_pairs, body=bodies, fmt=st.sampled_from(["json", "xml", "JSON", "csv"]))
def test_avidtrak(http, seeded, pairs, body, fmt):
    query = query_string([("format", fmt), ("pincode", AVIDTRAK_AGENCY["pincode"]), *pairs])
    for response in (http.get(f"/webservice/api.php?{query}"),
                     http.post(f"/webservice/api.php?{query}", content=body,
                               headers={"content-type": "application/x-www-form-urlencoded"})):
        assert response.status_code == 200, (response.status_code, response.text[:300])
        if response.headers["content-type"].startswith("text/xml"):
            assert response.text.startswith('<?xml') and "<code>" in response.text
        else:
            assert set(response.json()) == {"code", "status", "data"}


@SETTINGS
@given(body=bodies, content_type=st.sampled_from(["application/json", "application/x-www-form-urlencoded", "text/plain"]))
def test_trackier(http, seeded, body, content_type):
    response = http.post("/api/advertiser", content=body,
                         headers={"content-type": content_type, "X-Api-Key": DEMO_NETWORK_API_KEY})
    answer = _json(response)
    assert answer["success"] is True or set(answer["error"]) == {"code", "message"}, answer


@SETTINGS
@given(pairs=query_pairs, body=bodies,
       content_type=st.sampled_from(["application/json", "application/x-www-form-urlencoded", "text/plain"]))
def test_osmand(http, pairs, body, content_type):
    for response in (http.post(f"/osmand?{query_string(pairs)}"),
                     http.post("/osmand", content=body, headers={"content-type": content_type})):
        assert response.status_code < 500, (response.status_code, response.text[:300])
        assert "Traceback" not in response.text


@SETTINGS
@given(body=bodies, route=st.sampled_from(["/_polytrack/trackier/networks", "/_polytrack/payt/users",
                                           "/_polytrack/mapp/accounts", "/_polytrack/avidtrak/accounts"]))
def test_operator_api(admin, body, route):
    response = admin.post(route, content=body, headers={"content-type": "application/json"})
    answer = _json(response)
    assert 200 <= response.status_code < 300 or set(answer) == {"error"}, answer


def test_the_operator_routes_exist(admin):
    """The routes above are real ones (a 404 would make their test pass for nothing)."""
    for route in ("/_polytrack/trackier/networks", "/_polytrack/payt/users", "/_polytrack/mapp/accounts",
                  "/_polytrack/avidtrak/accounts"):
        assert admin.post(route, json={}).status_code == 400, route
