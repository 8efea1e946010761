"""PAYT data collection: positions from GPS devices and phone apps (OsmAnd protocol).

Served at `/osmand` on the main port and on any path of its own port (`settings.osmand_port`,
Traccar's 5055 by default; `osmand_app` is the Granian factory for it). Answers as Traccar
does: 200 with an empty body when the position is taken (also for duplicates and late
arrivals), 400 for malformed input or an unknown device id (404 for an unknown device in the
JSON form), with a short plain-text reason.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from polytrack.payt import derive
from polytrack.payt.ingest.cache import device_cache
from polytrack.payt.ingest.osmand import (
    KNOT_KPH, SPEED_UNITS_KPH, DecodeError, Fix, check_time, decode_request,
)

log = logging.getLogger("polytrack.payt.ingest")

MAX_BODY_BYTES = 1 << 20
METHODS = ["GET", "POST"]
OK = Response(status_code=200)

_COUNT_UNKNOWN = (
    "INSERT INTO payt_unknown_devices (identifier, first_seen_ms, last_seen_ms, attempts) VALUES (?,?,?,1) "
    "ON CONFLICT (identifier) DO UPDATE SET last_seen_ms=excluded.last_seen_ms, "
    "attempts=payt_unknown_devices.attempts + 1"
)


class Refused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class Writer:
    """One transaction per position on a DB-API connection this process keeps for ingest.

    A position costs a handful of short statements; SQLAlchemy's per-transaction machinery
    (pool checkout, events, begin/commit bookkeeping) would cost more than all of them, so the
    hot path holds one pooled connection and drives the transaction itself: BEGIN IMMEDIATE on
    SQLite (take the write lock up front, as kernel.db does for writers), the driver's implicit
    transaction on PostgreSQL."""

    def __init__(self, engine):
        self.engine = engine
        self.pg = engine.dialect.name == "postgresql"
        self._raw = None

    def apply(self, rules, context, row) -> str:
        if self._raw is None:
            self._raw = self.engine.raw_connection()
        dbapi = self._raw.driver_connection
        try:
            if not self.pg:
                dbapi.execute("BEGIN IMMEDIATE")
            outcome = derive.apply_live_sql(derive.DriverSql.on_dbapi(dbapi, pg=self.pg), rules, context, row)
            dbapi.commit() if self.pg else dbapi.execute("COMMIT")
            return outcome
        except BaseException as exc:
            try:
                dbapi.rollback() if self.pg else dbapi.execute("ROLLBACK")
            except Exception:  # a broken connection: drop it, the next position opens another
                self._drop()
            if isinstance(exc, self.engine.dialect.dbapi.IntegrityError):
                raise IntegrityError(str(exc), row, exc) from exc
            if isinstance(exc, self.engine.dialect.dbapi.Error):
                self._drop()
                raise DBAPIError(str(exc), row, exc) from exc
            raise

    def _drop(self) -> None:
        raw, self._raw = self._raw, None
        if raw is not None:
            try:
                raw.invalidate()
            except Exception:
                pass


class PositionIngest:
    """Stores decoded fixes: device lookup (cached), one transaction per position, live derivation."""

    def __init__(self, services):
        self.services = services
        settings = services.settings
        self.rules = derive.use_settings(settings)
        unit = str(settings.api_setting("payt.osmand_speed_unit", "kn")).lower()
        self.speed_unit_kph = SPEED_UNITS_KPH.get(unit, KNOT_KPH)
        self.max_future_ms = int(float(settings.api_setting("payt.max_future_seconds", 86400)) * 1000)
        self.writer = Writer(services.engine)

    def now_ms(self) -> int:
        return int(self.services.clock.timestamp() * 1000)

    def store(self, fixes: list[Fix]) -> list[str]:
        """Store fixes of one device; returns derive.STORED/DUPLICATE/LATE per fix. Raises Refused."""
        now_ms = self.now_ms()
        identifier = fixes[0].device
        known = device_cache.get(self.services.engine.connect, identifier)
        if known is None:
            self.count_unknown(identifier, now_ms)
            raise Refused(404 if fixes[0].json_form else 400, f"unknown device {identifier[:128]}")
        if known.vehicle_id is None:
            raise Refused(400, f"device {identifier[:128]} is not fitted to a vehicle")
        for fix in fixes:
            if fix.fix_ms is None:
                fix.fix_ms = now_ms
            check_time(fix.fix_ms, now_ms, self.max_future_ms)
        outcomes = []
        for fix in fixes:
            if not fix.valid:  # the device itself says the fix is not a real position
                outcomes.append("invalid")
                continue
            outcomes.append(self._store_one(known, fix, now_ms))
        return outcomes

    def _store_one(self, known, fix: Fix, now_ms: int) -> str:
        row = (known.vehicle_id, known.device_id, fix.fix_ms, now_ms, fix.latitude, fix.longitude, fix.speed_kph,
               fix.heading, fix.altitude, fix.accuracy, fix.battery, fix.ignition)
        try:
            context = derive.load_context_cached(known.vehicle_id)
            if context is None:
                with self.services.engine.connect() as conn:
                    context = derive.load_context(conn, known.vehicle_id, self.rules)
                if context is None:
                    raise IntegrityError("vehicle vanished", None, Exception())
            return self.writer.apply(self.rules, context, row)
        except IntegrityError:
            # the vehicle or device was removed or refitted since we cached it: look again once
            device_cache.forget(fix.device)
            derive.invalidate_contexts()
            again = device_cache.get(self.services.engine.connect, fix.device)
            if again is None or again.vehicle_id is None:
                raise Refused(400, f"unknown device {fix.device[:128]}") from None
            if again == known:
                raise
            return self._store_one(again, fix, now_ms)

    def count_unknown(self, identifier: str, now_ms: int) -> None:
        with self.services.engine.begin() as conn:
            derive.DriverSql(conn).run(_COUNT_UNKNOWN, (identifier[:128], now_ms, now_ms))

    async def endpoint(self, request: Request) -> Response:
        if request.method not in ("GET", "POST"):
            return PlainTextResponse("method not allowed", status_code=405, headers={"Allow": "GET, POST"})
        body = b""
        if request.method == "POST":
            body = await request.body()
            if len(body) > MAX_BODY_BYTES:
                return PlainTextResponse("body too large", status_code=413)
        try:
            fixes = decode_request(request.url.query, body, request.headers.get("content-type", ""),
                                   speed_unit_kph=self.speed_unit_kph)
            if len({fix.device for fix in fixes}) != 1:
                raise DecodeError(400, "one device per request")
            self.store(fixes)
        except (DecodeError, Refused) as refused:
            return PlainTextResponse(refused.message, status_code=refused.status)
        except DBAPIError:
            log.exception("storing a position failed")
            # a temporary database problem: devices retry on anything but 200
            return PlainTextResponse("temporarily unable to store the position", status_code=503)
        return OK


def routes(services) -> list:
    """The OsmAnd endpoint on the main port: /osmand (and anything under it)."""
    ingest = PositionIngest(services)

    async def osmand(request: Request) -> Response:
        return await ingest.endpoint(request)

    return [Route("/osmand", osmand, methods=METHODS), Route("/osmand/{rest:path}", osmand, methods=METHODS)]


def build_osmand_app(services) -> Starlette:
    """The device listener: the OsmAnd protocol on every path."""
    ingest = PositionIngest(services)

    async def osmand(request: Request) -> Response:
        return await ingest.endpoint(request)

    app = Starlette(routes=[Route("/{path:path}", osmand, methods=METHODS)])
    app.state.services = services
    return app


def osmand_app() -> Starlette:
    """Granian factory for the separate device port (settings come from the environment that
    `polytrack serve` prepared)."""
    from polytrack.config import load_settings
    from polytrack.services import Services

    settings = load_settings()
    return build_osmand_app(Services.build(settings))
