"""AvidTrak REST (/webservice/api.php) on the wire.

PHP rules: GET query and POST form merged with the body winning, names case-insensitive.
The request pipeline of spec §3.5, first failure wins:
    format (6, always rendered as JSON) -> pincode (3 missing, 4 unknown) -> method (404)
    -> rate limit -> permission (code 0) -> parameters and the action (code 0 or 1).
Every answer is HTTP 200 with `{"code", "status", "data"}` as JSON or as the XML of §3.2.

Hot path (bench/RESULTS.md): authentication is one driver query on `services.hot` that also
reads the payer's balance, the rate-limit hit runs on `services.hot` too, and settings are read
once when the routes are built. A successful get_remaining_balance touches SQLAlchemy not at all;
methods that need more open their own `engine.begin()` transaction after the hit.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import cached_property
from decimal import Decimal
from typing import Callable

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from polytrack.avidtrak import domain
from polytrack.avidtrak.errors import (
    AvidTrakError, agency_only, internal_error, not_implemented, pro_account_required, rate_limited,
)
from polytrack.kernel.params import BadRequestBody, Params, parse_query, read_form_pairs
from polytrack.kernel.render import JSON_TYPE, TextResponse, xml_response

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
# Read by the pipeline itself, before any method handler (spec §3.5).
GLOBAL_PARAMETERS = ("format", "method", "pincode")

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
    """One authenticated request as a method handler sees it. Handlers that need the database
    open their own `services.engine.begin()` transaction."""

    services: object
    pairs: list[tuple[str, str]]  # the request's parameters as sent (query, then form body)
    account: domain.Account
    payer_balance: Decimal | None  # read with the pincode, in the same query
    method: str
    timezone: str  # avidtrak.timezone

    @cached_property
    def params(self) -> Params:
        """The method's parameters by PHP's rules; built when a handler first asks."""
        return Params(self.pairs, last_wins=True)


# method name -> handler(call) -> the `data` of a code-1 answer. Later issues add entries.
HANDLERS: dict[str, Callable[[Call], object]] = {}


def method(name: str):
    def register(handler):
        HANDLERS[name] = handler
        return handler
    return register


@method("get_remaining_balance")
def _get_remaining_balance(call: Call):
    return domain.remaining_balance(call.account, call.payer_balance)


@method("client_list")
def _client_list(call: Call):
    with call.services.engine.begin() as conn:
        return domain.client_list(conn, call.services, call.account, call.payer_balance, call.timezone)


# --- pipeline -----------------------------------------------------------------------------------

class _Refused(Exception):
    """A pipeline stop with a non-zero table code and `data: null` (3, 4, 404)."""

    def __init__(self, code: int):
        super().__init__(STATUS[code])
        self.code = code


def _logged_operation(method_name: str) -> str:
    """What the call log records: the method, or a printable excerpt of an unknown one (raw
    input may hold NUL bytes, which PostgreSQL text columns refuse)."""
    if method_name in METHODS:
        return method_name
    printable = "".join(ch for ch in method_name if ch.isprintable())[:40]
    return f"?{printable}" if method_name else "-"


def _json_default(value):
    if isinstance(value, Decimal):  # as kernel.render.to_json does
        return float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


# kernel.render.to_json's output (compact, UTF-8 as is) from one encoder built once: AvidTrak
# envelopes hold no `Raw` fragments, so the per-call set-up there is not needed.
_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=_json_default)


def render(fmt: str, code: int, data) -> Response | TextResponse:
    envelope = {"code": code, "status": STATUS[code], "data": data}
    if fmt == "xml":
        return xml_response("response", envelope, item_name="row")
    return TextResponse(_JSON.encode(envelope), JSON_TYPE)


def global_parameters(pairs: list[tuple[str, str]]) -> tuple[str, str, str]:
    """format, method and pincode, trimmed, "" when not given: what `Params(pairs,
    last_wins=True).get(name)` reads (names case-insensitive, an exact lower-case spelling
    preferred, the last repeat winning; `pincode[]` is an array, not the pincode; tests compare
    the two), without indexing every parameter of the request."""
    spellings: dict[str, list[tuple[bool, str]]] = {}
    for name, value in pairs:
        name = name.strip()
        key = name.lower()
        if key in GLOBAL_PARAMETERS:
            spellings.setdefault(key, []).append((name == key, value))
    found = []
    for key in GLOBAL_PARAMETERS:
        entries = spellings.get(key, ())
        exact = [value for is_exact, value in entries if is_exact]
        chosen = exact or [value for _, value in entries]
        found.append(chosen[-1].strip() if chosen else "")
    return found[0], found[1], found[2]


async def _read(request: Request) -> list[tuple[str, str]]:
    """PHP's $_REQUEST: query string, then the form body (which wins; last repeat wins). The
    query comes straight from the ASGI scope (`request.url` would build the whole URL and split
    it again); bytes that are not UTF-8 become U+FFFD instead of failing the request."""
    scope = request.scope
    pairs = parse_query(scope["query_string"].decode("utf-8", "replace"))
    if scope["method"] == "POST":  # GET and HEAD carry no form
        try:
            pairs += await read_form_pairs(request)
        except BadRequestBody:
            pass  # PHP parses what it can; an unreadable body leaves only the query string
    return pairs


class Endpoint:
    """/webservice/api.php for one app: the settings it needs, read once when routes are built."""

    def __init__(self, services):
        self.services = services
        settings = services.settings
        self.calls_per_minute = settings.api_setting("avidtrak.calls_per_minute", DEFAULT_CALLS_PER_MINUTE)
        self.timezone = settings.api_setting("avidtrak.timezone", DEFAULT_TIMEZONE)
        self.pincodes = services.read_cache()  # pincode -> (account, payer balance)

    async def handle(self, request: Request) -> Response | TextResponse:
        pairs = await _read(request)
        fmt, method_name, pincode = global_parameters(pairs)
        fmt = fmt.lower()
        with self.services.calllog.timed(api=API, operation=_logged_operation(method_name)) as logged:
            if fmt not in FORMATS:
                logged.outcome = str(BAD_FORMAT)
                return render("json", BAD_FORMAT, None)
            try:
                data = self._dispatch(pairs, pincode, method_name, logged)
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

    def _dispatch(self, pairs: list[tuple[str, str]], pincode: str, method_name: str, logged):
        services = self.services
        if not pincode:
            raise _Refused(AUTH_REQUIRED)
        # Both on the hot connection in autocommit: the hit is committed on its own, so a
        # failing method never undoes it.
        found = domain.authenticate(services.hot, pincode, self.pincodes)
        if found is None:
            raise _Refused(AUTH_FAILED)
        account, payer_balance = found
        logged.account = account.userid
        if method_name not in METHODS:
            raise _Refused(BAD_METHOD)
        decision = services.limiter.hit(services.hot, f"avidtrak:account:{account.id}",
                                        limit=self.calls_per_minute, period=60)
        if not decision.allowed:
            raise rate_limited()
        if method_name in AGENCY_ONLY and not account.is_agency:
            raise agency_only()
        if method_name in PRO_ONLY and account.is_lite:
            raise pro_account_required()
        handler = HANDLERS.get(method_name)
        if handler is None:
            raise not_implemented(method_name)
        return handler(Call(services=services, pairs=pairs, account=account, payer_balance=payer_balance,
                            method=method_name, timezone=self.timezone))


def routes(services) -> list:
    endpoint = Endpoint(services)

    async def api_php(request: Request) -> Response | TextResponse:
        return await endpoint.handle(request)

    async def not_found(_request: Request) -> Response:
        # Without this, Starlette would redirect `/webservice/api.php/` to the endpoint.
        return PlainTextResponse("Not Found", status_code=404)

    return [
        Route(PATH, api_php, methods=["GET", "POST"]),
        Route(PATH + "/", not_found),
    ]
