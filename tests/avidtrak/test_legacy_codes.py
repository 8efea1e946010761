"""The `avidtrak.legacy_http_codes` setting: the codes of the vendor's JSON examples (200 for
success, 401 for a missing or unknown pincode) in the body, for clients written against them;
off by default, and every other code and every status string stays the table's."""

import pytest
from starlette.testclient import TestClient

from polytrack.app import create_app
from tests.avidtrak.conftest import BASE, call

pytestmark = pytest.mark.usefixtures("services")


@pytest.fixture
def legacy(services, agency):
    services.settings.api["avidtrak.legacy_http_codes"] = True
    with TestClient(create_app(services=services), base_url=BASE) as http:
        yield http


def test_success_and_pincode_failures_carry_the_example_codes(legacy, agency):
    assert call(legacy, agency["pincode"], "get_remaining_balance") == {
        "code": 200, "status": "Success",
        "data": {"balance": "50.00", "currency": "USD", "billed_to": "self", "account_status": "active"}}
    assert call(legacy, "0000000000", "get_remaining_balance") == {
        "code": 401, "status": "Authentication Failed", "data": None}
    assert call(legacy, "", "get_remaining_balance") == {
        "code": 401, "status": "Authentication Required", "data": None}
    root = call(legacy, agency["pincode"], "get_remaining_balance", "xml")
    assert (root.findtext("code"), root.findtext("status")) == ("200", "Success")


def test_other_codes_stay_the_tables(legacy, agency):
    assert call(legacy, agency["pincode"], "no_such_method")["code"] == 404
    assert call(legacy, agency["pincode"], "get_remaining_balance", "yaml")["code"] == 6
    refused = call(legacy, agency["pincode"], "call_logs", startdate="not a date")
    assert refused["code"] == 0 and refused["status"] == "Unknown Error"


def test_off_by_default(http, agency):
    assert call(http, agency["pincode"], "get_remaining_balance")["code"] == 1
