"""Trackier's paths: which declared operation a method and path name, and the Starlette route
that claims Trackier's part of the URL space.

The table is built from the operations' declarations (their `method`, path `template` and
`aliases`, see operations/base.py), so what is routed is exactly what is declared. Every path
answers bare and under `/api`, with or without a trailing slash.

A `{...}` segment matches only an id: 24 hex digits (the long id) or an integer (the display
id, of any length: one too large to exist is simply not found). So words such as `campaigns`
never reach an id route (`/advertiser/campaigns` is the advertiser's own campaign list, not
advertiser "campaigns"), and a literal segment always wins over a parameter. Templates that
differ only in their parameters' names (`GET /campaign/pub-payout/{campId}/{publisherId}`,
`POST /campaign/pub-payout/{campId}/{payoutId}`) are one path with several methods.

Only the first segments of declared templates are claimed, so the other APIs and the future
click URLs (`/{linkId}`, `/click`, `/acquisition` ...) keep the rest of the root.
"""

from __future__ import annotations

import re
from typing import Iterable, NamedTuple


from polytrack.kernel.operations import Operation
from polytrack.kernel.routing import ClaimingRoute
from polytrack.trackier.schema import ID_PATTERN

ID_RE = re.compile(ID_PATTERN)

# A template's segments: a literal word, or None for a parameter (an id).
Pattern = tuple[str | None, ...]


class Route(NamedTuple):
    """One method of one path."""

    operation: Operation
    template: str  # as declared, naming this method's parameters
    names: tuple[str | None, ...]  # the parameter's name at each segment; None for a literal


class Path:
    """One path (templates equal but for their parameters' names) and its methods."""

    __slots__ = ("template", "pattern", "methods", "allowed")

    def __init__(self, template: str, pattern: Pattern):
        self.template = template  # the first declared: how the call log names the path
        self.pattern = pattern
        self.methods: dict[str, Route] = {}
        # the methods implemented on this path (the Allow header of a 405), sorted
        self.allowed: tuple[str, ...] = ()


class Resolved(NamedTuple):
    operation: Operation | None  # None: the path exists, but not with this method
    template: str
    path_params: dict[str, str]
    allowed: tuple[str, ...]  # Path.allowed


def _segments(template: str) -> tuple[Pattern, tuple[str | None, ...]]:
    segments = template.strip("/").split("/")
    pattern = tuple(None if s.startswith("{") else s for s in segments)
    names = tuple(s[1:-1] if s.startswith("{") else None for s in segments)
    return pattern, names


class RouteTable:
    def __init__(self, operations: Iterable[Operation]):
        paths: dict[Pattern, Path] = {}
        for operation in operations:
            method = operation.options["method"]
            for template in (operation.options["template"], *operation.options["aliases"]):
                pattern, names = _segments(template)
                path = paths.setdefault(pattern, Path(template, pattern))
                if method in path.methods:
                    raise ValueError(f"Trackier: {method} {template} declared twice")
                path.methods[method] = Route(operation, template, names)
        for path in paths.values():
            path.allowed = tuple(sorted(m for m, route in path.methods.items() if route.operation.implemented))
        # paths without parameters by their text: one dict lookup (the hot calls are such)
        self._literal = {"/" + path.template.strip("/"): path for p, path in paths.items() if None not in p}
        # the others by (segment count, first segment), literal segments first, position by position
        self._patterns: dict[tuple[int, str | None], list[Path]] = {}
        for pattern, path in sorted(paths.items(), key=lambda item: [word is None for word in item[0]]):
            if None in pattern:
                self._patterns.setdefault((len(pattern), pattern[0]), []).append(path)
        self.prefixes = sorted({pattern[0] for pattern in paths if pattern[0] is not None})
        self._claimed = re.compile(r"^(?:/api)?/(?:" + "|".join(map(re.escape, self.prefixes)) + r")(?:/.*)?$")

    def claims(self, path: str) -> bool:
        """Whether a request path (as sent, bare or under /api) is Trackier's."""
        return self._claimed.match(path) is not None

    def resolve(self, method: str, path: str) -> Resolved | None:
        """None when no path matches (an unknown URI). `path` as api_path gives it, `method`
        upper-case."""
        found = self._literal.get(path)
        if found is not None:
            route = found.methods.get(method)
            if route is None:
                return Resolved(None, found.template, {}, found.allowed)
            return Resolved(route.operation, route.template, {}, found.allowed)
        segments = path[1:].split("/")
        for candidate in self._patterns.get((len(segments), segments[0]), ()):
            if _matches(candidate.pattern, segments):
                route = candidate.methods.get(method)
                if route is None:
                    return Resolved(None, candidate.template, {}, candidate.allowed)
                params = {name: segment for name, segment in zip(route.names, segments) if name is not None}
                return Resolved(route.operation, route.template, params, candidate.allowed)
        return None


def _matches(pattern: Pattern, segments: list[str]) -> bool:
    for expected, actual in zip(pattern, segments):
        if expected is None:
            if not ID_RE.match(actual):
                return False
        elif expected != actual:
            return False
    return True


def api_path(path: str) -> str:
    """/api/advertiser/ -> /advertiser: the path the route table knows."""
    if path.startswith("/api/"):
        path = path[4:]
    return "/" + path.strip("/")


class TrackierPathsRoute(ClaimingRoute):
    """Claims every path under the declared prefixes, bare or under /api; the endpoint does the rest."""

    def __init__(self, endpoint, table: RouteTable):
        super().__init__(endpoint)
        self.table = table

    def claims(self, path: str) -> bool:
        """Every method of these paths is ours (the endpoint answers 405 itself); the app's
        router uses this to skip the route walk."""
        return self.table.claims(path)
