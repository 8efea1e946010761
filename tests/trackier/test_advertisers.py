"""Network API advertisers: create, list, get one; validation, duplicates, tenancy."""

import hashlib
import re

import pytest
from sqlalchemy import func, select

from polytrack.trackier import admin as trackier_admin
from polytrack.trackier.tables import trackier_users
from tests.trackier.conftest import error, new_advertiser

USER_KEYS = ["display_id", "org_id", "username", "name", "email", "password", "phone", "country", "currency",
             "type", "login", "region", "_id", "live", "created", "modified", "meta"]


def stored_users(services) -> int:
    with services.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(trackier_users)).scalar_one()


def test_create_returns_user_object_and_message(http, auth, network):
    response = http.post("/advertiser", headers=auth, json={
        "name": "Flipkart", "email": "Ads@Flipkart.example", "password": "s3cret-pass", "phone": "9876543210",
        "country": "in", "custom_fields": {"fb_page_url": "https://fb.example/x"},
    })
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert list(body) == ["success", "data"] and body["success"] is True
    assert body["data"]["message"] == "Advertiser Added!!"
    user = body["data"]["user"]
    assert list(user) == USER_KEYS
    assert re.fullmatch(r"[0-9a-f]{24}", user["_id"])
    assert user["org_id"] == network["_id"]
    assert user["display_id"] == 1
    assert user["type"] == "advertiser"
    assert user["email"] == "Ads@Flipkart.example" and user["name"] == "Flipkart"
    assert user["phone"] == "9876543210" and user["country"] == "IN" and user["currency"] == "USD"
    assert user["username"] is None and user["login"] is None and user["region"] is None
    assert user["live"] is True and user["modified"] is None
    # FrozenClock: 2024-06-12 12:00 UTC is 17:30 in the network's zone (Asia/Kolkata)
    assert user["created"] == "2024-06-12"
    assert user["meta"] == {"afields": {"fb_page_url": "https://fb.example/x"}}
    assert re.fullmatch(r"[0-9a-f]{40}", user["password"])
    assert user["password"] != hashlib.sha1(b"s3cret-pass").hexdigest()


def test_created_date_is_in_network_timezone(http, auth, clock):
    from datetime import datetime, timezone

    clock.set(datetime(2024, 6, 12, 20, 0, tzinfo=timezone.utc))  # 01:30 next day in Kolkata
    assert new_advertiser(http, auth)["created"] == "2024-06-13"


def test_meta_is_empty_object_without_custom_fields(http, auth):
    assert new_advertiser(http, auth)["meta"] == {}


def test_list_and_get_by_long_and_display_id(http, auth):
    first = new_advertiser(http, auth, email="one@example.com", name="One")
    second = new_advertiser(http, auth, email="two@example.com", name="Two")
    assert second["display_id"] == first["display_id"] + 1
    listed = http.get("/advertiser", headers=auth).json()
    assert listed == {"success": True, "data": {"advertisers": [first, second]}}
    for ident in (second["_id"], second["_id"].upper(), str(second["display_id"])):
        body = http.get(f"/advertiser/{ident}", headers=auth).json()
        assert body == {"success": True, "data": {"advertiser": second}}


def test_list_honours_limit_and_page(http, auth):
    users = [new_advertiser(http, auth, email=f"u{i}@example.com") for i in range(3)]
    page = http.get("/advertiser", headers=auth, params={"limit": 2, "page": 2}).json()
    assert page["data"]["advertisers"] == [users[2]]
    body = error(http.get("/advertiser", headers=auth, params={"limit": "0"}), 400, 20)
    assert "limit" in body["data"]["errors"]
    error(http.get("/advertiser", headers=auth, params={"page": "x"}), 400, 20)


@pytest.mark.parametrize("ident", ["5dfa0000000000000000ffff", "999", "99999999999999"])
def test_unknown_id_is_404_code_31(http, auth, ident):
    new_advertiser(http, auth)
    body = error(http.get(f"/advertiser/{ident}", headers=auth), 404, 31)
    assert body["error"]["message"] == "Resource Not Found"


@pytest.mark.parametrize("body,fields", [
    ({}, {"name", "email", "password"}),
    ({"name": "A", "email": "not-an-email", "password": "p"}, {"email"}),
    ({"name": 42, "email": "a@b.co", "password": "p"}, {"name"}),
    ({"name": "A", "email": "a@b.co", "password": ["p"]}, {"password"}),
    ({"name": "A", "email": "a@b.co", "password": "p", "country": "India"}, {"country"}),
    ({"name": "A", "email": "a@b.co", "password": "p", "custom_fields": "x"}, {"custom_fields"}),
    ({"name": "A", "email": "a@b.co", "password": "p", "custom_fields": {"k": {"deep": 1}}}, {"custom_fields"}),
    ({"name": "  ", "email": "a@b.co", "password": "p", "phone": "1" * 65}, {"name", "phone"}),
])
def test_validation_is_400_code_20_with_errors_per_field(http, services, auth, body, fields):
    response = http.post("/advertiser", headers=auth, json=body)
    out = error(response, 400, 20)
    assert out["error"]["message"] == "Request Parameter Error"
    assert set(out["data"]["errors"]) == fields
    assert all(isinstance(m, list) and m and all(isinstance(s, str) for s in m) for m in out["data"]["errors"].values())
    assert stored_users(services) == 0


def test_duplicate_email_in_network_is_400_code_33(http, services, auth):
    new_advertiser(http, auth, email="dup@example.com")
    body = error(http.post("/advertiser", headers=auth, json={"name": "B", "email": "DUP@example.com", "password": "p"}), 400, 33)
    assert body["error"]["message"] == "Duplicated Resource"
    assert "email" in body["data"]["errors"]
    assert stored_users(services) == 1
    # the failed create did not use up a display id
    assert new_advertiser(http, auth, email="next@example.com")["display_id"] == 2


def test_tenant_isolation_between_networks(http, services, auth):
    other_network = trackier_admin.create_network(services, name="Other", timezone="Europe/London", currency="EUR")
    other_auth = {"X-Api-Key": trackier_admin.create_api_key(services, network_id=other_network["_id"], role="network")["key"]}
    mine = new_advertiser(http, auth, email="same@example.com", name="Mine")
    theirs = new_advertiser(http, other_auth, email="same@example.com", name="Theirs")
    assert theirs["org_id"] == other_network["_id"] and theirs["currency"] == "EUR"
    assert theirs["display_id"] == mine["display_id"] == 1  # display ids count per network
    assert [u["_id"] for u in http.get("/advertiser", headers=auth).json()["data"]["advertisers"]] == [mine["_id"]]
    assert [u["_id"] for u in http.get("/advertiser", headers=other_auth).json()["data"]["advertisers"]] == [theirs["_id"]]
    error(http.get(f"/advertiser/{theirs['_id']}", headers=auth), 404, 31)
    error(http.get(f"/advertiser/{mine['_id']}", headers=other_auth), 404, 31)
    assert http.get("/advertiser/1", headers=other_auth).json()["data"]["advertiser"]["name"] == "Theirs"


# --- edit (POST /advertiser/{id}) and delete --------------------------------------------------

def test_edit_is_a_partial_update(http, auth, clock):
    from datetime import datetime, timezone

    created = new_advertiser(http, auth, phone="111", country="IN", custom_fields={"k": "v"})
    clock.set(datetime(2024, 7, 1, 12, 0, tzinfo=timezone.utc))
    response = http.post(f"/advertiser/{created['display_id']}", headers=auth, json={
        "name": "Renamed", "username": "renamed", "email": "New@Example.com", "country": "gb", "live": False,
        "currency": "eur", "zone": "Europe/London", "password": "other-pass",
    })
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ["success", "data"] and body["success"] is True
    assert body["data"]["message"] == "Advertiser Updated!!"
    user = body["data"]["user"]
    assert list(user) == USER_KEYS
    assert user["_id"] == created["_id"] and user["display_id"] == created["display_id"]
    assert (user["name"], user["username"], user["email"], user["country"]) == ("Renamed", "renamed", "New@Example.com", "GB")
    assert user["live"] is False and user["currency"] == "EUR"
    assert user["region"] == {"currency": "EUR", "zone": "Europe/London", "lang": "en"}
    assert user["phone"] == "111" and user["meta"] == {"afields": {"k": "v"}}  # untouched
    assert user["password"] != created["password"]
    assert user["created"] == created["created"] and user["modified"] == "2024-07-01"
    assert http.get(f"/advertiser/{created['_id']}", headers=auth).json()["data"]["advertiser"] == user
    # an empty edit changes nothing but `modified`; a form body works too
    same = http.post(f"/advertiser/{created['_id']}", headers=auth, data={"phone": "222"}).json()["data"]["user"]
    assert same == {**user, "phone": "222"}


@pytest.mark.parametrize("body,fields", [
    ({"email": "nope"}, {"email"}),
    ({"name": 5, "country": "India"}, {"name", "country"}),
    ({"live": "maybe"}, {"live"}),
    ({"currency": "XYZ"}, {"currency"}),
    ({"zone": "Mars/Olympus"}, {"zone"}),
    ({"password": ["x"], "phone": "1" * 65}, {"password", "phone"}),
])
def test_edit_validation_is_400_code_20(http, auth, body, fields):
    created = new_advertiser(http, auth)
    out = error(http.post(f"/advertiser/{created['_id']}", headers=auth, json=body), 400, 20)
    assert set(out["data"]["errors"]) == fields
    assert http.get(f"/advertiser/{created['_id']}", headers=auth).json()["data"]["advertiser"] == created


def test_edit_to_an_email_in_use_is_400_code_33(http, auth):
    first = new_advertiser(http, auth, email="one@example.com")
    second = new_advertiser(http, auth, email="two@example.com")
    body = error(http.post(f"/advertiser/{second['_id']}", headers=auth, json={"email": "ONE@example.com"}), 400, 33)
    assert "email" in body["data"]["errors"]
    # its own address (in another case) is not a duplicate
    own = http.post(f"/advertiser/{first['_id']}", headers=auth, json={"email": "One@Example.com"})
    assert own.json()["data"]["user"]["email"] == "One@Example.com"


def test_delete_soft_deletes_and_frees_the_email(http, services, auth, network):
    kept = new_advertiser(http, auth, email="kept@example.com")
    gone = new_advertiser(http, auth, email="gone@example.com")
    own_key = trackier_admin.create_api_key(services, network_id=network["_id"], role="advertiser",
                                            user_id=gone["_id"])["key"]
    assert http.get("/advertiser", headers=auth).json()["data"]["advertisers"] == [kept, gone]
    response = http.delete(f"/advertiser/{gone['display_id']}", headers=auth)
    assert response.status_code == 200
    assert response.json() == {"success": True, "data": {"message": "Advertiser Deleted!!"}}
    assert http.get("/advertiser", headers=auth).json()["data"]["advertisers"] == [kept]
    error(http.get(f"/advertiser/{gone['_id']}", headers=auth), 404, 31)
    error(http.delete(f"/advertiser/{gone['_id']}", headers=auth), 404, 31)
    error(http.post(f"/advertiser/{gone['_id']}", headers=auth, json={"name": "x"}), 404, 31)
    error(http.get("/advertiser", headers={"X-Api-Key": own_key}), 403, 42)  # its key is locked
    assert stored_users(services) == 2  # soft delete
    again = new_advertiser(http, auth, email="gone@example.com")
    assert again["display_id"] == 3


@pytest.mark.parametrize("method", ["POST", "DELETE"])
@pytest.mark.parametrize("ident", ["5dfa0000000000000000ffff", "999", "99999999999999"])
def test_edit_and_delete_of_unknown_id_are_404_code_31(http, auth, method, ident):
    new_advertiser(http, auth)
    error(http.request(method, f"/advertiser/{ident}", headers=auth, json={"name": "x"}), 404, 31)


def test_edit_and_delete_of_another_networks_advertiser_are_404(http, services, auth):
    other_network = trackier_admin.create_network(services, name="Other")
    other_auth = {"X-Api-Key": trackier_admin.create_api_key(services, network_id=other_network["_id"], role="network")["key"]}
    theirs = new_advertiser(http, other_auth)
    error(http.post(f"/advertiser/{theirs['_id']}", headers=auth, json={"name": "x"}), 404, 31)
    error(http.delete(f"/advertiser/{theirs['_id']}", headers=auth), 404, 31)
    assert http.get(f"/advertiser/{theirs['_id']}", headers=other_auth).json()["data"]["advertiser"] == theirs


def test_advertiser_and_affiliate_keys_get_403_code_5_on_edit_and_delete(http, services, network, auth):
    advertiser = new_advertiser(http, auth)
    affiliate = http.post("/affiliate", headers=auth, json={"name": "P", "email": "p@example.com",
                                                          "password": "s3cret-pass"}).json()["data"]["user"]
    for role, user in (("advertiser", advertiser), ("affiliate", affiliate)):
        key = {"X-Api-Key": trackier_admin.create_api_key(services, network_id=network["_id"], role=role,
                                                          user_id=user["_id"])["key"]}
        error(http.post(f"/advertiser/{advertiser['_id']}", headers=key, json={"name": "x"}), 403, 5)
        error(http.delete(f"/advertiser/{advertiser['_id']}", headers=key), 403, 5)
    assert http.get(f"/advertiser/{advertiser['_id']}", headers=auth).json()["data"]["advertiser"] == advertiser
