"""Operator provisioning (/_polytrack/trackier/..., `polytrack admin trackier ...`), the demo
data and the Python client."""

import json
import re

import pytest

from polytrack import cli
from polytrack.trackier import demo as trackier_demo
from polytrack.trackier.client import TrackierClient, TrackierError
from tests.trackier.conftest import error, new_advertiser


def test_admin_creates_network_and_key_that_works(admin, http):
    created = admin.post("/_polytrack/trackier/networks", json={"name": "Partner Net", "timezone": "Europe/Berlin",
                                                                "currency": "eur"})
    assert created.status_code == 201
    network = created.json()
    assert re.fullmatch(r"[0-9a-f]{24}", network["_id"])
    assert network["name"] == "Partner Net" and network["timezone"] == "Europe/Berlin" and network["currency"] == "EUR"
    issued = admin.post(f"/_polytrack/trackier/networks/{network['_id']}/api-keys", json={"role": "network"})
    assert issued.status_code == 201
    key = issued.json()["key"]
    assert issued.json()["ips"] == [] and issued.json()["role"] == "network"
    user = new_advertiser(http, {"X-Api-Key": key})
    assert user["org_id"] == network["_id"] and user["currency"] == "EUR"


def test_network_defaults(admin):
    network = admin.post("/_polytrack/trackier/networks", json={"name": "Plain"}).json()
    assert network["timezone"] == "UTC" and network["currency"] == "USD" and network["live"] is True


def test_admin_key_with_whitelist_and_given_key(admin, http):
    network = admin.post("/_polytrack/trackier/networks", json={"name": "N"}).json()
    url = f"/_polytrack/trackier/networks/{network['_id']}/api-keys"
    issued = admin.post(url, json={"role": "network", "ips": ["10.0.0.0/8", "2001:db8::1"], "key": "my-own-key-123"}).json()
    assert issued["key"] == "my-own-key-123" and issued["ips"] == ["10.0.0.0/8", "2001:db8::1"]
    error(http.get("/advertiser", headers={"X-Api-Key": "my-own-key-123"}), 403, 41)
    assert admin.post(url, json={"role": "network", "key": "my-own-key-123"}).status_code == 409


@pytest.mark.parametrize("body,status", [
    ({"role": "boss"}, 400),
    ({}, 400),
    ({"role": "network", "ips": ["10.0.0.300"]}, 400),
    ({"role": "network", "ips": 5}, 400),
    ({"role": "advertiser"}, 400),                                   # needs user_id
    ({"role": "network", "user_id": "1"}, 400),                      # network keys have no user
    ({"role": "advertiser", "user_id": "5dfa0000000000000000ffff"}, 404),
    ({"role": "network", "key": "has space"}, 400),
    ({"role": "network", "live": "maybe"}, 400),
])
def test_admin_key_bad_requests(admin, body, status):
    network = admin.post("/_polytrack/trackier/networks", json={"name": "N"}).json()
    response = admin.post(f"/_polytrack/trackier/networks/{network['_id']}/api-keys", json=body)
    assert response.status_code == status, response.text
    assert "error" in response.json()


def test_admin_network_bad_requests_and_token(admin, http):
    assert admin.post("/_polytrack/trackier/networks", json={"name": ""}).status_code == 400
    assert admin.post("/_polytrack/trackier/networks", json={"name": "x", "timezone": "Mars/Base"}).status_code == 400
    assert admin.post("/_polytrack/trackier/networks", json={"name": "x", "currency": "dollars"}).status_code == 400
    assert admin.post("/_polytrack/trackier/networks/5dfa0000000000000000ffff/api-keys",
                      json={"role": "network"}).status_code == 404
    del http.headers["Authorization"]
    assert http.post("/_polytrack/trackier/networks", json={"name": "x"}).status_code == 401


def test_advertiser_key_belongs_to_advertiser_of_same_network(admin, http, auth, network):
    user = new_advertiser(http, auth)
    url = f"/_polytrack/trackier/networks/{network['_id']}/api-keys"
    issued = admin.post(url, json={"role": "advertiser", "user_id": str(user["display_id"])})
    assert issued.status_code == 201 and issued.json()["user_id"] == user["_id"]
    other = admin.post("/_polytrack/trackier/networks", json={"name": "Other"}).json()
    stranger = admin.post(f"/_polytrack/trackier/networks/{other['_id']}/api-keys",
                          json={"role": "advertiser", "user_id": user["_id"]})
    assert stranger.status_code == 404


def test_cli_create_network_and_api_key(http, database_url, capsys):
    assert cli.main(["admin", "trackier", "create-network", "--name", "CLI Net", "--timezone", "Asia/Kolkata",
                     "--db", database_url]) == 0
    network = json.loads(capsys.readouterr().out)
    assert network["name"] == "CLI Net" and network["timezone"] == "Asia/Kolkata"
    assert cli.main(["admin", "trackier", "create-api-key", "--network", network["_id"], "--role", "network",
                     "--ip", "10.0.0.0/8", "--ip", "192.168.1.1", "--db", database_url]) == 0
    issued = json.loads(capsys.readouterr().out)
    assert issued["ips"] == ["10.0.0.0/8", "192.168.1.1"]
    error(http.get("/advertiser", headers={"X-Api-Key": issued["key"]}), 403, 41)
    assert cli.main(["admin", "trackier", "create-api-key", "--network", network["_id"], "--role", "network",
                     "--key", "cli-key-0001", "--db", database_url]) == 0
    capsys.readouterr()
    assert http.get("/advertiser", headers={"X-Api-Key": "cli-key-0001"}).status_code == 200


def test_cli_errors_exit_2_without_traceback(database_url, capsys):
    assert cli.main(["admin", "trackier", "create-api-key", "--network", "5dfa0000000000000000ffff",
                     "--role", "network", "--db", database_url]) == 2
    assert "no network" in capsys.readouterr().err
    assert cli.main(["admin", "trackier", "create-network", "--name", "x", "--timezone", "Nowhere/Land",
                     "--db", database_url]) == 2


def test_demo_seed_is_idempotent_and_its_curl_works(http, services):
    for _ in range(2):
        with services.transaction() as conn:
            trackier_demo.seed(services, conn)
    creds = trackier_demo.credentials("http://testserver")
    assert creds["trackier"]["url"] == "http://testserver/api"
    assert creds["trackier"]["network_api_key"] == "demo-trackier-network-key-0000000000000000"
    [curl] = trackier_demo.curl_examples("http://testserver", creds)
    assert "X-Api-Key: demo-trackier-network-key-0000000000000000" in curl and "/api/advertiser" in curl
    body = http.get("/api/advertiser", headers={"X-Api-Key": creds["trackier"]["network_api_key"]}).json()
    advertisers = body["data"]["advertisers"]
    assert [a["_id"] for a in advertisers] == ["5dfa0000000000000000a001", "5dfa0000000000000000a002"]
    assert {a["org_id"] for a in advertisers} == {"5dfa00000000000000000001"}


def test_client_returns_json_and_raises_trackier_error(http, key):
    client = TrackierClient("http://testserver/api", key, http=http)
    user = client.create_advertiser(body={"name": "C", "email": "c@example.com", "password": "p"})["data"]["user"]
    assert client.get_advertiser(user["display_id"])["data"]["advertiser"] == user
    assert client.list_advertisers(limit=1)["data"]["advertisers"] == [user]
    with pytest.raises(TrackierError) as caught:
        client.get_advertiser(12345)
    assert (caught.value.status, caught.value.code, caught.value.message) == (404, 31, "Resource Not Found")
    with pytest.raises(TrackierError) as caught:
        TrackierClient("http://testserver", "bad-key", http=http).list_advertisers()
    assert (caught.value.status, caught.value.code) == (401, 13)
