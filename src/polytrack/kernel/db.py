"""Storage: one SQLAlchemy engine for SQLite (embedded default) or PostgreSQL.

Every table of every API registers on the one `metadata` below, so Alembic, `wipe` and the
tests see the whole schema. SQLite runs in WAL mode with a busy timeout so several worker
processes can share one file.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import MetaData, create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool

from polytrack.kernel.coherence import generation_for

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

SQLITE_BUSY_TIMEOUT_MS = 30_000


def normalise_url(url: str) -> str:
    """Accept the short forms users type (`postgresql://`, a bare file path) and pick our drivers."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    if "://" not in url:
        url = "sqlite:///" + str(Path(url).resolve())
    return url


def is_sqlite(url_or_engine) -> bool:
    name = url_or_engine.dialect.name if isinstance(url_or_engine, Engine) else normalise_url(url_or_engine)
    return str(name).startswith("sqlite")


def configure_sqlite_connection(dbapi_conn) -> None:
    """Settings every SQLite connection of ours runs with (pooled or held by kernel.hot)."""
    # The driver's own transaction handling off: transactions begin as described below.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def make_engine(url: str, *, pool_size: int = 5) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn, _record):
            configure_sqlite_connection(dbapi_conn)

        @event.listens_for(engine, "before_cursor_execute")
        def _sqlite_begin(conn, _cursor, _statement, _parameters, _context, _executemany):
            if conn.in_transaction():
                begin_sqlite_transaction(conn)

        engine.begin = _writer_begin(engine)
        return engine
    engine = create_engine(url, pool_size=pool_size, max_overflow=10, pool_pre_ping=True)
    engine.begin = _writer_begin(engine)
    return engine


# SQLite transactions. A WAL transaction that reads first and writes later fails at once with
# SQLITE_BUSY (no busy wait) when another process committed in between: its snapshot is stale.
# Under several workers that happens all the time (every API call reads its credentials, then
# counts a rate-limit hit). So `engine.begin()` — the way handlers open a transaction that may
# write — starts with BEGIN IMMEDIATE, taking the write lock (waiting up to the busy timeout),
# while `engine.connect()` reads start a plain deferred BEGIN. The BEGIN is sent before the first
# statement, not when the block opens: a block that opens a transaction and then, before any
# statement of its own, runs a short nested one (PAYT's login counts its attempt that way) does
# not deadlock against itself.
_WRITER_OPTION = "polytrack_writer"


#
# Every `engine.begin()` block that changed rows tells the read caches after its COMMIT
# (kernel.coherence). SQLite counts the rows a connection changed; on PostgreSQL every commit
# counts (the caches are off there by default).


def begin_sqlite_transaction(conn) -> None:
    """Send BEGIN (IMMEDIATE for `engine.begin()` blocks) if the driver is not in a transaction yet."""
    driver = conn.connection.dbapi_connection
    if not driver.in_transaction:
        driver.execute("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITER_OPTION) else "BEGIN")


def _writer_begin(engine: Engine):
    generation = generation_for(engine.url)
    sqlite = engine.dialect.name == "sqlite"

    @contextmanager
    def begin():
        with engine.connect() as conn:
            driver = conn.connection.dbapi_connection
            changes_before = driver.total_changes if sqlite else None
            if sqlite:
                conn.execution_options(**{_WRITER_OPTION: True})
            with conn.begin():
                yield conn
            if not sqlite or driver.total_changes != changes_before:
                generation.bump()

    begin.__doc__ = Engine.begin.__doc__
    return begin


def make_nullpool_engine(url: str) -> Engine:
    return create_engine(normalise_url(url), poolclass=NullPool)


def import_all_tables() -> None:
    """Import every package's tables so `metadata` holds the whole schema."""
    from polytrack.kernel import tables as _kernel_tables  # noqa: F401
    from polytrack.apis import all_packages

    for package in all_packages():
        package.import_tables()


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).resolve().parent.parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return cfg


def upgrade(url: str) -> None:
    """Apply every pending Alembic migration (all branches: kernel and each API)."""
    from alembic import command

    command.upgrade(alembic_config(url), "heads")
    generation_for(make_url(normalise_url(url))).bump()


def wipe(engine: Engine) -> None:
    """Delete every row of every polytrack table (sandbox reset); the schema stays."""
    import_all_tables()
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
            if names:
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(metadata.sorted_tables):
                conn.execute(table.delete())
            has_seq = conn.exec_driver_sql(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='sqlite_sequence'"
            ).first()
            if has_seq:
                conn.exec_driver_sql("DELETE FROM sqlite_sequence")
