"""Trackier demo data and its fixed sandbox credentials.

The demo network has two advertisers, two affiliates, two running campaigns (one with two goals
and a publisher-specific payout, one with a landing page and a daily cap), the first affiliate's
tracking link, and three weeks of clicks and conversions before the day it is seeded, recorded
through the same functions as live traffic (so the stats, reports and logs of a fresh sandbox
have rows). The same events are made whatever the day: a fixed random seed.

The demo network key has an empty IP whitelist (any address may call), as a sandbox should;
real keys created by the operator can carry a whitelist.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select, update

from polytrack.config import Settings
from polytrack.kernel.clock import FrozenClock
from polytrack.kernel.dates import zone
from polytrack.kernel.secrets import lookup_digest
from polytrack.kernel.sql import Db
from polytrack.trackier import campaigns, domain, goals, tracking
from polytrack.trackier.tables import (
    trackier_api_keys, trackier_campaigns, trackier_clicks, trackier_links, trackier_networks, trackier_users,
)

DEMO_NETWORK_ID = "5dfa00000000000000000001"
DEMO_NETWORK_NAME = "Demo Network"
DEMO_TIMEZONE = "Asia/Kolkata"  # the zone of the vendor's examples
DEMO_CURRENCY = "USD"
DEMO_NETWORK_API_KEY = "demo-trackier-network-key-0000000000000000"
DEMO_ADVERTISER_API_KEY = "demo-trackier-advertiser-key-00000000000000"
DEMO_AFFILIATE_API_KEY = "demo-trackier-affiliate-key-000000000000000"
DEMO_SECURITY_TOKEN = "5dfa0000000000000001"  # the postback secret
DEMO_LINK_ID = "5dfa0000000000000000d001"
DEMO_DAYS = 21
DEMO_SEED = 2019

DEMO_ADVERTISERS = (
    {"_id": "5dfa0000000000000000a001", "name": "Demo Advertiser One", "email": "advertiser1@polytrack.example",
     "password": "demo-password", "phone": "+91 11 4000 0001", "country": "IN"},
    {"_id": "5dfa0000000000000000a002", "name": "Demo Advertiser Two", "email": "advertiser2@polytrack.example",
     "password": "demo-password", "phone": "+1 212 555 0102", "country": "US"},
)
DEMO_AFFILIATES = (
    {"_id": "5dfa0000000000000000b001", "name": "Demo Affiliate One", "email": "affiliate1@polytrack.example",
     "password": "demo-password", "country": "IN"},
    {"_id": "5dfa0000000000000000b002", "name": "Demo Affiliate Two", "email": "affiliate2@polytrack.example",
     "password": "demo-password", "country": "GB"},
)
AGENTS = (
    "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 Version/17.1 Safari/605.1.15",
)
COUNTRIES = ("IN", "IN", "IN", "US", "US", "GB")


def seed(services, db: Db) -> None:
    """Idempotent: each piece is created only if missing; traffic only if the network has none."""
    clock = services.clock
    network = domain.network_by_object_id(db, DEMO_NETWORK_ID)
    if network is None:
        network = domain.create_network(db, clock, name=DEMO_NETWORK_NAME, timezone=DEMO_TIMEZONE,
                                        currency=DEMO_CURRENCY, object_id=DEMO_NETWORK_ID,
                                        security_token=DEMO_SECURITY_TOKEN)
    else:  # a network seeded before it had a postback secret got a random one
        db.execute(update(trackier_networks).where(trackier_networks.c.id == network.id)
                   .values(security_token=DEMO_SECURITY_TOKEN))
    users = {}
    for user_type, people in (("advertiser", DEMO_ADVERTISERS), ("publisher", DEMO_AFFILIATES)):
        for person in people:
            exists = db.execute(select(trackier_users.c.id).where(trackier_users.c.object_id == person["_id"])).scalar()
            if exists is None:
                body = {k: v for k, v in person.items() if k != "_id"}
                exists = domain.create_user(db, clock, network, user_type=user_type, data=body,
                                            object_id=person["_id"]).id
            users[person["_id"]] = exists
    for key, role, user in ((DEMO_NETWORK_API_KEY, "network", None),
                            (DEMO_ADVERTISER_API_KEY, "advertiser", DEMO_ADVERTISERS[0]["_id"]),
                            (DEMO_AFFILIATE_API_KEY, "affiliate", DEMO_AFFILIATES[0]["_id"])):
        if not db.execute(select(trackier_api_keys.c.id).where(trackier_api_keys.c.key_digest == lookup_digest(key))
                          ).first():
            domain.create_api_key(db, clock, network=network, role=role, key=key, ips=[],
                                  user_id=users[user] if user else None)
    if db.execute(select(trackier_campaigns.c.id).where(trackier_campaigns.c.network_id == network.id)).first():
        return
    _campaigns_and_traffic(services, db, network, users)


def _campaigns_and_traffic(services, db: Db, network: domain.Network, users: dict) -> None:
    clock = services.clock
    first, second = DEMO_AFFILIATES[0]["_id"], DEMO_AFFILIATES[1]["_id"]
    casino, _, _ = campaigns.create_campaign(db, clock, network, {
        "title": "Lucky Spins Casino", "url": "https://casino.example/welcome?click_id={click_id}&aff={aff_id}",
        "preview_url": "https://casino.example/", "advertiser_id": DEMO_ADVERTISERS[0]["_id"], "status": "active",
        "category": ["Gaming"], "commissions": [{"payout": 0.5, "revenue": 1, "coverage": ["ALL"]}],
        "fallback_url": "https://casino.example/closed"})
    for title, value, payout, revenue in (("Registration", "reg", 2, 3.5), ("First deposit", "ftd", 25, 40)):
        goals.create_goal(db, clock, network, {
            "goal": {"title": title, "value": value, "type": "public", "ad_id": casino.object_id, "model": "fixed"},
            "payouts": [{"payout": payout, "revenue": revenue, "coverage": ["ALL"]},
                        {"payout": payout * 1.2, "revenue": revenue * 1.2, "coverage": ["US", "GB"]}]})
    deposit = next(g for g in goals.list_goals(db, casino) if g.value == "ftd")
    campaigns.create_pub_payout(db, clock, network, casino, {"goal_id": deposit.object_id, "pids": [first],
                                                             "crev": 0, "payout": 28})
    shop, _, _ = campaigns.create_campaign(db, clock, network, {
        "title": "Summer Fashion Sale", "url": "https://shop.example/sale?utm_source={aff_id}&cid={click_id}",
        "preview_url": "https://shop.example/", "advertiser_id": DEMO_ADVERTISERS[1]["_id"], "status": "active",
        "model": "cps", "category": ["Shopping"], "commissions": [{"payout": 8, "revenue": 12, "coverage": ["ALL"]}],
        "caps": [{"type": "conversion", "daily": 6}]})
    campaigns.create_landing_page(db, clock, shop, {"title": "Dresses", "preview_url": "https://shop.example/dresses",
                                                    "url": "https://shop.example/dresses?cid={click_id}"})
    campaigns.create_link(db, clock, network, casino, users[first], {}, live=True)
    db.execute(update(trackier_links).where(trackier_links.c.campaign_id == casino.id)
               .values(object_id=DEMO_LINK_ID))
    for campaign in (shop,):
        campaigns.create_link(db, clock, network, campaign, users[second], {}, live=True)
    if db.execute(select(trackier_clicks.c.id).where(trackier_clicks.c.network_id == network.id)).first():
        return
    _traffic(services, db, network, [campaigns.find_campaign(db, network, c.object_id) for c in (casino, shop)])


def _traffic(services, db: Db, network: domain.Network, running) -> None:
    """Three weeks of clicks and conversions before the seeding day, through the tracking
    functions (refusals, caps and pricing as for live traffic)."""
    chance = random.Random(DEMO_SEED)
    today = datetime.fromtimestamp(services.clock.timestamp(), zone(DEMO_TIMEZONE)).replace(
        hour=0, minute=0, second=0, microsecond=0)
    links = db.execute(select(trackier_links.c.object_id)).scalars().all()
    targets = [tracking.target_by_link(db, link) for link in links]
    setups = {target.campaign_id: tracking.load_setup(db, target.campaign_id, target.comm_model == "cps")
              for target in targets if target is not None}
    for days_back in range(DEMO_DAYS, 0, -1):
        day = today - timedelta(days=days_back)
        for _ in range(chance.randint(25, 45)):
            target = chance.choice(targets)
            assert target is not None
            moment = FrozenClock(day + timedelta(seconds=chance.randint(0, 86399)))
            setup = setups[target.campaign_id]
            who = tracking.visitor(f"203.0.113.{chance.randint(1, 120)}", chance.choice(AGENTS),
                                   chance.choice(COUNTRIES))
            url_id = "1" if target.comm_model == "cps" and chance.random() < 0.5 else ""
            click = tracking.record_click(db, moment, target, setup, who, {"url_id": url_id, "p1": f"d{days_back}"},
                                          user_agent=chance.choice(AGENTS), referer=None)
            if click.rejected or chance.random() > 0.12:
                continue
            moment.advance(chance.randint(30, 4 * 3600))
            found = tracking.find_click(db, click.click_id)
            assert found is not None
            query = {"txn_id": f"demo-{click.click_id[-8:]}"}
            if target.comm_model == "cps":
                query["sale_amount"] = str(chance.randint(20, 180))
            else:
                query["goal_value"] = chance.choice(["reg", "reg", "ftd", ""])
            if chance.random() < 0.15:
                query["status"] = "pending"
            try:
                tracking.record_conversion(db, moment, found, setup, query, method=tracking.POSTBACK_METHOD,
                                           ipaddr=who.ipaddr)
            except tracking.Refused:
                pass


def credentials(base_url: str, _settings: Settings | None = None) -> dict:
    return {"trackier": {
        "url": f"{base_url}/api", "network_api_key": DEMO_NETWORK_API_KEY,
        "advertiser_api_key": DEMO_ADVERTISER_API_KEY, "affiliate_api_key": DEMO_AFFILIATE_API_KEY,
        "click_url": f"{base_url}/{DEMO_LINK_ID}",
        "postback_url": f"{base_url}/acquisition?click_id={{click_id}}&security_token={DEMO_SECURITY_TOKEN}",
    }}


def curl_examples(base_url: str, creds: dict) -> list[str]:
    trackier = creds["trackier"]
    return [f"curl -H 'X-Api-Key: {trackier['network_api_key']}' '{trackier['url']}/advertiser'"]
