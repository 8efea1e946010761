"""Trackier API-key authentication: header/query key, IP whitelist, locks, roles."""

import pytest
from starlette.testclient import TestClient

from polytrack.app import create_app
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


def _client(services, address: str, **knobs) -> TestClient:
    """A client calling from `address`, of an app built with these knobs (read when routes are built)."""
    for name, value in knobs.items():
        services.settings.api[f"trackier.{name}"] = value
    return TestClient(create_app(services=services), base_url="http://testserver", client=(address, 1234))


def test_unknown_keys_block_their_address_with_429_code_40(services, key):
    """After `failed_auth_limit` unknown keys from one address, every key from it is refused the
    way the rate limit refuses (the right one too: the answer says nothing about the key), while
    the same key from elsewhere works."""
    with _client(services, "10.1.2.3") as attacker, _client(services, "10.9.9.9") as owner:
        for attempt in range(20):  # the default limit
            error(attacker.get("/advertiser", headers={"X-Api-Key": f"guess-{attempt}"}), 401, 13)
        for headers in ({"X-Api-Key": key}, {"X-Api-Key": "guess-again"}):
            response = attacker.get("/advertiser", headers=headers)
            body = error(response, 429, 40)
            assert body["error"]["message"] == "Too Many Request"
            assert 0 < int(response.headers["retry-after"]) <= 600
        error(attacker.get("/advertiser"), 401, 12)  # no key: nothing to check
        assert owner.get("/advertiser", headers={"X-Api-Key": key}).status_code == 200


def test_failed_auth_knobs(services, key):
    with _client(services, "10.1.2.3", failed_auth_limit=3, failed_auth_period=60) as attacker:
        for _ in range(3):
            error(attacker.get("/advertiser", headers={"X-Api-Key": "nope"}), 401, 13)
        response = attacker.get("/advertiser", headers={"X-Api-Key": key})
        error(response, 429, 40)
        assert 0 < int(response.headers["retry-after"]) <= 60
    with _client(services, "10.1.2.4", failed_auth_limit=0) as unguarded:  # 0 turns the throttle off
        for _ in range(30):
            error(unguarded.get("/advertiser", headers={"X-Api-Key": "nope"}), 401, 13)
        assert unguarded.get("/advertiser", headers={"X-Api-Key": key}).status_code == 200


def test_wrong_ip_and_locked_keys_are_not_failed_credentials(services, network):
    """A key that exists was not guessed: 41 and 42 do not count against the address."""
    whitelisted = _whitelisted_key(services, network, ["10.0.0.1"])
    locked = trackier_admin.create_api_key(services, network_id=network["_id"], role="network", live=False)["key"]
    with _client(services, "10.1.2.3", failed_auth_limit=2) as client:
        for _ in range(5):
            error(client.get("/advertiser", headers={"X-Api-Key": whitelisted}), 403, 41)
            error(client.get("/advertiser", headers={"X-Api-Key": locked}), 403, 42)
