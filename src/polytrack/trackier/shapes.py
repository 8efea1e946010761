"""Trackier's shared JSON objects, built from stored rows.

`user_object` builds a User as a dict; `user_json` gives the same object as JSON text, memoised
by everything it is computed from, so a list answer costs a dict lookup per user rather than
building and encoding each object again (together ~8 µs a user, most of a list call's work).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from polytrack.kernel.dates import zone
from polytrack.kernel.render import Raw
from polytrack.trackier.domain import Network
from polytrack.trackier.fields import as_number
from polytrack.trackier.schema import (
    ANY, BOOLEAN, DAY, INTEGER, NUMBER, OBJECT_ID, STRING, array, map_of, named, nullable, obj,
)

REGION_LANG = "en"


def day(timestamp: float | None, network: Network) -> str | None:
    """Trackier's date-only fields ("created": "2016-10-21"), in the network's time zone."""
    if timestamp is None:
        return None
    # isoformat: the same YYYY-MM-DD as strftime for every date after 1970, at a third of the cost
    return datetime.fromtimestamp(timestamp, zone(network.timezone)).date().isoformat()


def password_digest(password_hash: str) -> str:
    """The 40-hex `password` field: SHA-1 of the stored scrypt hash, so the shape
    matches the vendor's SHA-1 while revealing nothing that helps guess the password."""
    return hashlib.sha1(password_hash.encode()).hexdigest()


def meta(text: str | None) -> dict:
    if not text or text == "{}":
        return {}  # most users: skip the JSON parser
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


# Trackier's JSON text: compact, UTF-8 as is (what kernel.render.to_json writes, without its
# per-call set-up: Trackier's answers hold no Raw fragments or Decimals). The wire renders
# whole answers with it; fragments made with it splice into them.
json_text = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode

# (stored row, network _id, network zone) -> the User object as JSON text. The row holds every
# column, so an edit anywhere gives a new key, never a stale answer. Bounded: emptied when full.
_USER_JSON: dict[tuple, str] = {}
USER_JSON_CACHE_SIZE = 10_000


def user_json(row, network: Network) -> str:
    """`user_object(row, network)` as JSON text, memoised."""
    key = (row, network.object_id, network.timezone)  # rows are tuples: hashable, compared by value
    text = _USER_JSON.get(key)
    if text is None:
        text = json_text(user_object(row, network))
        if len(_USER_JSON) >= USER_JSON_CACHE_SIZE:
            _USER_JSON.clear()
        _USER_JSON[key] = text
    return text


USER = named("User", obj(
    display_id=INTEGER, org_id=OBJECT_ID, username=nullable(STRING), name=STRING, email=STRING, password=STRING,
    phone=nullable(STRING), country=nullable(STRING), currency=STRING, type=STRING, login=nullable(DAY),
    region=nullable(obj(currency=STRING, zone=STRING, lang=STRING)), _id=OBJECT_ID, live=BOOLEAN, created=DAY,
    modified=nullable(DAY), meta=map_of(ANY)))


def user_object(row, network: Network) -> dict:
    """The User object, in the documented key order. `display_id` (from the extended form) leads
    so that clients can learn the short id `GET /advertiser/{id}` also accepts."""
    region = None
    if row.zone:
        region = {"currency": row.currency, "zone": row.zone, "lang": REGION_LANG}
    return {
        "display_id": row.display_id,
        "org_id": network.object_id,
        "username": row.username,
        "name": row.name,
        "email": row.email,
        "password": password_digest(row.password_hash),
        "phone": row.phone,
        "country": row.country,
        "currency": row.currency,
        "type": row.type,
        "login": day(row.login_at, network),
        "region": region,
        "_id": row.object_id,
        "live": bool(row.live),
        "created": day(row.created_at, network),
        "modified": day(row.modified_at, network),
        "meta": meta(row.meta),
    }


def users_answer(member: str, rows, network: Network) -> Raw:
    """`{"success": true, "data": {member: [<User>...]}}` from memoised User texts. The docs'
    examples have no `success`; we always send it (harmless to clients that ignore it)."""
    return Raw('{"success":true,"data":{"' + member + '":[' + ",".join([user_json(row, network) for row in rows]) + "]}}")


def user_answer(member: str, row, network: Network) -> Raw:
    """`{"success": true, "data": {member: <User>}}` from the memoised User text."""
    return Raw('{"success":true,"data":{"' + member + '":' + user_json(row, network) + "}}")


# --- campaigns and what hangs off them --------------------------------------------------------

def _json(text: str | None, default=None):
    return default if text is None else json.loads(text)


PHP_DATE = named("PhpDate", obj(date=STRING, timezone_type=INTEGER, timezone=STRING))


def php_date(timestamp: float | None, zone_name: str = "+00:00") -> dict | None:
    """PHP's DateTime as JSON: {"date": "Y-m-d H:i:s.u", "timezone_type": 1, "timezone": "+00:00"}
    (UTC; `zone_name` a zone name gives timezone_type 3, the network's zone in conversions)."""
    if timestamp is None:
        return None
    if zone_name == "+00:00":
        moment = datetime.fromtimestamp(timestamp, zone("UTC"))
        return {"date": moment.strftime("%Y-%m-%d %H:%M:%S.%f"), "timezone_type": 1, "timezone": "+00:00"}
    moment = datetime.fromtimestamp(timestamp, zone(zone_name))
    return {"date": moment.strftime("%Y-%m-%d %H:%M:%S.%f"), "timezone_type": 3, "timezone": zone_name}


STRINGS = array(STRING)
# the campaign object's keys, in order; the self-service APIs show it with some of them hidden
CAMPAIGN_FIELDS = {
    "user_id": OBJECT_ID, "org_id": OBJECT_ID, "display_id": INTEGER, "title": STRING,
    "description": nullable(STRING), "url": STRING, "preview_url": nullable(STRING), "image": nullable(STRING),
    "os": array(ANY), "os_ver": nullable(ANY), "category": array(ANY), "currency": STRING, "comm_model": STRING,
    "comm_type": STRING, "device": nullable(array(ANY)), "coverage": STRINGS, "fire_global_aff_pb": BOOLEAN,
    "cities": array(ANY), "isps": array(ANY), "disabled_reason": nullable(STRING), "blocked_pubs": array(ANY),
    "whitelist_pubs": array(ANY), "fallback_url": nullable(STRING), "cookie_duration": INTEGER,
    "app_name": nullable(STRING), "app_id": nullable(STRING), "def_goal": nullable(STRING),
    "conv_tracking": STRING, "convt_domain": nullable(STRING), "vis": STRING, "cdt": nullable(STRING),
    "expiry": nullable(STRING), "_id": OBJECT_ID, "live": BOOLEAN, "created": DAY, "modified": nullable(DAY),
    "meta": map_of(ANY), "status": STRING,
}
CAMPAIGN = named("Campaign", obj(CAMPAIGN_FIELDS))


def campaign_object(row, network: Network, commissions=()) -> dict:
    """The campaign object of the create answer, in its key order; `coverage` is the union of
    the commissions' countries (given them), `blocked_pubs` the blacklist."""
    coverage: list[str] = []
    for commission in commissions:
        coverage.extend(c for c in _json(commission.coverage, []) if c not in coverage)
    return {
        "user_id": row.advertiser_object_id, "org_id": network.object_id, "display_id": row.display_id,
        "title": row.title, "description": row.description, "url": row.url, "preview_url": row.preview_url,
        "image": row.image, "os": _json(row.os, []), "os_ver": _json(row.os_ver), "category": _json(row.category, []),
        "currency": row.currency, "comm_model": row.comm_model, "comm_type": "default",
        "device": _json(row.device), "coverage": coverage, "fire_global_aff_pb": True, "cities": [], "isps": [],
        "disabled_reason": None, "blocked_pubs": _json(row.blacklist_pubs, []),
        "whitelist_pubs": _json(row.whitelist_pubs, []), "fallback_url": row.fallback_url,
        "cookie_duration": row.cookie_duration, "app_name": row.app_name, "app_id": row.app_id, "def_goal": None,
        "conv_tracking": row.conv_tracking, "convt_domain": row.convt_domain, "vis": row.visibility, "cdt": None,
        "expiry": row.expiry, "_id": row.object_id, "live": bool(row.live), "created": day(row.created_at, network),
        "modified": day(row.modified_at, network), "meta": {}, "status": row.status,
    }


COMMISSION = named("Commission", obj({
    "ad_id": OBJECT_ID, "description": nullable(STRING), "model": STRING, "revenue": NUMBER, "rate": NUMBER,
    "coverage": STRINGS, "_id": OBJECT_ID, "created": DAY, "modified": nullable(DAY)}))


def commission_object(row, campaign, network: Network) -> dict:
    """A default commission: `rate` is paid to the affiliate, `revenue` charged to the advertiser."""
    return {
        "ad_id": campaign.object_id, "description": row.description, "model": campaign.comm_model,
        "revenue": as_number(row.revenue_micros), "rate": as_number(row.rate_micros),
        "coverage": _json(row.coverage, []), "_id": row.object_id, "created": day(row.created_at, network),
        "modified": day(row.modified_at, network),
    }


CAP = named("Cap", obj(
    pub_id=STRING, pids=STRINGS, ad_id=OBJECT_ID, type=STRING, redirect=obj(type=STRING, value=nullable(STRING)),
    geo=STRINGS, id=OBJECT_ID, daily=nullable(INTEGER), monthly=nullable(INTEGER), lifetime=nullable(INTEGER),
    pause_campaign=INTEGER, pub_cap_type=STRING))


def cap_object(row, campaign) -> dict:
    """A cap (its key is `id`, not `_id`); blocked clicks go to the campaign's fallback URL
    when it has one, else get a blank page."""
    pids = _json(row.pids, ["ALL"])
    redirect = {"type": "fallback_link", "value": campaign.fallback_url} if campaign.fallback_url \
        else {"type": "blank", "value": ""}
    return {
        "pub_id": pids[0] if len(pids) == 1 else "ALL", "pids": pids, "ad_id": campaign.object_id, "type": row.type,
        "redirect": redirect, "geo": _json(row.geo, ["ALL"]), "id": row.object_id, "daily": row.daily,
        "monthly": row.monthly, "lifetime": row.lifetime, "pause_campaign": row.pause_campaign,
        "pub_cap_type": row.pub_cap_type,
    }


LANDING_PAGE = named("LandingPage", obj({
    "_id": OBJECT_ID, "modified": nullable(PHP_DATE), "int_id": INTEGER, "title": STRING, "preview_url": STRING,
    "url": STRING}))


def landing_page_object(row) -> dict:
    return {"_id": row.object_id, "modified": php_date(row.modified_at), "int_id": row.int_id, "title": row.title,
            "preview_url": row.preview_url, "url": row.url}


PUB_PAYOUT = named("PublisherPayout", obj({
    "ad_id": OBJECT_ID, "goal_id": nullable(OBJECT_ID), "user_id": nullable(STRING), "rate": NUMBER,
    "coverage": STRINGS, "pids": STRINGS, "crev": INTEGER, "_id": OBJECT_ID, "revenue": nullable(NUMBER)},
    optional=["revenue"]))


def pub_payout_object(row, campaign) -> dict:
    """A publisher-specific payout; `revenue` only when it overrides the revenue too (crev)."""
    pids = _json(row.pids, [])
    found = {"ad_id": campaign.object_id, "goal_id": row.goal_object_id, "user_id": pids[0] if pids else None,
             "rate": as_number(row.rate_micros), "coverage": _json(row.coverage, ["ALL"]), "pids": pids,
             "crev": int(bool(row.crev)), "_id": row.object_id}
    if row.crev:
        found["revenue"] = as_number(row.revenue_micros)
    return found


GOAL = named("Goal", obj({"_id": OBJECT_ID, "title": STRING, "value": STRING, "type": STRING,
                          "whitelist_pubs": array(ANY), "blacklist_pubs": array(ANY)},
                         optional=["whitelist_pubs", "blacklist_pubs"]))


def goal_object(row, *, lists: bool = False) -> dict:
    found = {"_id": row.object_id, "title": row.title, "value": row.value, "type": row.type}
    if lists:
        found["whitelist_pubs"] = _json(row.whitelist_pubs, [])
        found["blacklist_pubs"] = _json(row.blacklist_pubs, [])
    return found


GOAL_PAYOUT = named("GoalPayout", obj({
    "_id": OBJECT_ID, "coverage": STRINGS, "revenue": NUMBER, "payout": NUMBER, "model": STRING}))


def goal_payout_object(row, goal) -> dict:
    """A goal payout; the goal's model is echoed in every payout (not on the goal)."""
    return {"_id": row.object_id, "coverage": _json(row.coverage, []), "revenue": as_number(row.revenue_micros),
            "payout": as_number(row.payout_micros), "model": goal.model}


LINK = named("Link", obj({
    "user_id": OBJECT_ID, "ad_id": OBJECT_ID, "domain": nullable(STRING), "_id": OBJECT_ID, "live": BOOLEAN,
    "created": DAY, "modified": nullable(DAY), "meta": map_of(ANY)}))


def link_object(row, publisher_object_id: str, campaign_object_id: str, network: Network) -> dict:
    return {"user_id": publisher_object_id, "ad_id": campaign_object_id, "domain": row.domain, "_id": row.object_id,
            "live": bool(row.live), "created": day(row.created_at, network), "modified": day(row.modified_at, network),
            "meta": {}}


def tracking_url(link, domains: list[str], base_url: str) -> str:
    """The click URL of a link: on its domain, else the network's first tracking domain, else
    this server's public address."""
    domain = link.domain or (domains[0] if domains else None)
    return f"http://{domain}/{link.object_id}" if domain else f"{base_url}/{link.object_id}"


def revenue_text(micros: int, model: str) -> str:
    """The advertiser's view of a commission's revenue: "9.9", "43.12K", or "50 %" for CPS."""
    amount = as_number(micros) or 0
    if model == "cps":
        return f"{amount} %"
    if amount >= 1000:
        return f"{amount / 1000:.2f}".rstrip("0").rstrip(".") + "K"
    return str(amount)
