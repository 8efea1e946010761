"""Routing helpers Starlette lacks: exact paths matched case-insensitively (IIS-hosted APIs)."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import Receive, Scope, Send


class CaseInsensitiveRoute(BaseRoute):
    """One exact path, any letter case (IIS paths are case-insensitive)."""

    def __init__(self, path: str, endpoint, methods: tuple[str, ...] | None = None):
        self.path = path
        self._lower = path.lower()
        self.endpoint = endpoint
        self.methods = {m.upper() for m in methods} if methods else None

    def matches(self, scope: Scope):
        if scope["type"] == "http" and scope["path"].lower() == self._lower:
            return Match.FULL, {"endpoint": self.endpoint, "path_params": {}}
        return Match.NONE, {}

    def url_path_for(self, name, /, **path_params):  # pragma: no cover - never reversed
        raise NotImplementedError

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.methods and scope["method"] not in self.methods:
            await Response(status_code=405, headers={"Allow": ", ".join(sorted(self.methods))})(scope, receive, send)
            return
        from starlette.requests import Request

        response = await self.endpoint(Request(scope, receive))
        await response(scope, receive, send)


class ClaimingRoute(BaseRoute):
    """A family of paths one endpoint serves whatever the method (the endpoint answers 405
    itself): a subclass says which paths by `claims(path)`. The app's router asks `claims` before
    walking its routes, so a family costs one call, not a walk."""

    def __init__(self, endpoint):
        self.endpoint = endpoint

    def claims(self, path: str) -> bool:
        raise NotImplementedError

    def matches(self, scope: Scope):
        if scope["type"] == "http" and self.claims(scope["path"]):
            return Match.FULL, {"endpoint": self.endpoint, "path_params": {}}
        return Match.NONE, {}

    def url_path_for(self, name, /, **path_params):  # pragma: no cover - never reversed
        raise NotImplementedError

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        from starlette.requests import Request

        response = await self.endpoint(Request(scope, receive))
        await response(scope, receive, send)
