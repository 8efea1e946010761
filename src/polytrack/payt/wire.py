"""PAYT v2 (/api2.ashx) and TrackerPro Admin (/trackerpro_admin.ashx) on the wire.

Parses the request (ASP.NET rules: case-insensitive names, query string wins over the form),
authenticates (ticket / XAuthorization header, or the admin `key`), rate-limits, logs the call,
dispatches on op/subop to `domain`, and renders the Google-Visualization-like envelope, plain
JSON or JSONP. Every failure is an HTTP 200 error envelope with the vendor's reason codes.
"""

from __future__ import annotations

import logging
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from polytrack.kernel.dates import dotnet_roundtrip, epoch_ms
from polytrack.kernel.params import BadRequestBody, Params, read_params
from polytrack.kernel.render import Raw, json_response, to_json, valid_callback
from polytrack.kernel.routing import CaseInsensitiveRoute
from polytrack.payt import domain
from polytrack.payt.domain import PaytError

log = logging.getLogger("polytrack.payt")

VERSION = "0.6"
DEFAULT_CALLS_PER_MINUTE = 600
LOGIN_ATTEMPTS_PER_MINUTE = 30


# --- envelope ---------------------------------------------------------------------------------

def signature(payload) -> str:
    """Google's `sig`: a signed 32-bit hash of the payload, as a decimal string (spec U-5)."""
    value = zlib.crc32(to_json(payload).encode())
    return str(value - (1 << 32) if value >= (1 << 31) else value)


def ok_envelope(req_id: str | None, key: str, payload, *, sig: str | None = None) -> dict:
    return {
        "version": VERSION,
        "reqId": req_id if req_id is not None else "0",
        "status": "ok",
        "sig": signature(payload) if sig is None else sig,
        key: payload,
    }


def error_envelope(req_id: str | None, reason: str, message: str) -> dict:
    envelope: dict = {"version": VERSION}
    if req_id is not None:
        envelope["reqId"] = req_id
    envelope["status"] = "error"
    envelope["errors"] = [{"reason": reason, "message": message}]
    return envelope


# --- datasets ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    label: str
    type: str  # number | string | datetime | boolean
    autoincrement: bool = False


@dataclass
class DataTable:
    tablename: str
    primarykey: list[int]
    columns: list[Column]
    rows: list[list] = field(default_factory=list)


class DateFormat:
    """Cells of datetime columns: `new Date(ms)` unquoted by default, .NET "o" text with dtm=o.

    Cells may hold an aware datetime or integer epoch milliseconds (what the tables store).
    `quoted` is the server-side switch of spec U-3 for clients that need strict JSON.
    """

    def __init__(self, dtm: str | None, *, quoted: bool = False):
        self.iso = (dtm or "").strip().lower() == "o"
        self.quoted = quoted

    def __call__(self, value: datetime | int | None):
        if value is None:
            return None
        if self.iso:
            if not isinstance(value, datetime):
                value = datetime.fromtimestamp(value / 1000.0, timezone.utc)
            return dotnet_roundtrip(value)
        ms = value if isinstance(value, int) else epoch_ms(value)
        text = f"new Date({ms})"
        return text if self.quoted else Raw(text)


def dataset(name: str, tables: list[DataTable], dates: DateFormat) -> dict:
    rendered = []
    for table in tables:
        cols = [
            {"id": str(i), "label": c.label, "type": c.type, "p": {"autoincrement": True} if c.autoincrement else {}}
            for i, c in enumerate(table.columns)
        ]
        date_cols = [i for i, c in enumerate(table.columns) if c.type == "datetime"]
        rows = []
        for row in table.rows:
            cells = list(row)
            for i in date_cols:
                cells[i] = dates(cells[i])
            rows.append({"c": [{"v": v} for v in cells]})
        rendered.append({"cols": cols, "rows": rows, "p": {"tablename": table.tablename, "primarykey": table.primarykey}})
    return {"datasetname": name, "tables": rendered}


# --- request context and dispatch -------------------------------------------------------------

@dataclass
class Call:
    """One request as the operations see it."""

    services: object
    conn: object
    params: Params
    dates: DateFormat
    caller: domain.Caller | None = None
    integrator: domain.Integrator | None = None
    ticket: str | None = None

    def require(self, name: str) -> str:
        value = self.params.get(name)
        if value is None or value.strip() == "":
            raise domain.invalid_query(f"Missing parameter: {name}")
        return value.strip()

    def require_int(self, name: str) -> int:
        value = self.require(name)
        try:
            return int(value)
        except ValueError:
            raise domain.invalid_query(f"Invalid parameter: {name} must be an integer") from None

    def int_list(self, name: str, *, required: bool = True) -> list[int] | None:
        """A comma-separated id list (`1,2,3`; PHP-style repeats also accepted). `0` anywhere
        means "all" and yields None, as does an absent optional parameter."""
        raw = self.params.get_list(name, split_commas=True)
        if not raw:
            if required:
                raise domain.invalid_query(f"Missing parameter: {name}")
            return None
        try:
            ids = [int(part) for part in raw]
        except ValueError:
            raise domain.invalid_query(f"Invalid parameter: {name} must be a comma-separated list of integers") from None
        return None if 0 in ids else sorted(set(ids))


@dataclass(frozen=True)
class Result:
    key: str  # ticketid | value | dataset
    payload: object
    sig: str | None = None  # None = computed from the payload


# (op, subop) lower-case -> handler(call) -> Result. Handlers for the PAYT API need a ticket;
# TrackerPro handlers need an admin key. Other modules add entries with `payt_op`/`trackerpro_op`.
PAYT_OPS: dict[tuple[str, str], Callable[[Call], Result]] = {}
TRACKERPRO_OPS: dict[tuple[str, str], Callable[[Call], Result]] = {}
PUBLIC_PAYT_OPS = {("authenticate", "login")}


def payt_op(op: str, subop: str):
    def register(handler):
        PAYT_OPS[(op.lower(), subop.lower())] = handler
        return handler
    return register


def trackerpro_op(op: str, subop: str):
    def register(handler):
        TRACKERPRO_OPS[(op.lower(), subop.lower())] = handler
        return handler
    return register


@payt_op("Authenticate", "Login")
def _login(call: Call) -> Result:
    username = call.require("username")
    password = call.params.get("password")
    if password is None or password == "":
        raise domain.invalid_query("Missing parameter: password")
    settings = call.services.settings
    # Committed on its own so failed attempts count (brute-force guard).
    with call.services.engine.begin() as conn:
        decision = call.services.limiter.hit(
            conn, f"payt:login:{username.lower()}", limit=LOGIN_ATTEMPTS_PER_MINUTE, period=60
        )
    if not decision.allowed:
        raise PaytError("access_denied", "Call rate limit exceeded")
    ticket = domain.login(
        call.conn, call.services.tokens, username=username, password=password,
        idle_seconds=settings.api_setting("payt.ticket_idle_seconds", domain.TICKET_IDLE_SECONDS),
    )
    return Result("ticketid", ticket)


@payt_op("Authenticate", "Logout")
def _logout(call: Call) -> Result:
    domain.logout(call.conn, call.services.tokens, call.ticket or "")
    return Result("value", "")


@trackerpro_op("Admin", "Register")
def _register(call: Call) -> Result:
    company, email = call.require("company"), call.require("email")
    password = call.require("password")
    ssid = domain.register(
        call.conn, call.services.clock, call.services.tokens, call.integrator,
        company=company, email=email, password=password,
    )
    return Result("value", ssid, sig="")


def _ticket_from(request: Request, params: Params) -> str | None:
    ticket = params.get("ticket")
    if ticket:
        return ticket
    header = request.headers.get("xauthorization", "").strip()
    if header.lower().startswith("bearer "):
        header = header[7:].strip()
    return header or None


async def _handle(request: Request, services, *, trackerpro: bool) -> Response:
    api_name = "trackerpro" if trackerpro else "payt"
    try:
        params = await read_params(request, body_wins=False)
    except BadRequestBody:
        return json_response(error_envelope(None, "invalid_request", "Invalid request"))
    req_id = params.get("reqId")
    callback = params.get("callback")
    if callback is not None and not valid_callback(callback):
        return json_response(error_envelope(req_id, "invalid_request", "Invalid callback name"))
    op, subop = (params.get("op") or "").strip(), (params.get("subop") or "").strip()
    with services.calllog.timed(api=api_name, operation=f"{op}/{subop}") as logged:
        try:
            if not op or not subop:
                raise PaytError("invalid_request", "Missing parameter: op and subop are required")
            quoted = str(services.settings.api.get("payt.quote_dates", "")).strip().lower() in ("1", "true", "yes", "on")
            call = Call(services=services, conn=None, params=params, dates=DateFormat(params.get("dtm"), quoted=quoted))
            handler = _authenticate(request, call, op, subop, trackerpro, logged)
            # The operation runs in its own transaction: its failure must not undo the rate-limit hit.
            with services.engine.begin() as conn:
                call.conn = conn
                result = handler(call)
            envelope = ok_envelope(req_id, result.key, result.payload, sig=result.sig)
        except PaytError as exc:
            logged.outcome = exc.reason
            envelope = error_envelope(req_id, exc.reason, exc.message)
        except Exception:
            log.exception("%s %s/%s failed", api_name, op, subop)
            logged.outcome = "internal_error"
            envelope = error_envelope(req_id, "internal_error", "Internal error")
    return json_response(envelope, callback=callback)


def _authenticate(request: Request, call: Call, op: str, subop: str, trackerpro: bool, logged):
    """Find the caller, check the rate limit and return the operation's handler."""
    key = (op.lower(), subop.lower())
    services = call.services
    per_minute = services.settings.api_setting("payt.calls_per_minute", DEFAULT_CALLS_PER_MINUTE)
    if not trackerpro and key in PUBLIC_PAYT_OPS:
        return PAYT_OPS[key]
    with services.engine.begin() as conn:
        if trackerpro:
            call.integrator = domain.integrator_for_key(conn, call.params.get("key"))
            logged.account = call.integrator.name
            handler = TRACKERPRO_OPS.get(key)
            limit_key = f"payt:adminkey:{call.integrator.admin_key_id}"
        else:
            call.ticket = _ticket_from(request, call.params)
            call.caller = domain.caller_for_ticket(conn, services.tokens, call.ticket)
            logged.account = call.caller.email
            handler = PAYT_OPS.get(key)
            limit_key = f"payt:client:{call.caller.client_id}"
            per_minute = call.caller.calls_per_minute or per_minute
        if handler is None:
            raise PaytError("unsupported_query_operation", f"Unsupported operation: {op}/{subop}")
        decision = services.limiter.hit(conn, limit_key, limit=per_minute, period=60)
    if not decision.allowed:
        raise PaytError("access_denied", "Call rate limit exceeded")
    return handler


def routes(services) -> list:
    async def payt_endpoint(request: Request) -> Response:
        return await _handle(request, services, trackerpro=False)

    async def trackerpro_endpoint(request: Request) -> Response:
        return await _handle(request, services, trackerpro=True)

    from polytrack.payt import launch_pages

    return [
        Route("/api2.ashx", payt_endpoint, methods=["GET", "POST"]),
        CaseInsensitiveRoute("/trackerpro_admin.ashx", trackerpro_endpoint, methods=("GET", "POST")),
        *launch_pages.routes(services),
    ]


# The operation modules register their handlers in PAYT_OPS / TRACKERPRO_OPS on import.
from polytrack.payt import ops  # noqa: E402,F401

