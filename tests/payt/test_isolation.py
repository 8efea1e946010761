"""Tenant isolation: every PAYT operation with another client's ticket, every TrackerPro
operation with another integrator's key. Nothing of the other tenant may show."""

from polytrack.payt.operations import PAYT, TRACKERPRO
from polytrack.payt.operations.base import PASSWORD
from polytrack.payt.client import TrackerProClient
from tests.payt.opsdata import login, ms, payt, table_rows, trackerpro

REPORT = {"startDate": "20240601", "endDate": "20240701", "groupIDs": "0", "dtm": "o"}


def _no_trace_of(text: str, other: dict) -> None:
    assert other["company"] not in text.lower()
    assert f"{other['company'].upper()}1 VAN" not in text


def payt_calls(other):
    """(op, subop, params) for every ticket-authenticated PAYT operation, aimed at the other tenant."""
    v, f = other["vehicles"], other["folders"]
    return [
        *[("Group", "GetByTypeID", {"groupTypeID": t}) for t in (2, 3, 4, 5)],
        ("Vehicle", "GetAllVehiclesFilteredByUserID", {}),
        ("Report", "Detailed", {**REPORT, "vehicleIDs": "0", "levelOfDetail": "0"}),
        ("Report", "Detailed", {**REPORT, "vehicleIDs": "0", "levelOfDetail": "1"}),
        ("Report", "Historic", {**REPORT, "vehicleIDs": "0"}),
        ("Report", "Detailed", {**REPORT, "vehicleIDs": str(v["van1"]), "levelOfDetail": "0"}),
        ("Report", "Detailed", {**REPORT, "vehicleIDs": str(v["car1"]), "levelOfDetail": "1"}),
        ("Report", "Detailed", {**REPORT, "vehicleIDs": "0", "groupIDs": str(f["root"]), "levelOfDetail": "0"}),
        ("Report", "Historic", {**REPORT, "vehicleIDs": str(v["van1"])}),
        ("Report", "Historic", {**REPORT, "vehicleIDs": "0", "groupIDs": str(f["vans"])}),
        ("Authenticate", "Logout", {}),
    ]


def test_every_payt_op_is_covered_here(fleets):
    covered = {(op.lower(), subop.lower()) for op, subop, _ in payt_calls(fleets[1])}
    assert covered == {tuple(o.name.lower().split("/")) for o in PAYT if o.options["auth"] != PASSWORD}


def test_payt_ticket_never_sees_another_client(http, fleets):
    acme, globex = fleets
    ticket = login(http, globex["boss"])
    for op, subop, params in payt_calls(acme):
        if op == "Authenticate":
            continue
        response = payt(http, ticket, op, subop, **{"dtm": "o", **params})
        body = response.json()
        named_foreign = any(k in params and params[k] not in ("0",) for k in ("vehicleIDs", "groupIDs"))
        if named_foreign:
            assert body["errors"][0]["reason"] == "access_denied", (op, subop, params)
        else:
            assert body["status"] == "ok", (op, subop, params, body)
            ids = {r.get("VehicleID") for t in range(len(body["dataset"]["tables"])) for r in table_rows(body, t)}
            assert not ids & set(acme["vehicles"].values())
            groups = {r.get("GroupID") for r in table_rows(body)}
            assert not groups & set(acme["folders"].values())
        _no_trace_of(response.text, acme)


def test_payt_own_ticket_sees_own_data_through_the_same_calls(http, fleets):
    acme, globex = fleets
    ticket = login(http, globex["boss"])
    body = payt(http, ticket, "Vehicle", "GetAllVehiclesFilteredByUserID", dtm="o").json()
    assert {r["VehicleID"] for r in table_rows(body)} == set(globex["vehicles"].values())
    body = payt(http, ticket, "Report", "Detailed", **{**REPORT, "vehicleIDs": "0", "levelOfDetail": "1"}).json()
    assert {r["VehicleID"] for r in table_rows(body)} == {globex["vehicles"]["van1"], globex["vehicles"]["car1"]}


def test_foreign_ticket_cannot_log_out_another_user(http, fleets):
    acme, globex = fleets
    acme_ticket = login(http, acme["boss"])
    login(http, globex["boss"])
    # Logout acts only on the ticket presented; the acme ticket is still alive afterwards
    body = payt(http, acme_ticket, "Group", "GetByTypeID", groupTypeID=3).json()
    assert body["status"] == "ok"


def trackerpro_calls(other):
    return [
        ("Vehicle", "GetAllVehiclesForClientID", {"company": other["company"]}),
        ("Task", "GetTasksByDate", {"company": other["company"], "fromDate": str(ms(2024, 1, 1)), "toDate": str(ms(2025, 1, 1))}),
        ("Admin", "GetTasksByDate", {"company": other["company"], "fromDate": str(ms(2024, 1, 1)), "toDate": str(ms(2025, 1, 1))}),
        ("Admin", "Register", {"company": other["company"], "email": "intruder@evil.example", "password": "x1"}),
        ("Admin", "Launch", {"ssid": "<ssid of the other integrator's user>"}),
    ]


def test_every_trackerpro_op_is_covered_here(fleets):
    covered = {(op.lower(), subop.lower()) for op, subop, _ in trackerpro_calls(fleets[0])}
    assert covered == {tuple(o.name.lower().split("/")) for o in TRACKERPRO}


def test_admin_key_never_sees_another_integrators_company(http, fleets):
    acme, globex = fleets
    acme_ssid = TrackerProClient("", acme["admin_key"], http=http).register("acme", acme["boss"], "pw-999999")
    for op, subop, params in trackerpro_calls(acme):
        if subop == "Launch":
            params = {"ssid": acme_ssid}
        response = trackerpro(http, globex["admin_key"], op, subop, **params)
        body = response.json()
        assert body["status"] == "error", (op, subop)
        expected = "invalid_query" if subop == "Launch" else "access_denied"
        assert body["errors"][0]["reason"] == expected, (op, subop, body)
        _no_trace_of(response.text.replace('"acme"', ""), acme)
    # nothing was created for the intruder
    own = trackerpro(http, acme["admin_key"], "Vehicle", "GetAllVehiclesForClientID", company="acme", dtm="o").json()
    assert len(table_rows(own)) == 3


def test_company_created_by_operator_belongs_to_no_integrator(http, services, fleets):
    from polytrack.payt import admin as payt_admin
    payt_admin.create_client(services, company="operator-made")
    body = trackerpro(http, fleets[0]["admin_key"], "Vehicle", "GetAllVehiclesForClientID", company="operator-made").json()
    assert body["errors"][0]["reason"] == "access_denied"
