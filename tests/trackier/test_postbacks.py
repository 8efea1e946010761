"""Outbound affiliate postbacks: queued with the approved conversion, sent to a real local
receiver with the macros filled, retried with backoff when it fails, recorded and visible."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select, update

from polytrack.trackier import admin as trackier_admin
from polytrack.trackier import postbacks
from polytrack.trackier.tables import trackier_deliveries
from tests.conftest import ADMIN_TOKEN
from tests.trackier.test_tracking import click, click_id_of, postback, world  # noqa: F401


class Receiver:
    """An affiliate's server: answers the given statuses in turn (then 200), records each hit."""

    def __init__(self, statuses=()):
        self.statuses = list(statuses)
        self.hits: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                receiver.hits.append({k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/pb"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    found = Receiver()
    yield found
    found.close()


def _use_postback(http, services, world, url: str) -> dict:
    key = {"X-Api-Key": trackier_admin.create_api_key(services, network_id=world["campaign"]["org_id"],
                                                      role="affiliate", user_id=world["publisher"]["_id"])["key"]}
    answer = http.patch("/affiliate/account", headers=key, json={"action": "postback", "url": url}).json()
    assert answer["success"] is True
    return key


def _deliveries(services) -> list:
    with services.engine.connect() as conn:
        return conn.execute(select(trackier_deliveries).order_by(trackier_deliveries.c.id)).all()


def _send(services) -> int:
    with httpx.Client() as client:
        return postbacks.deliver_due(services, client)


def test_an_approved_conversion_fires_the_affiliates_postback(http, services, world, receiver):
    key = _use_postback(http, services, world, receiver.url + "?cid={click_id}&pay={payout}&conv={conversion_id}"
                                                              "&s1={sub1}&t={txn_id}&p1={p1}&aff={aff_id}&x={unknown}")
    [listed] = http.get("/affiliate/account", headers=key).json()["data"]["postbacks"]
    assert listed["event"] == "conversion" and listed["ad_id"] is None and listed["data"].startswith(receiver.url)
    click_id = click_id_of(click(http, f"/{world['link']['_id']}?p1=mine"))
    conversion = postback(http, world, click_id, sub1="s-1", txn_id="T 9")
    assert [d.status for d in _deliveries(services)] == ["pending"]
    assert _send(services) == 1
    assert receiver.hits == [{"cid": click_id, "pay": "1.5", "conv": conversion["conversion_id"], "s1": "s-1",
                              "t": "T 9", "p1": "mine", "aff": str(world["publisher"]["display_id"]),
                              "x": "{unknown}"}]
    [delivered] = _deliveries(services)
    assert (delivered.status, delivered.attempts, delivered.last_status) == ("delivered", 1, 200)
    assert _send(services) == 0  # nothing is sent twice
    visible = http.get(f"/_polytrack/trackier/networks/{world['campaign']['org_id']}/postback-deliveries",
                       headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).json()["deliveries"]
    assert visible[0]["status"] == "delivered" and visible[0]["conversion_id"] == conversion["conversion_id"]


def test_a_failing_receiver_is_retried_with_backoff_until_it_recovers(http, services, world, clock):
    failing = Receiver([500, 503])
    try:
        _use_postback(http, services, world, failing.url + "?c={click_id}")
        postback(http, world, click_id_of(click(http, f"/{world['link']['_id']}")))
        assert _send(services) == 1
        [first] = _deliveries(services)
        assert (first.status, first.attempts, first.last_error) == ("pending", 1, "HTTP 500")
        assert first.next_attempt_at == clock.timestamp() + postbacks.RETRY_DELAYS[0]
        assert _send(services) == 0  # not due yet
        clock.advance(postbacks.RETRY_DELAYS[0])
        assert _send(services) == 1
        clock.advance(postbacks.RETRY_DELAYS[1])
        assert _send(services) == 1
        [done] = _deliveries(services)
        assert (done.status, done.attempts, done.last_status) == ("delivered", 3, 200)
        assert len(failing.hits) == 3
    finally:
        failing.close()


def test_an_unreachable_receiver_is_given_up_after_the_last_attempt(http, services, world, clock):
    _use_postback(http, services, world, "http://127.0.0.1:9/never")
    postback(http, world, click_id_of(click(http, f"/{world['link']['_id']}")))
    for delay in (*postbacks.RETRY_DELAYS, 0):
        assert _send(services) == 1
        clock.advance(delay)
    [gone] = _deliveries(services)
    assert (gone.status, gone.attempts) == ("failed", postbacks.MAX_ATTEMPTS) and gone.last_error


def test_a_sender_that_died_mid_send_leaves_the_delivery_due_again(http, services, world, clock, receiver):
    _use_postback(http, services, world, receiver.url)
    postback(http, world, click_id_of(click(http, f"/{world['link']['_id']}")))
    with services.engine.begin() as conn:  # claimed by a sender that then died
        conn.execute(update(trackier_deliveries).values(attempts=1,
                                                        next_attempt_at=clock.timestamp() + postbacks.LEASE_SECONDS))
    assert _send(services) == 0
    clock.advance(postbacks.LEASE_SECONDS)
    assert _send(services) == 1 and len(receiver.hits) == 1


def test_pending_conversions_fire_when_the_network_approves_them(http, auth, services, world, receiver):
    _use_postback(http, services, world, receiver.url + "?s={status}")
    conversion = postback(http, world, click_id_of(click(http, f"/{world['link']['_id']}")), status="pending")
    assert _deliveries(services) == []
    for _ in range(2):  # approving twice queues once
        http.post("/network/conversion-import", headers=auth,
                  json={"conversions": [{"conversion_id": conversion["conversion_id"], "status": "approved"}]})
    assert len(_deliveries(services)) == 1
    _send(services)
    assert receiver.hits == [{"s": "approved"}]
