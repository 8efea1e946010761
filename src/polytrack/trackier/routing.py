"""Trackier's route table and the Starlette route that claims its paths.

Every route answers at the bare path and under `/api` (spec 1.1), with or without a trailing
slash. Only the documented resource prefixes are claimed, so the other APIs and the future
click URLs (`/{linkId}`, `/click`, `/acquisition` ...) keep the rest of the root.

A template segment `{id}` matches only an id: 24 hex digits (the long id) or an integer (the
display id). Literal words such as `campaigns` therefore never reach an `{id}` route (spec 6.2);
`{name}` with any other name matches any one segment, and literal segments win over it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, NamedTuple

from starlette.requests import Request
from starlette.routing import BaseRoute, Match
from starlette.types import Receive, Scope, Send

# First path segments of the documented API (section 2-4), including the aliases of spec 6.3.
PREFIXES = (
    "advertiser", "affiliate", "affiliates", "campaign", "caps", "commissions", "dictionary", "dict",
    "goal", "goals", "jobs", "network",
)
_CLAIMED_RE = re.compile(r"^(?:/api)?/(?:" + "|".join(PREFIXES) + r")(?:/.*)?$")
ID_RE = re.compile(r"^(?:[0-9a-fA-F]{24}|[0-9]{1,18})$")


# Methods whose handlers write unless they say otherwise.
WRITING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Endpoint:
    method: str
    template: str
    roles: frozenset[str]
    handler: Callable  # handler(call) -> response body (dict or wire.JsonText), HTTP 200
    # True: the handler runs in one SQLAlchemy transaction (`call.conn`); False: it only reads,
    # on the hot path's held connection (`call.hot`)
    writes: bool
    # True: a read whose answer depends only on the stored data, the key and the request (not
    # on the clock); the wire keeps answers in a read cache until a commit (kernel.coherence)
    cacheable: bool = False


class Resolved(NamedTuple):
    endpoint: Endpoint | None  # None: the path exists but not for this method
    template: str
    path_params: dict[str, str]
    allowed_methods: tuple[str, ...]


class RouteTable:
    def __init__(self):
        # template -> {method: endpoint}, and the template's methods for the Allow header
        self._by_template: dict[str, dict[str, Endpoint]] = {}
        self._allowed: dict[str, tuple[str, ...]] = {}
        # templates without parameters by their path: an exact match wins without a scan
        self._literal: dict[str, str] = {}
        self._patterns: list[tuple[tuple, str, list[str]]] = []  # (sort key, template, segments)

    def add(self, method: str, template: str, roles, handler, *, writes: bool | None = None,
            cacheable: bool = False) -> None:
        method = method.upper()
        if method in self._by_template.get(template, {}):
            raise ValueError(f"duplicate Trackier route {method} {template}")
        if template not in self._by_template:
            segments = template.strip("/").split("/")
            # literal segments sort before parameters, position by position
            key = tuple(1 if s.startswith("{") else 0 for s in segments)
            self._patterns.append((key, template, segments))
            self._patterns.sort(key=lambda p: p[0])
            if not any(segment.startswith("{") for segment in segments):
                self._literal["/" + "/".join(segments)] = template
        if writes is None:
            writes = method in WRITING_METHODS
        endpoints = self._by_template.setdefault(template, {})
        if cacheable and writes:
            raise ValueError(f"Trackier route {method} {template}: a writing handler cannot be cacheable")
        endpoints[method] = Endpoint(method, template, frozenset(roles), handler, writes, cacheable)
        self._allowed[template] = tuple(sorted(endpoints))

    def endpoint(self, method: str, template: str, *, roles=("network",), writes: bool | None = None,
                 cacheable: bool = False):
        """Decorator registering a handler for METHOD template. `writes` defaults to True for
        POST, PUT, PATCH and DELETE; `cacheable`: see Endpoint."""
        def register(handler):
            self.add(method, template, roles, handler, writes=writes, cacheable=cacheable)
            return handler
        return register

    def resolve(self, method: str, path: str) -> Resolved | None:
        """None when no template matches the path (an unknown URI). `path` as api_path gives it."""
        template = self._literal.get(path)
        if template is not None:
            return Resolved(self._by_template[template].get(method.upper()), template, {}, self._allowed[template])
        segments = path.strip("/").split("/")
        for _key, template, pattern in self._patterns:
            params = _match(pattern, segments)
            if params is None:
                continue
            chosen = self._by_template[template].get(method.upper())
            return Resolved(chosen, template, params, self._allowed[template])
        return None


def _match(pattern: list[str], segments: list[str]) -> dict[str, str] | None:
    if len(pattern) != len(segments):
        return None
    params = {}
    for expected, actual in zip(pattern, segments):
        if expected.startswith("{"):
            name = expected[1:-1]
            if not actual or (name == "id" and not ID_RE.match(actual)):
                return None
            params[name] = actual
        elif expected != actual:
            return None
    return params


def api_path(path: str) -> str:
    """/api/advertiser/ -> /advertiser: the path the route table knows."""
    if path.startswith("/api/"):
        path = path[4:]
    return "/" + path.strip("/")


class TrackierPathsRoute(BaseRoute):
    """Claims every path under the Trackier prefixes, bare or under /api; the endpoint does the rest."""

    def __init__(self, endpoint):
        self.endpoint = endpoint

    def claims(self, path: str) -> bool:
        """Every method of these paths is ours (the endpoint answers 405 itself); the app's
        router uses this to skip the route walk."""
        return _CLAIMED_RE.match(path) is not None

    def matches(self, scope: Scope):
        if scope["type"] == "http" and self.claims(scope["path"]):
            return Match.FULL, {"endpoint": self.endpoint, "path_params": {}}
        return Match.NONE, {}

    def url_path_for(self, name, /, **path_params):  # pragma: no cover - never reversed
        raise NotImplementedError

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.endpoint(Request(scope, receive))
        await response(scope, receive, send)
