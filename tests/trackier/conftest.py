"""Trackier fixtures: networks and API keys provisioned the way an operator does (admin module)."""

import pytest

from polytrack.kernel.hot import CollectedDB
from polytrack.trackier import admin as trackier_admin
from polytrack.trackier import spool


@pytest.fixture
def network(services):
    return trackier_admin.create_network(services, name="Acme Network", timezone="Asia/Kolkata", currency="USD")


@pytest.fixture
def key(services, network):
    """A network key with an empty whitelist (any caller IP)."""
    return trackier_admin.create_api_key(services, network_id=network["_id"], role="network")["key"]


@pytest.fixture
def auth(key):
    return {"X-Api-Key": key}


def new_advertiser(http, auth, **fields):
    body = {"name": "Adv", "email": "adv@example.com", "password": "s3cret-pass", **fields}
    response = http.post("/advertiser", json=body, headers=auth)
    assert response.status_code == 200, response.text
    return response.json()["data"]["user"]


def error(response, status: int, code: int) -> dict:
    """Assert Trackier's error body and status; return the body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == code
    assert body["data"]["message"] == body["error"]["message"]
    return body


def new_affiliate(http, auth, **fields):
    body = {"name": "Pub", "email": "pub@example.com", "password": "s3cret-pass", **fields}
    response = http.post("/affiliate", json=body, headers=auth)
    assert response.status_code == 200, response.text
    return response.json()["data"]["user"]


def new_campaign(http, auth, advertiser_id: str, **fields):
    """An active campaign paying 1.5 and charging 2.5 everywhere; returns the create answer's data."""
    body = {"title": "Summer Sale", "url": "https://shop.example/land?cid={click_id}&aff={aff_id}",
            "advertiser_id": advertiser_id, "status": "active",
            "commissions": [{"payout": 1.5, "revenue": 2.5, "coverage": ["ALL"]}], **fields}
    response = http.post("/campaign", json=body, headers=auth)
    assert response.status_code == 200, response.text
    return response.json()["data"]


@pytest.fixture(autouse=True)
def no_background_sender(settings):
    """Tests send postbacks themselves (postbacks.deliver_due), deterministically; the served
    process's sender has its own test."""
    settings.api["trackier.postback_interval"] = 0


def settle(services) -> None:
    """Fold the click spool, as every reader of clicks does first (a test reading the tables)."""
    db = CollectedDB(services.engine)
    try:
        spool.settle(db)
    finally:
        db.close()
