"""Builds the ASGI application from the enabled API packages."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.requests import ClientDisconnect, Request
from starlette.routing import Mount, Route, Router

from polytrack import admin_http
from polytrack.apis import all_packages
from polytrack.config import Settings, load_settings
from polytrack.kernel.hot import WalCheckpointer
from polytrack.kernel.routing import CaseInsensitiveRoute, ClaimingRoute
from polytrack.runtime import freeze_startup_heap
from polytrack.services import Services

log = logging.getLogger("polytrack")

CALL_LOG_FLUSH_SECONDS = 1.0
PURGE_EVERY_TICKS = 300
BACKGROUND_RESTART_SECONDS = 1.0


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
        tasks = [asyncio.create_task(_housekeeping_forever(services))]
        tasks += [asyncio.create_task(_outliving_errors(package.name, run))
                  for package in packages for run in package.background_tasks(services)]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            services.calllog.flush()
            services.hot.close()

    app = PolytrackApp(routes=routes, lifespan=lifespan, exception_handlers={404: _not_found, 405: _not_allowed})
    app.state.services = services
    return app


class PolytrackApp(Starlette):
    """Starlette with a router that finds the fixed API paths (every API's endpoint:
    /api2.ashx, /cgi-bin/wt/JSONRPC.cgi, ...) by one dict lookup instead of trying each route
    in turn (ExactPathsFirstRouter).

    While no middleware was added (`add_middleware`), a request for such a path also skips
    Starlette's own error and exception middleware and per-route wrapping (a third of a cheap
    call's cost): those endpoints answer every error in their API's own shape themselves;
    should one raise anyway, it is logged and answered 500, as Starlette's error middleware
    would. Once a middleware is added, every request goes through the whole stack, API paths
    included, and the router still finds them by the dict lookup."""

    router: "ExactPathsFirstRouter"

    def __init__(self, *, routes, lifespan, exception_handlers):
        super().__init__(routes=routes, lifespan=lifespan, exception_handlers=exception_handlers)
        self.router = ExactPathsFirstRouter(routes=routes, lifespan=lifespan)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or self.user_middleware:
            await super().__call__(scope, receive, send)
            return
        endpoint = self.router.fixed_path_endpoint(scope)
        if endpoint is None:
            await super().__call__(scope, receive, send)
            return
        scope["app"] = self
        try:
            response = await endpoint(Request(scope, receive, send))
        except ClientDisconnect:
            return  # nobody left to answer
        except Exception:
            log.exception("%s %s failed", scope["method"], scope["path"])
            response = PlainTextResponse("Internal Server Error", status_code=500)
        await response(scope, receive, send)


class ExactPathsFirstRouter(Router):
    """Starlette's router, plus `fixed_path_endpoint`: the endpoint function of a fixed path
    (and a method its route takes), found by one dict lookup, or of a route that claims a whole
    family of paths no other route serves (a `ClaimingRoute`). Used by PolytrackApp
    before its middleware, and by the router itself inside the middleware stack."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.exact: dict[str, tuple] = {}  # path -> (methods or None, endpoint)
        self.folded: dict[str, tuple] = {}  # the same for case-insensitive paths, by lower-case path
        for route in self.routes:
            if isinstance(route, Route) and not route.param_convertors and inspect.iscoroutinefunction(route.endpoint):
                self.exact.setdefault(route.path, (route.methods, route.endpoint))
            elif isinstance(route, CaseInsensitiveRoute):
                self.folded.setdefault(route.path.lower(), (route.methods, route.endpoint))
        # routes that claim a family of paths (Mapp's pixel, Trackier's API and tracking links)
        self.claiming = [route for route in self.routes if isinstance(route, ClaimingRoute)]

    async def app(self, scope, receive, send) -> None:
        endpoint = self.fixed_path_endpoint(scope) if scope["type"] == "http" else None
        if endpoint is None:
            await super().app(scope, receive, send)
            return
        response = await endpoint(Request(scope, receive, send))
        await response(scope, receive, send)

    def fixed_path_endpoint(self, scope):
        path = scope["path"]
        found = self.exact.get(path) or self.folded.get(path.lower())
        if found is None:
            found = next(((None, route.endpoint) for route in self.claiming if route.claims(path)), None)
        if found is None or (found[0] is not None and scope["method"] not in found[0]):
            return None
        scope["router"] = self
        scope["endpoint"] = found[1]
        scope["path_params"] = {}
        return found[1]


async def _not_found(_request, _exc):
    return PlainTextResponse("Not Found", status_code=404)


async def _not_allowed(_request, _exc):
    return PlainTextResponse("", status_code=405)


async def _outliving_errors(api: str, run) -> None:
    """An API's background task: logged and started again when it fails (a second later), so
    a bad moment (a database restart) does not end it for the worker's life."""
    while True:
        try:
            await run()
            return
        except Exception:
            log.exception("%s background task %s failed; restarting it", api, getattr(run, "__qualname__", run))
            await asyncio.sleep(BACKGROUND_RESTART_SECONDS)


async def _housekeeping_forever(services: Services) -> None:
    """Flush the call log every second and checkpoint SQLite's WAL in a thread (off the event
    loop: kernel.hot.WalCheckpointer); purge expired tokens and stale rate-limit rows now and
    then (every worker does it; the deletes are idempotent)."""
    ticks = 0
    checkpointer = WalCheckpointer(services.engine)
    try:
        while True:
            await asyncio.sleep(CALL_LOG_FLUSH_SECONDS)
            ticks += 1
            await _housekeeping_tick(services, checkpointer, ticks)
    finally:
        checkpointer.close()


async def _housekeeping_tick(services: Services, checkpointer: WalCheckpointer, ticks: int) -> None:
    try:
        services.calllog.flush()
        await asyncio.to_thread(checkpointer.checkpoint)
        if ticks % PURGE_EVERY_TICKS == 0:
            with services.transaction() as db:
                services.tokens.purge_expired(db)
                services.limiter.purge(db)
    except Exception:  # housekeeping must never take the server down; retry next tick
        log.exception("housekeeping failed")


def asgi_factory() -> Starlette:
    """Entry point for Granian workers: settings come from the environment `serve` prepared."""
    return create_app(load_settings())
