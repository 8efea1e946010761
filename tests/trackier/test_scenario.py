"""The issue's scenario end to end: the network sets up an advertiser, an affiliate and a
campaign with two goals and a publisher-specific payout; the affiliate takes its tracking link
and its postback; 1,000 clicks; 30 postbacks, some duplicates, some past the cap; then the
stats, the custom report, the conversion logs, the affiliate's own view and the outbound
postbacks all tell the same story."""

from decimal import Decimal

import httpx

from polytrack.trackier import admin as trackier_admin
from polytrack.trackier import postbacks
from tests.trackier.conftest import new_advertiser, new_affiliate
from tests.trackier.test_postbacks import Receiver


def test_the_whole_flow_agrees(http, auth, services, network):
    advertiser, affiliate = new_advertiser(http, auth), new_affiliate(http, auth)
    campaign = http.post("/campaign", headers=auth, json={
        "title": "Casino Launch", "url": "https://casino.example/?click={click_id}&sub={p1}",
        "advertiser_id": advertiser["_id"], "status": "active",
        "commissions": [{"payout": 1, "revenue": 2, "coverage": ["ALL"]}],
        "caps": [{"type": "conversion", "daily": 23}]}).json()["data"]["campaign"]
    goal_ids = {}
    for title, value, payout, revenue in (("Registration", "reg", 2, 3), ("Deposit", "dep", 5, 8)):
        goal_ids[value] = http.post("/goal", headers=auth, json={
            "goal": {"title": title, "value": value, "type": "public", "ad_id": campaign["_id"], "model": "fixed"},
            "payouts": [{"payout": payout, "revenue": revenue, "coverage": ["ALL"]}]}).json()["data"]["goal"]["_id"]
    http.post(f"/campaign/pub-payout/{campaign['_id']}", headers=auth, json={
        "goal_id": goal_ids["dep"], "pids": [affiliate["_id"]], "crev": 0, "payout": 6})

    own = {"X-Api-Key": trackier_admin.create_api_key(services, network_id=network["_id"], role="affiliate",
                                                      user_id=affiliate["_id"])["key"]}
    link = http.post(f"/affiliate/link/{campaign['_id']}", headers=own, json={}).json()["data"]["tracking_link"]
    receiver = Receiver()
    try:
        http.patch("/affiliate/account", headers=own, json={
            "action": "postback", "url": receiver.url + "?click={click_id}&payout={payout}&goal={goal_value}"})
        path = "/" + link["url"].rsplit("/", 1)[1]
        clicks = []
        for n in range(1000):  # 500 addresses, each twice: 500 unique clicks
            response = http.get(f"{path}?p1=c{n}&ipaddr=198.51.100.{n % 250}&source=s{n % 2}",
                                headers={"CF-IPCountry": "IN"}, follow_redirects=False)
            assert response.status_code == 302
            clicks.append(response.headers["location"].split("click=")[1].split("&")[0])

        events = ([(clicks[n], None) for n in range(10)] + [(clicks[n], "reg") for n in range(10)]
                  + [(clicks[n], "dep") for n in range(5)] + [(clicks[n], None) for n in range(5)])
        answers = []
        for click_id, goal in events:
            params = {"click_id": click_id, "security_token": network["security_token"]}
            if goal:
                params["goal_value"] = goal
            answers.append(http.get("/acquisition", params=params).json())
        statuses = [a.get("status") or a["message"] for a in answers]
        assert statuses.count("approved") == 23 and statuses.count("rejected") == 2
        assert statuses.count("Duplicate conversion") == 5 and statuses[-5:] == ["Duplicate conversion"] * 5
        # 10 default events at 1/2, 10 registrations at 2/3, 3 deposits at the publisher's 6 (revenue 8)
        payout, revenue = 10 * 1 + 10 * 2 + 3 * 6, 10 * 2 + 10 * 3 + 3 * 8

        stats = http.get("/network/stats", headers=auth).json()["data"]["total"]
        assert (stats["clicks"], stats["conversions"], stats["payout"], stats["revenue"]) == (1000, 23, payout, revenue)
        report = http.get("/network/customReport?group[]=goalName&fields[]=approvedConversions"
                          "&fields[]=rejectedConversions&fields[]=payout&fields[]=uniqueClicks&fields[]=grossClicks",
                          headers=auth).json()["data"]
        by_goal = {r["goalName"]: r for r in report["records"]}
        assert by_goal[""]["approvedConversions"] == 10 and by_goal["Registration"]["approvedConversions"] == 10
        assert by_goal["Deposit"]["approvedConversions"] == 3 and by_goal["Deposit"]["rejectedConversions"] == 2
        assert by_goal["Deposit"]["payout"] == 18
        assert report["total"]["uniqueClicks"] == 250 and report["total"]["grossClicks"] == 1000
        logs = http.get("/network/conversions?fields[]=payout&fields[]=goal_name", headers=auth).json()
        assert logs["count"] == 25
        assert sum(Decimal(str(r["payout"])) for r in logs["records"].values() if r["status"] == "approved") == payout

        mine = http.get("/affiliate/customReport", headers=own).json()["data"]["total"]
        assert mine == {"grossClicks": 1000, "totalConversions": 23, "payout": payout}
        assert http.get("/affiliate/conversions", headers=own).json()["count"] == 25
        assert http.get("/affiliate/payout", headers=own).json()["data"]["total"]["payout"] == payout

        with httpx.Client() as client:
            assert postbacks.deliver_due(services, client) == 23
        assert len(receiver.hits) == 23
        assert sum(Decimal(hit["payout"]) for hit in receiver.hits) == payout
        assert sorted(hit.get("goal", "") for hit in receiver.hits).count("dep") == 3
        assert {hit["click"] for hit in receiver.hits} == set(clicks[:10])
    finally:
        receiver.close()
