"""Trackier operations as plain functions over the tables: networks, API keys, users.

No HTTP here. Failures raise TrackierError with the vendor's code; wire.py renders them.
Every query is scoped to one network (the tenant). Every function takes a `kernel.sql.Db`: the
held connection for a read, one transaction for a write.

The reads every API call makes (the key lookup, listing and finding users) are fixed
`Statement`s: SQLAlchemy's execute would cost more than the rest of the call together
(bench/RESULTS.md). Writes (provisioning, creating users) keep SQLAlchemy Core.
"""

from __future__ import annotations

import ipaddress
import json
import re
import secrets
from typing import NamedTuple

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from polytrack.kernel.clock import Clock
from polytrack.kernel.coherence import CoherentCache, read_through
from polytrack.kernel.dates import DateError, zone
from polytrack.kernel.secrets import hash_password, lookup_digest
from polytrack.kernel.sql import Db, Statement
from polytrack.trackier import errors, fields
from polytrack.trackier.dictionary_data import COUNTRIES
from polytrack.trackier.errors import TrackierError
from polytrack.trackier.schema import BOOLEAN, STRING, form, map_of
from polytrack.trackier.tables import (
    trackier_api_keys, trackier_campaigns, trackier_custom_fields, trackier_networks, trackier_sequences, trackier_users,
)

ROLES = ("network", "advertiser", "affiliate")
# API key role -> the user type such a key belongs to
ROLE_USER_TYPE = {"advertiser": "advertiser", "affiliate": "publisher"}
USER_TYPES = ("advertiser", "publisher")

DEFAULT_TIMEZONE = "UTC"
DEFAULT_CURRENCY = "USD"

OBJECT_ID_RE = re.compile(r"^[0-9a-fA-F]{24}$")
DISPLAY_ID_RE = re.compile(r"^[0-9]{1,10}$")  # longer ones exceed MAX_INT32: not found
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
COUNTRY_RE = re.compile(r"^[A-Za-z]{2}$")
CURRENCY_RE = re.compile(r"^[A-Za-z]{3}$")
MAX_INT32 = 2**31 - 1
MAX_PASSWORD_LENGTH = 1024  # scrypt cost grows with input; nobody types more
# The user currencies an edit may set; RUR is read as RUB as for networks.
USER_CURRENCIES = ("INR", "PKR", "AUD", "EUR", "GBP", "TRY", "USD", "IDR", "THB", "MYR", "PHP", "VND", "RUB", "PLN")
# Objects an affiliate edit replaces whole: body field -> (meta key, its fields)
AFFILIATE_META_OBJECTS = {
    "meta_payout": ("payout", ("paypal", "payquicker", "payoneer", "paytm", "easypaisa", "mobicash")),
    "bank": ("bank", ("name", "ifsc", "account_no", "account_owner")),
}


def new_object_id(clock: Clock) -> str:
    """A MongoDB-style ObjectId: 4 bytes of creation time, then 8 random bytes (24 hex)."""
    return f"{int(clock.timestamp()) & 0xFFFFFFFF:08x}{secrets.token_hex(8)}"


# NamedTuples rather than frozen dataclasses: as immutable, and built several times faster,
# which counts on a path that builds both for every API call.
class Network(NamedTuple):
    id: int
    object_id: str
    name: str
    timezone: str
    currency: str
    live: bool


class ApiKey(NamedTuple):
    """An API key as the request sees it, with the owners' states needed for the auth checks."""

    id: int
    role: str
    network: Network
    user_id: int | None
    ip_whitelist: list[str]
    live: bool
    user_usable: bool  # the key's user (if any) is live and not deleted


# --- networks ---------------------------------------------------------------------------------

def _network(row) -> Network:
    return Network(id=row.id, object_id=row.object_id, name=row.name, timezone=row.timezone,
                   currency=row.currency, live=bool(row.live))


def security_token(db: Db, network: Network) -> str:
    """The network's postback secret (what /acquisition's security_token must be)."""
    return db.execute(select(trackier_networks.c.security_token).where(
        trackier_networks.c.id == network.id)).scalar_one()


def check_timezone(name: str) -> str:
    name = (name or "").strip()
    try:
        if not name:
            raise DateError("empty")
        zone(name)
    except DateError:
        raise ValueError(f"unknown time zone: {name!r}") from None
    return name


def check_currency(code: str) -> str:
    code = (code or "").strip().upper()
    if not CURRENCY_RE.match(code):
        raise ValueError(f"currency must be a 3-letter code, got {code!r}")
    return "RUB" if code == "RUR" else code  # the docs spell the rouble both ways


def create_network(db: Db, clock: Clock, *, name: str, timezone: str = DEFAULT_TIMEZONE,
                   currency: str = DEFAULT_CURRENCY, live: bool = True, object_id: str | None = None,
                   security_token: str | None = None) -> Network:
    """Raises ValueError for a bad time zone or currency. `security_token`: the secret of
    server postbacks (random, 20 hex digits, unless given)."""
    object_id = (object_id or new_object_id(clock)).lower()
    timezone, currency = check_timezone(timezone), check_currency(currency)
    insert = trackier_networks.insert().values(object_id=object_id, name=name, timezone=timezone, currency=currency,
                                               live=live, created_at=clock.timestamp(),
                                               security_token=security_token or secrets.token_hex(10))
    new_id = db.execute(insert.returning(trackier_networks.c.id)).scalar_one()
    return Network(id=new_id, object_id=object_id, name=name, timezone=timezone, currency=currency, live=live)


def network_by_object_id(db: Db, object_id: str) -> Network | None:
    object_id = object_id.strip().lower()
    if not OBJECT_ID_RE.match(object_id):
        return None  # no such _id (and nothing a database would choke on reaches the query)
    row = db.execute(select(trackier_networks).where(trackier_networks.c.object_id == object_id)).first()
    return _network(row) if row else None


# --- API keys ---------------------------------------------------------------------------------

def normalise_ip_whitelist(entries) -> list[str]:
    """IPs and CIDR blocks as canonical strings; raises ValueError naming a bad entry."""
    if entries is None or entries == "":
        return []
    if isinstance(entries, str):
        entries = [part for part in re.split(r"[,\s]+", entries) if part]
    if not isinstance(entries, (list, tuple)):
        raise ValueError("ips must be a list of IP addresses or CIDR blocks")
    normalised = []
    for entry in entries:
        try:
            network = ipaddress.ip_network(str(entry).strip(), strict=False)
        except ValueError:
            raise ValueError(f"not an IP address or CIDR block: {entry!r}") from None
        text = str(network.network_address) if network.num_addresses == 1 else str(network)
        if text not in normalised:
            normalised.append(text)
    return normalised


def ip_allowed(whitelist: list[str], client_host: str | None) -> bool:
    """Empty whitelist = any address. IPv4-mapped IPv6 addresses count as their IPv4 address."""
    if not whitelist:
        return True
    try:
        address = ipaddress.ip_address((client_host or "").split("%")[0])
    except ValueError:
        return False
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for entry in whitelist:
        try:
            network = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            continue
        if network.version == address.version and address in network:
            return True
    return False


def create_api_key(db: Db, clock: Clock, *, network: Network, role: str, key: str, ips=None,
                   user_id: int | None = None, live: bool = True) -> int:
    """Raises ValueError for a bad role/user combination or whitelist, KeyError if the key exists."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if (role == "network") != (user_id is None):
        raise ValueError("a network key has no user; advertiser and affiliate keys need user_id")
    digest = lookup_digest(key)
    if db.execute(select(trackier_api_keys.c.id).where(trackier_api_keys.c.key_digest == digest)).first():
        raise KeyError("this API key already exists")
    insert = trackier_api_keys.insert().values(
        key_digest=digest, role=role, network_id=network.id, user_id=user_id,
        ip_whitelist=json.dumps(normalise_ip_whitelist(ips)), live=live, created_at=clock.timestamp(),
    )
    return db.execute(insert.returning(trackier_api_keys.c.id)).scalar_one()


# The key with its network and (for advertiser/affiliate keys) its user's state, in one query.
_KEY_WITH_OWNERS = Statement("""
    SELECT k.id, k.role, k.user_id, k.ip_whitelist, k.live,
           n.id, n.object_id, n.name, n.timezone, n.currency, n.live,
           u.live, u.deleted
    FROM trackier_api_keys k
    JOIN trackier_networks n ON n.id = k.network_id
    LEFT JOIN trackier_users u ON u.id = k.user_id
    WHERE k.key_digest = ?
""")


def _whitelist(text: str | None) -> list[str]:
    if not text or text == "[]":
        return []  # nearly every key: skip the JSON parser
    try:
        whitelist = json.loads(text)
    except ValueError:
        return ["invalid"]  # a corrupt whitelist must lock the key, never open it
    return whitelist if isinstance(whitelist, list) else ["invalid"]


def api_key(db: Db, key: str, cache: CoherentCache | None = None) -> ApiKey | None:
    """The key's row joined with its owners, or None for an unknown key; `cache`
    (kernel.coherence) keeps a known key until any process commits a change."""
    return read_through(cache, key, lambda: _api_key(db, key))


def _api_key(db: Db, key: str) -> ApiKey | None:
    row = db.one(_KEY_WITH_OWNERS, (lookup_digest(key),))
    if row is None:
        return None
    (key_id, role, user_id, whitelist, key_live, network_id, object_id, name, timezone, currency,
     network_live, user_live, user_deleted) = row
    network = Network(id=network_id, object_id=object_id, name=name, timezone=timezone, currency=currency,
                      live=bool(network_live))
    return ApiKey(
        id=key_id, role=role, network=network, user_id=user_id, ip_whitelist=_whitelist(whitelist),
        live=bool(key_live), user_usable=user_id is None or (bool(user_live) and not bool(user_deleted)),
    )


def check_access(key: ApiKey, client_host: str | None) -> None:
    """The checks of a known key, in Trackier's order (after missing 12 and unknown 13):
    IP not whitelisted 41, then key, network or user locked 42."""
    if not ip_allowed(key.ip_whitelist, client_host):
        raise TrackierError(errors.IP_NOT_WHITELISTED)
    if not (key.live and key.network.live and key.user_usable):
        raise TrackierError(errors.ACCOUNT_LOCKED)


# --- users (advertisers and affiliates) -------------------------------------------------------

def next_sequence_value(db: Db, network_id: int, name: str) -> int:
    """The next display id of `name` in the network: one atomic UPSERT ... RETURNING."""
    insert = pg_insert if db.dialect == "postgresql" else sqlite_insert
    bump = insert(trackier_sequences).values(network_id=network_id, name=name, last_value=1).on_conflict_do_update(
        index_elements=[trackier_sequences.c.network_id, trackier_sequences.c.name],
        set_={"last_value": trackier_sequences.c.last_value + 1},
    )
    return db.execute(bump.returning(trackier_sequences.c.last_value)).scalar_one()


def _password(data: dict, problems: dict, *, required: bool) -> str | None:
    password = data.get("password")
    if password is None or password == "":
        if required:
            problems.setdefault("password", []).append("Password is required")
        return None
    if not isinstance(password, str):
        problems.setdefault("password", []).append("Password must be a string")
    elif len(password) > MAX_PASSWORD_LENGTH:
        problems.setdefault("password", []).append(f"Password must be at most {MAX_PASSWORD_LENGTH} characters")
    else:
        return password
    return None


def _email(data: dict, problems: dict, *, required: bool) -> str | None:
    email = fields.text(data, "email", problems, required=required)
    if email and not EMAIL_RE.match(email):
        problems.setdefault("email", []).append("Email is not a valid e-mail address")
        return None
    return email


def _country(data: dict, problems: dict) -> str | None:
    country = fields.text(data, "country", problems, max_length=2)
    if country and (not COUNTRY_RE.match(country) or country.upper() not in COUNTRIES or country.upper() == "ALL"):
        problems.setdefault("country", []).append("Country must be an ISO 3166 alpha-2 code of the dictionary")
        return None
    return country.upper() if country else None


# The fields `validate_user_edit` reads (any of them), and `validate_new_user` (the first three
# required).
USER_FIELDS = dict(name=STRING, email=STRING, password=STRING, username=STRING, phone=STRING, country=STRING,
                   currency=STRING, zone=STRING, live=BOOLEAN, custom_fields=map_of(STRING), bank=map_of(STRING),
                   meta_payout=map_of(STRING))
NEW_USER_BODY = form(**USER_FIELDS, required=("name", "email", "password"))
USER_EDIT_BODY = form(**USER_FIELDS)


def validate_new_user(data: dict) -> dict:
    """The create body of an advertiser or affiliate, checked field by field; raises 400/20 with data.errors."""
    problems: dict[str, list[str]] = {}
    name = fields.text(data, "name", problems, required=True)
    email = _email(data, problems, required=True)
    password = _password(data, problems, required=True)
    phone = fields.text(data, "phone", problems, max_length=64)
    country = _country(data, problems)
    custom_fields = data.get("custom_fields")
    if custom_fields in (None, "", []):
        custom_fields = {}
    if not isinstance(custom_fields, dict):
        problems.setdefault("custom_fields", []).append("Custom fields must be an object keyed by field name")
    elif any(isinstance(v, (dict, list)) for v in custom_fields.values()):
        problems.setdefault("custom_fields", []).append("Custom field values must be strings")
    if problems:
        raise errors.invalid(problems)
    return {
        "name": name, "email": email, "password": password, "phone": phone,
        "country": country, "custom_fields": {str(k): v for k, v in custom_fields.items()},
    }


def create_user(db: Db, clock: Clock, network: Network, *, user_type: str, data: dict,
                object_id: str | None = None) -> UserRow:
    """Create an advertiser or affiliate from a request body; returns the stored row. `db` is a
    transaction: a failure rolls back the display id it took."""
    checked = validate_new_user(data)
    missing = _missing_custom_fields(db, network, user_type, checked["custom_fields"])
    if missing:
        raise errors.invalid({"custom_fields": [f"Custom field {name} is required" for name in missing]})
    email_key = checked["email"].lower()
    if _email_taken(db, network.id, email_key):
        raise TrackierError(errors.DUPLICATED, errors={"email": ["Email already exists"]})
    meta = {"afields": checked["custom_fields"]} if checked["custom_fields"] else {}
    values = dict(
        object_id=(object_id or new_object_id(clock)).lower(), network_id=network.id,
        display_id=next_sequence_value(db, network.id, user_type), type=user_type,
        name=checked["name"], username=None, email=checked["email"], email_key=email_key,
        password_hash=hash_password(checked["password"]), phone=checked["phone"], country=checked["country"],
        currency=network.currency, zone=None, live=True, deleted=False, meta=json.dumps(meta),
        login_at=None, created_at=clock.timestamp(), modified_at=None,
    )
    try:
        db.execute(trackier_users.insert().values(**values))
    except IntegrityError:  # a concurrent create of the same e-mail won; the transaction rolls back
        raise TrackierError(errors.DUPLICATED, errors={"email": ["Email already exists"]}) from None
    return UserRow._make(db.one(_USER_BY_OBJECT_ID, (network.id, user_type, False, values["object_id"])))


def _missing_custom_fields(db: Db, network: Network, user_type: str, values: dict) -> list[str]:
    """The network's required custom fields of this user type that `values` leaves out or blank."""
    required = db.execute(select(trackier_custom_fields.c.name).where(
        trackier_custom_fields.c.network_id == network.id, trackier_custom_fields.c.user_type == user_type,
        trackier_custom_fields.c.required.is_(True))).scalars()
    return [name for name in required if str(values.get(name) or "").strip() == ""]


def _email_taken(db: Db, network_id: int, email_key: str, *, other_than: int | None = None) -> bool:
    query = select(trackier_users.c.id).where(trackier_users.c.network_id == network_id,
                                              trackier_users.c.email_key == email_key)
    if other_than is not None:
        query = query.where(trackier_users.c.id != other_than)
    return db.execute(query).first() is not None


def _meta_object(data: dict, name: str, keys: tuple[str, ...], problems: dict) -> dict | None:
    """An affiliate's `bank` / `meta_payout`: replaces the stored object; its documented keys
    only, each a string ("" when not sent, as the docs' example shows)."""
    value = data.get(name)
    if value is None:
        return None
    if value in ("", []):
        value = {}
    if not isinstance(value, dict) or any(not isinstance(value.get(k, ""), str) for k in keys):
        problems.setdefault(name, []).append(f"{name} must be an object of strings: {', '.join(keys)}")
        return None
    if any("\x00" in value.get(k, "") or len(value.get(k, "")) > 255 for k in keys):
        problems.setdefault(name, []).append(f"{name} values must be at most 255 characters, without NUL")
        return None
    return {k: value.get(k, "").strip() for k in keys}


def validate_user_edit(data: dict, user_type: str) -> dict:
    """The edit body of an advertiser or affiliate: every field optional; a field absent, null or blank is left
    as it is. Returns the columns to change (meta objects under "meta:<key>"); 400/20 otherwise."""
    problems: dict[str, list[str]] = {}
    changes: dict = {}
    for name in ("name", "username"):
        value = fields.text(data, name, problems)
        if value is not None:
            changes[name] = value
    phone = fields.text(data, "phone", problems, max_length=64)
    if phone is not None:
        changes["phone"] = phone
    email = _email(data, problems, required=False)
    if email is not None:
        changes["email"] = email
    country = _country(data, problems)
    if country is not None:
        changes["country"] = country
    password = _password(data, problems, required=False)
    if password is not None:
        changes["password"] = password
    live = fields.boolean(data, "live", problems)
    if live is not None:
        changes["live"] = live
    currency = fields.text(data, "currency", problems, max_length=3)
    if currency is not None:
        currency = "RUB" if currency.upper() == "RUR" else currency.upper()
        if currency in USER_CURRENCIES:
            changes["currency"] = currency
        else:
            problems.setdefault("currency", []).append(f"Currency must be one of {', '.join(USER_CURRENCIES)}")
    zone_name = fields.text(data, "zone", problems, max_length=64)
    if zone_name is not None:
        try:
            changes["zone"] = check_timezone(zone_name)
        except ValueError:
            problems.setdefault("zone", []).append("Zone must be a time zone name, e.g. Asia/Kolkata")
    if user_type == "publisher":
        for field, (meta_key, keys) in AFFILIATE_META_OBJECTS.items():
            replacement = _meta_object(data, field, keys, problems)
            if replacement is not None:
                changes[f"meta:{meta_key}"] = replacement
    if problems:
        raise errors.invalid(problems)
    return changes


def edit_user(db: Db, clock: Clock, network: Network, *, user_type: str, ident: str, data: dict) -> UserRow:
    """A partial update of an undeleted user; 404/31 if none, 400/20 for a
    bad field, 400/33 for an e-mail another user of the network has. `db` is a transaction."""
    row = find_user(db, network, user_type=user_type, ident=ident)
    changes = validate_user_edit(data, user_type)
    values: dict = {}
    for name in ("name", "username", "phone", "country", "live", "currency", "zone"):
        if name in changes:
            values[name] = changes[name]
    if "email" in changes:
        email_key = changes["email"].lower()
        if _email_taken(db, network.id, email_key, other_than=row.id):
            raise TrackierError(errors.DUPLICATED, errors={"email": ["Email already exists"]})
        values.update(email=changes["email"], email_key=email_key)
    if "password" in changes:
        values["password_hash"] = hash_password(changes["password"])
    meta_changes = {name[5:]: value for name, value in changes.items() if name.startswith("meta:")}
    if meta_changes:
        stored = json.loads(row.meta or "{}")
        stored = stored if isinstance(stored, dict) else {}
        values["meta"] = json.dumps({**stored, **meta_changes})
    values["modified_at"] = clock.timestamp()
    try:
        db.execute(update(trackier_users).where(trackier_users.c.id == row.id).values(**values))
    except IntegrityError:  # a concurrent write took the e-mail; the transaction rolls back
        raise TrackierError(errors.DUPLICATED, errors={"email": ["Email already exists"]}) from None
    return UserRow._make(db.one(_USER_BY_OBJECT_ID, (network.id, user_type, False, row.object_id)))


def delete_user(db: Db, clock: Clock, network: Network, *, user_type: str, ident: str) -> bool:
    """Soft delete: the row stays, marked deleted, gone from lists and lookups, its keys locked;
    its e-mail is freed for a new user. 404/31 for an unknown or deleted user; False (nothing
    changed) for an advertiser that still has campaigns."""
    row = find_user(db, network, user_type=user_type, ident=ident)
    has_campaigns = db.execute(select(trackier_campaigns.c.id).where(
        trackier_campaigns.c.advertiser_id == row.id, trackier_campaigns.c.deleted.is_(False))).first()
    if has_campaigns:
        return False
    db.execute(update(trackier_users).where(trackier_users.c.id == row.id).values(
        deleted=True, email_key=f"deleted:{row.object_id}", modified_at=clock.timestamp()))
    return True


class UserRow(NamedTuple):
    """A user as the functions here return it: every column of trackier_users (a test checks
    that none is missing: shapes.user_json keys its memo by the whole row)."""

    id: int
    object_id: str
    network_id: int
    display_id: int
    type: str
    name: str
    username: str | None
    email: str
    email_key: str
    password_hash: str
    phone: str | None
    country: str | None
    currency: str
    zone: str | None
    live: bool
    deleted: bool
    meta: str
    login_at: float | None
    created_at: float
    modified_at: float | None


_USER_COLUMNS = ", ".join(UserRow._fields)
_USERS = f"SELECT {_USER_COLUMNS} FROM trackier_users WHERE network_id = ? AND type = ? AND deleted = ?"
_LIST_USERS = Statement(f"{_USERS} ORDER BY display_id")
_LIST_USERS_PAGE = Statement(f"{_USERS} ORDER BY display_id LIMIT ? OFFSET ?")
_USER_BY_OBJECT_ID = Statement(f"{_USERS} AND object_id = ?")
_USER_BY_DISPLAY_ID = Statement(f"{_USERS} AND display_id = ?")
# a key's own (undeleted) user, whatever its type
USER_BY_ID = Statement(f"SELECT {_USER_COLUMNS} FROM trackier_users WHERE network_id = ? AND id = ? AND NOT deleted")


def list_users(db: Db, network: Network, *, user_type: str, limit: int | None = None, page: int = 1) -> list[UserRow]:
    """Undeleted users of one type in the network, by display id."""
    if limit is None:
        rows = db.all(_LIST_USERS, (network.id, user_type, False))
    else:
        rows = db.all(_LIST_USERS_PAGE, (network.id, user_type, False, limit, (page - 1) * limit))
    return [UserRow._make(row) for row in rows]


def find_user(db: Db, network: Network, *, user_type: str, ident: str) -> UserRow:
    """A live-or-not, undeleted user of the network by 24-hex _id or display id (of any length:
    one beyond 32 bits cannot exist); 404/31 if none."""
    ident = (ident or "").strip()
    if OBJECT_ID_RE.match(ident):
        row = db.one(_USER_BY_OBJECT_ID, (network.id, user_type, False, ident.lower()))
    elif DISPLAY_ID_RE.match(ident) and int(ident) <= MAX_INT32:
        row = db.one(_USER_BY_DISPLAY_ID, (network.id, user_type, False, int(ident)))
    else:
        raise TrackierError(errors.NOT_FOUND)
    if row is None:
        raise TrackierError(errors.NOT_FOUND)
    return UserRow._make(row)
