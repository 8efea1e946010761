"""AvidTrak tables (prefix avidtrak_); later issues add numbers, calls, visits ...

Money is Numeric(12,2) read back as Decimal, never float. Times are naive UTC DateTimes and are
printed in the server time zone (setting `avidtrak.timezone`, default UTC).
"""

from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, Numeric, String, Table

from polytrack.kernel.db import metadata

MONEY = Numeric(12, 2, asdecimal=True)

# Every account: an agency, a client of an agency (parent_id = the agency) or an individual
# client. Hierarchy depth is one.
avidtrak_accounts = Table(
    "avidtrak_accounts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),  # agency | client | individual
    # NO ACTION rather than RESTRICT: a sandbox reset deletes agencies and clients in one statement
    Column("parent_id", Integer, ForeignKey("avidtrak_accounts.id"), nullable=True, index=True),
    Column("userid", String(50), nullable=False),  # as the user typed it
    # lower-cased userid: user IDs are unique case-insensitively, on both backends
    Column("userid_folded", String(50), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("account_type", String(8), nullable=True),  # pro | lite; NULL for agencies
    Column("email", String(100), nullable=False, default=""),
    Column("contact_name", String(100), nullable=False, default=""),
    Column("contact_number", String(10), nullable=False, default=""),
    Column("domain", String(255), nullable=False, default=""),
    # the pincode itself is never stored: its keyed digest finds the account (server_keys.py) ...
    Column("pincode_digest", String(64), nullable=False, unique=True),
    # ... made with the key of this fingerprint; NULL: a plain SHA-256 stored before pincodes
    # were keyed, which the server keys when it starts
    Column("pincode_key_id", String(16), nullable=True),
    # ... and, for clients of an agency, a sealed copy lets client_list show it to the agency
    # (see avidtrak/sealing.py and docs/avidtrak.md)
    Column("pincode_sealed", String(128), nullable=True),
    Column("site_key", String(36), nullable=True, unique=True),  # pro accounts and agencies
    # lifecycle status; suspension for a negative balance is derived from the payer's wallet
    Column("status", String(16), nullable=False, default="active"),
    Column("created_on", DateTime, nullable=False),
)

# The balance of a payer: agencies and individual clients. Clients of an agency have no wallet
# of their own; the agency pays for them.
avidtrak_wallets = Table(
    "avidtrak_wallets",
    metadata,
    Column("account_id", Integer, ForeignKey("avidtrak_accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("balance", MONEY, nullable=False),
    Column("updated_on", DateTime, nullable=False),
)

# Every balance change. type: credit | adjustment (operator), later number_rental | talk_time.
avidtrak_ledger = Table(
    "avidtrak_ledger",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("payer_id", Integer, ForeignKey("avidtrak_wallets.account_id", ondelete="CASCADE"), nullable=False),
    # the account the entry concerns (the payer itself, or one of its clients)
    Column("account_id", Integer, ForeignKey("avidtrak_accounts.id", ondelete="CASCADE"), nullable=False),
    Column("entry_type", String(16), nullable=False),
    Column("amount", MONEY, nullable=False),
    Column("balance_after", MONEY, nullable=False),
    Column("note", String(255), nullable=False, default=""),
    Column("created_on", DateTime, nullable=False),
    Index("ix_avidtrak_ledger_payer", "payer_id", "id"),
    Index("ix_avidtrak_ledger_account", "account_id", "id"),
)

# Held the key sealing client pincodes before the server secret (server_keys.py) existed; the
# server moves what it sealed to the new key when it starts and deletes it. Empty since.
avidtrak_server_keys = Table(
    "avidtrak_server_keys",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", String(128), nullable=False),
    Column("created_on", DateTime, nullable=False),
)
