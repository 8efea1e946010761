"""Fleet set-up as plain functions over the tables: folders, devices, vehicles, drivers,
locations, tasks and users' folder permissions. Used by admin.py (HTTP + CLI), the demo and
tests. Every function takes an open transaction (`db`) and raises FleetError on bad input.

Folders ("groups") have a type (2 users, 3 vehicles, 4 drivers, 5 locations) and exactly one
parent; each client has one root folder per type (ParentID 0 on the wire), created on demand,
and a folder created without a parent goes under its type's root.
"""

from __future__ import annotations

import json

from sqlalchemy import select, update

from polytrack.kernel.sql import Db
from polytrack.payt import derive
from polytrack.payt.ingest.cache import device_cache
from polytrack.payt.tables import (
    payt_clients, payt_derivation_state, payt_devices, payt_drivers, payt_groups, payt_locations, payt_tasks,
    payt_user_groups, payt_users, payt_vehicles,
)

USERS, VEHICLES, DRIVERS, LOCATIONS = 2, 3, 4, 5
GROUP_TYPES = {USERS: "users", VEHICLES: "vehicles", DRIVERS: "drivers", LOCATIONS: "locations"}
ROOT_NAMES = {USERS: "All users", VEHICLES: "All vehicles", DRIVERS: "All drivers", LOCATIONS: "All locations"}
TASK_STATUSES = ("Pending", "InProgress", "Complete", "Cancelled")


class FleetError(ValueError):
    """status: 400 bad input, 404 unknown object, 409 conflict (HTTP status for the admin API)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


def _changed() -> None:
    """Forget this process's cached device and vehicle facts (other processes expire theirs)."""
    device_cache.clear()
    derive.invalidate_contexts()


# --- lookups ---------------------------------------------------------------------------------

def client_id_for(db: Db, company: str) -> int:
    row = db.execute(select(payt_clients.c.id).where(payt_clients.c.company == (company or "").strip())).first()
    if row is None:
        raise FleetError(f"unknown company: {company}", 404)
    return row.id


def _owned(db: Db, table, object_id, client_id: int, what: str):
    try:
        object_id = int(object_id)
    except (TypeError, ValueError):
        raise FleetError(f"{what} must be an integer id") from None
    row = db.execute(select(table).where(table.c.id == object_id, table.c.client_id == client_id)).first()
    if row is None:
        raise FleetError(f"unknown {what}: {object_id}", 404)
    return row


def _folder(db: Db, group_id, client_id: int, type_id: int | None = None):
    row = _owned(db, payt_groups, group_id, client_id, "folder")
    if type_id is not None and row.type_id != type_id:
        raise FleetError(f"folder {row.id} holds {GROUP_TYPES.get(row.type_id)}, not {GROUP_TYPES[type_id]}")
    return row


# --- folders ---------------------------------------------------------------------------------

def root_group(db: Db, client_id: int, type_id: int) -> int:
    if type_id not in GROUP_TYPES:
        raise FleetError(f"folder type must be one of {sorted(GROUP_TYPES)}")
    row = db.execute(select(payt_groups.c.id).where(
        payt_groups.c.client_id == client_id, payt_groups.c.type_id == type_id, payt_groups.c.parent_id.is_(None))
        .order_by(payt_groups.c.id)).first()
    if row is not None:
        return row.id
    return db.execute(payt_groups.insert().values(
        client_id=client_id, type_id=type_id, parent_id=None, description=ROOT_NAMES[type_id], row_version=1,
    ).returning(payt_groups.c.id)).scalar_one()


def create_group(db: Db, client_id: int, *, type_id, description: str, parent_id=None) -> int:
    try:
        type_id = int(type_id)
    except (TypeError, ValueError):
        raise FleetError("type_id must be an integer") from None
    description = (description or "").strip()
    if not description:
        raise FleetError("description is required")
    if parent_id in (None, "", 0, "0"):
        parent_id = root_group(db, client_id, type_id)
    else:
        parent_id = _folder(db, parent_id, client_id, type_id).id
    return db.execute(payt_groups.insert().values(
        client_id=client_id, type_id=type_id, parent_id=parent_id, description=description[:255], row_version=1,
    ).returning(payt_groups.c.id)).scalar_one()


def update_group(db: Db, client_id: int, group_id, *, description: str | None = None, parent_id=None) -> None:
    group = _folder(db, group_id, client_id)
    values: dict = {}
    if description is not None:
        if not description.strip():
            raise FleetError("description must not be empty")
        values["description"] = description.strip()[:255]
    if parent_id is not None:
        if group.parent_id is None:
            raise FleetError("a root folder cannot be moved")
        parent = _folder(db, parent_id, client_id, group.type_id)
        cursor = parent
        while cursor is not None:  # no folder may become its own ancestor
            if cursor.id == group.id:
                raise FleetError("a folder cannot move under itself or its descendants")
            cursor = db.execute(select(payt_groups).where(payt_groups.c.id == cursor.parent_id)).first() \
                if cursor.parent_id is not None else None
        values["parent_id"] = parent.id
    if values:
        db.execute(update(payt_groups).where(payt_groups.c.id == group.id)
                     .values(**values, row_version=payt_groups.c.row_version + 1))


# --- users' folder permissions --------------------------------------------------------------

def _user(db: Db, client_id: int, email: str):
    row = db.execute(select(payt_users.c.id).where(
        payt_users.c.email == (email or "").strip().lower(), payt_users.c.client_id == client_id)).first()
    if row is None:
        raise FleetError(f"unknown user of this company: {email}", 404)
    return row.id


def grant_folder(db: Db, client_id: int, *, email: str, group_id) -> None:
    """Let the user see this folder (and its descendants). A user without any grant sees all."""
    user_id = _user(db, client_id, email)
    group = _folder(db, group_id, client_id)
    exists = db.execute(select(payt_user_groups).where(
        payt_user_groups.c.user_id == user_id, payt_user_groups.c.group_id == group.id)).first()
    if exists is None:
        db.execute(payt_user_groups.insert().values(user_id=user_id, group_id=group.id))


def revoke_folder(db: Db, client_id: int, *, email: str, group_id) -> None:
    user_id = _user(db, client_id, email)
    group = _folder(db, group_id, client_id)
    db.execute(payt_user_groups.delete().where(
        payt_user_groups.c.user_id == user_id, payt_user_groups.c.group_id == group.id))


# --- devices, drivers, vehicles ---------------------------------------------------------------

def create_device(db: Db, clock, client_id: int, *, identifier: str, description: str = "") -> int:
    identifier = (identifier or "").strip()
    if not identifier or len(identifier) > 128:
        raise FleetError("identifier is required (at most 128 characters)")
    if db.execute(select(payt_devices.c.id).where(payt_devices.c.identifier == identifier)).first():
        raise FleetError(f"device identifier already registered: {identifier}", 409)
    device_id = db.execute(payt_devices.insert().values(
        client_id=client_id, identifier=identifier, description=(description or "")[:255], created_at=clock.timestamp(),
    ).returning(payt_devices.c.id)).scalar_one()
    _changed()
    return device_id


def _device_for_vehicle(db: Db, clock, client_id: int, identifier: str, vehicle_id: int | None) -> int:
    """The device with this identifier (registered now if new); refused if fitted elsewhere."""
    identifier = (identifier or "").strip()
    row = db.execute(select(payt_devices.c.id, payt_devices.c.client_id)
                       .where(payt_devices.c.identifier == identifier)).first()
    if row is None:
        return create_device(db, clock, client_id, identifier=identifier)
    if row.client_id != client_id:
        raise FleetError(f"device identifier already registered: {identifier}", 409)
    fitted = db.execute(select(payt_vehicles.c.id).where(payt_vehicles.c.device_id == row.id)).first()
    if fitted is not None and fitted.id != vehicle_id:
        raise FleetError(f"device {identifier} is fitted to vehicle {fitted.id}", 409)
    return row.id


def create_driver(db: Db, client_id: int, *, name: str, group_id=None) -> int:
    name = (name or "").strip()
    if not name:
        raise FleetError("name is required")
    folder = _folder(db, group_id, client_id, DRIVERS).id if group_id not in (None, "") else root_group(db, client_id, DRIVERS)
    return db.execute(payt_drivers.insert().values(client_id=client_id, group_id=folder, name=name[:255], row_version=1)
                      .returning(payt_drivers.c.id)).scalar_one()


VEHICLE_FIELDS = ("description", "registration", "type_id", "hourly_cost", "km_cost", "depot_id", "depot_name",
                  "speed_limit_kph")


def _vehicle_values(data: dict) -> dict:
    values = {}
    for name in VEHICLE_FIELDS:
        if name not in data or data[name] is None:
            continue
        value = data[name]
        try:
            if name in ("type_id", "depot_id"):
                value = int(value)
            elif name in ("hourly_cost", "km_cost", "speed_limit_kph"):
                value = float(value)
                if value < 0:
                    raise ValueError
            else:
                value = str(value).strip()[:255 if name != "registration" else 64]
        except (TypeError, ValueError):
            raise FleetError(f"{name} has a bad value: {value!r}") from None
        values[name] = value
    return values


def create_vehicle(db: Db, clock, client_id: int, *, device_identifier: str | None = None, group_id=None,
                   driver_id=None, **fields) -> int:
    values = _vehicle_values(fields)
    values.setdefault("description", values.get("registration", ""))
    values["group_id"] = (_folder(db, group_id, client_id, VEHICLES).id if group_id not in (None, "")
                          else root_group(db, client_id, VEHICLES))
    if driver_id not in (None, ""):
        values["driver_id"] = _owned(db, payt_drivers, driver_id, client_id, "driver").id
        values["driver_start_ms"] = int(clock.timestamp() * 1000)
    if device_identifier:
        values["device_id"] = _device_for_vehicle(db, clock, client_id, device_identifier, None)
    vehicle_id = db.execute(payt_vehicles.insert().values(client_id=client_id, row_version=1, **values)
                            .returning(payt_vehicles.c.id)).scalar_one()
    db.execute(payt_derivation_state.insert().values(vehicle_id=vehicle_id))
    _changed()
    return vehicle_id


def update_vehicle(db: Db, clock, client_id: int, vehicle_id, *, device_identifier=None, group_id=None,
                   driver_id=None, **fields) -> None:
    """Change a vehicle. device_identifier "" unfits the device; driver_id 0 unassigns the driver."""
    vehicle = _owned(db, payt_vehicles, vehicle_id, client_id, "vehicle")
    values = _vehicle_values(fields)
    if group_id not in (None, ""):
        values["group_id"] = _folder(db, group_id, client_id, VEHICLES).id
    if driver_id is not None:
        if driver_id in (0, "0", ""):
            values["driver_id"], values["driver_start_ms"] = None, None
        else:
            values["driver_id"] = _owned(db, payt_drivers, driver_id, client_id, "driver").id
            values["driver_start_ms"] = int(clock.timestamp() * 1000)
    if device_identifier is not None:
        values["device_id"] = (_device_for_vehicle(db, clock, client_id, device_identifier, vehicle.id)
                               if str(device_identifier).strip() else None)
    if values:
        db.execute(update(payt_vehicles).where(payt_vehicles.c.id == vehicle.id)
                     .values(**values, row_version=payt_vehicles.c.row_version + 1))
    _changed()


# --- locations and tasks ----------------------------------------------------------------------

def create_location(db: Db, client_id: int, *, name: str, group_id=None, latitude=None, longitude=None,
                    radius_m=None, polygon_geojson=None) -> int:
    """A point with a radius (metres), or a GeoJSON Polygon (object or text)."""
    name = (name or "").strip()
    if not name:
        raise FleetError("name is required")
    values: dict = {"name": name[:255]}
    if polygon_geojson not in (None, ""):
        text = polygon_geojson if isinstance(polygon_geojson, str) else json.dumps(polygon_geojson)
        if derive.polygon_ring(text) is None:
            raise FleetError("polygon_geojson must be a GeoJSON Polygon with at least 3 points")
        values["polygon_geojson"] = text
    else:
        try:
            lat, lon, radius = float(latitude), float(longitude), float(radius_m)
        except (TypeError, ValueError):
            raise FleetError("give latitude, longitude and radius_m, or polygon_geojson") from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180 and 0 < radius <= 100_000):
            raise FleetError("latitude/longitude out of range or radius_m not in (0, 100000]")
        values.update(latitude=lat, longitude=lon, radius_m=radius)
    values["group_id"] = (_folder(db, group_id, client_id, LOCATIONS).id if group_id not in (None, "")
                          else root_group(db, client_id, LOCATIONS))
    location_id = db.execute(payt_locations.insert().values(client_id=client_id, **values).returning(payt_locations.c.id)
                             ).scalar_one()
    _changed()
    return location_id


def _int_ms(name: str, value, *, required: bool) -> int | None:
    if value in (None, ""):
        if required:
            raise FleetError(f"{name} is required (epoch milliseconds)")
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise FleetError(f"{name} must be epoch milliseconds") from None


def create_task(db: Db, client_id: int, *, name: str, start_ms, end_ms, type: str = "", description: str = "",
                grace_period_mins=0, vehicle_id=None, assigned_to: str | None = None, region_geojson="",
                parameter_json="{}", status: str = "Pending", ext_id=None, eta_ms=None) -> int:
    start, end = _int_ms("start_ms", start_ms, required=True), _int_ms("end_ms", end_ms, required=True)
    assert start is not None and end is not None  # required: _int_ms raised otherwise
    if end < start:
        raise FleetError("end_ms is before start_ms")
    if status not in TASK_STATUSES:
        raise FleetError(f"status must be one of {', '.join(TASK_STATUSES)}")
    values = {
        "name": (name or "").strip()[:255], "type": (type or "")[:64], "description": description or "",
        "start_ms": start, "end_ms": end, "status": status, "eta_ms": _int_ms("eta_ms", eta_ms, required=False),
        "ext_id": _int_ms("ext_id", ext_id, required=False),
    }
    if not values["name"]:
        raise FleetError("name is required")
    try:
        values["grace_period_mins"] = int(grace_period_mins or 0)
    except (TypeError, ValueError):
        raise FleetError("grace_period_mins must be an integer") from None
    for key, value in (("region_geojson", region_geojson), ("parameter_json", parameter_json)):
        text = value if isinstance(value, str) else json.dumps(value)
        if text:
            try:
                json.loads(text)
            except ValueError:
                raise FleetError(f"{key} is not valid JSON") from None
        values[key] = text or ("{}" if key == "parameter_json" else "")
    if vehicle_id not in (None, ""):
        vehicle = _owned(db, payt_vehicles, vehicle_id, client_id, "vehicle")
        values["assigned_vehicle_id"] = vehicle.id
        values["assigned_to"] = assigned_to if assigned_to is not None else (vehicle.registration or vehicle.description)
    else:
        values["assigned_to"] = assigned_to or ""
    return db.execute(payt_tasks.insert().values(client_id=client_id, **values).returning(payt_tasks.c.id)).scalar_one()
