"""Vehicle/GetAllVehiclesFilteredByUserID (PAYT, spec 3.4) and
Vehicle/GetAllVehiclesForClientID (TrackerPro, spec 4.6): the VehicleDetailsDataSet "Asset"
table, one denormalised current-state row per vehicle including its last position.

Both read on the hot connection with RawStatements: every vehicle with its device, driver,
last position and last event in one query. The last position is found by index seeks per
vehicle inside that query (the newest position on the unique (vehicle_id, fix_ms) index, the
newest event on ix_payt_events_vehicle_at), never by a query per vehicle.
"""

from __future__ import annotations

from collections import namedtuple

from polytrack.kernel.rawsql import RawStatement
from polytrack.payt import domain
from polytrack.payt.ops.common import chargeable
from polytrack.payt.ops.schemas import ASSET, table
from polytrack.payt.wire import Call, Result, dataset, payt_op, trackerpro_op

# One vehicle's current state, as `_STATE_COLUMNS` reads it.
VehicleState = namedtuple("VehicleState", (
    "id device_id type_id group_id description registration hourly_cost km_cost depot_id depot_name"
    " row_version driver_id driver_start_ms driver_name identifier fix_ms latitude longitude speed_kph"
    " heading last_event_id"
))

_STATE_COLUMNS = """
    v.id, v.device_id, v.type_id, v.group_id, v.description, v.registration, v.hourly_cost, v.km_cost,
    v.depot_id, v.depot_name, v.row_version, v.driver_id, v.driver_start_ms, dr.name, d.identifier,
    p.fix_ms, p.latitude, p.longitude, p.speed_kph, p.heading,
    (SELECT e.event_type_id FROM payt_events e WHERE e.vehicle_id = v.id ORDER BY e.at_ms DESC LIMIT 1)
"""
# The last position is joined by its primary key, which the scalar subquery finds with one
# backward index seek; both SQLite and PostgreSQL run that once per vehicle.
_STATE_JOINS = """
    LEFT JOIN payt_devices d ON d.id = v.device_id
    LEFT JOIN payt_drivers dr ON dr.id = v.driver_id
    LEFT JOIN payt_positions p ON p.id = (
      SELECT n.id FROM payt_positions n WHERE n.vehicle_id = v.id ORDER BY n.fix_ms DESC LIMIT 1)
"""
_STATES_OF_CLIENT = RawStatement(
    f"SELECT {_STATE_COLUMNS} FROM payt_vehicles v {_STATE_JOINS} WHERE v.client_id = ? ORDER BY v.id"
)
# TrackerPro: the company's client row (to check it against the admin key) and its vehicles,
# in one query. A company without vehicles reads as one row whose vehicle columns are NULL.
_STATES_OF_COMPANY = RawStatement(f"""
    SELECT c.id, c.admin_key_id, c.timezone, {_STATE_COLUMNS}
    FROM payt_clients c LEFT JOIN payt_vehicles v ON v.client_id = c.id {_STATE_JOINS}
    WHERE c.company = ? ORDER BY v.id
""")


def vehicle_states(conn, client_id: int, *, folder_ids: set[int] | None = None,
                   vehicle_ids: list[int] | None = None) -> list[VehicleState]:
    """Every vehicle of the client (only those in `folder_ids` when given, or only `vehicle_ids`)
    with device, driver, last position and last event. `conn`: the hot connection or a
    SQLAlchemy one."""
    rows = [VehicleState._make(r) for r in _STATES_OF_CLIENT.run(conn, (client_id,)).fetchall()]
    if folder_ids is not None:
        rows = [r for r in rows if r.group_id in folder_ids]
    if vehicle_ids is not None:
        wanted = set(vehicle_ids)
        rows = [r for r in rows if r.id in wanted]
    return rows


def company_vehicle_states(conn, integrator: domain.Integrator, company: str) -> list[VehicleState]:
    """The vehicles of `company`, which must belong to the integrator (else access_denied, as
    `domain.company_of_integrator`)."""
    rows = _STATES_OF_COMPANY.run(conn, (company,)).fetchall()
    domain.check_company(integrator, company, rows[0][:3] if rows else None)
    return [VehicleState._make(r[3:]) for r in rows if r[3] is not None]


def asset_row(r: VehicleState) -> dict:
    return {
        "VehicleID": r.id, "CurrentUnitID": r.device_id, "TypeID": r.type_id, "GroupID": r.group_id,
        "Description": r.description, "Registration": r.registration, "HourlyCost": r.hourly_cost,
        "KMCost": r.km_cost, "DepotID": r.depot_id, "DepotName": r.depot_name,
        "TimeStamp": domain.row_version_text(r.row_version), "DriverID": r.driver_id, "Name": r.driver_name,
        "DriverStartDate": r.driver_start_ms if r.driver_id is not None else None, "UnitIMEI": r.identifier,
        "LastPositionDateTime": r.fix_ms, "Latitude": r.latitude, "Longitude": r.longitude,
        "Speed": r.speed_kph, "Heading": r.heading, "LastEventID": r.last_event_id,
    }


def visible_vehicle_states(conn, caller: domain.Caller) -> list[VehicleState]:
    """The vehicles a PAYT user may see (folder permissions applied)."""
    scope = domain.folder_scope(conn, caller)
    return vehicle_states(conn, caller.client_id, folder_ids=scope.visible if scope.restricted else None)


@payt_op("Vehicle", "GetAllVehiclesFilteredByUserID", cacheable=True)
@chargeable
def filtered_by_user(call: Call) -> Result:
    rows = [asset_row(r) for r in visible_vehicle_states(call.conn, call.caller)]
    return Result("dataset", dataset("VehicleDetailsDataSet", [table(ASSET, rows)], call.dates))


@trackerpro_op("Vehicle", "GetAllVehiclesForClientID", cacheable=True)
@chargeable
def for_client(call: Call) -> Result:
    rows = [asset_row(r) for r in company_vehicle_states(call.conn, call.integrator, call.require("company"))]
    return Result("dataset", dataset("VehicleDetailsDataSet", [table(ASSET, rows)], call.dates))
