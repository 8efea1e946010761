"""Where the derivation machine's output goes (motion.Sink).

* `LiveSink`: the live path (derive.apply_live_many): the latest value of every row the
  machines of one transaction touch, written at its end with a few executemany statements.
* `BatchSink`: recomputation (derive.recompute): everything from a replay, in bulk inserts.

Both write fixed `Statement`s through the `Db` they are given (the ingest's held connection,
or a transaction): the live path runs a handful per batch of positions, and SQLAlchemy's
statement machinery would cost more than they do.
"""

from __future__ import annotations

from datetime import date

from polytrack.kernel.sql import Db, Statement, day_value
from polytrack.payt.motion import Run

_TRIP_UPDATE = Statement(
    "UPDATE payt_trips SET end_ms=?, end_latitude=?, end_longitude=?, distance_m=?, max_speed_kph=?, "
    "average_speed_kph=?, positions=? WHERE vehicle_id=? AND start_ms=?"
)
_TRIP_INSERT = Statement(
    "INSERT INTO payt_trips (vehicle_id, start_ms, end_ms, start_latitude, start_longitude, end_latitude, "
    "end_longitude, distance_m, max_speed_kph, average_speed_kph, positions) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
)
_STOP_UPDATE = Statement("UPDATE payt_stops SET end_ms=? WHERE vehicle_id=? AND start_ms=?")
_STOP_CHECKPOINT = Statement(
    "UPDATE payt_stops SET end_ms=?, confirmed_ms=?, resume_state=? WHERE vehicle_id=? AND start_ms=?")
_STOP_INSERT = Statement(
    "INSERT INTO payt_stops (vehicle_id, start_ms, end_ms, latitude, longitude, confirmed_ms, resume_state) "
    "VALUES (?,?,?,?,?,?,?)"
)
_EVENT_INSERT = Statement(
    "INSERT INTO payt_events (vehicle_id, at_ms, event_type_id, location_id, latitude, longitude, speed_kph, "
    "source_ms) VALUES (?,?,?,?,?,?,?,?)"
)
_DAY_UPSERT = Statement(
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

    def __init__(self, db: Db):
        self.db = db
        self.trips: dict[tuple[int, int], tuple] = {}  # (vehicle, start_ms) -> _TRIP_INSERT params
        self.stops: dict[tuple[int, int], list] = {}  # (vehicle, start_ms) -> [end, lat, lon, confirmed, state]
        self.checkpointed: set[tuple[int, int]] = set()  # stops whose checkpoint was (re)set
        self.events: list[tuple] = []
        self.days: dict[tuple[int, int], tuple] = {}  # (vehicle, ordinal) -> _DAY_UPSERT params

    def of(self, vehicle_id: int) -> "_VehicleSink":
        return _VehicleSink(self, vehicle_id)

    def write(self) -> None:
        db = self.db
        if self.trips:
            rows = list(self.trips.values())
            # _TRIP_INSERT's order -> _TRIP_UPDATE's: the end fix, distance, speeds, count; then the key
            trip_updates = [(r[2], r[5], r[6], r[7], r[8], r[9], r[10], r[0], r[1]) for r in rows]
            _update_else_insert(db, _TRIP_UPDATE, trip_updates, _TRIP_INSERT, rows)
        if self.stops:
            for checkpoint in (False, True):
                keys = [key for key in self.stops if (key in self.checkpointed) == checkpoint]
                if not keys:
                    continue
                values = [self.stops[key] for key in keys]
                updates: list[tuple] = [(v[0], v[3], v[4], *key) if checkpoint else (v[0], *key)
                                        for key, v in zip(keys, values)]
                inserts = [(*key, v[0], v[1], v[2], v[3], v[4]) for key, v in zip(keys, values)]
                _update_else_insert(db, _STOP_CHECKPOINT if checkpoint else _STOP_UPDATE, updates, _STOP_INSERT,
                                    inserts)
        if self.events:
            db.many(_EVENT_INSERT, self.events)
        if self.days:
            db.many(_DAY_UPSERT, list(self.days.values()))


def _update_else_insert(db: Db, update: Statement, updates: list[tuple], insert: Statement, inserts: list[tuple]):
    """UPDATE each row by key; INSERT the ones that do not exist yet. The common case (all exist)
    is one executemany; otherwise row by row (the updates set absolute values: running them
    twice changes nothing)."""
    if db.many(update, updates) == len(updates):
        return
    for params, row in zip(updates, inserts):
        if not db.run(update, params).rowcount:
            db.run(insert, row)


def _trip_row(vehicle_id: int, run: Run) -> tuple:
    """A trip as _TRIP_INSERT's parameters."""
    s, e = run.start, run.end
    return (vehicle_id, s[0], e[0], s[1], s[2], e[1], e[2], run.dist, run.max_speed, run.average_kph(), run.fixes)


class _VehicleSink:
    """One vehicle's view of a LiveSink (the machine does not know its vehicle id)."""

    __slots__ = ("sink", "vehicle_id")

    def __init__(self, sink: LiveSink, vehicle_id: int):
        self.sink = sink
        self.vehicle_id = vehicle_id

    def trip(self, run: Run) -> None:
        row = _trip_row(self.vehicle_id, run)
        self.sink.trips[(self.vehicle_id, row[1])] = row

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
        self.sink.days[(self.vehicle_id, ordinal)] = (self.vehicle_id, day_value(self.sink.db, date.fromordinal(ordinal)),
                                                      *row)


class BatchSink:
    """Collects the machine's output over many fixes and writes it in a few bulk statements."""

    def __init__(self, vehicle_id: int):
        self.vehicle_id = vehicle_id
        self.trips: dict[int, Run] = {}  # by start; rendered at flush (the open run keeps changing)
        self.stops: dict[int, list] = {}  # by start: _STOP_INSERT's parameters
        self.events: list[tuple] = []  # _EVENT_INSERT's parameters
        self.days: dict[int, list] = {}

    def trip(self, run: Run) -> None:
        self.trips[run.start[0]] = run

    def stop(self, stop: list, checkpoint: str | None = None, confirmed_ms: int | None = None) -> None:
        known = self.stops.get(stop[0])
        if known is not None and checkpoint is None:
            known[2] = stop[1]  # the end
            return
        self.stops[stop[0]] = [self.vehicle_id, stop[0], stop[1], stop[2], stop[3], confirmed_ms, checkpoint]

    def event(self, at_ms, type_id, location_id, lat, lon, speed, source_ms) -> None:
        self.events.append((self.vehicle_id, at_ms, type_id, location_id, lat, lon, speed, source_ms))

    def day(self, ordinal: int, row: list) -> None:
        self.days[ordinal] = list(row)

    def flush(self, db: Db, *, resumed_stop_ms: int | None) -> None:
        vid = self.vehicle_id
        resumed = self.stops.pop(resumed_stop_ms, None) if resumed_stop_ms is not None else None
        if resumed is not None:  # the checkpoint's own stop row exists: extend it, keep its checkpoint
            db.run(_STOP_UPDATE, (resumed[2], vid, resumed_stop_ms))
        if self.trips:
            db.many(_TRIP_INSERT, [_trip_row(vid, run) for run in self.trips.values()])
        if self.stops:
            db.many(_STOP_INSERT, list(self.stops.values()))
        if self.events:
            db.many(_EVENT_INSERT, self.events)
        if self.days:
            db.many(_DAY_UPSERT, [(vid, day_value(db, date.fromordinal(ordinal)), *row)
                                  for ordinal, row in sorted(self.days.items())])
