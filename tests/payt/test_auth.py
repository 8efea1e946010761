"""PAYT Authenticate/Login and Logout, TrackerPro Admin/Register, over HTTP."""

import json

import pytest

from polytrack.payt import admin as payt_admin

pytestmark = pytest.mark.usefixtures("services")


@pytest.fixture
def user(services):
    payt_admin.create_user(services, company="acme", email="Fleet@Acme.example", password="pw-123456")
    return {"username": "fleet@acme.example", "password": "pw-123456"}


def login(http, user, **extra):
    params = {"op": "Authenticate", "subop": "Login", "clientname": "", **user, **extra}
    return http.get("/api2.ashx", params=params).json()


def test_login_returns_ticket_envelope_in_documented_key_order(http, user):
    body = login(http, user)
    assert list(body) == ["version", "reqId", "status", "sig", "ticketid"]
    assert body["version"] == "0.6" and body["status"] == "ok" and body["reqId"] == "0"
    assert len(body["ticketid"]) == 36 and body["ticketid"] == body["ticketid"].upper()
    int(body["sig"])  # a signed 32-bit decimal


def test_wrong_password_is_user_not_authenticated(http, user):
    body = login(http, {**user, "password": "nope"})
    assert body == {"version": "0.6", "status": "error",
                    "errors": [{"reason": "user_not_authenticated", "message": "Access to the System denied"}]}


def test_login_expires_earlier_tickets_of_same_user(http, user):
    first = login(http, user)["ticketid"]
    second = login(http, user)["ticketid"]
    assert first != second
    out = http.get("/api2.ashx", params={"op": "Authenticate", "subop": "Logout", "ticket": first}).json()
    assert out["errors"][0]["reason"] == "user_not_authenticated"
    ok = http.get("/api2.ashx", params={"op": "Authenticate", "subop": "Logout", "ticket": second}).json()
    assert ok["status"] == "ok" and ok["value"] == ""


def test_logout_by_xauthorization_header_kills_ticket(http, user):
    ticket = login(http, user)["ticketid"]
    body = http.post("/api2.ashx", data={"op": "Authenticate", "subop": "Logout"}, headers={"XAuthorization": ticket}).json()
    assert body["status"] == "ok"
    again = http.post("/api2.ashx", data={"op": "Authenticate", "subop": "Logout"}, headers={"XAuthorization": ticket}).json()
    assert again["errors"][0]["reason"] == "user_not_authenticated"


def test_ticket_compared_case_insensitively(http, user):
    ticket = login(http, user)["ticketid"]
    body = http.get("/api2.ashx", params={"op": "authenticate", "subop": "logout", "TICKET": ticket.lower()}).json()
    assert body["status"] == "ok"


def test_ticket_idle_expiry(http, user, clock):
    ticket = login(http, user)["ticketid"]
    clock.advance(20 * 60 * 1.01 + 1)  # idle window + the kernel's 1 % touch-lag grace
    body = http.get("/api2.ashx", params={"op": "Authenticate", "subop": "Logout", "ticket": ticket}).json()
    assert body["errors"][0]["reason"] == "user_not_authenticated"


def test_reqid_echo_and_iso_dtm_and_jsonp(http, user):
    body = login(http, user, reqId="abc-42")
    assert body["reqId"] == "abc-42"
    response = http.get("/api2.ashx", params={"op": "Authenticate", "subop": "Login", **user, "callback": "cb.done", "reqId": "7"})
    assert response.headers["content-type"].startswith("application/javascript")
    text = response.text
    assert text.startswith("cb.done(") and text.endswith(");")
    assert json.loads(text[len("cb.done("):-2])["reqId"] == "7"


def test_invalid_callback_is_invalid_request(http, user):
    body = http.get("/api2.ashx", params={"op": "Authenticate", "subop": "Login", **user, "callback": "alert(1)"}).json()
    assert body["errors"][0]["reason"] == "invalid_request"


@pytest.mark.parametrize("params,reason", [
    ({}, "invalid_request"),
    ({"op": "Authenticate"}, "invalid_request"),
    ({"op": "Authenticate", "subop": "Login"}, "invalid_query"),
    ({"op": "Authenticate", "subop": "Login", "username": "x@y.z"}, "invalid_query"),
    ({"op": "Nope", "subop": "Nothing", "ticket": "X"}, "user_not_authenticated"),
])
def test_bad_requests_get_vendor_reasons(http, params, reason):
    response = http.get("/api2.ashx", params=params)
    assert response.status_code == 200
    assert response.json()["errors"][0]["reason"] == reason


def test_unknown_op_with_valid_ticket_is_unsupported(http, user):
    ticket = login(http, user)["ticketid"]
    body = http.get("/api2.ashx", params={"op": "Foo", "subop": "Bar", "ticket": ticket, "reqId": "9"}).json()
    assert body == {"version": "0.6", "reqId": "9", "status": "error",
                    "errors": [{"reason": "unsupported_query_operation", "message": "Unsupported operation: Foo/Bar"}]}


def test_other_http_methods_are_405(http):
    assert http.put("/api2.ashx").status_code == 405
    assert http.delete("/TrackerPro_Admin.ashx").status_code == 405


def test_garbage_form_body_never_500(http):
    response = http.post("/api2.ashx", content=b"\xff\xfe\x00op=%%%", headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200
    assert response.json()["status"] == "error"


@pytest.fixture
def admin_key(services):
    return payt_admin.create_admin_key(services, name="integrator")["key"]


def register(http, key, **params):
    base = {"key": key, "op": "Admin", "subop": "Register", "company": "testertester21",
            "email": "user@example.com", "password": "whatever1"}
    return http.get("/trackerpro_admin.ashx", params={**base, **params}).json()


def test_register_creates_client_and_user_and_returns_ssid(http, admin_key):
    body = register(http, admin_key)
    assert list(body) == ["version", "reqId", "status", "sig", "value"]
    assert body["sig"] == "" and body["status"] == "ok" and len(body["value"]) == 36
    login_body = login(http, {"username": "user@example.com", "password": "whatever1"})
    assert login_body["status"] == "ok"


def test_register_again_updates_password_and_issues_new_ssid(http, admin_key):
    first = register(http, admin_key)["value"]
    second = register(http, admin_key, password="changed22")["value"]
    assert first != second
    assert login(http, {"username": "user@example.com", "password": "whatever1"})["status"] == "error"
    assert login(http, {"username": "user@example.com", "password": "changed22"})["status"] == "ok"


def test_register_same_email_other_company_fails_with_documented_message(http, admin_key):
    register(http, admin_key)
    body = register(http, admin_key, company="othercompany")
    assert body == {"version": "0.6", "status": "error",
                    "errors": [{"reason": "invalid_query", "message": "User name should be unique to client"}]}


def test_trackerpro_path_is_case_insensitive_and_key_checked(http, admin_key):
    assert http.get("/TRACKERPRO_Admin.ashx", params={"key": admin_key, "op": "Admin", "subop": "Register",
                    "company": "c1", "email": "a@b.cd", "password": "p"}).json()["status"] == "ok"
    bad = register(http, "WRONG")
    assert bad["errors"][0] == {"reason": "user_not_authenticated", "message": "Access to the System denied"}


def test_register_missing_parameter_names_it(http, admin_key):
    body = register(http, admin_key, company="")
    assert body["errors"][0]["reason"] == "invalid_query" and "company" in body["errors"][0]["message"]


def test_company_of_another_integrator_is_access_denied(http, services, admin_key):
    other = payt_admin.create_admin_key(services, name="other")["key"]
    register(http, admin_key, company="mine")
    body = register(http, other, company="mine", email="x@y.example")
    assert body["errors"][0]["reason"] == "access_denied"
