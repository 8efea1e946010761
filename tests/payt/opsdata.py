"""Fleet data for the PAYT operation tests, written with plain table inserts (the way the
derivation and provisioning would leave it), and small HTTP helpers."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timezone

from polytrack.payt import admin as payt_admin
from polytrack.payt import domain
from polytrack.payt.motion import EVENT_IGNITION_ON, EVENT_OVERSPEED
from polytrack.payt.tables import (
    payt_daily_stats, payt_devices, payt_drivers, payt_events, payt_groups, payt_positions, payt_tasks,
    payt_user_groups, payt_vehicles,
)

PASSWORD = "pw-123456"


def ms(*args) -> int:
    return int(datetime(*args, tzinfo=timezone.utc).timestamp() * 1000)


def _insert(conn, table, **values) -> int:
    return conn.execute(table.insert().values(**values)).inserted_primary_key[0]


def build_fleet(services, company: str, *, admin_key: str, prefix: str) -> dict:
    """A client `company` created through `admin_key` with folders of every type, three vehicles
    (van1 in Vans/North, van2 in Vans, car1 in Cars), a driver, positions, events, daily stats
    and tasks; users boss@ (no folder restriction) and vans@ (permitted on Vans only)."""
    clock = services.clock
    now = clock.timestamp()
    with services.transaction() as conn:
        key_id = domain.integrator_for_key(conn, admin_key).admin_key_id
        client_id = domain.ensure_client(conn, clock, company=company, admin_key_id=key_id)
        boss = domain.create_user(conn, clock, client_id=client_id, email=f"boss@{prefix}.example", password=PASSWORD)
        vans_user = domain.create_user(conn, clock, client_id=client_id, email=f"vans@{prefix}.example", password=PASSWORD)

        def folder(type_id, name, parent=None, version=1):
            return _insert(conn, payt_groups, client_id=client_id, type_id=type_id, parent_id=parent,
                           description=name, row_version=version)

        root = folder(3, f"{prefix} vehicles", version=2001)
        vans = folder(3, "Vans", root)
        north = folder(3, "Vans North", vans)
        cars = folder(3, "Cars", root)
        users_root = folder(2, f"{prefix} users")
        drivers_root = folder(4, f"{prefix} drivers")
        locations_root = folder(5, f"{prefix} locations")
        conn.execute(payt_user_groups.insert().values(user_id=vans_user, group_id=vans))

        driver = _insert(conn, payt_drivers, client_id=client_id, group_id=drivers_root, name=f"{prefix} Driver", row_version=1)
        devices = {name: _insert(conn, payt_devices, client_id=client_id, identifier=f"{prefix}-{name}", description=name, created_at=now)
                   for name in ("van1", "van2", "car1")}

        def vehicle(name, group, reg, **extra):
            return _insert(conn, payt_vehicles, client_id=client_id, group_id=group, device_id=devices[name],
                           type_id=1, description=f"{prefix} {name}", registration=reg, hourly_cost=12.5, km_cost=0.4,
                           row_version=7, **extra)

        van1 = vehicle("van1", north, f"{prefix.upper()}1 VAN", driver_id=driver, driver_start_ms=ms(2024, 1, 1))
        van2 = vehicle("van2", vans, f"{prefix.upper()}2 VAN")
        car1 = vehicle("car1", cars, f"{prefix.upper()}3 CAR")

        # van1: four positions on 10 June (London is UTC+1), the last one later than car1's.
        base = 51.5 if prefix == "acme" else 48.85
        track = [(ms(2024, 6, 10, 8, 0), base, -0.10, 0.0, 90.0), (ms(2024, 6, 10, 8, 1), base, -0.09, 42.0, 90.0),
                 (ms(2024, 6, 10, 8, 2), base + 0.01, -0.09, 55.5, 0.0), (ms(2024, 6, 11, 9, 0), base + 0.02, -0.08, 0.0, 45.0)]
        for fix, lat, lon, speed, heading in track:
            conn.execute(payt_positions.insert().values(vehicle_id=van1, device_id=devices["van1"], fix_ms=fix,
                                                        received_ms=fix, latitude=lat, longitude=lon, speed_kph=speed, heading=heading))
        conn.execute(payt_positions.insert().values(vehicle_id=car1, device_id=devices["car1"], fix_ms=ms(2024, 6, 10, 12, 0),
                                                    received_ms=ms(2024, 6, 10, 12, 0), latitude=base - 0.05, longitude=0.05,
                                                    speed_kph=30.0, heading=180.0))
        conn.execute(payt_events.insert().values(vehicle_id=van1, at_ms=track[0][0], event_type_id=EVENT_IGNITION_ON, latitude=base, longitude=-0.10, speed_kph=0.0))
        conn.execute(payt_events.insert().values(vehicle_id=van1, at_ms=track[2][0] + 30_000, event_type_id=EVENT_OVERSPEED,
                                                 latitude=base + 0.01, longitude=-0.09, speed_kph=55.5))
        stats = [
            (van1, date(2024, 6, 10), ms(2024, 6, 10, 8, 0), ms(2024, 6, 10, 8, 2), 120.0, 30.0, 1800.0, 55.5, 1, 3),
            (van1, date(2024, 6, 11), None, None, 0.0, 0.0, 0.0, 0.0, 0, 1),
            (car1, date(2024, 6, 10), ms(2024, 6, 10, 12, 0), ms(2024, 6, 10, 12, 30), 1500.0, 60.0, 12345.6, 88.04, 2, 1),
        ]
        for vid, day, first_on, last_off, driving, idle, dist, vmax, journeys, count in stats:
            conn.execute(payt_daily_stats.insert().values(
                vehicle_id=vid, day=day, first_ignition_on_ms=first_on, last_ignition_off_ms=last_off, driving_seconds=driving,
                idle_seconds=idle, distance_m=dist, max_speed_kph=vmax, journeys=journeys, positions=count))
        task1 = _insert(conn, payt_tasks, client_id=client_id, ext_id=4711, type="Visit", name=f"{prefix} Site A",
                        description="deliver", start_ms=ms(2024, 9, 10, 9), end_ms=ms(2024, 9, 10, 11), grace_period_mins=15,
                        assigned_vehicle_id=van1, assigned_to="", region_geojson='{"type":"Point","coordinates":[-1.5,53.8]}',
                        parameter_json="{}", status="Pending", eta_ms=None)
        task2 = _insert(conn, payt_tasks, client_id=client_id, ext_id=None, type="Collect", name=f"{prefix} Site B",
                        description="", start_ms=ms(2024, 9, 11, 9), end_ms=ms(2024, 9, 11, 10), grace_period_mins=0,
                        assigned_vehicle_id=None, assigned_to="Night shift", region_geojson="", parameter_json='{"a":1}',
                        status="Done", eta_ms=ms(2024, 9, 11, 9, 30))
    return {
        "client_id": client_id, "company": company, "admin_key": admin_key, "boss": f"boss@{prefix}.example",
        "vans_user": f"vans@{prefix}.example", "folders": {"root": root, "vans": vans, "north": north, "cars": cars,
        "users": users_root, "drivers": drivers_root, "locations": locations_root},
        "vehicles": {"van1": van1, "van2": van2, "car1": car1}, "driver": driver, "devices": devices,
        "tasks": {"task1": task1, "task2": task2}, "base_lat": base,
    }


def two_fleets(services) -> tuple[dict, dict]:
    key_a = payt_admin.create_admin_key(services, name="integrator A")["key"]
    key_b = payt_admin.create_admin_key(services, name="integrator B")["key"]
    return (build_fleet(services, "acme", admin_key=key_a, prefix="acme"),
            build_fleet(services, "globex", admin_key=key_b, prefix="globex"))


def login(http, email: str, password: str = PASSWORD) -> str:
    body = http.get("/api2.ashx", params={"op": "Authenticate", "subop": "Login", "clientname": "",
                                          "username": email, "password": password}).json()
    assert body["status"] == "ok", body
    return body["ticketid"]


def payt(http, ticket: str, op: str, subop: str, **params):
    return http.get("/api2.ashx", params={"op": op, "subop": subop, "ticket": ticket, **params})


def trackerpro(http, key: str, op: str, subop: str, **params):
    return http.get("/trackerpro_admin.ashx", params={"key": key, "op": op, "subop": subop, **params})


def table_rows(body: dict, index: int = 0) -> list[dict]:
    """Rows of a dataset table as dicts keyed by column label (for strict-JSON bodies)."""
    tbl = body["dataset"]["tables"][index]
    labels = [c["label"] for c in tbl["cols"]]
    return [dict(zip(labels, [cell["v"] for cell in row["c"]])) for row in tbl["rows"]]


def replace_handler(monkeypatch, registry, name, handler):
    """Run `handler` for the operation `name` for the rest of the test."""
    operation = registry.get(name)
    monkeypatch.setitem(registry._operations, name.lower(), dataclasses.replace(operation, handler=handler))
