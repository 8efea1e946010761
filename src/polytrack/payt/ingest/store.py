"""Storing positions: validation against the fleet (device lookup and vehicle context, cached
per process), then group commit (batch.py) on the kernel's held driver connection."""

from __future__ import annotations

import logging

from polytrack.kernel.hot import CollectedDB
from polytrack.kernel.sql import Statement
from polytrack.payt import derive
from polytrack.kernel.groupcommit import GroupCommit
from polytrack.payt.ingest.batch import Prepared, apply_in_order
from polytrack.payt.ingest.cache import KnownDevice, device_cache
from polytrack.payt.ingest.osmand import KNOT_KPH, SPEED_UNITS_KPH, Fix, check_time

log = logging.getLogger("polytrack.payt.ingest")

_COUNT_UNKNOWN = Statement(
    "INSERT INTO payt_unknown_devices (identifier, first_seen_ms, last_seen_ms, attempts) VALUES (?,?,?,1) "
    "ON CONFLICT (identifier) DO UPDATE SET last_seen_ms=excluded.last_seen_ms, "
    "attempts=payt_unknown_devices.attempts + 1"
)


class IngestDB(CollectedDB):
    """The ingest's held connection (kernel.hot.CollectedDB): it writes only collected data
    (positions, what the derivation makes of them, unknown-device counts)."""

    def _connect(self):
        driver = super()._connect()
        if self.dialect == "sqlite":
            # the savepoint around a batch's position inserts keeps its undo pages in memory,
            # not in a temporary file opened and unlinked per batch
            driver.execute("PRAGMA temp_store=MEMORY")
        return driver


class Refused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class PositionIngest:
    """Validates fixes (device lookup and vehicle context cached per process), then stores them
    by group commit (batch.py): many requests' fixes per transaction, each request answered
    after the commit that holds its fixes.

    The transactions run on a held driver connection (`IngestDB`, kernel.hot's kind): a
    position costs a handful of short statements, and SQLAlchemy's per-transaction machinery
    (pool checkout, events, begin/commit bookkeeping) would cost more than all of them."""

    def __init__(self, services):
        self.services = services
        settings = services.settings
        self.rules = derive.use_settings(settings)
        unit = str(settings.api_setting("payt.osmand_speed_unit", "kn")).lower()
        self.speed_unit_kph = SPEED_UNITS_KPH.get(unit, KNOT_KPH)
        self.max_future_ms = int(float(settings.api_setting("payt.max_future_seconds", 86400)) * 1000)
        self.db = IngestDB(services.engine)
        # this process's device and vehicle facts follow every change committed anywhere
        device_cache.follow(services.generation)
        derive.follow_changes(services.generation)
        self.driver_errors = services.engine.dialect.loaded_dbapi
        self.group_commit = GroupCommit(self._store_batch, self._store_alone)

    def now_ms(self) -> int:
        return int(self.services.clock.timestamp() * 1000)

    # --- before a fix joins a batch: everything that can be checked --------------------------
    def prepare(self, fixes: list[Fix]) -> list[Prepared]:
        """The fixes of one device, validated and bound to its vehicle; `valid=false` fixes are
        dropped (the device itself says they are no real position). Raises Refused."""
        now_ms = self.now_ms()
        identifier = fixes[0].device
        known = device_cache.get(self.db, identifier)
        if known is None:
            self.count_unknown(identifier, now_ms)
            raise Refused(404 if fixes[0].json_form else 400, f"unknown device {identifier[:128]}")
        if known.vehicle_id is None:
            raise Refused(400, f"device {identifier[:128]} is not fitted to a vehicle")
        for fix in fixes:
            if fix.fix_ms is None:
                fix.fix_ms = now_ms
            check_time(fix.fix_ms, now_ms, self.max_future_ms)
        context = self._context(known.vehicle_id)
        if context is None:  # the vehicle was removed since we cached its device
            known = self._look_again(identifier)
            context = self._context(known.vehicle_id)
            if context is None:
                raise Refused(400, f"device {identifier[:128]} is not fitted to a vehicle")
        return [Prepared(identifier, context, (
            known.vehicle_id, known.device_id, fix.fix_ms, now_ms, fix.latitude, fix.longitude, fix.speed_kph,
            fix.heading, fix.altitude, fix.accuracy, fix.battery, fix.ignition,
        )) for fix in fixes if fix.valid]

    def _context(self, vehicle_id: int | None):
        if vehicle_id is None:  # the device is not fitted to a vehicle
            return None
        context = derive.load_context_cached(vehicle_id)
        if context is None:
            context = derive.load_context(self.db, vehicle_id, self.rules)
        return context

    def _look_again(self, identifier: str) -> KnownDevice:
        """After a sign that our caches are stale (another process refitted or removed a
        vehicle): forget them and look the device up once more."""
        device_cache.forget(identifier)
        derive.invalidate_contexts()
        known = device_cache.get(self.db, identifier)
        if known is None:
            raise Refused(400, f"unknown device {identifier[:128]}")
        if known.vehicle_id is None:
            raise Refused(400, f"device {identifier[:128]} is not fitted to a vehicle")
        return known

    def count_unknown(self, identifier: str, now_ms: int) -> None:
        # On the ingest's own connection: collected data, so a device that keeps knocking with
        # an unknown id does not empty the other read caches (kernel.coherence) each time.
        self.db.run(_COUNT_UNKNOWN, (identifier[:128], now_ms, now_ms))

    # --- storing (called by the group commit, on the event loop's thread) --------------------
    def _transaction(self, fixes: list[Prepared]) -> list[str]:
        """One transaction: store and derive `fixes`, commit. A driver error rolls it back and
        propagates; a broken connection is closed (the next transaction opens another)."""
        try:
            with self.db.transaction():
                return apply_in_order(self.db, self.rules, fixes)
        except self.driver_errors.IntegrityError:
            raise
        except self.driver_errors.Error:
            self.db.close()
            raise

    def _store_batch(self, fixes: list[Prepared]) -> list[str]:
        return self._transaction(fixes)

    def _store_alone(self, fixes: list[Prepared]) -> list[str]:
        """One request's fixes in their own transaction. A foreign-key failure means the
        vehicle was removed or the device refitted since we cached it: look again, once."""
        try:
            return self._transaction(fixes)
        except self.driver_errors.IntegrityError:
            identifier = fixes[0].identifier
            known = self._look_again(identifier)
            old = fixes[0].row
            if (known.vehicle_id, known.device_id) == (old[0], old[1]):
                raise
            context = self._context(known.vehicle_id)
            if context is None:
                raise Refused(400, f"device {identifier[:128]} is not fitted to a vehicle") from None
            return self._transaction([Prepared(identifier, context, (known.vehicle_id, known.device_id, *fix.row[2:]))
                                      for fix in fixes])

    async def store(self, fixes: list[Fix]) -> list[str]:
        """Store the fixes of one device; returns derive.STORED/DUPLICATE/LATE per stored fix,
        once committed. Raises Refused, or a database error."""
        prepared = self.prepare(fixes)
        if not prepared:
            return []
        return await self.group_commit.submit(prepared)
