"""Bulk import of positions from CSV or GPX files (`polytrack payt import FILE`).

Fast path: rows become prepared tuples, go in with executemany in big batches (duplicates of
stored fixes are skipped by the unique (vehicle, fix time) key), and the derived tables are
brought up to date once at the end, per vehicle, from the last checkpoint before the earliest
imported fix. Bad rows are counted and reported with their line number; they never stop the
import.

CSV: a header row names the columns (any order, case-insensitive):
    device | device_id | deviceid | id | identifier   device identifier (or --device)
    vehicle | vehicle_id | registration               vehicle id or registration (instead of a device)
    timestamp | time | datetime | fix_time            unix s / ms, ISO 8601, or yyyy-MM-dd HH:mm:ss (UTC)
    lat | latitude,  lon | lng | longitude            degrees
    speed | speed_kph (km/h), speed_kn (knots), speed_mps (m/s)
    heading | bearing | course, altitude | ele, accuracy, battery | batt, ignition (1/0/true/false)
GPX: every <trkpt lat= lon=> with <time>, optional <ele>, <course>, <speed> (m/s, GPX 1.0 or
an extension element named speed); needs --device.
"""

from __future__ import annotations

import csv
import io
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

from polytrack.kernel.sql import Db, Statement
from polytrack.payt import derive
from polytrack.payt.ingest.osmand import DecodeError, EARLIEST_FIX_MS, parse_time_ms

BATCH_ROWS = 50_000
MAX_REPORTED_ERRORS = 20
COLUMNS = ("vehicle_id", "device_id", "fix_ms", "received_ms", "latitude", "longitude", "speed_kph", "heading",
           "altitude", "accuracy", "battery", "ignition")
_INSERT = Statement(f"INSERT INTO payt_positions ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))}) "
                    "ON CONFLICT (vehicle_id, fix_ms) DO NOTHING")

_HEADERS = {
    "device": "device", "device_id": "device", "deviceid": "device", "id": "device", "identifier": "device",
    "vehicle": "vehicle", "vehicle_id": "vehicle", "registration": "vehicle",
    "timestamp": "time", "time": "time", "datetime": "time", "fix_time": "time",
    "lat": "lat", "latitude": "lat", "lon": "lon", "lng": "lon", "longitude": "lon",
    "speed": "speed_kph", "speed_kph": "speed_kph", "speed_kmh": "speed_kph", "speed_kn": "speed_kn",
    "speed_mps": "speed_mps", "heading": "heading", "bearing": "heading", "course": "heading",
    "altitude": "altitude", "ele": "altitude", "accuracy": "accuracy", "battery": "battery", "batt": "battery",
    "ignition": "ignition",
}
_SPEED_FACTORS = {"speed_kph": 1.0, "speed_kn": 1.852, "speed_mps": 3.6}
_TRUE, _FALSE = {"1", "true", "on", "yes"}, {"0", "false", "off", "no"}


class ImportFailed(ValueError):
    """The file as a whole cannot be imported (no header, unknown --device ...)."""


@dataclass
class ImportReport:
    rows: int = 0
    imported: int = 0
    duplicates: int = 0
    bad_rows: int = 0
    errors: list[str] = field(default_factory=list)
    vehicles: int = 0
    seconds: float = 0.0
    derive_seconds: float = 0.0

    def bad(self, line: int, reason: str) -> None:
        self.bad_rows += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(f"line {line}: {reason}")

    def as_dict(self) -> dict:
        return {"rows": self.rows, "imported": self.imported, "duplicates": self.duplicates,
                "bad_rows": self.bad_rows, "errors": self.errors, "vehicles": self.vehicles,
                "seconds": round(self.seconds, 3), "derive_seconds": round(self.derive_seconds, 3)}


# --- the fast path, also used by the demo -------------------------------------------------------

def insert_positions(db: Db, rows: list[tuple]) -> int:
    """Insert position tuples (COLUMNS order); fixes already stored are skipped. Returns how many
    rows went in."""
    if not rows:
        return 0
    return max(db.many(_INSERT, rows), 0)


def derive_vehicles(db: Db, earliest_by_vehicle: dict[int, int], *, progress=None) -> None:
    """Bring trips/stops/daily stats up to date after a bulk insert: each vehicle is marked dirty
    from its earliest new fix and recomputed from the checkpoint before it."""
    for vehicle_id, earliest in sorted(earliest_by_vehicle.items()):
        derive.mark_dirty(db, vehicle_id, earliest)
        derive.recompute(db, vehicle_id, earliest, progress=progress)


# --- devices and vehicles named in the file ----------------------------------------------------

_BY_DEVICE = Statement("""
    SELECT v.id, d.id FROM payt_devices d JOIN payt_vehicles v ON v.device_id = d.id WHERE d.identifier = ?
""")
_BY_VEHICLE_ID = Statement("SELECT id, device_id FROM payt_vehicles WHERE id = ?")
_BY_REGISTRATION = Statement("SELECT id, device_id FROM payt_vehicles WHERE registration = ?")


class Resolver:
    """Device identifier / vehicle id or registration -> (vehicle_id, device_id), memoised."""

    def __init__(self, db: Db):
        self.db = db
        self.known: dict[tuple[str, str], tuple[int, int | None] | None] = {}

    def __call__(self, kind: str, name: str):
        key = (kind, name)
        if key not in self.known:
            self.known[key] = self._lookup(kind, name)
        return self.known[key]

    def _lookup(self, kind: str, name: str):
        if kind == "device":
            row = self.db.one(_BY_DEVICE, (name,))
        elif name.isdigit():
            row = self.db.one(_BY_VEHICLE_ID, (int(name),))
        else:
            row = self.db.one(_BY_REGISTRATION, (name,))
        return (row[0], row[1]) if row else None


# --- parsing -----------------------------------------------------------------------------------

def _number(text: str, name: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{name} is not finite")
    return value


def _optional(text: str | None, name: str):
    if not text:
        return None
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{name} is not finite")
    return value


def _time_ms(text: str) -> int:
    if text.isdigit():  # the common case, without the general parser
        value = int(text)
        fix_ms = value * 1000 if value < 2_147_483_647 else value
    else:
        try:
            fix_ms = parse_time_ms(text)
        except DecodeError as exc:
            raise ValueError(exc.message) from None
    if fix_ms < EARLIEST_FIX_MS:
        raise ValueError("timestamp before 2000")
    return fix_ms


def csv_rows(stream, *, device: str | None, report: ImportReport):
    """Yield (line, kind, name, fix_ms, lat, lon, speed, heading, altitude, accuracy, battery,
    ignition) per good row; bad rows go to the report."""
    reader = csv.reader(stream)
    header = next(reader, None)
    if not header:
        raise ImportFailed("the CSV file is empty (a header row is required)")
    index: dict[str, int] = {}
    for position, name in enumerate(header):
        key = _HEADERS.get(name.strip().lower().lstrip("\ufeff"))
        if key and key not in index:
            index[key] = position
    missing = [name for name in ("time", "lat", "lon") if name not in index]
    if missing:
        raise ImportFailed(f"the CSV header lacks column(s): {', '.join(missing)}")
    if device is None and "device" not in index and "vehicle" not in index:
        raise ImportFailed("the CSV names no device or vehicle column; pass --device")
    kind = "vehicle" if "vehicle" in index and "device" not in index else "device"
    who = index.get(kind)
    i_time, i_lat, i_lon = index["time"], index["lat"], index["lon"]
    speed_key = next((k for k in _SPEED_FACTORS if k in index), None)
    i_speed, factor = (index[speed_key], _SPEED_FACTORS[speed_key]) if speed_key else (None, 1.0)
    i_heading, i_alt, i_acc, i_batt, i_ign = (index.get(k) for k in ("heading", "altitude", "accuracy", "battery", "ignition"))
    width = max(index.values()) + 1
    for line, row in enumerate(reader, start=2):
        if len(row) < width:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            report.rows += 1
            report.bad(line, f"{len(row)} columns, expected {width}")
            continue
        report.rows += 1
        try:
            name = device if device is not None else row[who].strip()  # type: ignore[index]  # who: checked above
            if not name:
                raise ValueError(f"empty {kind}")
            lat, lon = float(row[i_lat]), float(row[i_lon])
            if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):  # also rejects nan
                raise ValueError("lat/lon out of range")
            text = row[i_time]
            if text.isdigit():  # the common case, without the general parser
                fix_ms = int(text)
                if fix_ms < 2_147_483_647:
                    fix_ms *= 1000
                if fix_ms < EARLIEST_FIX_MS:
                    raise ValueError("timestamp before 2000")
            else:
                fix_ms = _time_ms(text.strip())
            speed = None
            if i_speed is not None:
                text = row[i_speed]
                if text:
                    speed = float(text) * factor
                    if not 0.0 <= speed < 100_000.0:  # negative = unknown, as in the protocol
                        speed = None
            ignition = None
            if i_ign is not None and row[i_ign].strip():
                text = row[i_ign].strip().lower()
                if text not in _TRUE and text not in _FALSE:
                    raise ValueError("ignition must be 1/0/true/false")
                ignition = 1 if text in _TRUE else 0
            yield (line, kind, name, fix_ms, lat, lon, speed,
                   _optional(row[i_heading], "heading") if i_heading is not None else None,
                   _optional(row[i_alt], "altitude") if i_alt is not None else None,
                   _optional(row[i_acc], "accuracy") if i_acc is not None else None,
                   _optional(row[i_batt], "battery") if i_batt is not None else None,
                   ignition)
        except ValueError as exc:
            report.bad(line, str(exc) or "bad value")


def gpx_rows(path: Path, *, device: str | None, report: ImportReport):
    from lxml import etree  # type: ignore[import-untyped]

    if not device:
        raise ImportFailed("GPX files carry no device id; pass --device")
    try:
        for _event, element in etree.iterparse(str(path), events=("end",), recover=False, huge_tree=True):
            if not isinstance(element.tag, str) or etree.QName(element).localname != "trkpt":
                continue
            report.rows += 1
            line = element.sourceline or 0
            try:
                values = {etree.QName(child).localname: (child.text or "").strip()
                          for child in element.iter() if isinstance(child.tag, str) and child is not element}
                lat, lon = _number(element.get("lat", ""), "lat"), _number(element.get("lon", ""), "lon")
                if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                    raise ValueError("lat/lon out of range")
                if not values.get("time"):
                    raise ValueError("trkpt without <time>")
                speed = _optional(values.get("speed"), "speed")
                yield (line, "device", device, _time_ms(values["time"]), lat, lon,
                       speed * 3.6 if speed is not None and speed >= 0 else None,
                       _optional(values.get("course"), "course"), _optional(values.get("ele"), "ele"),
                       None, None, None)
            except ValueError as exc:
                report.bad(line, str(exc))
            element.clear()
    except etree.XMLSyntaxError as exc:
        raise ImportFailed(f"the GPX file is not well-formed XML: {exc}") from None


# --- the command -------------------------------------------------------------------------------

def import_file(services, path, *, device: str | None = None, fmt: str | None = None, show_progress: bool = False
                ) -> ImportReport:
    path = Path(path)
    if not path.is_file():
        raise ImportFailed(f"no such file: {path}")
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in ("csv", "gpx"):
        raise ImportFailed("unknown format: use --format csv or gpx")
    derive.use_settings(services.settings)
    report = ImportReport()
    started = time.perf_counter()
    received_ms = int(services.clock.timestamp() * 1000)
    earliest: dict[int, int] = {}
    progress, task = _progress(show_progress, path, fmt)
    with (progress or _Nothing()):
        resolve = Resolver(services.hot)
        with (open(path, newline="", encoding="utf-8-sig", errors="replace") if fmt == "csv" else _Nothing()) as stream:
            rows = csv_rows(stream, device=device, report=report) if fmt == "csv" else gpx_rows(path, device=device, report=report)
            batch: list[tuple] = []
            for parsed in rows:
                target = resolve(parsed[1], parsed[2])
                if target is None:
                    report.bad(parsed[0], f"unknown {parsed[1]} {parsed[2]!r}")
                    continue
                vehicle_id, device_id = target
                fix_ms = parsed[3]
                batch.append((vehicle_id, device_id, fix_ms, received_ms, *parsed[4:]))
                if fix_ms < earliest.get(vehicle_id, fix_ms + 1):
                    earliest[vehicle_id] = fix_ms
                if len(batch) >= BATCH_ROWS:
                    _flush(services, batch, report, progress, task)
                    batch = []
            _flush(services, batch, report, progress, task)
        report.vehicles = len(earliest)
        derive_started = time.perf_counter()
        derive_task = progress.add_task("deriving trips", total=report.imported or None) if progress else None
        with services.transaction() as db:
            derive_vehicles(db, earliest,
                            progress=(lambda n: progress.advance(derive_task, n)) if progress else None)
        report.derive_seconds = time.perf_counter() - derive_started
    report.seconds = time.perf_counter() - started
    return report


def _flush(services, batch, report, progress, task) -> None:
    if batch:
        with services.transaction() as db:
            inserted = insert_positions(db, batch)
        report.imported += inserted
        report.duplicates += len(batch) - inserted
    if progress is not None:
        progress.update(task, completed=report.rows)


class _Nothing:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def _progress(show: bool, path: Path, fmt: str):
    if not show:
        return None, None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    total = None
    if fmt == "csv":
        with open(path, "rb") as fh:
            total = max(0, sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b"")) - 1)
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    return progress, progress.add_task(f"importing {path.name}", total=total)


def read_text_rows(text: str, *, device: str | None = None) -> tuple[list[tuple], ImportReport]:
    """Parse CSV text (for tests and small uploads); returns the parsed rows and the report."""
    report = ImportReport()
    return list(csv_rows(io.StringIO(text), device=device, report=report)), report
