"""Every dataset's tables and columns in one data-driven registry.

Operations build rows as dicts keyed by column label; `datasets.table()` orders the cells by
the registry. Appending a column here (a placeholder, or a new value the query already provides)
needs no other code change: a label the operation does not fill is rendered as null. The
documented leading columns must never be reordered.
"""

from __future__ import annotations

from polytrack.payt.datasets import Column, TableSchema


def _cols(*spec: str) -> tuple[Column, ...]:
    """"Label:type" or "Label:type:auto" (autoincrement key column)."""
    columns = []
    for item in spec:
        label, kind, *flags = item.split(":")
        columns.append(Column(label, kind, autoincrement="auto" in flags))
    return tuple(columns)


# Group/GetByTypeID — documented in full (spec 3.3).
FOLDERS = TableSchema("Folders", [0], _cols(
    "GroupID:number:auto", "Description:string", "ParentID:number", "GroupTypeIDC:number", "TimeStamp:string",
))

# VehicleDetailsDataSet / Asset (spec 3.4, 4.6): 0-12 documented, 13-20 the [PH] tail.
ASSET = TableSchema("Asset", [0], _cols(
    "VehicleID:number:auto", "CurrentUnitID:number", "TypeID:number", "GroupID:number", "Description:string",
    "Registration:string", "HourlyCost:number", "KMCost:number", "DepotID:number", "DepotName:string",
    "TimeStamp:string", "DriverID:number:auto", "Name:string",
    # --- placeholder tail [PH] ---
    "DriverStartDate:datetime", "UnitIMEI:string", "LastPositionDateTime:datetime", "Latitude:number",
    "Longitude:number", "Speed:number", "Heading:number", "LastEventID:number",
))

# Report_Detailed (spec 3.5) — both levels are [PH] beyond the dataset name.
DETAILED_SUMMARY = TableSchema("Report_Detailed", [0, 1], _cols(
    "VehicleID:number", "Date:datetime", "Registration:string", "Description:string", "GroupID:number",
    "DriverID:number", "DriverName:string", "FirstIgnitionOn:datetime", "LastIgnitionOff:datetime",
    "DrivingSeconds:number", "IdleSeconds:number", "DistanceKM:number", "MaxSpeedKPH:number", "Journeys:number",
))
DETAILED_RECORDS = TableSchema("Report_Detailed", [0, 2], _cols(
    "VehicleID:number", "Registration:string", "DateTime:datetime", "EventID:number", "EventDescription:string",
    "Latitude:number", "Longitude:number", "SpeedKPH:number", "Heading:number", "DistanceKM:number",
    "DriverID:number", "Address:string",
))

# VehiclePositionDataSet (Historic, spec 3.6) — normalised, all [PH].
HISTORIC_VEHICLES = TableSchema("Vehicles", [0], _cols(
    "VehicleID:number", "Registration:string", "Description:string",
))
HISTORIC_POSITIONS = TableSchema("Positions", [0, 1, 2], _cols(
    "VehicleID:number", "DateTime:datetime", "EventID:number", "Latitude:number", "Longitude:number",
    "SpeedKPH:number", "Heading:number",
))
HISTORIC_EVENT_TYPES = TableSchema("EventTypes", [0], _cols("EventID:number", "Description:string"))

# TasksDataSet (spec 4.5): 0-11 documented, ETA inferred as datetime.
TASKS = TableSchema("Tasks", [0], _cols(
    "TaskID:number:auto", "ExtID:number", "Type:string", "Name:string", "Description:string",
    "StartDateTime:datetime", "EndDateTime:datetime", "GracePeriodMins:number", "AssignedTo:string",
    "RegionGeoJson:string", "ParameterJson:string", "Status:string", "ETA:datetime",
))

DATASETS: dict[str, tuple[TableSchema, ...]] = {
    "GroupDataSet": (FOLDERS,),
    "VehicleDetailsDataSet": (ASSET,),
    "Report_Detailed": (DETAILED_SUMMARY, DETAILED_RECORDS),
    "VehiclePositionDataSet": (HISTORIC_VEHICLES, HISTORIC_POSITIONS, HISTORIC_EVENT_TYPES),
    "TasksDataSet": (TASKS,),
}

