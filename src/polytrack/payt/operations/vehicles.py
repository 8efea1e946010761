"""Vehicle/GetAllVehiclesFilteredByUserID (PAYT) and Vehicle/GetAllVehiclesForClientID
(TrackerPro): the VehicleDetailsDataSet "Asset" table, one denormalised current-state row per
vehicle including its last position (vehicle_states.py: one query, on the held connection)."""

from __future__ import annotations

from polytrack.payt import domain
from polytrack.payt.datasets import dataset, table
from polytrack.payt.operations.base import Answer, PaytCall, payt_operation, trackerpro_operation
from polytrack.payt.operations.schemas import ASSET
from polytrack.payt.vehicle_states import VehicleState, company_vehicle_states, visible_vehicle_states


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


@payt_operation("Vehicle/GetAllVehiclesFilteredByUserID", cacheable=True, charged=True)
def filtered_by_user(call: PaytCall) -> Answer:
    rows = [asset_row(r) for r in visible_vehicle_states(call.db, call.user)]
    return Answer("dataset", dataset("VehicleDetailsDataSet", [table(ASSET, rows)], call.dates))


@trackerpro_operation("Vehicle/GetAllVehiclesForClientID", cacheable=True, charged=True)
def for_client(call: PaytCall) -> Answer:
    rows = [asset_row(r) for r in company_vehicle_states(call.db, call.admin, call.require("company"))]
    return Answer("dataset", dataset("VehicleDetailsDataSet", [table(ASSET, rows)], call.dates))
