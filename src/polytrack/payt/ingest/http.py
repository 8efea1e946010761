"""The OsmAnd endpoint as a bare ASGI callable.

A device request is a query string in, a status out: Starlette's request/response objects,
routing and middlewares would cost as much as storing the position, so the device port is
served by `OsmandEndpoint` directly, and the main port mounts the same callable at /osmand.
Answers as Traccar does: 200 with an empty body when the position is taken (also duplicates
and late arrivals); 400 (404 for an unknown device in the JSON form) with a one-line
plain-text reason; 405, 413; 503 when the database failed (devices retry on anything but 200).
"""

from __future__ import annotations

import logging
from types import SimpleNamespace

from sqlalchemy.exc import DBAPIError
from starlette.requests import ClientDisconnect, Request

from polytrack.kernel.params import BadInput, query_pairs, read_body
from polytrack.payt.ingest.osmand import DecodeError, decode_request
from polytrack.payt.ingest.store import PositionIngest, Refused
from polytrack.runtime import freeze_startup_heap

log = logging.getLogger("polytrack.payt.ingest")

MAX_BODY_BYTES = 1 << 20


def _content_type(scope) -> str:
    for name, value in scope["headers"]:
        if name.lower() == b"content-type":
            return value.decode("latin-1")
    return ""


async def _plain(send, status: int, text: str, extra_headers=()) -> None:
    body = text.encode("utf-8")
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()),
        *extra_headers]})
    await send({"type": "http.response.body", "body": body})


class OsmandEndpoint:
    """ASGI app: the OsmAnd protocol on every path it is given. Handles the lifespan too (the
    device port has no other app around it): at shutdown it closes the held connection."""

    def __init__(self, services):
        self.ingest = PositionIngest(services)
        self.services = services
        self.driver_errors = services.engine.dialect.loaded_dbapi.Error
        self.state = SimpleNamespace(services=services, ingest=self.ingest)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            await self.http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self.lifespan(receive, send)

    async def lifespan(self, receive, send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                freeze_startup_heap()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.ingest.db.close()  # the connection the group commit held on this thread
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def http(self, scope, receive, send) -> None:
        method = scope["method"]
        body = b""
        content_type = ""
        if method == "POST":
            try:
                body = await read_body(Request(scope, receive), max_bytes=MAX_BODY_BYTES)
            except BadInput:  # the only thing read_body refuses: a body over the limit
                await _plain(send, 413, "body too large")
                return
            except ClientDisconnect:
                return
            # only a body has a type (a GET is always the parameter form)
            content_type = _content_type(scope)
        elif method != "GET":
            await _plain(send, 405, "method not allowed", [(b"allow", b"GET, POST")])
            return
        try:
            # bytes that are no UTF-8 read as U+FFFD (Traccar Client sends plain ASCII; an odd
            # byte makes at worst an unknown device id, never a failure)
            pairs = query_pairs(scope)
            fixes = decode_request(pairs, body, content_type, speed_unit_kph=self.ingest.speed_unit_kph)
            device = fixes[0].device
            if any(fix.device != device for fix in fixes):
                raise DecodeError(400, "one device per request")
            await self.ingest.store(fixes)
        except (DecodeError, Refused) as refused:
            await _plain(send, refused.status, refused.message)
            return
        except (DBAPIError, self.driver_errors):
            log.exception("storing a position failed")
            await _plain(send, 503, "temporarily unable to store the position")
            return
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})
