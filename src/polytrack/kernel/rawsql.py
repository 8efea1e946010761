"""Hot-path SQL run on the driver's cursor, inside the caller's SQLAlchemy transaction.

SQLAlchemy's execute costs ~20 µs per statement (statement caching, result processing); the
driver itself ~2 µs. The kernel's per-request statements (token lookup, rate-limit hit) are
fixed texts with plain types, so they skip that layer. Everything else uses SQLAlchemy Core.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from polytrack.kernel.db import begin_sqlite_transaction


class RawStatement:
    """One SQL text written with `?` placeholders; works on SQLite and on PostgreSQL (psycopg).

    `writes`: anything but a SELECT (read caches are told when such a statement commits, see
    kernel.coherence). `bookkeeping=True` marks a write no API answer depends on (rate-limit
    counters, token touches, the call log): it leaves the read caches alone."""

    __slots__ = ("sqlite", "postgresql", "writes", "bookkeeping")

    def __init__(self, sql: str, *, bookkeeping: bool = False):
        self.sqlite = " ".join(sql.split())
        self.postgresql = self.sqlite.replace("?", "%s")
        self.writes = not self.sqlite.upper().startswith("SELECT")
        self.bookkeeping = bookkeeping

    def run(self, conn, params: tuple = ()):
        """Execute on `conn`'s transaction (begun if it has not yet), or on a `kernel.hot.HotDB`;
        returns the driver cursor."""
        if not isinstance(conn, Connection):
            return conn.execute(self, params)
        if not conn.in_transaction():
            conn.begin()  # what SQLAlchemy's autobegin would do for a Core statement
        driver = conn.connection.dbapi_connection
        if conn.dialect.name == "postgresql":
            cursor = driver.cursor()
            cursor.execute(self.postgresql, params)
            return cursor
        begin_sqlite_transaction(conn)  # what the engine's before_cursor_execute hook does
        return driver.execute(self.sqlite, params)
