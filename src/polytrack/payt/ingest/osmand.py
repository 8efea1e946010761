"""Decoding the OsmAnd HTTP protocol as Traccar accepts it (OsmAndProtocolDecoder).

Two forms arrive:
* parameters (`id`, `lat`, `lon`, `timestamp`, `speed` ...) in the query string of a GET or
  POST, or, when the query string is empty, as a form-encoded body;
* a JSON body (newer Traccar Client, Content-Type application/json):
  `{"device_id": "...", "location": {"timestamp": ISO, "coords": {...}, "battery": {...}, ...}}`
  where `location` may also be a list (batched upload).

Units follow Traccar: `speed` in the parameter form is knots (configurable as
`payt.osmand_speed_unit`), in the JSON form metres per second. Everything is validated here;
a problem raises DecodeError with the HTTP status and a plain message for the device log.
Query strings, form bodies and JSON are read with the kernel's readers (kernel.params): a body
nested too deep or a string holding a lone surrogate is a malformed request like any other.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timezone

from polytrack.kernel.params import BadInput, parse_json, parse_query

KNOT_KPH = 1.852
SPEED_UNITS_KPH = {"kn": KNOT_KPH, "kmh": 1.0, "kph": 1.0, "mps": 3.6, "mph": 1.609344}
EARLIEST_FIX_MS = 946_684_800_000  # 2000-01-01: older fixes are clock garbage (GPS week rollover ...)
INT32_MAX = 2_147_483_647


class DecodeError(ValueError):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(slots=True)
class Fix:
    """One position as a device reported it, in our units."""

    device: str
    fix_ms: int | None  # None = the device sent no time: use the arrival time
    latitude: float
    longitude: float
    speed_kph: float | None = None
    heading: float | None = None
    altitude: float | None = None
    accuracy: float | None = None
    battery: float | None = None
    ignition: int | None = None
    valid: bool = True
    json_form: bool = False


def bad(message: str) -> DecodeError:
    return DecodeError(400, message)


def number(name: str, raw) -> float:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise bad(f"{name} is not a number: {str(raw)[:40]!r}") from None
    if not math.isfinite(value):
        raise bad(f"{name} is not a finite number")
    return value


def optional_number(name: str, raw) -> float | None:
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return None
    return number(name, raw)


def boolean(name: str, raw) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("1", "true", "on", "yes"):
        return True
    if text in ("0", "false", "off", "no"):
        return False
    raise bad(f"{name} is not a boolean: {str(raw)[:40]!r}")


def parse_time_ms(raw) -> int:
    """Traccar's rules: an integer below 2^31 is unix seconds, above it milliseconds; text with
    a `T` is ISO 8601; otherwise `yyyy-MM-dd HH:mm:ss`. We also take decimal seconds. Times
    without a zone are UTC."""
    text = str(raw).strip()
    if not text:
        raise bad("timestamp is empty")
    try:
        if text.lstrip("-").isdigit():
            value = int(text)
            return value * 1000 if value < INT32_MAX else value
        if text.replace(".", "", 1).lstrip("-").isdigit():
            fractional = float(text)
            return int(round(fractional * 1000)) if fractional < INT32_MAX else int(round(fractional))
        if "T" in text or "t" in text:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        else:
            moment = datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
    except (ValueError, OverflowError):
        raise bad(f"timestamp not understood: {text[:40]!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(round(moment.timestamp() * 1000))


def check_position(latitude: float, longitude: float) -> None:
    if not -90.0 <= latitude <= 90.0:
        raise bad(f"lat out of range: {latitude}")
    if not -180.0 <= longitude <= 180.0:
        raise bad(f"lon out of range: {longitude}")


def check_time(fix_ms: int, now_ms: int, max_future_ms: int) -> None:
    if fix_ms < EARLIEST_FIX_MS or fix_ms > now_ms + max_future_ms:
        raise bad("timestamp out of range (before 2000 or in the future)")


# parameter name -> our field; the first spelling is Traccar's, the rest are aliases we accept
_ALIASES = {
    "id": "device", "deviceid": "device",
    "lat": "latitude", "latitude": "latitude",
    "lon": "longitude", "lng": "longitude", "longitude": "longitude",
    "timestamp": "timestamp",
    "speed": "speed",
    "bearing": "heading", "heading": "heading", "course": "heading",
    "altitude": "altitude",
    "accuracy": "accuracy",
    "batt": "battery", "battery": "battery",
    "hdop": "hdop",
    "ignition": "ignition",
    "valid": "valid",
    "location": "location",
    "driveruniqueid": "driver",
}


def decode_params(pairs: list[tuple[str, str]], *, speed_unit_kph: float = KNOT_KPH) -> Fix:
    fields: dict[str, str] = {}
    for name, value in pairs:
        key = _ALIASES.get(name.lower())
        if key is not None and key not in fields:
            fields[key] = value
    device = (fields.get("device") or "").strip()
    if not device:
        raise bad("missing device id (id)")
    if "location" in fields and ("latitude" not in fields or "longitude" not in fields):
        parts = fields["location"].split(",")
        if len(parts) != 2:
            raise bad("location must be 'lat,lon'")
        fields.setdefault("latitude", parts[0])
        fields.setdefault("longitude", parts[1])
    if not (fields.get("latitude") or "").strip() or not (fields.get("longitude") or "").strip():
        raise bad("missing lat or lon")
    latitude, longitude = number("lat", fields["latitude"]), number("lon", fields["longitude"])
    check_position(latitude, longitude)
    fix = Fix(device=device, fix_ms=None, latitude=latitude, longitude=longitude)
    if "timestamp" in fields:
        fix.fix_ms = parse_time_ms(fields["timestamp"])
    speed = optional_number("speed", fields.get("speed"))
    fix.speed_kph = speed * speed_unit_kph if speed is not None and speed >= 0 else None
    fix.heading = optional_number("bearing", fields.get("heading"))
    fix.altitude = optional_number("altitude", fields.get("altitude"))
    fix.accuracy = optional_number("accuracy", fields.get("accuracy"))
    fix.battery = optional_number("batt", fields.get("battery"))
    optional_number("hdop", fields.get("hdop"))  # validated; not stored
    if (fields.get("ignition") or "").strip():
        fix.ignition = 1 if boolean("ignition", fields["ignition"]) else 0
    if (fields.get("valid") or "").strip():
        fix.valid = boolean("valid", fields["valid"])
    return fix


def _json_number(coords: dict, name: str, *, required: bool = False):
    value = coords.get(name)
    if value is None:
        if required:
            raise bad(f"location.coords.{name} is missing")
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise bad(f"location.coords.{name} is not a number")
    if not math.isfinite(value):
        raise bad(f"location.coords.{name} is not a finite number")
    return float(value)


def decode_json(body: bytes) -> list[Fix]:
    try:
        root = parse_json(body)
    except BadInput:
        raise bad("body is not valid JSON") from None
    if not isinstance(root, dict):
        raise bad("JSON body must be an object")
    device = root.get("device_id")
    if isinstance(device, (int, float)) and not isinstance(device, bool):
        device = str(device)
    if not isinstance(device, str) or not device.strip():
        raise bad("missing device_id")
    locations = root.get("location")
    if isinstance(locations, dict):
        locations = [locations]
    if not isinstance(locations, list) or not locations:
        raise bad("missing location")
    return [_decode_json_location(device.strip(), location) for location in locations]


def _decode_json_location(device: str, location) -> Fix:
    if not isinstance(location, dict):
        raise bad("location must be an object")
    if "timestamp" not in location:
        raise bad("location.timestamp is missing")
    fix_ms = parse_time_ms(location["timestamp"])
    coords = location.get("coords")
    if not isinstance(coords, dict):
        raise bad("location.coords is missing")
    latitude = _json_number(coords, "latitude", required=True)
    longitude = _json_number(coords, "longitude", required=True)
    check_position(latitude, longitude)
    fix = Fix(device=device, fix_ms=fix_ms, latitude=latitude, longitude=longitude, json_form=True)
    speed = _json_number(coords, "speed")
    fix.speed_kph = speed * 3.6 if speed is not None and speed >= 0 else None  # m/s; negative = unknown
    heading = _json_number(coords, "heading")
    fix.heading = heading if heading is not None and heading >= 0 else None
    fix.altitude = _json_number(coords, "altitude")
    fix.accuracy = _json_number(coords, "accuracy")
    battery = location.get("battery")
    if isinstance(battery, dict):
        level = _json_number(battery, "level")
        fix.battery = round(level * 100) if level is not None and level >= 0 else None
    extras = location.get("extras")
    if not isinstance(extras, dict):
        extras = {}
    ignition = location.get("ignition", extras.get("ignition"))
    if ignition is not None:
        fix.ignition = 1 if boolean("ignition", ignition) else 0
    return fix


def decode_request(pairs: list[tuple[str, str]], body: bytes, content_type: str, *,
                   speed_unit_kph: float = KNOT_KPH) -> list[Fix]:
    """The fixes in one request: the query string's `pairs` (kernel.params.query_pairs) first;
    the body when the query is empty (as Traccar reads them)."""
    content_type = content_type.split(";")[0].strip().lower()
    stripped = body.lstrip()
    if content_type == "application/json" or (not pairs and stripped[:1] == b"{"):
        return decode_json(body)
    if not pairs and body.strip():
        try:
            pairs = parse_query(body.decode("utf-8"))
        except UnicodeDecodeError:
            raise bad("body is not form-encoded text") from None
    if not pairs:
        raise bad("no parameters (expected id, lat, lon, timestamp ...)")
    return [decode_params(pairs, speed_unit_kph=speed_unit_kph)]
