"""Where the derivation machine's output goes (motion.Sink), and the driver-level SQL both
derivation paths use.

* `LiveSink`: the live path (derive.apply_live_many): the latest value of every row the
  machines of one transaction touch, written at its end with a few executemany statements.
* `BatchSink`: recomputation (derive.recompute): everything from a replay, in bulk inserts.
* `DriverSql`: plain DB-API statements (`?` placeholders, rewritten for psycopg).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, update
from sqlalchemy.engine import Connection

from polytrack.kernel.db import begin_sqlite_transaction
from polytrack.payt.motion import (
    DISTANCE, DRIVING, FIRST_ON, IDLE, JOURNEYS, LAST_OFF, MAX_SPEED, POSITIONS, Run,
)
from polytrack.payt.tables import payt_daily_stats, payt_events, payt_stops, payt_trips

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

    def many(self, sql: str, rows) -> int:
        """executemany; returns the rows changed in all (SQLite and psycopg sum them)."""
        if self.pg:
            sql = self._converted.get(sql) or self._converted.setdefault(sql, sql.replace("?", "%s"))
        self.cursor.executemany(sql, rows)
        return self.cursor.rowcount

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
    """The live path's sink for one transaction: keeps the latest values of every trip, stop
    and day row the machines touch, and every event, and writes them at the end (`write`) in a
    few executemany statements (a row touched by several fixes of one batch is written once).
    Values are copied when the machine reports them, as a write at that moment would store."""

    def __init__(self, sql: DriverSql):
        self.sql = sql
        self.trips: dict[tuple[int, int], tuple] = {}  # (vehicle, start_ms) -> _TRIP_INSERT params
        self.stops: dict[tuple[int, int], list] = {}  # (vehicle, start_ms) -> [end, lat, lon, confirmed, state]
        self.checkpointed: set[tuple[int, int]] = set()  # stops whose checkpoint was (re)set
        self.events: list[tuple] = []
        self.days: dict[tuple[int, int], tuple] = {}  # (vehicle, ordinal) -> _DAY_UPSERT params

    def of(self, vehicle_id: int) -> "_VehicleSink":
        return _VehicleSink(self, vehicle_id)

    def write(self) -> None:
        sql = self.sql
        if self.trips:
            rows = list(self.trips.values())
            # _TRIP_INSERT's order -> _TRIP_UPDATE's: the end fix, distance, speeds, count; then the key
            updates = [(r[2], r[5], r[6], r[7], r[8], r[9], r[10], r[0], r[1]) for r in rows]
            _update_else_insert(sql, _TRIP_UPDATE, updates, _TRIP_INSERT, rows)
        if self.stops:
            for checkpoint in (False, True):
                keys = [key for key in self.stops if (key in self.checkpointed) == checkpoint]
                if not keys:
                    continue
                values = [self.stops[key] for key in keys]
                updates = [(v[0], v[3], v[4], *key) if checkpoint else (v[0], *key) for key, v in zip(keys, values)]
                inserts = [(*key, v[0], v[1], v[2], v[3], v[4]) for key, v in zip(keys, values)]
                _update_else_insert(sql, _STOP_CHECKPOINT if checkpoint else _STOP_UPDATE, updates, _STOP_INSERT,
                                    inserts)
        if self.events:
            sql.many(_EVENT_INSERT, self.events)
        if self.days:
            sql.many(_DAY_UPSERT, list(self.days.values()))


def _update_else_insert(sql: DriverSql, update: str, updates: list[tuple], insert: str, inserts: list[tuple]):
    """UPDATE each row by key; INSERT the ones that do not exist yet. The common case (all exist)
    is one executemany; otherwise row by row (the updates set absolute values: running them
    twice changes nothing)."""
    if sql.many(update, updates) == len(updates):
        return
    for params, row in zip(updates, inserts):
        if not sql.run(update, params):
            sql.run(insert, row)


class _VehicleSink:
    """One vehicle's view of a LiveSink (the machine does not know its vehicle id)."""

    __slots__ = ("sink", "vehicle_id")

    def __init__(self, sink: LiveSink, vehicle_id: int):
        self.sink = sink
        self.vehicle_id = vehicle_id

    def trip(self, run: Run) -> None:
        s, e = run.start, run.end
        self.sink.trips[(self.vehicle_id, s[0])] = (
            self.vehicle_id, s[0], e[0], s[1], s[2], e[1], e[2], run.dist, run.max_speed, run.average_kph(), run.fixes)

    def stop(self, stop: list, checkpoint: str | None = None, confirmed_ms: int | None = None) -> None:
        key = (self.vehicle_id, stop[0])
        known = self.sink.stops.get(key)
        if checkpoint is not None:
            self.sink.stops[key] = [stop[1], stop[2], stop[3], confirmed_ms, checkpoint]
            self.sink.checkpointed.add(key)
        elif known is not None:
            known[0] = stop[1]  # a plain update keeps a checkpoint set earlier in the batch
        else:
            self.sink.stops[key] = [stop[1], stop[2], stop[3], None, None]

    def event(self, at_ms, type_id, location_id, lat, lon, speed, source_ms) -> None:
        self.sink.events.append((self.vehicle_id, at_ms, type_id, location_id, lat, lon, speed, source_ms))

    def day(self, ordinal: int, row: list) -> None:
        self.sink.days[(self.vehicle_id, ordinal)] = (self.vehicle_id, self.sink.sql.day(ordinal), *row)


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
