"""Helpers for the PAYT data-collection tests: a client with vehicles, routes driven as fixes,
and the derived tables read back in a comparable form."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import select

from polytrack.payt import admin as payt_admin
from polytrack.payt import fleet
from polytrack.payt.motion import haversine_m
from polytrack.payt.tables import payt_daily_stats, payt_events, payt_stops, payt_trips

KNOT = 1.852


def make_client(services, company="acme", email=None, password="pw-123456"):
    if email:
        payt_admin.create_user(services, company=company, email=email, password=password)
    else:
        payt_admin.create_client(services, company=company)
    with services.transaction() as conn:
        return fleet.client_id_for(conn, company)


def make_vehicle(services, client_id, identifier, **fields):
    with services.transaction() as conn:
        return fleet.create_vehicle(conn, services.clock, client_id, device_identifier=identifier,
                                    registration=fields.pop("registration", identifier.upper()), **fields)


@dataclass
class Fix:
    t: int  # epoch seconds
    lat: float
    lon: float
    speed_kph: float | None

    def params(self, device, **extra):
        params = {"id": device, "lat": f"{self.lat:.7f}", "lon": f"{self.lon:.7f}", "timestamp": str(self.t)}
        if self.speed_kph is not None:
            params["speed"] = f"{self.speed_kph / KNOT:.4f}"  # the protocol speaks knots
        params.update(extra)
        return params


def route_length_m(waypoints) -> float:
    return sum(haversine_m(*a, *b) for a, b in zip(waypoints, waypoints[1:]))


def drive(waypoints, *, start_t: int, speed_kph: float, interval_s: int = 10) -> list[Fix]:
    """Fixes every `interval_s` along the polyline at constant speed, plus one at each corner
    (trackers report on heading changes). The first fix is the departure point."""
    fixes = [Fix(start_t, *waypoints[0], 0.0)]
    t = float(start_t)
    metres_per_s = speed_kph / 3.6
    for (lat1, lon1), (lat2, lon2) in zip(waypoints, waypoints[1:]):
        leg = haversine_m(lat1, lon1, lat2, lon2)
        seconds = leg / metres_per_s
        emitted = math.ceil(t / interval_s) * interval_s
        while emitted < t + seconds:
            if emitted > t and int(emitted) > fixes[-1].t:
                f = (emitted - t) / seconds
                fixes.append(Fix(int(emitted), lat1 + (lat2 - lat1) * f, lon1 + (lon2 - lon1) * f, speed_kph))
            emitted += interval_s
        t += seconds
        corner_t = int(math.ceil(t))
        if corner_t > fixes[-1].t:
            fixes.append(Fix(corner_t, lat2, lon2, speed_kph))
            t = float(corner_t)
    fixes[-1].speed_kph = 0.0
    return fixes


def stay(at, *, start_t: int, seconds: int, interval_s: int = 30) -> list[Fix]:
    return [Fix(start_t + k, at[0], at[1], 0.0) for k in range(0, seconds + 1, interval_s)]


def derived(conn, vehicle_id) -> dict:
    """Trips, stops, events and daily rows of a vehicle without ids (for comparisons)."""
    trips = conn.execute(select(
        payt_trips.c.start_ms, payt_trips.c.end_ms, payt_trips.c.start_latitude, payt_trips.c.start_longitude,
        payt_trips.c.end_latitude, payt_trips.c.end_longitude, payt_trips.c.distance_m, payt_trips.c.max_speed_kph,
        payt_trips.c.average_speed_kph, payt_trips.c.positions,
    ).where(payt_trips.c.vehicle_id == vehicle_id).order_by(payt_trips.c.start_ms)).all()
    stops = conn.execute(select(payt_stops.c.start_ms, payt_stops.c.end_ms, payt_stops.c.latitude,
                                payt_stops.c.longitude)
                         .where(payt_stops.c.vehicle_id == vehicle_id).order_by(payt_stops.c.start_ms)).all()
    events = conn.execute(select(payt_events.c.at_ms, payt_events.c.event_type_id, payt_events.c.location_id,
                                 payt_events.c.latitude, payt_events.c.longitude, payt_events.c.speed_kph)
                          .where(payt_events.c.vehicle_id == vehicle_id)).all()
    days = conn.execute(select(
        payt_daily_stats.c.day, payt_daily_stats.c.first_ignition_on_ms, payt_daily_stats.c.last_ignition_off_ms,
        payt_daily_stats.c.driving_seconds, payt_daily_stats.c.idle_seconds, payt_daily_stats.c.distance_m,
        payt_daily_stats.c.max_speed_kph, payt_daily_stats.c.journeys, payt_daily_stats.c.positions,
    ).where(payt_daily_stats.c.vehicle_id == vehicle_id).order_by(payt_daily_stats.c.day)).all()
    return {
        "trips": [tuple(r) for r in trips],
        "stops": [tuple(r) for r in stops],
        "events": sorted((tuple(r) for r in events), key=lambda r: (r[0], r[1], r[2] or 0)),
        "days": [tuple(r) for r in days],
    }
