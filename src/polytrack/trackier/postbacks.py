"""Outbound affiliate postbacks: an affiliate's URL templates, and the durable queue that sends
them when its conversions are approved.

A delivery is queued in the same transaction that approves the conversion (one per postback
and conversion, the URL filled with the conversion's macros then), so an approved conversion
never loses its postback. The sender (`deliver_due`) claims due deliveries one by one with a
lease, sends a GET, and records the outcome: delivered on a 2xx answer, else retried after
10 s, 1 min, 5 min, 30 min, 2 h, and given up (failed) after the sixth attempt. A sender that
died mid-send leaves its delivery due again when the lease ends, so restarts lose nothing.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import NamedTuple

import httpx
from sqlalchemy import select, update
from sqlalchemy.engine import Row

from polytrack.kernel.clock import Clock
from polytrack.kernel.dates import zone
from polytrack.kernel.sql import Db, Statement
from polytrack.trackier import errors, fields, tracking
from polytrack.trackier.campaigns import find_campaign
from polytrack.trackier.domain import Network, new_object_id
from polytrack.trackier.fields import as_number
from polytrack.trackier.tables import (
    trackier_campaigns, trackier_conversions, trackier_deliveries, trackier_postbacks,
)
from polytrack.trackier.schema import STRING

log = logging.getLogger("polytrack.trackier")

RETRY_DELAYS = (10, 60, 300, 1800, 7200)  # seconds after the 1st, 2nd ... failed attempt
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
LEASE_SECONDS = 60  # a claimed delivery is due again after this (its sender died)
SEND_TIMEOUT = 10.0
BATCH = 50
EVENTS = ("conversion",)


# --- the affiliate's templates ----------------------------------------------------------------

# The request body of PATCH /affiliate/account with action "postback" (schema.py).
POSTBACK_FIELDS = dict(url=STRING, campaign_id=STRING, event=STRING)


def list_postbacks(db: Db, user_id: int) -> list[Row]:
    return list(db.execute(select(trackier_postbacks, trackier_campaigns.c.object_id.label("campaign_object_id"))
                           .outerjoin(trackier_campaigns, trackier_campaigns.c.id == trackier_postbacks.c.campaign_id)
                           .where(trackier_postbacks.c.user_id == user_id, trackier_postbacks.c.live.is_(True))
                           .order_by(trackier_postbacks.c.id)).all())


def set_postback(db: Db, clock: Clock, network: Network, user_id: int, data: dict) -> None:
    """PATCH /affiliate/account with action `postback`: `url` (with macros) for `event`
    conversion, for `campaign_id` or (without one) every campaign; it replaces the affiliate's
    postback of that scope. A blank `url` removes it."""
    problems: fields.Problems = {}
    fields.choice(data, "event", problems, EVENTS)
    url = fields.url(data, "url", problems)
    campaign_id = None
    ident = fields.ident(data, "campaign_id", problems)
    if ident is not None and not problems:
        try:
            campaign_id = find_campaign(db, network, ident).id
        except errors.TrackierError:
            fields.note(problems, "campaign_id", "Campaign not found")
    if problems:
        raise errors.invalid(problems)
    now = clock.timestamp()
    db.execute(update(trackier_postbacks).where(
        trackier_postbacks.c.user_id == user_id, trackier_postbacks.c.live.is_(True),
        trackier_postbacks.c.campaign_id.is_(None) if campaign_id is None
        else trackier_postbacks.c.campaign_id == campaign_id).values(live=False, modified_at=now))
    if url:
        db.execute(trackier_postbacks.insert().values(
            object_id=new_object_id(clock), network_id=network.id, user_id=user_id, campaign_id=campaign_id,
            event="conversion", url=url, live=True, created_at=now, modified_at=None))


# --- queueing ---------------------------------------------------------------------------------

class ConversionFacts(NamedTuple):
    """A conversion with what its postback macros read."""

    id: int
    object_id: str
    network_id: int
    campaign_id: int
    publisher_id: int
    status: str
    created_at: float
    txn_id: str | None
    currency: str | None
    payout_micros: int
    params: str
    click_object_id: str
    click_params: str
    click_ipaddr: str | None
    click_created_at: float
    country: str
    source: str | None
    title: str
    campaign_display_id: int
    publisher_display_id: int
    publisher_name: str
    publisher_username: str | None
    advertiser_display_id: int
    goal_value: str | None
    goal_title: str | None
    timezone: str
    network_currency: str


# Fixed statements: queueing runs inside the tracking connection's transaction.
_FACTS = Statement(
    "SELECT v.id, v.object_id, v.network_id, v.campaign_id, v.publisher_id, v.status, v.created_at, v.txn_id, "
    "v.currency, v.payout_micros, v.params, k.object_id, k.params, k.ipaddr, k.created_at, k.country, k.source, "
    "c.title, c.display_id, p.display_id, p.name, p.username, a.display_id, g.value, g.title, n.timezone, "
    "n.currency FROM trackier_conversions v JOIN trackier_clicks k ON k.id = v.click_id "
    "JOIN trackier_campaigns c ON c.id = v.campaign_id JOIN trackier_users p ON p.id = v.publisher_id "
    "JOIN trackier_users a ON a.id = c.advertiser_id JOIN trackier_networks n ON n.id = v.network_id "
    "LEFT JOIN trackier_goals g ON g.id = v.goal_id WHERE v.id = ?")
_POSTBACKS_OF = Statement("SELECT id, url FROM trackier_postbacks WHERE user_id = ? AND live AND event = 'conversion' "
                          "AND (campaign_id IS NULL OR campaign_id = ?) ORDER BY id")
_QUEUE = Statement(
    "INSERT INTO trackier_deliveries (object_id, network_id, postback_id, conversion_id, url, status, attempts, "
    "next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?) ON CONFLICT DO NOTHING")


def macro_values(row: ConversionFacts) -> dict[str, str | None]:
    """The macros of a conversion (its click, campaign, publisher, advertiser and goal)."""
    click_params, params = json.loads(row.click_params), json.loads(row.params)
    at = datetime.fromtimestamp(row.created_at, zone(row.timezone))
    payout = str(as_number(row.payout_micros))
    values: dict[str, str | None] = {
        "click_id": row.click_object_id, "aff_id": str(row.publisher_display_id), "aff_name": row.publisher_name,
        "aff_username": row.publisher_username, "campaign_id": str(row.campaign_display_id),
        "offer_id": str(row.campaign_display_id), "campaign_title": row.title, "offer_title": row.title,
        "adv_id": str(row.advertiser_display_id), "country_id": row.country, "agent": click_params.get("ua"),
        "referer": click_params.get("referer"), "ip": row.click_ipaddr,
        "click_time": datetime.fromtimestamp(row.click_created_at, zone(row.timezone)).strftime("%Y-%m-%d %H:%M:%S"),
        "payout": payout, "payout_usd": payout, "txn_id": row.txn_id, "conversion_id": row.object_id,
        "conversion_date": at.strftime("%Y-%m-%d"), "conversion_datetime": at.strftime("%Y-%m-%d %H:%M:%S"),
        "conversion_time": str(int(row.created_at)), "currency": row.currency or row.network_currency,
        "goal_value": row.goal_value, "goal_name": row.goal_title, "status": row.status, "source": row.source,
    }
    for n in range(1, 11):
        values[f"p{n}"] = click_params.get(f"p{n}")
        values[f"sub{n}"] = params.get(f"sub{n}")
    return values


def queue_for(db: Db, clock: Clock, conversion_id: int) -> int:
    """Queue the postbacks of an approved conversion (in the caller's transaction); how many.
    Each (postback, conversion) is queued at most once, so approving twice sends once."""
    found = db.one(_FACTS, (conversion_id,))
    if found is None:
        return 0
    facts = ConversionFacts._make(tuple(found))
    if facts.status != "approved":
        return 0
    templates = db.all(_POSTBACKS_OF, (facts.publisher_id, facts.campaign_id))
    if not templates:
        return 0
    values = macro_values(facts)
    now = clock.timestamp()
    for postback_id, url in templates:
        db.run(_QUEUE, (new_object_id(clock), facts.network_id, postback_id, conversion_id,
                        tracking.fill_macros(url, values), now, now))
    return len(templates)


# --- sending ----------------------------------------------------------------------------------

def deliver_due(services, http: httpx.Client) -> int:
    """Send every delivery that is due now; how many were sent (successfully or not)."""
    now = services.clock.timestamp()
    with services.engine.connect() as conn:
        due = conn.execute(select(trackier_deliveries.c.id, trackier_deliveries.c.url).where(
            trackier_deliveries.c.status == "pending", trackier_deliveries.c.next_attempt_at <= now)
            .order_by(trackier_deliveries.c.next_attempt_at).limit(BATCH)).all()
    sent = 0
    for delivery_id, url in due:
        with services.transaction() as db:  # claim it: no other sender takes it during the lease
            claimed = db.execute(update(trackier_deliveries).where(
                trackier_deliveries.c.id == delivery_id, trackier_deliveries.c.status == "pending",
                trackier_deliveries.c.next_attempt_at <= now).values(
                next_attempt_at=now + LEASE_SECONDS, attempts=trackier_deliveries.c.attempts + 1)).rowcount
        if not claimed:
            continue
        status, error = None, None
        try:
            status = http.get(url, timeout=SEND_TIMEOUT, follow_redirects=True).status_code
        except httpx.HTTPError as failure:
            error = f"{type(failure).__name__}: {failure}"[:255]
        _record(services, delivery_id, status, error)
        sent += 1
    return sent


def _record(services, delivery_id: int, status: int | None, error: str | None) -> None:
    now = services.clock.timestamp()
    with services.transaction() as db:
        attempts = db.execute(select(trackier_deliveries.c.attempts).where(
            trackier_deliveries.c.id == delivery_id)).scalar_one()
        values: dict = {"last_status": status, "last_error": error}
        if status is not None and 200 <= status < 300:
            values.update(status="delivered", delivered_at=now)
        elif attempts >= MAX_ATTEMPTS:
            values.update(status="failed")
        else:
            values.update(next_attempt_at=now + RETRY_DELAYS[attempts - 1])
            if status is not None:
                values["last_error"] = f"HTTP {status}"
        db.execute(update(trackier_deliveries).where(trackier_deliveries.c.id == delivery_id).values(**values))


def list_deliveries(db: Db, network_id: int, limit: int = 100) -> list[Row]:
    """The latest deliveries of a network, newest first."""
    return list(db.execute(select(trackier_deliveries, trackier_conversions.c.object_id.label("conversion_object_id"))
                           .join(trackier_conversions, trackier_conversions.c.id == trackier_deliveries.c.conversion_id)
                           .where(trackier_deliveries.c.network_id == network_id)
                           .order_by(trackier_deliveries.c.created_at.desc(), trackier_deliveries.c.id.desc())
                           .limit(limit)).all())
