"""Network API affiliates, Trackier's publishers: create, list, get, edit, delete;
stored as users of type "publisher" beside the advertisers."""

import pytest

from polytrack.trackier import admin as trackier_admin
from tests.trackier.conftest import error, new_advertiser
from tests.trackier.test_advertisers import USER_KEYS


def new_affiliate(http, auth, **fields):
    body = {"name": "Pub", "email": "pub@example.com", "password": "s3cret-pass", **fields}
    response = http.post("/affiliate", json=body, headers=auth)
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ["success", "data"] and body["success"] is True
    assert body["data"]["message"] == "Publisher Added!!"
    return body["data"]["user"]


def test_create_returns_a_publisher_user(http, auth, network):
    user = new_affiliate(http, auth, phone="123", country="in", custom_fields={"fb_page_url": "https://fb.example/p"})
    assert list(user) == USER_KEYS
    assert user["type"] == "publisher" and user["org_id"] == network["_id"] and user["display_id"] == 1
    assert (user["name"], user["email"], user["phone"], user["country"]) == ("Pub", "pub@example.com", "123", "IN")
    assert user["live"] is True and user["region"] is None and user["created"] == "2024-06-12"
    assert user["meta"] == {"afields": {"fb_page_url": "https://fb.example/p"}}


def test_list_and_get_by_long_and_display_id(http, auth):
    advertiser = new_advertiser(http, auth, email="adv@example.com")
    first = new_affiliate(http, auth, email="one@example.com")
    second = new_affiliate(http, auth, email="two@example.com")
    # display ids count per type: advertiser 1 and affiliate 1 coexist
    assert advertiser["display_id"] == first["display_id"] == 1 and second["display_id"] == 2
    assert http.get("/affiliate", headers=auth).json() == {"success": True, "data": {"affiliates": [first, second]}}
    assert http.get("/api/affiliate/", headers=auth, params={"limit": 1, "page": 2}).json()["data"]["affiliates"] == [second]
    error(http.get("/affiliate", headers=auth, params={"limit": "-1"}), 400, 20)
    for ident in (second["_id"], second["_id"].upper(), "2"):
        assert http.get(f"/affiliate/{ident}", headers=auth).json() == {"success": True, "data": {"affiliate": second}}
    # advertisers and affiliates are apart
    assert http.get("/advertiser", headers=auth).json()["data"]["advertisers"] == [advertiser]
    error(http.get(f"/affiliate/{advertiser['_id']}", headers=auth), 404, 31)
    error(http.get(f"/advertiser/{second['_id']}", headers=auth), 404, 31)


@pytest.mark.parametrize("body,fields", [
    ({}, {"name", "email", "password"}),
    ({"name": "A", "email": "x", "password": "p", "country": "IND"}, {"email", "country"}),
])
def test_create_validation_is_400_code_20(http, auth, body, fields):
    out = error(http.post("/affiliate", headers=auth, json=body), 400, 20)
    assert set(out["data"]["errors"]) == fields
    assert http.get("/affiliate", headers=auth).json()["data"]["affiliates"] == []


def test_email_is_unique_across_advertisers_and_affiliates(http, auth):
    new_advertiser(http, auth, email="same@example.com")
    body = error(http.post("/affiliate", headers=auth, json={"name": "P", "email": "SAME@example.com", "password": "p"}), 400, 33)
    assert "email" in body["data"]["errors"]
    affiliate = new_affiliate(http, auth)
    error(http.post(f"/affiliate/{affiliate['_id']}", headers=auth, json={"email": "same@example.com"}), 400, 33)


def test_edit_answers_under_affiliate_with_bank_and_payout(http, auth):
    created = new_affiliate(http, auth, custom_fields={"k": "v"})
    response = http.post(f"/affiliate/{created['_id']}", headers=auth, json={
        "name": "Renamed", "live": "false", "zone": "Asia/Kolkata", "currency": "INR",
        "bank": {"name": "HDFC", "ifsc": "HDFC0001"}, "meta_payout": {"paypal": "p@pal.example"},
    })
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True and body["data"]["message"] == "Affiliate Updated!!"
    user = body["data"]["affiliate"]
    assert list(user) == USER_KEYS
    assert user["name"] == "Renamed" and user["live"] is False and user["email"] == created["email"]
    assert user["region"] == {"currency": "INR", "zone": "Asia/Kolkata", "lang": "en"}
    assert user["meta"] == {
        "afields": {"k": "v"},
        "bank": {"name": "HDFC", "ifsc": "HDFC0001", "account_no": "", "account_owner": ""},
        "payout": {"paypal": "p@pal.example", "payquicker": "", "payoneer": "", "paytm": "", "easypaisa": "", "mobicash": ""},
    }
    # bank replaces the stored object whole
    again = http.post(f"/affiliate/{created['display_id']}", headers=auth, json={"bank": {"account_no": "42"}})
    assert again.json()["data"]["affiliate"]["meta"]["bank"] == {"name": "", "ifsc": "", "account_no": "42", "account_owner": ""}
    assert http.get(f"/affiliate/{created['_id']}", headers=auth).json()["data"]["affiliate"] == again.json()["data"]["affiliate"]


@pytest.mark.parametrize("body,fields", [
    ({"bank": "HDFC"}, {"bank"}),
    ({"meta_payout": {"paypal": 5}}, {"meta_payout"}),
    ({"email": "bad", "live": 7}, {"email", "live"}),
])
def test_edit_validation_is_400_code_20(http, auth, body, fields):
    created = new_affiliate(http, auth)
    out = error(http.post(f"/affiliate/{created['_id']}", headers=auth, json=body), 400, 20)
    assert set(out["data"]["errors"]) == fields
    assert http.get(f"/affiliate/{created['_id']}", headers=auth).json()["data"]["affiliate"] == created


def test_delete_removes_it_from_list_and_get(http, auth):
    kept = new_affiliate(http, auth, email="kept@example.com")
    gone = new_affiliate(http, auth, email="gone@example.com")
    response = http.delete(f"/affiliate/{gone['_id']}", headers=auth)
    assert response.status_code == 200
    assert response.json() == {"success": True, "data": {"message": "Affiliate Deleted!!"}}
    assert http.get("/affiliate", headers=auth).json()["data"]["affiliates"] == [kept]
    for method in ("GET", "POST", "DELETE"):
        error(http.request(method, f"/affiliate/{gone['_id']}", headers=auth, json={"name": "x"}), 404, 31)


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
@pytest.mark.parametrize("ident", ["5dfa0000000000000000ffff", "999", "99999999999999"])
def test_unknown_id_is_404_code_31(http, auth, method, ident):
    new_affiliate(http, auth)
    error(http.request(method, f"/affiliate/{ident}", headers=auth, json={"name": "x"}), 404, 31)


def test_another_networks_affiliates_are_invisible(http, services, auth):
    other = trackier_admin.create_network(services, name="Other")
    other_auth = {"X-Api-Key": trackier_admin.create_api_key(services, network_id=other["_id"], role="network")["key"]}
    theirs = new_affiliate(http, other_auth, email="same@example.com")
    mine = new_affiliate(http, auth, email="same@example.com")
    assert http.get("/affiliate", headers=auth).json()["data"]["affiliates"] == [mine]
    for method in ("GET", "POST", "DELETE"):
        error(http.request(method, f"/affiliate/{theirs['_id']}", headers=auth, json={"name": "x"}), 404, 31)
    assert http.get(f"/affiliate/{theirs['_id']}", headers=other_auth).json()["data"]["affiliate"] == theirs


def test_advertiser_and_affiliate_keys_get_403_code_5(http, services, network, auth):
    advertiser = new_advertiser(http, auth)
    affiliate = new_affiliate(http, auth)
    for role, user in (("advertiser", advertiser), ("affiliate", affiliate)):
        key = {"X-Api-Key": trackier_admin.create_api_key(services, network_id=network["_id"], role=role,
                                                          user_id=user["_id"])["key"]}
        error(http.get("/affiliate", headers=key), 403, 5)
        error(http.post("/affiliate", headers=key, json={"name": "x"}), 403, 5)
        for method in ("GET", "POST", "DELETE"):
            error(http.request(method, f"/affiliate/{affiliate['_id']}", headers=key, json={"name": "x"}), 403, 5)
    assert http.get("/affiliate", headers=auth).json()["data"]["affiliates"] == [affiliate]


def test_a_deleted_affiliates_key_is_locked(http, services, network, auth):
    affiliate = new_affiliate(http, auth)
    key = {"X-Api-Key": trackier_admin.create_api_key(services, network_id=network["_id"], role="affiliate",
                                                      user_id=affiliate["_id"])["key"]}
    error(http.get("/affiliate", headers=key), 403, 5)
    http.delete(f"/affiliate/{affiliate['_id']}", headers=auth)
    error(http.get("/affiliate", headers=key), 403, 42)
