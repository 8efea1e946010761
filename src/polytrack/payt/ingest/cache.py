"""Per-process cache: device identifier -> (device id, vehicle id, client id).

Devices send positions many times a minute, so the identifier lookup must not cost a query
each time. A read cache (kernel.coherence): once the ingest binds it to the database's marker
(`follow`), any process's committed change to devices or vehicles empties it at once (a device
refitted through another worker's admin API counts from its next fix); positions do not.
Unbound, entries expire after TTL_SECONDS. A miss always asks the database, so a freshly
created device works at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from polytrack.kernel.coherence import CoherentCache, Generation
from polytrack.kernel.sql import Db, Statement

# Also the longest an entry lives when a change comes from outside polytrack.
TTL_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class KnownDevice:
    device_id: int
    vehicle_id: int | None  # None = registered but not fitted to a vehicle
    client_id: int


class DeviceCache:
    def __init__(self, ttl: float = TTL_SECONDS):
        self.ttl = ttl
        self._entries = CoherentCache(Generation(None), max_age=ttl)

    def follow(self, generation: Generation) -> None:
        """Let every committed change of any process empty this cache."""
        if self._entries.generation is not generation:
            self._entries = CoherentCache(generation, max_age=self.ttl)

    def get(self, db: Db, identifier: str) -> KnownDevice | None:
        return self._entries.get_or_load(identifier, lambda: lookup(db, identifier))

    def forget(self, identifier: str) -> None:
        self._entries.discard(identifier)

    def clear(self) -> None:
        self._entries.clear()


_DEVICE = Statement("""
    SELECT d.id, v.id, d.client_id FROM payt_devices d LEFT JOIN payt_vehicles v ON v.device_id = d.id
    WHERE d.identifier = ?
""")


def lookup(db: Db, identifier: str) -> KnownDevice | None:
    row = db.one(_DEVICE, (identifier,))
    return KnownDevice(row[0], row[1], row[2]) if row else None


device_cache = DeviceCache()
