"""Files that belong to one database but live outside it: the read caches' change marker
(kernel.coherence), AvidTrak's server secret. Beside a SQLite file they take its name; for a
PostgreSQL database they are named by a digest of the server and database they belong to."""

from __future__ import annotations

import hashlib

from sqlalchemy.engine import URL


def sqlite_file(url: URL) -> str | None:
    """The SQLite database's file; None for an in-memory database (no other process shares it)."""
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file::memory:") or "mode=memory" in str(url):
        return None
    return database


def server_digest(url: URL) -> str:
    """20 hex digits naming one server database: host, port, database and user."""
    identity = f"{url.host}:{url.port}/{url.database}?{url.username}"
    return hashlib.sha256(identity.encode()).hexdigest()[:20]
