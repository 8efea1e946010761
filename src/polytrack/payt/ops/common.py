"""What several operation families share: the credit hook, date-range parsing, the event-type
catalogue and the freshness call into the derivation."""

from __future__ import annotations

import math
from datetime import date
from functools import wraps
from typing import Callable

from polytrack.kernel.dates import DateError, day_start, epoch_ms, parse_yyyymmdd, zone
from polytrack.payt import domain
from polytrack.payt.domain import PaytError
from polytrack.payt.wire import Call

# --- credit (spec U-7) -------------------------------------------------------------------------
# "Pay as you track" accounts are credit based, but which calls cost what is unpublished. Data
# calls (Group, Vehicle, Report, Task) pass through this hook; None means unlimited credit.
# A deployment (or a test) installs a function call -> bool; False answers no_credit_left.
credit_check: Callable[[Call], bool] | None = None


def chargeable(handler):
    @wraps(handler)
    def checked(call: Call):
        if credit_check is not None and not credit_check(call):
            raise PaytError("no_credit_left", "No credit left")
        return handler(call)
    return checked


# --- dates -------------------------------------------------------------------------------------

def yyyymmdd(call: Call, name: str) -> date:
    try:
        return parse_yyyymmdd(call.require(name))
    except DateError:
        raise domain.invalid_query(f"Invalid parameter: {name} must be a date as YYYYMMDD") from None


def day_range(call: Call, timezone: str) -> tuple[date, date, int, int]:
    """startDate/endDate: day starts in the client's zone (spec U-11), end exclusive."""
    start, end = yyyymmdd(call, "startDate"), yyyymmdd(call, "endDate")
    if start >= end:
        raise domain.invalid_query("Invalid parameter: endDate must be after startDate")
    try:
        tz = zone(timezone)
    except DateError:
        tz = zone("Europe/London")
    return start, end, epoch_ms(day_start(start, tz)), epoch_ms(day_start(end, tz))


# --- event types -------------------------------------------------------------------------------
# Read-side catalogue of event ids. The derivation module is the authority when it publishes
# EVENT_TYPES ({id: description}); 0 marks a plain position report that carries no event.
POSITION_EVENT_ID = 0
DEFAULT_EVENT_TYPES = {
    POSITION_EVENT_ID: "Position",
    1: "Ignition on",
    2: "Ignition off",
    3: "Location entered",
    4: "Location left",
    5: "Overspeed",
}


def event_types() -> dict[int, str]:
    try:
        from polytrack.payt import derive
    except ImportError:
        return DEFAULT_EVENT_TYPES
    published = getattr(derive, "EVENT_TYPES", None)
    if not published:
        return DEFAULT_EVENT_TYPES
    return {POSITION_EVENT_ID: DEFAULT_EVENT_TYPES[POSITION_EVENT_ID], **{int(k): str(v) for k, v in dict(published).items()}}


# --- derived data ------------------------------------------------------------------------------

def ensure_fresh(conn, vehicle_ids: list[int], from_ms: int, to_ms: int) -> None:
    """Let the derivation fold in late positions before a report reads derived tables."""
    if not vehicle_ids:
        return
    try:
        from polytrack.payt import derive
    except ImportError:
        return
    refresh = getattr(derive, "ensure_fresh", None)
    if refresh is not None:
        refresh(conn, vehicle_ids, from_ms, to_ms)


EARTH_RADIUS_M = 6_371_008.8


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))
