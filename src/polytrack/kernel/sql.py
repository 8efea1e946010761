"""One way to run SQL, on SQLite and on PostgreSQL.

* `Statement`: a fixed SQL text with `?` placeholders, run on the driver's cursor. SQLAlchemy's
  execute costs ~20 µs per statement (statement caching, result processing), the driver ~2 µs;
  everything an API call does on every request is a `Statement`.
* SQLAlchemy Core expressions for the rest (provisioning, imports, reports that build their
  queries), through the same connection object's `execute`.
* `Db`: the one connection interface domain functions take. Two kinds satisfy it: the hot
  path's held connection (`kernel.hot.HotDB`: autocommit, every read sees the latest commit of
  every process) and `Transaction` (one SQLAlchemy transaction, from `transaction(engine)`).
* Commits tell the read caches (kernel.coherence). `install_commit_hook` puts that on the
  engine's commit itself, so no SQLAlchemy write path can skip it; `HotDB` does the same for
  its own connection.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Any, Iterator, Protocol, Sequence

from sqlalchemy import event
from sqlalchemy.engine import Connection, CursorResult, Engine
from sqlalchemy.sql.base import Executable

# Options of the SQLite connections (pooled or held by kernel.hot).
SQLITE_BUSY_TIMEOUT_MS = 30_000


class Statement:
    """One SQL text written with `?` placeholders; works on SQLite and on PostgreSQL (psycopg).

    `writes`: anything but a SELECT (read caches hear of such a statement when it commits, see
    kernel.coherence). `bookkeeping=True` marks a write no API answer depends on (rate-limit
    counters, token touches, the call log): it leaves the read caches alone."""

    __slots__ = ("sqlite", "postgresql", "writes", "bookkeeping")

    def __init__(self, sql: str, *, bookkeeping: bool = False):
        self.sqlite = " ".join(sql.split())
        # psycopg's placeholders are %s, so a literal % (a LIKE pattern) is written %%
        self.postgresql = self.sqlite.replace("%", "%%").replace("?", "%s")
        self.writes = not self.sqlite[:6].upper() == "SELECT"
        self.bookkeeping = bookkeeping

    def text(self, dialect: str) -> str:
        return self.postgresql if dialect == "postgresql" else self.sqlite

    def __repr__(self) -> str:
        return f"Statement({self.sqlite[:60]!r})"


class Cursor(Protocol):
    """What `Db.run` returns: the DB-API cursor (sqlite3 and psycopg agree on these)."""

    rowcount: int

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Db(Protocol):
    """The connection every domain function takes (see the module docstring)."""

    dialect: str  # "sqlite" or "postgresql"

    def run(self, statement: Statement, params: Sequence[Any] = ()) -> Cursor:
        """Execute a fixed statement on the driver; the cursor holds its rows and rowcount."""

    def one(self, statement: Statement, params: Sequence[Any] = ()) -> Any:
        """The first row (a tuple), or None."""

    def all(self, statement: Statement, params: Sequence[Any] = ()) -> list[Any]:
        """Every row, as tuples."""

    def many(self, statement: Statement, rows: Sequence[Sequence[Any]]) -> int:
        """executemany; the number of rows changed in all."""

    def execute(self, clause: Executable) -> CursorResult[Any]:
        """A SQLAlchemy Core statement (select, insert, update, delete)."""


def day_value(db: Db, day):
    """A `datetime.date` as the driver stores SQLAlchemy Date columns: SQLite keeps ISO text,
    psycopg adapts the date itself."""
    return day if db.dialect == "postgresql" else day.isoformat()


class Transaction:
    """A `Db` on one SQLAlchemy transaction (open it with `transaction(engine)`): fixed
    statements go to the driver cursor of the same connection, Core ones through SQLAlchemy,
    and all of them commit together when the block ends."""

    __slots__ = ("connection", "dialect", "_driver")

    def __init__(self, connection: Connection):
        self.connection = connection
        self.dialect = connection.dialect.name
        self._driver: Any = None  # the DB-API connection, once a fixed statement needs it

    def _cursor(self) -> Any:
        if self._driver is None:
            if not self.connection.in_transaction():
                self.connection.begin()  # what SQLAlchemy's autobegin does for a Core statement
            self._driver = self.connection.connection.dbapi_connection
        if self.dialect == "sqlite":
            begin_sqlite_transaction(self.connection)  # SQLAlchemy sends its BEGIN lazily
        return self._driver.cursor()

    def run(self, statement: Statement, params: Sequence[Any] = ()) -> Cursor:
        cursor = self._cursor()
        cursor.execute(statement.text(self.dialect), params)
        return cursor

    def one(self, statement: Statement, params: Sequence[Any] = ()) -> Any:
        return self.run(statement, params).fetchone()

    def all(self, statement: Statement, params: Sequence[Any] = ()) -> list[Any]:
        return self.run(statement, params).fetchall()

    def many(self, statement: Statement, rows: Sequence[Sequence[Any]]) -> int:
        cursor = self._cursor()
        cursor.executemany(statement.text(self.dialect), rows)
        return cursor.rowcount

    def execute(self, clause: Executable, params: Any = None) -> CursorResult[Any]:
        return self.connection.execute(clause, params) if params is not None else self.connection.execute(clause)

    def scalar(self, clause: Executable) -> Any:
        return self.connection.scalar(clause)

    def driver_cursor(self, **options):
        """A cursor of the driver itself, for what only the driver offers (a PostgreSQL
        server-side cursor that streams a long replay)."""
        self._cursor()
        return self._driver.cursor(**options)


# SQLite transactions. A WAL transaction that reads first and writes later fails at once with
# SQLITE_BUSY (no busy wait) when another process committed in between: its snapshot is stale.
# Under several workers that happens all the time (every API call reads its credentials, then
# counts a rate-limit hit). So `transaction(engine)` — the way code opens a transaction that
# may write — starts with BEGIN IMMEDIATE, taking the write lock (waiting up to the busy
# timeout), while `engine.connect()` reads start a plain deferred BEGIN. The BEGIN is sent
# before the first statement, not when the block opens: a block that opens a transaction and
# then, before any statement of its own, runs a short one on the hot connection (PAYT's login
# counts its attempt that way) does not deadlock against itself.
_WRITER_OPTION = "polytrack_writer"


@contextmanager
def transaction(engine: Engine) -> Iterator[Transaction]:
    """One transaction that may write: committed when the block ends, rolled back if it raises.
    The read caches of every process hear of the commit (`install_commit_hook`)."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection.execution_options(**{_WRITER_OPTION: True})
        with connection.begin():
            yield Transaction(connection)


def begin_sqlite_transaction(connection: Connection) -> None:
    """Send BEGIN (IMMEDIATE in `transaction()` blocks) if the driver is not in a transaction yet."""
    driver = connection.connection.dbapi_connection
    assert driver is not None, "a connection checked out of the pool has its driver connection"
    if not driver.in_transaction:
        driver.execute("BEGIN IMMEDIATE" if connection.get_execution_options().get(_WRITER_OPTION) else "BEGIN")


def configure_sqlite_connection(dbapi_conn) -> None:
    """Settings every SQLite connection of ours runs with (pooled or held by kernel.hot)."""
    # The driver's own transaction handling off: transactions begin as described above.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def install_sqlite_begin(engine: Engine) -> None:
    """SQLite through SQLAlchemy: connections configured as above, BEGIN sent as above."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        configure_sqlite_connection(dbapi_conn)

    @event.listens_for(engine, "before_cursor_execute")
    def _sqlite_begin(conn, _cursor, _statement, _parameters, _context, _executemany):
        if conn.in_transaction():
            begin_sqlite_transaction(conn)


def install_commit_hook(engine: Engine, generation) -> None:
    """After every commit on `engine` that changed rows, move the read caches' marker
    (kernel.coherence.Generation.bump). On the dialect's commit itself, so every way of
    committing through SQLAlchemy (a `transaction()` block, `engine.begin()`, `conn.commit()`,
    a Session) tells the caches, and only after the data is committed. SQLite counts the rows
    a connection changed since its transaction began; on PostgreSQL every commit counts (the
    caches are off there by default)."""
    dialect = engine.dialect
    commit = dialect.do_commit
    if dialect.name != "sqlite":
        def do_commit(dbapi_connection):
            commit(dbapi_connection)
            generation.bump()

        setattr(dialect, "do_commit", do_commit)  # noqa: B010  (an instance attribute on purpose)
        return

    changes_at_begin: dict[int, int] = {}  # id(driver connection) -> total_changes at BEGIN
    lock = threading.Lock()

    @event.listens_for(engine, "begin")
    def _remember_changes(conn):
        driver = conn.connection.dbapi_connection
        with lock:
            changes_at_begin[id(driver)] = driver.total_changes

    def do_commit_sqlite(dbapi_connection):
        driver = getattr(dbapi_connection, "dbapi_connection", dbapi_connection)
        with lock:
            before = changes_at_begin.pop(id(driver), None)
        commit(dbapi_connection)
        if before is None or driver.total_changes != before:
            generation.bump()

    setattr(dialect, "do_commit", do_commit_sqlite)  # noqa: B010
