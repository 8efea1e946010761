"""Every vehicle's current state: the row Vehicle/GetAllVehiclesFilteredByUserID,
Vehicle/GetAllVehiclesForClientID and the launch pages show.

One query reads every vehicle with its device, driver, last position and last event. The last
position is found by index seeks per vehicle inside that query (the newest position on the
unique (vehicle_id, fix_ms) index, the newest event on ix_payt_events_vehicle_at), never by a
query per vehicle. Both are fixed statements, so the vehicle lists run on the held connection.
"""

from __future__ import annotations

from typing import NamedTuple

from polytrack.kernel.sql import Db, Statement
from polytrack.payt import domain


class VehicleState(NamedTuple):
    """One vehicle's current state, as `_STATE_COLUMNS` reads it."""

    id: int
    device_id: int | None
    type_id: int | None
    group_id: int | None
    description: str | None
    registration: str | None
    hourly_cost: float | None
    km_cost: float | None
    depot_id: int | None
    depot_name: str | None
    row_version: int | None
    driver_id: int | None
    driver_start_ms: int | None
    driver_name: str | None
    identifier: str | None  # the fitted device's identifier
    fix_ms: int | None  # the last position, if any
    latitude: float | None
    longitude: float | None
    speed_kph: float | None
    heading: float | None
    last_event_id: int | None


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
_STATES_OF_CLIENT = Statement(
    f"SELECT {_STATE_COLUMNS} FROM payt_vehicles v {_STATE_JOINS} WHERE v.client_id = ? ORDER BY v.id"
)
# TrackerPro: the company's client row (to check it against the admin key) and its vehicles,
# in one query. A company without vehicles reads as one row whose vehicle columns are NULL.
_STATES_OF_COMPANY = Statement(f"""
    SELECT c.id, c.admin_key_id, c.timezone, {_STATE_COLUMNS}
    FROM payt_clients c LEFT JOIN payt_vehicles v ON v.client_id = c.id {_STATE_JOINS}
    WHERE c.company = ? ORDER BY v.id
""")


def vehicle_states(db: Db, client_id: int, *, folder_ids: set[int] | None = None) -> list[VehicleState]:
    """Every vehicle of the client (only those in `folder_ids` when given) with device, driver,
    last position and last event."""
    rows = [VehicleState._make(r) for r in db.all(_STATES_OF_CLIENT, (client_id,))]
    if folder_ids is not None:
        rows = [r for r in rows if r.group_id in folder_ids]
    return rows


def visible_vehicle_states(db: Db, caller: domain.Caller) -> list[VehicleState]:
    """The vehicles a PAYT user may see (folder permissions applied)."""
    scope = domain.folder_scope(db, caller)
    return vehicle_states(db, caller.client_id, folder_ids=scope.visible if scope.restricted else None)


def company_vehicle_states(db: Db, integrator: domain.Integrator, company: str) -> list[VehicleState]:
    """The vehicles of `company`, which must belong to the integrator (else access_denied, as
    `domain.company_of_integrator`)."""
    rows = db.all(_STATES_OF_COMPANY, (company,))
    domain.check_company(integrator, company, rows[0][:3] if rows else None)
    return [VehicleState._make(r[3:]) for r in rows if r[3] is not None]
