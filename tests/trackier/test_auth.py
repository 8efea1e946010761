"""Trackier API-key authentication (spec 1.2, 6.1): header/query key, IP whitelist, locks, roles."""

import pytest
from starlette.testclient import TestClient

from polytrack.trackier import admin as trackier_admin
from tests.trackier.conftest import error, new_advertiser

MESSAGES = {12: "Unauthorized Request", 13: "Invalid API Key", 41: "Request IP Not Whitelisted",
            42: "Account is locked", 5: "Insufficient Permission"}


def test_key_in_header_any_case_and_in_query(http, key):
    for headers in ({"X-Api-Key": key}, {"x-api-key": key}, {"X-API-KEY": key}):
        assert http.get("/advertiser", headers=headers).json() == {"success": True, "data": {"advertisers": []}}
    assert http.get("/api/advertiser", params={"apiKey": key}).status_code == 200


def test_header_key_is_used_before_query_key(http, key):
    assert http.get("/advertiser", params={"apiKey": "wrong"}, headers={"X-Api-Key": key}).status_code == 200
    body = error(http.get("/advertiser", params={"apiKey": key}, headers={"X-Api-Key": "wrong"}), 401, 13)
    assert body["error"]["message"] == MESSAGES[13]


@pytest.mark.parametrize("kwargs", [{}, {"headers": {"X-Api-Key": "  "}}, {"params": {"apiKey": ""}}])
def test_missing_key_is_401_code_12(http, kwargs):
    body = error(http.get("/api/advertiser", **kwargs), 401, 12)
    assert body == {"success": False, "error": {"code": 12, "message": MESSAGES[12]}, "data": {"message": MESSAGES[12]}}


def test_unknown_key_is_401_code_13(http, key):
    error(http.get("/advertiser", headers={"X-Api-Key": key + "x"}), 401, 13)


def test_auth_is_checked_before_routing(http):
    error(http.get("/advertiser/no/such/route"), 401, 12)
    error(http.delete("/advertiser", headers={"X-Api-Key": "nope"}), 401, 13)


def _whitelisted_key(services, network, ips):
    return trackier_admin.create_api_key(services, network_id=network["_id"], role="network", ips=ips)["key"]


def test_whitelisted_key_refused_from_other_ip(http, services, network):
    key = _whitelisted_key(services, network, ["10.0.0.0/8"])
    # the in-process client's address is "testclient", which is in no whitelist
    body = error(http.get("/advertiser", headers={"X-Api-Key": key}), 403, 41)
    assert body["error"]["message"] == MESSAGES[41]


@pytest.mark.parametrize("ips,client_ip,allowed", [
    (["10.0.0.0/8"], "10.1.2.3", True),
    (["10.1.2.3"], "10.1.2.3", True),
    (["10.1.2.4"], "10.1.2.3", False),
    (["192.168.0.0/16", "10.1.2.0/24"], "10.1.2.200", True),
    (["10.0.0.0/8"], "::ffff:10.1.2.3", True),
    (["2001:db8::/32"], "2001:db8::5", True),
    (["2001:db8::/32"], "2001:db9::5", False),
    (["2001:db8::5"], "10.1.2.3", False),
])
def test_ip_whitelist_ipv4_ipv6_and_cidr(app, services, network, ips, client_ip, allowed):
    key = _whitelisted_key(services, network, ips)
    with TestClient(app, client=(client_ip, 5000)) as client:
        response = client.get("/advertiser", headers={"X-Api-Key": key})
    if allowed:
        assert response.status_code == 200, response.text
    else:
        error(response, 403, 41)


def test_key_not_live_is_locked(http, services, network):
    key = trackier_admin.create_api_key(services, network_id=network["_id"], role="network", live=False)["key"]
    body = error(http.get("/advertiser", headers={"X-Api-Key": key}), 403, 42)
    assert body["error"]["message"] == MESSAGES[42]


def test_network_not_live_locks_all_its_keys(http, services):
    locked = trackier_admin.create_network(services, name="Locked", live=False)
    key = trackier_admin.create_api_key(services, network_id=locked["_id"], role="network")["key"]
    error(http.get("/advertiser", headers={"X-Api-Key": key}), 403, 42)


def test_ip_is_checked_before_lock(http, services, network):
    key = trackier_admin.create_api_key(services, network_id=network["_id"], role="network",
                                        ips=["10.0.0.1"], live=False)["key"]
    error(http.get("/advertiser", headers={"X-Api-Key": key}), 403, 41)


def test_advertiser_key_may_not_use_network_routes(http, services, network, auth):
    advertiser = new_advertiser(http, auth)
    key = trackier_admin.create_api_key(services, network_id=network["_id"], role="advertiser",
                                        user_id=advertiser["_id"])["key"]
    error(http.get("/advertiser", headers={"X-Api-Key": key}), 403, 5)
    error(http.post("/advertiser", json={"name": "x"}, headers={"X-Api-Key": key}), 403, 5)
    error(http.get(f"/advertiser/{advertiser['_id']}", headers={"X-Api-Key": key}), 403, 5)
    # unknown URIs are still 501 and wrong methods 405 for every role
    error(http.get("/advertiser/nothing/here", headers={"X-Api-Key": key}), 501, 32)
