"""Shared AvidTrak fixtures: accounts made through the operator API, the way an operator would."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

URL = "/webservice/api.php"
# The collection side's settings in the `hooks` app.
TOKEN, INGEST = "sandbox-signing-token", "ingest-secret"
BASE = "http://testserver"


def call(http, pincode, method, fmt="json", *, post=False, **params):
    """One API call; returns the parsed JSON envelope, or the XML root element for format=xml."""
    data = {"pincode": pincode, "format": fmt, "method": method, **params}
    data = {k: v for k, v in data.items() if v is not None}
    response = http.post(URL, data=data) if post else http.get(URL, params=data)
    assert response.status_code == 200
    if fmt.lower() == "xml" and response.headers["content-type"].startswith("text/xml"):
        return ET.fromstring(response.content)
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    return response.json()


def create(admin, **fields):
    response = admin.post("/_polytrack/avidtrak/accounts", json=fields)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def agency(admin):
    return create(admin, kind="agency", userid="acme_agency", password="AcmePass1", email="ops@acme.example",
                  contact_name="Acme", initial_credit="50.00")


@pytest.fixture
def pro_client(admin, agency):
    return create(admin, kind="client", agency="acme_agency", userid="joesplumbing", password="Pipes2024",
                  account_type="pro", email="owner@joesplumbing.example", contact_name="Joseph Smith",
                  contact_number="(410) 555-7788", domain="https://www.joesplumbing.example/home")


@pytest.fixture
def lite_client(admin, agency):
    return create(admin, kind="client", agency="acme_agency", userid="mikesradio", password="Radio2024",
                  account_type="lite")


FORMATS = ("json", "xml")


def client(http, pincode, fmt="json"):
    """The package's own client (polytrack.avidtrak.client) on the in-process app."""
    from polytrack.avidtrak.client import AvidTrakClient

    return AvidTrakClient(URL, pincode, fmt, http=http)


def as_sent(value, fmt):
    """What a JSON answer reads as through the client in `fmt`: XML has no types, so scalars
    are strings and empty strings, empty lists and nulls are all None."""
    if fmt == "json":
        return value
    if isinstance(value, dict):
        return {key: as_sent(item, fmt) for key, item in value.items()}
    if isinstance(value, list):
        return [as_sent(item, fmt) for item in value] or None
    if value is None or value == "":
        return None
    return str(value)


def error_of(http, pincode, method, fmt="json", **params):
    """The code-0 `data` of a failing call, through the client in `fmt`."""
    from polytrack.avidtrak.client import AvidTrakError

    try:
        client(http, pincode, fmt).call(method, **params)
    except AvidTrakError as failure:
        assert failure.code == 0, failure
        return failure.data
    raise AssertionError(f"{method} succeeded")


@pytest.fixture
def hooks(services):
    """The app with a known sandbox signing token and ingest token, and the sandbox clock on
    (the ingest and the swap endpoint honour the times they are given)."""
    from starlette.testclient import TestClient

    from polytrack.app import create_app

    services.settings.api.update({"avidtrak.sandbox_auth_token": TOKEN, "avidtrak.ingest_token": INGEST,
                                  "avidtrak.sandbox_clock": True})
    with TestClient(create_app(services=services), base_url=BASE) as http:
        yield http
