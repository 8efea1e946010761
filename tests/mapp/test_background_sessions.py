"""The background sessionisation of a worker yields to its pixel while the pixel is busy, for a
bounded time, then works through the backlog whatever the load."""

import asyncio
import time

import pytest
from sqlalchemy import text

from polytrack.mapp.collect import sessions
from tests.mapp.helpers import hit

pytestmark = pytest.mark.usefixtures("services", "world")


@pytest.fixture
def settings(settings):
    settings.api["mapp.background_sessions"] = False  # the app's own task stays out: the test runs one
    return settings


def pending(services) -> int:
    with services.engine.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM mapp_hits WHERE pending")).scalar_one()


def test_sessionisation_waits_while_the_pixel_is_busy_then_catches_up(http, services, monkeypatch):
    monkeypatch.setattr(sessions, "MAX_DEFERRAL_SECONDS", 0.6)
    hit(http, "home")
    activity = sessions.PixelActivity()
    sessioniser = sessions.Sessioniser(services)
    seen: list[tuple[float, int]] = []

    async def busy_pixel_for(seconds: float) -> None:
        task = asyncio.create_task(sessioniser.run(activity))
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            activity.note()  # the pixel stores a hit every 20 ms
            seen.append((time.monotonic() - started, await asyncio.to_thread(pending, services)))
            await asyncio.sleep(0.02)
        task.cancel()

    try:
        asyncio.run(busy_pixel_for(1.5))
    finally:
        sessioniser.db.close()
    assert all(count == 1 for at, count in seen if at < 0.5)  # deferred while busy
    assert seen[-1][1] == 0  # then the backlog was worked through, busy or not


def test_an_idle_pixel_does_not_hold_sessionisation_back(http, services):
    hit(http, "home")
    activity = sessions.PixelActivity()
    sessioniser = sessions.Sessioniser(services)

    async def idle_for(seconds: float) -> None:
        task = asyncio.create_task(sessioniser.run(activity))
        await asyncio.sleep(seconds)
        task.cancel()

    try:
        asyncio.run(idle_for(0.3))
    finally:
        sessioniser.db.close()
    assert pending(services) == 0
