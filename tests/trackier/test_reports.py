"""Stats, campaign stats, affiliate earnings, the custom report, conversion and click logs, all
computed from recorded clicks, impressions and conversions, by days of the network's zone."""

from datetime import datetime, timezone

import pytest

from tests.trackier.conftest import error, new_advertiser, new_affiliate, new_campaign
from tests.trackier.test_tracking import IPHONE, click_id_of

ANDROID = "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36"


@pytest.fixture
def traffic(http, auth, network, clock):
    """Two publishers on one campaign with a goal; clicks and conversions on two local days.
    The network's zone is Asia/Kolkata: 20:00 UTC on the 12th is already the 13th there."""
    advertiser = new_advertiser(http, auth)
    first, second = new_affiliate(http, auth), new_affiliate(http, auth, email="pub2@example.com", name="Second")
    campaign = new_campaign(http, auth, advertiser["_id"])["campaign"]
    goal = http.post("/goal", headers=auth, json={"goal": {
        "title": "Deposit", "value": "deposit", "type": "public", "ad_id": campaign["_id"], "model": "fixed"},
        "payouts": [{"payout": 4, "revenue": 6, "coverage": ["ALL"]}]}).json()["data"]["goal"]
    links = {}
    for publisher in (first, second):
        links[publisher["_id"]] = http.post(f"/network/link/{publisher['_id']}/{campaign['_id']}", headers=auth,
                                            json={}).json()["data"]["link"]["_id"]
    token = network["security_token"]

    def click(publisher, agent, country, referer=None):
        headers = {"User-Agent": agent, "CF-IPCountry": country, **({"Referer": referer} if referer else {})}
        return click_id_of(http.get(f"/{links[publisher['_id']]}?ipaddr=203.0.113.7&p1=x", headers=headers,
                                    follow_redirects=False))

    def convert(click_id, **params):
        assert http.get("/acquisition", params={"click_id": click_id, "security_token": token, **params}).json()["success"]

    clock.set(datetime(2024, 6, 12, 6, 0, tzinfo=timezone.utc))  # the 12th in Kolkata
    a = click(first, IPHONE, "IN", "https://blog.example/post")
    b = click(first, ANDROID, "US")
    click(second, ANDROID, "IN")
    clock.advance(60)
    convert(a)  # default event: 1.5 / 2.5, 60 s after its click
    convert(a, goal_value="deposit")  # goal: 4 / 6
    convert(b, status="pending")
    clock.set(datetime(2024, 6, 12, 20, 0, tzinfo=timezone.utc))  # the 13th in Kolkata
    c = click(second, IPHONE, "IN")
    http.get(f"/imp?campaign_id={campaign['display_id']}&pub_id={second['display_id']}")
    clock.advance(3 * 3600)
    convert(c, goal_value="deposit")  # 3 h later
    return {"campaign": campaign, "first": first, "second": second, "goal": goal, "clicks": (a, b, c)}


def test_network_stats_by_local_day(http, auth, traffic):
    body = http.get("/network/stats?start=2024-06-12&end=2024-06-13", headers=auth).json()["data"]
    day12, day13 = body["stats"]["2024-06-12"], body["stats"]["2024-06-13"]
    assert (day12["clicks"], day12["conversions"], day12["payout"], day12["revenue"]) == (3, 2, 5.5, 8.5)
    assert day12["meta"]["device"] == {"mobile": 3} and day12["meta"]["country"] == {"IN": 2, "US": 1}
    assert day12["meta"]["referer"] == {"Empty": 2, "blog.example": 1}
    assert day12["meta"]["os"] == {"Android": 2, "iOS": 1}
    assert (day13["clicks"], day13["impressions"], day13["conversions"], day13["payout"]) == (1, 1, 1, 4)
    total = body["total"]
    assert (total["clicks"], total["conversions"], total["payout"], total["revenue"]) == (4, 3, 9.5, 14.5)
    assert list(http.get("/network/stats?start=2024-06-13&end=2024-06-13", headers=auth).json()["data"]["stats"]) == [
        "2024-06-13"]
    error(http.get("/network/stats?start=2024-13-01", headers=auth), 400, 20)
    error(http.get("/network/stats?start=2024-06-13&end=2024-06-01", headers=auth), 400, 20)


def test_campaign_stats_and_affiliate_earnings(http, auth, traffic):
    campaign, first = traffic["campaign"], traffic["first"]
    both = http.get(f"/campaign/stats/{campaign['_id']}?start=2024-06-01&end=2024-06-30", headers=auth).json()["data"]
    assert both["total"]["clicks"] == 4 and both["total"]["payout"] == 9.5
    mine = http.get(f"/campaign/stats/{campaign['display_id']}/{first['_id']}?start=2024-06-01&end=2024-06-30",
                    headers=auth).json()["data"]
    assert mine["total"]["clicks"] == 2 and mine["total"]["payout"] == 5.5
    earnings = http.get(f"/affiliates/earning/{first['_id']}?start=2024-06-01&end=2024-06-30", headers=auth).json()
    assert earnings["data"]["user"]["_id"] == first["_id"]
    assert "revenue" not in earnings["data"]["total"] and earnings["data"]["total"]["payout"] == 5.5


def test_custom_report_groupings_and_fields(http, auth, traffic):
    fields = "&".join(f"fields[]={f}" for f in ("grossClicks", "uniqueClicks", "approvedConversions", "payout",
                                                "revenue", "profit", "cr", "epc", "pendingTotalConversions",
                                                "elapsedRange1", "elapsedRange4", "impressions", "campaign_payout"))
    body = http.get(f"/network/customReport?start=2024-06-12&end=2024-06-13&group[]=pid&group[]=created&{fields}",
                    headers=auth).json()["data"]
    assert body["query"]["group"] == ["pid", "created"] and body["report_currency"] == "USD"
    by_key = {(r["pid"], r["created"]): r for r in body["records"]}
    pub = by_key[("Pub", "2024-06-12")]
    assert (pub["grossClicks"], pub["uniqueClicks"], pub["approvedConversions"], pub["pendingTotalConversions"]) == (
        2, 1, 2, 1)
    assert (pub["payout"], pub["revenue"], pub["profit"], pub["cr"], pub["epc"]) == (5.5, 8.5, 3, 100.0, 2.75)
    assert (pub["elapsedRange1"], pub["campaign_payout"]) == (2, 1.5)
    late = by_key[("Second", "2024-06-13")]
    assert (late["elapsedRange4"], late["impressions"], late["grossClicks"]) == (1, 1, 1)
    assert body["total"]["grossClicks"] == 4 and body["total"]["payout"] == 9.5
    assert [a["name"] for a in body["affs"]] == ["Pub", "Second"] and len(body["groupingMap"]) == 24
    assert len(body["fieldMap"]) == 27

    default = http.get("/network/customReport?start=2024-06-12&end=2024-06-13", headers=auth).json()["data"]
    assert default["records"] == [{"adid": "Summer Sale", "grossClicks": 4, "payout": 9.5, "revenue": 14.5,
                                   "profit": 5, "approvedConversions": 3}]
    goals = http.get("/network/customReport?start=2024-06-12&end=2024-06-13&group[]=goalName,country,month"
                     "&fields[]=approvedConversions", headers=auth).json()["data"]["records"]
    assert len(goals) == 4  # one record per combination
    assert {(r["goalName"], r["country"], r["month"]): r["approvedConversions"] for r in goals} == {
        ("", "IN", "2024-06"): 1, ("", "US", "2024-06"): 0, ("Deposit", "IN", "2024-06"): 2,
        ("", "XX", "2024-06"): 0}  # the impression, without a country header
    every = "&".join(f"group[]={g}" for g in body["groupingMap"])
    assert http.get(f"/network/customReport?{every}&fields[]=grossClicks", headers=auth).status_code == 200
    filtered = http.get(f"/network/customReport?start=2024-06-12&end=2024-06-13&pid[]={traffic['second']['_id']}",
                        headers=auth).json()["data"]
    assert filtered["total"]["grossClicks"] == 2
    error(http.get("/network/customReport?group[]=nope", headers=auth), 400, 20)
    error(http.get("/network/customReport?fields[]=nope", headers=auth), 400, 20)
    error(http.get("/network/customReport?adid[]=5dfa0000000000000000ffff", headers=auth), 400, 20)


def test_conversion_logs(http, auth, traffic):
    body = http.get("/network/conversions?start=2024-06-12&end=2024-06-13&fields[]=cid&fields[]=payout"
                    "&fields[]=goal_name&fields[]=ipaddr&fields[]=clickIp&fields[]=created&fields[]=p1",
                    headers=auth).json()
    assert list(body) == ["success", "query", "limit", "page", "columns", "records", "count"]
    assert body["count"] == 4 and body["limit"] == 500 and len(body["columns"]) == 66
    records = list(body["records"].values())
    assert records[0]["goal_name"] == "Deposit" and records[0]["payout"] == 4
    assert records[0]["created"] == {"date": "2024-06-13 04:30:00.000000", "timezone_type": 3,
                                     "timezone": "Asia/Kolkata"}
    assert records[-1]["clickIp"] == "203.0.113.0" and records[-1]["p1"] == "x"
    assert set(records[-1]) == {"cid", "payout", "goal_name", "ipaddr", "clickIp", "created", "p1", "status",
                                "referer"}
    pending = http.get("/network/conversions?start=2024-06-12&end=2024-06-13&query[]=status&status=pending",
                       headers=auth).json()
    assert pending["count"] == 1 and pending["query"]["status"] == "pending"
    by_click = http.get(f"/network/conversions?start=2024-06-12&cid={traffic['clicks'][0]}", headers=auth).json()
    assert by_click["count"] == 2
    paged = http.get("/network/conversions?start=2024-06-12&end=2024-06-13&limit=3&page=2", headers=auth).json()
    assert paged["count"] == 4 and len(paged["records"]) == 1


def test_click_logs(http, auth, traffic):
    body = http.get(f"/network/clicks?start=2024-06-12&end=2024-06-13&campaign_id[]={traffic['campaign']['display_id']}"
                    "&limit=2", headers=auth).json()["data"]
    assert body["pagination"] == {"per_page": 2, "current_page": 1, "total": 4}
    [newest, _] = body["clicks"]
    assert newest["_id"] == traffic["clicks"][2] and newest["publisher_name"] == "Second"
    assert newest["created"] == "2024-06-13 01:30:00" and newest["ipaddr"] == "203.0.113.0"
    assert {"campaign_long_id", "campaign_title", "publisher_long_id", "lp", "sl"} <= set(newest)
    assert body["query"]["campaign_id"] == [str(traffic["campaign"]["display_id"])]
    assert len(body["fieldMap"]) == 42
    only = http.get(f"/network/clicks?start=2024-06-12&end=2024-06-13&publisher_id[]={traffic['first']['display_id']}"
                    "&fields[]=ua&fields[]=device", headers=auth).json()["data"]
    assert only["pagination"]["total"] == 2 and only["clicks"][0]["device"] == "mobile"
    error(http.get("/network/clicks?fields[]=nope", headers=auth), 400, 20)


def test_the_account_widgets_come_from_the_last_30_days(http, auth, traffic):
    widget = http.get("/network/account", headers=auth).json()["data"]["network"]["meta"]["widget"]
    assert widget["top10pubs"] == [{"_id": traffic["first"]["_id"], "username": None, "count": 2},
                                   {"_id": traffic["second"]["_id"], "username": None, "count": 1}]
    assert widget["top10ads"] == [{"_id": traffic["campaign"]["_id"], "clicks": 4}]
