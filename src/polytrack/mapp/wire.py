"""Mapp JSON/RPC 1.1 on the wire: POST /cgi-bin/wt/JSONRPC.cgi.

Reads the raw body as JSON whatever the Content-Type says (clients send none, form or JSON
types), counts the request against the request limits of its login, authenticates per the
method's `auth` option (operations/base.py), runs the method through the kernel's Runner and
renders `{"version": "1.1", "result": ...}` or `{"version": "1.1", "error": {...}}`. Every
answer is HTTP 200: clients raise on anything else.

Hot path (docs/mapp.md): a call with a live token is identified by one statement on the held
connection (or from the read cache of live tokens) and counted there too; a method that only
reads runs on that connection, one that writes (login, logout) in one transaction.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.routing import Route

from polytrack.kernel import params as kernel_params
from polytrack.kernel.guard import DEFAULT_LIMIT, DEFAULT_PERIOD, FailedAuthGuard
from polytrack.kernel.operations import Limit, NotImplementedYet, Runner
from polytrack.kernel.params import BadInput, parse_json, read_body
from polytrack.kernel.ratelimit import RateDecision
from polytrack.kernel.render import JSON_TYPE, TextResponse, to_json
from polytrack.kernel.secrets import lookup_digest
from polytrack.mapp import domain
from polytrack.mapp.collect.sessions import Sessioniser
from polytrack.mapp.collect.wire import routes as pixel_routes
from polytrack.kernel.calllog import LoggedCall
from polytrack.mapp.operations.base import (
    AUTH_ACCOUNT, AUTH_LOGIN, AUTH_NONE, AUTH_TOKEN, AUTH_TOKEN_SOFT, MappCall, MappSettings, registry,
)
from polytrack.mapp.rpc import (
    Encoded, Params, RateLimited, RpcError, authorization_failed, invalid_parameter, invalid_request,
    not_implemented, unknown_method,
)
from polytrack.services import Services

log = logging.getLogger("polytrack.mapp")

PATH = "/cgi-bin/wt/JSONRPC.cgi"
VERSION = "1.1"
# Larger bodies are `Invalid request` (importData takes up to 10 000 rows; the kernel's limit
# leaves room for wide ones). Read on every call, so a test can lower it.
MAX_BODY_BYTES = kernel_params.MAX_BODY_BYTES
# The documented Content-Type of the rate-limit answer, odd as it is.
RATE_LIMIT_CONTENT_TYPE = "application/x-www-form-urlencoded"

# (setting: allowed requests, default, setting: period seconds, default); vendor constants
# JSON_REQUESTS_ALLOWED_PER_PERIOD / _PERIOD and their short-term _SEC twins. Long term first:
# its message wins when both trip.
LIMITS = (
    ("mapp.requests_per_period", 120, "mapp.requests_period", 600),
    ("mapp.requests_per_period_sec", 5, "mapp.requests_period_sec", 10),
)

_NO_ID = object()


# --- envelope ---------------------------------------------------------------------------------

def result_body(result, request_id=_NO_ID) -> dict:
    body = {"version": VERSION, "result": result}
    if request_id is not _NO_ID:
        body["id"] = request_id
    return body


_RESULT_HEAD = '{"version":' + to_json(VERSION) + ',"result":'
# A request id is a value the JSON parser produced, so a plain encoder with to_json's settings
# writes it exactly as to_json would (no Raw fragments or Decimals to handle), built once.
_encode_id = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def result_json(result, request_id=_NO_ID) -> str:
    """The success answer as JSON text, the same text `to_json(result_body(...))` gives; an
    `Encoded` result (a fixed list encoded once) is spliced in rather than encoded again."""
    if not isinstance(result, Encoded):
        return to_json(result_body(result, request_id))
    if request_id is _NO_ID:
        return _RESULT_HEAD + result.json + "}"
    id_json = str(request_id) if type(request_id) is int else _encode_id(request_id)
    return _RESULT_HEAD + result.json + ',"id":' + id_json + "}"


def error_body(message: str, code: int = RpcError.code, request_id=_NO_ID) -> dict:
    body: dict[str, Any] = {"version": VERSION, "error": {"name": "JSONRPCError", "message": message, "code": code}}
    if request_id is not _NO_ID:
        body["id"] = request_id
    return body


def rate_limit_body(refusal: RateLimited, request_id=_NO_ID) -> dict:
    # Exactly as documented, typo included, with `code` next to `error` rather than inside it.
    body: dict[str, Any] = {
        "version": VERSION,
        "error": {"name": "JSONRPCError", "message": f"To many requests ({refusal.limit}) within {refusal.period} seconds."},
        "code": RpcError.code,
    }
    if request_id is not _NO_ID:
        body["id"] = request_id
    return body


def _respond(body: dict | str, content_type: str = JSON_TYPE) -> TextResponse:
    return TextResponse(body if isinstance(body, str) else to_json(body), content_type)


# --- reading the request ----------------------------------------------------------------------

# An id nested deeper is not echoed: JSON encoders stop at about a thousand levels, fewer
# when the stack is already deep, so a deeper id could not be written back reliably.
MAX_ID_DEPTH = 512


def _request_id(document: dict) -> Any:
    """The `id` to echo: any JSON value, or _NO_ID when the request has none. An id nested more
    than MAX_ID_DEPTH levels deep is treated as none, like the id of a body that cannot be read."""
    request_id = document.get("id", _NO_ID)
    if isinstance(request_id, (list, dict)) and _nested_deeper_than(request_id, MAX_ID_DEPTH):
        return _NO_ID
    return request_id


def _nested_deeper_than(value: list | dict, limit: int) -> bool:
    containers: list = [value]
    for _ in range(limit):  # level by level, without recursion
        containers = [child for item in containers for child in (item.values() if isinstance(item, dict) else item)
                      if isinstance(child, (list, dict))]
        if not containers:
            return False
    return True


def _method_and_params(document: dict) -> tuple[str, Params]:
    name = document.get("method")
    if not isinstance(name, str) or not name.strip():
        raise invalid_request()
    params = document.get("params")
    # JSON-RPC positional form: a one-element array holding the object; [] means no params.
    if isinstance(params, list) and len(params) <= 1:
        params = params[0] if params else {}
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise invalid_parameter("params")
    return name.strip(), Params(params)


def _claimed_login(params: Params) -> str | None:
    value = params.raw("login")
    return value.strip() if isinstance(value, str) and value.strip() else None


def _rate_limited(limit: Limit, _decision: RateDecision) -> RateLimited:
    return RateLimited(limit.limit, limit.period)


def _windows(settings) -> tuple[tuple[int, int], ...]:
    """(limit, period seconds) of both request limits as the server is set, long term first."""
    return tuple((int(settings.api_setting(limit_setting, default_limit)), int(settings.api_setting(period_setting, default_period)))
                 for limit_setting, default_limit, period_setting, default_period in LIMITS)


def _claimed_customer_id(params: Params) -> str | None:
    value = params.raw("customerId")
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return value.strip() if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 32 else None


# --- the endpoint -----------------------------------------------------------------------------

class Endpoint:
    """The JSON-RPC endpoint, with everything it needs read once when the routes are built."""

    __slots__ = ("services", "runner", "settings", "windows", "live_tokens", "account_limits", "guard", "sessions")

    def __init__(self, services: Services):
        settings = services.settings
        self.services = services
        self.runner = Runner(services, registry, refused=_rate_limited)
        self.settings = MappSettings.from_settings(settings)
        self.windows = _windows(settings)
        self.live_tokens = services.read_cache()  # token -> caller (TokenStore.resolve_joined)
        self.account_limits = services.read_cache()  # customerId -> the account's own limits
        guard = FailedAuthGuard(
            services.limiter, services.hot, api="mapp",
            limit=settings.api_setting("mapp.failed_auth_limit", DEFAULT_LIMIT),
            period=settings.api_setting("mapp.failed_auth_period", DEFAULT_PERIOD),
        )
        self.guard = guard if guard.enabled else None
        self.sessions = Sessioniser(services)  # analyses catch up on their account's pending hits

    async def handle(self, request: Request) -> TextResponse:
        body: str | dict
        with self.runner.timed("") as logged:
            request_id = _NO_ID
            try:
                if request.method != "POST":
                    raise invalid_request()
                document = parse_json(await read_body(request, max_bytes=MAX_BODY_BYTES))
                if not isinstance(document, dict):
                    raise invalid_request()
                request_id = _request_id(document)
                name, params = _method_and_params(document)
                logged.operation = name
                body = result_json(self._dispatch(request, name, params, logged), request_id)
            except RateLimited as refusal:
                logged.outcome = refusal.outcome
                return _respond(rate_limit_body(refusal, request_id), RATE_LIMIT_CONTENT_TYPE)
            except RpcError as exc:
                logged.outcome = exc.kind
                body = error_body(exc.message, exc.code, request_id)
            except BadInput:  # not JSON, not UTF-8, too deep, a lone surrogate, too large
                logged.outcome = "Invalid request"
                body = error_body("Invalid request")
            except ClientDisconnect:
                logged.outcome = "Client gone"
                raise  # nobody left to answer (the app drops the request quietly)
            except Exception:
                log.exception("mapp %s failed", logged.operation)
                logged.outcome = "Internal error"
                body = error_body("Internal error", RpcError.code, request_id)
        return _respond(body)

    def _dispatch(self, request: Request, name: str, params: Params, logged: LoggedCall) -> Any:
        operation = registry.get(name)
        auth = operation.options["auth"] if operation is not None else AUTH_NONE
        client = request.scope.get("client")
        address = client[0] if client else None
        # An address that failed too often is refused before any credential is looked at, so
        # the answer says nothing about whether this one was right; in the documented
        # rate-limit shape, which tells a client to wait rather than to doubt its password.
        if auth != AUTH_NONE and self.guard is not None and self.guard.blocked(address):
            raise RateLimited(self.guard.limit, self.guard.period, outcome="Authorization blocked")
        token = params.raw("token")
        token = (token.strip() or None) if isinstance(token, str) else None

        # Identify the caller and count the request on the held connection (one statement for
        # the caller, the hits mostly in memory), before the method is looked up: unknown
        # methods count too. The hits are committed on their own, so a failing method keeps them.
        caller = None
        if token and (auth == AUTH_TOKEN or auth == AUTH_TOKEN_SOFT):
            caller = domain.caller_for_token(self.services.hot, self.services.tokens, token, self.live_tokens)
        login = caller.login if caller else _claimed_login(params)
        logged.account = caller.log_name() if caller else (login or "")
        customer_id = caller.customer_id if caller else _claimed_customer_id(params)
        self.runner.count(self._limits(login, address, customer_id))
        if operation is None:
            raise unknown_method(name)

        call = MappCall(self.services, operation, self.settings, params, token, caller, self.sessions)
        self._authenticate(call, auth, address)
        if call.caller is not caller:  # a password check found the caller
            assert call.caller is not None
            logged.account = call.caller.log_name()
        try:
            return self.runner.run(call)
        except NotImplementedYet:
            raise not_implemented(name) from None

    def _limits(self, login: str | None, address: str | None, customer_id: str | None) -> list[Limit]:
        """Both windows of the request's Q3 login (the client address when no login is known,
        e.g. getConnectionTest), as the account the call names sets them (else the server). The
        limiter leases slots in batches, so most hits touch no database."""
        subject = f"login:{login}" if login else f"ip:{address or 'unknown'}"
        # The key column holds 255 characters, and PostgreSQL text no NUL.
        if len(subject) > 200 or "\x00" in subject:
            subject = "digest:" + lookup_digest(subject)
        windows = self.windows
        if customer_id is not None:
            own = self.account_limits.get_or_load(customer_id, lambda: domain.account_limits(self.services.hot, customer_id))
            windows = tuple((own[2 * k] if own[2 * k] is not None else limit, own[2 * k + 1] if own[2 * k + 1] is not None else period)
                            for k, (limit, period) in enumerate(windows))
        # a limit or period of 0 switches that window off
        return [Limit(f"mapp:{subject}:{period}", limit, period) for limit, period in windows if limit > 0 and period > 0]

    # --- authentication: the method's `auth` ----------------------------------------------------

    def _authenticate(self, call: MappCall, auth: str, address: str | None) -> None:
        if auth == AUTH_TOKEN:
            if call.caller is not None:
                return
            # A token that was sent but is not live fails, even with credentials next to it.
            if "token" in call.params:
                self._failed(address)
                raise authorization_failed()
            # No token: customerId + login + pass stand in for it.
            if not any(name in call.params for name in ("customerId", "login", "pass")):
                raise authorization_failed()
            call.caller = self._enter_account(call.params, address)
        elif auth == AUTH_ACCOUNT:
            call.caller = self._enter_account(call.params, address)
        elif auth == AUTH_LOGIN:
            login = call.params.text("login", required=True)
            password = call.params.text("pass", required=True, strip=False)
            call.user = self._checked_user(login, password, address)
        elif auth == AUTH_TOKEN_SOFT and call.caller is None and "token" in call.params:
            self._failed(address)  # logout still answers "0"

    def _enter_account(self, params: Params, address: str | None) -> domain.Caller:
        """customerId + login + pass [+ language] -> the caller in that account."""
        customer_id = params.digits("customerId", required=True)
        login = params.text("login", required=True)
        password = params.text("pass", required=True, strip=False)
        language = params.language()
        user = self._checked_user(login, password, address)
        caller = domain.enter_account(self.services.hot, user, customer_id, language)
        if caller is None:  # the password was right: no failed credential
            raise authorization_failed()
        return caller

    def _checked_user(self, login: str, password: str, address: str | None) -> domain.User:
        user = domain.check_password(self.services.hot, login, password)
        if user is None:
            self._failed(address)
            raise authorization_failed()
        return user

    def _failed(self, address: str | None) -> None:
        if self.guard is not None:
            self.guard.failed(address)


def routes(services: Services) -> list:
    endpoint = Endpoint(services)
    # Every HTTP method answers with an envelope (GET and friends get "Invalid request").
    return [Route(PATH, endpoint.handle, methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]),
            *pixel_routes(services)]
