"""Mapp Intelligence tables (prefix mapp_).

A Mapp account (Track ID / `customerId`) is the tenant that owns tracked data; a Q3 user logs
in with a login name and may access any number of accounts through `mapp_user_accounts`.
"""

from sqlalchemy import (
    BigInteger, Boolean, Column, Float, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint, false, text,
)

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
    # the account's own request limits (requests per period in seconds, long and short term);
    # NULL: the server's (mapp.requests_per_period ...), 0: that limit off for calls in the account
    Column("requests_per_period", Integer, nullable=True),
    Column("requests_period", Integer, nullable=True),
    Column("requests_per_period_sec", Integer, nullable=True),
    Column("requests_period_sec", Integer, nullable=True),
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


# --- collected data: the tracking pixel ------------------------------------------------------

# Track IDs a pixel may name in its path (/<trackId>/wt). An account's customerId is its first
# Track ID (the vendor uses one number for both); more can be added (a staging site, a second
# shop recording into the same account).
mapp_track_ids = Table(
    "mapp_track_ids",
    metadata,
    Column("track_id", String(64), primary_key=True),
    Column("account_id", Integer, ForeignKey("mapp_accounts.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("created_at", Float, nullable=False),
)

# One row per hit as the pixel sent it (`query`, the user agent) plus what is read from that hit
# alone (page, browser, campaign, order ...): pure functions of the hit, computed once when it is
# stored. `visit_id` and `duration_ms` depend on the visitor's other hits and are re-derived
# whenever a hit of that visitor lands near them (collect/visits.py). Times are epoch ms.
mapp_hits = Table(
    "mapp_hits",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("account_id", Integer, ForeignKey("mapp_accounts.id", ondelete="CASCADE"), nullable=False),
    Column("visitor", String(255), nullable=False),   # eid, else ceid, else a digest of IP and UA
    Column("time_ms", BigInteger, nullable=False),    # when it happened (collect/pixel.py: hit_time)
    Column("received_ms", BigInteger, nullable=False),
    Column("kind", String(8), nullable=False),        # page | action | media
    Column("bot", Boolean, nullable=False),
    Column("new_session", Boolean, nullable=False),   # fns=1
    Column("page", Text, nullable=False),             # the content id of `p`
    Column("page_url", Text, nullable=False),         # pu
    Column("referrer", Text, nullable=False),         # an http(s) URL or ""
    Column("search_phrase", Text, nullable=False),
    Column("campaign", Text, nullable=False),         # mc
    Column("action", Text, nullable=False),           # ct
    Column("customer", Text, nullable=False),         # cd
    Column("browser", String(64), nullable=False),
    Column("os", String(64), nullable=False),
    Column("device", String(64), nullable=False),
    Column("country", String(8), nullable=False),
    Column("order_value_cents", BigInteger, nullable=False),  # 0 unless the hit is an order
    Column("quantity", Integer, nullable=False),
    Column("is_order", Boolean, nullable=False),
    Column("query", Text, nullable=False),            # the hit as sent, for re-reading it later
    Column("user_agent", Text, nullable=False),
    Column("visit_id", BigInteger, nullable=True),
    Column("duration_ms", BigInteger, nullable=True),  # page impressions: time on the page
    # the hit's time in the account's time zone, for the time objects of analyses
    Column("day", String(10), nullable=False, server_default=""),     # YYYY-MM-DD
    Column("week", String(7), nullable=False, server_default=""),     # ISO YYYY-WW
    Column("weekday", Integer, nullable=False, server_default="0"),  # 0 = Monday
    Column("hour", String(2), nullable=False, server_default=""),
    Column("minute", String(2), nullable=False, server_default=""),
    # derived with the visit: the visit's first / last page impression; a bounce is credited
    # to the entry page of a visit with one page impression
    Column("is_entry", Boolean, nullable=False, server_default=false()),
    Column("is_exit", Boolean, nullable=False, server_default=false()),
    Column("is_bounce", Boolean, nullable=False, server_default=false()),
    # media hits (mi, mk, mt1 seconds), and, derived with the visit, per media view (one media in
    # one visit): its first hit counts the view, one `eof`/`finish` hit the complete view, and
    # its furthest hit carries the seconds played (its position)
    Column("media", Text, nullable=False, server_default=""),
    Column("media_action", String(16), nullable=False, server_default=""),
    Column("media_position", Integer, nullable=False, server_default="0"),
    Column("media_view", Boolean, nullable=False, server_default=false()),
    Column("media_complete", Boolean, nullable=False, server_default=false()),
    Column("play_seconds", Integer, nullable=False, server_default="0"),
    # stored by the pixel, not sessionised yet (collect/sessions.py); bots' hits never are
    Column("pending", Boolean, nullable=False, server_default=false()),
    # the hit's custom parameters as JSON pairs ([["cg1", "Shoes"], ...], "" for none), filed in
    # mapp_hit_params when the hit is sessionised (so the pixel writes one row per hit)
    Column("params", Text, nullable=False, server_default=""),
    Index("ix_mapp_hits_visitor_time", "account_id", "visitor", "time_ms"),
    Index("ix_mapp_hits_account_time", "account_id", "time_ms"),
    # the few pending hits, in arrival order per account
    Index("ix_mapp_hits_pending", "account_id", "id", sqlite_where=text("pending"), postgresql_where=text("pending")),
)

# Custom parameters of a hit, one row each: content groups (cg1...), page (cp), session (cs),
# action (ck), e-commerce (cb), product category (ca), campaign (cc), user category (uc) and
# media category (mg) parameters; `name` is the parameter as sent, lower-case (`cg1`, `cp12`).
mapp_hit_params = Table(
    "mapp_hit_params",
    metadata,
    Column("hit_id", BigInteger, ForeignKey("mapp_hits.id", ondelete="CASCADE"), primary_key=True),
    Column("name", String(16), primary_key=True),
    Column("value", Text, nullable=False),
    Column("account_id", Integer, nullable=False),
    Index("ix_mapp_hit_params_name", "account_id", "name"),
)

# The products (`ba`, `;`-separated) of each hit that named some, read again from the hit's query
# text per day (analysis/hit_keys.py): product categories are imported per product.
mapp_hit_products = Table(
    "mapp_hit_products",
    metadata,
    Column("hit_id", BigInteger, ForeignKey("mapp_hits.id", ondelete="CASCADE"), primary_key=True),
    Column("product", String(400), primary_key=True),
    Column("account_id", Integer, nullable=False),
    Column("day", String(10), nullable=False),
    Index("ix_mapp_hit_products_day", "account_id", "day"),
)

# The order id (`oi`) of each hit that sent one, read again from the hit's query text per day
# (analysis/hit_keys.py): e-commerce parameters are imported per order id.
mapp_hit_orders = Table(
    "mapp_hit_orders",
    metadata,
    Column("hit_id", BigInteger, ForeignKey("mapp_hits.id", ondelete="CASCADE"), primary_key=True),
    Column("order_id", String(400), nullable=False),
    Column("account_id", Integer, nullable=False),
    Column("day", String(10), nullable=False),
    Index("ix_mapp_hit_orders_day", "account_id", "day"),
)

# Every custom parameter name an account's hits have carried (`cg1`, `cp12` ...): the content
# groups and custom parameters getAnalysisObjectsAndMetricsList lists for it.
mapp_parameter_names = Table(
    "mapp_parameter_names",
    metadata,
    Column("account_id", Integer, ForeignKey("mapp_accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("name", String(16), primary_key=True),
)

# Visits as derived from a visitor's hits (collect/visits.py); visit attributes come from the
# visit's first hit. Rebuilt, never edited: a late hit replaces the visits around it.
mapp_visits = Table(
    "mapp_visits",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("account_id", Integer, ForeignKey("mapp_accounts.id", ondelete="CASCADE"), nullable=False),
    Column("visitor", String(255), nullable=False),
    Column("customer", Text, nullable=False),
    Column("start_ms", BigInteger, nullable=False),
    Column("end_ms", BigInteger, nullable=False),
    Column("day", String(10), nullable=False),         # YYYY-MM-DD in the account's time zone
    Column("hits", Integer, nullable=False),
    Column("page_impressions", Integer, nullable=False),
    Column("entry_page", Text, nullable=False),
    Column("exit_page", Text, nullable=False),
    Column("bounce", Boolean, nullable=False),
    Column("campaign", Text, nullable=False),
    Column("referrer", Text, nullable=False),
    Column("entry_source", String(16), nullable=False),  # campaign | search | referrer | direct
    Column("browser", String(64), nullable=False),
    Column("os", String(64), nullable=False),
    Column("device", String(64), nullable=False),
    Column("country", String(8), nullable=False),
    Index("ix_mapp_visits_visitor", "account_id", "visitor", "start_ms"),
    Index("ix_mapp_visits_account_day", "account_id", "day"),
)

# Hits the pixel answered but did not store, counted per Track ID (as sent, cut to 64
# characters) and reason, for the operator (GET /_polytrack/mapp/rejected-hits).
mapp_rejected_hits = Table(
    "mapp_rejected_hits",
    metadata,
    Column("track_id", String(64), primary_key=True),
    Column("reason", String(64), primary_key=True),
    Column("count", BigInteger, nullable=False),
    Column("first_ms", BigInteger, nullable=False),
    Column("last_ms", BigInteger, nullable=False),
    Column("example", Text, nullable=False),  # the last such hit, cut to 500 characters
)


# --- analyses: daily pre-aggregates ------------------------------------------------------------

# How often each day's collected data changed: the pixel counts one change per day of every
# window it re-derived. A day with no row has no hits.
mapp_day_changes = Table(
    "mapp_day_changes",
    metadata,
    Column("account_id", Integer, ForeignKey("mapp_accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("day", String(10), primary_key=True),
    Column("changes", BigInteger, nullable=False),
)

# The pre-aggregates of one day and object were computed when that day's change count was
# `changes`; they are current while the count still is.
mapp_daily_fresh = Table(
    "mapp_daily_fresh",
    metadata,
    Column("account_id", Integer, ForeignKey("mapp_accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("day", String(10), primary_key=True),
    Column("dimension", String(128), primary_key=True),
    Column("changes", BigInteger, nullable=False),
)

# One row per account, day, analysis object (`dimension`: an object key, a custom parameter as
# `param:cg1`, or "" for the day's total) and value: the additive components of every metric
# (analysis/metrics.py). Unique counts (visitors, browsers) are unique per day only: summed over
# several days they are flagged as `dailyUnique`.
mapp_daily = Table(
    "mapp_daily",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("account_id", Integer, ForeignKey("mapp_accounts.id", ondelete="CASCADE"), nullable=False),
    Column("day", String(10), nullable=False),
    Column("week", String(7), nullable=False),
    Column("weekday", Integer, nullable=False),
    Column("dimension", String(128), nullable=False),
    Column("value", Text, nullable=False),
    Column("page_impressions", BigInteger, nullable=False),
    Column("visits", BigInteger, nullable=False),
    Column("visitors", BigInteger, nullable=False),
    Column("browsers", BigInteger, nullable=False),
    Column("entries", BigInteger, nullable=False),
    Column("exits", BigInteger, nullable=False),
    Column("bounces", BigInteger, nullable=False),
    Column("duration_ms", BigInteger, nullable=False),
    Column("visit_duration_ms", BigInteger, nullable=False),
    Column("clicks", BigInteger, nullable=False),
    Column("campaign_visits", BigInteger, nullable=False),
    Column("orders", BigInteger, nullable=False),
    Column("order_value_cents", BigInteger, nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("media_views", BigInteger, nullable=False, server_default="0"),
    Column("media_views_complete", BigInteger, nullable=False, server_default="0"),
    Column("play_seconds", BigInteger, nullable=False, server_default="0"),
    Index("ix_mapp_daily_lookup", "account_id", "dimension", "day"),
)


# --- custom reports ----------------------------------------------------------------------------

# A named list of analyses of one account (getCustomReportsList, getReportData), made through
# the operator API. `title` is what clients pass as report_name.
mapp_reports = Table(
    "mapp_reports",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", Integer, ForeignKey("mapp_accounts.id", ondelete="CASCADE"), nullable=False),
    Column("title", String(255), nullable=False),
    Column("report_group", String(255), nullable=False),
    Column("author", String(255), nullable=False),
    Column("description", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("account_id", "title", name="uq_mapp_reports_account_title"),
)

# The analyses of a report in order: an `analysisConfig` as getAnalysisData takes it (JSON), and
# how the result is shaped: "analysis" (an analysis or pivot, as getAnalysisData answers) or
# "status" (one time object, one metric, with average and total).
mapp_report_analyses = Table(
    "mapp_report_analyses",
    metadata,
    Column("report_id", Integer, ForeignKey("mapp_reports.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("config", Text, nullable=False),
)


# Per-account metrics (getAnalysisObjectsAndMetricsList's customMetrics): a built-in metric
# computed over the data a fixed filter lets through, e.g. "Visits Google" = Visits with
# Entry Source Types = search. `filter` is a filterRules list (JSON) of object rules.
mapp_custom_metrics = Table(
    "mapp_custom_metrics",
    metadata,
    Column("account_id", Integer, ForeignKey("mapp_accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("title", String(255), primary_key=True),
    Column("metric", String(64), nullable=False),   # a built-in metric's key
    Column("filter", Text, nullable=False),
    Column("created_at", Float, nullable=False),
)


# --- imported data (importData / exportData) --------------------------------------------------

# One cell of an importData upload: the row's key (its first column: a page, page URL, customer
# id, media code, product, order id ...), the column (`name`, without the "Category (Text) – "
# style prefix that `header` keeps) and the value. Content categories are analysis objects.
# Cells of time-dependent uploads (`*_time`) hold from `valid_from_ms` to `valid_to_ms`
# (inclusive; NULL: open); the other uploads' cells hold always (0, NULL). Multi-value
# e-commerce parameters are keyed by order id and `product` ("" for every other cell).
mapp_categories = Table(
    "mapp_categories",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("account_id", Integer, ForeignKey("mapp_accounts.id", ondelete="CASCADE"), nullable=False),
    Column("upload_type", String(40), nullable=False),
    Column("key", Text, nullable=False),
    Column("name", String(255), nullable=False),
    Column("header", String(300), nullable=False),
    Column("value", Text, nullable=False),
    Column("uploaded_at", Float, nullable=False),
    Column("valid_from_ms", BigInteger, nullable=False, server_default="0"),
    Column("valid_to_ms", BigInteger, nullable=True),
    Column("product", String(400), nullable=False, server_default=""),
    Index("ix_mapp_categories_cell", "account_id", "upload_type", "name", "key"),
)
