"""The demo client's fleet: folders of all four types, drivers, London locations, four vans
with devices, a few tasks, and three days of positions: the three days before the day the demo
is seeded (London time), so "yesterday" and "this week" reports of a fresh sandbox have rows.

Positions are generated deterministically along road-like routes (a street grid with
dog-legs and varying speeds) from the depot to three customer sites and back, with stops at
each site. They go in through the importer's bulk path and the same derivation as live
positions, so reports on the demo show numbers computed from these fixes. Only the dates follow
the seeding day: the routes, times of day, speeds and stops are the same whatever the day (a
seed on 12 June 2024, the tests' frozen clock, puts them on 9-11 June 2024).
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sqlalchemy import select

from polytrack.kernel.dates import zone
from polytrack.payt import derive, fleet
from polytrack.payt.importer import insert_positions
from polytrack.payt.motion import haversine_m
from polytrack.payt.tables import payt_devices

DEMO_DEVICES = ("demo-device-1", "demo-device-2", "demo-device-3", "demo-device-4")
DAYS_BEFORE_SEEDING = (3, 2, 1)  # the demo days, counted back from the seeding day
LONDON = zone("Europe/London")

DEPOT = ("Depot - Vauxhall", 51.4862, -0.1229, 150)
SITES = [
    ("Site - Camden", 51.5390, -0.1426, 120),
    ("Site - Canary Wharf", 51.5054, -0.0235, 150),
    ("Site - Shoreditch", 51.5265, -0.0780, 100),
    ("Site - Hammersmith", 51.4927, -0.2240, 120),
    ("Site - Greenwich", 51.4826, -0.0077, 120),
    ("Site - Paddington", 51.5154, -0.1755, 100),
]
HYDE_PARK = {"type": "Polygon", "coordinates": [[[-0.1870, 51.5095], [-0.1530, 51.5130], [-0.1510, 51.5040],
                                                 [-0.1750, 51.5010], [-0.1870, 51.5095]]]}
VANS = [
    ("LD24 VAN", "Transit 1", "Vans", "A. Patel", 70),
    ("LD24 VBN", "Transit 2", "Vans", "B. Okafor", 70),
    ("LC23 CAR", "Pool car 1", "Cars", "C. Nowak", None),
    ("LC23 CBR", "Pool car 2", "Cars", "D. Evans", None),
]


def seed_fleet(services, conn, client_id: int) -> list[int]:
    """Create the demo fleet and its positions once; returns the vehicle ids (empty when the
    fleet is already there)."""
    if conn.execute(select(payt_devices.c.id).where(payt_devices.c.identifier == DEMO_DEVICES[0])).first():
        return []
    clock = services.clock
    folders = {
        "Vans": fleet.create_group(conn, client_id, type_id=fleet.VEHICLES, description="Vans"),
        "Cars": fleet.create_group(conn, client_id, type_id=fleet.VEHICLES, description="Cars"),
    }
    day_shift = fleet.create_group(conn, client_id, type_id=fleet.DRIVERS, description="Day shift")
    sites_folder = fleet.create_group(conn, client_id, type_id=fleet.LOCATIONS, description="Customer sites")
    fleet.create_group(conn, client_id, type_id=fleet.USERS, description="Office")
    fleet.create_location(conn, client_id, name=DEPOT[0], latitude=DEPOT[1], longitude=DEPOT[2], radius_m=DEPOT[3])
    for name, lat, lon, radius in SITES:
        fleet.create_location(conn, client_id, name=name, latitude=lat, longitude=lon, radius_m=radius,
                              group_id=sites_folder)
    fleet.create_location(conn, client_id, name="Hyde Park", polygon_geojson=HYDE_PARK)
    vehicle_ids = []
    for (registration, description, folder, driver, limit), identifier in zip(VANS, DEMO_DEVICES):
        driver_id = fleet.create_driver(conn, client_id, name=driver, group_id=day_shift)
        vehicle_ids.append(fleet.create_vehicle(
            conn, clock, client_id, registration=registration, description=description, group_id=folders[folder],
            driver_id=driver_id, device_identifier=identifier, speed_limit_kph=limit, hourly_cost=18.5, km_cost=0.32,
        ))
    days = demo_days(seeding_day(clock))
    _tasks(conn, client_id, vehicle_ids, days)
    received_ms = int(clock.timestamp() * 1000)
    for number, vehicle_id in enumerate(vehicle_ids):
        device_id = conn.execute(select(payt_devices.c.id)
                                 .where(payt_devices.c.identifier == DEMO_DEVICES[number])).scalar()
        rows = [(vehicle_id, device_id, t, received_ms, lat, lon, speed, heading, None, 5.0, None, None)
                for t, lat, lon, speed, heading in vehicle_fixes(number, days)]
        insert_positions(conn, rows)
        derive.recompute(conn, vehicle_id, None)
    return vehicle_ids


def seeding_day(clock) -> date:
    """The London date of the clock's now: the day the demo is seeded."""
    return clock.now().astimezone(LONDON).date()


def demo_days(seeded: date) -> tuple[date, ...]:
    """The days of the demo history for a seed on `seeded`: the three days before it."""
    return tuple(seeded - timedelta(days=back) for back in DAYS_BEFORE_SEEDING)


def _tasks(conn, client_id: int, vehicle_ids: list[int], days: tuple[date, ...]) -> None:
    for k, (name, lat, lon, _radius) in enumerate(SITES[:3]):
        start = _local_ms(days[1], 9 + 2 * k, 0)
        fleet.create_task(conn, client_id, name=f"Delivery {name[7:]}", type="Visit", start_ms=start,
                          end_ms=start + 2 * 3600_000, grace_period_mins=15, vehicle_id=vehicle_ids[k % len(vehicle_ids)],
                          ext_id=4711 + k, status="Complete" if k == 0 else "Pending",
                          region_geojson={"type": "Point", "coordinates": [lon, lat]},
                          parameter_json={"reference": f"PO-{1000 + k}"})


def _local_ms(day: date, hour: int, minute: int) -> int:
    return int(datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON).timestamp() * 1000)


# --- routes ------------------------------------------------------------------------------------

def street_route(rng: random.Random, a: tuple[float, float], b: tuple[float, float]) -> list[tuple[float, float]]:
    """A road-like polyline from a to b: blocks along a slightly rotated grid, with dog-legs."""
    points = [a]
    lat, lon = a
    legs = rng.randint(4, 7)
    for k in range(legs):
        remaining = legs - k
        if k % 2 == 0:
            lat += (b[0] - lat) / remaining * rng.uniform(0.8, 1.2)
            lon += rng.uniform(-0.002, 0.002)
        else:
            lon += (b[1] - lon) / remaining * rng.uniform(0.8, 1.2)
            lat += rng.uniform(-0.0015, 0.0015)
        points.append((lat, lon))
    points.append(b)
    return points


def vehicle_fixes(number: int, days: tuple[date, ...]):
    """(t_ms, lat, lon, speed_kph, heading) of one demo vehicle over the demo days (the same
    drives at the same local times of day, whatever the days)."""
    rng = random.Random(1000 + number)
    depot = (DEPOT[1], DEPOT[2])
    for day in days:
        t = _local_ms(day, 7, 30 + 7 * number) / 1000.0
        here = depot
        for minute in range(0, 15, 3):  # parked at the depot before leaving
            yield int((t + minute * 60) * 1000), here[0], here[1], 0.0, None
        t += 15 * 60
        stops = rng.sample(SITES, 3)
        for target in [(s[1], s[2]) for s in stops] + [depot]:
            for fix in _drive(rng, street_route(rng, here, target), t):
                yield fix
                t = fix[0] / 1000.0
            here = target
            dwell = rng.randint(20, 45) * 60 if target != depot else 12 * 60
            for second in range(60, dwell + 1, 60):
                yield int((t + second) * 1000), here[0], here[1], 0.0, None
            t += dwell + 60


def _drive(rng: random.Random, route, start_s: float, interval_s: float = 15.0):
    import math

    t = start_s
    last_leg = len(route) - 2
    for index, ((lat1, lon1), (lat2, lon2)) in enumerate(zip(route, route[1:])):
        leg_m = haversine_m(lat1, lon1, lat2, lon2)
        # mostly town speeds, now and then a main road (where the vans' 70 km/h limit bites)
        speed_kph = rng.uniform(60, 80) if rng.random() < 0.15 else rng.uniform(22, 52)
        leg_s = leg_m / (speed_kph / 3.6)
        heading = (math.degrees(math.atan2(lon2 - lon1, lat2 - lat1)) + 360) % 360
        steps = max(1, int(leg_s // interval_s))
        for step in range(1, steps + 1):
            fraction = step / steps
            yield (int((t + leg_s * fraction) * 1000), lat1 + (lat2 - lat1) * fraction,
                   lon1 + (lon2 - lon1) * fraction, round(speed_kph, 1), round(heading, 1))
        t += leg_s
        if index < last_leg and rng.random() < 0.3:  # traffic lights: idle for a minute or so
            for _ in range(rng.randint(2, 5)):
                t += interval_s
                yield int(t * 1000), lat2, lon2, 0.0, None
    # arrival: standing still at the destination
    yield int((t + 10) * 1000), route[-1][0], route[-1][1], 0.0, None


def device_ids() -> list[str]:
    return list(DEMO_DEVICES)

