"""The PAYT / TrackerPro hot path: authenticated reads run on services.hot (driver statements,
no SQLAlchemy), see every change another worker commits at once, and keep error shapes, rate
limits, call logging and tenant isolation."""

import json

import pytest
from sqlalchemy import delete, event, select, update
from starlette.testclient import TestClient

from polytrack.app import create_app
from polytrack.kernel.tables import kernel_call_log
from polytrack.payt.operations import PAYT, TRACKERPRO
from polytrack.payt.tables import payt_admin_keys, payt_clients, payt_groups, payt_users
from polytrack.services import Services
from tests.payt.opsdata import login, ms, payt, replace_handler, table_rows, trackerpro
from tests.rawasgi import raw_get

ACCESS_DENIED = {"reason": "user_not_authenticated", "message": "Access to the System denied"}
TASKS = {"fromDate": str(ms(2024, 1, 1)), "toDate": str(ms(2025, 1, 1))}


@pytest.fixture
def other_worker(services, engine):
    """A second worker on the same database: its own app, services and hot connection."""
    worker = Services.build(services.settings, engine=engine, clock=services.clock)
    with TestClient(create_app(services=worker), base_url="http://testserver") as client:
        yield client


def read_calls(acme):
    """Every read-only operation the hot path serves, as (client kind, op, subop, params)."""
    return [
        ("payt", "Group", "GetByTypeID", {"groupTypeID": "3"}),
        ("payt", "Vehicle", "GetAllVehiclesFilteredByUserID", {}),
        ("payt", "Report", "Historic", {"startDate": "20240610", "endDate": "20240612", "vehicleIDs": "0", "groupIDs": "0"}),
        ("trackerpro", "Vehicle", "GetAllVehiclesForClientID", {"company": acme["company"]}),
        ("trackerpro", "Task", "GetTasksByDate", {"company": acme["company"], **TASKS}),
        ("trackerpro", "Admin", "GetTasksByDate", {"company": acme["company"], **TASKS}),
    ]


def call(http, acme, ticket, kind, op, subop, params):
    if kind == "payt":
        return payt(http, ticket, op, subop, **params)
    return trackerpro(http, acme["admin_key"], op, subop, **params)


class NoEngine:
    """Stands in for services.engine: any use fails the test."""

    def __getattr__(self, name):
        raise AssertionError(f"services.engine.{name} used on the hot path")


def test_every_read_only_operation_is_listed_here(acme):
    listed = {(kind, op.lower(), subop.lower()) for kind, op, subop, _ in read_calls(acme)}
    registered = {(registry.api, *o.name.lower().split("/")) for registry in (PAYT, TRACKERPRO) for o in registry
                  if o.implemented and not o.writes}
    assert listed == registered


def test_reads_and_refusals_run_without_sqlalchemy(http, services, engine, acme, monkeypatch):
    ticket = login(http, acme["boss"])
    statements = []

    def count(*args):
        statements.append(args[2])
    event.listen(engine, "before_cursor_execute", count)
    monkeypatch.setattr(services, "engine", NoEngine())
    try:
        for kind, op, subop, params in read_calls(acme):
            body = call(http, acme, ticket, kind, op, subop, {"dtm": "o", **params}).json()
            assert body["status"] == "ok" and table_rows(body), (op, subop, body)
        assert payt(http, "not-a-ticket", "Group", "GetByTypeID", groupTypeID=3).json()["errors"] == [ACCESS_DENIED]
        assert trackerpro(http, "WRONG", "Vehicle", "GetAllVehiclesForClientID", company="acme").json()["errors"] == [ACCESS_DENIED]
        assert payt(http, ticket, "Nope", "Nothing").json()["errors"][0]["reason"] == "unsupported_query_operation"
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert statements == []


def test_logout_on_another_worker_refuses_the_ticket_at_once(http, other_worker, acme):
    ticket = login(http, acme["boss"])
    assert payt(http, ticket, "Group", "GetByTypeID", groupTypeID=3).json()["status"] == "ok"
    assert payt(other_worker, ticket, "Authenticate", "Logout").json()["status"] == "ok"
    body = payt(http, ticket, "Group", "GetByTypeID", groupTypeID=3, reqId="r1").json()
    assert body == {"version": "0.6", "reqId": "r1", "status": "error", "errors": [ACCESS_DENIED]}


def test_new_password_set_on_another_worker_ends_the_tickets(http, other_worker, acme):
    ticket = login(http, acme["boss"])
    assert payt(http, ticket, "Vehicle", "GetAllVehiclesFilteredByUserID", dtm="o").json()["status"] == "ok"
    body = trackerpro(other_worker, acme["admin_key"], "Admin", "Register", company="acme",
                      email=acme["boss"], password="brand-new-1").json()
    assert body["status"] == "ok"
    assert payt(http, ticket, "Vehicle", "GetAllVehiclesFilteredByUserID", dtm="o").json()["errors"] == [ACCESS_DENIED]


def test_idle_ticket_expires_on_the_hot_path(http, clock, acme):
    ticket = login(http, acme["boss"])
    clock.advance(20 * 60 * 0.9)
    assert payt(http, ticket, "Group", "GetByTypeID", groupTypeID=3).json()["status"] == "ok"  # slides the idle window
    clock.advance(20 * 60 * 0.9)
    assert payt(http, ticket, "Group", "GetByTypeID", groupTypeID=3).json()["status"] == "ok"
    clock.advance(20 * 60 * 1.01 + 1)
    assert payt(http, ticket, "Group", "GetByTypeID", groupTypeID=3).json()["errors"] == [ACCESS_DENIED]


def test_changes_committed_elsewhere_are_seen_at_once(http, services, acme):
    ticket = login(http, acme["boss"])
    folder = acme["folders"]["vans"]
    names = lambda: {r["GroupID"]: r["Description"] for r in table_rows(  # noqa: E731
        payt(http, ticket, "Group", "GetByTypeID", groupTypeID=3, dtm="o").json())}
    assert names()[folder] == "Vans"
    with services.transaction() as conn:  # another connection, as another worker's would be
        conn.execute(update(payt_groups).where(payt_groups.c.id == folder).values(description="Vans (renamed)"))
    assert names()[folder] == "Vans (renamed)"
    # a deleted user's ticket and a deleted admin key stop working at once
    with services.transaction() as conn:
        conn.execute(delete(payt_users).where(payt_users.c.email == acme["boss"]))
        conn.execute(delete(payt_admin_keys).where(payt_admin_keys.c.name == "integrator A"))
    assert payt(http, ticket, "Group", "GetByTypeID", groupTypeID=3).json()["errors"] == [ACCESS_DENIED]
    body = trackerpro(http, acme["admin_key"], "Vehicle", "GetAllVehiclesForClientID", company="acme").json()
    assert body["errors"] == [ACCESS_DENIED]


def test_a_token_of_another_api_is_no_ticket(http, services, acme):
    """Another API's token with a subject that is no number (PostgreSQL would refuse to cast it)."""
    with services.transaction() as conn:
        services.tokens.issue(conn, api="mapp", kind="token", subject="user-abc", token="FOREIGN-TOKEN", idle_seconds=600)
        services.tokens.issue(conn, api="payt", kind="launch", subject="no-number", token="LAUNCH-TOKEN", idle_seconds=600)
    for token in ("FOREIGN-TOKEN", "LAUNCH-TOKEN", "foreign-token"):
        assert payt(http, token, "Group", "GetByTypeID", groupTypeID=3).json()["errors"] == [ACCESS_DENIED]


def test_client_call_limit_from_the_joined_row_and_admin_key_limit(services, acme):
    """The client's own calls_per_minute comes with the ticket's one query; the admin key's
    limit is the server's. Refused calls answer access_denied and keep counting."""
    with services.transaction() as conn:
        conn.execute(update(payt_clients).where(payt_clients.c.id == acme["client_id"]).values(calls_per_minute=2))
    services.settings.api["payt.calls_per_minute"] = 3
    with TestClient(create_app(services=services), base_url="http://testserver") as http:
        ticket = login(http, acme["boss"])
        statuses = [payt(http, ticket, "Group", "GetByTypeID", groupTypeID=3).json()["status"] for _ in range(3)]
        assert statuses == ["ok", "ok", "error"]
        tp = [trackerpro(http, acme["admin_key"], "Vehicle", "GetAllVehiclesForClientID", company="acme", dtm="o").json()
              for _ in range(6)]
        assert [b["status"] for b in tp] == ["ok", "ok", "ok", "error", "error", "error"]
        assert tp[-1]["errors"] == [{"reason": "access_denied", "message": "Call rate limit exceeded"}]
        # Half a window later half the previous window's 6 hits still count (3 of them refused:
        # were they not counted, 3 * 0.5 + 1 <= 3 would let this call through).
        services.clock.advance(90)
        body = trackerpro(http, acme["admin_key"], "Vehicle", "GetAllVehiclesForClientID", company="acme", dtm="o").json()
        assert body["status"] == "error"


def test_failures_keep_the_envelope_and_are_logged(http, services, acme, monkeypatch):
    ticket = login(http, acme["boss"])

    def broken(call):
        raise RuntimeError("boom")
    replace_handler(monkeypatch, PAYT, "Group/GetByTypeID", broken)
    body = payt(http, ticket, "Group", "GetByTypeID", groupTypeID=3, reqId="z").json()
    assert body == {"version": "0.6", "reqId": "z", "status": "error",
                    "errors": [{"reason": "internal_error", "message": "Internal error"}]}
    trackerpro(http, acme["admin_key"], "Vehicle", "GetAllVehiclesForClientID", company="globex")
    payt(http, ticket, "Vehicle", "GetAllVehiclesFilteredByUserID")
    services.calllog.flush()
    with services.engine.connect() as conn:
        logged = conn.execute(select(kernel_call_log.c.api, kernel_call_log.c.operation, kernel_call_log.c.account,
                                     kernel_call_log.c.outcome).order_by(kernel_call_log.c.id)).all()
    assert [tuple(r) for r in logged[-3:]] == [
        ("payt", "Group/GetByTypeID", acme["boss"], "internal_error"),
        ("trackerpro", "Vehicle/GetAllVehiclesForClientID", "integrator A", "access_denied"),
        ("payt", "Vehicle/GetAllVehiclesFilteredByUserID", acme["boss"], "ok"),
    ]




@pytest.mark.parametrize("path", ["/api2.ashx", "/trackerpro_admin.ashx"])
def test_query_bytes_that_are_no_utf8_get_an_envelope(app, path):
    status, body = raw_get(app, path, b"op=Group&subop=GetByTypeID&groupTypeID=3&ticket=\xff\xfe")
    assert status == 200
    assert json.loads(body) == {"version": "0.6", "status": "error",
                                "errors": [{"reason": "invalid_request", "message": "Invalid request"}]}


def test_query_string_read_as_request_url_reads_it(http, acme):
    ticket = login(http, acme["boss"])
    # '+' and %-escapes decode, a fragment is cut off, names are case-insensitive
    response = http.get(f"/api2.ashx?OP=Group&subop=GetBy%54ypeID&groupTypeID=%203&ticket={ticket}&reqId=a+b%2Bc")
    assert response.json()["reqId"] == "a b+c" and response.json()["status"] == "ok"


def test_demo_trackerpro_example_is_the_benchmark_read(http, services):
    """The banner's TrackerPro curl line reads (Vehicle/GetAllVehiclesForClientID), writes nothing."""
    from urllib.parse import urlsplit

    from polytrack.demo import seed_demo
    from polytrack.payt import demo

    seed_demo(services)
    base = "http://testserver"
    lines = demo.curl_examples(base, demo.credentials(base))
    (line,) = [line for line in lines if "/trackerpro_admin.ashx" in line]
    url = urlsplit(line.split("'")[1])
    assert "subop=GetAllVehiclesForClientID" in url.query and "Register" not in line
    body = http.get(f"{url.path}?{url.query}&dtm=o").json()
    assert body["status"] == "ok" and len(table_rows(body)) == 4
    assert all(row["LastPositionDateTime"] for row in table_rows(body))


CHANGE_IN_ANOTHER_PROCESS = """
import sys
from sqlalchemy import update
from polytrack.kernel.db import make_engine
from polytrack.payt.tables import payt_groups
with make_engine(sys.argv[1]).begin() as conn:
    conn.execute(update(payt_groups).where(payt_groups.c.id == int(sys.argv[2])).values(description=sys.argv[3]))
"""


def test_a_change_committed_by_another_process_is_seen_at_once(http, services, acme):
    """The read caches are per process: another process's commit must still empty them."""
    import subprocess
    import sys

    ticket = login(http, acme["boss"])
    folder = acme["folders"]["vans"]

    def names():
        body = payt(http, ticket, "Group", "GetByTypeID", groupTypeID=3).json()
        return {r["GroupID"]: r["Description"] for r in table_rows(body)}
    assert names()[folder] == "Vans"
    assert names()[folder] == "Vans"  # answered from the cache
    subprocess.run([sys.executable, "-c", CHANGE_IN_ANOTHER_PROCESS, services.settings.db, str(folder), "Vans (elsewhere)"],
                   check=True)
    assert names()[folder] == "Vans (elsewhere)"


def test_cached_answers_are_still_charged(http, acme, monkeypatch):
    from polytrack.payt.operations import base as common

    charged = []
    monkeypatch.setattr(common, "credit_check", lambda call: charged.append(call.caller.email) or len(charged) < 3)
    ticket = login(http, acme["boss"])
    bodies = [payt(http, ticket, "Group", "GetByTypeID", groupTypeID=3).json() for _ in range(3)]
    assert [b["status"] for b in bodies] == ["ok", "ok", "error"]
    assert bodies[2]["errors"] == [{"reason": "no_credit_left", "message": "No credit left"}]
    assert len(charged) == 3


def test_answers_differ_by_caller_and_parameters(http, acme):
    boss, vans = login(http, acme["boss"]), login(http, acme["vans_user"])
    for _ in range(2):
        assert len(table_rows(payt(http, boss, "Group", "GetByTypeID", groupTypeID=3).json())) == 4
        assert len(table_rows(payt(http, vans, "Group", "GetByTypeID", groupTypeID=3).json())) == 3
        assert len(table_rows(payt(http, boss, "Group", "GetByTypeID", groupTypeID=2).json())) == 1
        iso = payt(http, boss, "Group", "GetByTypeID", groupTypeID=3, dtm="o", reqId="x", callback="cb")
        assert iso.text.startswith('cb({"version":"0.6","reqId":"x"')


def test_a_position_from_a_device_shows_in_the_next_vehicle_list(http, clock, acme):
    """The ingest writes on its own connection and commits in batches; the next cached read
    must still see the position."""
    ticket = login(http, acme["boss"])

    def van1():
        body = payt(http, ticket, "Vehicle", "GetAllVehiclesFilteredByUserID", dtm="o").json()
        return next(r for r in table_rows(body) if r["VehicleID"] == acme["vehicles"]["van1"])
    before = van1()
    assert van1() == before  # now from the cache
    fix_t = int(clock.timestamp())
    response = http.get("/osmand", params={"id": "acme-van1", "lat": "52.5000000", "lon": "13.4000000", "timestamp": str(fix_t)})
    assert response.status_code == 200
    after = van1()
    assert (after["Latitude"], after["Longitude"]) == (52.5, 13.4)
    assert after["LastPositionDateTime"] != before["LastPositionDateTime"]
