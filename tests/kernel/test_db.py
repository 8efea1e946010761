"""kernel.db: URLs, transactions under concurrent writers, wipe."""

import threading
import time

import pytest
from sqlalchemy import func, inspect, select

from polytrack.kernel.db import is_sqlite, make_engine, normalise_url, wipe
from polytrack.kernel.sql import transaction
from polytrack.kernel.tables import kernel_call_log, kernel_rate_windows


def test_normalise_url(tmp_path):
    assert normalise_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url(str(tmp_path / "x.db")) == f"sqlite:///{tmp_path / 'x.db'}"
    assert normalise_url("sqlite:///./polytrack.db") == "sqlite:///./polytrack.db"
    assert is_sqlite("sqlite:///x.db") and not is_sqlite("postgresql://h/db")


def test_read_then_write_transactions_of_two_connections_both_commit(services, database_url):
    """A transaction that reads, then writes while another connection commits in between, must not
    fail (on SQLite in WAL mode a deferred transaction would: SQLITE_BUSY on a stale snapshot)."""
    one, other = make_engine(database_url), make_engine(database_url)
    read_done, other_started = threading.Event(), threading.Event()
    errors = []

    def writer_in_between():
        read_done.wait(5)
        other_started.set()
        try:
            with transaction(other) as conn:
                conn.execute(kernel_rate_windows.insert().values(key="other", window_start=0, count=1, previous_count=0))
        except Exception as exc:  # pragma: no cover - shown on failure
            errors.append(exc)

    thread = threading.Thread(target=writer_in_between)
    thread.start()
    try:
        with transaction(one) as conn:
            conn.execute(select(func.count()).select_from(kernel_rate_windows)).scalar()
            read_done.set()
            other_started.wait(5)
            time.sleep(0.05)  # let the other transaction try to commit first
            conn.execute(kernel_rate_windows.insert().values(key="one", window_start=0, count=1, previous_count=0))
        thread.join(10)
        assert errors == []
        with one.connect() as conn:
            assert sorted(r.key for r in conn.execute(select(kernel_rate_windows))) == ["one", "other"]
    finally:
        with transaction(one) as conn:
            conn.execute(kernel_rate_windows.delete())
        one.dispose()
        other.dispose()


def test_reads_do_not_block_writers(services, database_url):
    reader, writer = make_engine(database_url), make_engine(database_url)
    try:
        with reader.connect() as conn:
            conn.execute(select(func.count()).select_from(kernel_call_log)).scalar()
            started = time.monotonic()
            with transaction(writer) as wconn:
                wconn.execute(kernel_call_log.insert().values(at=0, api="x", operation="o", account="", outcome="ok", duration_ms=0))
            assert time.monotonic() - started < 2
    finally:
        with transaction(writer) as conn:
            conn.execute(kernel_call_log.delete())
        reader.dispose()
        writer.dispose()


def test_wipe_deletes_rows_and_keeps_schema(services):
    with services.transaction() as conn:
        conn.execute(kernel_call_log.insert().values(at=0, api="x", operation="o", account="", outcome="ok", duration_ms=0))
    wipe(services.engine)
    with services.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(kernel_call_log)).scalar() == 0
    assert "kernel_call_log" in inspect(services.engine).get_table_names()


@pytest.mark.parametrize("statement", ["SELECT 1", "SELECT 1 WHERE 1 = ?", "SELECT 1 WHERE 'ab' LIKE 'a%'"])
def test_raw_statements_run_on_both_backends(services, statement):
    from polytrack.kernel.sql import Statement

    params = (1,) if "?" in statement else ()
    with services.transaction() as conn:
        assert conn.run(Statement(statement), params).fetchone()[0] == 1
