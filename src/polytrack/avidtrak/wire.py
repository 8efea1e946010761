"""AvidTrak REST (/webservice/api.php) on the wire: reading the request, the pincode, the
`{"code", "status", "data"}` envelope as JSON or XML.

PHP rules: GET query and POST form merged with the body winning, names case-insensitive.
The request pipeline, first failure wins:
    format (6, always rendered as JSON) -> pincode (3 missing, 4 unknown) -> method (404)
    -> rate limit -> permission (code 0) -> parameters and the action (code 0 or 1).
The wire does the first three; the Runner (operations/) the rest. Every answer is HTTP 200.

Hot path (bench/RESULTS.md): authentication is one fixed query on the held connection that
also reads the payer's balance, the rate-limit hit runs there too, and settings are read once
when the routes are built. A successful get_remaining_balance touches SQLAlchemy not at all.
"""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from polytrack.avidtrak import domain, providers, server_keys, site_script, voice
from polytrack.avidtrak.billing import Prices
from polytrack.avidtrak.errors import AvidTrakError, internal_error, not_implemented, rate_limited
from polytrack.avidtrak.operations import registry
from polytrack.avidtrak.operations.base import DEFAULT_CALLS_PER_MINUTE, AvidTrakCall, AvidTrakSettings
from polytrack.avidtrak.values import DEFAULT_COUNTRIES, DEFAULT_TIMEZONE
from polytrack.kernel import guard
from polytrack.kernel.calllog import LoggedCall
from polytrack.kernel.operations import NotImplementedYet, Operation, Runner
from polytrack.kernel.params import BadInput, query_pairs, read_form_pairs
from polytrack.kernel.render import JSON_TYPE, TextResponse, xml_response
from polytrack.services import Services

log = logging.getLogger("polytrack.avidtrak")

PATH = "/webservice/api.php"

# The code table, with the exact status strings.
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
# Read by the pipeline itself, before any method handler.
GLOBAL_PARAMETERS = ("format", "method", "pincode")


class _Refused(Exception):
    """A pipeline stop with a non-zero table code and `data: null` (3, 4, 404)."""

    def __init__(self, code: int):
        super().__init__(STATUS[code])
        self.code = code


def _logged_operation(method_name: str, operation: Operation | None) -> str:
    """What the call log records: the method, or a printable excerpt of an unknown one (raw
    input may hold NUL bytes, which PostgreSQL text columns refuse)."""
    if operation is not None:
        return operation.name
    printable = "".join(ch for ch in method_name if ch.isprintable())[:40]
    return f"?{printable}" if method_name else "-"


def _json_default(value):
    if isinstance(value, Decimal):  # as kernel.render.to_json does
        return float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


# kernel.render.to_json's output (compact, UTF-8 as is) from one encoder built once: AvidTrak
# envelopes hold no `Raw` fragments, so the per-call set-up there is not needed.
_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=_json_default)


# The `legacy_http_codes` setting: the codes the vendor's JSON examples show, for clients
# written against them (the status strings stay the table's).
LEGACY_CODES = {SUCCESS: 200, AUTH_REQUIRED: 401, AUTH_FAILED: 401}


def render(fmt: str, code: int, data, *, legacy_codes: bool = False) -> Response | TextResponse:
    shown = LEGACY_CODES.get(code, code) if legacy_codes else code
    envelope = {"code": shown, "status": STATUS[code], "data": data}
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


async def read_pairs(request: Request) -> list[tuple[str, str]]:
    """PHP's $_REQUEST: query string, then the form body (which wins; last repeat wins). PHP
    refuses neither: query bytes that are not UTF-8 read as U+FFFD, and a form body that cannot
    be read is ignored, leaving the query string alone (PHP parses what it can)."""
    pairs = query_pairs(request.scope)
    if request.scope["method"] == "POST":  # GET and HEAD carry no form
        try:
            pairs += await read_form_pairs(request)
        except BadInput:
            pass
    return pairs


class Endpoint:
    """/webservice/api.php for one app: its Runner and settings, built once with the routes."""

    def __init__(self, services: Services):
        self.services = services
        knob = services.settings.api_setting
        # Unknown pincodes per client address: once over the limit, that address is refused.
        self.guard = guard.FailedAuthGuard(
            services.limiter, services.hot, api="avidtrak",
            limit=knob("avidtrak.failed_auth_limit", guard.DEFAULT_LIMIT),
            period=knob("avidtrak.failed_auth_period", guard.DEFAULT_PERIOD),
        )
        keys = server_keys.prepare(services)  # stored rows upgraded to the keys before serving
        self.settings = AvidTrakSettings(
            calls_per_minute=knob("avidtrak.calls_per_minute", DEFAULT_CALLS_PER_MINUTE),
            timezone=knob("avidtrak.timezone", DEFAULT_TIMEZONE),
            keys=keys,
            provider=providers.build(knob, keys.sandbox_auth_token()),
            prices=Prices.from_settings(knob),
            countries=tuple(code.strip().upper() for code in knob("avidtrak.countries", DEFAULT_COUNTRIES).split(",")
                            if code.strip()),
        )
        self.legacy_codes = knob("avidtrak.legacy_http_codes", False)
        self.runner = Runner(services, registry, refused=lambda _limit, _decision: rate_limited())
        # pincode -> (account, payer balance); talk time is charged by the voice webhooks, whose
        # commits move only the collected-data marker (kernel.hot.CollectedDB), so this cache follows it too
        self.pincodes = services.read_cache(follows_collected=True)

    async def handle(self, request: Request) -> Response | TextResponse:
        pairs = await read_pairs(request)
        fmt, method_name, pincode = global_parameters(pairs)
        fmt = fmt.lower()
        operation = registry.get(method_name)
        with self.runner.timed(_logged_operation(method_name, operation)) as logged:
            if fmt not in FORMATS:
                logged.outcome = str(BAD_FORMAT)
                return render("json", BAD_FORMAT, None, legacy_codes=self.legacy_codes)
            data: Any
            try:
                data = self._answer(request, pairs, pincode, operation, logged)
                code = SUCCESS
            except _Refused as refused:
                code, data = refused.code, None
            except AvidTrakError as exc:
                code, data = UNKNOWN_ERROR, exc.detail()
            except Exception:
                log.exception("avidtrak %s failed", method_name)
                code, data = UNKNOWN_ERROR, internal_error().detail()
            logged.outcome = "ok" if code == SUCCESS else (data["error"] if code == UNKNOWN_ERROR else str(code))
            return render(fmt, code, data, legacy_codes=self.legacy_codes)

    def _answer(self, request: Request, pairs: list[tuple[str, str]], pincode: str, operation: Operation | None,
                logged: LoggedCall):
        """The pincode, the method, then the Runner: the `data` of a code-1 answer."""
        if not pincode:
            raise _Refused(AUTH_REQUIRED)
        client = request.scope.get("client")
        address = client[0] if client else None
        if self.guard.blocked(address):
            # Before the pincode is looked at, so the answer is the same whether it is right:
            # rate_limited, which says "wait", rather than code 4, which says "wrong pincode"
            # (docs/avidtrak.md "Failed pincodes").
            raise rate_limited()
        found = domain.authenticate(self.services.hot, self.settings.keys, pincode, self.pincodes)
        if found is None:
            self.guard.failed(address)
            raise _Refused(AUTH_FAILED)
        account, payer_balance = found
        logged.account = account.userid
        if operation is None:
            raise _Refused(BAD_METHOD)
        call = AvidTrakCall(self.services, operation, self.settings, pairs, account, payer_balance)
        try:
            return self.runner.run(call)
        except NotImplementedYet:  # after its permission hooks, as for every method
            raise not_implemented(operation.name) from None


def routes(services: Services) -> list:
    endpoint = Endpoint(services)
    store = voice.CollectedStore(services)  # calls and visits, in shared transactions
    collection = voice.routes(services, store, endpoint.settings.provider.signing_token, endpoint.settings.prices)

    async def api_php(request: Request) -> Response | TextResponse:
        return await endpoint.handle(request)

    async def not_found(_request: Request) -> Response:
        # Without this, Starlette would redirect `/webservice/api.php/` to the endpoint.
        return PlainTextResponse("Not Found", status_code=404)

    return [
        Route(PATH, api_php, methods=["GET", "POST"]),
        Route(PATH + "/", not_found),
        *collection,
        *site_script.routes(services, store),
    ]
