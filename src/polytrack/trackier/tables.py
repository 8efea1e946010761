"""Trackier v1 tables (prefix trackier_).

Trackier identifies every entity by a 24-hex MongoDB ObjectId (`_id`, the "long id") and users
and campaigns also by a per-network integer `display_id` (the "short id"). We keep an integer
primary key for joins and store the ObjectId in `object_id`. Times are unix seconds (floats);
the wire renders them as dates in the network's time zone.
"""

from sqlalchemy import (
    Boolean, Column, Float, ForeignKey, Integer, PrimaryKeyConstraint, String, Table, Text, UniqueConstraint,
)

from polytrack.kernel.db import metadata

# A network (Trackier's "organization", `org_id` on the wire): the tenant that owns everything.
trackier_networks = Table(
    "trackier_networks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("object_id", String(24), nullable=False, unique=True),
    Column("name", String(255), nullable=False),
    # PHP time zone name (`region.zone`): day boundaries of reports and rendered dates
    Column("timezone", String(64), nullable=False),
    # report currency (`region.currency`) and the default currency of new users
    Column("currency", String(3), nullable=False),
    # a network that is not live is locked: every key of it answers 403 / code 42
    Column("live", Boolean, nullable=False, default=True),
    Column("created_at", Float, nullable=False),
    Column("modified_at", Float, nullable=True),
)

# Per-network counters for display ids ("advertiser", "publisher", later "campaign" ...),
# bumped with one atomic UPSERT ... RETURNING so concurrent creates never share a number.
trackier_sequences = Table(
    "trackier_sequences",
    metadata,
    Column("network_id", Integer, ForeignKey("trackier_networks.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(32), nullable=False),
    Column("last_value", Integer, nullable=False),
    PrimaryKeyConstraint("network_id", "name"),
)

# Advertisers and affiliates (type "advertiser" | "publisher") share one table, as on the wire
# (one User object). display_id counts per network and type; e-mail is unique per network.
trackier_users = Table(
    "trackier_users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("object_id", String(24), nullable=False, unique=True),
    Column("network_id", Integer, ForeignKey("trackier_networks.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("display_id", Integer, nullable=False),
    Column("type", String(16), nullable=False),
    Column("name", String(255), nullable=False),
    Column("username", String(255), nullable=True),
    Column("email", String(255), nullable=False),
    # lower-cased e-mail: the uniqueness key (Trackier treats addresses case-insensitively)
    Column("email_key", String(255), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("phone", String(64), nullable=True),
    Column("country", String(2), nullable=True),
    Column("currency", String(3), nullable=False),
    # `region.zone`; NULL until set, and the wire then shows `"region": null` like the docs
    Column("zone", String(64), nullable=True),
    Column("live", Boolean, nullable=False, default=True),
    Column("deleted", Boolean, nullable=False, default=False),
    # JSON object: {"afields": {...custom fields...}, "payout": {...}, "bank": {...}}
    Column("meta", Text, nullable=False, default="{}"),
    Column("login_at", Float, nullable=True),
    Column("created_at", Float, nullable=False),
    Column("modified_at", Float, nullable=True),
    UniqueConstraint("network_id", "type", "display_id", name="uq_trackier_users_display_id"),
    UniqueConstraint("network_id", "email_key", name="uq_trackier_users_email"),
)

# API keys (only the digest is stored). The key alone decides the role: "network" keys call
# the Network API, "advertiser"/"affiliate" keys belong to one user and call the self-service
# APIs. ip_whitelist is a JSON list of IPs/CIDRs; an empty list admits any address.
trackier_api_keys = Table(
    "trackier_api_keys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key_digest", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("network_id", Integer, ForeignKey("trackier_networks.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("user_id", Integer, ForeignKey("trackier_users.id", ondelete="CASCADE"), nullable=True),
    Column("ip_whitelist", Text, nullable=False, default="[]"),
    Column("live", Boolean, nullable=False, default=True),
    Column("created_at", Float, nullable=False),
)
