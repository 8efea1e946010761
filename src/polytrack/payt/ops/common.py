"""What several operation families share: the credit hook, date-range parsing, the event-type
catalogue, distances and the freshness call into the derivation."""

from __future__ import annotations

from datetime import date
from typing import Callable

from polytrack.kernel.dates import DateError, day_start, epoch_ms, parse_yyyymmdd, zone
from polytrack.payt import derive, domain, motion
from polytrack.payt.domain import PaytError
from polytrack.payt.wire import Call

# --- credit (spec U-7) -------------------------------------------------------------------------
# "Pay as you track" accounts are credit based, but which calls cost what is unpublished. Data
# calls (Group, Vehicle, Report, Task) pass through this hook; None means unlimited credit.
# A deployment (or a test) installs a function call -> bool; False answers no_credit_left.
credit_check: Callable[[Call], bool] | None = None


def chargeable(handler):
    """Mark a data call: the wire asks `charge` before running it (or answering it from its
    read cache)."""
    handler.chargeable = True
    return handler


def charge(call: Call) -> None:
    if credit_check is not None and not credit_check(call):
        raise PaytError("no_credit_left", "No credit left")


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


# --- event types and distances -----------------------------------------------------------------
# The derivation (motion.py) owns the event-type catalogue and the distance formula; reports use
# the same ones so their numbers agree with the derived tables. EVENT_POSITION marks a plain
# position report that carries no event.
POSITION_EVENT_ID = motion.EVENT_POSITION
haversine_m = motion.haversine_m


def event_types() -> dict[int, str]:
    return dict(motion.EVENT_TYPES)


# --- derived data ------------------------------------------------------------------------------

def ensure_fresh(conn, vehicle_ids: list[int], from_ms: int, to_ms: int) -> None:
    """Let the derivation fold in late (out-of-order) positions before a report reads derived
    tables; one indexed query when nothing is dirty."""
    if vehicle_ids:
        derive.ensure_fresh(conn, vehicle_ids, from_ms, to_ms)
