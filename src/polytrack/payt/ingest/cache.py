"""Per-process cache: device identifier -> (device id, vehicle id, client id).

Devices send positions many times a minute, so the identifier lookup must not cost a query
each time. Entries expire after a short time (other processes may refit a device); fleet.py
clears the cache of its own process on every change; a miss always asks the database, so a
freshly created device works at once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import Connection

from polytrack.payt.tables import payt_devices, payt_vehicles

TTL_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class KnownDevice:
    device_id: int
    vehicle_id: int | None  # None = registered but not fitted to a vehicle
    client_id: int


class DeviceCache:
    def __init__(self, ttl: float = TTL_SECONDS):
        self.ttl = ttl
        self._entries: dict[str, tuple[float, KnownDevice]] = {}

    def get(self, conn_factory, identifier: str) -> KnownDevice | None:
        now = time.monotonic()
        hit = self._entries.get(identifier)
        if hit is not None and hit[0] > now:
            return hit[1]
        with conn_factory() as conn:
            known = lookup(conn, identifier)
        if known is None:
            self._entries.pop(identifier, None)
        else:
            self._entries[identifier] = (now + self.ttl, known)
        return known

    def forget(self, identifier: str) -> None:
        self._entries.pop(identifier, None)

    def clear(self) -> None:
        self._entries.clear()


def lookup(conn: Connection, identifier: str) -> KnownDevice | None:
    row = conn.execute(
        select(payt_devices.c.id, payt_vehicles.c.id.label("vehicle_id"), payt_devices.c.client_id)
        .select_from(payt_devices.outerjoin(payt_vehicles, payt_vehicles.c.device_id == payt_devices.c.id))
        .where(payt_devices.c.identifier == identifier)
    ).first()
    return KnownDevice(row[0], row[1], row[2]) if row else None


device_cache = DeviceCache()
