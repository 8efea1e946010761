"""Trackier v1 on the wire.

One endpoint serves every claimed path, in this order: find the API key (X-Api-Key header, then
the apiKey query parameter) and check it (missing 12; an address that sent too many unknown
keys 429/40; unknown 13; IP 41; locked 42), count the call against the key's rate limit (429/40),
resolve the route (unknown URI 501, other method 405, both code 32), then the runner: the role
check (403/5), and the handler, which reads the body (400/30 for one that cannot be read).
Errors carry the HTTP status and Trackier's code in the error body (errors.py).

Hot path: the key lookup (one query joining key, network and user; kept in a read cache) and
the rate-limit hit run on the held connection, each committed on its own, so a failing
operation keeps the hit. Settings are read once, when the routes are built.
"""

from __future__ import annotations

import logging
import re

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from polytrack.kernel import guard
from polytrack.kernel.guard import FailedAuthGuard
from polytrack.kernel.operations import NotImplementedYet, Runner
from polytrack.kernel.params import BadInput, Params, parse_json, parse_query, read_form_pairs
from polytrack.kernel.params import read_body as read_raw_body
from polytrack.kernel.render import JSON_TYPE, Raw, TextResponse
from polytrack.services import Services
from polytrack.trackier import collect, domain, errors, openapi, spool
from polytrack.trackier.errors import TrackierError
from polytrack.trackier.operations import registries
from polytrack.trackier.operations.base import TrackierCall, per_key_limit
from polytrack.trackier.routing import Resolved, RouteTable, TrackierPathsRoute, api_path
from polytrack.trackier.shapes import json_text

log = logging.getLogger("polytrack.trackier")

# Not documented by Trackier; generous enough for any reporting script.
DEFAULT_CALLS_PER_MINUTE = 1200
BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def json_response(answer: dict | Raw, *, status: int = 200, headers: dict | None = None) -> Response | TextResponse:
    text = answer.text if isinstance(answer, Raw) else json_text(answer)
    if headers:
        return Response(text, status_code=status, media_type=JSON_TYPE, headers=headers)
    return TextResponse(text, JSON_TYPE, status)


def freeze(answer: dict | Raw) -> tuple[Raw, int]:
    """A cacheable answer as the read cache keeps it: its JSON text, rendered once."""
    frozen = answer if isinstance(answer, Raw) else Raw(json_text(answer))
    return frozen, len(frozen.text)


def not_routed(resolved: Resolved) -> TrackierError:
    """No operation answers this method here: 405 with the path's methods if it has any
    implemented, else what an unknown URI gets (501)."""
    if resolved.allowed:
        return TrackierError(errors.INVALID_METHOD, headers={"Allow": ", ".join(resolved.allowed)})
    return TrackierError(errors.INVALID_METHOD, status=501)


# --- reading the request ----------------------------------------------------------------------

def api_key_from(scope, query_string: str) -> str | None:
    """The X-Api-Key header (ASGI servers send header names lower-cased), else the apiKey query
    parameter; blank counts as absent."""
    for name, value in scope["headers"]:
        if name == b"x-api-key":
            header = value.decode("latin-1").strip()
            if header:
                return header
            break  # the first X-Api-Key header is the one read, as Starlette's headers.get would
    if not query_string:
        return None
    return (Params(parse_query(query_string)).get("apiKey") or "").strip() or None


def request_path_and_query(scope) -> tuple[str, str]:
    """The path as Starlette's `request.url.path` gives it, and the query string, without building
    a URL object. Undecodable bytes in a raw query string are replaced, not a 500."""
    path = scope["path"]
    if "?" in path or "#" in path or "\\" in path:
        path = path.replace("?", "%3F").replace("#", "%23").replace("\\", "%5C")
    return path, scope.get("query_string", b"").decode("utf-8", "replace")


_BRACKET_RE = re.compile(r"^([^\[\]]+)\[([^\[\]]*)\]$")


def php_form(pairs: list[tuple[str, str]]) -> dict:
    """Form fields as PHP's $_POST sees them, one level deep: `a=1`, `a[]=1`, `a[key]=1`."""
    data: dict = {}
    for name, value in pairs:
        match = _BRACKET_RE.match(name)
        if not match:
            data[name] = value
            continue
        base, index = match.group(1), match.group(2)
        if index == "":
            current = data.get(base)
            data[base] = (current if isinstance(current, list) else []) + [value]
        else:
            current = data.get(base)
            data[base] = {**(current if isinstance(current, dict) else {}), index: value}
    return data


async def read_body(request: Request) -> dict:
    """The body as an object: JSON whatever the Content-Type says; what is not JSON the kernel
    can read (not JSON at all, nested too deep, a string holding a lone surrogate) is read as
    form data, as PHP falls back to the form; multipart bodies are forms. 400/30 for a body that
    is neither (not UTF-8, too large), or JSON that is not an object."""
    try:
        raw = await read_raw_body(request)
        if not raw.strip():
            return {}
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type == "multipart/form-data":
            return php_form(await read_form_pairs(request))
        try:
            document = parse_json(raw)
        except BadInput:
            return php_form(parse_query(raw.decode("utf-8")))
    except (BadInput, UnicodeDecodeError):
        raise TrackierError(errors.BAD_REQUEST) from None
    if not isinstance(document, dict):
        raise TrackierError(errors.BAD_REQUEST)
    return document


# --- the endpoint -----------------------------------------------------------------------------

class TrackierEndpoint:
    """The one endpoint behind every Trackier path, built once per app (routes()): the settings,
    the runner, the route table, the key cache and the failed-key throttle."""

    def __init__(self, services: Services, collector: collect.Collector):
        self.services = services
        self.collector = collector  # its connection folds the click spool before each call
        setting = services.settings.api_setting
        self.calls_per_minute = setting("trackier.calls_per_minute", DEFAULT_CALLS_PER_MINUTE)
        [registry] = registries()
        # follows_collected: stats and logs report on clicks and conversions
        self.runner = Runner(services, registry, freeze=freeze, follows_collected=True,
                             refused=lambda _limit, decision: errors.too_many_requests(decision.retry_after))
        self.routes = RouteTable(registry)
        self.keys = services.read_cache()  # API key -> domain.ApiKey
        self.failed_keys = FailedAuthGuard(  # unknown keys per client address
            services.limiter, services.hot, api="trackier",
            limit=setting("trackier.failed_auth_limit", guard.DEFAULT_LIMIT),
            period=setting("trackier.failed_auth_period", guard.DEFAULT_PERIOD),
        )

    def authenticate(self, scope, query_string: str) -> domain.ApiKey:
        """Missing key 12; an address blocked for unknown keys 429/40 (before its key is looked
        at, so the answer says nothing about the key); unknown 13 (counted against the address);
        then IP 41 and locked 42."""
        given = api_key_from(scope, query_string)
        if not given:
            raise TrackierError(errors.UNAUTHORIZED)
        client = scope.get("client")
        address = client[0] if client else None
        retry_after = self.failed_keys.blocked(address)
        if retry_after:
            raise errors.too_many_requests(retry_after)
        key = domain.api_key(self.services.hot, given, self.keys)
        if key is None:
            self.failed_keys.failed(address)
            raise TrackierError(errors.INVALID_API_KEY)
        domain.check_access(key, address)
        return key

    async def handle(self, request: Request) -> Response | TextResponse:
        scope = request.scope
        method = scope["method"].upper()
        raw_path, query_string = request_path_and_query(scope)
        path = api_path(raw_path)
        with self.runner.timed(f"{method} {path}") as logged:
            try:
                key = self.authenticate(scope, query_string)
                logged.account = f"{key.role}:{key.network.object_id}"
                self.runner.count(per_key_limit(key.id, self.calls_per_minute))
                resolved = self.routes.resolve(method, path)
                if resolved is None:
                    raise TrackierError(errors.INVALID_METHOD, status=501)
                logged.operation = f"{method} {resolved.template}"
                if resolved.operation is None:
                    raise not_routed(resolved)
                body: dict | TrackierError = {}
                if method in BODY_METHODS:
                    try:
                        body = await read_body(request)
                    except TrackierError as unreadable:  # refused when the handler reads it
                        body = unreadable
                call = TrackierCall(self.services, resolved.operation, key, resolved.path_params, query_string, body)
                spool.settle(self.collector.db)  # every click answered so far is in what the call reads
                try:
                    answer = self.runner.run(call)
                except NotImplementedYet:
                    raise not_routed(resolved) from None
                after = resolved.operation.options["after"]
                if after is not None:  # run once the answer is out (Starlette's background task)
                    return Response(answer.text if isinstance(answer, Raw) else json_text(answer),
                                    media_type=JSON_TYPE, background=BackgroundTask(after, self.services))
                return json_response(answer)
            except TrackierError as exc:
                logged.outcome = str(exc.code)
                return json_response(exc.body(), status=exc.status, headers=exc.headers)
            except Exception:
                log.exception("trackier %s %s failed", method, path)
                logged.outcome = str(errors.INTERNAL_ERROR)
                failure = TrackierError(errors.INTERNAL_ERROR)
                return json_response(failure.body(), status=failure.status)


def routes(services: Services) -> list:
    """The API's paths, and the tracking side's (collect.py) at the root."""
    collector = collect.Collector(services)
    endpoint = TrackierEndpoint(services, collector)
    return [TrackierPathsRoute(endpoint.handle, endpoint.routes), *collect.routes(services, collector),
            Route("/_polytrack/openapi/trackier.json", openapi.serve, methods=["GET"])]
