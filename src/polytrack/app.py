"""Builds the ASGI application from the enabled API packages."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Mount

from polytrack import admin_http
from polytrack.apis import all_packages
from polytrack.config import Settings, load_settings
from polytrack.services import Services

log = logging.getLogger("polytrack")

CALL_LOG_FLUSH_SECONDS = 1.0


def create_app(settings: Settings | None = None, *, services: Services | None = None) -> Starlette:
    settings = settings or (services.settings if services else load_settings())
    services = services or Services.build(settings)
    packages = all_packages()

    routes = [Mount("/_polytrack", routes=admin_http.routes(services, packages))]
    for package in packages:
        routes.extend(package.routes(services))

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        flusher = asyncio.create_task(_flush_call_log_forever(services))
        try:
            yield
        finally:
            flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flusher
            services.calllog.flush()

    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={404: _not_found, 405: _not_allowed})
    app.state.services = services
    return app


async def _not_found(_request, _exc):
    return PlainTextResponse("Not Found", status_code=404)


async def _not_allowed(_request, _exc):
    return PlainTextResponse("", status_code=405)


async def _flush_call_log_forever(services: Services) -> None:
    while True:
        await asyncio.sleep(CALL_LOG_FLUSH_SECONDS)
        try:
            services.calllog.flush()
        except Exception:  # the log must never take the server down; retry next tick
            log.exception("call log flush failed")


def asgi_factory() -> Starlette:
    """Entry point for Granian workers: settings come from the environment `serve` prepared."""
    return create_app(load_settings())
