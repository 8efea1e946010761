"""Report/Detailed (spec 3.5) and Report/Historic (spec 3.6).

Vehicle selection follows U-12 (domain.report_vehicle_ids); days are the client's local days
(U-11). Level 0 reads only payt_daily_stats (after letting the derivation fold in late
positions), so it costs one indexed read however many positions lie behind it. Level 1 and
Historic read the stored positions and events themselves.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.engine import Connection

from polytrack.kernel.dates import DateError, day_start, epoch_ms, zone
from polytrack.payt import domain
from polytrack.payt.ops.common import POSITION_EVENT_ID, chargeable, day_range, ensure_fresh, event_types, haversine_m
from polytrack.payt.ops.schemas import (
    DETAILED_RECORDS, DETAILED_SUMMARY, HISTORIC_EVENT_TYPES, HISTORIC_POSITIONS, HISTORIC_VEHICLES, table,
)
from polytrack.payt.tables import payt_daily_stats, payt_drivers, payt_events, payt_positions, payt_vehicles
from polytrack.payt.wire import Call, Result, dataset, payt_op


def _zone(name: str):
    try:
        return zone(name)
    except DateError:
        return zone("Europe/London")


# --- level 0: one summary row per vehicle per local day --------------------------------------

def daily_summaries(conn: Connection, vehicle_ids: list[int], start: date, end: date, tz) -> list[dict]:
    ds, v = payt_daily_stats, payt_vehicles
    rows = conn.execute(
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
    if isinstance(value, str):  # defensive: a driver that hands DATE back as text
        return date.fromisoformat(value[:10])
    return value


def days_with_events(conn: Connection, vehicle_ids: list[int], event_ids: list[int], from_ms: int, to_ms: int, tz) -> set:
    """(vehicle, local day) pairs on which one of `event_ids` happened (the level-0 event filter, U-9)."""
    rows = conn.execute(
        select(payt_events.c.vehicle_id, payt_events.c.at_ms)
        .where(payt_events.c.vehicle_id.in_(vehicle_ids), payt_events.c.event_type_id.in_(event_ids),
               payt_events.c.at_ms >= from_ms, payt_events.c.at_ms < to_ms)
    ).all()
    return {(r.vehicle_id, datetime.fromtimestamp(r.at_ms / 1000.0, tz).date()) for r in rows}


# --- level 1 and Historic: every position, events merged in ---------------------------------

def position_records(conn: Connection, vehicle_ids: list[int], from_ms: int, to_ms: int) -> list[dict]:
    """One record per stored position, time-ordered per vehicle. A position at the instant of an
    event carries that event (one record per event when several coincide); an event without a
    position of its own becomes a record with the event's coordinates. DistanceKM accumulates
    along the vehicle's positions from the start of the range."""
    p, e = payt_positions, payt_events
    positions = conn.execute(
        select(p.c.vehicle_id, p.c.fix_ms, p.c.latitude, p.c.longitude, p.c.speed_kph, p.c.heading)
        .where(p.c.vehicle_id.in_(vehicle_ids), p.c.fix_ms >= from_ms, p.c.fix_ms < to_ms)
        .order_by(p.c.vehicle_id, p.c.fix_ms)
    ).all()
    events: dict[tuple[int, int], list] = {}
    for ev in conn.execute(
        select(e.c.vehicle_id, e.c.at_ms, e.c.event_type_id, e.c.latitude, e.c.longitude, e.c.speed_kph)
        .where(e.c.vehicle_id.in_(vehicle_ids), e.c.at_ms >= from_ms, e.c.at_ms < to_ms)
        .order_by(e.c.vehicle_id, e.c.at_ms, e.c.id)
    ):
        events.setdefault((ev.vehicle_id, ev.at_ms), []).append(ev)

    records: list[dict] = []
    previous = None
    distance_m = 0.0
    for pos in positions:
        if previous is None or previous.vehicle_id != pos.vehicle_id:
            distance_m = 0.0
        else:
            distance_m += haversine_m(previous.latitude, previous.longitude, pos.latitude, pos.longitude)
        previous = pos
        base = {"vehicle_id": pos.vehicle_id, "at_ms": pos.fix_ms, "latitude": pos.latitude,
                "longitude": pos.longitude, "speed_kph": pos.speed_kph, "heading": pos.heading,
                "distance_km": round(distance_m / 1000.0, 3)}
        for ev in events.pop((pos.vehicle_id, pos.fix_ms), None) or [None]:
            records.append({**base, "event_id": ev.event_type_id if ev else POSITION_EVENT_ID})
    # Events that fall between positions: placed in time order, carrying the distance so far.
    if events:
        for (vehicle_id, at_ms), evs in events.items():
            for ev in evs:
                records.append({"vehicle_id": vehicle_id, "at_ms": at_ms, "latitude": ev.latitude,
                                "longitude": ev.longitude, "speed_kph": ev.speed_kph, "heading": None,
                                "distance_km": None, "event_id": ev.event_type_id})
        records.sort(key=lambda r: (r["vehicle_id"], r["at_ms"], r["distance_km"] is None))
        _fill_distance(records)
    return records


def _fill_distance(records: list[dict]) -> None:
    last_vehicle, last_km = None, 0.0
    for record in records:
        if record["vehicle_id"] != last_vehicle:
            last_vehicle, last_km = record["vehicle_id"], 0.0
        if record["distance_km"] is None:
            record["distance_km"] = last_km
        else:
            last_km = record["distance_km"]


def _vehicle_info(conn: Connection, vehicle_ids: list[int]) -> dict[int, object]:
    rows = conn.execute(
        select(payt_vehicles.c.id, payt_vehicles.c.registration, payt_vehicles.c.description, payt_vehicles.c.driver_id)
        .where(payt_vehicles.c.id.in_(vehicle_ids)).order_by(payt_vehicles.c.id)
    ).all()
    return {r.id: r for r in rows}


# --- handlers ---------------------------------------------------------------------------------

def _selection(call: Call):
    """Parameters shared by Detailed and Historic, validated in the order a client reads them."""
    start, end, from_ms, to_ms = day_range(call, call.caller.timezone)
    vehicle_ids = call.int_list("vehicleIDs")
    group_ids = call.int_list("groupIDs")
    selected = domain.report_vehicle_ids(call.conn, call.caller, vehicle_ids, group_ids)
    return start, end, from_ms, to_ms, selected


@payt_op("Report", "Detailed")
@chargeable
def detailed(call: Call) -> Result:
    level = call.require("levelOfDetail")
    if level not in ("0", "1"):
        raise domain.invalid_query("Invalid parameter: levelOfDetail must be 0 or 1")
    event_ids = call.int_list("eventIDs", required=False) if level == "0" else None  # level 1 cannot filter (U-9)
    start, end, from_ms, to_ms, vehicle_ids = _selection(call)
    tz = _zone(call.caller.timezone)
    if level == "0":
        ensure_fresh(call.conn, vehicle_ids, from_ms, to_ms)
        rows = daily_summaries(call.conn, vehicle_ids, start, end, tz) if vehicle_ids else []
        if event_ids is not None and rows:
            wanted = days_with_events(call.conn, vehicle_ids, event_ids, from_ms, to_ms, tz)
            rows = [r for r in rows if (r["VehicleID"], datetime.fromtimestamp(r["Date"] / 1000.0, tz).date()) in wanted]
        tables = [table(DETAILED_SUMMARY, rows)]
    else:
        info = _vehicle_info(call.conn, vehicle_ids) if vehicle_ids else {}
        names = event_types()
        rows = [
            {"VehicleID": r["vehicle_id"], "Registration": info[r["vehicle_id"]].registration, "DateTime": r["at_ms"],
             "EventID": r["event_id"], "EventDescription": names.get(r["event_id"], f"Event {r['event_id']}"),
             "Latitude": r["latitude"], "Longitude": r["longitude"], "SpeedKPH": r["speed_kph"],
             "Heading": r["heading"], "DistanceKM": r["distance_km"], "DriverID": info[r["vehicle_id"]].driver_id,
             "Address": None}
            for r in (position_records(call.conn, vehicle_ids, from_ms, to_ms) if vehicle_ids else [])
        ]
        tables = [table(DETAILED_RECORDS, rows)]
    return Result("dataset", dataset("Report_Detailed", tables, call.dates))


@payt_op("Report", "Historic")
@chargeable
def historic(call: Call) -> Result:
    event_ids = call.int_list("eventIDs", required=False)
    _start, _end, from_ms, to_ms, vehicle_ids = _selection(call)
    info = _vehicle_info(call.conn, vehicle_ids) if vehicle_ids else {}
    records = position_records(call.conn, vehicle_ids, from_ms, to_ms) if vehicle_ids else []
    if event_ids is not None:
        records = [r for r in records if r["event_id"] in event_ids]
    vehicles = [{"VehicleID": v.id, "Registration": v.registration, "Description": v.description} for v in info.values()]
    positions = [
        {"VehicleID": r["vehicle_id"], "DateTime": r["at_ms"], "EventID": r["event_id"], "Latitude": r["latitude"],
         "Longitude": r["longitude"], "SpeedKPH": r["speed_kph"], "Heading": r["heading"]}
        for r in records
    ]
    types = [{"EventID": k, "Description": v} for k, v in sorted(event_types().items())]
    tables = [table(HISTORIC_VEHICLES, vehicles), table(HISTORIC_POSITIONS, positions), table(HISTORIC_EVENT_TYPES, types)]
    return Result("dataset", dataset("VehiclePositionDataSet", tables, call.dates))
