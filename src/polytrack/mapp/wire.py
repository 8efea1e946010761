"""Mapp JSON/RPC 1.1 on the wire: POST /cgi-bin/wt/JSONRPC.cgi.

Reads the raw body as JSON whatever the Content-Type says (clients send none, form or JSON
types, spec §1.2), applies the per-login request limits, authenticates per the method's `auth`,
logs the call, dispatches to methods.py and renders `{"version": "1.1", "result": ...}` or
`{"version": "1.1", "error": {...}}`. Every answer is HTTP 200: clients raise on anything else.

Hot path (docs/mapp.md): a call with a live token is identified by one driver statement on
`services.hot` and counted there too; the operation's SQLAlchemy transaction (`call.conn`) is
opened only by methods and password checks that read stored data.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from contextlib import ExitStack
from dataclasses import dataclass

import orjson

from starlette.requests import ClientDisconnect, Request
from starlette.routing import Route

from polytrack.kernel.coherence import CoherentCache
from polytrack.kernel.render import JSON_TYPE, TextResponse, to_json
from polytrack.kernel.secrets import lookup_digest
from polytrack.mapp import domain, methods  # noqa: F401  (methods registers the handlers)
from polytrack.mapp.rpc import (
    AUTH_ACCOUNT, AUTH_LOGIN, AUTH_NONE, AUTH_TOKEN, AUTH_TOKEN_SOFT, METHODS, Call, Encoded, Params, RateLimited,
    RpcError, authorization_failed, invalid_parameter, invalid_request, unknown_method,
)

log = logging.getLogger("polytrack.mapp")

API = "mapp"
PATH = "/cgi-bin/wt/JSONRPC.cgi"
VERSION = "1.1"
# importData takes up to 10 000 rows; 32 MiB leaves room for wide ones and stops memory abuse.
MAX_BODY_BYTES = 32 * 1024 * 1024
# The documented Content-Type of the rate-limit answer (spec §5), odd as it is.
RATE_LIMIT_CONTENT_TYPE = "application/x-www-form-urlencoded"

# (setting: allowed requests, default, setting: period seconds, default); vendor constants
# JSON_REQUESTS_ALLOWED_PER_PERIOD / _PERIOD and their short-term _SEC twins. Long term first:
# its message wins when both trip.
LIMITS = (
    ("mapp.requests_per_period", 120, "mapp.requests_period", 600),
    ("mapp.requests_per_period_sec", 5, "mapp.requests_period_sec", 10),
)


@dataclass(frozen=True)
class Config:
    """The Mapp settings, read once when the routes are built (a worker's settings are fixed)."""

    # (limit, period seconds) of each request limit that is switched on, long term first
    windows: tuple[tuple[int, int], ...]
    token_idle_seconds: float
    tokens: CoherentCache | None = None  # live token -> caller (TokenStore.resolve_joined)

    @classmethod
    def from_services(cls, services) -> "Config":
        return dataclasses.replace(cls.from_settings(services.settings), tokens=services.read_cache())

    @classmethod
    def from_settings(cls, settings) -> "Config":
        windows = []
        for limit_setting, default_limit, period_setting, default_period in LIMITS:
            limit = settings.api_setting(limit_setting, default_limit)
            period = settings.api_setting(period_setting, default_period)
            if limit > 0 and period > 0:  # 0 switches this limit off
                windows.append((limit, period))
        idle = settings.api_setting("mapp.token_idle_seconds", domain.TOKEN_IDLE_SECONDS)
        return cls(windows=tuple(windows), token_idle_seconds=idle)


_NO_ID = object()


# --- envelope ---------------------------------------------------------------------------------

def result_body(result, request_id=_NO_ID) -> dict:
    body = {"version": VERSION, "result": result}
    if request_id is not _NO_ID:
        body["id"] = request_id
    return body


_RESULT_HEAD = '{"version":' + to_json(VERSION) + ',"result":'
# A request id is a value json.loads produced, so a plain encoder with to_json's settings
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
    body = {"version": VERSION, "error": {"name": "JSONRPCError", "message": message, "code": code}}
    if request_id is not _NO_ID:
        body["id"] = request_id
    return body


def rate_limit_body(refusal: RateLimited, request_id=_NO_ID) -> dict:
    # Exactly as documented, typo included, with `code` next to `error` rather than inside it.
    body = {
        "version": VERSION,
        "error": {"name": "JSONRPCError", "message": f"To many requests ({refusal.limit}) within {refusal.period} seconds."},
        "code": RpcError.code,
    }
    if request_id is not _NO_ID:
        body["id"] = request_id
    return body


def _respond(body: dict | str, content_type: str = JSON_TYPE) -> TextResponse:
    return TextResponse(body if isinstance(body, str) else to_json(body), content_type)


# --- request parsing --------------------------------------------------------------------------

async def _read_body(request: Request) -> bytes:
    """The whole body, at most MAX_BODY_BYTES. Read from the ASGI receive channel directly:
    Starlette's `stream()` is an async generator per request, and most bodies come in one message."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise invalid_request()
    receive = request.receive
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # http.disconnect: nobody is left to answer
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise invalid_request()
        if not message.get("more_body", False):
            return b"".join((*chunks, chunk)) if chunks else chunk
        chunks.append(chunk)


def _json_object(raw: bytes) -> dict:
    try:
        document = orjson.loads(raw)  # strict JSON, 3-4 times faster than the json module
    except orjson.JSONDecodeError:
        # What orjson refuses but Python's json reads (a BOM, NaN, integers over 64 bits, lone
        # surrogates) is read as before; the rest fails there too.
        try:
            document = json.loads(raw.decode("utf-8-sig"))
        except (ValueError, RecursionError):  # bad UTF-8 or JSON, digits over Python's int limit, deep nesting
            raise invalid_request() from None
    if not isinstance(document, dict):
        raise invalid_request()
    return document


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


# --- limits and authentication ----------------------------------------------------------------

def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _claimed_login(params: Params) -> str | None:
    value = params.raw("login")
    return value.strip() if isinstance(value, str) and value.strip() else None


def _hit_limits(services, config: Config, login: str | None, request: Request) -> RateLimited | None:
    """Count the request against both windows of its Q3 login (the client IP when no login is
    known, e.g. getConnectionTest). Every request counts, refused ones included, so requests
    refused by the short-term limit still fill the long-term window (vendor doc). The limiter
    leases slots in batches, so most hits touch no database."""
    subject = f"login:{login}" if login else f"ip:{_client_ip(request)}"
    if len(subject) > 200:  # the key column holds 255 characters
        subject = "digest:" + lookup_digest(subject)
    refusal = None
    for limit, period in config.windows:
        decision = services.limiter.hit(services.hot, f"mapp:{subject}:{period}", limit=limit, period=period)
        if not decision.allowed and refusal is None:
            refusal = RateLimited(limit, period)
    return refusal


def _enter_account(call: Call):
    """customerId + login + pass [+ language] -> the caller in that account."""
    customer_id = call.params.digits("customerId", required=True)
    login = call.params.text("login", required=True)
    password = call.params.text("pass", required=True, strip=False)
    language = call.params.language()
    user = domain.check_password(call.conn, login, password)
    return domain.enter_account(call.conn, user, customer_id, language)


def _authenticate(call: Call, auth: str) -> None:
    if auth == AUTH_LOGIN:
        login = call.params.text("login", required=True)
        password = call.params.text("pass", required=True, strip=False)
        call.user = domain.check_password(call.conn, login, password)
    elif auth == AUTH_ACCOUNT:
        call.caller = _enter_account(call)
    elif auth == AUTH_TOKEN and call.caller is None:
        # A token that was sent but is not live fails, even with credentials next to it.
        if "token" in call.params:
            raise authorization_failed()
        # No token: customerId + login + pass stand in for it (spec §1.5, §9.9).
        if not any(name in call.params for name in ("customerId", "login", "pass")):
            raise authorization_failed()
        call.caller = _enter_account(call)


def _dispatch(request: Request, services, config: Config, name: str, params: Params, logged):
    method = METHODS.get(name)
    auth = method.auth if method else AUTH_NONE
    token = params.raw("token")
    token = (token.strip() or None) if isinstance(token, str) else None

    # Identify the caller and count the request on the hot connection (one driver statement
    # for the caller, the hit mostly in memory). Both are committed on their own before the
    # operation runs, so a failing operation cannot undo the count.
    caller = None
    if token and auth in (AUTH_TOKEN, AUTH_TOKEN_SOFT):
        caller = domain.caller_for_token(services.hot, services.tokens, token, config.tokens)
    login = caller.login if caller else _claimed_login(params)
    logged.account = caller.log_name() if caller else (login or "")
    refusal = _hit_limits(services, config, login, request)
    if refusal is not None:
        raise refusal
    if method is None:
        raise unknown_method(name)

    # The operation's transaction (call.conn) begins only if the method or a password check
    # reads stored data, and ends with this block: committed, or rolled back on an error.
    with ExitStack() as transactions:
        call = Call(services, config, name, params, transactions)
        call.token = token
        call.caller = caller
        _authenticate(call, auth)
        if call.caller is not caller:  # a password check found the caller
            logged.account = call.caller.log_name()
        return method.handler(call)


async def handle(request: Request, services, config: Config) -> TextResponse:
    with services.calllog.timed(api=API, operation="") as logged:
        request_id = _NO_ID
        try:
            if request.method != "POST":
                raise invalid_request()
            document = _json_object(await _read_body(request))
            request_id = document.get("id", _NO_ID)
            name, params = _method_and_params(document)
            logged.operation = name
            body = result_json(_dispatch(request, services, config, name, params, logged), request_id)
        except RateLimited as refusal:
            logged.outcome = "To many requests"
            return _respond(rate_limit_body(refusal, request_id), RATE_LIMIT_CONTENT_TYPE)
        except RpcError as exc:
            logged.outcome = exc.kind
            body = error_body(exc.message, exc.code, request_id)
        except Exception:
            log.exception("mapp %s failed", logged.operation)
            logged.outcome = "Internal error"
            body = error_body("Internal error", RpcError.code, request_id)
    return _respond(body)


def routes(services) -> list:
    config = Config.from_services(services)

    async def endpoint(request: Request) -> TextResponse:
        return await handle(request, services, config)

    # Every HTTP method answers with an envelope (GET and friends get "Invalid request").
    return [Route(PATH, endpoint, methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])]
