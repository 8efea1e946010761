"""Provisioning for Trackier: networks and API keys. Used by the operator HTTP API
(/_polytrack/trackier/...) and by `polytrack admin trackier ...`.

Trackier creates keys in its admin panel; here the operator does. A key is printed once: only
its digest is stored.
"""

from __future__ import annotations

import json

from starlette.responses import JSONResponse
from starlette.routing import Route

from polytrack.admin_http import AdminError, json_body
from polytrack.apis import CliError, CliKit
from polytrack.kernel.secrets import random_hex
from polytrack.trackier import domain, postbacks
from polytrack.trackier.errors import TrackierError
from polytrack.trackier.shapes import day

MAX_KEY_LENGTH = 255
MAX_NAME_LENGTH = 255  # trackier_networks.name


def _network_info(network: domain.Network, created_at: float | None = None) -> dict:
    info = {"_id": network.object_id, "name": network.name, "timezone": network.timezone,
            "currency": network.currency, "live": network.live}
    if created_at is not None:
        info["created"] = day(created_at, network)
    return info


def create_network(services, *, name: str, timezone: str | None = None, currency: str | None = None,
                   live: bool = True) -> dict:
    name = (name or "").strip()
    if not name:
        raise AdminError(400, "missing field(s): name")
    if len(name) > MAX_NAME_LENGTH:
        raise AdminError(400, f"name must be at most {MAX_NAME_LENGTH} characters")
    with services.transaction() as db:
        try:
            network = domain.create_network(
                db, services.clock, name=name, timezone=timezone or domain.DEFAULT_TIMEZONE,
                currency=currency or domain.DEFAULT_CURRENCY, live=live,
            )
        except ValueError as exc:
            raise AdminError(400, str(exc)) from exc
        token = domain.security_token(db, network)
    # the postback secret, shown to the operator (advertisers' /acquisition calls carry it)
    return {**_network_info(network, services.clock.timestamp()), "security_token": token}


def create_api_key(services, *, network_id: str, role: str, ips=None, user_id: str | None = None,
                   key: str | None = None, live: bool = True) -> dict:
    """A new key for the network; `user_id` (the user's _id or display id) for advertiser and
    affiliate keys. Returns the key in clear text, once."""
    role = (role or "").strip().lower()
    key = (key or "").strip() or random_hex(16)
    if len(key) > MAX_KEY_LENGTH or any(ch.isspace() for ch in key):
        raise AdminError(400, f"key must be 1-{MAX_KEY_LENGTH} characters without spaces")
    with services.transaction() as db:
        network = domain.network_by_object_id(db, network_id or "")
        if network is None:
            raise AdminError(404, f"no network with _id {network_id!r}")
        user_row = None
        if user_id not in (None, ""):
            if role not in domain.ROLE_USER_TYPE:
                raise AdminError(400, "only advertiser and affiliate keys belong to a user")
            try:
                user_row = domain.find_user(db, network, user_type=domain.ROLE_USER_TYPE[role], ident=str(user_id))
            except TrackierError:
                raise AdminError(404, f"no {domain.ROLE_USER_TYPE[role]} {user_id!r} in this network") from None
        try:
            domain.create_api_key(db, services.clock, network=network, role=role, key=key, ips=ips,
                                  user_id=user_row.id if user_row else None, live=live)
        except ValueError as exc:
            raise AdminError(400, str(exc)) from exc
        except KeyError:
            raise AdminError(409, "this API key already exists") from None
    return {
        "key": key, "role": role, "network_id": network.object_id,
        "user_id": user_row.object_id if user_row else None,
        "ips": domain.normalise_ip_whitelist(ips), "live": live,
    }


def _flag(data: dict, name: str, default: bool = True) -> bool:
    value = data.get(name, default)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "0", "false", "no"):
        return value.strip().lower() in ("1", "true", "yes")
    raise AdminError(400, f"{name} must be true or false")


def _text(data: dict, name: str) -> str | None:
    """A text field of an operator body (JSON, form or query); None when absent, null or empty."""
    value = data.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise AdminError(400, f"{name} must be a string")
    if "\x00" in value:  # no PostgreSQL text column can hold it
        raise AdminError(400, f"{name} must not contain NUL characters")
    return value


def _user_id(data: dict) -> str | None:
    """The user's _id or display id: a string, or the display id as a JSON number."""
    value = data.get("user_id")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _text(data, "user_id")


def admin_routes(services) -> list:
    async def post_network(request):
        data = await json_body(request)
        result = create_network(services, name=_text(data, "name") or "", timezone=_text(data, "timezone"),
                                currency=_text(data, "currency"), live=_flag(data, "live"))
        return JSONResponse(result, status_code=201)

    async def post_api_key(request):
        data = await json_body(request)
        result = create_api_key(
            services, network_id=request.path_params["network_id"], role=_text(data, "role") or "",
            ips=data.get("ips"), user_id=_user_id(data), key=_text(data, "key"), live=_flag(data, "live"),
        )
        return JSONResponse(result, status_code=201)

    async def get_deliveries(request):
        return JSONResponse(postback_deliveries(services, request.path_params["network_id"]))

    return [
        Route("/networks", post_network, methods=["POST"]),
        Route("/networks/{network_id}/api-keys", post_api_key, methods=["POST"]),
        Route("/networks/{network_id}/postback-deliveries", get_deliveries, methods=["GET"]),
    ]


def postback_deliveries(services, network_id: str) -> dict:
    """The network's latest 100 outbound postbacks, newest first: what was sent where, and how
    it went (the operator's view of the delivery queue)."""
    network = domain.network_by_object_id(services.hot, network_id or "")
    if network is None:
        raise AdminError(404, "no such network")
    rows = postbacks.list_deliveries(services.hot, network.id)
    return {"deliveries": [
        {"_id": row.object_id, "conversion_id": row.conversion_object_id, "url": row.url, "status": row.status,
         "attempts": row.attempts, "last_status": row.last_status, "last_error": row.last_error,
         "created": row.created_at, "delivered": row.delivered_at,
         "next_attempt": row.next_attempt_at if row.status == "pending" else None} for row in rows]}


def register_cli(root, admin, kit: CliKit) -> None:
    trackier = admin.add_parser("trackier", help="Trackier: networks and API keys")
    sub = trackier.add_subparsers(dest="trackier_command", required=True)

    network = sub.add_parser("create-network", help="create a Trackier network (the tenant)")
    network.add_argument("--name", required=True)
    network.add_argument("--timezone", default=domain.DEFAULT_TIMEZONE, help="PHP/IANA zone, e.g. Asia/Kolkata")
    network.add_argument("--currency", default=domain.DEFAULT_CURRENCY)
    kit.add_db_flags(network)
    network.set_defaults(func=lambda a: _run(kit, create_network, a, name=a.name, timezone=a.timezone,
                                             currency=a.currency))

    key = sub.add_parser("create-api-key", help="create an API key (printed once)")
    key.add_argument("--network", required=True, help="the network's _id")
    key.add_argument("--role", required=True, choices=domain.ROLES)
    key.add_argument("--ip", action="append", default=[], help="whitelisted IP or CIDR (repeat); none = any")
    key.add_argument("--user-id", help="advertiser/affiliate _id or display id (for those roles)")
    key.add_argument("--key", help="use this key instead of a random one")
    kit.add_db_flags(key)
    key.set_defaults(func=lambda a: _run(kit, create_api_key, a, network_id=a.network, role=a.role, ips=a.ip,
                                         user_id=a.user_id, key=a.key))


def _run(kit: CliKit, action, args, **kwargs) -> int:
    services = kit.open_services(args)
    try:
        result = action(services, **kwargs)
    except AdminError as exc:
        raise CliError(exc.message) from exc
    finally:
        services.engine.dispose()
    print(json.dumps(result, indent=2))
    return 0
