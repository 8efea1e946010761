"""Odd input still gets AvidTrak's envelope (JSON, or well-formed XML), never a 500: lone
surrogates and NUL bytes percent-encoded, bytes that are not UTF-8, huge values, broken forms."""

import xml.etree.ElementTree as ET

import pytest

from tests.avidtrak.conftest import URL
from tests.rawasgi import raw_get

pytestmark = pytest.mark.usefixtures("services")

CODES = {0, 1, 3, 4, 6, 404}
LONE_SURROGATE = "%ED%A0%80"  # "\ud800" as the bytes a careless encoder writes: not UTF-8
NUL = "%00"


def envelope(response) -> dict:
    """The answer's code, status and data, checking it is an envelope in its format."""
    assert response.status_code == 200, response.text[:300]
    if response.headers["content-type"] == "text/xml; charset=utf-8":
        root = ET.fromstring(response.content)  # raises on anything XML 1.0 cannot carry
        assert [child.tag for child in root] == ["code", "status", "data"]
        answer = {"code": int(root.findtext("code")), "status": root.findtext("status"), "data": root.find("data")}
    else:
        assert response.headers["content-type"] == "application/json; charset=utf-8"
        answer = response.json()
        assert list(answer) == ["code", "status", "data"]
    assert answer["code"] in CODES
    return answer


def get(http, query: str) -> dict:
    return envelope(http.get(f"{URL}?{query}"))


def post(http, query: str, body: bytes, content_type: str = "application/x-www-form-urlencoded") -> dict:
    return envelope(http.post(f"{URL}?{query}", content=body, headers={"content-type": content_type}))


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("odd", [LONE_SURROGATE, NUL, "%FF%FE", "%C3", "a%01b", "%EF%BF%BE", "%1B%5B0m"])
def test_odd_characters_in_every_global_parameter(http, agency, fmt, odd):
    pincode = agency["pincode"]
    assert get(http, f"format={fmt}&method=get_remaining_balance&pincode={pincode}{odd}")["code"] == 4
    assert get(http, f"format={fmt}&method=client_list{odd}&pincode={pincode}")["code"] == 404
    assert get(http, f"format={fmt}{odd}&method=client_list&pincode={pincode}")["code"] == 6
    answer = get(http, f"format={fmt}&method=get_remaining_balance&pincode={pincode}&{odd}={odd}&note={odd}")
    assert answer["code"] == 1
    # the same in a form body
    body = f"format={fmt}&method=get_remaining_balance&pincode={pincode}{odd}".encode()
    assert post(http, "", body)["code"] == 4


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_control_characters_never_break_the_xml(http, agency, fmt):
    for method in ("\x01\x02\x1b[31m", "client_list\x01", "\x00"):
        answer = envelope(http.get(URL, params={"format": fmt, "pincode": agency["pincode"], "method": method}))
        assert answer["code"] == 404
    answer = envelope(http.get(URL, params={"format": fmt, "pincode": "\x00\x01\x02", "method": "client_list"}))
    assert answer["code"] == 4


def test_format_with_control_characters_is_code_6_in_json(http, agency):
    for fmt in ("xml\x00", "\x01xml", "x\x00ml", "json\x1b"):
        response = http.get(URL, params={"format": fmt, "pincode": agency["pincode"], "method": "client_list"})
        assert response.headers["content-type"] == "application/json; charset=utf-8"
        assert envelope(response)["code"] == 6


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_huge_values(http, agency, fmt):
    huge = "9" * 1_000_000
    assert post(http, "", f"format={fmt}&method=client_list&pincode={huge}".encode())["code"] == 4
    assert post(http, "", f"format={fmt}&method={huge}&pincode={agency['pincode']}".encode())["code"] == 404
    assert post(http, "", f"format={huge}&method=client_list&pincode={agency['pincode']}".encode())["code"] == 6
    many = "&".join(f"p{n}[]={n}" for n in range(20_000))
    body = f"{many}&format={fmt}&method=get_remaining_balance&pincode={agency['pincode']}".encode()
    assert post(http, "", body)["code"] == 1


@pytest.mark.parametrize("body,content_type", [
    (b"pincode=\xff\xfe&method=client_list", "application/x-www-form-urlencoded"),  # not UTF-8: ignored
    (b"\x00" * 100, "application/x-www-form-urlencoded"),
    (b"--xx\r\nContent-Disposition: form-data; name=\"pincode\"\r\n\r\n\xff", "multipart/form-data; boundary=xx"),
    (b"--xx--", "multipart/form-data"),  # no boundary parameter
    (b'{"pincode": "\\ud800"}', "application/json"),  # JSON bodies are not read
    (b"[" * 100_000, "application/x-www-form-urlencoded"),
])
def test_unreadable_bodies_leave_the_query_string(http, agency, body, content_type):
    query = f"format=xml&method=get_remaining_balance&pincode={agency['pincode']}"
    assert post(http, query, body, content_type)["code"] == 1
    assert post(http, "format=json", body, content_type)["code"] == 3


def test_non_utf8_query_bytes_are_replaced_not_refused(app, agency):
    """PHP decodes nothing and refuses nothing: a raw byte that is not UTF-8 reads as U+FFFD."""
    query = b"format=xml&method=get_remaining_balance&pincode=" + agency["pincode"].encode() + b"&x=\xc3\x28\xff"
    status, body = raw_get(app, URL, query)
    assert status == 200
    assert ET.fromstring(body).findtext("code") == "1"


def test_odd_input_is_logged_printably(http, admin, agency):
    get(http, f"format=json&method=%00{LONE_SURROGATE}bad%0A&pincode={agency['pincode']}")
    entries = admin.get("/_polytrack/calls", params={"api": "avidtrak"}).json()["calls"]
    assert [(e["operation"], e["outcome"]) for e in entries] == [("?\ufffd\ufffd\ufffdbad", "404")]
