"""Network API campaigns (create with commissions and caps, list, get, edit by action, delete),
their default commissions, tracking domains, publisher access and tracking links."""

import pytest

from polytrack.trackier import admin as trackier_admin
from tests.trackier.conftest import error, new_advertiser, new_affiliate, new_campaign

CAMPAIGN_KEYS = ["user_id", "org_id", "display_id", "title", "description", "url", "preview_url", "image", "os",
                 "os_ver", "category", "currency", "comm_model", "comm_type", "device", "coverage",
                 "fire_global_aff_pb", "cities", "isps", "disabled_reason", "blocked_pubs", "whitelist_pubs",
                 "fallback_url", "cookie_duration", "app_name", "app_id", "def_goal", "conv_tracking", "convt_domain",
                 "vis", "cdt", "expiry", "_id", "live", "created", "modified", "meta", "status"]


@pytest.fixture
def advertiser(http, auth):
    return new_advertiser(http, auth)


def test_create_campaign_with_commissions_and_caps(http, auth, network, advertiser):
    publisher = new_affiliate(http, auth)
    response = http.post("/api/campaign", headers=auth, json={
        "title": "Summer Sale", "url": "https://shop.example/?c={click_id}", "advertiser_id": str(advertiser["display_id"]),
        "model": "CPA", "visibility": "private", "device": ["Android", "iphone"], "os": ["android"],
        "os_ver": {"android": {"min": 5, "max": 10}}, "category": ["Technology"],
        "commissions": [{"payout": "0.0019", "revenue": 2, "coverage": ["us", "IN"]},
                        {"payout": 1, "revenue": 2.25, "coverage": ["ALL"]}],
        "caps": [{"type": "conversion", "daily": 10, "pc": 1, "pids": [publisher["_id"]], "pub_cap_type": "each"}],
    })
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["message"] == "Campaign created Successfully!!"
    campaign = data["campaign"]
    assert list(campaign) == CAMPAIGN_KEYS
    assert campaign["user_id"] == advertiser["_id"] and campaign["org_id"] == network["_id"]
    assert campaign["display_id"] == 1 and campaign["comm_model"] == "cpa" and campaign["vis"] == "private"
    assert campaign["status"] == "pending" and campaign["currency"] == "USD" and campaign["cookie_duration"] == 90
    assert campaign["device"] == ["android", "iphone"] and campaign["os"] == ["android"]
    assert campaign["coverage"] == ["US", "IN", "ALL"]
    [first, second] = data["commissions"]
    assert first["rate"] == 0.0019 and first["revenue"] == 2 and first["model"] == "cpa"
    assert first["ad_id"] == campaign["_id"] and second["revenue"] == 2.25
    [cap] = data["caps"]
    assert cap["pids"] == [publisher["_id"]] and cap["pub_id"] == publisher["_id"] and cap["daily"] == 10
    assert cap["pause_campaign"] == 1 and cap["pub_cap_type"] == "each" and cap["geo"] == ["ALL"]
    assert cap["redirect"] == {"type": "blank", "value": ""} and cap["ad_id"] == campaign["_id"]


def test_create_campaign_reports_every_bad_field(http, auth, advertiser):
    response = http.post("/campaign", headers=auth, json={
        "url": "not a url", "advertiser_id": "5dfa0000000000000000ffff", "model": "cpx", "device": ["toaster"],
        "commissions": [{"payout": -1, "coverage": ["XX"]}], "caps": [{"type": "conversion"}],
    })
    errors = error(response, 400, 20)["data"]["errors"]
    assert set(errors) == {"title", "url", "advertiser_id", "model", "device", "commissions.0.payout",
                           "commissions.0.revenue", "commissions.0.coverage", "caps.0.daily"}
    error(http.post("/campaign", headers=auth, json={"title": "t", "url": "https://x.example",
                                                    "advertiser_id": advertiser["_id"]}), 400, 20)
    assert http.get("/campaign?active=0", headers=auth).json()["data"]["total"] == 0  # nothing stored


def test_list_get_edit_delete(http, auth, advertiser):
    first = new_campaign(http, auth, advertiser["_id"])["campaign"]
    second = new_campaign(http, auth, advertiser["_id"], title="Winter", status="paused")["campaign"]
    listed = http.get("/campaign", headers=auth).json()["data"]
    assert [c["_id"] for c in listed["campaigns"]] == [first["_id"]]  # active only by default
    assert listed["total"] == 1 and listed["page"] == 1 and listed["limit"] == 20
    assert listed["campaigns"][0]["commissions"][0]["rate"] == 1.5
    everything = http.get("/campaign?active=0&limit=1&page=2", headers=auth).json()["data"]
    assert [c["_id"] for c in everything["campaigns"]] == [first["_id"]] and everything["total"] == 2
    error(http.get("/campaign?active=2", headers=auth), 400, 20)

    got = http.get(f"/campaign/{second['display_id']}", headers=auth).json()["data"]
    assert got["campaign"]["title"] == "Winter" and got["commissions"][0]["revenue"] == 2.5

    edited = http.post(f"/campaign/{second['_id']}", headers=auth,
                       json={"action": "basic_info", "title": "Winter Sale", "status": "active",
                             "expiry": "2025-01-31", "fallback_url": "https://shop.example/fallback"}).json()
    assert edited["data"]["message"] == "Campaign Updated!!"
    assert edited["data"]["campaign"]["title"] == "Winter Sale" and edited["data"]["campaign"]["expiry"] == "2025-01-31"
    targeting = http.post(f"/campaign/{second['_id']}", headers=auth,
                          json={"action": "targeting", "device": ["desktop"], "visibility": "permission",
                                "title": "ignored here"}).json()["data"]
    assert targeting["message"] == "Targeting Info Updated!!"
    assert targeting["campaign"]["device"] == ["desktop"] and targeting["campaign"]["title"] == "Winter Sale"
    settings = http.post(f"/campaign/{second['_id']}", headers=auth,
                         json={"action": "settings", "blacklist_pubs": [6, "8"], "whitelist_pubs": []}).json()
    assert settings["data"]["campaign"]["blocked_pubs"] == [6, 8]
    image = http.post(f"/campaign/{second['_id']}", headers=auth,
                      json={"action": "image_upload", "image_url": "https://cdn.example/i.png"}).json()["data"]
    assert image["message"] == "Image Uploaded!!" and image["campaign"]["image"] == "https://cdn.example/i.png"
    assert set(error(http.post(f"/campaign/{second['_id']}", headers=auth, json={"action": "explode"}), 400, 20)
               ["data"]["errors"]) == {"action"}

    assert http.delete(f"/campaign/{first['_id']}", headers=auth).json() == {
        "success": True, "data": {"message": "Campaign Deleted!!"}}
    error(http.get(f"/campaign/{first['_id']}", headers=auth), 404, 31)
    error(http.delete(f"/campaign/{first['_id']}", headers=auth), 404, 31)


def test_commissions_crud(http, auth, advertiser):
    campaign = new_campaign(http, auth, advertiser["_id"])["campaign"]
    base = f"/commissions/{campaign['_id']}"
    created = http.post(base, headers=auth, json={"rate": 0.23, "revenue": "0.35", "coverage": ["IN", "US"]}).json()
    assert created["data"]["message"] == "Commission Saved Successfully!!"
    commission = created["data"]["commission"]
    assert list(commission) == ["ad_id", "description", "model", "revenue", "rate", "coverage", "_id", "created",
                                "modified"]
    assert (commission["rate"], commission["revenue"], commission["coverage"]) == (0.23, 0.35, ["IN", "US"])
    assert len(http.get(base, headers=auth).json()["data"]["commissions"]) == 2
    assert http.get(f"{base}/{commission['_id']}", headers=auth).json()["data"]["commission"] == commission
    updated = http.post(f"{base}/{commission['_id']}", headers=auth, json={"revenue": 0.5}).json()["data"]
    assert updated["message"] == "Commission Updated!!"
    assert (updated["commission"]["rate"], updated["commission"]["revenue"]) == (0.23, 0.5)
    error(http.post(base, headers=auth, json={"rate": "abc"}), 400, 20)
    assert http.delete(f"{base}/{commission['_id']}", headers=auth).json()["success"] is True
    error(http.get(f"{base}/{commission['_id']}", headers=auth), 404, 31)


def test_tracking_domains(http, auth):
    assert http.get("/campaign/domains", headers=auth).json() == {"success": True, "data": {"domains": []}}
    put = http.put("/campaign/domains", headers=auth, json={"domains": ["Trk.Example.com", "go.example.net"]}).json()
    assert put["success"] is True and put["data"]["domains"] == ["trk.example.com", "go.example.net"]
    for bad in ({"domains": None}, {"domains": ["not a host"]}, {}):
        answer = http.put("/campaign/domains", headers=auth, json=bad)
        assert answer.status_code == 200
        assert answer.json() == {"success": False, "data": {"message": "Invalid Request Body!!",
                                                            "domains": ["trk.example.com", "go.example.net"]}}
    assert http.put("/campaign/domains", headers=auth, json={"domains": []}).json()["data"]["domains"] == []


def test_tracking_link_and_access(http, auth, advertiser):
    campaign = new_campaign(http, auth, advertiser["_id"], visibility="private")["campaign"]
    publisher = new_affiliate(http, auth)
    path = f"/network/link/{publisher['_id']}/{campaign['_id']}"
    error(http.get(path, headers=auth), 404, 31)
    error(http.post(path, headers=auth, json={"domain": "unknown.example"}), 400, 20)
    http.put("/campaign/domains", headers=auth, json={"domains": ["trk.example.com"]})
    created = http.post(path, headers=auth, json={"domain": "trk.example.com"}).json()
    assert created["success"] is True and created["data"]["message"] == "Link Created!!"
    link = created["data"]["link"]
    assert created["data"]["tracking_link"] == f"http://trk.example.com/{link['_id']}"
    assert link["user_id"] == publisher["_id"] and link["ad_id"] == campaign["_id"] and link["domain"] == "trk.example.com"
    again = http.post(f"/network/link/{publisher['display_id']}/{campaign['display_id']}", headers=auth, json={}).json()
    assert again == {"success": False, "data": {"message": "Link already exists!!", **{
        k: v for k, v in created["data"].items() if k != "message"}}}
    assert http.get(path, headers=auth).json()["data"]["link"] == link

    granted = http.post("/campaign/assign-publisher", headers=auth,
                        json={"publisher_ids": [publisher["_id"]], "campaign_ids": [campaign["_id"]]})
    assert granted.json() == {"success": True, "data": {"message": "Campaign Access Granted"}}
    errors = error(http.post("/campaign/assign-publisher", headers=auth,
                             json={"publisher_ids": ["5dfa0000000000000000ffff"], "campaign_ids": ["123"]}),
                   400, 20)["data"]["errors"]
    assert set(errors) == {"publisher_ids", "campaign_ids"}


def test_another_network_sees_nothing(http, services, auth, advertiser):
    campaign = new_campaign(http, auth, advertiser["_id"])["campaign"]
    other = trackier_admin.create_network(services, name="Other")
    other_auth = {"X-Api-Key": trackier_admin.create_api_key(services, network_id=other["_id"], role="network")["key"]}
    for path in (f"/campaign/{campaign['_id']}", f"/commissions/{campaign['_id']}", f"/caps/{campaign['_id']}",
                 f"/campaign/lpages/{campaign['_id']}", f"/goal/campaign/{campaign['_id']}",
                 f"/campaign/pub-payout/{campaign['_id']}", "/campaign/1"):
        error(http.get(path, headers=other_auth), 404, 31)
    assert http.get("/campaign?active=0", headers=other_auth).json()["data"]["campaigns"] == []
    error(http.post("/campaign", headers=other_auth, json={
        "title": "t", "url": "https://x.example", "advertiser_id": advertiser["_id"],
        "commissions": [{"payout": 1, "revenue": 1}]}), 400, 20)


def test_an_advertiser_with_campaigns_is_not_deleted(http, auth, advertiser):
    campaign = new_campaign(http, auth, advertiser["_id"])["campaign"]
    refused = http.delete(f"/advertiser/{advertiser['_id']}", headers=auth)
    assert refused.status_code == 200 and refused.json()["success"] is False
    assert http.get(f"/advertiser/{advertiser['_id']}", headers=auth).status_code == 200
    http.delete(f"/campaign/{campaign['_id']}", headers=auth)
    assert http.delete(f"/advertiser/{advertiser['_id']}", headers=auth).json()["success"] is True
