"""The PAYT demo fleet: seeded idempotently, derived like live data, and live devices can join."""

import pytest
from sqlalchemy import func, select

from polytrack.config import Settings
from polytrack.payt import demo, derive
from polytrack.payt.tables import payt_daily_stats, payt_groups, payt_positions, payt_tasks, payt_trips, payt_vehicles
from tests.payt.fleetkit import derived

pytestmark = pytest.mark.usefixtures("services")


def counts(services):
    with services.engine.connect() as conn:
        return {table.name: conn.execute(select(func.count()).select_from(table)).scalar()
                for table in (payt_positions, payt_trips, payt_daily_stats, payt_vehicles, payt_groups, payt_tasks)}


def test_demo_fleet_is_seeded_once_with_derived_data(admin, services):
    assert admin.post("/_polytrack/seed").status_code == 200
    first = counts(services)
    assert first["payt_vehicles"] == 4 and first["payt_positions"] > 4000 and first["payt_tasks"] == 3
    assert first["payt_daily_stats"] == 12  # 4 vehicles x 3 days
    with services.engine.connect() as conn:
        types = {r[0] for r in conn.execute(select(payt_groups.c.type_id))}
    assert types == {2, 3, 4, 5}
    assert admin.post("/_polytrack/seed").status_code == 200
    assert counts(services) == first


def test_demo_derivation_is_the_live_derivation(admin, services):
    admin.post("/_polytrack/seed")
    with services.transaction() as conn:
        vehicle_ids = [r[0] for r in conn.execute(select(payt_vehicles.c.id).order_by(payt_vehicles.c.id))]
        seeded = {v: derived(conn, v) for v in vehicle_ids}
        assert all(len(s["trips"]) == 12 for s in seeded.values())  # 4 trips a day
        for vehicle_id in vehicle_ids:
            derive.recompute(conn, vehicle_id, None)
            assert derived(conn, vehicle_id) == seeded[vehicle_id]


def test_demo_credentials_name_devices_that_can_report(admin, services):
    admin.post("/_polytrack/seed")
    creds = demo.credentials("http://127.0.0.1:8080")["payt"]
    assert creds["osmand_url"] == "http://127.0.0.1:5055/"
    assert creds["osmand_main_port_url"] == "http://127.0.0.1:8080/osmand"
    device = creds["device_ids"][0]
    # 2024-06-12 08:00 UTC: the morning after the demo days, before the frozen clock's noon
    response = admin.get("/osmand", params={"id": device, "lat": 51.4862, "lon": -0.1229, "timestamp": 1718179200})
    assert response.status_code == 200
    with services.engine.connect() as conn:
        assert conn.execute(select(func.max(payt_positions.c.fix_ms))).scalar() == 1718179200000


def test_osmand_url_follows_the_base_host():
    assert demo.osmand_url("https://sandbox.example:9000") == "https://sandbox.example:5055/"
    assert demo.osmand_url("http://[::1]:8080") == "http://[::1]:5055/"


def test_osmand_url_follows_the_osmand_port_setting():
    assert demo.osmand_url("https://sandbox.example:9000", 15055) == "https://sandbox.example:15055/"
    # listener off (osmand_port 0): devices post to /osmand on the main port
    assert demo.osmand_url("http://127.0.0.1:8080/", 0) == "http://127.0.0.1:8080/osmand"
    assert demo.credentials("http://127.0.0.1:8080", Settings(osmand_port=0))["payt"]["osmand_url"] == "http://127.0.0.1:8080/osmand"
    from polytrack.demo import credentials

    assert credentials("http://127.0.0.1:8080", Settings(osmand_port=6055))["payt"]["osmand_url"] == "http://127.0.0.1:6055/"
