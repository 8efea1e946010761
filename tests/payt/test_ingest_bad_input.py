"""Malformed input on the OsmAnd endpoint gets OsmAnd's own answer (400 with a plain-text
reason), never a 500: bodies nested too deep, lone surrogates, bytes that are no UTF-8."""

import pytest

from polytrack.payt.ingest import build_osmand_app
from tests.payt.fleetkit import make_client, make_vehicle
from tests.rawasgi import raw_get

T = 1718180000  # before the frozen clock's noon


@pytest.fixture
def vehicle(services):
    return make_vehicle(services, make_client(services), "phone-1")


def assert_osmand_400(response) -> None:
    assert response.status_code == 400
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.text and "\n" not in response.text


@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded", None])
def test_a_body_of_100000_nested_brackets(http, vehicle, content_type):
    headers = {"content-type": content_type} if content_type else {}
    assert_osmand_400(http.post("/osmand", content=b"[" * 100_000, headers=headers))


def test_deep_nesting_inside_the_json_form(http, vehicle):
    body = '{"device_id": "phone-1", "location": ' + "[" * 100_000 + "]" * 100_000 + "}"
    assert_osmand_400(http.post("/osmand", content=body, headers={"content-type": "application/json"}))


def test_a_lone_surrogate_in_the_json_device_id(http, vehicle):
    body = ('{"device_id": "\\ud800", "location": {"timestamp": "2024-06-12T08:13:20Z",'
            ' "coords": {"latitude": 51.5, "longitude": -0.12}}}')
    response = http.post("/osmand", content=body, headers={"content-type": "application/json"})
    assert_osmand_400(response)
    assert response.text == "body is not valid JSON"


@pytest.mark.parametrize("device_id", ["%ED%A0%80", "%5Cud800", "\\ud800"])
def test_a_lone_surrogate_in_a_query_parameter(http, vehicle, device_id):
    # UTF-8 cannot carry a surrogate: the escaped bytes read as U+FFFD, an unknown device
    response = http.post(f"/osmand?id={device_id}&lat=51.5&lon=-0.12&timestamp={T}")
    assert_osmand_400(response)
    assert response.text.startswith("unknown device")




@pytest.mark.parametrize("device_id", [b"\xed\xa0\x80", b"\xff\xfe"])
def test_query_bytes_that_are_no_utf8(services, vehicle, device_id):
    status, body = raw_get(build_osmand_app(services), "/", b"id=" + device_id + f"&lat=51.5&lon=-0.12&timestamp={T}".encode())
    assert status == 400 and body.startswith(b"unknown device")
