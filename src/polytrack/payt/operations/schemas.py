"""Every dataset's tables and columns in one data-driven registry.

Operations build rows as dicts keyed by column label; `datasets.table()` orders the cells by
the registry. Appending a column here (a placeholder, or a new value the query already provides)
needs no other code change: a label the operation does not fill is rendered as null. The
documented leading columns must never be reordered.
"""

from __future__ import annotations

from polytrack.payt.datasets import Column, TableSchema


def _cols(*spec: str) -> tuple[Column, ...]:
    """"Label:type", "Label:type:auto" (autoincrement key column) or "Label:number:N" (rendered
    with at most N decimals, see below)."""
    columns = []
    for item in spec:
        label, kind, *flags = item.split(":")
        decimals = next((int(flag) for flag in flags if flag.isdigit()), None)
        columns.append(Column(label, kind, autoincrement="auto" in flags, decimals=decimals))
    return tuple(columns)


# Measured numbers are stored as the device sent them, converted to our units (knots and m/s to
# km/h), so a float may carry conversion noise (5.4 knots is 10.000800000000002 km/h). They are
# rendered at a precision finer than any tracker measures, but no finer:
#   coordinates  6 decimals: 0.11 m, where a GPS fix is good to a few metres;
#   speeds       1 decimal (0.1 km/h), as MaxSpeedKPH: GPS speed is good to ~0.5 km/h;
#   headings     1 decimal (0.1 degree);
#   distances    3 decimals of a km: metres.
COORDINATE, SPEED, HEADING, DISTANCE = "6", "1", "1", "3"


# Group/GetByTypeID — documented in full by the vendor.
FOLDERS = TableSchema("Folders", [0], _cols(
    "GroupID:number:auto", "Description:string", "ParentID:number", "GroupTypeIDC:number", "TimeStamp:string",
))

# VehicleDetailsDataSet / Asset: 0-12 documented, 13-20 our placeholder tail.
ASSET = TableSchema("Asset", [0], _cols(
    "VehicleID:number:auto", "CurrentUnitID:number", "TypeID:number", "GroupID:number", "Description:string",
    "Registration:string", "HourlyCost:number", "KMCost:number", "DepotID:number", "DepotName:string",
    "TimeStamp:string", "DriverID:number:auto", "Name:string",
    # --- placeholder tail ---
    "DriverStartDate:datetime", "UnitIMEI:string", "LastPositionDateTime:datetime",
    f"Latitude:number:{COORDINATE}", f"Longitude:number:{COORDINATE}", f"Speed:number:{SPEED}",
    f"Heading:number:{HEADING}", "LastEventID:number",
))

# Report_Detailed — both levels are placeholders beyond the dataset name.
DETAILED_SUMMARY = TableSchema("Report_Detailed", [0, 1], _cols(
    "VehicleID:number", "Date:datetime", "Registration:string", "Description:string", "GroupID:number",
    "DriverID:number", "DriverName:string", "FirstIgnitionOn:datetime", "LastIgnitionOff:datetime",
    "DrivingSeconds:number", "IdleSeconds:number", f"DistanceKM:number:{DISTANCE}", f"MaxSpeedKPH:number:{SPEED}",
    "Journeys:number",
))
DETAILED_RECORDS = TableSchema("Report_Detailed", [0, 2], _cols(
    "VehicleID:number", "Registration:string", "DateTime:datetime", "EventID:number", "EventDescription:string",
    f"Latitude:number:{COORDINATE}", f"Longitude:number:{COORDINATE}", f"SpeedKPH:number:{SPEED}",
    f"Heading:number:{HEADING}", f"DistanceKM:number:{DISTANCE}", "DriverID:number", "Address:string",
))

# VehiclePositionDataSet (Historic) — normalised, all placeholders.
HISTORIC_VEHICLES = TableSchema("Vehicles", [0], _cols(
    "VehicleID:number", "Registration:string", "Description:string",
))
HISTORIC_POSITIONS = TableSchema("Positions", [0, 1, 2], _cols(
    "VehicleID:number", "DateTime:datetime", "EventID:number", f"Latitude:number:{COORDINATE}",
    f"Longitude:number:{COORDINATE}", f"SpeedKPH:number:{SPEED}", f"Heading:number:{HEADING}",
))
HISTORIC_EVENT_TYPES = TableSchema("EventTypes", [0], _cols("EventID:number", "Description:string"))

# TasksDataSet: 0-11 documented, ETA inferred as datetime.
TASKS = TableSchema("Tasks", [0], _cols(
    "TaskID:number:auto", "ExtID:number", "Type:string", "Name:string", "Description:string",
    "StartDateTime:datetime", "EndDateTime:datetime", "GracePeriodMins:number", "AssignedTo:string",
    "RegionGeoJson:string", "ParameterJson:string", "Status:string", "ETA:datetime",
))
