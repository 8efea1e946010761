"""AvidTrak REST (/webservice/api.php) on the wire.

PHP rules: GET query and POST form merged with the body winning, names case-insensitive.
The request pipeline of spec §3.5, first failure wins:
    format (6, always rendered as JSON) -> pincode (3 missing, 4 unknown) -> method (404)
    -> rate limit -> permission (code 0) -> parameters and the action (code 0 or 1).
Every answer is HTTP 200 with `{"code", "status", "data"}` as JSON or as the XML of §3.2.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from polytrack.avidtrak import domain
from polytrack.avidtrak.errors import (
    AvidTrakError, agency_only, internal_error, not_implemented, pro_account_required, rate_limited,
)
from polytrack.kernel.params import BadRequestBody, Params, parse_query, read_params
from polytrack.kernel.render import json_response, xml_response

log = logging.getLogger("polytrack.avidtrak")

API = "avidtrak"
PATH = "/webservice/api.php"
DEFAULT_CALLS_PER_MINUTE = 600
DEFAULT_TIMEZONE = "UTC"

# The code table of spec §3.3, with the exact status strings.
SUCCESS, UNKNOWN_ERROR, AUTH_REQUIRED, AUTH_FAILED, BAD_FORMAT, BAD_METHOD = 1, 0, 3, 4, 6, 404
STATUS = {
    SUCCESS: "Success",
    UNKNOWN_ERROR: "Unknown Error",
    AUTH_REQUIRED: "Authentication Required",
    AUTH_FAILED: "Authentication Failed",
    BAD_FORMAT: "Invalid Response Format",
    BAD_METHOD: "Invalid Request Method",
}
FORMATS = ("json", "xml")

# Spec §10.28: the exact method names (26 from the vendor page + the designed alias).
METHODS = (
    "create_account", "update_user_details", "search_number", "purchase_number", "transfer_number",
    "assign_number", "list_numbers", "set_forwarding", "remove_forwarding", "insert_round_robin",
    "list_round_robin", "edit_round_robin", "delete_round_robin", "update_number_setting",
    "add_lite_campaign", "lite_campaign", "all_lite_calls", "call_logs", "client_list",
    "get_remaining_balance", "return_number", "visit_data", "set_smart_replacement",
    "add_metro_site_number", "list_metro_numbers", "remove_metro_site_number", "allocate_metro_number",
)
# Spec §4.4 permission matrix: refused before any parameter is looked at.
AGENCY_ONLY = {"create_account", "transfer_number", "client_list"}
PRO_ONLY = {
    "visit_data", "set_smart_replacement", "add_metro_site_number", "allocate_metro_number",
    "list_metro_numbers", "remove_metro_site_number",
}


@dataclass
class Call:
    """One authenticated request as a method handler sees it."""

    services: object
    conn: object
    params: Params
    account: domain.Account
    method: str

    @property
    def timezone(self) -> str:
        return self.services.settings.api_setting("avidtrak.timezone", DEFAULT_TIMEZONE)


# method name -> handler(call) -> the `data` of a code-1 answer. Later issues add entries.
HANDLERS: dict[str, Callable[[Call], object]] = {}


def method(name: str):
    def register(handler):
        HANDLERS[name] = handler
        return handler
    return register


@method("get_remaining_balance")
def _get_remaining_balance(call: Call):
    return domain.remaining_balance(call.conn, call.account)


@method("client_list")
def _client_list(call: Call):
    return domain.client_list(call.conn, call.services, call.account, call.timezone)


# --- pipeline -----------------------------------------------------------------------------------

class _Refused(Exception):
    """A pipeline stop with a non-zero table code and `data: null` (3, 4, 404)."""

    def __init__(self, code: int):
        super().__init__(STATUS[code])
        self.code = code


def _value(params: Params, name: str) -> str:
    return (params.get(name) or "").strip()


def _logged_operation(method_name: str) -> str:
    """What the call log records: the method, or a printable excerpt of an unknown one (raw
    input may hold NUL bytes, which PostgreSQL text columns refuse)."""
    if method_name in METHODS:
        return method_name
    printable = "".join(ch for ch in method_name if ch.isprintable())[:40]
    return f"?{printable}" if method_name else "-"


def render(fmt: str, code: int, data) -> Response:
    envelope = {"code": code, "status": STATUS[code], "data": data}
    if fmt == "xml":
        return xml_response("response", envelope, item_name="row")
    return json_response(envelope)


async def _read(request: Request) -> Params:
    try:
        return await read_params(request, body_wins=True)
    except BadRequestBody:
        # PHP parses what it can; an unreadable body leaves only the query string.
        return Params(parse_query(request.url.query), last_wins=True)


async def handle(request: Request, services) -> Response:
    params = await _read(request)
    fmt = _value(params, "format").lower()
    method_name = _value(params, "method")
    with services.calllog.timed(api=API, operation=_logged_operation(method_name)) as logged:
        if fmt not in FORMATS:
            logged.outcome = str(BAD_FORMAT)
            return render("json", BAD_FORMAT, None)
        try:
            data = _dispatch(services, params, method_name, logged)
            code = SUCCESS
        except _Refused as refused:
            code, data = refused.code, None
        except AvidTrakError as exc:
            code, data = UNKNOWN_ERROR, exc.detail()
        except Exception:
            log.exception("avidtrak %s failed", method_name)
            code, data = UNKNOWN_ERROR, internal_error().detail()
        logged.outcome = "ok" if code == SUCCESS else (data["error"] if code == UNKNOWN_ERROR else str(code))
        return render(fmt, code, data)


def _dispatch(services, params: Params, method_name: str, logged):
    pincode = _value(params, "pincode")
    if not pincode:
        raise _Refused(AUTH_REQUIRED)
    # Authentication and the rate-limit hit commit on their own: a failing method must not undo
    # the hit.
    with services.engine.begin() as conn:
        account = domain.account_for_pincode(conn, pincode)
        if account is None:
            raise _Refused(AUTH_FAILED)
        logged.account = account.userid
        if method_name not in METHODS:
            raise _Refused(BAD_METHOD)
        per_minute = services.settings.api_setting("avidtrak.calls_per_minute", DEFAULT_CALLS_PER_MINUTE)
        decision = services.limiter.hit(conn, f"avidtrak:account:{account.id}", limit=per_minute, period=60)
    if not decision.allowed:
        raise rate_limited()
    if method_name in AGENCY_ONLY and not account.is_agency:
        raise agency_only()
    if method_name in PRO_ONLY and account.is_lite:
        raise pro_account_required()
    handler = HANDLERS.get(method_name)
    if handler is None:
        raise not_implemented(method_name)
    with services.engine.begin() as conn:
        return handler(Call(services=services, conn=conn, params=params, account=account, method=method_name))


def routes(services) -> list:
    async def endpoint(request: Request) -> Response:
        return await handle(request, services)

    async def not_found(_request: Request) -> Response:
        # Without this, Starlette would redirect `/webservice/api.php/` to the endpoint.
        return PlainTextResponse("Not Found", status_code=404)

    return [
        Route(PATH, endpoint, methods=["GET", "POST"]),
        Route(PATH + "/", not_found),
    ]
