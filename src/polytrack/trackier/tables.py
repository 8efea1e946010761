"""Trackier v1 tables (prefix trackier_).

Trackier identifies every entity by a 24-hex MongoDB ObjectId (`_id`, the "long id") and users
and campaigns also by a per-network integer `display_id` (the "short id"). We keep an integer
primary key for joins and store the ObjectId in `object_id`. Times are unix seconds (floats);
the wire renders them as dates in the network's time zone. Money is integer millionths of the
currency unit (`*_micros`, see fields.py); lists and objects the wire shows as they were sent
(countries, devices, publisher ids) are JSON text.
"""

from sqlalchemy import (
    BigInteger, Boolean, Column, Float, ForeignKey, Index, Integer, PrimaryKeyConstraint, String, Table, Text,
    UniqueConstraint,
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
    # the account page's settings (PATCH /network/account)
    Column("url", String(255), nullable=True),
    Column("support_email", String(255), nullable=True),
    Column("support_url", String(255), nullable=True),
    Column("terms_url", String(255), nullable=True),
    # tracking domains (JSON list of host names), replaced whole by PUT /campaign/domains
    Column("domains", Text, nullable=False, server_default="[]"),
    # the shared secret of server-to-server postbacks (/acquisition?security_token=...)
    Column("security_token", String(64), nullable=True),
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


def _id_columns(parent: str) -> list:
    """The integer key, the 24-hex `_id`, and the owning row (a network or a campaign)."""
    return [
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("object_id", String(24), nullable=False, unique=True),
        Column(f"{parent}_id", Integer, ForeignKey(f"trackier_{parent}s.id", ondelete="CASCADE"), nullable=False,
               index=True),
    ]


# Campaigns (Trackier's "ads": `ad_id` / `adid` on the wire). user_id is the advertiser.
trackier_campaigns = Table(
    "trackier_campaigns",
    metadata,
    *_id_columns("network"),
    Column("display_id", Integer, nullable=False),
    Column("advertiser_id", Integer, ForeignKey("trackier_users.id", ondelete="CASCADE"), nullable=False),
    Column("title", String(255), nullable=False),
    Column("description", Text, nullable=True),
    Column("url", Text, nullable=False),  # destination, with macros
    Column("preview_url", Text, nullable=True),
    Column("image", Text, nullable=True),
    Column("fallback_url", Text, nullable=True),  # where blocked clicks go (caps, targeting)
    Column("device", Text, nullable=True),  # JSON list of device keys; NULL: any
    Column("os", Text, nullable=False),  # JSON list: all | android | ios
    Column("os_ver", Text, nullable=True),  # JSON object as sent
    Column("category", Text, nullable=False),  # JSON list of category names or ids, as sent
    Column("currency", String(3), nullable=False),
    Column("comm_model", String(8), nullable=False),  # cpa, cps, cpm, cpl, cpi, cpc
    Column("status", String(16), nullable=False),  # active, pending, paused, disabled
    Column("visibility", String(16), nullable=False),  # public, private, permission
    Column("conv_tracking", String(16), nullable=False),
    Column("convt_domain", String(255), nullable=True),
    Column("app_name", String(255), nullable=True),
    Column("app_id", String(255), nullable=True),
    Column("cookie_duration", Integer, nullable=False),  # attribution window, days
    Column("expiry", String(10), nullable=True),  # YYYY-MM-DD
    Column("blacklist_pubs", Text, nullable=False, server_default="[]"),  # JSON: publisher display ids
    Column("whitelist_pubs", Text, nullable=False, server_default="[]"),
    Column("live", Boolean, nullable=False),
    Column("deleted", Boolean, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("modified_at", Float, nullable=True),
    UniqueConstraint("network_id", "display_id", name="uq_trackier_campaigns_display_id"),
)

# Default commissions of a campaign: rate (paid to the affiliate) and revenue (charged to the
# advertiser) per set of countries.
trackier_commissions = Table(
    "trackier_commissions",
    metadata,
    *_id_columns("campaign"),
    Column("rate_micros", BigInteger, nullable=False),
    Column("revenue_micros", BigInteger, nullable=False),
    Column("coverage", Text, nullable=False),  # JSON list of country codes, ["ALL"] = everywhere
    Column("description", Text, nullable=True),
    Column("created_at", Float, nullable=False),
    Column("modified_at", Float, nullable=True),
)

# Caps: a limit per day / month / lifetime on conversions, clicks, payout or revenue.
trackier_caps = Table(
    "trackier_caps",
    metadata,
    *_id_columns("campaign"),
    Column("type", String(16), nullable=False),
    Column("pids", Text, nullable=False),  # JSON: publisher _ids, or ["ALL"]
    Column("daily", BigInteger, nullable=True),
    Column("monthly", BigInteger, nullable=True),
    Column("lifetime", BigInteger, nullable=True),
    Column("pause_campaign", Integer, nullable=False),  # 1: pause the campaign when the cap is hit
    Column("geo", Text, nullable=False),  # JSON country codes, ["ALL"]
    Column("pub_cap_type", String(8), nullable=False),  # each | group
)

# Landing pages: alternative destinations of a campaign, numbered per campaign (int_id).
trackier_landing_pages = Table(
    "trackier_landing_pages",
    metadata,
    *_id_columns("campaign"),
    Column("int_id", Integer, nullable=False),
    Column("title", String(255), nullable=False),
    Column("preview_url", Text, nullable=False),
    Column("url", Text, nullable=False),
    Column("modified_at", Float, nullable=True),
    UniqueConstraint("campaign_id", "int_id", name="uq_trackier_landing_pages_int_id"),
)

# Goals: the conversion events of a campaign; `value` is what a postback sends as goal_value.
trackier_goals = Table(
    "trackier_goals",
    metadata,
    *_id_columns("campaign"),
    Column("title", String(255), nullable=False),
    Column("value", String(255), nullable=False),
    Column("type", String(16), nullable=False),  # public, private, pub_specific
    Column("model", String(16), nullable=False),  # fixed | percentage (of the sale amount)
    Column("whitelist_pubs", Text, nullable=True),  # JSON publisher display ids, as sent
    Column("blacklist_pubs", Text, nullable=True),
    # soft delete: recorded conversions keep their goal; the value is freed for a new goal
    Column("deleted", Boolean, nullable=False),
    Column("created_at", Float, nullable=False),
)

trackier_goal_payouts = Table(
    "trackier_goal_payouts",
    metadata,
    *_id_columns("goal"),
    Column("payout_micros", BigInteger, nullable=False),  # percent x 10^6 for percentage goals
    Column("revenue_micros", BigInteger, nullable=False),
    Column("coverage", Text, nullable=False),
)

# Publisher-specific payouts: override the payout (and with crev the revenue) of a campaign's
# default commission (goal_id NULL) or of one goal, for some publishers.
trackier_pub_payouts = Table(
    "trackier_pub_payouts",
    metadata,
    *_id_columns("campaign"),
    Column("goal_id", Integer, ForeignKey("trackier_goals.id", ondelete="CASCADE"), nullable=True),
    Column("pids", Text, nullable=False),  # JSON publisher _ids
    Column("crev", Boolean, nullable=False),
    Column("rate_micros", BigInteger, nullable=False),
    Column("revenue_micros", BigInteger, nullable=True),
    Column("coverage", Text, nullable=False),
)

# A publisher's access to a private or permission-only campaign: granted by the network
# (live) or requested by the affiliate (not live until granted).
trackier_campaign_access = Table(
    "trackier_campaign_access",
    metadata,
    *_id_columns("campaign"),
    Column("user_id", Integer, ForeignKey("trackier_users.id", ondelete="CASCADE"), nullable=False),
    Column("live", Boolean, nullable=False),
    Column("message", Text, nullable=True),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("campaign_id", "user_id", name="uq_trackier_campaign_access"),
)

# Tracking links: one per (affiliate, campaign); the _id is the click URL's path.
trackier_links = Table(
    "trackier_links",
    metadata,
    *_id_columns("campaign"),
    Column("user_id", Integer, ForeignKey("trackier_users.id", ondelete="CASCADE"), nullable=False),
    Column("domain", String(255), nullable=True),
    Column("live", Boolean, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("modified_at", Float, nullable=True),
    UniqueConstraint("campaign_id", "user_id", name="uq_trackier_links"),
)

trackier_categories = Table(
    "trackier_categories",
    metadata,
    *_id_columns("network"),
    Column("name", String(255), nullable=False),
    UniqueConstraint("network_id", "name", name="uq_trackier_categories_name"),
)

# Custom fields users of a type (advertiser | publisher) carry in meta.afields.
trackier_custom_fields = Table(
    "trackier_custom_fields",
    metadata,
    *_id_columns("network"),
    Column("user_type", String(16), nullable=False),
    Column("label", String(255), nullable=False),
    Column("name", String(255), nullable=False),  # the label in lower snake case
    Column("ftype", String(8), nullable=False),  # text, file, date, email
    Column("required", Boolean, nullable=False),
    UniqueConstraint("network_id", "user_type", "name", name="uq_trackier_custom_fields_name"),
)

# Clicks: one row per click on a tracking link; the 24-hex object_id is the click id the
# destination receives ({click_id}) and the advertiser's postback sends back. A click refused
# (campaign paused, no access, targeting, cap) is recorded too, with its reason, and can never
# convert.
trackier_clicks = Table(
    "trackier_clicks",
    metadata,
    *_id_columns("network"),
    Column("campaign_id", Integer, ForeignKey("trackier_campaigns.id", ondelete="CASCADE"), nullable=False),
    Column("publisher_id", Integer, ForeignKey("trackier_users.id", ondelete="CASCADE"), nullable=False),
    Column("landing_page_id", Integer, ForeignKey("trackier_landing_pages.id", ondelete="SET NULL"), nullable=True),
    Column("created_at", Float, nullable=False),
    Column("ipaddr", String(45), nullable=True),
    Column("country", String(2), nullable=False),  # XX when unknown
    Column("device", String(16), nullable=False),  # desktop | mobile | tablet | unknown
    Column("os", String(64), nullable=False),
    Column("browser", String(64), nullable=False),
    Column("source", String(255), nullable=True),  # the sub-publisher
    # the first click of its address on the campaign and publisher that day (network time zone)
    Column("is_unique", Boolean, nullable=False),
    Column("rejected", String(32), nullable=True),  # why the click was refused; NULL: accepted
    # click-time money (CPC campaigns pay per click)
    Column("payout_micros", BigInteger, nullable=False),
    Column("revenue_micros", BigInteger, nullable=False),
    # the rest as sent: ua, referer, p1..p10, gaid, idfa, app_name, app_id, cr_name, sl
    Column("params", Text, nullable=False),
    # the day of the click in the network's time zone (YYYYMMDD): the reports' day and month
    Column("day", Integer, nullable=True),
    Column("referer_host", String(255), nullable=True),  # the stats' referer map; NULL: none
    # Logs by time, reports by day, a campaign's clicks by day (caps on some countries, reports
    # of some campaigns). Few indexes, and only one whose new entries scatter (by campaign):
    # every index a click lands in at a random place costs a page written per click at commit.
    Index("ix_trackier_clicks_network_time", "network_id", "created_at"),
    Index("ix_trackier_clicks_network_day", "network_id", "day"),
    Index("ix_trackier_clicks_campaign_day", "campaign_id", "day"),
)

# Clicks accepted by the tracking endpoints and not yet folded into trackier_clicks (spool.py):
# a click's row as trackier_clicks holds it, less is_unique, which the fold decides. No index
# and no foreign key: storing a click appends to one B-tree, and the fold moves the rows into
# the tables with indexes in batches, where their scattered pages are shared by many clicks.
trackier_click_spool = Table(
    "trackier_click_spool",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # trackier_clicks' columns without its key, its indexes and its foreign keys
    *(Column(column.name, column.type, nullable=column.nullable) for column in trackier_clicks.columns
      if column.name not in ("id", "is_unique")),
)

# Unique clicks: the first click of an address (its text; "" for none) on a campaign and
# publisher on a day of the network's time zone. A click is unique when it inserted its key
# here; the primary key decides between simultaneous first clicks, on both databases.
# The day comes first: a past day's keys are never consulted again, and go in one range
# (collect.py prunes them).
trackier_unique_clicks = Table(
    "trackier_unique_clicks",
    metadata,
    Column("day", Integer, primary_key=True),  # YYYYMMDD
    Column("campaign_id", Integer, primary_key=True),
    Column("publisher_id", Integer, primary_key=True),
    Column("address", String(45), primary_key=True),
    Column("click_id", String(24), nullable=False),  # the unique click's object_id
)

# The daily summary (summary.py): every event pre-summed per campaign, publisher, goal (0: none,
# or the default event) and local day, kept in the transactions that record and edit the
# events; the sums' names and meanings are those of reports.TOTALS.
trackier_daily_stats = Table(
    "trackier_daily_stats",
    metadata,
    Column("network_id", Integer, nullable=False),
    Column("campaign_id", Integer, primary_key=True),
    Column("publisher_id", Integer, primary_key=True),
    Column("goal_slot", Integer, primary_key=True),  # the goal's id; 0 for clicks and the default event
    Column("day", Integer, primary_key=True),  # YYYYMMDD in the network's time zone
    *(Column(name, BigInteger, nullable=False, server_default="0") for name in (
        "gross_clicks", "unique_clicks", "rejected_clicks", "click_payout", "click_revenue", "approved", "pending",
        "rejected", "cancelled", "payout", "revenue", "sale", "pending_sale", "pending_payout", "pending_revenue",
        "gross_revenue", "default_payout", "default_revenue", "default_conversions", "sales", "elapsed1", "elapsed2",
        "elapsed3", "elapsed4", "elapsed5", "impressions")),
    Index("ix_trackier_daily_stats_network_day", "network_id", "day"),
)

# The daily summary's count maps (summary.py): accepted clicks per campaign, publisher, local day
# and value of a dimension (device, os, referer host, country; "" for no referer), what the
# stats' `meta` maps show. Kept by the transactions that store clicks (the spool's folds,
# capped clicks, the demo).
trackier_daily_click_meta = Table(
    "trackier_daily_click_meta",
    metadata,
    Column("network_id", Integer, nullable=False),
    Column("campaign_id", Integer, primary_key=True),
    Column("publisher_id", Integer, primary_key=True),
    Column("day", Integer, primary_key=True),  # YYYYMMDD in the network's time zone
    Column("dimension", String(8), primary_key=True),  # device | os | referer | country
    Column("value", String(255), primary_key=True),
    Column("clicks", BigInteger, nullable=False),
    Index("ix_trackier_daily_click_meta_network_day", "network_id", "day"),
)

# Conversions. At most one per click and goal (goal_slot: the goal's id, 0 for the default
# event) and per campaign and txn_id, enforced by the database so concurrent postbacks of one
# event store one row.
trackier_conversions = Table(
    "trackier_conversions",
    metadata,
    *_id_columns("network"),
    Column("click_id", Integer, ForeignKey("trackier_clicks.id", ondelete="CASCADE"), nullable=False),
    Column("campaign_id", Integer, ForeignKey("trackier_campaigns.id", ondelete="CASCADE"), nullable=False),
    Column("publisher_id", Integer, ForeignKey("trackier_users.id", ondelete="CASCADE"), nullable=False),
    Column("goal_id", Integer, ForeignKey("trackier_goals.id", ondelete="CASCADE"), nullable=True),
    Column("goal_slot", Integer, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("status", String(16), nullable=False),  # approved, pending, rejected, cancelled
    Column("method", String(16), nullable=False),  # PostBack URL | Image Pixel
    Column("txn_id", String(255), nullable=True),
    Column("sale_micros", BigInteger, nullable=True),
    Column("currency", String(3), nullable=True),
    Column("payout_micros", BigInteger, nullable=False),
    Column("revenue_micros", BigInteger, nullable=False),
    Column("ipaddr", String(45), nullable=True),
    Column("note", String(255), nullable=True),  # e.g. why it was rejected
    Column("params", Text, nullable=False),  # sub1..sub10, gaid, idfa, referer, as sent
    Column("day", Integer, nullable=True),  # YYYYMMDD in the network's time zone
    UniqueConstraint("click_id", "goal_slot", name="uq_trackier_conversions_click_goal"),
    UniqueConstraint("campaign_id", "txn_id", name="uq_trackier_conversions_txn"),
    Index("ix_trackier_conversions_network_time", "network_id", "created_at"),
    Index("ix_trackier_conversions_campaign_time", "campaign_id", "created_at"),
)

trackier_impressions = Table(
    "trackier_impressions",
    metadata,
    *_id_columns("network"),
    Column("campaign_id", Integer, ForeignKey("trackier_campaigns.id", ondelete="CASCADE"), nullable=False),
    Column("publisher_id", Integer, ForeignKey("trackier_users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("country", String(2), nullable=False),
    Column("device", String(16), nullable=False),
    Column("os", String(64), nullable=False),
    Column("day", Integer, nullable=True),  # YYYYMMDD in the network's time zone
    Index("ix_trackier_impressions_network_time", "network_id", "created_at"),
)

# Background jobs (conversion imports): queued by an API call, run after its answer, polled by
# GET /jobs/{id}. A job left pending or in progress by a stopped server is run again.
trackier_jobs = Table(
    "trackier_jobs",
    metadata,
    *_id_columns("network"),
    Column("name", String(64), nullable=False),  # import.json.conversion
    Column("status", String(16), nullable=False),  # pending, progress, completed, failed
    Column("user_id", Integer, ForeignKey("trackier_users.id", ondelete="CASCADE"), nullable=True),  # advertiser
    Column("payload", Text, nullable=False),  # JSON: the rows to import and options
    Column("logs", Text, nullable=False),  # JSON list of {"message", "priority", "created"}
    Column("created_at", Float, nullable=False),
    Column("modified_at", Float, nullable=True),
    Index("ix_trackier_jobs_network_time", "network_id", "created_at"),
)

# An affiliate's postback URL templates (its account's `postbacks`): fired when one of its
# conversions is approved; campaign_id NULL: every campaign (a global postback).
trackier_postbacks = Table(
    "trackier_postbacks",
    metadata,
    *_id_columns("network"),
    Column("user_id", Integer, ForeignKey("trackier_users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("campaign_id", Integer, ForeignKey("trackier_campaigns.id", ondelete="CASCADE"), nullable=True),
    Column("event", String(16), nullable=False),  # conversion
    Column("url", Text, nullable=False),  # with macros
    Column("live", Boolean, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("modified_at", Float, nullable=True),
)

# The outbound postback queue: one row per (postback, conversion), its URL filled when queued,
# sent and retried with backoff by the sender until delivered or given up.
trackier_deliveries = Table(
    "trackier_deliveries",
    metadata,
    *_id_columns("network"),
    Column("postback_id", Integer, ForeignKey("trackier_postbacks.id", ondelete="CASCADE"), nullable=False),
    Column("conversion_id", Integer, ForeignKey("trackier_conversions.id", ondelete="CASCADE"), nullable=False),
    Column("url", Text, nullable=False),
    Column("status", String(16), nullable=False),  # pending, delivered, failed
    Column("attempts", Integer, nullable=False),
    # when it is due; a sender that claims it pushes this forward (a lease), so a sender that
    # died mid-send leaves it due again
    Column("next_attempt_at", Float, nullable=False),
    Column("last_status", Integer, nullable=True),  # the receiver's HTTP status
    Column("last_error", String(255), nullable=True),
    Column("created_at", Float, nullable=False),
    Column("delivered_at", Float, nullable=True),
    UniqueConstraint("postback_id", "conversion_id", name="uq_trackier_deliveries"),
    Index("ix_trackier_deliveries_due", "status", "next_attempt_at"),
)

# Referral links: a publisher who brings in other publishers earns a share (`rate`, a
# percentage or an amount, of the referred publishers' payout or profit).
trackier_referrals = Table(
    "trackier_referrals",
    metadata,
    *_id_columns("network"),
    Column("user_id", Integer, ForeignKey("trackier_users.id", ondelete="CASCADE"), nullable=False),
    Column("recurring", Boolean, nullable=False),
    Column("base", String(16), nullable=False),  # payout | profit
    Column("type", String(16), nullable=False),  # percentage | amount
    Column("rate_micros", BigInteger, nullable=False),
    Column("live", Boolean, nullable=False),
    Column("deleted", Boolean, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("modified_at", Float, nullable=True),
)
