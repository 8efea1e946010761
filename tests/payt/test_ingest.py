"""The OsmAnd endpoint over HTTP: the forms Traccar accepts, unknown devices, duplicates,
late fixes, malformed input, and the separate-port app."""

import asyncio
import json

import pytest
from sqlalchemy import select, update
from starlette.testclient import TestClient

from polytrack.payt import derive, fleet
from polytrack.payt import package as payt_package
from polytrack.payt.ingest import build_osmand_app, osmand_app
from polytrack.payt.motion import EVENT_IGNITION_OFF, EVENT_IGNITION_ON
from polytrack.payt.tables import payt_derivation_state, payt_events, payt_positions, payt_unknown_devices, payt_vehicles
from tests.payt.fleetkit import make_client, make_vehicle

pytestmark = pytest.mark.usefixtures("services")

T = 1718180000  # 2024-06-12 08:13:20 UTC, before the frozen clock's noon


@pytest.fixture
def vehicle(services):
    client_id = make_client(services)
    return make_vehicle(services, client_id, "phone-1")


def positions(services, vehicle_id=None):
    query = select(payt_positions).order_by(payt_positions.c.fix_ms)
    if vehicle_id is not None:
        query = query.where(payt_positions.c.vehicle_id == vehicle_id)
    with services.engine.connect() as conn:
        return [row._asdict() for row in conn.execute(query)]


def test_query_form_is_stored_with_traccar_units(http, services, vehicle):
    response = http.get("/osmand", params={"id": "phone-1", "lat": "51.5", "lon": "-0.12", "timestamp": str(T),
                                           "speed": "10", "bearing": "90.5", "altitude": "12", "accuracy": "4.5",
                                           "batt": "87", "hdop": "0.9", "ignition": "true"})
    assert response.status_code == 200 and response.text == ""
    (row,) = positions(services)
    assert row["vehicle_id"] == vehicle and row["fix_ms"] == T * 1000
    assert row["speed_kph"] == pytest.approx(18.52)  # knots
    assert (row["heading"], row["altitude"], row["accuracy"], row["battery"], row["ignition"]) == (90.5, 12, 4.5, 87, 1)
    assert row["received_ms"] == 1718193600000  # the frozen clock


def test_post_form_body_and_aliases(http, services, vehicle):
    body = f"deviceid=phone-1&latitude=51.5&longitude=-0.12&timestamp={T}000&heading=10"
    response = http.post("/osmand", content=body, headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200
    (row,) = positions(services)
    assert row["fix_ms"] == T * 1000 and row["heading"] == 10 and row["speed_kph"] is None


@pytest.mark.parametrize("stamp,expected_ms", [
    (str(T), T * 1000),
    (f"{T}123", T * 1000 + 123),
    (f"{T}.5", T * 1000 + 500),
    ("2024-06-12T08:13:20Z", T * 1000),
    ("2024-06-12T10:13:20+02:00", T * 1000),
    ("2024-06-12 08:13:20", T * 1000),
])
def test_timestamp_forms(http, services, vehicle, stamp, expected_ms):
    assert http.get("/osmand", params={"id": "phone-1", "lat": 1, "lon": 2, "timestamp": stamp}).status_code == 200
    assert positions(services)[0]["fix_ms"] == expected_ms


def test_missing_timestamp_means_now_and_location_param(http, services, vehicle):
    assert http.get("/osmand", params={"id": "phone-1", "location": "51.5,-0.12"}).status_code == 200
    (row,) = positions(services)
    assert row["fix_ms"] == 1718193600000 and (row["latitude"], row["longitude"]) == (51.5, -0.12)


def traccar_client_json(device="phone-1", **location):
    body = {"device_id": device, "location": {
        "timestamp": "2024-06-12T08:13:20.000Z", "is_moving": True, "odometer": 1234, "event": "motionchange",
        "coords": {"latitude": 51.5, "longitude": -0.12, "accuracy": 5, "speed": 10, "heading": 180, "altitude": 20},
        "battery": {"level": 0.66, "is_charging": False}, "activity": {"type": "in_vehicle"}, **location}}
    return body


def test_json_body_of_newer_traccar_client(http, services, vehicle):
    response = http.post("/osmand", json=traccar_client_json())
    assert response.status_code == 200
    (row,) = positions(services)
    assert row["fix_ms"] == T * 1000 and row["speed_kph"] == pytest.approx(36.0)  # m/s in this form
    assert (row["heading"], row["altitude"], row["accuracy"], row["battery"]) == (180, 20, 5, 66)


def test_json_batch_and_unknown_speed(http, services, vehicle):
    one = traccar_client_json()["location"]
    two = {**one, "timestamp": "2024-06-12T08:13:30Z", "coords": {**one["coords"], "speed": -1, "heading": -1}}
    assert http.post("/osmand", json={"device_id": "phone-1", "location": [one, two]}).status_code == 200
    rows = positions(services)
    assert len(rows) == 2 and rows[1]["speed_kph"] is None and rows[1]["heading"] is None


def unknown_count(services, identifier):
    with services.engine.connect() as conn:
        row = conn.execute(select(payt_unknown_devices).where(payt_unknown_devices.c.identifier == identifier)).first()
    return row.attempts if row else 0


def test_unknown_device_refused_and_counted(http, services, vehicle):
    response = http.get("/osmand", params={"id": "stranger", "lat": 1, "lon": 2, "timestamp": T})
    assert response.status_code == 400 and "unknown device" in response.text
    assert http.post("/osmand", json=traccar_client_json("stranger")).status_code == 404  # Traccar: JSON form
    assert unknown_count(services, "stranger") == 2
    assert positions(services) == []


def test_device_not_fitted_to_a_vehicle_is_refused(http, services):
    client_id = make_client(services)
    with services.transaction() as conn:
        fleet.create_device(conn, services.clock, client_id, identifier="spare")
    response = http.get("/osmand", params={"id": "spare", "lat": 1, "lon": 2})
    assert response.status_code == 400 and "not fitted" in response.text


def test_duplicates_are_ignored(http, services, vehicle):
    params = {"id": "phone-1", "lat": "51.5", "lon": "-0.12", "timestamp": T, "speed": "1"}
    for _ in range(3):
        assert http.get("/osmand", params=params).status_code == 200
    assert http.get("/osmand", params={**params, "lat": "52"}).status_code == 200  # same fix time: a retransmission
    rows = positions(services)
    assert len(rows) == 1 and rows[0]["latitude"] == 51.5


def test_late_fix_marks_vehicle_dirty_until_refreshed(http, services, vehicle):
    for t in (T, T + 20, T + 10):
        assert http.get("/osmand", params={"id": "phone-1", "lat": 51.5, "lon": -0.12, "timestamp": t}).status_code == 200
    with services.transaction() as conn:
        state = conn.execute(select(payt_derivation_state).where(payt_derivation_state.c.vehicle_id == vehicle)).first()
        assert state.dirty_from_ms == (T + 10) * 1000 and state.derived_until_ms == (T + 20) * 1000
        assert derive.ensure_fresh(conn, [vehicle]) == 1
        assert derive.ensure_fresh(conn, [vehicle]) == 0  # nothing left to do
        state = conn.execute(select(payt_derivation_state).where(payt_derivation_state.c.vehicle_id == vehicle)).first()
        assert state.dirty_from_ms is None
    assert len(positions(services)) == 3


def test_ensure_fresh_skips_dirt_after_the_read_window(http, services, vehicle):
    for t in (T, T + 20, T + 10):
        http.get("/osmand", params={"id": "phone-1", "lat": 51.5, "lon": -0.12, "timestamp": t})
    with services.transaction() as conn:
        assert derive.ensure_fresh(conn, [vehicle], to_ms=T * 1000) == 0
        assert derive.ensure_fresh(conn, None, to_ms=(T + 11) * 1000) == 1


@pytest.mark.parametrize("params,reason", [
    ({"id": "phone-1", "lon": "2", "timestamp": T}, "missing lat"),
    ({"id": "phone-1", "lat": "", "lon": "2"}, "missing lat"),
    ({"id": "phone-1", "lat": "999", "lon": "2"}, "lat out of range"),
    ({"id": "phone-1", "lat": "1", "lon": "-181"}, "lon out of range"),
    ({"id": "phone-1", "lat": "nan", "lon": "2"}, "finite"),
    ({"id": "phone-1", "lat": "abc", "lon": "2"}, "lat is not a number"),
    ({"id": "phone-1", "lat": "1", "lon": "2", "timestamp": "yesterday"}, "timestamp not understood"),
    ({"id": "phone-1", "lat": "1", "lon": "2", "timestamp": "0"}, "out of range"),
    ({"id": "phone-1", "lat": "1", "lon": "2", "timestamp": str(T + 10 * 86400)}, "out of range"),
    ({"id": "phone-1", "lat": "1", "lon": "2", "speed": "fast"}, "speed is not a number"),
    ({"id": "phone-1", "lat": "1", "lon": "2", "ignition": "maybe"}, "ignition is not a boolean"),
    ({"id": "phone-1", "location": "1;2"}, "location"),
    ({"lat": "1", "lon": "2"}, "missing device id"),
    ({}, "no parameters"),
])
def test_malformed_query_is_400_and_stores_nothing(http, services, vehicle, params, reason):
    response = http.get("/osmand", params=params)
    assert response.status_code == 400 and reason in response.text
    assert positions(services) == []


@pytest.mark.parametrize("body,content_type,reason", [
    (b"", "application/x-www-form-urlencoded", "no parameters"),
    (b"", "application/json", "not valid JSON"),
    (b'{"device_id": "phone-1", "location": {', "application/json", "not valid JSON"),
    (b"[1, 2]", "application/json", "must be an object"),
    (b'{"location": {}}', "application/json", "missing device_id"),
    (b'{"device_id": "phone-1"}', "application/json", "missing location"),
    (b'{"device_id": "phone-1", "location": {"coords": {}}}', "application/json", "timestamp is missing"),
    (b'{"device_id": "phone-1", "location": {"timestamp": "x", "coords": {}}}', "application/json", "timestamp"),
    (b'{"device_id": "phone-1", "location": {"timestamp": "2024-06-12T08:00:00Z", "coords": {"latitude": 1}}}',
     "application/json", "longitude is missing"),
    (b'{"device_id": "phone-1", "location": {"timestamp": "2024-06-12T08:00:00Z", "coords": {"latitude": "1", '
     b'"longitude": 2}}}', "application/json", "latitude is not a number"),
    (b"\xff\xfe=\x00", "application/x-www-form-urlencoded", "form-encoded"),
])
def test_malformed_body_is_400_and_stores_nothing(http, services, vehicle, body, content_type, reason):
    response = http.post("/osmand", content=body, headers={"content-type": content_type})
    assert response.status_code == 400 and reason in response.text, response.text
    assert positions(services) == []


def test_one_bad_fix_in_a_batch_stores_none(http, services, vehicle):
    body = traccar_client_json()
    good = body["location"]
    bad = {**good, "timestamp": "2024-06-12T08:14:00Z", "coords": {**good["coords"], "latitude": 123}}
    assert http.post("/osmand", json={"device_id": "phone-1", "location": [good, bad]}).status_code == 400
    assert positions(services) == []


def test_invalid_fix_is_accepted_but_not_stored(http, services, vehicle):
    assert http.get("/osmand", params={"id": "phone-1", "lat": 1, "lon": 2, "valid": "false"}).status_code == 200
    assert positions(services) == []


def test_other_methods_are_405(http, vehicle):
    assert http.put("/osmand", params={"id": "phone-1", "lat": 1, "lon": 2}).status_code == 405
    assert http.delete("/osmand").status_code == 405


def test_reported_ignition_replaces_synthesised_events(http, services, vehicle):
    for k, ignition in enumerate(["false", "true", "true", "false"]):
        http.get("/osmand", params={"id": "phone-1", "lat": 51.5, "lon": -0.12, "timestamp": T + 60 * k,
                                    "ignition": ignition, "speed": 0})
    with services.engine.connect() as conn:
        kinds = [r.event_type_id for r in conn.execute(select(payt_events).order_by(payt_events.c.at_ms))]
    assert kinds == [EVENT_IGNITION_OFF, EVENT_IGNITION_ON, EVENT_IGNITION_OFF]


def test_refitting_a_device_moves_its_positions_to_the_new_vehicle(http, services, vehicle):
    http.get("/osmand", params={"id": "phone-1", "lat": 1, "lon": 2, "timestamp": T})
    with services.transaction() as conn:
        client_id = fleet.client_id_for(conn, "acme")
        fleet.update_vehicle(conn, services.clock, client_id, vehicle, device_identifier="")
        other = fleet.create_vehicle(conn, services.clock, client_id, registration="NEW", device_identifier="phone-1")
    http.get("/osmand", params={"id": "phone-1", "lat": 1, "lon": 2, "timestamp": T + 10})
    assert [r["vehicle_id"] for r in positions(services)] == [vehicle, other]


def test_separate_port_app_answers_on_any_path(services, vehicle):
    with TestClient(build_osmand_app(services)) as device_port:
        assert device_port.get("/", params={"id": "phone-1", "lat": 1, "lon": 2, "timestamp": T}).status_code == 200
        later = traccar_client_json(timestamp="2024-06-12T08:20:00Z")
        assert device_port.post("/whatever/path", json=later).status_code == 200
        assert device_port.get("/", params={"id": "phone-1", "lat": 999, "lon": 2}).status_code == 400
        assert device_port.get("/", params={"id": "nobody", "lat": 1, "lon": 2}).status_code == 400
    assert len(positions(services)) == 2


def test_granian_factory_reads_settings_from_environment(services, vehicle, monkeypatch):
    monkeypatch.setenv("POLYTRACK_SETTINGS_JSON", json.dumps({"db": services.settings.db, "osmand_port": 5055}))
    app = osmand_app()
    with TestClient(app) as device_port:
        assert device_port.get("/", params={"id": "phone-1", "lat": 1, "lon": 2, "timestamp": T}).status_code == 200
    app.state.services.engine.dispose()
    assert len(positions(services)) == 1


def test_extra_servers_follow_the_osmand_port_setting(settings):
    settings.osmand_port = 5055
    assert payt_package.extra_servers(settings) == [(5055, "polytrack.payt.ingest:osmand_app")]
    settings.osmand_port = 0
    assert payt_package.extra_servers(settings) == []


def test_body_over_one_megabyte_is_413_and_stores_nothing(http, services, vehicle):
    body = "id=phone-1&lat=1&lon=2&pad=" + "x" * (1 << 20)
    response = http.post("/osmand", content=body, headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413 and "too large" in response.text
    assert positions(services) == []


def test_device_port_names_the_allowed_methods(services, vehicle):
    with TestClient(build_osmand_app(services)) as device_port:
        for method in ("PUT", "DELETE", "HEAD", "OPTIONS"):
            response = device_port.request(method, "/", params={"id": "phone-1", "lat": 1, "lon": 2})
            assert response.status_code == 405 and response.headers["allow"] == "GET, POST"
    assert positions(services) == []


def test_undecodable_bytes_in_the_query_are_a_400_not_a_500(http, services, vehicle):
    response = http.get("/osmand?id=%FF%FEx&lat=1&lon=2")  # percent-encoded, not UTF-8
    assert response.status_code == 400 and "unknown device" in response.text
    answers = []

    async def send(message):
        answers.append(message)

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    scope = {"type": "http", "method": "GET", "path": "/", "query_string": b"id=\xff\xfe&lat=1&lon=2", "headers": []}
    asyncio.run(build_osmand_app(services)(scope, receive, send))  # raw bytes, as a broken tracker sends them
    assert answers[0]["status"] == 400 and b"unknown device" in answers[1]["body"]
    assert positions(services) == []


def test_a_device_refitted_elsewhere_reports_for_its_new_vehicle_at_once(http, services, vehicle):
    """The device and vehicle caches follow every committed change (kernel.coherence), not only
    this process's fleet.py calls, which also clear them explicitly."""
    with services.engine.connect() as conn:
        client_id, device_id = conn.execute(
            select(payt_vehicles.c.client_id, payt_vehicles.c.device_id).where(payt_vehicles.c.id == vehicle)).one()
    other = make_vehicle(services, client_id, "spare-unit")
    fix = {"id": "phone-1", "lat": "51.5", "lon": "-0.12"}
    assert http.get("/osmand", params={**fix, "timestamp": str(T)}).status_code == 200
    assert derive.load_context_cached(vehicle) is not None
    with services.transaction() as conn:  # plain SQL, as another worker's admin call would commit
        conn.execute(update(payt_vehicles).where(payt_vehicles.c.id.in_([vehicle, other])).values(device_id=None))
        conn.execute(update(payt_vehicles).where(payt_vehicles.c.id == other).values(device_id=device_id, speed_limit_kph=30))
    assert derive.load_context_cached(vehicle) is None
    assert http.get("/osmand", params={**fix, "timestamp": str(T + 10)}).status_code == 200
    assert [p["fix_ms"] for p in positions(services, other)] == [(T + 10) * 1000]
    assert [p["fix_ms"] for p in positions(services, vehicle)] == [T * 1000]


def test_positions_leave_the_device_cache_alone(http, services, vehicle, monkeypatch):
    """Collected data moves only its own marker: a steady stream of fixes does not make every
    fix look its device up again."""
    from polytrack.payt.ingest import cache

    lookups = []
    real_lookup = cache.lookup
    monkeypatch.setattr(cache, "lookup", lambda conn, identifier: lookups.append(identifier) or real_lookup(conn, identifier))
    for i in range(5):
        assert http.get("/osmand", params={"id": "phone-1", "lat": "51.5", "lon": "-0.12", "timestamp": str(T + 10 * i)}).status_code == 200
    assert lookups == ["phone-1"]
