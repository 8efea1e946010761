"""Derived PAYT data: trips, stops, events and daily stats, from raw positions.

* `Rules` is the one rule set (Traccar's defaults), overridable per server via settings
  (`payt.min_trip_distance_m` ...).
* In-order positions are folded in as they arrive (`apply_live`, O(1): extend the open trip,
  stop and daily row). A position older than the last derived one only marks the vehicle dirty
  (`payt_derivation_state.dirty_from_ms`).
* `ensure_fresh` recomputes dirty vehicles from the last checkpoint before the dirty time; the
  report operations call it before they read. With nothing dirty it costs one indexed query.

The state machine itself is in motion.py; sinks.py writes what it derives. Every function
takes a `kernel.sql.Db`: the ingest's held connection for the live path, a transaction for
recomputation (reports, the importer, the demo, `polytrack payt rederive`).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any, Iterator

from sqlalchemy import delete, select

from polytrack.kernel.coherence import CoherentCache, Generation
from polytrack.kernel.dates import zone
from polytrack.kernel.sql import Db, Statement, Transaction
from polytrack.payt.motion import Geofence, Machine, Rules, VehicleContext
from polytrack.payt.sinks import BatchSink, LiveSink
from polytrack.payt.tables import payt_daily_stats, payt_derivation_state, payt_events, payt_stops, payt_trips


DEFAULT_TIMEZONE = "Europe/London"
CONTEXT_TTL_SECONDS = 30.0
STREAM_BATCH = 20_000


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
# A read cache (kernel.coherence): until `follow_changes` binds it to the database's marker it
# only ages out (CONTEXT_TTL_SECONDS); once bound, any process's change to vehicles, clients or
# locations empties it at once. Collected data (positions) does not.

_contexts = CoherentCache(Generation(None), max_age=CONTEXT_TTL_SECONDS)


def follow_changes(generation: Generation) -> None:
    """Let every committed change of any process empty this process's vehicle contexts."""
    global _contexts
    if _contexts.generation is not generation:
        _contexts = CoherentCache(generation, max_age=CONTEXT_TTL_SECONDS)


def invalidate_contexts() -> None:
    """Forget cached vehicle contexts (after a vehicle, client or location changed)."""
    _contexts.clear()


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
    return _contexts.lookup(vehicle_id)


_VEHICLE_CONTEXT = Statement("""
    SELECT v.client_id, v.speed_limit_kph, c.timezone
    FROM payt_vehicles v JOIN payt_clients c ON c.id = v.client_id WHERE v.id = ?
""")
_LOCATIONS = Statement(
    "SELECT id, latitude, longitude, radius_m, polygon_geojson FROM payt_locations WHERE client_id = ? ORDER BY id")


def load_context(db: Db, vehicle_id: int, rules: Rules, *, cached: bool = True) -> VehicleContext | None:
    if cached:
        hit = _contexts.lookup(vehicle_id)
        if hit is not None:
            return hit
    snapshot = _contexts.snapshot()
    row = db.one(_VEHICLE_CONTEXT, (vehicle_id,))
    if row is None:
        return None
    client_id, speed_limit_kph, timezone = row
    locations = []
    for location in db.all(_LOCATIONS, (client_id,)):
        fence = geofence_for(*location)
        if fence is not None:
            locations.append(fence)
    try:
        tz = zone(timezone or DEFAULT_TIMEZONE)
    except ValueError:
        tz = zone(DEFAULT_TIMEZONE)
    context = VehicleContext(vehicle_id, tz, speed_limit_kph or rules.default_speed_limit_kph, locations)
    _contexts.store(vehicle_id, context, snapshot)
    return context


# --- live path ---------------------------------------------------------------------------------

_STATE_SELECT = "SELECT derived_until_ms, dirty_from_ms, state_json FROM payt_derivation_state WHERE vehicle_id=?"
_STATE_LOCK = {  # by dialect: PostgreSQL locks the row for the transaction
    "sqlite": Statement(_STATE_SELECT),
    "postgresql": Statement(_STATE_SELECT + " FOR UPDATE"),
}
_STATE_CREATE = Statement("INSERT INTO payt_derivation_state (vehicle_id) VALUES (?) ON CONFLICT (vehicle_id) DO NOTHING")
_STATE_SAVE = Statement("UPDATE payt_derivation_state SET derived_until_ms=?, state_json=? WHERE vehicle_id=?")
_STATE_DIRTY = Statement(
    "UPDATE payt_derivation_state SET dirty_from_ms = CASE WHEN dirty_from_ms IS NULL OR dirty_from_ms > ? "
    "THEN ? ELSE dirty_from_ms END WHERE vehicle_id=?"
)
_STATE_DERIVED = Statement(
    "UPDATE payt_derivation_state SET derived_until_ms=?, dirty_from_ms=NULL, state_json=? WHERE vehicle_id=?")
_POSITION_INSERT = Statement(
    "INSERT INTO payt_positions (vehicle_id, device_id, fix_ms, received_ms, latitude, longitude, speed_kph, "
    "heading, altitude, accuracy, battery, ignition) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) "
    "ON CONFLICT (vehicle_id, fix_ms) DO NOTHING"
)
_SAVEPOINT = Statement("SAVEPOINT payt_positions_batch")
_RELEASE = Statement("RELEASE SAVEPOINT payt_positions_batch")
_ROLLBACK_TO = Statement("ROLLBACK TO SAVEPOINT payt_positions_batch")

STORED, DUPLICATE, LATE = "stored", "duplicate", "late"


def lock_state(db: Db, vehicle_id: int):
    """The vehicle's derivation state row, locked for this transaction on PostgreSQL (ingest and
    recomputation of one vehicle take turns); created if missing."""
    query = _STATE_LOCK[db.dialect]
    row = db.one(query, (vehicle_id,))
    if row is None:
        db.run(_STATE_CREATE, (vehicle_id,))
        row = db.one(query, (vehicle_id,))
    return row


def lock_states(db: Db, vehicle_ids: list[int]) -> dict[int, list]:
    """`lock_state` for several vehicles (`vehicle_ids` sorted) in one query: {id: [derived_until_ms,
    dirty_from_ms, state_json]}. PostgreSQL locks the rows in id order, so two transactions (two
    processes' batches, or a batch and a recomputation) never wait on each other in a cycle."""
    states = _select_states(db, vehicle_ids)
    missing = [vehicle_id for vehicle_id in vehicle_ids if vehicle_id not in states]
    if missing:
        db.many(_STATE_CREATE, [(vehicle_id,) for vehicle_id in missing])
        states.update(_select_states(db, missing))
    return states


def _select_states(db: Db, vehicle_ids: list[int]) -> dict[int, list]:
    # the IN list padded to a power of two: a handful of distinct texts for the statement caches
    size = 1 << (len(vehicle_ids) - 1).bit_length()
    query = _STATE_LOCK_MANY.get((size, db.dialect))
    if query is None:
        query = _STATE_LOCK_MANY[(size, db.dialect)] = Statement(
            "SELECT vehicle_id, derived_until_ms, dirty_from_ms, state_json FROM payt_derivation_state "
            f"WHERE vehicle_id IN ({','.join('?' * size)})"
            + (" ORDER BY vehicle_id FOR UPDATE" if db.dialect == "postgresql" else ""))
    rows = db.all(query, (*vehicle_ids, *[vehicle_ids[-1]] * (size - len(vehicle_ids))))
    return {row[0]: list(row[1:]) for row in rows}


_STATE_LOCK_MANY: dict[tuple[int, str], Statement] = {}


def apply_live(db: Db, rules: Rules, context: VehicleContext, position: tuple) -> str:
    """Store one position and fold it into the derived tables. `position` is the row tuple
    (vehicle_id, device_id, fix_ms, received_ms, lat, lon, speed_kph, heading, altitude,
    accuracy, battery, ignition). Returns STORED, DUPLICATE or LATE."""
    return apply_live_many(db, rules, [(context, position)])[0]


# vehicle id -> (state JSON, the machine that state was loaded into): a process that just wrote
# a vehicle's state reuses its machine when the stored state is still exactly that text
_machines: dict[int, tuple[str, Machine]] = {}


def apply_live_many(db: Db, rules: Rules, positions: list[tuple[VehicleContext, tuple]]) -> list[str]:
    """`apply_live` for many positions in the caller's transaction (the ingest's group commit),
    each vehicle's in the order given; returns their outcomes in that order. Per batch, not per
    position: the vehicles' state rows are read (and on PostgreSQL locked, in id order) in one
    query, the positions inserted with one executemany, and what the machines derive written
    at the end, once per row (LiveSink). A vehicle's machine runs on from one of its positions
    to the next, exactly as one position per transaction would."""
    states = lock_states(db, sorted({position[0] for _context, position in positions}))
    stored = _insert_positions(db, [position for _context, position in positions])
    sink = LiveSink(db)
    running: dict[int, Machine] = {}  # vehicles fed here, states not saved yet
    outcomes = []
    for (context, position), is_new in zip(positions, stored):
        vehicle_id, fix_ms = position[0], position[2]
        derived_until, _dirty_from, state = states[vehicle_id]
        if not is_new:
            outcomes.append(DUPLICATE)
            continue
        if derived_until is not None and fix_ms <= derived_until:
            db.run(_STATE_DIRTY, (fix_ms, fix_ms, vehicle_id))
            outcomes.append(LATE)
            continue
        machine = running.get(vehicle_id)
        if machine is None or machine.ctx is not context:
            if machine is not None:  # the vehicle's context was reloaded meanwhile: go on from here
                state = machine.dumps()
            machine = running[vehicle_id] = _machine(vehicle_id, state, rules, context, sink.of(vehicle_id))
        machine.process(fix_ms, position[4], position[5], position[6], position[11])
        states[vehicle_id] = [fix_ms, _dirty_from, state]
        outcomes.append(STORED)
    if running:
        sink.write()
        saved = [(machine.last_ms, machine.dumps(), vehicle_id) for vehicle_id, machine in running.items()]
        db.many(_STATE_SAVE, saved)
        if len(_machines) > 10_000:
            _machines.clear()
        for (_until, state, vehicle_id), machine in zip(saved, running.values()):
            _machines[vehicle_id] = (state, machine)
    return outcomes


def _insert_positions(db: Db, rows: list[tuple]) -> list[bool]:
    """Insert position rows (fixes already stored are skipped); which ones went in. One
    executemany when all are new (the common case); else undone and redone row by row, to
    know which were duplicates (of stored fixes, or of each other: the first copy wins)."""
    if len(rows) == 1:
        return [bool(db.run(_POSITION_INSERT, rows[0]).rowcount)]
    db.run(_SAVEPOINT)
    if db.many(_POSITION_INSERT, rows) == len(rows):
        db.run(_RELEASE)
        return [True] * len(rows)
    db.run(_ROLLBACK_TO)
    db.run(_RELEASE)
    return [bool(db.run(_POSITION_INSERT, row).rowcount) for row in rows]


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

def mark_dirty(db: Db, vehicle_id: int, from_ms: int) -> None:
    lock_state(db, vehicle_id)
    db.run(_STATE_DIRTY, (from_ms, from_ms, vehicle_id))


def ensure_fresh(db: Db, vehicle_ids=None, from_ms: int | None = None, to_ms: int | None = None, *,
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
    dirty: list[Any] = list(db.execute(query.order_by(payt_derivation_state.c.vehicle_id)))
    for vehicle_id, dirty_from in dirty:
        recompute(db, vehicle_id, dirty_from, rules=rules)
    return len(dirty)


_CHECKPOINT_BEFORE = Statement("""
    SELECT start_ms, confirmed_ms, resume_state FROM payt_stops
    WHERE vehicle_id = ? AND confirmed_ms < ? AND resume_state IS NOT NULL
    ORDER BY confirmed_ms DESC LIMIT 1
""")


def recompute(db: Db, vehicle_id: int, from_ms: int | None = None, *, rules: Rules | None = None,
              progress=None) -> int:
    """Re-derive one vehicle from the last checkpoint before `from_ms` (None = from scratch).
    Returns the number of positions replayed. `db`: a transaction (the replay deletes and
    rewrites the vehicle's derived rows, which must commit together)."""
    rules = rules or _active_rules
    state_row = lock_state(db, vehicle_id)
    if from_ms is None:
        from_ms = state_row[1] if state_row[1] is not None else -(2**62)
    context = load_context(db, vehicle_id, rules, cached=False)
    if context is None:
        return 0
    checkpoint = db.one(_CHECKPOINT_BEFORE, (vehicle_id, from_ms))
    sink = BatchSink(vehicle_id)
    if checkpoint is None:
        machine = Machine(rules, context, sink)
        replay_after, stop_start = None, None
        for table in (payt_trips, payt_stops, payt_events, payt_daily_stats):
            db.execute(delete(table).where(table.c.vehicle_id == vehicle_id))
    else:
        stop_start, replay_after, state = checkpoint
        machine = Machine(rules, context, sink, state)
        db.execute(delete(payt_trips).where(payt_trips.c.vehicle_id == vehicle_id, payt_trips.c.start_ms > stop_start))
        db.execute(delete(payt_stops).where(payt_stops.c.vehicle_id == vehicle_id, payt_stops.c.start_ms > stop_start))
        db.execute(delete(payt_events).where(payt_events.c.vehicle_id == vehicle_id, payt_events.c.source_ms > replay_after))
        floor = machine.open_day_floor()
        if floor is not None:
            db.execute(delete(payt_daily_stats).where(payt_daily_stats.c.vehicle_id == vehicle_id,
                                                      payt_daily_stats.c.day >= date.fromordinal(floor)))
            for ordinal, row in machine.days.items():  # the checkpoint's days, as they were then
                sink.day(ordinal, row)
    replayed = 0
    process = machine.process
    for chunk in _stream_positions(db, vehicle_id, replay_after):
        for t, lat, lon, speed, ignition in chunk:
            process(t, lat, lon, speed, ignition)
        replayed += len(chunk)
        if progress is not None:
            progress(len(chunk))
    sink.flush(db, resumed_stop_ms=stop_start)
    db.run(_STATE_DERIVED, (machine.last_ms, machine.dumps() if machine.last is not None else None, vehicle_id))
    return replayed


_REPLAY = Statement(
    "SELECT fix_ms, latitude, longitude, speed_kph, ignition FROM payt_positions "
    "WHERE vehicle_id=? AND fix_ms > ? ORDER BY fix_ms")


def _stream_positions(db: Db, vehicle_id: int, after_ms: int | None) -> Iterator[list[Any]]:
    """The vehicle's fixes in time order, in chunks (the replay reads millions of rows). SQLite's
    cursor steps through the rows as they are fetched; on PostgreSQL a server-side cursor of the
    transaction does the same (a plain cursor would hold every row in memory)."""
    params = (vehicle_id, after_ms if after_ms is not None else -(2**62))
    cursor: Any
    if isinstance(db, Transaction) and db.dialect == "postgresql":
        cursor = db.driver_cursor(name=f"replay_{vehicle_id}")
        cursor.execute(_REPLAY.postgresql, params)
    else:
        cursor = db.run(_REPLAY, params)
    try:
        while chunk := cursor.fetchmany(STREAM_BATCH):
            yield chunk
    finally:
        cursor.close()


_ALL_VEHICLES = Statement("SELECT id FROM payt_vehicles ORDER BY id")


def rederive_all(db: Db, *, rules: Rules | None = None) -> int:
    """Recompute every vehicle from scratch (after the rules changed)."""
    vehicle_ids = [row[0] for row in db.all(_ALL_VEHICLES)]
    for vehicle_id in vehicle_ids:
        recompute(db, vehicle_id, -(2**62), rules=rules)
    return len(vehicle_ids)
