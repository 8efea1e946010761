"""Task/GetTasksByDate (TrackerPro, spec 4.5; alias op=Admin, U-17): a client's tasks whose
[StartDateTime, EndDateTime] overlaps [fromDate, toDate)."""

from __future__ import annotations

from polytrack.kernel.rawsql import RawStatement
from polytrack.payt import domain
from polytrack.payt.ops.common import chargeable
from polytrack.payt.ops.schemas import TASKS, table
from polytrack.payt.wire import Call, Result, dataset, trackerpro_op

MAX_EPOCH_MS = 253402300799999  # 9999-12-31T23:59:59.999Z, the largest .NET DateTime

_TASKS_OVERLAPPING = RawStatement("""
    SELECT t.id, t.ext_id, t.type, t.name, t.description, t.start_ms, t.end_ms, t.grace_period_mins,
           t.assigned_to, v.registration, t.region_geojson, t.parameter_json, t.status, t.eta_ms
    FROM payt_tasks t LEFT JOIN payt_vehicles v ON v.id = t.assigned_vehicle_id
    WHERE t.client_id = ? AND t.start_ms < ? AND t.end_ms >= ?
    ORDER BY t.start_ms, t.id
""")


def tasks_overlapping(conn, client_id: int, from_ms: int, to_ms: int) -> list[dict]:
    """`conn`: the hot connection or a SQLAlchemy one."""
    return [
        {
            "TaskID": task_id, "ExtID": ext_id, "Type": type_, "Name": name, "Description": description,
            "StartDateTime": start_ms, "EndDateTime": end_ms, "GracePeriodMins": grace_period_mins,
            # free text when set, else the registration of the assigned vehicle
            "AssignedTo": assigned_to or registration or "",
            "RegionGeoJson": region_geojson, "ParameterJson": parameter_json, "Status": status, "ETA": eta_ms,
        }
        for (task_id, ext_id, type_, name, description, start_ms, end_ms, grace_period_mins, assigned_to,
             registration, region_geojson, parameter_json, status, eta_ms)
        in _TASKS_OVERLAPPING.run(conn, (client_id, to_ms, from_ms)).fetchall()
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


trackerpro_op("Task", "GetTasksByDate", cacheable=True)(chargeable(get_tasks_by_date))
trackerpro_op("Admin", "GetTasksByDate", cacheable=True)(chargeable(get_tasks_by_date))
