"""The click spool (spool.py): clicks are acknowledged once spooled, survive a kill, are folded by
the worker in the background, and every reader sees them at once."""

import os
import signal
import time
from datetime import timedelta

import httpx
from sqlalchemy import create_engine, func, select

from polytrack.trackier.tables import trackier_click_spool, trackier_clicks, trackier_daily_stats
from tests.serving import Server
from tests.trackier.conftest import new_advertiser, new_affiliate, new_campaign
from tests.trackier.test_postbacks import Receiver
from tests.trackier.test_served_postbacks import ADMIN, _world
from tests.trackier.test_tracking import DESKTOP


def _counts(database_url: str) -> tuple[int, int]:
    """(spooled clicks, clicks in the click table)."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return (conn.execute(select(func.count()).select_from(trackier_click_spool)).scalar_one(),
                    conn.execute(select(func.count()).select_from(trackier_clicks)).scalar_one())
    finally:
        engine.dispose()


def _click_ids(url: str, path: str, count: int) -> list[str]:
    return [httpx.get(f"{url}{path}?ipaddr=10.0.0.{n % 7}").headers["location"].split("c=")[1] for n in range(count)]


def test_spooled_clicks_survive_a_kill_and_the_next_reader_folds_them(services, database_url, tmp_path):
    receiver = Receiver()
    try:
        # no background fold: what the first server acknowledged stays in the spool
        quiet = ("--db", database_url, "--osmand-port", "0", "--admin-token", ADMIN,
                 "--set", "trackier.fold_interval=0", "--set", "trackier.postback_interval=0")
        server = Server(*quiet, cwd=tmp_path)
        with server:
            server.wait_ready()
            path, token = _world(server.url, receiver)
            clicks = _click_ids(server.url, path, 20)
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait()
        assert _counts(database_url) == (20, 0)
        with Server(*quiet, cwd=tmp_path) as restarted:
            # a postback of the last click: not in the click table, so the spool is folded first
            answer = httpx.get(f"{restarted.url}/acquisition",
                               params={"click_id": clicks[-1], "security_token": token}).json()
            assert answer["success"], answer
        assert _counts(database_url) == (0, 20)
    finally:
        receiver.close()


def test_the_worker_folds_the_spool_in_the_background(services, database_url, tmp_path):
    receiver = Receiver()
    try:
        with Server("--db", database_url, "--osmand-port", "0", "--admin-token", ADMIN,
                    "--set", "trackier.fold_interval=0.2", "--set", "trackier.postback_interval=0",
                    cwd=tmp_path) as server:
            path, _ = _world(server.url, receiver)
            _click_ids(server.url, path, 30)
            deadline = time.monotonic() + 10
            while _counts(database_url) != (0, 30) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert _counts(database_url) == (0, 30)
    finally:
        receiver.close()


def test_an_api_call_reads_every_click_answered_before_it(http, auth, settings, services, clock):
    settings.api["trackier.fold_interval"] = 0  # only the readers fold
    campaign = new_campaign(http, auth, new_advertiser(http, auth)["_id"])["campaign"]
    publisher = new_affiliate(http, auth)
    link = http.post(f"/network/link/{publisher['_id']}/{campaign['_id']}", headers=auth,
                     json={}).json()["data"]["link"]["_id"]
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.1", "10.0.0.3", "10.0.0.2"):
        assert http.get(f"/{link}?ipaddr={address}", headers={"User-Agent": DESKTOP},
                        follow_redirects=False).status_code == 302
    with services.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(trackier_click_spool)).scalar_one() == 5
    today = clock.now().date()  # the network's day is within one of UTC's
    period = {"start": (today - timedelta(days=1)).isoformat(), "end": (today + timedelta(days=1)).isoformat()}
    assert http.get("/network/stats", headers=auth, params=period).json()["data"]["total"]["clicks"] == 5
    with services.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(trackier_click_spool)).scalar_one() == 0
        [sums] = conn.execute(select(trackier_daily_stats.c.gross_clicks, trackier_daily_stats.c.unique_clicks)).all()
    assert tuple(sums) == (5, 3)
