"""Vehicle/GetAllVehiclesFilteredByUserID (PAYT, spec 3.4) and
Vehicle/GetAllVehiclesForClientID (TrackerPro, spec 4.6): the VehicleDetailsDataSet "Asset"
table, one denormalised current-state row per vehicle including its last position."""

from __future__ import annotations

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection

from polytrack.payt import domain
from polytrack.payt.ops.common import chargeable
from polytrack.payt.ops.schemas import ASSET, table
from polytrack.payt.tables import payt_devices, payt_drivers, payt_events, payt_positions, payt_vehicles
from polytrack.payt.wire import Call, Result, dataset, payt_op, trackerpro_op

_last = payt_positions.alias("last_position")
_inner = payt_positions.alias("newer")


def vehicle_states(conn: Connection, client_id: int, *, folder_ids: set[int] | None = None,
                   vehicle_ids: list[int] | None = None) -> list:
    """Every vehicle of the client (only those in `folder_ids` when given, or only `vehicle_ids`)
    with device, driver, last position and last event — one query; the last position is an
    index seek per vehicle on (vehicle_id, fix_ms)."""
    v = payt_vehicles
    newest_fix = select(func.max(_inner.c.fix_ms)).where(_inner.c.vehicle_id == v.c.id).scalar_subquery()
    last_event = (
        select(payt_events.c.event_type_id).where(payt_events.c.vehicle_id == v.c.id)
        .order_by(payt_events.c.at_ms.desc()).limit(1).scalar_subquery()
    )
    query = (
        select(
            v.c.id, v.c.device_id, v.c.type_id, v.c.group_id, v.c.description, v.c.registration,
            v.c.hourly_cost, v.c.km_cost, v.c.depot_id, v.c.depot_name, v.c.row_version, v.c.driver_id,
            v.c.driver_start_ms, payt_drivers.c.name.label("driver_name"), payt_devices.c.identifier,
            _last.c.fix_ms, _last.c.latitude, _last.c.longitude, _last.c.speed_kph, _last.c.heading,
            last_event.label("last_event_id"),
        )
        .select_from(
            v.outerjoin(payt_devices, payt_devices.c.id == v.c.device_id)
            .outerjoin(payt_drivers, payt_drivers.c.id == v.c.driver_id)
            .outerjoin(_last, and_(_last.c.vehicle_id == v.c.id, _last.c.fix_ms == newest_fix))
        )
        .where(v.c.client_id == client_id)
        .order_by(v.c.id)
    )
    if folder_ids is not None:
        query = query.where(v.c.group_id.in_(sorted(folder_ids)))
    if vehicle_ids is not None:
        query = query.where(v.c.id.in_(vehicle_ids))
    return conn.execute(query).all()


def asset_row(r) -> dict:
    return {
        "VehicleID": r.id, "CurrentUnitID": r.device_id, "TypeID": r.type_id, "GroupID": r.group_id,
        "Description": r.description, "Registration": r.registration, "HourlyCost": r.hourly_cost,
        "KMCost": r.km_cost, "DepotID": r.depot_id, "DepotName": r.depot_name,
        "TimeStamp": domain.row_version_text(r.row_version), "DriverID": r.driver_id, "Name": r.driver_name,
        "DriverStartDate": r.driver_start_ms if r.driver_id is not None else None, "UnitIMEI": r.identifier,
        "LastPositionDateTime": r.fix_ms, "Latitude": r.latitude, "Longitude": r.longitude,
        "Speed": r.speed_kph, "Heading": r.heading, "LastEventID": r.last_event_id,
    }


def visible_vehicle_states(conn: Connection, caller: domain.Caller) -> list:
    """The vehicles a PAYT user may see (folder permissions applied)."""
    scope = domain.folder_scope(conn, caller)
    return vehicle_states(conn, caller.client_id, folder_ids=scope.visible if scope.restricted else None)


@payt_op("Vehicle", "GetAllVehiclesFilteredByUserID")
@chargeable
def filtered_by_user(call: Call) -> Result:
    rows = [asset_row(r) for r in visible_vehicle_states(call.conn, call.caller)]
    return Result("dataset", dataset("VehicleDetailsDataSet", [table(ASSET, rows)], call.dates))


@trackerpro_op("Vehicle", "GetAllVehiclesForClientID")
@chargeable
def for_client(call: Call) -> Result:
    company = domain.company_of_integrator(call.conn, call.integrator, call.require("company"))
    rows = [asset_row(r) for r in vehicle_states(call.conn, company.client_id)]
    return Result("dataset", dataset("VehicleDetailsDataSet", [table(ASSET, rows)], call.dates))
