"""Referral links and the legacy forms clients written against older docs still call: GET /goal,
/goal/ad/{adId}, GET /goal/payout/{goalId}, the /goals/{campId} family, /affiliate/report and
/affiliate/campaign-search."""

from polytrack.trackier import admin as trackier_admin
from tests.trackier.conftest import error, new_advertiser, new_affiliate, new_campaign


def test_referral_links(http, auth):
    publisher = new_affiliate(http, auth)
    created = http.post("/network/referral", headers=auth, json={"publisher_id": publisher["display_id"],
                                                                 "base": "profit", "rate": "30"}).json()["data"]
    referral = created["referral"]
    assert created["message"] == "Referral Link Created!!"
    assert (referral["user_id"], referral["base"], referral["type"], referral["rate"], referral["recurring"]) == (
        publisher["_id"], "profit", "percentage", 30, True)
    assert referral["created"] == "2024-06-12 17:30:00" and referral["modified"] is None
    assert created["publishers"] == [{"_id": publisher["_id"], "name": "Pub", "username": None}]
    edited = http.patch(f"/network/referral/{referral['_id']}", headers=auth, json={"live": False, "type": "amount"})
    assert edited.json()["data"]["referral"]["live"] is False and edited.json()["data"]["message"] == \
        "Referral link Updated!!"
    listed = http.get("/network/referral", headers=auth).json()["data"]["referrals"]
    assert listed[0]["signUps"] == 0 and listed[0]["type"] == "amount"
    error(http.post("/network/referral", headers=auth, json={"base": "nope"}), 400, 20)
    assert http.delete(f"/network/referral/{referral['_id']}", headers=auth).json()["success"] is True
    error(http.delete(f"/network/referral/{referral['_id']}", headers=auth), 404, 31)


def test_legacy_goal_forms(http, auth):
    campaign = new_campaign(http, auth, new_advertiser(http, auth)["_id"])["campaign"]
    created = http.post(f"/goals/{campaign['_id']}", headers=auth,
                        json={"title": "Sign up", "value": "signup", "type": "public", "payout": 2, "revenue": 3})
    goal = created.json()["data"]["goal"]
    assert created.json()["data"]["message"] == "Goal Saved Successfully!!"
    assert goal == {"_id": goal["_id"], "title": "Sign up", "value": "signup", "type": "public", "revenue": 3,
                    "payout": 2, "currency": "USD"}
    assert http.get(f"/goals/{campaign['_id']}", headers=auth).json()["data"]["goals"] == [goal]
    edited = http.post(f"/goals/{campaign['_id']}/{goal['_id']}", headers=auth, json={"payout": 2.5, "title": "Join"})
    assert edited.json()["data"]["goal"]["payout"] == 2.5 and edited.json()["data"]["goal"]["title"] == "Join"
    assert http.get(f"/goals/{campaign['_id']}/{goal['_id']}", headers=auth).json()["data"]["goal"]["title"] == "Join"
    page = http.get("/goal?page=1&limit=5", headers=auth).json()
    assert page["pagination"] == {"page": 1, "limit": 5, "total": 1} and page["data"]["goals"][0]["value"] == "signup"
    assert http.get(f"/goal/ad/{campaign['display_id']}", headers=auth).json()["pagination"]["limit"] == 50
    payouts = http.get(f"/goal/payout/{goal['_id']}", headers=auth).json()["data"]["payouts"]
    assert payouts[0]["payout"] == 2.5 and payouts[0]["coverage"] == ["ALL"]
    other = new_campaign(http, auth, new_advertiser(http, auth, email="b@example.com")["_id"])["campaign"]
    error(http.get(f"/goals/{other['_id']}/{goal['_id']}", headers=auth), 404, 31)
    assert http.delete(f"/goals/{campaign['_id']}/{goal['_id']}", headers=auth).json()["success"] is True
    assert http.get("/goal", headers=auth).json()["pagination"]["total"] == 0


def test_legacy_affiliate_report_and_campaign_search(http, auth, services, network):
    publisher = new_affiliate(http, auth)
    campaign = new_campaign(http, auth, new_advertiser(http, auth)["_id"],
                            preview_url="https://www.shop.example/item/1")["campaign"]
    new_campaign(http, auth, new_advertiser(http, auth, email="c@example.com")["_id"], title="Elsewhere",
                 preview_url="https://other.example/")
    own = {"X-Api-Key": trackier_admin.create_api_key(services, network_id=network["_id"], role="affiliate",
                                                      user_id=publisher["_id"])["key"]}
    link = http.post(f"/affiliate/link/{campaign['_id']}", headers=own, json={}).json()["data"]["tracking_link"]
    http.get("/" + link["url"].rsplit("/", 1)[1], follow_redirects=False)
    report = http.get("/affiliate/report", headers=own).json()["data"]
    assert report["links"][0]["ad_id"] == campaign["_id"] and report["campaigns"][0]["title"] == "Summer Sale"
    assert report["performance"][0]["clicks"] == 1
    assert report["campaigns_revenue"][campaign["_id"]]["clicks"] == 1
    found = http.get("/affiliate/campaign-search?p1=a&p2=b&p4=https%3A%2F%2Fshop.example%2Fdeal",
                     headers=own).json()["data"]
    assert [c["title"] for c in found["campaigns"]] == ["Summer Sale"]
    assert found["campaigns"][0]["tracking_link"]["url"] == link["url"] + "?p1=a&p2=b&p3="
    assert found["pagination"] == {"page": 1, "totalPages": 1}
