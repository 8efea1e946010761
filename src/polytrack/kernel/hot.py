"""The hot path's database access: one DB-API connection held per thread, no SQLAlchemy layer.

An API call that only reads its credentials and a few rows should cost microseconds, not the
~30 µs of a SQLAlchemy transaction block plus ~20-50 µs per SQLAlchemy statement (bench/RESULTS.md).
`HotDB` keeps one driver connection per thread (the event-loop thread of a Granian worker, in
practice), in autocommit mode: each read sees the latest committed data of every worker, and a
single-statement write (a rate-limit UPSERT, a token touch) is atomic on its own. Several
statements that must commit together go in `with hot.transaction():`.

`HotDB` is a `kernel.sql.Db`: fixed `Statement`s run on the held driver connection; a
SQLAlchemy Core statement (`execute`) runs on a pooled connection of the engine, in its own
transaction, so a read operation may use Core where speed does not matter.

Writes tell the read caches (kernel.coherence) after they commit: an autocommit write at once,
a transaction at its COMMIT; bookkeeping writes (rate-limit counters, token touches, the call
log) do not.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

from typing import Any, Sequence, cast

from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.sql.base import Executable

from polytrack.kernel.coherence import generation_for
from polytrack.kernel.sql import Cursor, Statement, configure_sqlite_connection, transaction


class HotDB:
    # True for a connection that writes only collected data (kernel.coherence): its commits
    # move only the `collected` marker.
    collected = False

    def __init__(self, engine: Engine):
        self.engine = engine
        self.dialect = engine.dialect.name
        self.generation = generation_for(engine.url)
        self._local = threading.local()

    def _connect(self):
        # A connection of our own, outside the engine's pool: it lives as long as its thread
        # (thread-local storage; closed when the thread ends) and never starves the pool.
        cargs, cparams = self.engine.dialect.create_connect_args(self.engine.url)
        driver = self.engine.dialect.loaded_dbapi.connect(*cargs, **cparams)
        if self.dialect == "sqlite":
            configure_sqlite_connection(driver)
        else:
            driver.autocommit = True
        self._local.driver = driver
        return driver

    def driver(self):
        driver = getattr(self._local, "driver", None)
        return driver if driver is not None else self._connect()

    def run(self, statement: Statement, params: Sequence[Any] = ()) -> Cursor:
        """Run a fixed statement; returns the driver cursor. A read outside a transaction that meets
        a broken connection (PostgreSQL restarted, network cut) is retried once on a new one."""
        driver = self.driver()
        try:
            cursor = self._run(driver, statement, params)
            if statement.writes and not statement.bookkeeping:
                if getattr(self._local, "in_transaction", False):
                    self._local.changed = True
                else:
                    self.generation.bump(collected=self.collected)
            return cursor
        except Exception:
            if not self._discard_if_broken(driver):
                raise
            # Inside a transaction the work so far is lost with the connection: the caller must see it.
            if getattr(self._local, "in_transaction", False) or not statement.sqlite.lstrip()[:6].upper() == "SELECT":
                raise
            return self._run(self.driver(), statement, params)

    def _run(self, driver, statement, params):
        if self.dialect == "sqlite":
            return driver.execute(statement.sqlite, params)
        cursor = driver.cursor()
        cursor.execute(statement.postgresql, params)
        return cursor

    def _discard_if_broken(self, driver) -> bool:
        """Forget this thread's connection if it no longer works; the next call opens a new one."""
        broken = bool(getattr(driver, "closed", False)) or bool(getattr(driver, "broken", False))
        if not broken and self.dialect == "sqlite":
            return False
        if broken:
            self.close()
        return broken

    def many(self, statement: Statement, rows: Sequence[Sequence[Any]]) -> int:
        driver = self.driver()
        if self.dialect == "sqlite":
            changed = driver.executemany(statement.sqlite, rows).rowcount
        else:
            with driver.cursor() as cursor:
                cursor.executemany(statement.postgresql, rows)
                changed = cursor.rowcount
        if not statement.bookkeeping:
            if getattr(self._local, "in_transaction", False):
                self._local.changed = True
            else:
                self.generation.bump(collected=self.collected)
        return changed

    def one(self, statement: Statement, params: Sequence[Any] = ()) -> Any:
        return self.run(statement, params).fetchone()

    def all(self, statement: Statement, params: Sequence[Any] = ()) -> list[Any]:
        return self.run(statement, params).fetchall()

    def execute(self, clause: Executable) -> CursorResult[Any]:
        """A SQLAlchemy Core statement, on a pooled connection in a transaction of its own
        (committed at once, like the held connection's autocommit); rows come back buffered.
        Not inside `transaction()`: that one's statements must be fixed ones."""
        if getattr(self._local, "in_transaction", False):
            raise RuntimeError("a SQLAlchemy statement inside a HotDB transaction would not be part of it")
        if getattr(clause, "is_dml", False):
            with transaction(self.engine) as db:
                return db.execute(clause)
        with self.engine.connect() as conn:
            result = conn.execute(clause)
            # A read: its rows, buffered before the connection goes back to the pool (what a
            # read needs of a CursorResult; it has no rowcount).
            return cast("CursorResult[Any]", result.freeze()()) if result.returns_rows else result

    def scalar(self, clause: Executable) -> Any:
        return self.execute(clause).scalar()

    @contextmanager
    def transaction(self, *, bookkeeping: bool = False):
        """Statements inside commit together (SQLite: BEGIN IMMEDIATE, the write lock up front,
        so a read-then-write never meets a stale snapshot). Nested use joins the outer one.

        After the COMMIT the read caches hear of it, unless `bookkeeping` (only writes no API
        answer depends on) or nothing changed: no write through `execute`/`executemany` other
        than bookkeeping ones and, on SQLite, no row changed by any statement on the connection
        (writers that use the driver's cursor directly, like the PAYT ingest, are counted so)."""
        driver = self.driver()
        if getattr(self._local, "in_transaction", False) or (self.dialect == "sqlite" and driver.in_transaction):
            yield self
            return
        self._local.in_transaction = True
        self._local.changed = False
        changes_before = driver.total_changes if self.dialect == "sqlite" else None
        try:
            if self.dialect == "sqlite":
                driver.execute("BEGIN IMMEDIATE")
                try:
                    yield self
                except BaseException:
                    driver.execute("ROLLBACK")
                    raise
                driver.execute("COMMIT")
                changed = self._local.changed or (not bookkeeping and driver.total_changes != changes_before)
            else:
                with driver.transaction():
                    yield self
                changed = self._local.changed or not bookkeeping
        except Exception:
            self._discard_if_broken(driver)
            raise
        finally:
            self._local.in_transaction = False
        if changed:
            self.generation.bump(collected=self.collected)

    def close(self) -> None:
        """Close this thread's connection (other threads' close when their thread ends)."""
        driver = getattr(self._local, "driver", None)
        if driver is not None:
            self._local.driver = None
            try:
                driver.close()
            except Exception:  # closing a broken connection: nothing left to save
                pass


# SQLite copies the WAL back into the database (a checkpoint, with two fsyncs) when a commit
# leaves more than this many pages in it. A checkpoint inside a commit stalls the event loop
# for tens of milliseconds (every request of the worker waits: the tail of the latency), so a
# serving worker checkpoints from a thread instead (`WalCheckpointer`, every second); this
# bound only catches a WAL the thread cannot keep up with, and writers with no server around
# them (`polytrack mapp import`, the demo's seeding).
COLLECTED_WAL_AUTOCHECKPOINT_PAGES = 40_000


class CollectedDB(HotDB):
    """The held connection of a collection endpoint (GPS fixes, pixel hits, clicks, calls and
    visits): it writes only collected data, so its commits move only the `collected` marker
    (kernel.coherence) and leave the caches of credentials and settings warm; on SQLite its
    commits leave the WAL's checkpoints to the worker's `WalCheckpointer`."""

    collected = True

    def _connect(self):
        driver = super()._connect()
        if self.dialect == "sqlite":
            driver.execute(f"PRAGMA wal_autocheckpoint={COLLECTED_WAL_AUTOCHECKPOINT_PAGES}")
        return driver


class WalCheckpointer:
    """Copies a SQLite database's WAL back into it (a PASSIVE checkpoint: it never waits for,
    nor blocks, readers and writers) on a connection of its own, meant to run in a thread:
    the event loop goes on answering while the checkpoint writes and syncs. Several workers'
    checkpointers do not queue behind each other: one busy with it is enough. Nothing to do on
    PostgreSQL."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._driver: Any = None  # a sqlite3 connection, once made
        self._lock = threading.Lock()

    def checkpoint(self) -> None:
        if self.engine.dialect.name != "sqlite" or not self._lock.acquire(blocking=False):
            return
        try:
            if self._driver is None:
                cargs, cparams = self.engine.dialect.create_connect_args(self.engine.url)
                # used from whichever thread of the executor runs it, one call at a time (the lock)
                driver = self.engine.dialect.loaded_dbapi.connect(*cargs, **{**cparams, "check_same_thread": False})
                driver.isolation_level = None
                driver.execute("PRAGMA busy_timeout=0")
                self._driver = driver
            self._driver.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except Exception:
            self._close()  # a new connection next time
            raise
        finally:
            self._lock.release()

    def close(self) -> None:
        """Close the connection, after a checkpoint running in another thread ends."""
        with self._lock:
            self._close()

    def _close(self) -> None:
        driver, self._driver = self._driver, None
        if driver is not None:
            try:
                driver.close()
            except Exception:  # closing a broken connection: nothing left to save
                pass
