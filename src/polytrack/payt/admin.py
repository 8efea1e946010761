"""Provisioning for PAYT / TrackerPro: admin keys, clients, users. Used by the operator HTTP
API (/_polytrack/payt/...) and by `polytrack admin payt ...`."""

from __future__ import annotations

import json

from starlette.responses import JSONResponse
from starlette.routing import Route

from polytrack.admin_http import AdminError, json_body
from polytrack.apis import CliError, CliKit
from polytrack.kernel.secrets import random_hex
from polytrack.payt import domain
from polytrack.payt.admin_fleet import fleet_routes, register_data_cli, register_fleet_cli


def create_admin_key(services, *, name: str, key: str | None = None) -> dict:
    key = key or random_hex(16).upper()
    with services.transaction() as db:
        key_id = domain.create_admin_key(db, services.clock, name=name, key=key)
    return {"id": key_id, "name": name, "key": key}


def create_client(services, *, company: str, timezone: str = "Europe/London") -> dict:
    with services.transaction() as db:
        client_id = domain.ensure_client(db, services.clock, company=company, admin_key_id=None, timezone=timezone)
    return {"id": client_id, "company": company}


def create_user(services, *, company: str, email: str, password: str) -> dict:
    with services.transaction() as db:
        client_id = domain.ensure_client(db, services.clock, company=company, admin_key_id=None)
        user_id = domain.create_user(db, services.clock, client_id=client_id, email=email, password=password)
    return {"id": user_id, "client_id": client_id, "email": email.strip().lower()}


def _need(data: dict, *names: str) -> list[str]:
    missing = [n for n in names if not str(data.get(n) or "").strip()]
    if missing:
        raise AdminError(400, f"missing field(s): {', '.join(missing)}")
    return [str(data[n]).strip() for n in names]


def admin_routes(services) -> list:
    async def post_admin_key(request):
        data = await json_body(request)
        (name,) = _need(data, "name")
        return JSONResponse(create_admin_key(services, name=name, key=data.get("key") or None), status_code=201)

    async def post_client(request):
        data = await json_body(request)
        (company,) = _need(data, "company")
        return JSONResponse(create_client(services, company=company, timezone=data.get("timezone") or "Europe/London"), status_code=201)

    async def post_user(request):
        data = await json_body(request)
        company, email, password = _need(data, "company", "email", "password")
        try:
            return JSONResponse(create_user(services, company=company, email=email, password=password), status_code=201)
        except domain.PaytError as exc:
            raise AdminError(409 if "unique" in exc.message else 400, exc.message) from exc

    return [
        Route("/admin-keys", post_admin_key, methods=["POST"]),
        Route("/clients", post_client, methods=["POST"]),
        Route("/users", post_user, methods=["POST"]),
        *fleet_routes(services),
    ]


def register_cli(root, admin, kit: CliKit) -> None:
    payt = admin.add_parser("payt", help="PAYT / TrackerPro: admin keys, clients, users, fleets")
    sub = payt.add_subparsers(dest="payt_command", required=True)

    key = sub.add_parser("create-admin-key", help="create a TrackerPro admin key (printed once)")
    key.add_argument("--name", required=True)
    key.add_argument("--key", help="use this key instead of a random one")
    kit.add_db_flags(key)
    key.set_defaults(func=lambda a: _print(create_admin_key(kit.open_services(a), name=a.name, key=a.key)))

    client = sub.add_parser("create-client", help="create a PAYT client (company)")
    client.add_argument("--company", required=True)
    client.add_argument("--timezone", default="Europe/London")
    kit.add_db_flags(client)
    client.set_defaults(func=lambda a: _print(create_client(kit.open_services(a), company=a.company,
                                                            timezone=a.timezone)))

    user = sub.add_parser("create-user", help="create a PAYT user (e-mail is the user name)")
    user.add_argument("--company", required=True)
    user.add_argument("--email", required=True)
    user.add_argument("--password", required=True)
    kit.add_db_flags(user)

    def create_user_command(args) -> int:
        try:
            return _print(create_user(kit.open_services(args), company=args.company, email=args.email,
                                      password=args.password))
        except domain.PaytError as exc:
            raise CliError(exc.message) from exc

    user.set_defaults(func=create_user_command)

    # folders, devices, vehicles, drivers, locations, tasks, permissions (admin_fleet.py)
    register_fleet_cli(sub, kit, _print)
    register_data_cli(root, kit, _print)


def _print(result: dict) -> int:
    print(json.dumps(result, indent=2, default=str))
    return 0
