"""Storage: one SQLAlchemy engine for SQLite (embedded default) or PostgreSQL.

Every table of every API registers on the one `metadata` below, so Alembic, `wipe` and the
tests see the whole schema. SQLite runs in WAL mode with a busy timeout so several worker
processes can share one file.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool

from polytrack.kernel.coherence import generation_for
from polytrack.kernel.sql import SQLITE_BUSY_TIMEOUT_MS, install_commit_hook, install_sqlite_begin, transaction
from polytrack.kernel.tables import metadata  # noqa: F401  (re-exported: API tables register on it)


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


def make_engine(url: str, *, pool_size: int = 5) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False})
        install_sqlite_begin(engine)
    else:
        engine = create_engine(url, pool_size=pool_size, max_overflow=10, pool_pre_ping=True)
    install_commit_hook(engine, generation_for(engine.url))
    return engine


def make_nullpool_engine(url: str) -> Engine:
    return create_engine(normalise_url(url), poolclass=NullPool)


def import_all_tables() -> None:
    """Import every package's tables so `metadata` holds the whole schema."""
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
    with transaction(engine) as db:
        conn = db.connection
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
