"""Duplicate conversions under concurrency: 50 threads, each with its own database connection,
record the same click and goal at once; exactly one conversion is stored (the database's
uniqueness of click and goal decides), and a cap is never passed."""

import threading

from sqlalchemy import func, select

from polytrack.trackier import tracking
from polytrack.kernel.hot import CollectedDB
from polytrack.trackier.tables import trackier_clicks, trackier_conversions
from tests.trackier.conftest import new_advertiser, new_affiliate, new_campaign, settle

THREADS = 50


def _setup(http, auth, services, **campaign_fields):
    publisher = new_affiliate(http, auth)
    campaign = new_campaign(http, auth, new_advertiser(http, auth)["_id"], **campaign_fields)["campaign"]
    link = http.post(f"/network/link/{publisher['_id']}/{campaign['_id']}", headers=auth, json={}).json()
    return campaign, link["data"]["link"]["_id"]


def _clicks(http, services, link: str, count: int) -> list[str]:
    """Click ids of `count` clicks, folded from the spool (find_click reads the click table)."""
    found = []
    for _ in range(count):
        location = http.get(f"/{link}", follow_redirects=False).headers["location"]
        found.append(location.split("cid=")[1].split("&")[0])
    settle(services)
    return found


def _at_once(services, work) -> list:
    """Run work(db) in THREADS threads released together; each thread has its own connection."""
    db = CollectedDB(services.engine)  # one driver connection per thread
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
    [click_id] = _clicks(http, services, link, 1)
    outcomes = _at_once(services, _convert(services, [click_id], {"goal_value": "deposit"}))
    assert sorted(outcomes) == ["Duplicate conversion"] * (THREADS - 1) + ["approved"]
    assert _stored(services) == ["approved"]


def test_fifty_simultaneous_postbacks_never_pass_a_cap(http, auth, services):
    campaign, link = _setup(http, auth, services)
    http.post(f"/caps/{campaign['_id']}", headers=auth, json={"caps": [{"type": "conversion", "lifetime": 7}]})
    click_ids = _clicks(http, services, link, THREADS)
    _at_once(services, _convert(services, click_ids, {}))
    with services.engine.connect() as conn:
        counts = dict(conn.execute(select(trackier_conversions.c.status, func.count())
                                   .group_by(trackier_conversions.c.status)).all())
    assert counts == {"approved": 7, "rejected": THREADS - 7}


def _click_at_once(services, link: str, *, address) -> list:
    """THREADS first clicks on `link` at once, each in its own transaction and connection;
    `address(index)` is each one's visitor address."""
    def work(db, index):
        target = tracking.target_by_link(db, link)
        setup = tracking.load_setup(db, target.campaign_id, False)
        who = tracking.visitor(address(index), "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0", "US")
        click = tracking.prepare_click(services.clock, target, setup, who, {}, user_agent="", referer=None)
        with db.transaction():
            return tracking.store_clicks(db, [click])[0]
    return _at_once(services, work)


def _unique_flags(services) -> list:
    with services.engine.connect() as conn:
        return conn.execute(select(trackier_clicks.c.is_unique)).scalars().all()


def test_fifty_simultaneous_first_clicks_of_one_visitor_have_one_unique(http, auth, services):
    _, link = _setup(http, auth, services)
    assert _click_at_once(services, link, address=lambda _: "10.9.9.9") == [None] * THREADS
    assert sorted(_unique_flags(services)) == [False] * (THREADS - 1) + [True]


def test_fifty_simultaneous_clicks_never_pass_a_click_cap(http, auth, services):
    campaign, link = _setup(http, auth, services)
    http.post(f"/caps/{campaign['_id']}", headers=auth, json={"caps": [{"type": "click", "daily": 9}]})
    outcomes = _click_at_once(services, link, address=lambda index: f"10.8.0.{index}")
    assert sorted(outcomes, key=str) == [None] * 9 + ["cap"] * (THREADS - 9)
    assert sorted(_unique_flags(services)) == [True] * THREADS  # one visitor each


def test_clicks_of_one_visitor_in_one_batch_have_one_unique(http, auth, services):
    """The group commit stores concurrent requests' clicks together: the first stays unique."""
    _, link = _setup(http, auth, services)
    db = CollectedDB(services.engine)
    target = tracking.target_by_link(db, link)
    setup = tracking.load_setup(db, target.campaign_id, False)
    who = tracking.visitor("10.7.7.7", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0", "US")
    clicks = [tracking.prepare_click(services.clock, target, setup, who, {}, user_agent="", referer=None)
              for _ in range(3)]
    with db.transaction():
        tracking.store_clicks(db, clicks)
    db.close()
    with services.engine.connect() as conn:
        stored = dict(conn.execute(select(trackier_clicks.c.object_id, trackier_clicks.c.is_unique)).all())
    assert [stored[click.click_id] for click in clicks] == [True, False, False]
