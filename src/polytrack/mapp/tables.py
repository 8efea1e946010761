"""Mapp Intelligence tables (prefix mapp_).

A Mapp account (Track ID / `customerId`) is the tenant that owns tracked data; a Q3 user logs
in with a login name and may access any number of accounts through `mapp_user_accounts`.
"""

from sqlalchemy import Column, Float, ForeignKey, Integer, String, Table

from polytrack.kernel.db import metadata

# An account. `customer_id` is the Track ID clients send as `customerId` (15 digits in practice,
# any digit string accepted) and the path segment of tracking pixels (/<trackId>/wt).
mapp_accounts = Table(
    "mapp_accounts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", String(32), nullable=False, unique=True),
    Column("title", String(255), nullable=False),
    # day boundaries and formatted times of analyses are in this zone
    Column("timezone", String(64), nullable=False, default="Europe/Berlin"),
    Column("created_at", Float, nullable=False),
)

# A Q3 user. `language` is the profile language used when `login` names none.
mapp_users = Table(
    "mapp_users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("login", String(255), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("language", String(8), nullable=False, default="en"),
    Column("created_at", Float, nullable=False),
)

# Which accounts a user may access (getAccountList, login).
mapp_user_accounts = Table(
    "mapp_user_accounts",
    metadata,
    Column("user_id", Integer, ForeignKey("mapp_users.id", ondelete="CASCADE"), primary_key=True),
    Column("account_id", Integer, ForeignKey("mapp_accounts.id", ondelete="CASCADE"), primary_key=True, index=True),
    Column("created_at", Float, nullable=False),
)
