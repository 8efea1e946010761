"""Trackier demo data and its fixed sandbox credentials.

The demo network key has an empty IP whitelist (any address may call), as a sandbox should;
real keys created by the operator can carry a whitelist.
"""

from __future__ import annotations

from sqlalchemy import select

from polytrack.config import Settings
from polytrack.kernel.secrets import lookup_digest
from polytrack.kernel.sql import Db
from polytrack.trackier import domain
from polytrack.trackier.tables import trackier_api_keys, trackier_users


DEMO_NETWORK_ID = "5dfa00000000000000000001"
DEMO_NETWORK_NAME = "Demo Network"
DEMO_TIMEZONE = "Asia/Kolkata"  # the zone of the vendor's examples
DEMO_CURRENCY = "USD"
DEMO_NETWORK_API_KEY = "demo-trackier-network-key-0000000000000000"

DEMO_ADVERTISERS = (
    {"_id": "5dfa0000000000000000a001", "name": "Demo Advertiser One", "email": "advertiser1@polytrack.example",
     "password": "demo-password", "phone": "+91 11 4000 0001", "country": "IN"},
    {"_id": "5dfa0000000000000000a002", "name": "Demo Advertiser Two", "email": "advertiser2@polytrack.example",
     "password": "demo-password", "phone": "+1 212 555 0102", "country": "US"},
)


def seed(services, db: Db) -> None:
    """Idempotent: each piece is created only if missing."""
    clock = services.clock
    network = domain.network_by_object_id(db, DEMO_NETWORK_ID)
    if network is None:
        network = domain.create_network(db, clock, name=DEMO_NETWORK_NAME, timezone=DEMO_TIMEZONE,
                                        currency=DEMO_CURRENCY, object_id=DEMO_NETWORK_ID)
    key_exists = db.execute(
        select(trackier_api_keys.c.id).where(trackier_api_keys.c.key_digest == lookup_digest(DEMO_NETWORK_API_KEY))
    ).first()
    if not key_exists:
        domain.create_api_key(db, clock, network=network, role="network", key=DEMO_NETWORK_API_KEY, ips=[])
    for advertiser in DEMO_ADVERTISERS:
        exists = db.execute(select(trackier_users.c.id).where(trackier_users.c.object_id == advertiser["_id"])).first()
        if not exists:
            body = {k: v for k, v in advertiser.items() if k != "_id"}
            domain.create_user(db, clock, network, user_type="advertiser", data=body, object_id=advertiser["_id"])


def credentials(base_url: str, _settings: Settings | None = None) -> dict:
    return {"trackier": {"url": f"{base_url}/api", "network_api_key": DEMO_NETWORK_API_KEY}}


def curl_examples(base_url: str, creds: dict) -> list[str]:
    trackier = creds["trackier"]
    return [f"curl -H 'X-Api-Key: {trackier['network_api_key']}' '{trackier['url']}/advertiser'"]
