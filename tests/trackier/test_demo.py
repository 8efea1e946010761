"""The Trackier demo: three weeks of recorded traffic before the seeding day, the fixed keys of
every role, a working click URL and postback URL; seeding twice changes nothing."""

from sqlalchemy import func, select

from polytrack.demo import seed_demo
from polytrack.trackier import demo
from polytrack.trackier.tables import trackier_clicks, trackier_conversions

BASE = "http://testserver"


def _count(services, table) -> int:
    with services.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_demo_traffic_keys_and_urls(http, services):
    seed_demo(services)
    clicks, conversions = _count(services, trackier_clicks), _count(services, trackier_conversions)
    seed_demo(services)  # idempotent
    assert (_count(services, trackier_clicks), _count(services, trackier_conversions)) == (clicks, conversions)
    assert clicks > 500 and conversions > 40

    creds = demo.credentials(BASE)["trackier"]
    network = {"X-Api-Key": creds["network_api_key"]}
    stats = http.get("/api/network/stats?start=2024-05-22&end=2024-06-11", headers=network).json()["data"]
    assert len(stats["stats"]) == 21 and "2024-06-12" not in stats["stats"]  # the three weeks before today
    assert stats["total"]["clicks"] == clicks and stats["total"]["payout"] > 0
    report = http.get("/api/network/customReport?start=2024-05-22&end=2024-06-11&group[]=adid&group[]=goalName",
                      headers=network).json()["data"]["records"]
    assert {r["adid"] for r in report} == {"Lucky Spins Casino", "Summer Fashion Sale"}

    advertiser = {"X-Api-Key": creds["advertiser_api_key"]}
    assert [c["title"] for c in http.get("/api/advertiser/campaigns", headers=advertiser).json()["data"]["campaigns"]] \
        == ["Lucky Spins Casino"]
    affiliate = {"X-Api-Key": creds["affiliate_api_key"]}
    mine = http.get("/api/affiliate/customReport?start=2024-05-22&end=2024-06-11", headers=affiliate).json()["data"]
    assert mine["total"]["grossClicks"] > 0

    click = http.get(creds["click_url"].removeprefix(BASE), follow_redirects=False)
    assert click.status_code == 302 and click.headers["location"].startswith("https://casino.example/welcome")
    click_id = click.headers["location"].split("click_id=")[1].split("&")[0]
    answer = http.get(creds["postback_url"].removeprefix(BASE).replace("{click_id}", click_id)).json()
    assert answer["success"] is True and answer["status"] == "approved"
