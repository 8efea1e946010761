"""Task/GetTasksByDate (TrackerPro; also answered as Admin/GetTasksByDate, the name the
vendor's data-concepts page uses): a client's tasks whose [StartDateTime, EndDateTime] overlaps
[fromDate, toDate)."""

from __future__ import annotations

from polytrack.payt import domain
from polytrack.payt.datasets import dataset, table
from polytrack.payt.operations.base import Answer, PaytCall, trackerpro_operation
from polytrack.payt.operations.schemas import TASKS

MAX_EPOCH_MS = 253402300799999  # 9999-12-31T23:59:59.999Z, the largest .NET DateTime


def _epoch_ms(call: PaytCall, name: str) -> int:
    value = call.require_int(name)
    if not -MAX_EPOCH_MS <= value <= MAX_EPOCH_MS:
        raise domain.invalid_query(f"Invalid parameter: {name} is out of range")
    return value


def get_tasks_by_date(call: PaytCall) -> Answer:
    company = domain.company_of_integrator(call.db, call.admin, call.require("company"))
    from_ms, to_ms = _epoch_ms(call, "fromDate"), _epoch_ms(call, "toDate")
    if from_ms > to_ms:
        raise domain.invalid_query("Invalid parameter: toDate must not be before fromDate")
    rows = domain.tasks_overlapping(call.db, company.client_id, from_ms, to_ms)
    return Answer("dataset", dataset("TasksDataSet", [table(TASKS, rows)], call.dates))


trackerpro_operation("Task/GetTasksByDate", cacheable=True, charged=True)(get_tasks_by_date)
trackerpro_operation("Admin/GetTasksByDate", cacheable=True, charged=True)(get_tasks_by_date)
