"""The daily summary (summary.py) agrees with the raw events: the reports' sums read from it
equal those computed from the clicks, impressions and conversions, for every grouping it can
answer, after clicks (accepted, refused, repeated, CPC), conversions of every status, status and
amount edits by import, impressions; and a rebuild from the raw tables gives the same rows."""

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from polytrack.trackier import domain, reports, summary
from polytrack.trackier.tables import trackier_daily_stats
from tests.trackier.conftest import new_advertiser, new_affiliate, new_campaign
from tests.trackier.test_reports import traffic  # noqa: F401
from tests.trackier.test_tracking import DESKTOP

KEY_SETS = ([], ["campaign"], ["campaign", "day"], ["publisher"], ["advertiser", "month"], ["goal"],
            ["goal", "day", "publisher"], ["campaign", "publisher", "goal", "day"])


@pytest.fixture
def more_traffic(http, auth, network, clock, traffic):  # noqa: F811
    """Beside `traffic`: a CPC campaign with a click cap, refused and repeated clicks, and an
    import that rejects one conversion and re-prices another."""
    advertiser = new_advertiser(http, auth, email="adv2@example.com", name="Adv Two")
    publisher = new_affiliate(http, auth, email="pub3@example.com", name="Third")
    campaign = new_campaign(http, auth, advertiser["_id"], model="cpc",
                            caps=[{"type": "click", "daily": 3}])["campaign"]
    link = http.post(f"/network/link/{publisher['_id']}/{campaign['_id']}", headers=auth,
                     json={}).json()["data"]["link"]["_id"]
    clock.set(datetime(2024, 6, 13, 8, 0, tzinfo=timezone.utc))
    for address in ("10.0.0.1", "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"):  # a repeat; the last two capped
        http.get(f"/{link}?ipaddr={address}", headers={"User-Agent": DESKTOP}, follow_redirects=False)
    token = network["security_token"]
    _, b, c = traffic["clicks"]
    conversion = http.get("/acquisition", params={"click_id": c, "security_token": token,
                                                  "status": "pending"}).json()["conversion_id"]
    job = http.post("/network/conversion-import", headers=auth, json={"conversions": [
        {"conversion_id": conversion, "status": "approved", "payout": 9.5, "sale_amount": 30},
        {"click_id": b, "goal_value": "deposit", "status": "rejected"}]}).json()["data"]["job"]
    assert http.get(f"/jobs/{job['_id']}", headers=auth).json()["data"]["job"]["status"] == "completed"
    return traffic


def _both(services, network_object_id, keys, filters=reports.Filters()):
    with services.transaction() as db:
        network = domain.network_by_object_id(db, network_object_id)
        period = reports.Range("2024-06-01", "2024-06-30", 20240601, 20240630)
        return (reports.aggregate(db, network, period, keys, filters, source="summary"),
                reports.aggregate(db, network, period, keys, filters, source="raw"))


@pytest.mark.parametrize("keys", KEY_SETS, ids=lambda keys: "+".join(keys) or "total")
def test_summary_and_raw_events_agree(services, network, more_traffic, keys):
    from_summary, from_raw = _both(services, network["_id"], keys)
    assert from_summary == from_raw
    totals = {name: sum(sums[name] for sums in from_raw.values()) for name in reports.TOTALS}
    assert (totals["gross_clicks"], totals["unique_clicks"], totals["rejected_clicks"]) == (7, 5, 2)
    assert (totals["approved"], totals["pending"], totals["rejected"]) == (4, 1, 1)
    assert totals["click_payout"] > 0 and totals["impressions"] == 1


def test_summary_and_raw_agree_with_filters(services, network, more_traffic):
    with services.transaction() as db:
        first = domain.network_by_object_id(db, network["_id"])
        campaign_id = db.execute(select(trackier_daily_stats.c.campaign_id).where(
            trackier_daily_stats.c.network_id == first.id)).scalars().first()
    from_summary, from_raw = _both(services, network["_id"], ["publisher", "day"],
                                   reports.Filters(campaigns=(campaign_id,)))
    assert from_summary == from_raw and from_raw


def test_a_rebuild_gives_the_rows_kept_along_the_way(services, more_traffic):
    def stored():
        with services.engine.connect() as conn:
            return sorted(tuple(row) for row in conn.execute(select(trackier_daily_stats)))
    kept = stored()
    with services.transaction() as db:
        summary.rebuild(db)
    assert stored() == kept and kept


def test_the_stats_count_maps_agree_with_the_clicks(services, network, more_traffic):
    """The device, OS, referer and country maps of /network/stats, from the summary and from the
    clicks: the same counts, whole network and filtered, also after a rebuild."""
    def both(filters=reports.Filters()):
        with services.transaction() as db:
            first = domain.network_by_object_id(db, network["_id"])
            period = reports.Range("2024-06-01", "2024-06-30", 20240601, 20240630)
            return [sorted((day, dimension, value or "", int(count)) for day, dimension, value, count in
                           reports.meta_counts(db, first, period, filters, source=source))
                    for source in ("summary", "raw")]
    from_summary, from_raw = both()
    assert from_summary == from_raw and {row[1] for row in from_raw} == {"device", "os", "referer", "country"}
    # every dimension counts every accepted click once (7, as test_summary_and_raw_events_agree)
    assert all(sum(row[3] for row in from_raw if row[1] == dimension) == 7
               for dimension in ("device", "os", "referer", "country"))
    with services.transaction() as db:
        campaign_id = db.execute(select(trackier_daily_stats.c.campaign_id)).scalars().first()
    assert both(reports.Filters(campaigns=(campaign_id,)))[0] == both(reports.Filters(campaigns=(campaign_id,)))[1]
    with services.transaction() as db:
        summary.rebuild(db)
    assert both() == [from_summary, from_raw]
