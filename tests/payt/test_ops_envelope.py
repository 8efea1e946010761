"""What every data operation shares: envelope, reqId, dtm, JSONP, and each error reason."""

import json

import pytest
from starlette.testclient import TestClient

from polytrack.app import create_app
from polytrack.payt.operations import PAYT
from polytrack.payt.operations import base as common
from tests.payt.opsdata import login, payt, replace_handler, trackerpro

DATA_OPS = [
    ("Group", "GetByTypeID", {"groupTypeID": "3"}),
    ("Vehicle", "GetAllVehiclesFilteredByUserID", {}),
    ("Report", "Detailed", {"startDate": "20240610", "endDate": "20240612", "vehicleIDs": "0", "groupIDs": "0", "levelOfDetail": "0"}),
    ("Report", "Detailed", {"startDate": "20240610", "endDate": "20240612", "vehicleIDs": "0", "groupIDs": "0", "levelOfDetail": "1"}),
    ("Report", "Historic", {"startDate": "20240610", "endDate": "20240612", "vehicleIDs": "0", "groupIDs": "0"}),
]


def tp_ops(acme):
    return [
        ("Vehicle", "GetAllVehiclesForClientID", {"company": "acme"}),
        ("Task", "GetTasksByDate", {"company": "acme", "fromDate": "1725926400000", "toDate": "1726099200000"}),
    ]


@pytest.mark.parametrize("op,subop,params", DATA_OPS)
def test_reqid_echo_and_default(http, acme, op, subop, params):
    ticket = login(http, acme["boss"])
    assert payt(http, ticket, op, subop, reqId="q-17", dtm="o", **params).json()["reqId"] == "q-17"
    assert payt(http, ticket, op, subop, dtm="o", **params).json()["reqId"] == "0"


@pytest.mark.parametrize("op,subop,params", DATA_OPS)
def test_jsonp_wraps_dataset_with_date_literals(http, acme, op, subop, params):
    ticket = login(http, acme["boss"])
    response = payt(http, ticket, op, subop, callback="window.cb_1", reqId="5", **params)
    assert response.headers["content-type"] == "application/javascript; charset=utf-8"
    assert response.text.startswith("window.cb_1({") and response.text.endswith("});")
    plain = payt(http, ticket, op, subop, reqId="5", **params)
    assert plain.headers["content-type"] == "application/json; charset=utf-8"
    assert response.text == f"window.cb_1({plain.text});"


@pytest.mark.parametrize("op,subop,params", DATA_OPS)
def test_dtm_o_is_strict_json_default_is_not(http, acme, op, subop, params):
    ticket = login(http, acme["boss"])
    iso = payt(http, ticket, op, subop, dtm="o", **params)
    json.loads(iso.text)  # strict JSON
    default = payt(http, ticket, op, subop, **params).text
    if "new Date(" in default:
        with pytest.raises(ValueError):
            json.loads(default)
        assert iso.text.count("0000000\"") >= 1


def served_with(services, **api_settings) -> TestClient:
    """A client of an app built after `api_settings` were set: the wire reads its settings once,
    when its routes are built, as a server does at start."""
    services.settings.api.update(api_settings)
    return TestClient(create_app(services=services), base_url="http://testserver")


def test_quoted_dates_server_switch(services, acme):
    with served_with(services, **{"payt.quote_dates": True}) as http:
        text = payt(http, login(http, acme["boss"]), "Vehicle", "GetAllVehiclesFilteredByUserID").text
    body = json.loads(text)
    assert any(isinstance(c["v"], str) and c["v"].startswith("new Date(") for r in body["dataset"]["tables"][0]["rows"] for c in r["c"])


@pytest.mark.parametrize("op,subop,params", DATA_OPS)
def test_without_or_with_dead_ticket_user_not_authenticated(http, acme, op, subop, params):
    for ticket in (None, "16E59D20-5FFF-4D9B-99D2-67C071E26483"):
        query = {"op": op, "subop": subop, **params, **({"ticket": ticket} if ticket else {})}
        body = http.get("/api2.ashx", params=query).json()
        assert body["errors"] == [{"reason": "user_not_authenticated", "message": "Access to the System denied"}]
    ticket = login(http, acme["boss"])
    payt(http, ticket, "Authenticate", "Logout")
    assert payt(http, ticket, op, subop, **params).json()["errors"][0]["reason"] == "user_not_authenticated"


def test_trackerpro_ops_without_or_with_wrong_key(http, acme):
    for op, subop, params in tp_ops(acme):
        for key in (None, "WRONG"):
            query = {"op": op, "subop": subop, **params, **({"key": key} if key else {})}
            body = http.get("/trackerpro_admin.ashx", params=query).json()
            assert body["errors"][0]["reason"] == "user_not_authenticated"


@pytest.mark.parametrize("op,subop", [("Vehicle", "GetVehiclePositions"), ("EventTypes", "GetAll"), ("Report", "Nope")])
def test_unknown_payt_ops_unsupported(http, acme, op, subop):
    body = payt(http, login(http, acme["boss"]), op, subop).json()
    assert body["errors"][0]["reason"] == "unsupported_query_operation"
    assert f"{op}/{subop}" in body["errors"][0]["message"]


def test_trackerpro_unknown_op_and_missing_subop(http, acme):
    assert trackerpro(http, acme["admin_key"], "Client", "List").json()["errors"][0]["reason"] == "unsupported_query_operation"
    body = http.get("/trackerpro_admin.ashx", params={"key": acme["admin_key"], "op": "Task"}).json()
    assert body["errors"][0]["reason"] == "invalid_request"


def test_internal_error_is_enveloped_and_logged(http, acme, monkeypatch):
    def broken(call):
        raise RuntimeError("boom")
    replace_handler(monkeypatch, PAYT, "Group/GetByTypeID", broken)
    response = payt(http, login(http, acme["boss"]), "Group", "GetByTypeID", groupTypeID=3, reqId="z")
    assert response.status_code == 200
    assert response.json() == {"version": "0.6", "reqId": "z", "status": "error",
                               "errors": [{"reason": "internal_error", "message": "Internal error"}]}
    assert "boom" not in response.text


def test_no_credit_left_on_data_calls_only(http, acme, monkeypatch):
    charged = []

    def no_credit(call):
        charged.append(call.params.get("subop"))
        return False
    monkeypatch.setattr(common, "credit_check", no_credit)
    ticket = login(http, acme["boss"])  # Login is never charged
    for op, subop, params in DATA_OPS:
        body = payt(http, ticket, op, subop, **params).json()
        assert body["errors"] == [{"reason": "no_credit_left", "message": "No credit left"}]
    for op, subop, params in tp_ops(acme):
        assert trackerpro(http, acme["admin_key"], op, subop, **params).json()["errors"][0]["reason"] == "no_credit_left"
    register = trackerpro(http, acme["admin_key"], "Admin", "Register", company="acme", email="fresh@acme.example", password="p-1").json()
    assert register["status"] == "ok"
    assert trackerpro(http, acme["admin_key"], "Admin", "Launch", ssid=register["value"]).json()["status"] == "ok"
    assert payt(http, ticket, "Authenticate", "Logout").json()["status"] == "ok"
    assert len(charged) == len(DATA_OPS) + 2


def test_credit_hook_allowing_calls(http, acme, monkeypatch):
    monkeypatch.setattr(common, "credit_check", lambda call: call.caller is None or call.caller.client_id == acme["client_id"])
    assert payt(http, login(http, acme["boss"]), "Group", "GetByTypeID", groupTypeID=3).json()["status"] == "ok"


def test_rate_limit_answers_access_denied(services, acme):
    with served_with(services, **{"payt.calls_per_minute": 3}) as http:
        ticket = login(http, acme["boss"])
        reasons = [payt(http, ticket, "Group", "GetByTypeID", groupTypeID=3).json()["status"] for _ in range(4)]
        assert reasons == ["ok", "ok", "ok", "error"]
        assert payt(http, ticket, "Group", "GetByTypeID", groupTypeID=3).json()["errors"][0] == {
            "reason": "access_denied", "message": "Call rate limit exceeded"}
