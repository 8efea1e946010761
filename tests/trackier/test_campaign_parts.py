"""Network API: caps, landing pages, publisher-specific payouts, goals and goal payouts."""

import pytest

from tests.trackier.conftest import error, new_advertiser, new_affiliate, new_campaign


@pytest.fixture
def campaign(http, auth):
    return new_campaign(http, auth, new_advertiser(http, auth)["_id"], fallback_url="https://shop.example/fb")["campaign"]


def test_caps(http, auth, campaign):
    publisher = new_affiliate(http, auth)
    base = f"/caps/{campaign['_id']}"
    created = http.post(base, headers=auth, json={"caps": [
        {"type": "click", "lifetime": 1000, "pub_id": str(publisher["display_id"]), "geo": ["in"]},
        {"type": "payout", "monthly": 500},
    ]}).json()
    assert created["message"] == "CAP Added Successfully" and list(created) == ["success", "data", "message"]
    first, second = created["data"]["caps"]
    assert first["pids"] == [publisher["_id"]] and first["geo"] == ["IN"] and first["pub_cap_type"] == "group"
    assert second["pids"] == ["ALL"] and second["pub_id"] == "ALL" and second["pause_campaign"] == 0
    assert first["redirect"] == {"type": "fallback_link", "value": "https://shop.example/fb"}
    assert [c["id"] for c in http.get(base, headers=auth).json()["data"]["caps"]] == [first["id"], second["id"]]
    assert http.get(f"{base}/{first['id']}", headers=auth).json()["data"]["caps"] == [first]
    updated = http.post(f"{base}/{first['id']}", headers=auth, json={"daily": 50, "pub_cap_type": "each"}).json()
    assert updated["message"] == "CAP Updated Successfully"
    assert updated["data"]["caps"][0]["daily"] == 50 and updated["data"]["caps"][0]["lifetime"] == 1000
    assert set(error(http.post(base, headers=auth, json={"caps": [{"type": "bogus", "daily": -1}]}), 400, 20)
               ["data"]["errors"]) == {"caps.0.type", "caps.0.daily"}
    assert http.delete(f"{base}/{first['id']}", headers=auth).json() == {
        "success": True, "data": {"message": "CAP removed from database!!"}}
    error(http.get(f"{base}/{first['id']}", headers=auth), 404, 31)


def test_landing_pages_answer_the_whole_list(http, auth, campaign):
    base = f"/campaign/lpages/{campaign['_id']}"
    first = http.post(base, headers=auth, json={"title": "A", "preview_url": "https://a.example",
                                                "url": "https://a.example/?c={click_id}"}).json()
    assert first["message"] == "Landing page added Successfully"
    second = http.post(base, headers=auth, json={"title": "B", "preview_url": "https://b.example",
                                                 "url": "https://b.example"}).json()
    pages = second["data"]["landing_pages"]
    assert [(p["int_id"], p["title"], p["modified"]) for p in pages] == [(1, "A", None), (2, "B", None)]
    updated = http.post(f"{base}/{pages[0]['_id']}", headers=auth, json={"title": "A2"}).json()
    assert updated["message"] == "Landing page updated Successfully"
    page = updated["data"]["landing_pages"][0]
    assert page["title"] == "A2" and page["modified"] == {
        "date": "2024-06-12 12:00:00.000000", "timezone_type": 1, "timezone": "+00:00"}
    deleted = http.delete(f"{base}/{pages[0]['_id']}", headers=auth).json()
    assert [p["int_id"] for p in deleted["data"]["landing_pages"]] == [2]
    third = http.post(base, headers=auth, json={"title": "C", "preview_url": "https://c.example",
                                                "url": "https://c.example"}).json()
    assert [p["int_id"] for p in third["data"]["landing_pages"]] == [2, 3]  # numbers are not reused
    assert set(error(http.post(base, headers=auth, json={"url": "ftp://x"}), 400, 20)["data"]["errors"]) == {
        "title", "preview_url", "url"}
    assert http.get(base, headers=auth).json() == {"success": True, "data": third["data"]}


def test_goals_and_their_payouts(http, auth, campaign):
    created = http.post("/goal", headers=auth, json={
        "goal": {"title": "Deposit", "value": "DEPOSIT", "type": "private", "ad_id": campaign["_id"],
                 "model": "percentage"},
        "payouts": [{"payout": 4, "revenue": 20, "coverage": ["IN"]}]}).json()
    assert created["data"]["message"] == "Goal Created Successfully!!"
    goal = created["data"]["goal"]
    assert list(goal) == ["_id", "title", "value", "type"] and goal["value"] == "DEPOSIT"
    [payout] = created["data"]["payouts"]
    assert payout == {"_id": payout["_id"], "coverage": ["IN"], "revenue": 20, "payout": 4, "model": "percentage"}
    error(http.post("/goal", headers=auth, json={"goal": {
        "title": "Again", "value": "DEPOSIT", "type": "public", "ad_id": campaign["_id"], "model": "fixed"}}), 400, 33)
    assert set(error(http.post("/goal", headers=auth, json={"goal": {"ad_id": "5dfa0000000000000000ffff"},
                                                           "payouts": [{}]}), 400, 20)["data"]["errors"]) == {
        "title", "value", "type", "model", "ad_id", "payouts.0.payout", "payouts.0.revenue", "payouts.0.coverage"}

    listed = http.get(f"/goal/campaign/{campaign['_id']}", headers=auth).json()
    assert listed == {"success": True, "currency": "USD", "goals": [{"goal": goal, "payouts": [payout]}]}
    assert http.get(f"/goal/{goal['_id']}", headers=auth).json()["data"] == {"goal": goal, "payouts": [payout]}

    edited = http.post(f"/goal/{goal['_id']}", headers=auth,
                       json={"title": "First deposit", "type": "pub_specific", "whitelist_pubs": [2, 4, 11],
                             "blacklist_pubs": [6]}).json()["data"]
    assert edited["message"] == "Goal updated Successfully!!"
    assert edited["goal"]["whitelist_pubs"] == [2, 4, 11] and edited["goal"]["blacklist_pubs"] == [6]

    added = http.post(f"/goal/payout/{goal['_id']}", headers=auth,
                      json={"payout": 10, "revenue": 400, "coverage": ["CL"]}).json()
    assert list(added) == ["success", "payouts"] and added["payouts"][0]["coverage"] == ["CL"]
    changed = http.post(f"/goal/payout/{goal['_id']}/{added['payouts'][0]['_id']}", headers=auth,
                        json={"coverage": ["US"]}).json()["data"]
    assert changed["message"] == "Payout Updated Successfully!!" and changed["payout"][0]["coverage"] == ["US"]
    assert http.delete(f"/goal/payout/{goal['_id']}/{added['payouts'][0]['_id']}", headers=auth).json()["data"] == {
        "message": "Payout removed successfully!!"}
    assert http.delete(f"/goal/{goal['_id']}", headers=auth).json()["data"] == {"message": "Goal removed from database!!"}
    error(http.get(f"/goal/{goal['_id']}", headers=auth), 404, 31)
    assert http.get(f"/goal/campaign/{campaign['_id']}", headers=auth).json()["goals"] == []


def test_publisher_specific_payouts(http, auth, campaign):
    first, second = new_affiliate(http, auth), new_affiliate(http, auth, email="pub2@example.com")
    goal = http.post("/goal", headers=auth, json={"goal": {"title": "Sale", "value": "sale", "type": "public",
                                                           "ad_id": campaign["_id"], "model": "fixed"}}).json()
    base = f"/campaign/pub-payout/{campaign['_id']}"
    created = http.post(base, headers=auth, json={"goal_id": goal["data"]["goal"]["_id"], "pids": [first["_id"]],
                                                  "crev": 1, "payout": 3, "revenue": 5, "coverage": ["ALL"]}).json()
    assert created["message"] == "Publisher Specific Payout Created Successfully"
    [payout] = created["data"]["payouts"]
    assert payout == {"ad_id": campaign["_id"], "goal_id": goal["data"]["goal"]["_id"], "user_id": first["_id"],
                      "rate": 3, "coverage": ["ALL"], "pids": [first["_id"]], "crev": 1, "_id": payout["_id"],
                      "revenue": 5}
    default = http.post(base, headers=auth, json={"pids": [str(second["display_id"])], "crev": 0, "payout": 1}).json()
    assert default["data"]["payouts"][0]["goal_id"] is None and "revenue" not in default["data"]["payouts"][0]
    assert len(http.get(base, headers=auth).json()["data"]["payouts"]) == 2
    assert http.get(f"/network/pub-payout/{campaign['_id']}/{first['_id']}", headers=auth).json()["data"]["payouts"] \
        == [payout]
    assert set(error(http.post(base, headers=auth, json={"crev": 1, "payout": 1}), 400, 20)["data"]["errors"]) == {
        "pids", "revenue"}
    updated = http.post(f"{base}/{payout['_id']}", headers=auth, json={"payout": 3.5}).json()
    assert updated["message"] == "Publisher Specific Payout Updated Successfully"
    assert updated["data"]["payouts"][0]["rate"] == 3.5
    assert http.delete(f"{base}/{payout['_id']}", headers=auth).json() == {
        "success": True, "message": "Publisher Specific Payout Deleted Successfully"}
    error(http.delete(f"{base}/{payout['_id']}", headers=auth), 404, 31)
