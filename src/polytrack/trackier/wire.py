"""Trackier v1 on the wire.

One endpoint serves every claimed path: it finds the API key (X-Api-Key header, then the apiKey
query parameter), checks it (missing 12, unknown 13, IP 41, locked 42), counts the call against
the key's rate limit, resolves the route (unknown URI 501, wrong method 405, other role's route
403/5), reads the body (JSON whatever the Content-Type, else form data) and runs the handler.
Errors carry HTTP status + application code in the body of spec U1.

Hot path: the key lookup (one query joining key, network and user) and the rate-limit hit run on
`services.hot`, the held driver connection, each statement committed on its own (so a failing
operation keeps the hit). Read-only handlers query `call.hot` too; handlers registered with
`writes=True` (the default for POST/PUT/PATCH/DELETE) run in one SQLAlchemy transaction,
`call.conn`. Settings are read once, when the routes are built.
"""

from __future__ import annotations

import json
import logging
import re
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from polytrack.kernel.params import BadRequestBody, Params, parse_query, read_form_pairs
from polytrack.kernel.render import JSON_TYPE, TextResponse
from polytrack.trackier import domain, errors
from polytrack.trackier.errors import TrackierError
from polytrack.trackier.routing import RouteTable, TrackierPathsRoute, api_path

log = logging.getLogger("polytrack.trackier")

API = "trackier"
# Not documented by Trackier (spec U19); generous enough for any reporting script.
DEFAULT_CALLS_PER_MINUTE = 1200
MAX_LIMIT = 1000  # the only documented maximum (click logs); applied to every list (spec U7)
BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")

# The route table every handler module registers on with `@ROUTES.endpoint(...)`.
ROUTES = RouteTable()

# kernel.render.to_json's output (compact, UTF-8 as is) from one encoder built once: Trackier
# bodies are plain JSON values (no `Raw` fragments), so to_json's per-call set-up is not needed.
_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


class JsonText:
    """A handler's answer already encoded as JSON (built from memoised fragments); sent as is."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text


def json_response(payload: dict | JsonText, *, status: int = 200, headers: dict | None = None) -> Response | TextResponse:
    body = payload.text if isinstance(payload, JsonText) else _JSON.encode(payload)
    if headers:
        return Response(body, status_code=status, media_type=JSON_TYPE, headers=headers)
    return TextResponse(body, JSON_TYPE, status)


class Call:
    """One request as a handler sees it. `hot` is the held connection for reads; `conn` the
    SQLAlchemy transaction of a writing handler (None for read-only ones)."""

    __slots__ = ("services", "hot", "conn", "key", "path_params", "body", "_query_string", "_query")

    def __init__(self, services, key: domain.ApiKey, path_params: dict, query_string: str, body: dict):
        self.services = services
        self.hot = services.hot
        self.conn = None
        self.key = key
        self.path_params = path_params
        self.body = body
        self._query_string = query_string
        self._query: Params | None = None

    @property
    def network(self) -> domain.Network:
        return self.key.network

    @property
    def query(self) -> Params:
        """The query parameters, PHP-style (the last repeat wins); parsed on first use."""
        if self._query is None:
            self._query = Params(parse_query(self._query_string) if self._query_string else [], last_wins=True)
        return self._query

    def paging(self, *, default_limit: int | None) -> tuple[int | None, int]:
        """`limit` and `page` (1-based) from the query; 400/20 if not positive integers."""
        if not self._query_string:
            return default_limit, 1
        problems: dict[str, list[str]] = {}
        limit = _positive_int(self.query.get("limit"), "limit", problems)
        page = _positive_int(self.query.get("page"), "page", problems)
        if problems:
            raise errors.invalid(problems)
        limit = default_limit if limit is None else min(limit, MAX_LIMIT)
        return limit, page or 1


def _positive_int(raw: str | None, name: str, problems: dict) -> int | None:
    if raw is None or raw.strip() == "":
        return None
    text = raw.strip()
    if not re.fullmatch(r"[0-9]{1,9}", text) or int(text) < 1:
        problems[name] = [f"{name.capitalize()} must be a positive integer"]
        return None
    return int(text)


# --- request reading ----------------------------------------------------------------------------

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
    """The body as an object: JSON whatever the Content-Type says, else form data (spec 1.3).
    400/30 for a body that is neither, or JSON that is not an object."""
    raw = await request.body()
    if not raw.strip():
        return {}
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        try:
            return php_form(await read_form_pairs(request))
        except BadRequestBody:
            raise TrackierError(errors.BAD_REQUEST) from None
    try:
        parsed = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        try:
            return php_form(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        except (UnicodeDecodeError, ValueError):
            raise TrackierError(errors.BAD_REQUEST) from None
    if not isinstance(parsed, dict):
        raise TrackierError(errors.BAD_REQUEST)
    return parsed


# --- the endpoint -----------------------------------------------------------------------------

class WireState:
    """What the endpoint keeps between requests: settings read once (they do not change while
    the app runs) and the read caches (kernel.coherence)."""

    def __init__(self, services):
        self.calls_per_minute = services.settings.api_setting("trackier.calls_per_minute", DEFAULT_CALLS_PER_MINUTE)
        self.keys = services.read_cache()  # API key -> domain.ApiKey
        self.answers = services.read_cache()  # cacheable GETs: (key, route, query) -> JsonText


def _authenticate(scope, query_string: str, services, state: WireState, logged) -> domain.ApiKey:
    """Key checks and the rate-limit hit on the hot connection; each statement commits on its own,
    so a failing operation keeps the hit."""
    client = scope.get("client")
    key = domain.authenticate(services.hot, api_key_from(scope, query_string), client[0] if client else None, state.keys)
    logged.account = f"{key.role}:{key.network.object_id}"
    decision = services.limiter.hit(services.hot, f"trackier:key:{key.id}", limit=state.calls_per_minute, period=60)
    if not decision.allowed:
        raise TrackierError(errors.TOO_MANY_REQUESTS, headers={"Retry-After": str(int(decision.retry_after))})
    return key


def _cached_answer(endpoint, call: Call, resolved, query_string: str, answers) -> JsonText:
    """A cacheable GET's answer, from the read cache while nothing was committed since the same
    key asked the same question (same route, path parameters and query string)."""
    def compute() -> JsonText:
        payload = endpoint.handler(call)
        return payload if isinstance(payload, JsonText) else JsonText(_JSON.encode(payload))
    cache_key = (call.key.id, endpoint.handler, tuple(resolved.path_params.items()), query_string)
    return answers.get_or_load(cache_key, compute, size=lambda answer: len(answer.text))


async def handle(request: Request, services, state: WireState) -> Response:
    scope = request.scope
    method = scope["method"].upper()
    raw_path, query_string = request_path_and_query(scope)
    path = api_path(raw_path)
    with services.calllog.timed(api=API, operation=f"{method} {path}") as logged:
        try:
            key = _authenticate(scope, query_string, services, state, logged)
            resolved = ROUTES.resolve(method, path)
            if resolved is None:
                raise TrackierError(errors.INVALID_METHOD, status=501)
            logged.operation = f"{method} {resolved.template}"
            endpoint = resolved.endpoint
            if endpoint is None:
                raise TrackierError(errors.INVALID_METHOD, headers={"Allow": ", ".join(resolved.allowed_methods)})
            if key.role not in endpoint.roles:
                raise TrackierError(errors.INSUFFICIENT_PERMISSION)
            body = await read_body(request) if method in BODY_METHODS else {}
            call = Call(services, key, resolved.path_params, query_string, body)
            if endpoint.writes:
                with services.engine.begin() as conn:
                    call.conn = conn
                    payload = endpoint.handler(call)
            elif endpoint.cacheable:
                payload = _cached_answer(endpoint, call, resolved, query_string, state.answers)
            else:
                payload = endpoint.handler(call)
            return json_response(payload)
        except TrackierError as exc:
            logged.outcome = str(exc.code)
            return json_response(exc.body(), status=exc.status, headers=exc.headers)
        except Exception:
            log.exception("trackier %s %s failed", method, path)
            logged.outcome = str(errors.INTERNAL_ERROR)
            failure = TrackierError(errors.INTERNAL_ERROR)
            return json_response(failure.body(), status=failure.status)


def routes(services) -> list:
    # Importing the handler modules registers their routes on ROUTES.
    from polytrack.trackier import advertisers  # noqa: F401

    state = WireState(services)

    async def endpoint(request: Request) -> Response:
        return await handle(request, services, state)

    return [TrackierPathsRoute(endpoint)]
