"""Report/Detailed (levels 0 and 1) and Report/Historic.

Vehicles are selected as domain.report_vehicle_ids says; days are the client's local days,
`startDate` inclusive, `endDate` exclusive. What they read is in reports.py.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo

from polytrack.kernel.dates import DateError, day_start, epoch_ms, parse_yyyymmdd, zone
from polytrack.payt import derive, domain, reports
from polytrack.payt.datasets import dataset, table
from polytrack.payt.operations.base import Answer, PaytCall, payt_operation
from polytrack.payt.operations.schemas import (
    DETAILED_RECORDS, DETAILED_SUMMARY, HISTORIC_EVENT_TYPES, HISTORIC_POSITIONS, HISTORIC_VEHICLES,
)

DEFAULT_TIMEZONE = "Europe/London"


def _zone(name: str) -> tzinfo:
    try:
        return zone(name)
    except DateError:
        return zone(DEFAULT_TIMEZONE)


def _yyyymmdd(call: PaytCall, name: str) -> date:
    try:
        return parse_yyyymmdd(call.require(name))
    except DateError:
        raise domain.invalid_query(f"Invalid parameter: {name} must be a date as YYYYMMDD") from None


class Selection:
    """The parameters Detailed and Historic share, validated in the order a client reads them:
    the local days [start, end) as instants [from_ms, to_ms), and the vehicles."""

    def __init__(self, call: PaytCall):
        self.start, self.end = _yyyymmdd(call, "startDate"), _yyyymmdd(call, "endDate")
        if self.start >= self.end:
            raise domain.invalid_query("Invalid parameter: endDate must be after startDate")
        self.tz = _zone(call.user.timezone)
        self.from_ms, self.to_ms = epoch_ms(day_start(self.start, self.tz)), epoch_ms(day_start(self.end, self.tz))
        vehicle_ids = call.int_list("vehicleIDs")
        group_ids = call.int_list("groupIDs")
        self.vehicle_ids = domain.report_vehicle_ids(call.db, call.user, vehicle_ids, group_ids)


# Detailed writes: level 0 first folds late positions into the derived tables it reads.
@payt_operation("Report/Detailed", writes=True, charged=True)
def detailed(call: PaytCall) -> Answer:
    level = call.require("levelOfDetail")
    if level not in ("0", "1"):
        raise domain.invalid_query("Invalid parameter: levelOfDetail must be 0 or 1")
    event_ids = call.int_list("eventIDs", required=False) if level == "0" else None  # level 1 cannot filter
    selection = Selection(call)
    vehicle_ids = selection.vehicle_ids
    if level == "0":
        if vehicle_ids:
            derive.ensure_fresh(call.db, vehicle_ids, selection.from_ms, selection.to_ms)
        rows = reports.daily_summaries(call.db, vehicle_ids, selection.start, selection.end, selection.tz) \
            if vehicle_ids else []
        if event_ids is not None and rows:
            tz = selection.tz
            wanted = reports.days_with_events(call.db, vehicle_ids, event_ids, selection.from_ms, selection.to_ms, tz)
            rows = [r for r in rows if (r["VehicleID"], datetime.fromtimestamp(r["Date"] / 1000.0, tz).date()) in wanted]
        return Answer("dataset", dataset("Report_Detailed", [table(DETAILED_SUMMARY, rows)], call.dates))
    info = reports.vehicle_info(call.db, call.user.client_id, vehicle_ids)
    names = reports.event_types()
    rows = [
        {"VehicleID": r.vehicle_id, "Registration": info[r.vehicle_id].registration, "DateTime": r.at_ms,
         "EventID": r.event_id, "EventDescription": names.get(r.event_id, f"Event {r.event_id}"),
         "Latitude": r.latitude, "Longitude": r.longitude, "SpeedKPH": r.speed_kph, "Heading": r.heading,
         "DistanceKM": r.distance_km, "DriverID": info[r.vehicle_id].driver_id, "Address": None}
        for r in reports.position_records(call.db, vehicle_ids, selection.from_ms, selection.to_ms,
                                          max_records=call.settings.max_report_records)
    ]
    return Answer("dataset", dataset("Report_Detailed", [table(DETAILED_RECORDS, rows)], call.dates))


@payt_operation("Report/Historic", charged=True)
def historic(call: PaytCall) -> Answer:
    event_ids = call.int_list("eventIDs", required=False)
    selection = Selection(call)
    info = reports.vehicle_info(call.db, call.user.client_id, selection.vehicle_ids)
    records = reports.position_records(call.db, selection.vehicle_ids, selection.from_ms, selection.to_ms,
                                       max_records=call.settings.max_report_records)
    if event_ids is not None:
        records = [r for r in records if r.event_id in event_ids]
    vehicles = [{"VehicleID": v.id, "Registration": v.registration, "Description": v.description}
                for v in info.values()]
    positions = [
        {"VehicleID": r.vehicle_id, "DateTime": r.at_ms, "EventID": r.event_id, "Latitude": r.latitude,
         "Longitude": r.longitude, "SpeedKPH": r.speed_kph, "Heading": r.heading}
        for r in records
    ]
    types = [{"EventID": k, "Description": v} for k, v in sorted(reports.event_types().items())]
    tables = [table(HISTORIC_VEHICLES, vehicles), table(HISTORIC_POSITIONS, positions),
              table(HISTORIC_EVENT_TYPES, types)]
    return Answer("dataset", dataset("VehiclePositionDataSet", tables, call.dates))
