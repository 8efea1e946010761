"""create_account and update_user_details, in JSON and XML (the scope rule: a pincode acts on
its own account; agency-only methods act on the agency's clients)."""

import pytest

from tests.avidtrak.conftest import FORMATS, as_sent, call, client, create, error_of

pytestmark = pytest.mark.usefixtures("services")


@pytest.mark.parametrize("fmt", FORMATS)
def test_create_account_makes_a_client_that_logs_in(http, agency, fmt):
    data = client(http, agency["pincode"], fmt).call(
        "create_account", userid="joesplumbing", password="Pipes2024", account_type="pro",
        email="joe@joesplumbing.example", contact_name="Joe Smith", contact_number="410-555-7788",
        domain="https://www.joesplumbing.example/")
    pincode, site_key = data["pincode"], data["site_key"]
    assert len(pincode) == 10 and pincode.isdigit() and len(site_key) == 36
    assert data == as_sent({
        "userid": "joesplumbing", "pincode": pincode, "account_type": "pro", "email": "joe@joesplumbing.example",
        "contact_name": "Joe Smith", "contact_number": "4105557788", "domain": "www.joesplumbing.example",
        "site_key": site_key, "created_on": "2024-06-12 12:00:00"}, fmt)
    # the new client is billed to the agency and listed with its pincode
    assert call(http, pincode, "get_remaining_balance")["data"]["billed_to"] == "agency"
    assert call(http, agency["pincode"], "client_list")["data"][0]["pincode"] == pincode


def test_create_account_lite_has_no_site_key(http, agency):
    data = client(http, agency["pincode"]).call("create_account", userid="mikesradio", password="Radio2024",
                                                 account_type="LITE")
    assert data["account_type"] == "lite" and data["site_key"] is None and data["email"] == ""


@pytest.mark.parametrize("fmt", FORMATS)
def test_create_account_errors_in_order(http, agency, pro_client, fmt):
    pin = agency["pincode"]
    assert error_of(http, pro_client["pincode"], "create_account", fmt, userid="x")["error"] == "agency_only"
    assert error_of(http, pin, "create_account", fmt) == as_sent(
        {"error": "missing_parameter", "message": "Missing required parameter: userid", "parameter": "userid"}, fmt)
    assert error_of(http, pin, "create_account", fmt, userid="abcd")["parameter"] == "password"
    assert error_of(http, pin, "create_account", fmt, userid="abcd", password="abcdef")["parameter"] == "account_type"
    bad = {"userid": "ab", "password": "abc def", "account_type": "gold"}
    assert error_of(http, pin, "create_account", fmt, **bad) == as_sent(
        {"error": "invalid_parameter", "message": "Invalid value for parameter: userid", "parameter": "userid"}, fmt)
    good = {"userid": "newclient", "password": "Secret123", "account_type": "pro"}
    for name, value in [("password", "short"), ("account_type", "gold"), ("email", "nope"),
                        ("contact_number", "12345"), ("domain", "not a domain"), ("contact_name", "x" * 101)]:
        assert error_of(http, pin, "create_account", fmt, **{**good, name: value})["parameter"] == name
    assert error_of(http, pin, "create_account", fmt, **{**good, "userid": "JoesPlumbing"}) == as_sent(
        {"error": "userid_exists", "message": "User ID already exists"}, fmt)
    # nothing of the failed calls was stored
    assert [r["userid"] for r in call(http, pin, "client_list")["data"]] == ["joesplumbing"]


def test_individual_cannot_create_accounts(http, admin):
    solo = create(admin, kind="individual", userid="solo_shop", password="Solo2024", account_type="pro")
    assert error_of(http, solo["pincode"], "create_account", userid="abcd")["error"] == "agency_only"


@pytest.mark.parametrize("fmt", FORMATS)
def test_update_user_details_changes_only_the_own_account(http, agency, pro_client, fmt):
    data = client(http, pro_client["pincode"], fmt).call("update_user_details", fullname="Joseph Q. Smith",
                                                          email="owner2@joesplumbing.example")
    assert data == as_sent({"userid": "joesplumbing", "fullname": "Joseph Q. Smith",
                            "email": "owner2@joesplumbing.example", "updated": ["fullname", "email"]}, fmt)
    data = client(http, pro_client["pincode"], fmt).call("update_user_details", username="joes_plumbing",
                                                          password="NewPass99")
    assert data["updated"] == ["username", "password"] and data["userid"] == "joes_plumbing"
    # the agency's own details are untouched, the client row shows the change, the pincode stays
    rows = call(http, agency["pincode"], "client_list")["data"]
    assert (rows[0]["userid"], rows[0]["contact_name"], rows[0]["pincode"]) == (
        "joes_plumbing", "Joseph Q. Smith", pro_client["pincode"])


@pytest.mark.parametrize("fmt", FORMATS)
def test_update_user_details_errors(http, agency, pro_client, lite_client, fmt):
    pin = pro_client["pincode"]
    assert error_of(http, pin, "update_user_details", fmt) == as_sent(
        {"error": "nothing_to_update", "message": "Provide at least one parameter to update"}, fmt)
    for name, value in [("username", "a b"), ("fullname", "x" * 101), ("email", "x@"), ("password", "12")]:
        assert error_of(http, pin, "update_user_details", fmt, **{name: value})["parameter"] == name
    assert error_of(http, pin, "update_user_details", fmt, username="MIKESRADIO")["error"] == "userid_exists"
    # its own user ID again is fine
    assert client(http, pin, fmt).call("update_user_details", userid="joesplumbing")["updated"] == ["username"]
