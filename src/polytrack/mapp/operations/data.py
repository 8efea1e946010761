"""Importing, exporting and deleting data (mapp/imports.py): importData and exportData by
token, deleteTvData with customerId + login + pass."""

from __future__ import annotations

from polytrack.kernel.dates import zone
from polytrack.mapp import imports
from polytrack.mapp.analysis.daily import epoch_ms
from polytrack.mapp.operations.base import AUTH_ACCOUNT, AUTH_TOKEN, MappCall, registry
from polytrack.mapp.rpc import invalid_parameter, missing_parameter


@registry.operation("exportData", auth=AUTH_TOKEN)
def export_data(call: MappCall) -> list[list[str]]:
    assert call.caller is not None  # AUTH_TOKEN found it
    params = call.params
    export_type = params.text("type", required=True)
    start_row = params.integer("startRow", 1, minimum=1) or 1
    end_row = params.integer("endRow", start_row + imports.MAX_ROWS - 1, minimum=1) or start_row
    if end_row < start_row or end_row - start_row + 1 > imports.MAX_ROWS:
        raise invalid_parameter("endRow")
    empty_only = params.bool01("emptyRowsOnly") or params.bool01("onlyEmpty")
    account_zone = zone(call.caller.timezone)
    # time_start / time_stop narrow time-dependent types to the versions valid then (one alone
    # stands for that day); accepted, and nothing to narrow: parameter, onlyActive, dataSourceType
    start = params.date_time("time_start") or params.date_time("startTime")
    stop = params.date_time("time_stop", end_of_day=True) or params.date_time("stopTime", end_of_day=True)
    window_ms = None
    bound = start or stop
    if bound is not None:
        start = start or bound.replace(hour=0, minute=0, second=0)
        stop = stop or bound.replace(hour=23, minute=59, second=59)
        if start > stop:
            raise invalid_parameter("time_stop")
        window_ms = (epoch_ms(start, account_zone), epoch_ms(stop, account_zone) + 999)
    return imports.export_data(call.db, call.caller.account_id, account_zone, export_type, start_row, end_row,
                               name_filter=params.text("filter"), empty_only=empty_only, window_ms=window_ms)


@registry.operation("importData", writes=True, auth=AUTH_TOKEN)
def import_data(call: MappCall) -> list:
    assert call.caller is not None  # AUTH_TOKEN found it
    upload_type = call.params.text("uploadType", required=True)
    rows = call.params.raw("uploadData")
    if rows is None:
        raise missing_parameter("uploadData")
    return imports.import_data(call.db, call.services.clock, call.caller.account_id, zone(call.caller.timezone),
                               upload_type, rows)


@registry.operation("deleteTvData", writes=True, auth=AUTH_ACCOUNT)
def delete_tv_data(call: MappCall) -> list[str]:
    assert call.caller is not None  # AUTH_ACCOUNT found it
    start = call.params.date_time("time_start", required=True)
    stop = call.params.date_time("time_stop", required=True, end_of_day=True)
    assert start is not None and stop is not None
    if start > stop:
        raise invalid_parameter("time_stop")
    account_zone = zone(call.caller.timezone)
    return imports.delete_tv_data(call.db, call.caller.account_id, epoch_ms(start, account_zone) / 1000,
                                  epoch_ms(stop, account_zone) / 1000 + 0.999)

