"""Trackier's shared JSON objects (spec 1.10), built from stored rows.

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

REGION_LANG = "en"


def day(timestamp: float | None, network: Network) -> str | None:
    """Trackier's date-only fields ("created": "2016-10-21"), in the network's time zone."""
    if timestamp is None:
        return None
    # isoformat: the same YYYY-MM-DD as strftime for every date after 1970, at a third of the cost
    return datetime.fromtimestamp(timestamp, zone(network.timezone)).date().isoformat()


def password_digest(password_hash: str) -> str:
    """The 40-hex `password` field: SHA-1 of the stored scrypt hash (spec 6.7), so the shape
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
