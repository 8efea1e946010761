"""The daily summary: clicks, impressions and conversions pre-summed per campaign, publisher,
goal and local day (`trackier_daily_stats`), so that reports grouped by those (and by what they
imply: advertiser, month) read a few rows per day instead of every event; and the count maps of
the stats (`trackier_daily_click_meta`: accepted clicks per campaign, publisher, day and device,
OS, referer host or country).

Kept in the same transaction as the events it sums: a group commit's batch of clicks adds one
upsert per distinct key (not per click), a conversion one upsert, a status or amount edit takes
the conversion's old sums out and puts its new ones in. `rebuild` refills it from the raw
tables (the migration does the same); a test compares summary and raw answers.
"""

from __future__ import annotations

import json

from polytrack.kernel.sql import Db, Statement

# the sums, in the order of reports.TOTALS (the same names)
CLICK_COLUMNS = ("gross_clicks", "unique_clicks", "rejected_clicks", "click_payout", "click_revenue")
CONVERSION_COLUMNS = ("approved", "pending", "rejected", "cancelled", "payout", "revenue", "sale", "pending_sale",
                      "pending_payout", "pending_revenue", "gross_revenue", "default_payout", "default_revenue",
                      "default_conversions", "sales", "elapsed1", "elapsed2", "elapsed3", "elapsed4", "elapsed5")
COLUMNS = CLICK_COLUMNS + CONVERSION_COLUMNS + ("impressions",)
KEY = "campaign_id, publisher_id, goal_slot, day"
ELAPSED_BOUNDS = (0, 120, 600, 1800, 18000, None)  # seconds: < 2 min, 2-10 min, 10-30 min, 0.5-5 h, > 5 h


def _upsert(columns: tuple[str, ...], select: str) -> str:
    added = ", ".join(f"{name} = trackier_daily_stats.{name} + excluded.{name}" for name in columns)
    return (f"INSERT INTO trackier_daily_stats (network_id, {KEY}, {', '.join(columns)}) {select} "
            f"ON CONFLICT ({KEY}) DO UPDATE SET {added}")


_ADD_CLICKS = Statement(_upsert(CLICK_COLUMNS, "VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?, ?)"))
_ADD_IMPRESSION = Statement(_upsert(("impressions",), "VALUES (?, ?, ?, 0, ?, 1)"))

# one conversion's (or, summed, many conversions') contribution; `?` is the sign (1 or -1)
_APPROVED = "v.status = 'approved'"
_ELAPSED = "(v.created_at - k.created_at)"


def _when(condition: str, value: str = "1") -> str:
    return f"SUM(CASE WHEN {condition} THEN {value} ELSE 0 END)"


_CONVERSION_SUMS = [
    _when(_APPROVED), _when("v.status = 'pending'"), _when("v.status = 'rejected'"), _when("v.status = 'cancelled'"),
    _when(_APPROVED, "v.payout_micros"), _when(_APPROVED, "v.revenue_micros"),
    _when(_APPROVED, "COALESCE(v.sale_micros, 0)"), _when("v.status = 'pending'", "COALESCE(v.sale_micros, 0)"),
    _when("v.status = 'pending'", "v.payout_micros"), _when("v.status = 'pending'", "v.revenue_micros"),
    "SUM(v.revenue_micros)", _when(f"{_APPROVED} AND v.goal_id IS NULL", "v.payout_micros"),
    _when(f"{_APPROVED} AND v.goal_id IS NULL", "v.revenue_micros"), _when(f"{_APPROVED} AND v.goal_id IS NULL"),
    _when(f"{_APPROVED} AND v.goal_id IS NOT NULL AND v.sale_micros IS NOT NULL"),
    *(_when(f"{_APPROVED} AND {_ELAPSED} >= {low}" + (f" AND {_ELAPSED} < {high}" if high else ""))
      for low, high in zip(ELAPSED_BOUNDS, ELAPSED_BOUNDS[1:])),
]


def _conversion_select(where: str, signed: bool) -> str:
    sums = ", ".join(f"{total} * ?" if signed else total for total in _CONVERSION_SUMS)
    return (f"SELECT v.network_id, v.campaign_id, v.publisher_id, v.goal_slot, v.day, {sums} "
            f"FROM trackier_conversions v JOIN trackier_clicks k ON k.id = v.click_id WHERE {where} "
            "GROUP BY v.network_id, v.campaign_id, v.publisher_id, v.goal_slot, v.day")


_ADD_CONVERSION = Statement(_upsert(CONVERSION_COLUMNS, _conversion_select("v.id = ? AND v.day IS NOT NULL",
                                                                            signed=True)))


def add_clicks(db: Db, totals: dict[tuple, list[int]]) -> None:
    """Add a batch's clicks: {(network, campaign, publisher, day): [gross, unique, rejected,
    payout, revenue]}, keys sorted (PostgreSQL takes the rows' locks in one order)."""
    db.many(_ADD_CLICKS, [(*key, *sums) for key, sums in sorted(totals.items())])


def add_folded_clicks(db: Db) -> None:
    """Add the clicks a fold of the spool just stored (spool.py), by their keys in the fold's
    temporary table: their sums and their count maps."""
    db.run(_ADD_FOLDED_CLICKS)
    db.run(_ADD_FOLDED_META)


def add_network_click_meta(db: Db, network_id: int) -> None:
    """Add every accepted click of a network to the count maps (after a bulk load that wrote the
    click table directly: the benchmarks')."""
    db.run(_ADD_NETWORK_META, (network_id,))


def add_click_meta(db: Db, click_object_ids: list[str]) -> None:
    """Add stored clicks (by their `_id`s) to the count maps: clicks stored in the click table
    at once (capped campaigns, the demo)."""
    db.run(_ADD_META[db.dialect], (json.dumps(click_object_ids),))


def add_impression(db: Db, network_id: int, campaign_id: int, publisher_id: int, day: int) -> None:
    db.run(_ADD_IMPRESSION, (network_id, campaign_id, publisher_id, day))


def add_conversion(db: Db, conversion_id: int, sign: int = 1) -> None:
    """Add a stored conversion's sums (`sign` -1: take them out, before an edit changes them)."""
    db.run(_ADD_CONVERSION, (*[sign] * len(_CONVERSION_SUMS), conversion_id))


# --- rebuilding from the raw tables ------------------------------------------------------------

_CLICK_SUMS = ("SUM(CASE WHEN rejected IS NULL THEN 1 ELSE 0 END), "
               "SUM(CASE WHEN rejected IS NULL AND is_unique THEN 1 ELSE 0 END), "
               "SUM(CASE WHEN rejected IS NULL THEN 0 ELSE 1 END), "
               "SUM(CASE WHEN rejected IS NULL THEN payout_micros ELSE 0 END), "
               "SUM(CASE WHEN rejected IS NULL THEN revenue_micros ELSE 0 END)")
# the count maps of some accepted clicks: one row per key, dimension and value
META_DIMENSIONS = (("device", "device"), ("os", "os"), ("referer", "COALESCE(referer_host, '')"),
                   ("country", "country"))


def _meta_upsert(where: str) -> str:
    """Add the count maps of the accepted clicks `where` picks (its one parameter, if any)."""
    counts = " UNION ALL ".join(
        f"SELECT network_id, campaign_id, publisher_id, day, '{dimension}' AS dimension, {value} AS value, "
        f"COUNT(*) AS clicks FROM picked GROUP BY network_id, campaign_id, publisher_id, day, {value}"
        for dimension, value in META_DIMENSIONS)
    # keys sorted: PostgreSQL takes the rows' locks in one order
    return ("WITH picked AS (SELECT network_id, campaign_id, publisher_id, day, device, os, referer_host, country "
            f"FROM trackier_clicks WHERE {where} AND rejected IS NULL AND day IS NOT NULL) "
            "INSERT INTO trackier_daily_click_meta (network_id, campaign_id, publisher_id, day, dimension, value, "
            f"clicks) SELECT * FROM ({counts}) AS counts WHERE true ORDER BY campaign_id, publisher_id, day, "
            "dimension, value ON CONFLICT (campaign_id, publisher_id, day, dimension, value) "
            "DO UPDATE SET clicks = trackier_daily_click_meta.clicks + excluded.clicks")


_ADD_META = {
    "sqlite": Statement(_meta_upsert("object_id IN (SELECT value FROM json_each(?))")),
    "postgresql": Statement(_meta_upsert("object_id IN (SELECT jsonb_array_elements_text(?::jsonb))")),
}
_ADD_NETWORK_META = Statement(_meta_upsert("network_id = ?"))
_ADD_FOLDED_META = Statement(_meta_upsert("object_id IN (SELECT object_id FROM trackier_fold)"))
_ADD_FOLDED_CLICKS = Statement(_upsert(
    CLICK_COLUMNS, f"SELECT network_id, campaign_id, publisher_id, 0, day, {_CLICK_SUMS} FROM trackier_clicks "
                   "WHERE object_id IN (SELECT object_id FROM trackier_fold) "
                   "GROUP BY network_id, campaign_id, publisher_id, day ORDER BY campaign_id, publisher_id, day"))
REBUILD = (
    "DELETE FROM trackier_daily_stats",
    "DELETE FROM trackier_daily_click_meta",
    _meta_upsert("true"),
    _upsert(CLICK_COLUMNS, f"SELECT network_id, campaign_id, publisher_id, 0, day, {_CLICK_SUMS} FROM trackier_clicks "
                           "WHERE day IS NOT NULL GROUP BY network_id, campaign_id, publisher_id, day"),
    _upsert(("impressions",), "SELECT network_id, campaign_id, publisher_id, 0, day, COUNT(*) FROM "
                              "trackier_impressions WHERE day IS NOT NULL "
                              "GROUP BY network_id, campaign_id, publisher_id, day"),
    _upsert(CONVERSION_COLUMNS, _conversion_select("v.day IS NOT NULL", signed=False)),
)


def rebuild(db: Db) -> None:
    """Sum every recorded event again (in the caller's transaction)."""
    for text in REBUILD:
        db.run(Statement(text))
