"""Task/GetTasksByDate (TrackerPro, spec 4.5; alias op=Admin, U-17): a client's tasks whose
[StartDateTime, EndDateTime] overlaps [fromDate, toDate)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Connection

from polytrack.payt import domain
from polytrack.payt.ops.common import chargeable
from polytrack.payt.ops.schemas import TASKS, table
from polytrack.payt.tables import payt_tasks, payt_vehicles
from polytrack.payt.wire import Call, Result, dataset, trackerpro_op

MAX_EPOCH_MS = 253402300799999  # 9999-12-31T23:59:59.999Z, the largest .NET DateTime


def tasks_overlapping(conn: Connection, client_id: int, from_ms: int, to_ms: int) -> list[dict]:
    t = payt_tasks
    rows = conn.execute(
        select(t, payt_vehicles.c.registration)
        .select_from(t.outerjoin(payt_vehicles, payt_vehicles.c.id == t.c.assigned_vehicle_id))
        .where(t.c.client_id == client_id, t.c.start_ms < to_ms, t.c.end_ms >= from_ms)
        .order_by(t.c.start_ms, t.c.id)
    ).all()
    return [
        {
            "TaskID": r.id, "ExtID": r.ext_id, "Type": r.type, "Name": r.name, "Description": r.description,
            "StartDateTime": r.start_ms, "EndDateTime": r.end_ms, "GracePeriodMins": r.grace_period_mins,
            # free text when set, else the registration of the assigned vehicle
            "AssignedTo": r.assigned_to or r.registration or "",
            "RegionGeoJson": r.region_geojson, "ParameterJson": r.parameter_json, "Status": r.status,
            "ETA": r.eta_ms,
        }
        for r in rows
    ]


def _epoch_ms(call: Call, name: str) -> int:
    value = call.require_int(name)
    if not -MAX_EPOCH_MS <= value <= MAX_EPOCH_MS:
        raise domain.invalid_query(f"Invalid parameter: {name} is out of range")
    return value


def get_tasks_by_date(call: Call) -> Result:
    company = domain.company_of_integrator(call.conn, call.integrator, call.require("company"))
    from_ms, to_ms = _epoch_ms(call, "fromDate"), _epoch_ms(call, "toDate")
    if from_ms > to_ms:
        raise domain.invalid_query("Invalid parameter: toDate must not be before fromDate")
    rows = tasks_overlapping(call.conn, company.client_id, from_ms, to_ms)
    return Result("dataset", dataset("TasksDataSet", [table(TASKS, rows)], call.dates))


trackerpro_op("Task", "GetTasksByDate")(chargeable(get_tasks_by_date))
trackerpro_op("Admin", "GetTasksByDate")(chargeable(get_tasks_by_date))
