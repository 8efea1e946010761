"""The tracking side: clicks (link and click forms), refusals, caps, impressions, server
postbacks and the browser pixel, payout precedence, duplicates, the attribution window."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from polytrack.trackier import admin as trackier_admin
from polytrack.kernel.hot import CollectedDB
from polytrack.trackier import tracking
from polytrack.trackier.tables import trackier_clicks, trackier_conversions, trackier_impressions, trackier_unique_clicks
from tests.trackier.conftest import new_advertiser, new_affiliate, new_campaign, settle

IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1"
DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"


@pytest.fixture
def world(http, auth, services, network):
    """A network with an advertiser, an affiliate, an active public campaign and its link."""
    advertiser = new_advertiser(http, auth)
    publisher = new_affiliate(http, auth)
    campaign = new_campaign(http, auth, advertiser["_id"])["campaign"]
    link = http.post(f"/network/link/{publisher['_id']}/{campaign['_id']}", headers=auth, json={}).json()["data"]
    token = network["security_token"]
    return {"advertiser": advertiser, "publisher": publisher, "campaign": campaign, "link": link["link"],
            "tracking_link": link["tracking_link"], "token": token}


def rows(services, table, **where):
    settle(services)
    with services.engine.connect() as conn:
        query = select(table)
        for name, value in where.items():
            query = query.where(table.c[name] == value)
        return conn.execute(query.order_by(table.c.id)).all()


def click(http, path: str, **headers):
    response = http.get(path, headers={"User-Agent": DESKTOP, **headers}, follow_redirects=False)
    assert response.status_code in (200, 302, 404), response.text
    return response


def click_id_of(response) -> str:
    location = response.headers["location"]
    return location.split("cid=")[1].split("&")[0]


def postback(http, world, click_id: str, **params):
    response = http.get("/acquisition", params={"click_id": click_id, "security_token": world["token"], **params})
    assert response.status_code == 200
    return response.json()


def test_link_click_redirects_with_macros_and_records_the_click(http, services, world):
    response = click(http, f"/{world['link']['_id']}?p1=pub-click-7&source=blog", Referer="https://blog.example/")
    assert response.status_code == 302
    location = response.headers["location"]
    click_id = click_id_of(response)
    assert location == f"https://shop.example/land?cid={click_id}&aff={world['publisher']['display_id']}"
    assert response.headers["set-cookie"].startswith(f"trk_{world['campaign']['_id']}={click_id}")
    [stored] = rows(services, trackier_clicks)
    assert stored.object_id == click_id and stored.rejected is None and stored.source == "blog"
    assert stored.device == "desktop" and stored.os == "Windows" and stored.browser == "Chrome"
    assert stored.country == "XX" and stored.is_unique is True
    assert json.loads(stored.params)["p1"] == "pub-click-7"
    assert json.loads(stored.params)["referer"] == "https://blog.example/"


def test_click_form_landing_page_and_macros(http, auth, services, world):
    campaign = world["campaign"]
    http.post(f"/campaign/lpages/{campaign['_id']}", headers=auth, json={
        "title": "LP", "preview_url": "https://lp.example", "url": "https://lp.example/?c={click_id}&p={p1}&x={nope}"})
    response = click(http, f"/click?campaign_id={campaign['display_id']}&pub_id={world['publisher']['display_id']}"
                           "&p1=a%20b&url_id=1")
    location = response.headers["location"]
    assert location.startswith("https://lp.example/?c=") and location.endswith("&p=a%20b&x={nope}")
    assert rows(services, trackier_clicks)[0].landing_page_id is not None
    assert click(http, f"/click?campaign_id={campaign['_id']}&pub_id={world['publisher']['_id']}").status_code == 302
    for bad in ("/click", "/click?campaign_id=999&pub_id=1", "/click?campaign_id=x&pub_id=%00",
                "/5dfa0000000000000000ffff"):
        assert click(http, bad).status_code == 404


def test_refused_clicks_go_to_the_fallback_or_a_blank_page(http, auth, services, world):
    campaign = world["campaign"]
    http.post(f"/campaign/{campaign['_id']}", headers=auth, json={"action": "basic_info", "status": "paused"})
    blank = click(http, f"/{world['link']['_id']}")
    assert blank.status_code == 200 and blank.headers["content-type"].startswith("text/html")
    http.post(f"/campaign/{campaign['_id']}", headers=auth,
              json={"action": "basic_info", "fallback_url": "https://shop.example/fb?c={click_id}"})
    fallback = click(http, f"/{world['link']['_id']}")
    assert fallback.headers["location"].startswith("https://shop.example/fb?c=") and "set-cookie" not in fallback.headers
    http.post(f"/campaign/{campaign['_id']}", headers=auth, json={"action": "basic_info", "status": "active"})
    # targeting: devices
    http.post(f"/campaign/{campaign['_id']}", headers=auth, json={"action": "targeting", "device": ["desktop"]})
    assert "fb" in click(http, f"/{world['link']['_id']}", **{"User-Agent": IPHONE}).headers["location"]
    assert "land" in click(http, f"/{world['link']['_id']}").headers["location"]
    # countries: the commissions' coverage
    commission = http.get(f"/commissions/{campaign['_id']}", headers=auth).json()["data"]["commissions"][0]
    http.post(f"/commissions/{campaign['_id']}/{commission['_id']}", headers=auth, json={"coverage": ["IN"]})
    assert "fb" in click(http, f"/{world['link']['_id']}", **{"CF-IPCountry": "US"}).headers["location"]
    assert "land" in click(http, f"/{world['link']['_id']}", **{"CF-IPCountry": "IN"}).headers["location"]
    reasons = [row.rejected for row in rows(services, trackier_clicks)]
    assert reasons == ["paused", "paused", "device", None, "geo", None]


def test_private_campaigns_need_access(http, auth, world):
    campaign, publisher = world["campaign"], world["publisher"]
    http.post(f"/campaign/{campaign['_id']}", headers=auth, json={"action": "targeting", "visibility": "private"})
    http.post(f"/campaign/{campaign['_id']}", headers=auth,
              json={"action": "basic_info", "fallback_url": "https://shop.example/fb"})
    form = f"/click?campaign_id={campaign['display_id']}&pub_id={publisher['display_id']}"
    assert click(http, form).headers["location"] == "https://shop.example/fb"
    http.post("/campaign/assign-publisher", headers=auth,
              json={"publisher_ids": [publisher["_id"]], "campaign_ids": [campaign["_id"]]})
    assert "land" in click(http, form).headers["location"]


def test_click_cap_pauses_the_campaign(http, auth, services, world):
    campaign = world["campaign"]
    http.post(f"/caps/{campaign['_id']}", headers=auth, json={"caps": [{"type": "click", "daily": 2, "pc": 1}]})
    locations = [click(http, f"/{world['link']['_id']}?ipaddr=10.0.0.{n}") for n in range(3)]
    assert [r.status_code for r in locations] == [302, 302, 200]
    assert http.get(f"/campaign/{campaign['_id']}", headers=auth).json()["data"]["campaign"]["status"] == "paused"
    assert [row.is_unique for row in rows(services, trackier_clicks)] == [True, True, True]


def test_unique_clicks_per_address_and_day(http, services, world, clock):
    for _ in range(2):
        click(http, f"/{world['link']['_id']}?ipaddr=10.1.1.1")
    clock.advance(86400)
    click(http, f"/{world['link']['_id']}?ipaddr=10.1.1.1")
    assert [row.is_unique for row in rows(services, trackier_clicks)] == [True, False, True]


def test_unique_click_keys_of_past_days_are_pruned(http, services, world, clock):
    """Only keys of days still current somewhere go; a visitor's click today stays not unique
    after its first, and the stored clicks keep their marks."""
    for day in range(4):
        for _ in range(2):
            click(http, f"/{world['link']['_id']}?ipaddr=10.1.1.{day}")
        clock.advance(86400)
    click(http, f"/{world['link']['_id']}?ipaddr=10.1.1.3")  # day 4, a visitor of day 3
    kept_before = len(rows_of_keys(services))
    db = CollectedDB(services.engine)
    try:
        pruned = [tracking.prune_visits(db, clock.timestamp(), 1) for _ in range(4)]
    finally:
        db.close()
    assert (kept_before, pruned) == (5, [1, 1, 0, 0])  # days 0 and 1 are over everywhere; 2, 3, 4 are not
    assert sorted(row.address for row in rows_of_keys(services)) == ["10.1.1.2", "10.1.1.3", "10.1.1.3"]
    click(http, f"/{world['link']['_id']}?ipaddr=10.1.1.3")
    marks = [row.is_unique for row in rows(services, trackier_clicks)]
    assert marks == [True, False] * 4 + [True, False]


def rows_of_keys(services):
    settle(services)
    with services.engine.connect() as conn:
        return conn.execute(select(trackier_unique_clicks)).all()


def test_impressions(http, services, world):
    response = http.get(f"/imp?campaign_id={world['campaign']['display_id']}&pub_id={world['publisher']['display_id']}")
    assert response.status_code == 200 and response.headers["content-type"] == "image/gif"
    assert http.get("/imp?campaign_id=zzz").headers["content-type"] == "image/gif"
    assert len(rows(services, trackier_impressions)) == 1


def test_postback_records_once_with_the_commission(http, services, world):
    click_id = click_id_of(click(http, f"/{world['link']['_id']}"))
    first = postback(http, world, click_id, txn_id="order-1", sub1="x")
    assert first["success"] is True and first["status"] == "approved"
    assert postback(http, world, click_id) == {"success": False, "message": "Duplicate conversion"}
    [stored] = rows(services, trackier_conversions)
    assert (stored.payout_micros, stored.revenue_micros, stored.method) == (1_500_000, 2_500_000, "PostBack URL")
    assert stored.object_id == first["conversion_id"] and stored.txn_id == "order-1"
    assert postback(http, world, click_id, security_token="wrong")["message"] == "Invalid security token"
    assert postback(http, world, "5dfa0000000000000000ffff")["message"] == "Invalid click"
    assert postback(http, world, "not-an-id")["message"] == "Invalid click"
    other_click = click_id_of(click(http, f"/{world['link']['_id']}"))
    assert postback(http, world, other_click, txn_id="order-1")["message"] == "Duplicate conversion"


def test_payout_precedence_goals_percentages_and_revenue(http, auth, services, world):
    campaign, publisher = world["campaign"], world["publisher"]
    goal = http.post("/goal", headers=auth, json={
        "goal": {"title": "Deposit", "value": "deposit", "type": "public", "ad_id": campaign["_id"], "model": "fixed"},
        "payouts": [{"payout": 4, "revenue": 6, "coverage": ["ALL"]}]}).json()["data"]["goal"]
    http.post("/goal", headers=auth, json={
        "goal": {"title": "Sale", "value": "sale", "type": "public", "ad_id": campaign["_id"], "model": "percentage"},
        "payouts": [{"payout": 10, "revenue": 15, "coverage": ["ALL"]}]}).json()["data"]["goal"]
    link = world["link"]["_id"]
    c1, c2, c3, c4 = (click_id_of(click(http, f"/{link}")) for _ in range(4))
    assert postback(http, world, c1, goal_value="deposit")["success"] is True  # goal payout
    assert postback(http, world, c1, goal_value="deposit")["message"] == "Duplicate conversion"
    assert postback(http, world, c1)["success"] is True  # the default event of the same click
    assert postback(http, world, c2, goal_value="sale", sale_amount="123.45")["success"] is True
    http.post(f"/campaign/pub-payout/{campaign['_id']}", headers=auth, json={
        "goal_id": goal["_id"], "pids": [publisher["_id"]], "crev": 0, "payout": 5})
    assert postback(http, world, c3, goal_id=goal["_id"])["success"] is True  # publisher payout, goal revenue
    assert postback(http, world, c4, goal_value="deposit", revenue="9.99")["success"] is True  # dynamic revenue
    assert postback(http, world, c4, goal_value="unknown")["message"] == "Invalid goal"
    assert postback(http, world, c4, sale_amount="abc")["message"].startswith("Invalid")
    money = [(row.payout_micros, row.revenue_micros) for row in rows(services, trackier_conversions)]
    assert money == [(4_000_000, 6_000_000), (1_500_000, 2_500_000), (12_345_000, 18_517_500),
                     (5_000_000, 6_000_000), (5_000_000, 9_990_000)]


def test_attribution_window_and_statuses(http, auth, services, world, clock):
    link = world["link"]["_id"]
    old, fresh = click_id_of(click(http, f"/{link}")), None
    clock.advance(timedelta(days=91).total_seconds())
    fresh = click_id_of(click(http, f"/{link}"))
    assert postback(http, world, old)["message"] == "Click expired"
    assert postback(http, world, fresh, status="pending")["status"] == "pending"
    assert postback(http, world, click_id_of(click(http, f"/{link}")), status="bogus")["message"].startswith("Invalid")


def test_conversion_caps_reject_past_the_limit(http, auth, services, world):
    campaign = world["campaign"]
    http.post(f"/caps/{campaign['_id']}", headers=auth, json={"caps": [{"type": "conversion", "daily": 2}]})
    clicks = [click_id_of(click(http, f"/{world['link']['_id']}")) for _ in range(3)]
    assert [postback(http, world, c)["status"] for c in clicks] == ["approved", "approved", "rejected"]
    assert rows(services, trackier_conversions)[-1].note == "Cap reached"


def test_browser_pixel_uses_the_click_cookie(http, services, world):
    response = click(http, f"/{world['link']['_id']}")
    click_id = click_id_of(response)
    pixel = http.get(f"/pixel?adid={world['campaign']['_id']}&txn_id=o-9&sale_amount=10",
                     headers={"Referer": "https://shop.example/thanks"})
    assert pixel.status_code == 200 and pixel.headers["content-type"] == "image/gif"
    [stored] = rows(services, trackier_conversions)
    assert stored.method == "Image Pixel" and json.loads(stored.params)["referer"] == "https://shop.example/thanks"
    assert rows(services, trackier_clicks)[0].object_id == click_id
    frame = http.get(f"/pixel?adid={world['campaign']['_id']}", headers={"Sec-Fetch-Dest": "iframe"})
    assert frame.headers["content-type"].startswith("text/html")
    http.cookies.clear()
    assert http.get(f"/pixel?adid={world['campaign']['_id']}&txn_id=o-10").status_code == 200
    assert len(rows(services, trackier_conversions)) == 1  # no cookie, no conversion


def test_another_networks_token_does_not_convert(http, services, world):
    other = trackier_admin.create_network(services, name="Other")
    click_id = click_id_of(click(http, f"/{world['link']['_id']}"))
    answer = http.get("/acquisition", params={"click_id": click_id, "security_token": other["security_token"]})
    assert answer.json()["message"] == "Invalid security token"


@pytest.mark.parametrize("listed", ["whitelist_pubs", "blacklist_pubs"])
def test_goal_publisher_lists_decide_who_converts_on_it(http, auth, world, listed):
    publisher = world["publisher"]["display_id"]
    goal = http.post("/goal", headers=auth, json={"goal": {"title": "Sale", "value": "sale", "type": "public",
                                                           "ad_id": world["campaign"]["_id"], "model": "fixed"}}
                     ).json()["data"]["goal"]
    click_ids = [click_id_of(click(http, f"/{world['link']['_id']}")) for _ in range(3)]
    # a list naming another publisher: a whitelist shuts ours out, a blacklist lets it in
    http.post(f"/goal/{goal['_id']}", headers=auth, json={listed: [publisher + 1]})
    outcome = postback(http, world, click_ids[0], goal_value="sale")
    assert outcome["success"] is (listed == "blacklist_pubs")
    # a list naming ours: the other way round
    http.post(f"/goal/{goal['_id']}", headers=auth, json={listed: [publisher]})
    outcome = postback(http, world, click_ids[1], goal_value="sale")
    assert outcome["success"] is (listed == "whitelist_pubs")
    if not outcome["success"]:
        assert outcome["message"] == "Goal not allowed for this publisher"
    assert postback(http, world, click_ids[2])["success"]  # the default event is not the goal's
