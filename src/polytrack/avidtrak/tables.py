"""AvidTrak tables (prefix avidtrak_); later issues add numbers, calls, visits ...

Money is Numeric(12,2) read back as Decimal, never float. Times are naive UTC DateTimes and are
printed in the server time zone (setting `avidtrak.timezone`, default UTC).
"""

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Index, Integer, Numeric, String, Table, Text, UniqueConstraint

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
    # number_rental: the number and the month (YYYY-MM) it pays for; talk_time: the call.
    # The unique indexes are what makes a month or a call impossible to charge twice.
    Column("sid", String(34), nullable=True),
    Column("period", String(7), nullable=True),
    Column("call_id", Integer, nullable=True),
    Index("ix_avidtrak_ledger_payer", "payer_id", "id"),
    Index("ix_avidtrak_ledger_account", "account_id", "id"),
    Index("uq_avidtrak_ledger_rental", "sid", "period", unique=True),
    Index("uq_avidtrak_ledger_call", "call_id", unique=True),
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


# --- numbers and their routing ------------------------------------------------------------------

# A tracking number some account owns. `number` is unique among the numbers held; a number
# released to the telephone company leaves this table for avidtrak_released_numbers. The row is
# inserted before the provider is asked (sid still NULL), so two concurrent purchases of one
# number meet at this unique index and exactly one wins.
avidtrak_numbers = Table(
    "avidtrak_numbers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sid", String(34), nullable=True, unique=True),  # the provider's PN... SID
    Column("number", String(10), nullable=False, unique=True),
    Column("country", String(2), nullable=False),
    Column("number_type", String(8), nullable=False),  # local | toll
    Column("owner_id", Integer, ForeignKey("avidtrak_accounts.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("assign_type", String(16), nullable=False, default=""),  # a channel, lite, or "" (unassigned)
    Column("forward_number", String(10), nullable=False, default=""),
    Column("extension", String(10), nullable=False, default=""),
    Column("use_default_first", Boolean, nullable=False, default=True),
    Column("rings", Integer, nullable=False, default=4),  # per round-robin candidate, 5 s each
    Column("rr_next", Integer, nullable=False, default=0),  # the round-robin entry the next call starts at
    Column("recording", Boolean, nullable=False, default=False),
    Column("greet_caller", String(500), nullable=False, default=""),
    Column("whisper_message", String(500), nullable=False, default=""),
    Column("enable_email", Boolean, nullable=False, default=False),
    Column("email_alerts", String(1010), nullable=False, default=""),
    Column("metro_site_id", Integer, ForeignKey("avidtrak_metro_sites.id"), nullable=True, index=True),
    Column("monthly_fee", MONEY, nullable=False),
    Column("purchased_on", DateTime, nullable=False),
    Column("last_displayed_at", DateTime, nullable=True),  # dynamic number insertion's rotation
)

# Numbers released to the telephone company: never offered or sold again.
avidtrak_released_numbers = Table(
    "avidtrak_released_numbers",
    metadata,
    Column("number", String(10), primary_key=True),
    Column("sid", String(34), nullable=False),
    Column("released_on", DateTime, nullable=False),
)

# Per account: where numbers of each mode forward when they have no receiving number of their own.
avidtrak_forward_defaults = Table(
    "avidtrak_forward_defaults",
    metadata,
    Column("account_id", Integer, ForeignKey("avidtrak_accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("pro_forward", String(10), nullable=False, default=""),
    Column("pro_extension", String(10), nullable=False, default=""),
    Column("lite_forward", String(10), nullable=False, default=""),
    Column("lite_extension", String(10), nullable=False, default=""),
)

avidtrak_round_robin = Table(
    "avidtrak_round_robin",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),  # round_robin_list_id
    Column("number_id", Integer, ForeignKey("avidtrak_numbers.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("forwarding_number", String(10), nullable=False),
    Column("extension", String(10), nullable=False, default=""),
    Column("label", String(50), nullable=False, default=""),
    UniqueConstraint("number_id", "forwarding_number", "extension", name="uq_avidtrak_round_robin_entry"),
    Index("ix_avidtrak_round_robin_number", "number_id", "position"),
)

# Metro: a website number of one metropolitan page; tracking numbers allocated to it replace it.
avidtrak_metro_sites = Table(
    "avidtrak_metro_sites",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),  # site_id
    Column("account_id", Integer, ForeignKey("avidtrak_accounts.id", ondelete="CASCADE"), nullable=False),
    Column("site_number", String(10), nullable=False),
    Column("title", String(100), nullable=False),
    Column("forward_number", String(10), nullable=False),
    Column("created_on", DateTime, nullable=False),
    UniqueConstraint("account_id", "site_number", name="uq_avidtrak_metro_site_number"),
)

# Offline campaigns on lite numbers: at most one active per number.
avidtrak_lite_campaigns = Table(
    "avidtrak_lite_campaigns",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),  # campaign_id
    Column("account_id", Integer, ForeignKey("avidtrak_accounts.id", ondelete="CASCADE"), nullable=False),
    Column("number_id", Integer, ForeignKey("avidtrak_numbers.id", ondelete="SET NULL"), nullable=True),
    Column("sid", String(34), nullable=False),
    Column("number", String(10), nullable=False),
    Column("title", String(100), nullable=False),
    Column("adgroup", String(100), nullable=False, default=""),
    Column("status", String(8), nullable=False),  # active | inactive
    Column("created_on", DateTime, nullable=False),
    Column("ended_on", DateTime, nullable=True),
    Index("ix_avidtrak_lite_campaigns_number", "number_id", "status"),
)


# --- calls and visits (collected data) -----------------------------------------------------------

# One inbound call to a tracking number, from the voice webhooks or the provider-neutral ingest.
# Number fields are copied at call time: the call stays with the account that received it, also
# after the number moves or is released.
avidtrak_calls = Table(
    "avidtrak_calls",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),  # call_id
    Column("call_sid", String(64), nullable=False, unique=True),  # the provider's; retries find the call by it
    Column("account_id", Integer, ForeignKey("avidtrak_accounts.id", ondelete="CASCADE"), nullable=False),
    Column("payer_id", Integer, nullable=False),
    Column("sid", String(34), nullable=False),
    Column("number_type", String(8), nullable=False),
    Column("tracking_number", String(10), nullable=False),
    Column("caller_number", String(16), nullable=False),
    Column("caller_name", String(100), nullable=False, default=""),
    Column("caller_city", String(100), nullable=False, default=""),
    Column("caller_state", String(100), nullable=False, default=""),
    Column("caller_zip", String(20), nullable=False, default=""),
    Column("caller_country", String(8), nullable=False, default=""),
    Column("call_start", DateTime, nullable=False),
    Column("call_end", DateTime, nullable=True),  # NULL while in progress
    Column("duration", Integer, nullable=False, default=0),
    Column("billable_minutes", Integer, nullable=False, default=0),
    Column("cost", MONEY, nullable=False),
    Column("call_status", String(16), nullable=False),
    Column("forwarded_to", String(10), nullable=False, default=""),
    Column("recording_url", String(1000), nullable=False, default=""),
    Column("channel", String(16), nullable=False, default=""),
    Column("campaign", String(100), nullable=False, default=""),
    Column("campaign_id", Integer, nullable=True),
    Column("adgroup", String(100), nullable=False, default=""),
    Column("keyword", String(500), nullable=False, default=""),
    Column("landing_page", String(2000), nullable=False, default=""),
    Column("referrer", String(2000), nullable=False, default=""),
    Column("visit_id", Integer, nullable=True, index=True),
    Column("match_type", String(16), nullable=False, default="none"),
    # the receiving numbers in dialling order, as JSON [[number, extension, from the round robin]]
    Column("dial_plan", String(2000), nullable=False, default="[]"),
    Column("step", Integer, nullable=False, default=0),  # the candidate being dialled (1-based)
    Index("ix_avidtrak_calls_account_start", "account_id", "call_start"),
)

# A visit of a pro account's website, recorded by the tracking script's swap request.
avidtrak_visits = Table(
    "avidtrak_visits",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),  # visit_id
    Column("account_id", Integer, ForeignKey("avidtrak_accounts.id", ondelete="CASCADE"), nullable=False),
    Column("visitor_id", String(64), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("keyword", String(500), nullable=False, default=""),
    Column("landing_page", String(2000), nullable=False, default=""),
    Column("referrer", String(2000), nullable=False, default=""),
    Column("ip", String(64), nullable=False, default=""),
    Column("user_agent", String(500), nullable=False, default=""),
    Column("started_at", DateTime, nullable=False),
    Column("last_seen", DateTime, nullable=False),
    Index("ix_avidtrak_visits_visitor", "account_id", "visitor_id", "last_seen"),
    Index("ix_avidtrak_visits_channel", "account_id", "channel", "started_at"),
)

# Which tracking number a visit was shown in place of which site number.
avidtrak_visit_numbers = Table(
    "avidtrak_visit_numbers",
    metadata,
    Column("visit_id", Integer, ForeignKey("avidtrak_visits.id", ondelete="CASCADE"), primary_key=True),
    Column("site_number", String(10), primary_key=True),
    Column("tracking_number", String(10), nullable=False),
    Column("shown_at", DateTime, nullable=False),
    Index("ix_avidtrak_visit_numbers_tracking", "tracking_number", "shown_at"),
)

# The smart replacement manifest: website numbers the tracking script swaps.
avidtrak_smart_replacement = Table(
    "avidtrak_smart_replacement",
    metadata,
    Column("account_id", Integer, ForeignKey("avidtrak_accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("site_phone", String(10), primary_key=True),
)

# --- the daily e-mail job's outbox -------------------------------------------------------------

# A day the daily e-mail job has decided (its messages are in avidtrak_daily_emails): the
# primary key makes the decision once per day, also with several workers or after a restart.
avidtrak_email_days = Table(
    "avidtrak_email_days",
    metadata,
    Column("day", String(10), primary_key=True),  # YYYY-MM-DD in the server time zone
    Column("decided_at", DateTime, nullable=False),
    Column("messages", Integer, nullable=False),
)

# One daily message to one recipient: composed when its day is decided, then sent (or, with no
# SMTP server configured, kept unsent for the operator). At most one per (day, recipient).
avidtrak_daily_emails = Table(
    "avidtrak_daily_emails",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("day", String(10), nullable=False),
    Column("recipient", String(254), nullable=False),  # lower case
    Column("subject", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(8), nullable=False),  # unsent | sent | failed (gave up)
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime, nullable=False),  # due again then (retry or a sender's lease)
    Column("last_error", String(500), nullable=False, default=""),
    Column("created_at", DateTime, nullable=False),
    Column("sent_at", DateTime, nullable=True),
    UniqueConstraint("day", "recipient", name="uq_avidtrak_daily_emails_day_recipient"),
    Index("ix_avidtrak_daily_emails_due", "status", "next_attempt_at"),
)
