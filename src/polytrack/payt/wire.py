"""PAYT v2 (/api2.ashx) and TrackerPro Admin (/trackerpro_admin.ashx) on the wire.

What is the API's own: reading the request (ASP.NET rules: case-insensitive names, the query
string wins over the form), authenticating (a ticket, from the `ticket` parameter or the
XAuthorization header; the TrackerPro admin `key`), refusing an address that failed too many
credentials, and rendering the Google-Visualization-like envelope as JSON or JSONP. Every
failure is an HTTP 200 error envelope with the vendor's reason codes. The operations, their
rate limits and credit hook are in operations/; the kernel's Runner runs them.
"""

from __future__ import annotations

import logging
import zlib

from starlette.requests import Request
from starlette.routing import Route

from polytrack.kernel import guard
from polytrack.kernel.guard import FailedAuthGuard
from polytrack.kernel.operations import Limit, Runner
from polytrack.kernel.params import BadInput, Params, query_pairs, read_form_pairs
from polytrack.kernel.ratelimit import RateDecision
from polytrack.kernel.render import JS_TYPE, JSON_TYPE, Raw, TextResponse, to_json, valid_callback
from polytrack.kernel.routing import CaseInsensitiveRoute
from polytrack.payt import domain, launch_pages
from polytrack.payt.datasets import DateFormat, json_string
from polytrack.payt.domain import PaytError
from polytrack.payt.operations import PAYT, TRACKERPRO
from polytrack.payt.operations.base import PASSWORD, Answer, PaytCall, PaytSettings

log = logging.getLogger("polytrack.payt")

VERSION = "0.6"


# --- envelope ---------------------------------------------------------------------------------

def _crc_sig(payload_json: str) -> str:
    value = zlib.crc32(payload_json.encode())
    return str(value - (1 << 32) if value >= (1 << 31) else value)


def signature(payload) -> str:
    """Google's `sig`: a signed 32-bit hash of the payload, as a decimal string."""
    return _crc_sig(to_json(payload))


def ok_envelope(req_id: str | None, key: str, payload, *, sig: str | None = None) -> dict:
    return {
        "version": VERSION,
        "reqId": req_id if req_id is not None else "0",
        "status": "ok",
        "sig": signature(payload) if sig is None else sig,
        key: payload,
    }


def ok_envelope_json(req_id: str | None, key: str, payload, *, sig: str | None = None) -> str:
    """`to_json(ok_envelope(...))`, serialising the payload once: its text is both the hashed
    input of `sig` and the envelope's last member (compact JSON nests by concatenation). A
    `Raw` payload is JSON rendered already (see `datasets.dataset`, `freeze`)."""
    payload_json = payload.text if isinstance(payload, Raw) else to_json(payload)
    if sig is None:
        sig = _crc_sig(payload_json)
    return "".join((
        '{"version":"', VERSION, '","reqId":', json_string(req_id if req_id is not None else "0"),
        ',"status":"ok","sig":', json_string(sig), ",", json_string(key), ":", payload_json, "}",
    ))


def error_envelope(req_id: str | None, reason: str, message: str) -> dict:
    envelope: dict = {"version": VERSION}
    if req_id is not None:
        envelope["reqId"] = req_id
    envelope["status"] = "error"
    envelope["errors"] = [{"reason": reason, "message": message}]
    return envelope


def freeze(answer: Answer) -> tuple[Answer, int]:
    """A cacheable operation's answer as the read cache keeps it: the payload rendered to JSON
    and signed once, so a call answered from the cache renders nothing; and its size."""
    payload_json = answer.payload.text if isinstance(answer.payload, Raw) else to_json(answer.payload)
    sig = _crc_sig(payload_json) if answer.sig is None else answer.sig
    return Answer(answer.member, Raw(payload_json), sig), len(payload_json)


def _rate_limited(_limit: Limit | None = None, _decision: RateDecision | None = None) -> PaytError:
    """The answer to a call over a rate limit, and to an address blocked after failed credentials."""
    return PaytError("access_denied", "Call rate limit exceeded")


def _unsupported(name: str) -> PaytError:
    return PaytError("unsupported_query_operation", f"Unsupported operation: {name}")


def _ticket_from(request: Request, params: Params) -> str | None:
    ticket = params.get("ticket")
    if ticket:
        return ticket
    header = request.headers.get("xauthorization", "").strip()
    if header.lower().startswith("bearer "):
        header = header[7:].strip()
    return header or None


def _respond(body: str, callback: str | None) -> TextResponse:
    """JSON, or JSONP `callback(json);` (the callback name is validated before)."""
    if callback:
        return TextResponse(f"{callback}({body});", JS_TYPE)
    return TextResponse(body, JSON_TYPE)


def _address(request: Request) -> str | None:
    client = request.scope.get("client")
    return client[0] if client else None


class Wire:
    """The two endpoints and what they share, built once with the routes: settings, date
    formats, the read caches of tickets and admin keys, one Runner per registry, and the
    failed-credential guard (one for the package: tickets, passwords, admin keys and launch
    tokens count together per address)."""

    def __init__(self, services):
        settings = services.settings
        self.services = services
        self.settings = PaytSettings.from_settings(settings)
        quoted = settings.api_setting("payt.quote_dates", False)
        self.dates = DateFormat(None, quoted=quoted)  # datetime cells by default: `new Date(ms)`
        self.iso_dates = DateFormat("o", quoted=quoted)  # with dtm=o
        self.tickets = services.read_cache()  # ticket -> (caller, ...): see TokenStore.resolve_joined
        self.admin_keys = services.read_cache()  # admin key -> Integrator
        # The vehicle lists hold last positions: their cached answers follow collected data too.
        self.payt = Runner(services, PAYT, refused=_rate_limited, freeze=freeze, follows_collected=True)
        self.trackerpro = Runner(services, TRACKERPRO, refused=_rate_limited, freeze=freeze, follows_collected=True)
        failed_auth = FailedAuthGuard(
            services.limiter, services.hot, api="payt",
            limit=settings.api_setting("payt.failed_auth_limit", guard.DEFAULT_LIMIT),
            period=settings.api_setting("payt.failed_auth_period", guard.DEFAULT_PERIOD))
        self.guard: FailedAuthGuard | None = failed_auth if failed_auth.enabled else None

    def _refuse_if_blocked(self, address: str | None) -> None:
        """Before a credential is checked: an address with too many failures is refused, right
        credential or wrong, in the rate limit's shape."""
        if self.guard is not None and self.guard.blocked(address):
            raise _rate_limited()

    def _failed(self, address: str | None) -> None:
        if self.guard is not None:
            self.guard.failed(address)

    def _dates_for(self, params: Params) -> DateFormat:
        dtm = params.get("dtm")
        return self.iso_dates if dtm is not None and dtm.strip().lower() == "o" else self.dates

    async def payt_endpoint(self, request: Request) -> TextResponse:
        return await self._handle(request, self.payt, trackerpro=False)

    async def trackerpro_endpoint(self, request: Request) -> TextResponse:
        return await self._handle(request, self.trackerpro, trackerpro=True)

    async def _handle(self, request: Request, runner: Runner, *, trackerpro: bool) -> TextResponse:
        try:
            params = Params(query_pairs(request.scope, strict=True, like_url=True) + await read_form_pairs(request))
        except BadInput:
            return _respond(to_json(error_envelope(None, "invalid_request", "Invalid request")), None)
        req_id = params.get("reqId")
        callback = params.get("callback")
        if callback is not None and not valid_callback(callback):
            return _respond(to_json(error_envelope(req_id, "invalid_request", "Invalid callback name")), None)
        op, subop = (params.get("op") or "").strip(), (params.get("subop") or "").strip()
        name = f"{op}/{subop}"
        with runner.timed(name) as logged:
            try:
                if not op or not subop:
                    raise PaytError("invalid_request", "Missing parameter: op and subop are required")
                answer = self._run(request, runner, name, params, logged, trackerpro)
                body = ok_envelope_json(req_id, answer.member, answer.payload, sig=answer.sig)
            except PaytError as exc:
                logged.outcome = exc.reason
                body = to_json(error_envelope(req_id, exc.reason, exc.message))
            except Exception:
                log.exception("%s %s failed", runner.registry.api, name)
                logged.outcome = "internal_error"
                body = to_json(error_envelope(req_id, "internal_error", "Internal error"))
        return _respond(body, callback)

    def _run(self, request: Request, runner: Runner, name: str, params: Params, logged, trackerpro: bool) -> Answer:
        """Authenticate in the operation's way, then run it. An operation the registry does not
        know (or only plans) answers unsupported_query_operation once the caller is known, and
        before any rate-limit hit."""
        services = self.services
        operation = runner.registry.get(name)
        address = _address(request)
        caller = integrator = ticket = None
        if operation is not None and operation.options["auth"] == PASSWORD:  # Login: no ticket yet
            self._refuse_if_blocked(address)
        elif trackerpro:
            key = params.get("key")
            if key:
                self._refuse_if_blocked(address)
            try:
                integrator = domain.integrator_for_key(services.hot, key, self.admin_keys)
            except PaytError:
                if key:
                    self._failed(address)
                raise
            logged.account = integrator.name
        else:
            ticket = _ticket_from(request, params)
            if ticket:
                self._refuse_if_blocked(address)
            try:
                caller = domain.caller_for_ticket(services.hot, services.tokens, ticket, self.tickets)
            except PaytError:
                if ticket:
                    self._failed(address)
                raise
            logged.account = caller.email
        if operation is None or not operation.implemented:
            raise _unsupported(name)
        call = PaytCall(services, operation, self.settings, params, self._dates_for(params))
        call.caller, call.integrator, call.ticket = caller, integrator, ticket
        if operation.options["auth"] != PASSWORD:
            return runner.run(call)
        try:
            return runner.run(call)
        except PaytError as exc:
            if exc.reason == "user_not_authenticated":  # a wrong user name or password
                self._failed(address)
            raise


def routes(services) -> list:
    wire = Wire(services)
    return [
        Route("/api2.ashx", wire.payt_endpoint, methods=["GET", "POST"]),
        CaseInsensitiveRoute("/trackerpro_admin.ashx", wire.trackerpro_endpoint, methods=("GET", "POST")),
        *launch_pages.routes(services, wire.guard),
    ]
