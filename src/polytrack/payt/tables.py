"""PAYT / TrackerPro tables (prefix payt_)."""

from sqlalchemy import Column, Float, ForeignKey, Integer, String, Table, UniqueConstraint

from polytrack.kernel.db import metadata

# An integrator's TrackerPro admin key (only its digest is stored).
payt_admin_keys = Table(
    "payt_admin_keys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(255), nullable=False),
    Column("key_digest", String(64), nullable=False, unique=True),
    Column("created_at", Float, nullable=False),
)

# A PAYT client (company): the top-level tenant that owns users and tracking data.
payt_clients = Table(
    "payt_clients",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("company", String(255), nullable=False, unique=True),
    Column("admin_key_id", Integer, ForeignKey("payt_admin_keys.id", ondelete="SET NULL"), nullable=True),
    Column("timezone", String(64), nullable=False, default="Europe/London"),
    # calls per minute for this client's tickets; 0 = use the server default
    Column("calls_per_minute", Integer, nullable=False, default=0),
    Column("created_at", Float, nullable=False),
)

# A PAYT user: e-mail is the user name and unique across PAYT.
payt_users = Table(
    "payt_users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", Integer, ForeignKey("payt_clients.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("email", String(255), nullable=False),
    Column("password_hash", String(255), nullable=False),
    # digest of the user's current TrackerPro sign-on key (ssid); a new Register replaces it
    Column("ssid_digest", String(64), nullable=True, unique=True),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("email", name="uq_payt_users_email"),
)
