"""The Advertiser and Affiliate APIs: each key sees its own campaigns, stats and conversions;
and every endpoint, called with every other role's and another network's keys, leaks nothing."""

import re

import pytest

from polytrack.trackier import admin as trackier_admin
from polytrack.trackier.operations import registries
from tests.trackier.conftest import error, new_advertiser, new_affiliate, new_campaign
from tests.trackier.test_tracking import click_id_of


def _key(services, network_id, role, user_id=None) -> dict:
    return {"X-Api-Key": trackier_admin.create_api_key(services, network_id=network_id, role=role,
                                                       user_id=user_id)["key"]}


@pytest.fixture
def two(http, auth, services, network):
    """Network A: two advertisers and two affiliates with their own keys; campaign one (public,
    advertiser one) with traffic of affiliate one; campaign two (permission-only, advertiser
    two). Network B: one of each key."""
    adv1, adv2 = new_advertiser(http, auth), new_advertiser(http, auth, email="adv2@example.com", name="Adv Two")
    pub1, pub2 = new_affiliate(http, auth), new_affiliate(http, auth, email="pub2@example.com", name="Pub Two")
    one = new_campaign(http, auth, adv1["_id"])["campaign"]
    two_ = new_campaign(http, auth, adv2["_id"], title="Private Deal", visibility="permission")["campaign"]
    goal = http.post("/goal", headers=auth, json={"goal": {"title": "Deposit", "value": "deposit", "type": "public",
                                                           "ad_id": one["_id"], "model": "fixed"},
                                                  "payouts": [{"payout": 4, "revenue": 6, "coverage": ["ALL"]}]})
    link = http.post(f"/network/link/{pub1['_id']}/{one['_id']}", headers=auth, json={}).json()["data"]["link"]
    clicks = [click_id_of(http.get(f"/{link['_id']}", follow_redirects=False)) for _ in range(3)]
    conversions = [http.get("/acquisition", params={"click_id": c, "security_token": network["security_token"]})
                   .json()["conversion_id"] for c in clicks[:2]]
    other = trackier_admin.create_network(services, name="Other")
    other_auth = _key(services, other["_id"], "network")
    other_adv = new_advertiser(http, other_auth)
    other_pub = new_affiliate(http, other_auth)
    keys = {"network": auth, "adv1": _key(services, network["_id"], "advertiser", adv1["_id"]),
            "adv2": _key(services, network["_id"], "advertiser", adv2["_id"]),
            "pub1": _key(services, network["_id"], "affiliate", pub1["_id"]),
            "pub2": _key(services, network["_id"], "affiliate", pub2["_id"]),
            "other_network": other_auth, "other_adv": _key(services, other["_id"], "advertiser", other_adv["_id"]),
            "other_pub": _key(services, other["_id"], "affiliate", other_pub["_id"])}
    return {"adv1": adv1, "adv2": adv2, "pub1": pub1, "pub2": pub2, "one": one, "two": two_, "link": link,
            "clicks": clicks, "conversions": conversions, "keys": keys,
            "goal": goal.json()["data"]["goal"], "network": network}


def test_the_advertiser_api(http, two):
    key = two["keys"]["adv1"]
    listed = http.get("/advertiser/campaigns", headers=key).json()["data"]
    assert [c["_id"] for c in listed["campaigns"]] == [two["one"]["_id"]] and listed["total"] == 1
    assert listed["campaigns"][0]["commissions"] == [{"revenue": "2.5", "coverage": ["ALL"], "model": "cpa",
                                                      "description": None}]
    assert "rate" not in str(listed)
    error(http.get(f"/advertiser/campaigns/{two['two']['_id']}", headers=key), 404, 31)
    assert http.get(f"/advertiser/campaigns/{two['one']['display_id']}", headers=key).json()["data"]["caps"] == []
    stats = http.get(f"/advertiser/campaignStats/{two['one']['_id']}", headers=key).json()["data"]["total"]
    assert stats["clicks"] == 3 and stats["conversions"] == 2 and stats["revenue"] == 5 and "payout" not in stats
    report = http.get("/advertiser/report", headers=key).json()["data"]
    assert report["performance"] == [{"created": "2024-06-12", "clicks": 3, "conversions": 2, "impressions": 0,
                                      "debit": 5}]
    custom = http.get("/advertiser/customReport?group[]=adid&group[]=device", headers=key).json()["data"]
    assert custom["records"] == [{"Campaign": "Summer Sale", "Device": "unknown", "clicks": 3, "conversions": 2,
                                  "revenue": 5}]
    logs = http.get("/advertiser/conversion-logs?fields[]=cid&fields[]=campaign_name", headers=key).json()
    assert logs["count"] == 2 and isinstance(logs["records"], list) and len(logs["columns"]) == 57
    assert {r["cid"] for r in logs["records"]} == set(two["clicks"][:2])
    assert http.get("/advertiser/conversion-logs", headers=two["keys"]["adv2"]).json()["count"] == 0
    account = http.get("/advertiser/account", headers=key).json()["data"]
    assert account["user"]["_id"] == two["adv1"]["_id"] and account["network"]["name"] == "Acme Network"
    wrong = http.patch("/advertiser/account", headers=key, json={"action": "password", "old_password": "nope",
                                                                 "new_password": "n3w-pass"}).json()
    assert wrong["success"] is False and wrong["data"]["errors"] == ["Old password is not correct"]
    right = http.patch("/advertiser/account", headers=key, json={"action": "password", "old_password": "s3cret-pass",
                                                                 "new_password": "n3w-pass"}).json()
    assert right["success"] is True and right["data"]["message"] == "Password updated successfully!!"
    info = http.patch("/advertiser/account", headers=key, json={"action": "basic_info", "name": "Renamed"}).json()
    assert info["data"]["user"]["name"] == "Renamed" and info["data"]["message"] == "Account updated successfully!!"
    queued = http.post("/advertiser/conversion-impor", headers=key,
                       json={"conversions": [{"click_id": two["clicks"][2]}], "send_postback": True}).json()
    job = queued["data"]["job"]
    assert job["state"] == "pending" and job["relatedObject"]["sendPostback"] == "1"
    assert http.get("/advertiser/conversion-logs", headers=key).json()["count"] == 3
    # another advertiser cannot import conversions of these clicks
    http.post("/advertiser/conversion-import", headers=two["keys"]["adv2"],
              json={"conversions": [{"click_id": two["clicks"][2], "goal_value": "deposit"}]})
    assert http.get("/advertiser/conversion-logs", headers=key).json()["count"] == 3


def test_the_affiliate_api(http, auth, two):
    key = two["keys"]["pub2"]
    feed = http.get("/affiliate/campaigns", headers=key).json()["data"]
    assert [c["title"] for c in feed["campaigns"]] == ["Private Deal", "Summer Sale"] and feed["total"] == 2
    summer = feed["campaigns"][1]
    assert summer["url"] is None and summer["user_id"] is None and summer["tracking_link"] is None
    assert summer["commissions"][0]["rate"] == 1.5 and "revenue" not in summer["commissions"][0]
    assert summer["goals"] == [{"id": two["goal"]["_id"], "title": "Deposit", "value": "deposit",
                                "payout_model": "fixed", "payouts": [{"coverage": ["ALL"], "payout": 4}]}]
    assert summer["impressionUrl"].endswith(f"/imp?campaign_id={two['one']['display_id']}&pub_id="
                                            f"{two['pub2']['display_id']}")
    asking = http.get("/affiliate/campaigns?status=requestPermission", headers=key).json()["data"]["campaigns"]
    assert [c["title"] for c in asking] == ["Private Deal"]
    refused = http.post(f"/affiliate/link/{two['two']['_id']}", headers=key, json={}).json()
    assert refused == {"success": False, "data": {"message": "Permission required!!"}}
    error(http.get(f"/affiliate/link/{two['two']['_id']}", headers=key), 404, 31)
    first = http.post(f"/affiliate/requestAccess/{two['two']['_id']}", headers=key, json={"message": "please"}).json()
    assert first["data"]["message"] == "Access Requested!!" and first["data"]["access"]["live"] is False
    again = http.post(f"/affiliate/requestAccess/{two['two']['_id']}", headers=key, json={"message": "please"}).json()
    assert again["data"]["message"] == "Access has already been requested!!"
    http.post("/campaign/assign-publisher", headers=auth,
              json={"publisher_ids": [two["pub2"]["_id"]], "campaign_ids": [two["two"]["_id"]]})
    made = http.post(f"/affiliate/link/{two['two']['_id']}", headers=key, json={}).json()
    assert made["success"] is True and made["data"]["tracking_link"]["live"] is True
    detail = http.get(f"/affiliate/campaigns/{two['two']['_id']}", headers=key).json()["data"]
    assert detail["permission"]["hasPermission"] is True and detail["permission"]["access"]["live"] is True
    assert http.get("/affiliate/conversions", headers=key).json()["count"] == 0

    mine = two["keys"]["pub1"]
    conversions = http.get("/affiliate/conversions?fields[]=cid&fields[]=revenue", headers=mine).json()
    assert conversions["count"] == 2 and all(r["revenue"] == 1.5 and r["method"] == "PostBack URL"
                                             for r in conversions["records"])
    report = http.get("/affiliate/customReport", headers=mine).json()["data"]
    assert report["records"] == [{"adid": "Summer Sale", "grossClicks": 3, "totalConversions": 2, "payout": 3}]
    assert report["query"]["pid"] == [two["pub1"]["_id"]]
    link = http.get(f"/affiliate/link/{two['one']['_id']}", headers=mine).json()["data"]["tracking_link"]
    assert link["url"].endswith(two["link"]["_id"])
    assert http.get("/affiliate/account", headers=mine).json()["data"]["user"]["_id"] == two["pub1"]["_id"]
    payout = http.get("/affiliate/payout", headers=mine).json()["data"]
    assert payout["total"]["payout"] == 3 and "revenue" not in payout["total"]


def _example(template: str, two) -> str:
    """A path of network A's with real ids in place of its parameters."""
    ids = {"affiliate_id": two["pub1"]["_id"], "affId": two["pub1"]["_id"], "publisherId": two["pub1"]["_id"],
           "goal_id": two["goal"]["_id"], "goalId": two["goal"]["_id"]}
    return re.sub(r"\{([^}]+)\}", lambda m: ids.get(m.group(1), two["one"]["_id"]), template)


def test_no_endpoint_leaks_to_other_keys(http, two):
    """Every operation, at network A's real ids, with every key but A's network key: what is
    private to others never appears in an answer (their ids, clicks and conversions)."""
    one, adv1, pub1 = two["one"]["_id"], two["adv1"]["_id"], two["pub1"]["_id"]
    private = set(two["clicks"]) | set(two["conversions"]) | {two["link"]["_id"]}
    # what each caller must never see
    secrets = {
        "adv2": private | {one, adv1, pub1}, "pub2": private | {adv1, pub1, two["network"]["security_token"]},
        "adv1": {pub1, two["link"]["_id"]}, "pub1": {adv1, two["adv2"]["_id"]},
        "other_network": private | {one, adv1, pub1, two["goal"]["_id"]},
        "other_adv": private | {one, adv1, pub1}, "other_pub": private | {one, adv1, pub1},
    }
    [registry] = registries()
    calls = 0
    for operation in registry:
        method, template = operation.options["method"], operation.options["template"]
        for caller, hidden in secrets.items():
            response = http.request(method, f"/api{_example(template, two)}", headers=two["keys"][caller],
                                    json={} if method != "GET" else None)
            calls += 1
            planned = response.status_code == 501 and response.json()["error"]["code"] == 32
            assert response.status_code < 500 or planned, (caller, method, template, response.text)
            leaked = [secret for secret in hidden if secret in response.text]
            assert not leaked, (caller, method, template, leaked)
    assert calls == len(list(registry)) * len(secrets)
