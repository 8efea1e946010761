"""Reports computed from the recorded clicks, impressions and conversions: the day-wise stats
(network, campaign, affiliate earnings) and the custom report with every grouping and field of
Trackier's maps.

Days are the network's (every event stores its local day, YYYYMMDD, when it is recorded), so a
report groups by a column rather than by time arithmetic. Each source is aggregated once in the
database, grouped by the raw keys the report needs (campaign, publisher, goal, day ...); the
groups are merged and turned into Trackier's display values here.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Iterable, NamedTuple

from sqlalchemy import and_, case, func, null, select

from polytrack.kernel.dates import zone
from polytrack.kernel.params import Params
from polytrack.kernel.sql import Db
from polytrack.trackier import errors
from polytrack.trackier.domain import Network
from polytrack.trackier.fields import as_number
from polytrack.trackier.schema import INTEGER, NUMBER, STRING, array, map_of, named, nullable, obj, one_of
from polytrack.trackier.tables import (
    trackier_campaigns, trackier_clicks, trackier_conversions, trackier_daily_click_meta, trackier_daily_stats,
    trackier_goals, trackier_impressions, trackier_landing_pages, trackier_users,
)

MAX_DAYS = 366

# The custom report's maps, as Trackier's docs list them.
GROUPING_MAP = {
    "adid": "Campaign", "campaign_id": "Campaign ID", "campaign_long_id": "Campaign Long ID",
    "external_offer_id": "External Offer ID", "pid": "Publisher", "publisher_id": "Publisher ID",
    "publisher_long_id": "Publisher Long ID", "source": "Source (Sub Publisher)", "aff_manager": "Publisher Manager",
    "advertiser": "Advertiser", "advertiser_id": "Advertiser ID", "adv_manager": "Advertiser Manager",
    "goalName": "Goal Name", "goalId": "Goal ID", "sl": "Smart Link", "ro": "Referrer Campaign",
    "ro_id": "Referrer Campaign ID", "urlTitle": "Landing Page", "urlId": "Landing Page ID (URL ID)",
    "device": "Device", "os": "Operating System", "country": "Country (GEO)", "created": "Date", "month": "Month",
}
FIELD_MAP = {
    "uniqueClicks": "Unique Clicks", "rejectedClicks": "Rejected Clicks", "grossClicks": "Gross Clicks",
    "impressions": "Impressions", "campaign_payout": "Campaign Payout", "campaign_revenue": "Campaign Revenue",
    "payout": "Payout", "revenue": "Revenue", "profit": "Profit", "epc": "Earning Per Click (EPC)",
    "ctr": "Click Through Rate (CTR)", "cr": "Conversion Rate (CR)", "saleAmount": "Sale Amount",
    "pendingTotalConversions": "Pending Conversions", "cancelledConversions": "Cancelled Conversions",
    "rejectedConversions": "Rejected Conversions", "grossConversions": "Gross Conversions",
    "grossRevenue": "Gross Revenue", "pendingSaleAmount": "Pending Sale Amount", "pendingPayout": "Pending Payout",
    "pendingRevenue": "Pending Revenue", "elapsedRange1": "Conversions (< 2 min)",
    "elapsedRange2": "Conversions (2-10 min)", "elapsedRange3": "Conversions (10-30 min)",
    "elapsedRange4": "Conversions (0.5-5 hr)", "elapsedRange5": "Conversions (> 5 hr)",
    "approvedConversions": "Approved Conversions",
}
DEFAULT_FIELDS = ["grossClicks", "payout", "revenue", "profit", "approvedConversions"]
AFFILIATE_GROUPING_MAP = {
    "adid": "Campaign", "campaign_id": "Campaign ID", "campaign_long_id": "Campaign Long ID", "objective": "Objective",
    "pid": "Publisher", "publisher_id": "Publisher ID", "publisher_long_id": "Publisher Long ID",
    "source": "Source (Sub Publisher)", "goalName": "Goal Name", "goalId": "Goal ID", "sl": "Smart Link",
    "urlTitle": "Landing Page", "urlId": "Landing Page ID (URL ID)", "device": "Device", "os": "Operating System",
    "country": "Country (GEO)", "created": "Date", "month": "Month",
}
AFFILIATE_FIELD_MAP = {
    "uniqueClicks": "Unique Clicks", "grossClicks": "Gross Clicks", "impressions": "Impressions", "payout": "Payout",
    "totalConversions": "Conversions", "epc": "Earning Per Click (EPC)", "ctr": "Click Through Rate (CTR)",
    "cr": "Conversion Rate (CR)",
}
AFFILIATE_DEFAULT_FIELDS = ["grossClicks", "totalConversions", "payout"]

# grouping name -> the raw key it groups by (None: a dimension nothing records, one bucket)
RAW_KEY = {
    "adid": "campaign", "campaign_id": "campaign", "campaign_long_id": "campaign", "objective": "campaign",
    "pid": "publisher", "publisher_id": "publisher", "publisher_long_id": "publisher", "source": "source",
    "advertiser": "advertiser", "advertiser_id": "advertiser", "goalName": "goal", "goalId": "goal",
    "urlTitle": "landing", "urlId": "landing", "device": "device", "os": "os", "country": "country",
    "created": "day", "month": "month", "external_offer_id": None, "aff_manager": None, "adv_manager": None,
    "sl": None, "ro": None, "ro_id": None, "browser": "browser",
}
ADVERTISER_GROUPING_MAP = {"adid": "Campaign", "device": "Device", "goalId": "Goal", "urlId": "Additional URL",
                           "os": "Operating System", "country": "Country", "browser": "Browser"}
ADVERTISER_FIELDS = ["clicks", "impressions", "conversions", "sales", "goals", "revenue"]

C, K, V, I = trackier_campaigns, trackier_clicks, trackier_conversions, trackier_impressions
# raw key -> its column in each source (None: the source has no such dimension)
COLUMNS = {
    "campaign": (K.c.campaign_id, V.c.campaign_id, I.c.campaign_id),
    "publisher": (K.c.publisher_id, V.c.publisher_id, I.c.publisher_id),
    "advertiser": (C.c.advertiser_id, C.c.advertiser_id, C.c.advertiser_id),
    "source": (K.c.source, K.c.source, None),
    "goal": (None, V.c.goal_id, None),
    "landing": (K.c.landing_page_id, K.c.landing_page_id, None),
    "device": (K.c.device, K.c.device, I.c.device),
    "os": (K.c.os, K.c.os, I.c.os),
    "country": (K.c.country, K.c.country, I.c.country),
    "browser": (K.c.browser, K.c.browser, None),
    "day": (K.c.day, V.c.day, I.c.day),
    "month": (K.c.day // 100, V.c.day // 100, I.c.day // 100),
}
# the sums each source gives, in this order
CLICK_SUMS = ("gross_clicks", "unique_clicks", "rejected_clicks", "click_payout", "click_revenue")
CONVERSION_SUMS = ("approved", "pending", "rejected", "cancelled", "payout", "revenue", "sale", "pending_sale",
                   "pending_payout", "pending_revenue", "gross_revenue", "default_payout", "default_revenue",
                   "default_conversions", "sales",
                   "elapsed1", "elapsed2", "elapsed3", "elapsed4", "elapsed5")
TOTALS = CLICK_SUMS + CONVERSION_SUMS + ("impressions",)
ELAPSED_BOUNDS = (0, 120, 600, 1800, 18000, None)  # seconds: < 2 min, 2-10 min, 10-30 min, 0.5-5 h, > 5 h


class Range(NamedTuple):
    start: str  # YYYY-MM-DD
    end: str
    first: int  # YYYYMMDD
    last: int


def _day_key(day: date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


def date_range(query: Params, network: Network, today: float, *, default_days: int) -> Range:
    """`start` / `end` (YYYY-MM-DD) in the network's time zone; missing ones default to the last
    `default_days` days ending today. 400/20 for a bad date, an end before the start, or more
    than a year."""
    local_today = datetime.fromtimestamp(today, zone(network.timezone)).date()
    problems: dict[str, list[str]] = {}
    days = {}
    for name, default in (("start", local_today - timedelta(days=default_days - 1)), ("end", local_today)):
        raw = (query.get(name) or "").strip()
        if not raw:
            days[name] = default
            continue
        try:
            if not re.fullmatch(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}", raw):
                raise ValueError(raw)
            days[name] = date(*map(int, raw.split("-")))
        except ValueError:
            problems[name] = [f"{name.capitalize()} must be a date, YYYY-MM-DD"]
    if not problems and days["end"] < days["start"]:
        problems["end"] = ["End must not be before start"]
    if not problems and (days["end"] - days["start"]).days >= MAX_DAYS:
        problems["end"] = [f"A report covers at most {MAX_DAYS} days"]
    if problems:
        raise errors.invalid(problems)
    return Range(days["start"].isoformat(), days["end"].isoformat(), _day_key(days["start"]), _day_key(days["end"]))


class Filters(NamedTuple):
    campaigns: tuple[int, ...] = ()  # campaign row ids (empty: all)
    publishers: tuple[int, ...] = ()
    advertiser: int | None = None


def _where(table, network: Network, period: Range, filters: Filters) -> list:
    where = [table.c.network_id == network.id, table.c.day >= period.first, table.c.day <= period.last]
    if filters.campaigns:
        where.append(table.c.campaign_id.in_(filters.campaigns))
    if filters.publishers:
        where.append(table.c.publisher_id.in_(filters.publishers))
    if filters.advertiser is not None:
        where.append(C.c.advertiser_id == filters.advertiser)
    return where


def _sum(condition, value=1):
    return func.coalesce(func.sum(case((condition, value), else_=0)), 0)


S = trackier_daily_stats
# raw key -> its column in the daily summary (summary.py); a key not here needs the raw tables
SUMMARY_COLUMNS = {
    "campaign": S.c.campaign_id, "publisher": S.c.publisher_id, "advertiser": C.c.advertiser_id,
    "goal": case((S.c.goal_slot == 0, null()), else_=S.c.goal_slot), "day": S.c.day, "month": S.c.day // 100,
}


def aggregate(db: Db, network: Network, period: Range, keys: Iterable[str], filters: Filters = Filters(), *,
              source: str = "auto") -> dict[tuple, dict[str, int]]:
    """Sums of every TOTALS name, by the values of the raw `keys` (a key a source lacks is None
    there): from the daily summary when every key is one of its columns (campaign, publisher,
    advertiser, goal, day, month), else from the raw events. `source`: "summary" or "raw" to
    choose (the tests compare them)."""
    keys = list(keys)
    if source == "summary" or (source == "auto" and all(key in SUMMARY_COLUMNS for key in keys)):
        return aggregate_summary(db, network, period, keys, filters)
    return aggregate_raw(db, network, period, keys, filters)


def aggregate_summary(db: Db, network: Network, period: Range, keys: list[str], filters: Filters = Filters()
                      ) -> dict[tuple, dict[str, int]]:
    selected = [SUMMARY_COLUMNS[key].label(key) for key in keys]
    rows = db.execute(select(*selected, *(func.sum(S.c[name]) for name in TOTALS))
                      .select_from(S.join(C, C.c.id == S.c.campaign_id))
                      .where(*_where(S, network, period, filters)).group_by(*selected))
    width = len(keys)
    # one row per group (the summary is already grouped by its keys); PostgreSQL's sums are Decimals
    return {tuple(row[:width]): dict(zip(TOTALS, map(int, row[width:]))) for row in rows}


def aggregate_raw(db: Db, network: Network, period: Range, keys: list[str], filters: Filters = Filters()
                  ) -> dict[tuple, dict[str, int]]:
    groups: dict[tuple, dict[str, int]] = {}

    def add(rows, names) -> None:
        for row in rows:
            found = groups.setdefault(tuple(row[:len(keys)]), dict.fromkeys(TOTALS, 0))
            for name, value in zip(names, row[len(keys):]):
                found[name] += int(value or 0)

    def columns(index: int) -> tuple[list, list]:
        """What a source selects for the keys (NULL for a key it lacks) and groups by."""
        selected = [(COLUMNS[key][index] if COLUMNS[key][index] is not None else null()).label(key) for key in keys]
        return selected, [COLUMNS[key][index] for key in keys if COLUMNS[key][index] is not None]

    accepted = K.c.rejected.is_(None)
    cols, grouped = columns(0)
    rows = db.execute(select(*cols, _sum(accepted), _sum(and_(accepted, K.c.is_unique)), _sum(K.c.rejected.isnot(None)),
                             _sum(accepted, K.c.payout_micros), _sum(accepted, K.c.revenue_micros))
                      .select_from(K.join(C, C.c.id == K.c.campaign_id))
                      .where(*_where(K, network, period, filters)).group_by(*grouped))
    add(rows, CLICK_SUMS)

    approved, pending = V.c.status == "approved", V.c.status == "pending"
    elapsed = V.c.created_at - K.c.created_at
    cols, grouped = columns(1)
    buckets = [_sum(and_(approved, elapsed >= low, *([elapsed < high] if high else [])))
               for low, high in zip(ELAPSED_BOUNDS, ELAPSED_BOUNDS[1:])]
    rows = db.execute(select(
        *cols, _sum(approved), _sum(pending), _sum(V.c.status == "rejected"), _sum(V.c.status == "cancelled"),
        _sum(approved, V.c.payout_micros), _sum(approved, V.c.revenue_micros),
        _sum(approved, func.coalesce(V.c.sale_micros, 0)), _sum(pending, func.coalesce(V.c.sale_micros, 0)),
        _sum(pending, V.c.payout_micros), _sum(pending, V.c.revenue_micros), func.sum(V.c.revenue_micros),
        _sum(and_(approved, V.c.goal_id.is_(None)), V.c.payout_micros),
        _sum(and_(approved, V.c.goal_id.is_(None)), V.c.revenue_micros), _sum(and_(approved, V.c.goal_id.is_(None))),
        _sum(and_(approved, V.c.goal_id.isnot(None), V.c.sale_micros.isnot(None))), *buckets)
        .select_from(V.join(K, K.c.id == V.c.click_id).join(C, C.c.id == V.c.campaign_id))
        .where(*_where(V, network, period, filters)).group_by(*grouped))
    add(rows, CONVERSION_SUMS)

    cols, grouped = columns(2)
    rows = db.execute(select(*cols, func.count()).select_from(I.join(C, C.c.id == I.c.campaign_id))
                      .where(*_where(I, network, period, filters)).group_by(*grouped))
    add(rows, ("impressions",))
    return groups


# --- metrics ----------------------------------------------------------------------------------

def _ratio(part: float, whole: float, scale: float = 1.0, places: int = 2) -> float:
    return round(part * scale / whole, places) if whole else 0


def metric(name: str, sums: dict[str, int]):
    """One field of the fieldMaps from a group's sums; money as JSON numbers."""
    payout = sums["payout"] + sums["click_payout"]
    revenue = sums["revenue"] + sums["click_revenue"]
    clicks = sums["gross_clicks"]
    simple = {
        "uniqueClicks": sums["unique_clicks"], "rejectedClicks": sums["rejected_clicks"], "grossClicks": clicks,
        "impressions": sums["impressions"], "approvedConversions": sums["approved"],
        "totalConversions": sums["approved"], "pendingTotalConversions": sums["pending"],
        "cancelledConversions": sums["cancelled"], "rejectedConversions": sums["rejected"],
        "grossConversions": sums["approved"] + sums["pending"] + sums["rejected"] + sums["cancelled"],
        **{f"elapsedRange{n}": sums[f"elapsed{n}"] for n in range(1, 6)},
    }
    if name in simple:
        return simple[name]
    money = {
        "payout": payout, "revenue": revenue, "profit": revenue - payout, "saleAmount": sums["sale"],
        "grossRevenue": sums["gross_revenue"] + sums["click_revenue"], "pendingSaleAmount": sums["pending_sale"],
        "pendingPayout": sums["pending_payout"], "pendingRevenue": sums["pending_revenue"],
        "campaign_payout": sums["default_payout"], "campaign_revenue": sums["default_revenue"],
    }
    if name in money:
        return as_number(money[name])
    advertiser = {"clicks": clicks, "conversions": sums["approved"], "sales": sums["sales"],
                  "goals": sums["approved"] - sums["default_conversions"]}
    if name in advertiser:
        return advertiser[name]
    if name == "epc":
        return _ratio(payout / 1_000_000, clicks, places=4)
    if name == "ctr":
        return _ratio(clicks, sums["impressions"], 100)
    if name == "cr":
        return _ratio(sums["approved"], clicks, 100)
    raise KeyError(name)


def day_text(key: int | None) -> str:
    return "" if key is None else f"{key // 10000:04d}-{key // 100 % 100:02d}-{key % 100:02d}"


def month_text(key: int | None) -> str:
    return "" if key is None else f"{key // 100:04d}-{key % 100:02d}"


# --- the custom report ------------------------------------------------------------------------

class Names(NamedTuple):
    """Display values of the ids a report's groups hold."""

    campaigns: dict[int, tuple]  # id -> (title, display_id, object_id, comm_model)
    publishers: dict[int, tuple]  # id -> (name, display_id, object_id)
    goals: dict[int, tuple]  # id -> (title, object_id)
    landings: dict[int, tuple]  # id -> (title, int_id)


def names_of(db: Db, network: Network) -> Names:
    """Every campaign, user, goal and landing page of the network by id (deleted ones too: old
    traffic keeps its names)."""
    campaigns = {row.id: (row.title, row.display_id, row.object_id, row.comm_model) for row in db.execute(
        select(C.c.id, C.c.title, C.c.display_id, C.c.object_id, C.c.comm_model).where(C.c.network_id == network.id))}
    users = {row.id: (row.name, row.display_id, row.object_id) for row in db.execute(
        select(trackier_users.c.id, trackier_users.c.name, trackier_users.c.display_id, trackier_users.c.object_id)
        .where(trackier_users.c.network_id == network.id))}
    goals = {row.id: (row.title, row.object_id) for row in db.execute(
        select(trackier_goals.c.id, trackier_goals.c.title, trackier_goals.c.object_id)
        .join(C, C.c.id == trackier_goals.c.campaign_id).where(C.c.network_id == network.id))}
    landings = {row.id: (row.title, row.int_id) for row in db.execute(
        select(trackier_landing_pages.c.id, trackier_landing_pages.c.title, trackier_landing_pages.c.int_id)
        .join(C, C.c.id == trackier_landing_pages.c.campaign_id).where(C.c.network_id == network.id))}
    return Names(campaigns, users, goals, landings)


def display(group: str, value, names: Names):
    """A grouping's display value for a raw key value."""
    if value is None and group not in ("created", "month"):
        return ""
    if group in ("adid", "campaign_id", "campaign_long_id", "objective"):
        title, display_id, object_id, model = names.campaigns.get(value, ("", None, "", ""))
        return {"adid": title, "campaign_id": display_id, "campaign_long_id": object_id, "objective": model}[group]
    if group in ("pid", "publisher_id", "publisher_long_id", "advertiser", "advertiser_id"):
        name, display_id, object_id = names.publishers.get(value, ("", None, ""))
        return {"pid": name, "advertiser": name, "publisher_id": display_id, "advertiser_id": display_id,
                "publisher_long_id": object_id}[group]
    if group in ("goalName", "goalId"):
        title, object_id = names.goals.get(value, ("", ""))
        return title if group == "goalName" else object_id
    if group in ("urlTitle", "urlId"):
        title, int_id = names.landings.get(value, ("", None))
        return title if group == "urlTitle" else int_id
    if group == "created":
        return day_text(value)
    if group == "month":
        return month_text(None if value is None else int(value))
    return value


def custom_report(db: Db, network: Network, period: Range, groups: list[str], fields: list[str],
                  filters: Filters = Filters(), *, label_keys: dict[str, str] | None = None) -> tuple[list[dict], dict]:
    """(records, total): one record per combination of the groups' values, the groups' display
    values (keyed by the group, or by its label with `label_keys`) then the fields; ordered by
    the display values."""
    raw: list[str] = []
    for group in groups:
        raw_key = RAW_KEY[group]
        if raw_key is not None and raw_key not in raw:
            raw.append(raw_key)
    sums = aggregate(db, network, period, raw, filters)
    names = names_of(db, network)
    records = []
    total = dict.fromkeys(TOTALS, 0)
    for key, group_sums in sums.items():
        values = dict(zip(raw, key))
        record = {}
        for group in groups:
            group_key = RAW_KEY[group]
            value = values.get(group_key) if group_key else None
            record[(label_keys or {}).get(group, group)] = display(group, value, names)
        record.update({field: metric(field, group_sums) for field in fields})
        records.append(record)
        for name in TOTALS:
            total[name] += group_sums[name]
    records.sort(key=lambda r: [str(r[(label_keys or {}).get(g, g)]) for g in groups])
    return records, {field: metric(field, total) for field in fields}


# --- day-wise stats ---------------------------------------------------------------------------

COUNTS = map_of(INTEGER)
STATS_META = obj(device=COUNTS, os=COUNTS, referer=COUNTS, country=COUNTS)


def stats_schema(*, revenue: bool = True, payout: bool = True) -> dict:
    """What `stats` answers, as a schema: `{"stats": {day: <Stats day>}, "total": <Stats day>}`."""
    money = {**({"revenue": NUMBER} if revenue else {}), **({"payout": NUMBER} if payout else {})}
    name = "StatsDay" + ("" if revenue else "WithoutRevenue") + ("" if payout else "WithoutPayout")
    day = named(name, obj(clicks=INTEGER, impressions=INTEGER, conversions=INTEGER, **money, meta=STATS_META))
    return {"stats": map_of(day), "total": day}


# A custom report's records (the groups' display values: names, ids, days, numbers; null for an
# id nothing matches; then the fields' values) and its total (the fields' values).
REPORT = {"records": array(map_of(one_of(nullable(STRING), NUMBER))), "total": map_of(NUMBER)}

M = trackier_daily_click_meta
META_COLUMNS = {"device": K.c.device, "os": K.c.os, "referer": K.c.referer_host, "country": K.c.country}


def meta_counts(db: Db, network: Network, period: Range, filters: Filters = Filters(), *,
                source: str = "summary") -> list[tuple[int, str, str | None, int]]:
    """(day, dimension, value, accepted clicks) of the stats' count maps: from the daily
    summary's count maps, or (`source` "raw", which the tests compare) from the clicks."""
    if source == "summary":
        rows = db.execute(select(M.c.day, M.c.dimension, M.c.value, func.sum(M.c.clicks))
                          .select_from(M.join(C, C.c.id == M.c.campaign_id)).where(*_where(M, network, period, filters))
                          .group_by(M.c.day, M.c.dimension, M.c.value))
        return [(day, dimension, value, int(count)) for day, dimension, value, count in map(tuple, rows)]
    found: list[tuple[int, str, str | None, int]] = []
    for dimension, column in META_COLUMNS.items():
        rows = db.execute(select(K.c.day, column, func.count()).select_from(K.join(C, C.c.id == K.c.campaign_id))
                          .where(*_where(K, network, period, filters), K.c.rejected.is_(None))
                          .group_by(K.c.day, column))
        found.extend((day, dimension, value, int(count)) for day, value, count in map(tuple, rows))
    return found


def stats(db: Db, network: Network, period: Range, filters: Filters = Filters(), *, revenue: bool = True,
          payout: bool = True, country_top: int | None = None, source: str = "summary") -> tuple[dict, dict]:
    """({day: <Stats day>}, <total>): clicks, impressions, conversions (approved), revenue, payout
    and the count maps of the day's accepted clicks (device, os, referer host or "Empty",
    country; `source`: where they come from, see meta_counts). Days without traffic are left
    out. Without `revenue` / `payout` (an affiliate's or an advertiser's view) that number is
    left out."""
    by_day = aggregate(db, network, period, ["day"], filters)
    meta_maps: dict[int, dict[str, dict[str, int]]] = {}
    for day_key, dimension, value, count in meta_counts(db, network, period, filters, source=source):
        label = value or ("Empty" if dimension == "referer" else "")
        meta_maps.setdefault(day_key, {}).setdefault(dimension, {})[label] = int(count)

    def day_object(sums: dict[str, int], meta: dict[str, dict[str, int]]) -> dict:
        found: dict = {"clicks": sums["gross_clicks"], "impressions": sums["impressions"],
                       "conversions": sums["approved"]}
        if revenue:
            found["revenue"] = metric("revenue", sums)
        if payout:
            found["payout"] = metric("payout", sums)
        maps = {dimension: dict(sorted(meta.get(dimension, {}).items(), key=lambda item: -item[1]))
                for dimension in ("device", "os", "referer", "country")}
        if country_top is not None and len(maps["country"]) > country_top:
            countries = list(maps["country"].items())
            maps["country"] = {**dict(countries[:country_top]), "rest": sum(n for _, n in countries[country_top:])}
        found["meta"] = maps
        return found

    days = {}
    total = dict.fromkeys(TOTALS, 0)
    total_meta: dict[str, dict[str, int]] = {}
    for (day,), sums in sorted(by_day.items(), key=lambda item: item[0][0]):
        days[day_text(day)] = day_object(sums, meta_maps.get(day, {}))
        for name in TOTALS:
            total[name] += sums[name]
        for dimension, counts in meta_maps.get(day, {}).items():
            for label, count in counts.items():
                total_meta.setdefault(dimension, {})[label] = total_meta.get(dimension, {}).get(label, 0) + count
    return days, day_object(total, total_meta)
