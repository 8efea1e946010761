"""Builds the ASGI application from the enabled API packages."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.requests import Request
from starlette.routing import Mount, Route, Router

from polytrack import admin_http
from polytrack.apis import all_packages
from polytrack.config import Settings, load_settings
from polytrack.kernel.routing import CaseInsensitiveRoute
from polytrack.runtime import freeze_startup_heap
from polytrack.services import Services

log = logging.getLogger("polytrack")

CALL_LOG_FLUSH_SECONDS = 1.0
PURGE_EVERY_TICKS = 300


def create_app(settings: Settings | None = None, *, services: Services | None = None) -> Starlette:
    settings = settings or (services.settings if services else load_settings())
    services = services or Services.build(settings)
    packages = all_packages()

    routes = [Mount("/_polytrack", routes=admin_http.routes(services, packages))]
    for package in packages:
        routes.extend(package.routes(services))

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        freeze_startup_heap()
        flusher = asyncio.create_task(_housekeeping_forever(services))
        try:
            yield
        finally:
            flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flusher
            services.calllog.flush()
            services.hot.close()

    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={404: _not_found, 405: _not_allowed})
    app.router = ExactPathsFirstRouter(routes=routes, lifespan=lifespan)
    app.state.services = services
    return app


class ExactPathsFirstRouter(Router):
    """Starlette's router, but a request for a fixed path (every API's endpoint: /api2.ashx,
    /cgi-bin/wt/JSONRPC.cgi, ...) with an allowed method goes straight to its endpoint function:
    one dict lookup instead of trying each route in turn, and none of the per-route wrapping
    (the endpoints answer every error themselves; an exception still reaches the app's error
    middleware). Everything else (path parameters, mounts, prefix routes, a method the route
    does not take) goes the usual way."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.exact: dict[str, tuple] = {}  # path -> (methods or None, endpoint)
        self.folded: dict[str, tuple] = {}  # the same for case-insensitive paths, by lower-case path
        for route in self.routes:
            if isinstance(route, Route) and not route.param_convertors and inspect.iscoroutinefunction(route.endpoint):
                self.exact.setdefault(route.path, (route.methods, route.endpoint))
            elif isinstance(route, CaseInsensitiveRoute):
                self.folded.setdefault(route.path.lower(), (route.methods, route.endpoint))

    async def app(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            found = self.exact.get(path) or self.folded.get(path.lower())
            if found is not None and (found[0] is None or scope["method"] in found[0]):
                scope.setdefault("router", self)
                scope["endpoint"] = found[1]
                scope["path_params"] = {}
                response = await found[1](Request(scope, receive, send))
                await response(scope, receive, send)
                return
        await super().app(scope, receive, send)


async def _not_found(_request, _exc):
    return PlainTextResponse("Not Found", status_code=404)


async def _not_allowed(_request, _exc):
    return PlainTextResponse("", status_code=405)


async def _housekeeping_forever(services: Services) -> None:
    """Flush the call log every second; purge expired tokens and stale rate-limit rows now and
    then (every worker does it; the deletes are idempotent)."""
    ticks = 0
    while True:
        await asyncio.sleep(CALL_LOG_FLUSH_SECONDS)
        ticks += 1
        try:
            services.calllog.flush()
            if ticks % PURGE_EVERY_TICKS == 0:
                with services.engine.begin() as conn:
                    services.tokens.purge_expired(conn)
                    services.limiter.purge(conn)
        except Exception:  # housekeeping must never take the server down; retry next tick
            log.exception("housekeeping failed")


def asgi_factory() -> Starlette:
    """Entry point for Granian workers: settings come from the environment `serve` prepared."""
    return create_app(load_settings())
