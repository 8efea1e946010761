"""The operator API under /_polytrack/: reset, seed, call log, and each API's provisioning.

Guarded by the admin token (`Authorization: Bearer <token>` or `X-Admin-Token`). Sandbox users
ask for exactly these: wipe everything between CI runs, load known demo data, create accounts.
"""

from __future__ import annotations

import hmac
import os

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Mount, Route

from polytrack.apis import operations_table
from polytrack.demo import credentials, seed_demo
from polytrack.kernel.db import wipe
from polytrack.kernel.params import BadInput, parse_json, query_pairs, read_body, read_form_pairs
from polytrack.kernel.tables import kernel_call_log


class AdminError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def authorised(services, request: Request) -> bool:
    expected = services.settings.admin_token
    if not expected:
        return False
    given = request.headers.get("x-admin-token", "")
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        given = auth[7:].strip()
    return hmac.compare_digest(given.encode(), expected.encode())


async def json_body(request: Request) -> dict:
    """The request's JSON object (form bodies and query strings are accepted too), read by the
    kernel's readers: anything they cannot read is a 400, never a 500."""
    try:
        data: dict = dict(query_pairs(request.scope))
        raw = await read_body(request)
        if raw.strip():
            content_type = request.headers.get("content-type", "")
            if "form" in content_type:
                data.update(await read_form_pairs(request))
            else:
                parsed = parse_json(raw)
                if not isinstance(parsed, dict):
                    raise AdminError(400, "body must be a JSON object")
                data.update(parsed)
    except BadInput:
        raise AdminError(400, "body is not valid JSON") from None
    return data


def guarded(services, handler):
    """Wrap an admin handler: token check, AdminError -> JSON error, never a traceback."""

    async def endpoint(request: Request):
        if not authorised(services, request):
            return error(401, "admin token missing or wrong")
        try:
            return await handler(request)
        except AdminError as exc:
            return error(exc.status, exc.message)

    return endpoint


def routes(services, packages) -> list:
    async def health(_request):
        # The worker's process id tells an operator (and the multi-worker test) who answered.
        return JSONResponse({"status": "ok", "pid": os.getpid()})

    async def reset(_request):
        services.calllog.flush()
        wipe(services.engine)
        return JSONResponse({"status": "ok", "message": "all data deleted"})

    async def seed(_request):
        seed_demo(services)
        return JSONResponse({"status": "ok", "credentials": credentials(services.settings.public_base_url(),
                                                                          services.settings)})

    async def calls(request: Request):
        services.calllog.flush()
        try:
            limit = int(request.query_params.get("limit") or 100)
        except ValueError:
            raise AdminError(400, "limit must be an integer") from None
        limit = min(max(limit, 1), 1000)
        query = select(kernel_call_log).order_by(kernel_call_log.c.id.desc()).limit(limit)
        if api := request.query_params.get("api"):
            query = query.where(kernel_call_log.c.api == api)
        rows = [dict(r._mapping) for r in services.hot.execute(query)]
        return JSONResponse({"calls": rows})

    async def apis(_request):
        return JSONResponse({"apis": operations_table(packages)})

    table: list[BaseRoute] = [
        Route("/health", health, methods=["GET"]),
        Route("/reset", guarded(services, reset), methods=["POST"]),
        Route("/seed", guarded(services, seed), methods=["POST"]),
        Route("/calls", guarded(services, calls), methods=["GET"]),
        Route("/apis", guarded(services, apis), methods=["GET"]),
    ]
    for package in packages:
        package_routes = [
            Route(r.path, guarded(services, r.endpoint), methods=r.methods) for r in package.admin_routes(services)
        ]
        if package_routes:
            table.append(Mount(f"/{package.name}", routes=package_routes))
    return table
