"""The postback sender of a real `polytrack serve` process: it sends what the queue holds on its
own, and a delivery queued before a restart is sent by the restarted server."""

import time

import httpx

from tests.serving import Server
from tests.trackier.test_postbacks import Receiver

ADMIN = "served-admin-token"


def _world(url: str, receiver: Receiver) -> tuple[str, str]:
    """Through the server's own APIs: a network with a running campaign, an affiliate whose
    postback goes to `receiver`; returns (the tracking link's path, the postback secret)."""
    admin = {"Authorization": f"Bearer {ADMIN}"}
    network = httpx.post(f"{url}/_polytrack/trackier/networks", headers=admin, json={"name": "Served"}).json()
    key = {"X-Api-Key": httpx.post(f"{url}/_polytrack/trackier/networks/{network['_id']}/api-keys", headers=admin,
                                   json={"role": "network"}).json()["key"]}
    advertiser = httpx.post(f"{url}/advertiser", headers=key,
                            json={"name": "A", "email": "a@example.com", "password": "s3cret-pass"}).json()["data"]
    affiliate = httpx.post(f"{url}/affiliate", headers=key,
                           json={"name": "P", "email": "p@example.com", "password": "s3cret-pass"}).json()["data"]
    campaign = httpx.post(f"{url}/campaign", headers=key, json={
        "title": "C", "url": "https://shop.example/?c={click_id}", "advertiser_id": advertiser["user"]["_id"],
        "status": "active", "commissions": [{"payout": 1, "revenue": 2}]}).json()["data"]["campaign"]
    own = {"X-Api-Key": httpx.post(f"{url}/_polytrack/trackier/networks/{network['_id']}/api-keys", headers=admin,
                                   json={"role": "affiliate", "user_id": affiliate["user"]["_id"]}).json()["key"]}
    httpx.patch(f"{url}/affiliate/account", headers=own, json={"action": "postback", "url": receiver.url + "?c={click_id}"})
    link = httpx.post(f"{url}/affiliate/link/{campaign['_id']}", headers=own, json={}).json()
    return "/" + link["data"]["tracking_link"]["url"].rsplit("/", 1)[1], network["security_token"]


def _convert(url: str, path: str, token: str) -> str:
    click_id = httpx.get(url + path).headers["location"].split("c=")[1]
    assert httpx.get(f"{url}/acquisition", params={"click_id": click_id, "security_token": token}).json()["success"]
    return click_id


def _wait_for(receiver: Receiver, count: int, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while len(receiver.hits) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(receiver.hits) == count


def test_the_served_sender_delivers_and_survives_a_restart(services, database_url, tmp_path):
    receiver = Receiver()
    try:
        # a server without a sender: what it queues stays queued when it stops
        first_server = Server("--db", database_url, "--osmand-port", "0", "--admin-token", ADMIN,
                              "--set", "trackier.postback_interval=0", cwd=tmp_path)
        with first_server:
            first_server.wait_ready()
            path, token = _world(first_server.url, receiver)
            queued = [_convert(first_server.url, path, token) for _ in range(2)]
            time.sleep(0.5)
            assert receiver.hits == []
            assert first_server.stop() == 0
        server = Server("--db", database_url, "--osmand-port", "0", "--admin-token", ADMIN,
                        "--set", "trackier.postback_interval=30", cwd=tmp_path)
        with server:
            server.wait_ready()
            _wait_for(receiver, 2)  # the sender starts with the worker: no request needed
            fresh = _convert(server.url, path, token)  # sent at once, not at the next round
            _wait_for(receiver, 3, seconds=5)
        assert [hit["c"] for hit in receiver.hits] == [*queued, fresh]
    finally:
        receiver.close()
