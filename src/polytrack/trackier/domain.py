"""Trackier operations as plain functions over the tables: networks, API keys, users.

No HTTP here. Failures raise TrackierError with the vendor's code; wire.py renders them.
Every query is scoped to one network (the tenant).

The reads every API call makes (the key lookup, listing and finding users) are fixed
`RawStatement`s, run on the hot path's held connection (`services.hot`) or on a SQLAlchemy
connection alike: SQLAlchemy's execute would cost more than the rest of the call together
(bench/RESULTS.md). Writes (provisioning, creating users) keep SQLAlchemy Core.
"""

from __future__ import annotations

import ipaddress
import json
import re
import secrets
from collections import namedtuple
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from polytrack.kernel.coherence import read_through
from polytrack.kernel.dates import DateError, zone
from polytrack.kernel.rawsql import RawStatement
from polytrack.kernel.secrets import hash_password, lookup_digest
from polytrack.trackier import errors
from polytrack.trackier.errors import TrackierError
from polytrack.trackier.tables import trackier_api_keys, trackier_networks, trackier_sequences, trackier_users

ROLES = ("network", "advertiser", "affiliate")
# API key role -> the user type such a key belongs to
ROLE_USER_TYPE = {"advertiser": "advertiser", "affiliate": "publisher"}
USER_TYPES = ("advertiser", "publisher")

DEFAULT_TIMEZONE = "UTC"
DEFAULT_CURRENCY = "USD"

OBJECT_ID_RE = re.compile(r"^[0-9a-fA-F]{24}$")
DISPLAY_ID_RE = re.compile(r"^[0-9]{1,18}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
COUNTRY_RE = re.compile(r"^[A-Za-z]{2}$")
CURRENCY_RE = re.compile(r"^[A-Za-z]{3}$")
MAX_INT32 = 2**31 - 1
MAX_PASSWORD_LENGTH = 1024  # scrypt cost grows with input; nobody types more


def new_object_id(clock) -> str:
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
    return "RUB" if code == "RUR" else code  # the docs spell the rouble both ways (spec 7 #22)


def create_network(conn: Connection, clock, *, name: str, timezone: str = DEFAULT_TIMEZONE,
                   currency: str = DEFAULT_CURRENCY, live: bool = True, object_id: str | None = None) -> Network:
    """Raises ValueError for a bad time zone or currency."""
    values = dict(
        object_id=(object_id or new_object_id(clock)).lower(), name=name, timezone=check_timezone(timezone),
        currency=check_currency(currency), live=live, created_at=clock.timestamp(),
    )
    new_id = conn.execute(trackier_networks.insert().values(**values)).inserted_primary_key[0]
    return Network(id=new_id, object_id=values["object_id"], name=name, timezone=values["timezone"],
                   currency=values["currency"], live=live)


def network_by_object_id(conn: Connection, object_id: str) -> Network | None:
    row = conn.execute(select(trackier_networks).where(trackier_networks.c.object_id == object_id.strip().lower())).first()
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


def create_api_key(conn: Connection, clock, *, network: Network, role: str, key: str, ips=None,
                   user_id: int | None = None, live: bool = True) -> int:
    """Raises ValueError for a bad role/user combination or whitelist, KeyError if the key exists."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if (role == "network") != (user_id is None):
        raise ValueError("a network key has no user; advertiser and affiliate keys need user_id")
    digest = lookup_digest(key)
    if conn.execute(select(trackier_api_keys.c.id).where(trackier_api_keys.c.key_digest == digest)).first():
        raise KeyError("this API key already exists")
    return conn.execute(
        trackier_api_keys.insert().values(
            key_digest=digest, role=role, network_id=network.id, user_id=user_id,
            ip_whitelist=json.dumps(normalise_ip_whitelist(ips)), live=live, created_at=clock.timestamp(),
        )
    ).inserted_primary_key[0]


# The key with its network and (for advertiser/affiliate keys) its user's state, in one query.
_KEY_WITH_OWNERS = RawStatement("""
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


def api_key(db, key: str, cache=None) -> ApiKey | None:
    """The key's row joined with its owners; `db` is the HotDB or a SQLAlchemy connection;
    `cache` (kernel.coherence) keeps a known key until any process commits a change."""
    return read_through(cache, key, lambda: _api_key(db, key))


def _api_key(db, key: str) -> ApiKey | None:
    row = _KEY_WITH_OWNERS.run(db, (lookup_digest(key),)).fetchone()
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


def authenticate(db, key: str | None, client_host: str | None, cache=None) -> ApiKey:
    """The spec's order (6.1): missing 12, unknown 13, IP 41, locked 42."""
    if not key:
        raise TrackierError(errors.UNAUTHORIZED)
    found = api_key(db, key, cache)
    if found is None:
        raise TrackierError(errors.INVALID_API_KEY)
    if not ip_allowed(found.ip_whitelist, client_host):
        raise TrackierError(errors.IP_NOT_WHITELISTED)
    if not (found.live and found.network.live and found.user_usable):
        raise TrackierError(errors.ACCOUNT_LOCKED)
    return found


# --- users (advertisers and affiliates) -------------------------------------------------------

def next_sequence_value(conn: Connection, network_id: int, name: str) -> int:
    """The next display id of `name` in the network: one atomic UPSERT ... RETURNING."""
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = insert(trackier_sequences).values(network_id=network_id, name=name, last_value=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[trackier_sequences.c.network_id, trackier_sequences.c.name],
        set_={"last_value": trackier_sequences.c.last_value + 1},
    ).returning(trackier_sequences.c.last_value)
    return conn.execute(stmt).scalar_one()


def _text(data: dict, name: str, problems: dict, *, required: bool = False, max_length: int = 255,
          label: str | None = None) -> str | None:
    label = label or name.capitalize()
    value = data.get(name)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and name == "phone":
        value = str(value)  # phone numbers sent as JSON numbers
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.setdefault(name, []).append(f"{label} is required")
        return None
    if not isinstance(value, str):
        problems.setdefault(name, []).append(f"{label} must be a string")
        return None
    value = value.strip()
    if len(value) > max_length:
        problems.setdefault(name, []).append(f"{label} must be at most {max_length} characters")
        return None
    return value


def validate_new_user(data: dict) -> dict:
    """The create body (spec 2.1 / 2.2) checked field by field; raises 400/20 with data.errors."""
    problems: dict[str, list[str]] = {}
    name = _text(data, "name", problems, required=True)
    email = _text(data, "email", problems, required=True)
    if email and not EMAIL_RE.match(email):
        problems.setdefault("email", []).append("Email is not a valid e-mail address")
    password = data.get("password")
    if password is None or password == "":
        problems.setdefault("password", []).append("Password is required")
    elif not isinstance(password, str):
        problems.setdefault("password", []).append("Password must be a string")
    elif len(password) > MAX_PASSWORD_LENGTH:
        problems.setdefault("password", []).append(f"Password must be at most {MAX_PASSWORD_LENGTH} characters")
    phone = _text(data, "phone", problems, max_length=64)
    country = _text(data, "country", problems, max_length=2)
    if country and not COUNTRY_RE.match(country):
        problems.setdefault("country", []).append("Country must be an ISO 3166 alpha-2 code")
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
        "country": country.upper() if country else None, "custom_fields": {str(k): v for k, v in custom_fields.items()},
    }


def create_user(conn: Connection, clock, network: Network, *, user_type: str, data: dict,
                object_id: str | None = None):
    """Create an advertiser or affiliate from a request body; returns the stored row."""
    fields = validate_new_user(data)
    email_key = fields["email"].lower()
    if _email_taken(conn, network.id, email_key):
        raise TrackierError(errors.DUPLICATED, errors={"email": ["Email already exists"]})
    meta = {"afields": fields["custom_fields"]} if fields["custom_fields"] else {}
    values = dict(
        object_id=(object_id or new_object_id(clock)).lower(), network_id=network.id,
        display_id=next_sequence_value(conn, network.id, user_type), type=user_type,
        name=fields["name"], username=None, email=fields["email"], email_key=email_key,
        password_hash=hash_password(fields["password"]), phone=fields["phone"], country=fields["country"],
        currency=network.currency, zone=None, live=True, deleted=False, meta=json.dumps(meta),
        login_at=None, created_at=clock.timestamp(), modified_at=None,
    )
    try:
        with conn.begin_nested():  # a concurrent create of the same e-mail loses here, cleanly
            conn.execute(trackier_users.insert().values(**values))
    except IntegrityError:
        raise TrackierError(errors.DUPLICATED, errors={"email": ["Email already exists"]}) from None
    return conn.execute(select(trackier_users).where(trackier_users.c.object_id == values["object_id"])).one()


def _email_taken(conn: Connection, network_id: int, email_key: str) -> bool:
    return conn.execute(
        select(trackier_users.c.id).where(trackier_users.c.network_id == network_id, trackier_users.c.email_key == email_key)
    ).first() is not None


# A user row as the readers below return it: the columns of trackier_users, in table order, by
# name (what SQLAlchemy's rows offer too, so shapes.user_object takes either).
UserRow = namedtuple("UserRow", [column.name for column in trackier_users.columns])
_USER_COLUMNS = ", ".join(UserRow._fields)
_USERS = f"SELECT {_USER_COLUMNS} FROM trackier_users WHERE network_id = ? AND type = ? AND deleted = ?"
_LIST_USERS = RawStatement(f"{_USERS} ORDER BY display_id")
_LIST_USERS_PAGE = RawStatement(f"{_USERS} ORDER BY display_id LIMIT ? OFFSET ?")
_USER_BY_OBJECT_ID = RawStatement(f"{_USERS} AND object_id = ?")
_USER_BY_DISPLAY_ID = RawStatement(f"{_USERS} AND display_id = ?")


def list_users(db, network: Network, *, user_type: str, limit: int | None = None, page: int = 1) -> list:
    """Undeleted users of one type in the network, by display id; `db` is the HotDB or a
    SQLAlchemy connection."""
    if limit is None:
        rows = _LIST_USERS.run(db, (network.id, user_type, False)).fetchall()
    else:
        rows = _LIST_USERS_PAGE.run(db, (network.id, user_type, False, limit, (page - 1) * limit)).fetchall()
    return [UserRow._make(row) for row in rows]


def find_user(db, network: Network, *, user_type: str, ident: str) -> UserRow:
    """A live-or-not, undeleted user of the network by 24-hex _id or display id; 404/31 if none."""
    ident = (ident or "").strip()
    if OBJECT_ID_RE.match(ident):
        cursor = _USER_BY_OBJECT_ID.run(db, (network.id, user_type, False, ident.lower()))
    elif DISPLAY_ID_RE.match(ident) and int(ident) <= MAX_INT32:
        cursor = _USER_BY_DISPLAY_ID.run(db, (network.id, user_type, False, int(ident)))
    else:
        raise TrackierError(errors.NOT_FOUND)
    row = cursor.fetchone()
    if row is None:
        raise TrackierError(errors.NOT_FOUND)
    return UserRow._make(row)
