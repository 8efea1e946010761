"""Test harness: the whole suite runs on SQLite or on a real PostgreSQL cluster.

POLYTRACK_TEST_DB=sqlite (default) or postgresql (a throwaway cluster this harness starts; if it
cannot start, the session fails — it never silently skips). Each test starts on an empty,
migrated database and talks HTTP to the ASGI app in-process, the way a client would.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from polytrack.app import create_app
from polytrack.config import Settings
from polytrack.kernel.clock import FrozenClock
from polytrack.kernel.db import make_engine, upgrade, wipe
from polytrack.services import Services

ADMIN_TOKEN = "test-admin-token"

# Files a server keeps beside a PostgreSQL database (AvidTrak's server secret) go to the state
# directory; the tests' clusters are throwaway, so is theirs (inherited by served processes).
_STATE_DIRECTORY = tempfile.TemporaryDirectory(prefix="polytrack-test-state-")
os.environ["XDG_STATE_HOME"] = _STATE_DIRECTORY.name
os.environ.pop("STATE_DIRECTORY", None)
BACKEND = os.environ.get("POLYTRACK_TEST_DB", "sqlite")


@pytest.fixture(scope="session")
def database_url():
    if BACKEND == "postgresql":
        from tests.pgcluster import Cluster

        cluster = Cluster().start()
        try:
            upgrade(cluster.url)
            yield cluster.url
        finally:
            cluster.stop()
    elif BACKEND == "sqlite":
        with tempfile.TemporaryDirectory(prefix="polytrack-test-") as tmp:
            url = f"sqlite:///{Path(tmp) / 'test.db'}"
            upgrade(url)
            yield url
    else:
        raise pytest.UsageError(f"unknown POLYTRACK_TEST_DB={BACKEND!r}")


@pytest.fixture(scope="session")
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def clock():
    return FrozenClock()


@pytest.fixture
def settings(database_url):
    # Read caches on for both backends (PostgreSQL's default is off): every test also checks
    # that no cache ever answers with data older than a commit.
    return Settings(db=database_url, admin_token=ADMIN_TOKEN, osmand_port=0, read_cache="on")


@pytest.fixture
def services(settings, engine, clock):
    wipe(engine)
    return Services.build(settings, engine=engine, clock=clock)


@pytest.fixture
def app(services):
    return create_app(services=services)


@pytest.fixture
def http(app):
    """An HTTP client for the in-process app (runs its lifespan)."""
    with TestClient(app, base_url="http://testserver") as client:
        yield client


@pytest.fixture
def admin(http):
    """An HTTP client preset with the operator token."""
    http.headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
    return http


@pytest.fixture
def browser():
    """A headless Chromium for one test (tests/browser.py). Never longer: while it is open,
    Playwright's sync API keeps an event loop running in the main thread, and a later test that
    calls asyncio.run (tests/rawasgi.py, the PAYT ingest tests) would fail."""
    from tests.browser import chromium

    with chromium() as started:
        yield started
