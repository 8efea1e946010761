"""Derived PAYT data: trips, stops, events and daily stats, from raw positions.

* `Rules` is the one rule set (Traccar's defaults), overridable per server via settings
  (`payt.min_trip_distance_m` ...).
* In-order positions are folded in as they arrive (`apply_live`, O(1): extend the open trip,
  stop and daily row). A position older than the last derived one only marks the vehicle dirty
  (`payt_derivation_state.dirty_from_ms`).
* `ensure_fresh` recomputes dirty vehicles from the last checkpoint before the dirty time; the
  report operations call it before they read. With nothing dirty it costs one indexed query.

The state machine itself is in motion.py; this module stores what it derives.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, fields
from datetime import date

from sqlalchemy import and_, delete, select, update
from sqlalchemy.engine import Connection

from polytrack.kernel.dates import zone
from polytrack.kernel.db import begin_sqlite_transaction
from polytrack.payt.motion import (
    DISTANCE, DRIVING, FIRST_ON, IDLE, JOURNEYS, LAST_OFF, MAX_SPEED, POSITIONS,
    Geofence, Machine, Run, VehicleContext,
)
from polytrack.payt.tables import (
    payt_clients, payt_daily_stats, payt_derivation_state, payt_events, payt_locations, payt_positions,
    payt_stops, payt_trips, payt_vehicles,
)

DEFAULT_TIMEZONE = "Europe/London"
CONTEXT_TTL_SECONDS = 30.0
STREAM_BATCH = 20_000


@dataclass(frozen=True)
class Rules:
    """How trips, stops and events are derived. Each field is overridable as the setting
    `payt.<field>` (e.g. `[payt] min_trip_distance_m = 300` in the TOML file)."""

    min_trip_distance_m: float = 500.0  # a movement is a trip from this distance ...
    min_trip_duration_s: float = 300.0  # ... or this duration
    min_stop_duration_s: float = 300.0  # standing still this long ends a trip
    max_gap_s: float = 3600.0  # no fix for longer than this ends a trip
    # above this a fix counts as moving (Traccar's 0.01 kn is too sensitive for phone GPS)
    motion_speed_kph: float = 3.0
    # overspeed threshold when the vehicle has no speed_limit_kph of its own
    default_speed_limit_kph: float = 120.0

    @classmethod
    def from_settings(cls, settings) -> "Rules":
        return cls(**{f.name: float(settings.api_setting(f"payt.{f.name}", f.default)) for f in fields(cls)})


_active_rules = Rules()


def use_settings(settings) -> Rules:
    """Make the rules of these settings the process-wide default (called where the app, the
    device listener or a CLI command is built); returns them."""
    global _active_rules
    _active_rules = Rules.from_settings(settings)
    return _active_rules


def current_rules() -> Rules:
    return _active_rules


# --- vehicle context (time zone, speed limit, locations), cached per process -------------------

_context_cache: dict[int, tuple[float, VehicleContext]] = {}


def invalidate_contexts() -> None:
    """Forget cached vehicle contexts (after a vehicle, client or location changed)."""
    _context_cache.clear()


def geofence_for(location_id: int, lat, lon, radius, polygon_geojson) -> Geofence | None:
    if polygon_geojson:
        ring = polygon_ring(polygon_geojson)
        return Geofence(location_id, ring=ring) if ring else None
    if lat is None or lon is None or not radius:
        return None
    return Geofence(location_id, lat=lat, lon=lon, radius=radius)


def polygon_ring(text: str) -> list[tuple[float, float]] | None:
    """The outer ring [(lon, lat), ...] of a GeoJSON Polygon (or a Feature holding one)."""
    try:
        data = json.loads(text)
        if data.get("type") == "Feature":
            data = data.get("geometry") or {}
        if data.get("type") != "Polygon":
            return None
        ring = [(float(p[0]), float(p[1])) for p in data["coordinates"][0]]
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        return None
    return ring if len(ring) >= 3 else None


def load_context_cached(vehicle_id: int) -> VehicleContext | None:
    """The cached context, if fresh (no query)."""
    hit = _context_cache.get(vehicle_id)
    return hit[1] if hit is not None and hit[0] > time.monotonic() else None


def load_context(conn: Connection, vehicle_id: int, rules: Rules, *, cached: bool = True) -> VehicleContext | None:
    now = time.monotonic()
    hit = _context_cache.get(vehicle_id)
    if cached and hit is not None and hit[0] > now:
        return hit[1]
    row = conn.execute(
        select(payt_vehicles.c.client_id, payt_vehicles.c.speed_limit_kph, payt_clients.c.timezone)
        .join(payt_clients, payt_clients.c.id == payt_vehicles.c.client_id)
        .where(payt_vehicles.c.id == vehicle_id)
    ).first()
    if row is None:
        return None
    locations = []
    for loc in conn.execute(
        select(payt_locations.c.id, payt_locations.c.latitude, payt_locations.c.longitude,
               payt_locations.c.radius_m, payt_locations.c.polygon_geojson)
        .where(payt_locations.c.client_id == row.client_id).order_by(payt_locations.c.id)
    ):
        fence = geofence_for(*loc)
        if fence is not None:
            locations.append(fence)
    try:
        tz = zone(row.timezone or DEFAULT_TIMEZONE)
    except ValueError:
        tz = zone(DEFAULT_TIMEZONE)
    context = VehicleContext(vehicle_id, tz, row.speed_limit_kph or rules.default_speed_limit_kph, locations)
    _context_cache[vehicle_id] = (now + CONTEXT_TTL_SECONDS, context)
    return context


# --- sinks: where the machine's output goes ----------------------------------------------------

def _trip_values(run: Run) -> dict:
    return {
        "start_ms": run.start[0], "end_ms": run.end[0],
        "start_latitude": run.start[1], "start_longitude": run.start[2],
        "end_latitude": run.end[1], "end_longitude": run.end[2],
        "distance_m": run.dist, "max_speed_kph": run.max_speed, "average_speed_kph": run.average_kph(),
        "positions": run.fixes,
    }


def _day_values(vehicle_id: int, ordinal: int, row: list) -> dict:
    return {
        "vehicle_id": vehicle_id, "day": date.fromordinal(ordinal),
        "first_ignition_on_ms": row[FIRST_ON], "last_ignition_off_ms": row[LAST_OFF],
        "driving_seconds": row[DRIVING], "idle_seconds": row[IDLE], "distance_m": row[DISTANCE],
        "max_speed_kph": row[MAX_SPEED], "journeys": row[JOURNEYS], "positions": row[POSITIONS],
    }


class DriverSql:
    """Plain DB-API statements on the connection of a SQLAlchemy transaction: the live ingest
    path runs a handful per position, and skipping SQLAlchemy's statement machinery there is
    what keeps it fast. Statements are written with `?` placeholders."""

    _converted: dict[str, str] = {}

    def __init__(self, conn: Connection):
        self.pg = conn.dialect.name == "postgresql"
        if not self.pg:
            # SQLAlchemy sends SQLite's BEGIN lazily before its own first statement; ours bypass it
            begin_sqlite_transaction(conn)
        self.cursor = conn.connection.driver_connection.cursor()

    @classmethod
    def on_dbapi(cls, dbapi_connection, *, pg: bool) -> "DriverSql":
        """On a bare DB-API connection the caller holds (the ingest path's own connection)."""
        sql = cls.__new__(cls)
        sql.pg = pg
        sql.cursor = dbapi_connection.cursor()
        return sql

    def run(self, sql: str, params=()) -> int:
        if self.pg:
            sql = self._converted.get(sql) or self._converted.setdefault(sql, sql.replace("?", "%s"))
        self.cursor.execute(sql, params)
        return self.cursor.rowcount

    def many(self, sql: str, rows) -> None:
        if self.pg:
            sql = self._converted.get(sql) or self._converted.setdefault(sql, sql.replace("?", "%s"))
        self.cursor.executemany(sql, rows)

    def one(self, sql: str, params=()):
        self.run(sql, params)
        return self.cursor.fetchone()

    def day(self, ordinal: int):
        # SQLite stores SQLAlchemy Date columns as ISO text; psycopg adapts date objects
        value = date.fromordinal(ordinal)
        return value if self.pg else value.isoformat()


_TRIP_UPDATE = (
    "UPDATE payt_trips SET end_ms=?, end_latitude=?, end_longitude=?, distance_m=?, max_speed_kph=?, "
    "average_speed_kph=?, positions=? WHERE vehicle_id=? AND start_ms=?"
)
_TRIP_INSERT = (
    "INSERT INTO payt_trips (vehicle_id, start_ms, end_ms, start_latitude, start_longitude, end_latitude, "
    "end_longitude, distance_m, max_speed_kph, average_speed_kph, positions) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
)
_STOP_UPDATE = "UPDATE payt_stops SET end_ms=? WHERE vehicle_id=? AND start_ms=?"
_STOP_CHECKPOINT = "UPDATE payt_stops SET end_ms=?, confirmed_ms=?, resume_state=? WHERE vehicle_id=? AND start_ms=?"
_STOP_INSERT = (
    "INSERT INTO payt_stops (vehicle_id, start_ms, end_ms, latitude, longitude, confirmed_ms, resume_state) "
    "VALUES (?,?,?,?,?,?,?)"
)
_EVENT_INSERT = (
    "INSERT INTO payt_events (vehicle_id, at_ms, event_type_id, location_id, latitude, longitude, speed_kph, "
    "source_ms) VALUES (?,?,?,?,?,?,?,?)"
)
_DAY_UPSERT = (
    "INSERT INTO payt_daily_stats (vehicle_id, day, first_ignition_on_ms, last_ignition_off_ms, driving_seconds, "
    "idle_seconds, distance_m, max_speed_kph, journeys, positions) VALUES (?,?,?,?,?,?,?,?,?,?) "
    "ON CONFLICT (vehicle_id, day) DO UPDATE SET first_ignition_on_ms=excluded.first_ignition_on_ms, "
    "last_ignition_off_ms=excluded.last_ignition_off_ms, driving_seconds=excluded.driving_seconds, "
    "idle_seconds=excluded.idle_seconds, distance_m=excluded.distance_m, max_speed_kph=excluded.max_speed_kph, "
    "journeys=excluded.journeys, positions=excluded.positions"
)


class LiveSink:
    """Writes each change at once (one fix at a time)."""

    def __init__(self, sql: DriverSql, vehicle_id: int):
        self.sql = sql
        self.vehicle_id = vehicle_id

    def trip(self, run: Run) -> None:
        s, e = run.start, run.end
        if not self.sql.run(_TRIP_UPDATE, (e[0], e[1], e[2], run.dist, run.max_speed, run.average_kph(), run.fixes,
                                           self.vehicle_id, s[0])):
            self.sql.run(_TRIP_INSERT, (self.vehicle_id, s[0], e[0], s[1], s[2], e[1], e[2], run.dist, run.max_speed,
                                        run.average_kph(), run.fixes))

    def stop(self, stop: list, checkpoint: str | None = None, confirmed_ms: int | None = None) -> None:
        if checkpoint is None:
            updated = self.sql.run(_STOP_UPDATE, (stop[1], self.vehicle_id, stop[0]))
        else:
            updated = self.sql.run(_STOP_CHECKPOINT, (stop[1], confirmed_ms, checkpoint, self.vehicle_id, stop[0]))
        if not updated:
            self.sql.run(_STOP_INSERT, (self.vehicle_id, stop[0], stop[1], stop[2], stop[3], confirmed_ms, checkpoint))

    def event(self, at_ms, type_id, location_id, lat, lon, speed, source_ms) -> None:
        self.sql.run(_EVENT_INSERT, (self.vehicle_id, at_ms, type_id, location_id, lat, lon, speed, source_ms))

    def day(self, ordinal: int, row: list) -> None:
        self.sql.run(_DAY_UPSERT, (self.vehicle_id, self.sql.day(ordinal), *row))


class BatchSink:
    """Collects the machine's output over many fixes and writes it in a few bulk statements."""

    def __init__(self, vehicle_id: int):
        self.vehicle_id = vehicle_id
        self.trips: dict[int, Run] = {}  # by start; rendered at flush (the open run keeps changing)
        self.stops: dict[int, dict] = {}
        self.events: list[dict] = []
        self.days: dict[int, list] = {}

    def trip(self, run: Run) -> None:
        self.trips[run.start[0]] = run

    def stop(self, stop: list, checkpoint: str | None = None, confirmed_ms: int | None = None) -> None:
        known = self.stops.get(stop[0])
        if known is not None and checkpoint is None:
            known["end_ms"] = stop[1]
            return
        self.stops[stop[0]] = {
            "start_ms": stop[0], "end_ms": stop[1], "latitude": stop[2], "longitude": stop[3],
            "confirmed_ms": confirmed_ms, "resume_state": checkpoint,
        }

    def event(self, at_ms, type_id, location_id, lat, lon, speed, source_ms) -> None:
        self.events.append({
            "vehicle_id": self.vehicle_id, "at_ms": at_ms, "event_type_id": type_id, "location_id": location_id,
            "latitude": lat, "longitude": lon, "speed_kph": speed, "source_ms": source_ms,
        })

    def day(self, ordinal: int, row: list) -> None:
        self.days[ordinal] = list(row)

    def flush(self, conn: Connection, *, resumed_stop_ms: int | None) -> None:
        vid = self.vehicle_id
        resumed = self.stops.pop(resumed_stop_ms, None) if resumed_stop_ms is not None else None
        if resumed is not None:  # the checkpoint's own stop row exists: extend it, keep its checkpoint
            conn.execute(update(payt_stops).where(and_(payt_stops.c.vehicle_id == vid,
                                                       payt_stops.c.start_ms == resumed_stop_ms))
                         .values(end_ms=resumed["end_ms"]))
        trips = [_trip_values(run) for run in self.trips.values()]
        for table, rows in ((payt_trips, trips), (payt_stops, list(self.stops.values()))):
            for start in range(0, len(rows), 5000):
                conn.execute(table.insert(), [{"vehicle_id": vid, **r} for r in rows[start:start + 5000]])
        for start in range(0, len(self.events), 5000):
            conn.execute(payt_events.insert(), self.events[start:start + 5000])
        if self.days:
            conn.execute(payt_daily_stats.insert(), [_day_values(vid, o, r) for o, r in sorted(self.days.items())])


# --- live path ---------------------------------------------------------------------------------

_STATE_LOCK = {
    "sqlite": "SELECT derived_until_ms, dirty_from_ms, state_json FROM payt_derivation_state WHERE vehicle_id=?",
    "postgresql": "SELECT derived_until_ms, dirty_from_ms, state_json FROM payt_derivation_state WHERE vehicle_id=? FOR UPDATE",
}
_STATE_CREATE = "INSERT INTO payt_derivation_state (vehicle_id) VALUES (?) ON CONFLICT (vehicle_id) DO NOTHING"
_STATE_SAVE = "UPDATE payt_derivation_state SET derived_until_ms=?, state_json=? WHERE vehicle_id=?"
_STATE_DIRTY = (
    "UPDATE payt_derivation_state SET dirty_from_ms = CASE WHEN dirty_from_ms IS NULL OR dirty_from_ms > ? "
    "THEN ? ELSE dirty_from_ms END WHERE vehicle_id=?"
)
_POSITION_INSERT = (
    "INSERT INTO payt_positions (vehicle_id, device_id, fix_ms, received_ms, latitude, longitude, speed_kph, "
    "heading, altitude, accuracy, battery, ignition) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) "
    "ON CONFLICT (vehicle_id, fix_ms) DO NOTHING"
)

STORED, DUPLICATE, LATE = "stored", "duplicate", "late"


def lock_state(sql: DriverSql, vehicle_id: int):
    """The vehicle's derivation state row, locked for this transaction on PostgreSQL (ingest and
    recomputation of one vehicle take turns); created if missing."""
    query = _STATE_LOCK["postgresql" if sql.pg else "sqlite"]
    row = sql.one(query, (vehicle_id,))
    if row is None:
        sql.run(_STATE_CREATE, (vehicle_id,))
        row = sql.one(query, (vehicle_id,))
    return row


def lock_states(sql: DriverSql, vehicle_ids: list[int]) -> dict[int, list]:
    """`lock_state` for several vehicles (`vehicle_ids` sorted) in one query: {id: [derived_until_ms,
    dirty_from_ms, state_json]}. PostgreSQL locks the rows in id order, so two transactions (two
    processes' batches, or a batch and a recomputation) never wait on each other in a cycle."""
    states = _select_states(sql, vehicle_ids)
    missing = [vehicle_id for vehicle_id in vehicle_ids if vehicle_id not in states]
    if missing:
        sql.many(_STATE_CREATE, [(vehicle_id,) for vehicle_id in missing])
        states.update(_select_states(sql, missing))
    return states


def _select_states(sql: DriverSql, vehicle_ids: list[int]) -> dict[int, list]:
    # the IN list padded to a power of two: a handful of distinct texts for the statement caches
    size = 1 << (len(vehicle_ids) - 1).bit_length()
    query = _STATE_LOCK_MANY.get((size, sql.pg))
    if query is None:
        query = _STATE_LOCK_MANY[(size, sql.pg)] = (
            "SELECT vehicle_id, derived_until_ms, dirty_from_ms, state_json FROM payt_derivation_state "
            f"WHERE vehicle_id IN ({','.join('?' * size)})" + (" ORDER BY vehicle_id FOR UPDATE" if sql.pg else ""))
    sql.run(query, (*vehicle_ids, *[vehicle_ids[-1]] * (size - len(vehicle_ids))))
    return {row[0]: list(row[1:]) for row in sql.cursor.fetchall()}


_STATE_LOCK_MANY: dict[tuple[int, bool], str] = {}


def apply_live(conn: Connection, rules: Rules, context: VehicleContext, position: tuple) -> str:
    """Store one position and fold it into the derived tables. `position` is the row tuple
    (vehicle_id, device_id, fix_ms, received_ms, lat, lon, speed_kph, heading, altitude,
    accuracy, battery, ignition). Returns STORED, DUPLICATE or LATE."""
    return apply_live_sql(DriverSql(conn), rules, context, position)


def apply_live_sql(sql: DriverSql, rules: Rules, context: VehicleContext, position: tuple) -> str:
    return apply_live_many(sql, rules, [(context, position)])[0]


# vehicle id -> (state JSON, the machine that state was loaded into): a process that just wrote
# a vehicle's state reuses its machine when the stored state is still exactly that text
_machines: dict[int, tuple[str, Machine]] = {}


def apply_live_many(sql: DriverSql, rules: Rules, positions: list[tuple[VehicleContext, tuple]]) -> list[str]:
    """`apply_live` for many positions in the caller's transaction (the ingest's group commit),
    each vehicle's in the order given; returns their outcomes in that order. The vehicles'
    state rows are read (and on PostgreSQL locked, in id order) in one query and saved once
    each at the end; the machine of a vehicle with several positions runs on from one to the
    next, exactly as one position per transaction would."""
    states = lock_states(sql, sorted({position[0] for _context, position in positions}))
    running: dict[int, Machine] = {}  # vehicles fed here, states not saved yet
    outcomes = []
    for context, position in positions:
        vehicle_id, fix_ms = position[0], position[2]
        derived_until, _dirty_from, state = states[vehicle_id]
        if not sql.run(_POSITION_INSERT, position):
            outcomes.append(DUPLICATE)
            continue
        if derived_until is not None and fix_ms <= derived_until:
            sql.run(_STATE_DIRTY, (fix_ms, fix_ms, vehicle_id))
            outcomes.append(LATE)
            continue
        machine = running.get(vehicle_id)
        if machine is None or machine.ctx is not context:
            if machine is not None:  # the vehicle's context was reloaded meanwhile: go on from here
                state = machine.dumps()
            machine = running[vehicle_id] = _machine(vehicle_id, state, rules, context, LiveSink(sql, vehicle_id))
        machine.process(fix_ms, position[4], position[5], position[6], position[11])
        states[vehicle_id] = (fix_ms, _dirty_from, state)
        outcomes.append(STORED)
    if running:
        saved = [(machine.last_ms, machine.dumps(), vehicle_id) for vehicle_id, machine in running.items()]
        sql.many(_STATE_SAVE, saved)
        if len(_machines) > 10_000:
            _machines.clear()
        for (_until, state, vehicle_id), machine in zip(saved, running.values()):
            _machines[vehicle_id] = (state, machine)
    return outcomes


def _machine(vehicle_id: int, state: str | None, rules: Rules, context: VehicleContext, sink) -> Machine:
    """The vehicle's machine at `state`: the one this process left there if the stored state is
    still its text, else loaded from it. Taken out of the cache while it runs: if the
    transaction fails half-way, no advanced machine stays filed under the old text."""
    cached = _machines.pop(vehicle_id, None)
    if cached is not None and state is not None and cached[0] == state and cached[1].ctx is context \
            and cached[1].rules is rules:
        cached[1].sink = sink
        return cached[1]
    return Machine(rules, context, sink, state)


# --- recomputation -----------------------------------------------------------------------------

def mark_dirty(conn: Connection, vehicle_id: int, from_ms: int) -> None:
    sql = DriverSql(conn)
    lock_state(sql, vehicle_id)
    sql.run(_STATE_DIRTY, (from_ms, from_ms, vehicle_id))


def ensure_fresh(conn: Connection, vehicle_ids=None, from_ms: int | None = None, to_ms: int | None = None, *,
                 rules: Rules | None = None) -> int:
    """Recompute every dirty vehicle among `vehicle_ids` (None = all) whose dirty time is before
    `to_ms` (None = any), so trips/stops/events/daily stats are right before they are read.
    `from_ms` is accepted for symmetry; a dirty time before it still counts, because later rows
    depend on earlier fixes. Returns how many vehicles were recomputed."""
    query = select(payt_derivation_state.c.vehicle_id, payt_derivation_state.c.dirty_from_ms).where(
        payt_derivation_state.c.dirty_from_ms.is_not(None))
    if vehicle_ids is not None:
        vehicle_ids = list(vehicle_ids)
        if not vehicle_ids:
            return 0
        query = query.where(payt_derivation_state.c.vehicle_id.in_(vehicle_ids))
    if to_ms is not None:
        query = query.where(payt_derivation_state.c.dirty_from_ms < to_ms)
    # in id order, as the ingest locks vehicles: two transactions never wait on each other in a cycle
    dirty = conn.execute(query.order_by(payt_derivation_state.c.vehicle_id)).all()
    for vehicle_id, dirty_from in dirty:
        recompute(conn, vehicle_id, dirty_from, rules=rules)
    return len(dirty)


def recompute(conn: Connection, vehicle_id: int, from_ms: int | None = None, *, rules: Rules | None = None,
              progress=None) -> int:
    """Re-derive one vehicle from the last checkpoint before `from_ms` (None = from scratch).
    Returns the number of positions replayed."""
    rules = rules or _active_rules
    sql = DriverSql(conn)
    state_row = lock_state(sql, vehicle_id)
    if from_ms is None:
        from_ms = state_row[1] if state_row[1] is not None else -(2**62)
    context = load_context(conn, vehicle_id, rules, cached=False)
    if context is None:
        return 0
    checkpoint = conn.execute(
        select(payt_stops.c.start_ms, payt_stops.c.confirmed_ms, payt_stops.c.resume_state)
        .where(payt_stops.c.vehicle_id == vehicle_id, payt_stops.c.confirmed_ms < from_ms,
               payt_stops.c.resume_state.is_not(None))
        .order_by(payt_stops.c.confirmed_ms.desc()).limit(1)
    ).first()
    sink = BatchSink(vehicle_id)
    if checkpoint is None:
        machine = Machine(rules, context, sink)
        replay_after, stop_start = None, None
        for table in (payt_trips, payt_stops, payt_events, payt_daily_stats):
            conn.execute(delete(table).where(table.c.vehicle_id == vehicle_id))
    else:
        stop_start, replay_after, state = checkpoint
        machine = Machine(rules, context, sink, state)
        conn.execute(delete(payt_trips).where(payt_trips.c.vehicle_id == vehicle_id, payt_trips.c.start_ms > stop_start))
        conn.execute(delete(payt_stops).where(payt_stops.c.vehicle_id == vehicle_id, payt_stops.c.start_ms > stop_start))
        conn.execute(delete(payt_events).where(payt_events.c.vehicle_id == vehicle_id, payt_events.c.source_ms > replay_after))
        floor = machine.open_day_floor()
        if floor is not None:
            conn.execute(delete(payt_daily_stats).where(payt_daily_stats.c.vehicle_id == vehicle_id,
                                                        payt_daily_stats.c.day >= date.fromordinal(floor)))
            for ordinal, row in machine.days.items():  # the checkpoint's days, as they were then
                sink.day(ordinal, row)
    replayed = 0
    process = machine.process
    for chunk in _stream_positions(conn, vehicle_id, replay_after):
        for t, lat, lon, speed, ignition in chunk:
            process(t, lat, lon, speed, ignition)
        replayed += len(chunk)
        if progress is not None:
            progress(len(chunk))
    sink.flush(conn, resumed_stop_ms=stop_start)
    conn.execute(update(payt_derivation_state).where(payt_derivation_state.c.vehicle_id == vehicle_id).values(
        derived_until_ms=machine.last_ms, dirty_from_ms=None,
        state_json=machine.dumps() if machine.last is not None else None))
    return replayed


def _stream_positions(conn: Connection, vehicle_id: int, after_ms: int | None):
    """The vehicle's fixes in time order, in chunks, straight from the driver (the replay reads
    millions of rows; a server-side cursor on PostgreSQL keeps memory flat)."""
    sql = DriverSql(conn)
    query = ("SELECT fix_ms, latitude, longitude, speed_kph, ignition FROM payt_positions "
             "WHERE vehicle_id=? AND fix_ms > ? ORDER BY fix_ms")
    params = (vehicle_id, after_ms if after_ms is not None else -(2**62))
    if sql.pg:
        cursor = conn.connection.driver_connection.cursor(name=f"replay_{vehicle_id}")
        cursor.execute(query.replace("?", "%s"), params)
    else:
        cursor = sql.cursor
        cursor.execute(query, params)
    try:
        while chunk := cursor.fetchmany(STREAM_BATCH):
            yield chunk
    finally:
        cursor.close()


def rederive_all(conn: Connection, *, rules: Rules | None = None) -> int:
    """Recompute every vehicle from scratch (after the rules changed)."""
    vehicle_ids = [r[0] for r in conn.execute(select(payt_vehicles.c.id).order_by(payt_vehicles.c.id))]
    for vehicle_id in vehicle_ids:
        recompute(conn, vehicle_id, -(2**62), rules=rules)
    return len(vehicle_ids)

