"""Fleet provisioning for operators and sandbox users, over HTTP (/_polytrack/payt/...) and the
CLI (`polytrack admin payt ...`), plus `polytrack payt import|rederive`. One table describes
every operation, so both front ends stay in step with fleet.py.

Every call names the client by `company`. HTTP answers 201 with {"id": ...} for creations,
200 for updates, 400/404/409 with {"error": ...} for bad input, unknown objects, conflicts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from polytrack.admin_http import AdminError, json_body
from polytrack.apis import CliError, CliKit
from polytrack.payt import derive, fleet
from polytrack.payt.tables import payt_unknown_devices


@dataclass(frozen=True)
class FleetOp:
    function: Callable
    help: str
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    clock: bool = False  # the fleet function takes the clock after the connection
    target: str | None = None  # keyword of the object an update changes (from the URL on HTTP)


FLEET_OPS: dict[str, FleetOp] = {
    "create-group": FleetOp(fleet.create_group, "create a folder (type 2 users, 3 vehicles, 4 drivers, 5 locations)",
                            ("type_id", "description"), ("parent_id",)),
    "update-group": FleetOp(fleet.update_group, "rename or move a folder", (), ("description", "parent_id"),
                            target="group_id"),
    "create-device": FleetOp(fleet.create_device, "register a tracking device by the id it sends",
                             ("identifier",), ("description",), clock=True),
    "create-driver": FleetOp(fleet.create_driver, "create a driver", ("name",), ("group_id",)),
    "create-vehicle": FleetOp(fleet.create_vehicle, "create a vehicle, optionally with its device identifier",
                              ("registration",), ("description", "device_identifier", "group_id", "driver_id",
                                                  "speed_limit_kph", "type_id", "hourly_cost", "km_cost",
                                                  "depot_id", "depot_name"), clock=True),
    "update-vehicle": FleetOp(fleet.update_vehicle, "change a vehicle (device_identifier '' unfits, driver_id 0 unassigns)",
                              (), ("registration", "description", "device_identifier", "group_id", "driver_id",
                                   "speed_limit_kph", "type_id", "hourly_cost", "km_cost", "depot_id", "depot_name"),
                              clock=True, target="vehicle_id"),
    "create-location": FleetOp(fleet.create_location, "create a location: point + radius_m, or polygon_geojson",
                               ("name",), ("latitude", "longitude", "radius_m", "polygon_geojson", "group_id")),
    "create-task": FleetOp(fleet.create_task, "create a TrackerPro task (times in epoch ms)",
                           ("name", "start_ms", "end_ms"), ("type", "description", "grace_period_mins", "vehicle_id",
                                                            "assigned_to", "region_geojson", "parameter_json", "status",
                                                            "ext_id", "eta_ms")),
    "grant-folder": FleetOp(fleet.grant_folder, "let a user see a folder (a user without grants sees everything)",
                            ("email", "group_id")),
    "revoke-folder": FleetOp(fleet.revoke_folder, "take a folder permission away", ("email", "group_id")),
}


def run_fleet_op(services, name: str, data: dict) -> dict:
    """Run one operation with `data` (company + the op's fields). Raises fleet.FleetError."""
    op = FLEET_OPS[name]
    missing = [field for field in ("company", *op.required) if data.get(field) in (None, "")]
    if op.target and data.get(op.target) in (None, ""):
        missing.append(op.target)
    if missing:
        raise fleet.FleetError(f"missing field(s): {', '.join(missing)}")
    kwargs = {field: data[field] for field in (*op.required, *op.optional) if field in data and data[field] is not None}
    args = []
    if op.target:
        args.append(data[op.target])
    with services.transaction() as db:
        client_id = fleet.client_id_for(db, str(data["company"]))
        leading = (db, services.clock, client_id) if op.clock else (db, client_id)
        result = op.function(*leading, *args, **kwargs)
    if op.target:
        return {"id": int(data[op.target]), "updated": True}
    return {"id": result} if result is not None else {"ok": True}


def unknown_devices(services, limit: int = 100) -> list[dict]:
    rows = services.hot.execute(select(payt_unknown_devices).order_by(payt_unknown_devices.c.last_seen_ms.desc())
                                .limit(limit))
    return [row._asdict() for row in rows]


def rederive(services) -> dict:
    derive.use_settings(services.settings)
    with services.transaction() as db:
        return {"vehicles": derive.rederive_all(db)}


# --- HTTP --------------------------------------------------------------------------------------

HTTP_ROUTES = (
    ("/groups", "POST", "create-group"), ("/groups/{target}", "PATCH", "update-group"),
    ("/devices", "POST", "create-device"), ("/drivers", "POST", "create-driver"),
    ("/vehicles", "POST", "create-vehicle"), ("/vehicles/{target}", "PATCH", "update-vehicle"),
    ("/locations", "POST", "create-location"), ("/tasks", "POST", "create-task"),
    ("/permissions", "POST", "grant-folder"), ("/permissions", "DELETE", "revoke-folder"),
)


def fleet_routes(services) -> list:
    def endpoint_for(name: str):
        async def endpoint(request: Request):
            data = await json_body(request)
            if "target" in request.path_params:
                data[FLEET_OPS[name].target] = request.path_params["target"]
            try:
                result = run_fleet_op(services, name, data)
            except fleet.FleetError as exc:
                raise AdminError(exc.status, exc.message) from exc
            return JSONResponse(result, status_code=200 if FLEET_OPS[name].target or name == "revoke-folder" else 201)
        return endpoint

    async def get_unknown_devices(request: Request):
        try:
            limit = min(max(int(request.query_params.get("limit", "100")), 1), 1000)
        except ValueError:
            raise AdminError(400, "limit must be an integer") from None
        return JSONResponse({"unknown_devices": unknown_devices(services, limit)})

    async def post_rederive(_request: Request):
        return JSONResponse(rederive(services))

    by_path: dict[str, dict[str, Callable]] = {}
    for path, method, name in HTTP_ROUTES:
        by_path.setdefault(path, {})[method] = endpoint_for(name)

    def dispatcher(methods: dict):
        async def endpoint(request: Request):
            return await methods[request.method](request)
        return endpoint

    routes = [Route(path, dispatcher(methods), methods=list(methods)) for path, methods in by_path.items()]
    routes.append(Route("/unknown-devices", get_unknown_devices, methods=["GET"]))
    routes.append(Route("/rederive", post_rederive, methods=["POST"]))
    return routes


# --- CLI ---------------------------------------------------------------------------------------

def register_fleet_cli(sub, kit: CliKit, print_result) -> None:
    """Add `polytrack admin payt <op>` for every fleet operation (flags named like the fields)."""
    for name, op in FLEET_OPS.items():
        parser = sub.add_parser(name, help=op.help)
        parser.add_argument("--company", required=True)
        if op.target:
            parser.add_argument(f"--{op.target.replace('_', '-')}", dest=op.target, required=True)
        for field in op.required:
            parser.add_argument(f"--{field.replace('_', '-')}", dest=field, required=True)
        for field in op.optional:
            parser.add_argument(f"--{field.replace('_', '-')}", dest=field)
        kit.add_db_flags(parser)

        def run(args, name=name):
            data = {k: v for k, v in vars(args).items() if v is not None}
            try:
                return print_result(run_fleet_op(kit.open_services(args), name, data))
            except fleet.FleetError as exc:
                raise CliError(exc.message) from exc

        parser.set_defaults(func=run)

    unknown = sub.add_parser("unknown-devices", help="device ids that sent positions but are not registered")
    kit.add_db_flags(unknown)
    unknown.set_defaults(func=lambda a: print_result({"unknown_devices": unknown_devices(kit.open_services(a))}))


def register_data_cli(root, kit: CliKit, print_result) -> None:
    """`polytrack payt import FILE` and `polytrack payt rederive`."""
    payt = root.add_parser("payt", help="PAYT data: import positions, re-derive trips")
    sub = payt.add_subparsers(dest="payt_data_command", required=True)
    imp = sub.add_parser("import", help="import positions from a CSV or GPX file (see docs/payt-data.md)")
    imp.add_argument("file")
    imp.add_argument("--device", help="device identifier for every row (GPX, or CSV without a device column)")
    imp.add_argument("--format", choices=("csv", "gpx"), help="default: from the file name")
    imp.add_argument("--quiet", action="store_true", help="no progress bar")
    kit.add_db_flags(imp)

    def run_import(args) -> int:
        from polytrack.payt import importer

        try:
            report = importer.import_file(kit.open_services(args), args.file, device=args.device, fmt=args.format,
                                          show_progress=not args.quiet)
        except importer.ImportFailed as exc:
            raise CliError(str(exc)) from exc
        print_result(report.as_dict())
        return 0 if report.imported or not report.rows else 1

    imp.set_defaults(func=run_import)
    again = sub.add_parser("rederive", help="recompute all trips, stops and daily stats (after changing the rules)")
    kit.add_db_flags(again)
    again.set_defaults(func=lambda a: print_result(rederive(kit.open_services(a))))
