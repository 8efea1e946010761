"""kernel.hot: the per-thread held driver connection of the hot path."""

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from polytrack.kernel.hot import CollectedDB, WalCheckpointer
from polytrack.kernel.sql import Statement

INSERT = Statement("INSERT INTO kernel_rate_windows (key, window_start, count, previous_count) VALUES (?, ?, ?, 0)")
COUNT = Statement("SELECT count FROM kernel_rate_windows WHERE key = ?")


def test_reads_see_writes_committed_elsewhere(services):
    with services.transaction() as conn:
        conn.run(INSERT, ("k1", 0, 7))
    assert services.hot.one(COUNT, ("k1",)) == (7,)


def test_single_statement_writes_autocommit(services):
    services.hot.run(INSERT, ("k2", 0, 3))
    with services.engine.connect() as conn:
        assert conn.exec_driver_sql(COUNT.text(conn.dialect.name), ("k2",)).fetchone() == (3,)


def test_transaction_commits_together_or_not_at_all(services):
    with pytest.raises(RuntimeError):
        with services.hot.transaction():
            services.hot.run(INSERT, ("k3", 0, 1))
            raise RuntimeError("boom")
    assert services.hot.one(COUNT, ("k3",)) is None
    with services.hot.transaction():
        services.hot.run(INSERT, ("k4", 0, 1))
        with services.hot.transaction():  # nested joins the outer one
            services.hot.run(INSERT, ("k5", 0, 1))
    assert services.hot.all(COUNT, ("k5",)) == [(1,)]


def test_each_thread_holds_its_own_connection(services):
    drivers = []

    def grab():
        drivers.append(services.hot.driver())

    threads = [threading.Thread(target=grab) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert drivers[0] is not drivers[1]
    assert services.hot.driver() is services.hot.driver()


def test_a_broken_connection_is_replaced(services, database_url):
    """A database restart (here: the connection killed under us) costs one call at most."""
    first = services.hot.driver()
    if services.hot.dialect == "sqlite":
        first.close()  # a closed sqlite3 connection raises ProgrammingError on use
        with pytest.raises(Exception):
            services.hot.one(COUNT, ("nothing",))
        services.hot.close()
    else:
        with services.engine.connect() as conn:
            pid = first.info.backend_pid
            conn.exec_driver_sql(f"SELECT pg_terminate_backend({pid})")
        # the read is retried once on a fresh connection
        assert services.hot.one(COUNT, ("nothing",)) is None
    assert services.hot.one(COUNT, ("nothing",)) is None
    assert services.hot.driver() is not first


def test_the_checkpointer_copies_a_collection_connection_s_wal_into_the_database(services, tmp_path):
    """A collection connection's commits leave the WAL to the checkpointer (no checkpoint in a
    commit: it would stall the event loop); a checkpoint puts the rows in the database file
    itself, and a checkpoint asked while one runs returns at once."""
    if services.engine.dialect.name != "sqlite":
        WalCheckpointer(services.engine).checkpoint()  # nothing to do, nothing fails
        return
    collected = CollectedDB(services.engine)
    checkpointer = WalCheckpointer(services.engine)
    try:
        checkpointer.checkpoint()  # whatever the fixtures wrote
        with collected.transaction():
            collected.many(INSERT, [(f"c{n}", 0, n) for n in range(500)])
        path = services.engine.url.database
        assert _rows_in_the_file_alone(path, tmp_path / "before.db") == 0  # still only in the WAL
        with checkpointer._lock:  # one running: another returns at once, doing nothing
            checkpointer.checkpoint()
        assert _rows_in_the_file_alone(path, tmp_path / "during.db") == 0
        checkpointer.checkpoint()
        assert _rows_in_the_file_alone(path, tmp_path / "after.db") == 500
        assert collected.one(COUNT, ("c499",)) == (499,)
    finally:
        collected.close()
        checkpointer.close()


def _rows_in_the_file_alone(path: str, copy: Path) -> int:
    """The rows a copy of the database file holds without its WAL. The copy is made by another
    process: closing a descriptor of the database file here would drop every SQLite lock this
    process holds on it (POSIX locks belong to the process), and that corrupts databases."""
    script = ("import shutil, sqlite3, sys; shutil.copyfile(sys.argv[1], sys.argv[2]); "
              "print(sqlite3.connect(sys.argv[2]).execute("
              "\"SELECT count(*) FROM kernel_rate_windows WHERE key LIKE 'c%'\").fetchone()[0])")
    done = subprocess.run([sys.executable, "-c", script, path, str(copy)], capture_output=True, text=True, check=True)
    return int(done.stdout)
