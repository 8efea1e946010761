"""Duplicate conversions under concurrency: 50 threads, each with its own database connection,
record the same click and goal at once; exactly one conversion is stored (the database's
uniqueness of click and goal decides), and a cap is never passed."""

import threading

from sqlalchemy import func, select

from polytrack.trackier import tracking
from polytrack.trackier.collect import TrackingDB
from polytrack.trackier.tables import trackier_conversions
from tests.trackier.conftest import new_advertiser, new_affiliate, new_campaign

THREADS = 50


def _setup(http, auth, services, **campaign_fields):
    publisher = new_affiliate(http, auth)
    campaign = new_campaign(http, auth, new_advertiser(http, auth)["_id"], **campaign_fields)["campaign"]
    link = http.post(f"/network/link/{publisher['_id']}/{campaign['_id']}", headers=auth, json={}).json()
    return campaign, link["data"]["link"]["_id"]


def _clicks(http, link: str, count: int) -> list[str]:
    found = []
    for _ in range(count):
        location = http.get(f"/{link}", follow_redirects=False).headers["location"]
        found.append(location.split("cid=")[1].split("&")[0])
    return found


def _at_once(services, work) -> list:
    """Run work(db) in THREADS threads released together; each thread has its own connection."""
    db = TrackingDB(services.engine)  # one driver connection per thread
    start = threading.Barrier(THREADS)
    outcomes: list = []
    lock = threading.Lock()

    def run(index: int) -> None:
        start.wait()
        try:
            result = work(db, index)
        except tracking.Refused as refused:
            result = str(refused)
        finally:
            db.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(outcomes) == THREADS
    return outcomes


def _convert(services, click_ids, query):
    def work(db, index):
        click = tracking.find_click(db, click_ids[index % len(click_ids)])
        setup = tracking.load_setup(db, click.campaign_id, False)
        with db.transaction():
            return tracking.record_conversion(db, services.clock, click, setup, query, method=tracking.POSTBACK_METHOD,
                                              ipaddr="10.0.0.1").status
    return work


def _stored(services) -> list:
    with services.engine.connect() as conn:
        return conn.execute(select(trackier_conversions.c.status)).scalars().all()


def test_fifty_simultaneous_postbacks_of_one_click_and_goal_store_one(http, auth, services):
    campaign, link = _setup(http, auth, services)
    http.post("/goal", headers=auth, json={"goal": {"title": "Deposit", "value": "deposit", "type": "public",
                                                    "ad_id": campaign["_id"], "model": "fixed"}})
    [click_id] = _clicks(http, link, 1)
    outcomes = _at_once(services, _convert(services, [click_id], {"goal_value": "deposit"}))
    assert sorted(outcomes) == ["Duplicate conversion"] * (THREADS - 1) + ["approved"]
    assert _stored(services) == ["approved"]


def test_fifty_simultaneous_postbacks_never_pass_a_cap(http, auth, services):
    campaign, link = _setup(http, auth, services)
    http.post(f"/caps/{campaign['_id']}", headers=auth, json={"caps": [{"type": "conversion", "lifetime": 7}]})
    click_ids = _clicks(http, link, THREADS)
    _at_once(services, _convert(services, click_ids, {}))
    with services.engine.connect() as conn:
        counts = dict(conn.execute(select(trackier_conversions.c.status, func.count())
                                   .group_by(trackier_conversions.c.status)).all())
    assert counts == {"approved": 7, "rejected": THREADS - 7}
