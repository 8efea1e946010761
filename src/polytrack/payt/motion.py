"""The trip / stop / daily-stats state machine of one vehicle, pure Python (no database).

It is fed one vehicle's fixes in time order (`Machine.process`) and reports what it derives to
a sink (trips, stops, events, daily rows). Its whole state serialises to JSON, so the live
ingest path loads it, feeds one fix and stores it again (O(1) per fix), and a recomputation
resumes from a checkpoint stored with a stop. Both paths run this same code, which is what
makes late and out-of-order arrivals end in exactly the result an in-order feed gives.

Definitions (thresholds in `Rules`, Traccar's defaults):
* A fix is *moving* when its speed (reported, else computed from the previous fix) is above
  `motion_speed_kph`.
* A *trip* runs from the departure fix (the last stationary fix before motion) to the arrival
  fix (the first stationary fix after motion) and contains no stationary stretch of
  `min_stop_duration_s` or more and no gap over `max_gap_s`. It counts only when it covers
  `min_trip_distance_m` or lasts `min_trip_duration_s`; shorter runs stay part of the stop.
* A *stop* is the time between two trips (or before the first, after the last), counted when
  it lasts `min_stop_duration_s`. A gap in reporting longer than `max_gap_s` ends a trip at its
  last fix and counts as part of the following stop.
* Daily rows are per client-local day; legs crossing midnight are split by time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from datetime import datetime, timedelta, tzinfo
from typing import Any, Protocol, Sequence, TypeAlias

import orjson

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



# Event types stored in payt_events.event_type_id (1 is the plain position report, used by
# reports for raw positions and never stored as an event).
EVENT_POSITION = 1
EVENT_IGNITION_ON = 2
EVENT_IGNITION_OFF = 3
EVENT_ENTER_LOCATION = 4
EVENT_LEAVE_LOCATION = 5
EVENT_OVERSPEED = 6
EVENT_TYPES = {
    EVENT_POSITION: "Position",
    EVENT_IGNITION_ON: "Ignition On",
    EVENT_IGNITION_OFF: "Ignition Off",
    EVENT_ENTER_LOCATION: "Entering Location",
    EVENT_LEAVE_LOCATION: "Leaving Location",
    EVENT_OVERSPEED: "Overspeed",
}

EARTH_RADIUS_M = 6371008.8  # mean Earth radius (IUGG)

# indexes into a daily row list
FIRST_ON, LAST_OFF, DRIVING, IDLE, DISTANCE, MAX_SPEED, JOURNEYS, POSITIONS = range(8)

# The machine's records are plain lists of mixed types: they go into the state JSON and come
# back from it as they are (orjson writes no NamedTuple, and reads arrays back as lists), and a
# fix is made per position.
Fix: TypeAlias = "list[Any]"  # [t_ms: int, lat: float, lon: float]
Stop: TypeAlias = "list[Any]"  # [start_ms: int, end_ms: int, lat: float, lon: float, confirmed: 0 | 1]
DayRow: TypeAlias = "list[Any]"  # indexed by FIRST_ON ... POSITIONS (FIRST_ON, LAST_OFF: int | None)
DaySlots: TypeAlias = "list[float]"  # one day's [distance m, driving s, idle s] not committed yet


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


class Sink(Protocol):
    def trip(self, run: Run) -> None: ...
    def stop(self, stop: Stop, checkpoint: str | None = None, confirmed_ms: int | None = None) -> None: ...
    def event(self, at_ms: int, type_id: int, location_id: int | None, lat: float, lon: float,
              speed: float | None, source_ms: int) -> None: ...
    def day(self, ordinal: int, row: DayRow) -> None: ...


class DayClock:
    """Client-local day (as a date ordinal) of an epoch-ms instant; caches the current day's bounds."""

    def __init__(self, tz: tzinfo):
        self.tz = tz
        self.lo = self.hi = 0
        self.current = 0

    def ordinal(self, t_ms: int) -> int:
        if self.lo <= t_ms < self.hi:
            return self.current
        local = datetime.fromtimestamp(t_ms / 1000.0, self.tz)
        day = local.date()
        start = datetime(day.year, day.month, day.day, tzinfo=self.tz)
        end = start + timedelta(days=1)
        end = datetime(end.year, end.month, end.day, tzinfo=self.tz)  # wall-clock midnight (DST safe)
        self.lo, self.hi = int(start.timestamp() * 1000), int(end.timestamp() * 1000)
        self.current = day.toordinal()
        return self.current

    def split(self, t1: int, t2: int) -> Sequence[tuple[int, float]]:
        """[(ordinal, fraction)] of the interval [t1, t2] per local day."""
        first = self.ordinal(t1)
        if t2 < self.hi or t2 <= t1:
            return ((first, 1.0),)
        parts: list[tuple[int, float]] = []
        span = float(t2 - t1)
        cursor = t1
        while cursor < t2:
            ordinal = self.ordinal(cursor)
            upper = min(self.hi, t2)
            parts.append((ordinal, (upper - cursor) / span))
            cursor = upper
        return parts


class Run:
    """A stretch of fixes being accumulated, from its first fix to its last: a trip or a trip
    candidate. `days` holds per-day [distance, driving s, idle s] not yet committed."""

    __slots__ = ("start", "end", "dist", "driving", "idle", "max_speed", "fixes", "days")

    def __init__(self, start: Fix):
        self.start = start
        self.end = start
        self.dist = 0.0
        self.driving = 0.0
        self.idle = 0.0
        self.max_speed = 0.0
        self.fixes = 1
        self.days: dict[int, DaySlots] = {}

    def to_json(self) -> list[Any]:
        return [self.start, self.end, self.dist, self.driving, self.idle, self.max_speed, self.fixes,
                [[k, *v] for k, v in self.days.items()]]

    @classmethod
    def from_json(cls, data: list[Any]) -> Run:
        run = cls.__new__(cls)
        run.start, run.end, run.dist, run.driving, run.idle, run.max_speed, run.fixes, days = data
        run.days = {d[0]: d[1:] for d in days}
        return run

    def duration_s(self) -> float:
        return (self.end[0] - self.start[0]) / 1000.0

    def average_kph(self) -> float:
        seconds = self.duration_s()
        return self.dist / seconds * 3.6 if seconds > 0 else 0.0


class Pending:
    """The stationary tail of a trip or candidate: what happened since its arrival fix `since`
    (the pause), not yet part of the run (it becomes part of it if the vehicle moves on). In the
    state JSON it is a Run's array without a first and last fix ([null, null, ...]), and `since`
    is stored beside it."""

    __slots__ = ("since", "dist", "driving", "idle", "max_speed", "fixes", "days")

    def __init__(self, since: Fix):
        self.since = since
        self.dist = 0.0
        self.driving = 0.0
        self.idle = 0.0
        self.max_speed = 0.0
        self.fixes = 0
        self.days: dict[int, DaySlots] = {}

    def to_json(self) -> list[Any]:
        return [None, None, self.dist, self.driving, self.idle, self.max_speed, self.fixes,
                [[k, *v] for k, v in self.days.items()]]

    @classmethod
    def from_json(cls, data: list[Any], since: Fix) -> Pending:
        pending = cls.__new__(cls)
        pending.since = since
        _start, _end, pending.dist, pending.driving, pending.idle, pending.max_speed, pending.fixes, days = data
        pending.days = {d[0]: d[1:] for d in days}
        return pending


class Geofence:
    """A location: circle (lat, lon, radius) or polygon ring [(lon, lat), ...]."""

    __slots__ = ("id", "lat", "lon", "radius", "ring", "bbox")

    def __init__(self, location_id: int, *, lat=None, lon=None, radius=None, ring=None):
        self.id = location_id
        self.lat, self.lon, self.radius, self.ring = lat, lon, radius, ring
        if ring:
            xs, ys = [p[0] for p in ring], [p[1] for p in ring]
            self.bbox = (min(ys), max(ys), min(xs), max(xs))
        else:
            dlat = radius / 111_000.0
            dlon = radius / (111_000.0 * max(0.01, math.cos(math.radians(lat))))
            self.bbox = (lat - dlat, lat + dlat, lon - dlon, lon + dlon)

    def contains(self, lat: float, lon: float) -> bool:
        b = self.bbox
        if not (b[0] <= lat <= b[1] and b[2] <= lon <= b[3]):
            return False
        if self.ring is None:
            return haversine_m(self.lat, self.lon, lat, lon) <= self.radius
        inside = False
        ring = self.ring
        j = len(ring) - 1
        for i in range(len(ring)):
            xi, yi = ring[i]
            xj, yj = ring[j]
            if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / (yj - yi) + xi:
                inside = not inside
            j = i
        return inside


class VehicleContext:
    """What the machine needs to know about the vehicle besides its fixes."""

    def __init__(self, vehicle_id: int, tz: tzinfo, speed_limit_kph: float, locations: list[Geofence]):
        self.vehicle_id = vehicle_id
        self.tz = tz
        self.speed_limit_kph = speed_limit_kph
        self.locations = locations


IDLE_MODE, TRIP_MODE = 0, 1

# one DayClock per zone and process: its cached day bounds survive from one fix to the next
_day_clocks: dict[tzinfo, DayClock] = {}


class Machine:
    def __init__(self, rules: Rules, context: VehicleContext, sink: Sink, state: str | None = None):
        self.rules = rules
        self.ctx = context
        self.sink = sink
        self.days_clock = _day_clocks.get(context.tz) or _day_clocks.setdefault(context.tz, DayClock(context.tz))
        self.motion_kph = rules.motion_speed_kph
        self.max_gap_ms = rules.max_gap_s * 1000.0
        self.min_stop_ms = rules.min_stop_duration_s * 1000.0
        self.min_trip_ms = rules.min_trip_duration_s * 1000.0
        self.min_trip_m = rules.min_trip_distance_m
        self.last: Fix | None = None
        self.mode = IDLE_MODE  # TRIP_MODE exactly while `trip` is set (the code tests `trip`)
        self.trip: Run | None = None  # confirmed, open trip (TRIP_MODE)
        self.cand: Run | None = None  # trip candidate (IDLE_MODE)
        self.pending: Pending | None = None  # the current stationary stretch in trip/cand
        # set in IDLE_MODE whenever there is no candidate; None in TRIP_MODE and before a first stop
        self.stop: Stop | None = None
        self.days: dict[int, DayRow] = {}
        self.ignition: int | None = None
        self.ignition_reported = False
        self.over = False
        self.inside: list[int] = []
        self._changed_days: set[int] = set()
        self._checkpoint_due = False
        self._now = 0  # the fix being processed: source of every event it produces
        if state:
            self._load(state)

    # --- state ---------------------------------------------------------------------------
    def dumps(self) -> str:
        # orjson: a tenth of json.dumps' cost, and this runs once per live fix. Compact JSON with
        # shortest round-trip floats (exponents spelt 1e-5 where json.dumps writes 1e-05).
        pending = self.pending
        return orjson.dumps([
            self.last, self.mode,
            self.trip.to_json() if self.trip else None,
            self.cand.to_json() if self.cand else None,
            pending.since if pending else None,
            pending.to_json() if pending else None,
            self.stop,
            [[k, *v] for k, v in self.days.items()],
            self.ignition, self.ignition_reported, self.over, self.inside,
        ]).decode()

    def _load(self, state: str) -> None:
        (self.last, self.mode, trip, cand, pause, pending, self.stop, days,
         self.ignition, self.ignition_reported, self.over, self.inside) = orjson.loads(state)
        self.trip = Run.from_json(trip) if trip else None
        self.cand = Run.from_json(cand) if cand else None
        self.pending = Pending.from_json(pending, pause) if pending else None
        self.days = {d[0]: d[1:] for d in days}

    @property
    def last_ms(self) -> int | None:
        return self.last[0] if self.last else None

    def open_day_floor(self) -> int | None:
        """Days before this ordinal can no longer change (see `_prune_days`)."""
        return min(self.days) if self.days else None

    # --- feeding -------------------------------------------------------------------------
    def process(self, t: int, lat: float, lon: float, speed: float | None, ignition: int | None) -> None:
        """One fix, strictly later than the previous one."""
        fix: Fix = [t, lat, lon]
        last = self.last
        self._now = t
        row = self._day(t)
        row[POSITIONS] += 1
        if last is None:
            speed = speed if speed is not None else 0.0
            if speed > self.motion_kph:
                self.cand = Run(fix)
                self.cand.max_speed = speed
            else:
                self.stop = [t, t, lat, lon, 0]
        else:
            dt = t - last[0]
            if dt > self.max_gap_ms:
                stop = self._break_at_gap(last)
                speed = speed if speed is not None else 0.0
                if speed > self.motion_kph:
                    self.cand = Run(fix)
                    self.cand.max_speed = speed
                else:
                    stop[1] = t
            else:
                distance = haversine_m(last[1], last[2], lat, lon)
                if speed is None:
                    speed = distance * 3600.0 / dt
                trip = self.trip
                if trip is not None:  # TRIP_MODE
                    self._in_trip(trip, fix, last, distance, speed)
                else:
                    self._idle(fix, last, distance, speed)
        if speed > row[MAX_SPEED]:
            row[MAX_SPEED] = speed
        self._events(fix, speed, ignition)
        self.last = fix
        self._prune_days(t)
        for ordinal in self._changed_days:
            if ordinal in self.days:
                self.sink.day(ordinal, self.days[ordinal])
        self._changed_days.clear()
        if self._checkpoint_due:
            self._checkpoint_due = False
            confirmed = self.stop
            assert confirmed is not None, "a stop was confirmed by this fix"
            self.sink.stop(confirmed, self.dumps(), t)

    def _extend(self, run: Run, last: Fix, fix: Fix, distance: float, speed: float, *, driving: bool,
                commit: bool) -> None:
        """Add the leg last -> fix to `run`, which now ends at `fix`."""
        self._add_leg(run, last, fix, distance, driving=driving, commit=commit)
        run.end = fix
        run.fixes += 1
        if speed > run.max_speed:
            run.max_speed = speed

    def _in_trip(self, trip: Run, fix: Fix, last: Fix, distance: float, speed: float) -> None:
        pending = self.pending
        moving = speed > self.motion_kph
        if moving:
            if pending is not None:
                self._merge_pending(trip, pending, commit=True)
            self._extend(trip, last, fix, distance, speed, driving=True, commit=True)
        elif pending is None:
            self._extend(trip, last, fix, distance, speed, driving=True, commit=True)
            self.pending = Pending(fix)
        else:
            self._extend_pause(pending, last, fix, distance, speed)
            if fix[0] - pending.since[0] >= self.min_stop_ms:
                self._close_trip(trip, stop_end=fix[0])
                return
        self.sink.trip(trip)

    def _extend_pause(self, pending: Pending, last: Fix, fix: Fix, distance: float, speed: float) -> None:
        """A fix while a run is paused: one more (not driving, uncommitted) leg of the pause."""
        self._add_leg(pending, last, fix, distance, driving=False, commit=False)
        pending.fixes += 1
        if speed > pending.max_speed:
            pending.max_speed = speed

    def _idle(self, fix: Fix, last: Fix, distance: float, speed: float) -> None:
        moving = speed > self.motion_kph
        cand = self.cand
        if cand is None:
            if moving:
                cand = self.cand = Run(last)
                cand.max_speed = speed
                self._add_leg(cand, last, fix, distance, driving=True, commit=False)
                cand.end = fix
                cand.fixes += 1
                self._maybe_confirm(cand)
            else:
                # In IDLE_MODE without a candidate there always is a stop: an invariant of the
                # machine that mypy cannot follow, on a path every parked fix takes (no check).
                stop: Stop = self.stop  # type: ignore[assignment]
                stop[1] = fix[0]
                if stop[4]:
                    self.sink.stop(stop, None)
                elif fix[0] - stop[0] >= self.min_stop_ms:
                    self._confirm_stop(stop)
            return
        pending = self.pending
        if moving:
            if pending is not None:
                self._merge_pending(cand, pending, commit=False)
            self._extend(cand, last, fix, distance, speed, driving=True, commit=False)
            self._maybe_confirm(cand)
        elif pending is None:
            self._extend(cand, last, fix, distance, speed, driving=True, commit=False)
            self.pending = Pending(fix)
            self._maybe_confirm(cand)
        else:
            self._extend_pause(pending, last, fix, distance, speed)
            if fix[0] - pending.since[0] >= self.min_stop_ms:
                # the candidate never made a trip: it stays part of the stop
                self.cand = self.pending = None
                if self.stop is None:
                    self.stop = [cand.start[0], fix[0], cand.start[1], cand.start[2], 0]
                stop = self.stop
                stop[1] = fix[0]
                if stop[4]:
                    self.sink.stop(stop, None)
                elif fix[0] - stop[0] >= self.min_stop_ms:
                    self._confirm_stop(stop)

    def _maybe_confirm(self, cand: Run) -> None:
        if cand.dist < self.min_trip_m and (cand.end[0] - cand.start[0]) < self.min_trip_ms:
            return
        stop = self.stop
        if stop is not None and stop[4]:
            stop[1] = cand.start[0]
            self.sink.stop(stop, None)
        self.stop = None
        self.mode, self.trip, self.cand = TRIP_MODE, cand, None
        for ordinal, values in cand.days.items():
            self._commit_day(ordinal, values)
        cand.days = {}
        start_day = self._day(cand.start[0])
        start_day[JOURNEYS] += 1
        if not self.ignition_reported:
            self._ignition_event(start_day, cand.start, EVENT_IGNITION_ON)
        self.sink.trip(cand)

    def _close_trip(self, trip: Run, *, stop_end: int) -> Stop:
        """End the open trip at its arrival fix; the (confirmed) stop starts there. Returns the stop."""
        self.sink.trip(trip)
        end = trip.end
        if not self.ignition_reported:
            self._ignition_event(self._day(end[0]), end, EVENT_IGNITION_OFF)
        self.mode, self.trip, self.pending = IDLE_MODE, None, None
        stop = self.stop = [end[0], stop_end, end[1], end[2], 0]
        self._confirm_stop(stop)
        return stop

    def _confirm_stop(self, stop: Stop) -> None:
        """Confirm `stop`, which is `self.stop`."""
        stop[4] = 1
        self._checkpoint_due = True

    def _break_at_gap(self, last: Fix) -> Stop:
        """A reporting gap over max_gap after `last`: the trip (or candidate) ends at its
        arrival/last fix and the gap is part of the stop that follows, which this returns."""
        trip = self.trip
        if trip is not None:
            return self._close_trip(trip, stop_end=last[0])  # at the arrival fix, or the last fix without one
        stop = self.stop
        if self.cand is not None:
            if stop is None:
                stop = self.stop = [last[0], last[0], last[1], last[2], 0]
            self.cand = self.pending = None
        assert stop is not None, "in IDLE_MODE without a candidate there is a stop"
        stop[1] = last[0]
        if stop[4]:
            self.sink.stop(stop, None)
        else:
            self._confirm_stop(stop)
        return stop

    # --- accumulation ----------------------------------------------------------------------
    def _add_leg(self, run: Run | Pending, a: Fix, b: Fix, distance: float, *, driving: bool, commit: bool) -> None:
        seconds = (b[0] - a[0]) / 1000.0
        run.dist += distance
        if driving:
            run.driving += seconds
        else:
            run.idle += seconds
        slot = 1 if driving else 2
        for ordinal, share in self.days_clock.split(a[0], b[0]):
            if commit:
                row = self._day_ordinal(ordinal)
                row[DISTANCE] += distance * share
                row[DRIVING if driving else IDLE] += seconds * share
                self._changed_days.add(ordinal)
            else:
                acc = run.days.get(ordinal)
                if acc is None:
                    acc = run.days[ordinal] = [0.0, 0.0, 0.0]
                acc[0] += distance * share
                acc[slot] += seconds * share

    def _merge_pending(self, into: Run, pending: Pending, *, commit: bool) -> None:
        """The vehicle moves on after a pause: `pending` (`self.pending`) becomes part of `into`."""
        into.dist += pending.dist
        into.idle += pending.idle
        into.fixes += pending.fixes
        if pending.max_speed > into.max_speed:
            into.max_speed = pending.max_speed
        for ordinal, values in pending.days.items():
            if commit:
                self._commit_day(ordinal, values)
            else:
                acc = into.days.get(ordinal)
                if acc is None:
                    into.days[ordinal] = list(values)
                else:
                    acc[0] += values[0]
                    acc[1] += values[1]
                    acc[2] += values[2]
        self.pending = None

    def _commit_day(self, ordinal: int, values: DaySlots) -> None:
        row = self._day_ordinal(ordinal)
        row[DISTANCE] += values[0]
        row[DRIVING] += values[1]
        row[IDLE] += values[2]
        self._changed_days.add(ordinal)

    def _day(self, t: int) -> DayRow:
        return self._day_ordinal(self.days_clock.ordinal(t))

    def _day_ordinal(self, ordinal: int) -> DayRow:
        row = self.days.get(ordinal)
        if row is None:
            row = self.days[ordinal] = [None, None, 0.0, 0.0, 0.0, 0.0, 0, 0]
        self._changed_days.add(ordinal)
        return row

    def _prune_days(self, t: int) -> None:
        """Forget days that no future fix can change (they are already written)."""
        if len(self.days) < 2:
            return
        floor = t
        if self.cand is not None:
            floor = min(floor, self.cand.start[0])
        pending = self.pending
        if pending is not None:
            floor = min(floor, pending.since[0])
        trip = self.trip
        if trip is not None:  # TRIP_MODE
            floor = min(floor, trip.end[0])
        floor_day = self.days_clock.ordinal(floor)
        for ordinal in [o for o in self.days if o < floor_day]:
            if ordinal in self._changed_days:
                self.sink.day(ordinal, self.days[ordinal])
                self._changed_days.discard(ordinal)
            del self.days[ordinal]

    # --- events --------------------------------------------------------------------------
    def _ignition_event(self, row: DayRow, fix: Fix, type_id: int) -> None:
        t = fix[0]
        if type_id == EVENT_IGNITION_ON:
            if row[FIRST_ON] is None or t < row[FIRST_ON]:
                row[FIRST_ON] = t
        elif row[LAST_OFF] is None or t > row[LAST_OFF]:
            row[LAST_OFF] = t
        self.sink.event(t, type_id, None, fix[1], fix[2], None, self._now)

    def _events(self, fix: Fix, speed: float, ignition: int | None) -> None:
        t = fix[0]
        if ignition is not None:
            self.ignition_reported = True
            if ignition != self.ignition:
                self.ignition = ignition
                kind = EVENT_IGNITION_ON if ignition else EVENT_IGNITION_OFF
                self._ignition_event(self._day(t), fix, kind)
        if self.ctx.locations:
            inside = [g.id for g in self.ctx.locations if g.contains(fix[1], fix[2])]
            if inside != self.inside:
                for location_id in self.inside:
                    if location_id not in inside:
                        self.sink.event(t, EVENT_LEAVE_LOCATION, location_id, fix[1], fix[2], speed, t)
                for location_id in inside:
                    if location_id not in self.inside:
                        self.sink.event(t, EVENT_ENTER_LOCATION, location_id, fix[1], fix[2], speed, t)
                self.inside = inside
        over = speed > self.ctx.speed_limit_kph
        if over and not self.over:
            self.sink.event(t, EVENT_OVERSPEED, None, fix[1], fix[2], speed, t)
        self.over = over
