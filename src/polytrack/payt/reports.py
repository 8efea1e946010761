"""What Report/Detailed and Report/Historic read: plain functions over the stored positions,
events and daily stats.

Level 0 of Detailed reads only payt_daily_stats (after the derivation folded in late positions,
derive.ensure_fresh), so it costs one indexed read however many positions lie behind it.
Level 1 and Historic read the positions and events themselves, vehicle by vehicle, each an
index range on (vehicle, time), and at most `max_records` of them: a year of a busy fleet is
refused (invalid_query) after reading one record more than the limit, never loaded whole.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from typing import NamedTuple

from sqlalchemy import select

from polytrack.kernel.dates import day_start, epoch_ms
from polytrack.kernel.sql import Db, Statement
from polytrack.payt import domain, motion
from polytrack.payt.tables import payt_daily_stats, payt_drivers, payt_events, payt_vehicles

# The derivation (motion.py) owns the event-type catalogue and the distance formula; reports use
# the same ones so their numbers agree with the derived tables. A plain position report that
# carries no event has the event id POSITION_EVENT_ID.
POSITION_EVENT_ID = motion.EVENT_POSITION


def event_types() -> dict[int, str]:
    return dict(motion.EVENT_TYPES)


# --- level 0: one summary row per vehicle per local day --------------------------------------

def daily_summaries(db: Db, vehicle_ids: list[int], start: date, end: date, tz: tzinfo) -> list[dict]:
    ds, v = payt_daily_stats, payt_vehicles
    rows = db.execute(
        select(ds, v.c.registration, v.c.description, v.c.group_id, v.c.driver_id, payt_drivers.c.name.label("driver_name"))
        .select_from(ds.join(v, v.c.id == ds.c.vehicle_id).outerjoin(payt_drivers, payt_drivers.c.id == v.c.driver_id))
        .where(ds.c.vehicle_id.in_(vehicle_ids), ds.c.day >= start, ds.c.day < end)
        .order_by(ds.c.vehicle_id, ds.c.day)
    ).all()
    return [
        {
            "VehicleID": r.vehicle_id, "Date": epoch_ms(day_start(_as_date(r.day), tz)),
            "Registration": r.registration, "Description": r.description, "GroupID": r.group_id,
            "DriverID": r.driver_id, "DriverName": r.driver_name,
            "FirstIgnitionOn": r.first_ignition_on_ms, "LastIgnitionOff": r.last_ignition_off_ms,
            "DrivingSeconds": int(round(r.driving_seconds or 0)),
            "IdleSeconds": int(round(r.idle_seconds or 0)),
            "DistanceKM": round((r.distance_m or 0.0) / 1000.0, 3),
            "MaxSpeedKPH": round(r.max_speed_kph or 0.0, 1),
            "Journeys": int(r.journeys or 0),
        }
        for r in rows
    ]


def _as_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str):  # SQLite hands DATE back as text
        return date.fromisoformat(value[:10])
    return value


def days_with_events(db: Db, vehicle_ids: list[int], event_ids: list[int], from_ms: int, to_ms: int,
                     tz: tzinfo) -> set:
    """(vehicle, local day) pairs on which one of `event_ids` happened (the level-0 event filter)."""
    rows = db.execute(
        select(payt_events.c.vehicle_id, payt_events.c.at_ms)
        .where(payt_events.c.vehicle_id.in_(vehicle_ids), payt_events.c.event_type_id.in_(event_ids),
               payt_events.c.at_ms >= from_ms, payt_events.c.at_ms < to_ms)
    ).all()
    return {(r.vehicle_id, datetime.fromtimestamp(r.at_ms / 1000.0, tz).date()) for r in rows}


# --- level 1 and Historic: every position, events merged in ---------------------------------

class Record(NamedTuple):
    """One row of level 1 / Historic: a stored position, or an event between positions."""

    vehicle_id: int
    at_ms: int
    latitude: float | None
    longitude: float | None
    speed_kph: float | None
    heading: float | None
    distance_km: float  # along the vehicle's positions since the start of the range
    event_id: int


_POSITIONS = Statement("""
    SELECT fix_ms, latitude, longitude, speed_kph, heading FROM payt_positions
    WHERE vehicle_id = ? AND fix_ms >= ? AND fix_ms < ? ORDER BY fix_ms LIMIT ?
""")
_EVENTS = Statement("""
    SELECT at_ms, event_type_id, latitude, longitude, speed_kph FROM payt_events
    WHERE vehicle_id = ? AND at_ms >= ? AND at_ms < ? ORDER BY at_ms, id LIMIT ?
""")


def too_large(max_records: int) -> domain.PaytError:
    return domain.invalid_query(f"Range too large: more than {max_records} records; ask for fewer days or vehicles")


def position_records(db: Db, vehicle_ids: list[int], from_ms: int, to_ms: int, *, max_records: int) -> list[Record]:
    """One record per stored position, time-ordered per vehicle (vehicles in the order given).
    A position at the instant of an event carries that event (one record per event when several
    coincide); an event without a position of its own becomes a record with the event's
    coordinates and the distance so far. More than `max_records` records: invalid_query."""
    records: list[Record] = []
    for vehicle_id in vehicle_ids:
        room = max_records - len(records)
        positions = db.all(_POSITIONS, (vehicle_id, from_ms, to_ms, room + 1))
        found = db.all(_EVENTS, (vehicle_id, from_ms, to_ms, room + 1))
        if len(positions) > room or len(found) > room:
            raise too_large(max_records)
        events: dict[int, list] = {}
        for event in found:
            events.setdefault(event[0], []).append(event)
        records.extend(_vehicle_records(vehicle_id, positions, events))
        if len(records) > max_records:
            raise too_large(max_records)
    return records


def _vehicle_records(vehicle_id: int, positions: list, events: dict[int, list]) -> list[Record]:
    records: list[Record] = []
    distance_m = 0.0
    previous = None
    for fix_ms, latitude, longitude, speed_kph, heading in positions:
        if previous is not None:
            distance_m += motion.haversine_m(previous[0], previous[1], latitude, longitude)
        previous = (latitude, longitude)
        distance_km = round(distance_m / 1000.0, 3)
        at_fix = events.pop(fix_ms, None)
        for event_id in [event[1] for event in at_fix] if at_fix else [POSITION_EVENT_ID]:
            records.append(Record(vehicle_id, fix_ms, latitude, longitude, speed_kph, heading, distance_km, event_id))
    if not events:
        return records
    # Events that fall between positions: placed in time order (after a position of the same
    # instant: there is none), carrying the distance so far.
    between = [(at_ms, event) for at_ms, at_instant in events.items() for event in at_instant]
    merged: list[tuple[int, bool, Record | tuple]] = [(r.at_ms, False, r) for r in records]
    merged += [(at_ms, True, event) for at_ms, event in between]
    merged.sort(key=lambda item: (item[0], item[1]))
    filled: list[Record] = []
    distance_km = 0.0
    for at_ms, _is_event, item in merged:
        if isinstance(item, Record):
            distance_km = item.distance_km
            filled.append(item)
        else:
            _at, event_id, latitude, longitude, speed_kph = item
            filled.append(Record(vehicle_id, at_ms, latitude, longitude, speed_kph, None, distance_km, event_id))
    return filled


_VEHICLES_OF_CLIENT = Statement(
    "SELECT id, registration, description, driver_id FROM payt_vehicles WHERE client_id = ? ORDER BY id")


class VehicleInfo(NamedTuple):
    id: int
    registration: str | None
    description: str | None
    driver_id: int | None


def vehicle_info(db: Db, client_id: int, vehicle_ids: list[int]) -> dict[int, VehicleInfo]:
    """The named vehicles of the client, by id, in id order."""
    wanted = set(vehicle_ids)
    return {row[0]: VehicleInfo._make(row) for row in db.all(_VEHICLES_OF_CLIENT, (client_id,)) if row[0] in wanted}
