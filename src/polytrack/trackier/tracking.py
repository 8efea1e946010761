"""The tracking side: clicks, impressions and conversions, as plain functions over a `Db`.

A click resolves its link (or campaign and publisher ids), checks that the campaign runs and the
publisher may run it, the targeting (device, OS, the commissions' countries) and the click
caps, records the click (refused ones too, with the reason) and returns where to send the
browser. A conversion finds its click, checks the postback's secret and the attribution window,
finds the goal, prices the event (publisher-specific payout > goal payout > campaign
commission), applies the conversion caps, and stores it at most once per click and goal.

What a click needs of its campaign (commissions, caps, landing pages, goals, payout overrides,
who has access) changes rarely and is read on every click: `CampaignSetup` holds it, loaded
with SQLAlchemy once and kept in a read cache until the next management write. The per-click
statements are fixed SQL on the tracking connection.
"""

from __future__ import annotations

import hmac
import json
import re
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Callable, NamedTuple, Sequence
from urllib.parse import quote, urlsplit

from sqlalchemy import select
from ua_parser import parse as parse_user_agent

from polytrack.kernel.clock import Clock
from polytrack.kernel.coherence import CoherentCache, read_through
from polytrack.kernel.dates import zone
from polytrack.kernel.sql import Db, Statement
from polytrack.trackier import fields, spool, summary
from polytrack.trackier.campaigns import ALL
from polytrack.trackier.domain import new_object_id
from polytrack.trackier.tables import (
    trackier_campaign_access, trackier_caps, trackier_commissions, trackier_goal_payouts, trackier_goals,
    trackier_landing_pages, trackier_pub_payouts,
)

UNKNOWN_COUNTRY = "XX"
CONVERSION_STATUSES = ("approved", "pending", "rejected", "cancelled")
POSTBACK_METHOD = "PostBack URL"
PIXEL_METHOD = "Image Pixel"
# what a click stores of its query string, as sent (the click-log columns)
CLICK_PARAMS = tuple(f"p{n}" for n in range(1, 11)) + ("gaid", "idfa", "app_name", "app_id", "cr_name", "sl")
CONVERSION_PARAMS = tuple(f"sub{n}" for n in range(1, 11)) + ("gaid", "idfa")
MACRO_RE = re.compile(r"\{([a-z_0-9]+)\}")
# device keys a campaign may target, from what the user agent says
OS_FAMILIES = {"android": "Android", "ios": "iOS"}  # a campaign's `os` -> the user agent's OS family
PLATFORM_KEYS = {"Android": "android", "iOS": "iphone", "Windows Phone": "winphone", "Windows": "windows",
                 "Mac OS X": "mac", "Linux": "linux", "Ubuntu": "linux"}


class Refused(Exception):
    """A tracking request that records nothing: an unknown link, click or goal, a wrong secret.
    The message is what the answer says."""


# --- a campaign's setup, cached --------------------------------------------------------------

class Price(NamedTuple):
    payout: int  # micros; percent x 10^6 when `percentage`
    revenue: int | None  # None: keep the revenue found further down
    coverage: tuple[str, ...]
    percentage: bool


class Cap(NamedTuple):
    type: str
    pids: tuple[str, ...]
    each: bool
    geo: tuple[str, ...]
    limits: tuple[tuple[str, int], ...]  # ("daily" | "monthly" | "lifetime", limit)
    pause: bool


class Goal(NamedTuple):
    id: int
    object_id: str
    value: str
    title: str
    blacklist: tuple[int, ...]  # publisher display ids
    whitelist: tuple[int, ...]  # when not empty, only these publishers may convert on the goal
    prices: tuple[Price, ...]


class CampaignSetup(NamedTuple):
    commissions: tuple[Price, ...]
    caps: tuple[Cap, ...]
    landing_pages: dict[int, tuple[int, str]]  # int_id -> (row id, url)
    goals: tuple[Goal, ...]
    pub_payouts: tuple[tuple[str, int | None, Price], ...]  # (publisher _id, goal id or None, price)
    access: frozenset[int]  # publishers (user ids) with live access
    commission_by_country: dict[str, Price | None]  # commission_for's memo (the setup is cached)


def commission_for(setup: CampaignSetup, country: str) -> Price | None:
    """The campaign commission covering a country (best), worked out once per country."""
    found = setup.commission_by_country.get(country, False)
    if found is False:
        found = setup.commission_by_country[country] = best(setup.commissions, country)
    return found  # type: ignore[return-value]


def _codes(text: str | None) -> tuple[str, ...]:
    return tuple(json.loads(text)) if text else (ALL,)


def load_setup(db: Db, campaign_id: int, cps: bool) -> CampaignSetup:
    commissions = tuple(Price(row.rate_micros, row.revenue_micros, _codes(row.coverage), cps)
                        for row in db.execute(select(trackier_commissions).where(
                            trackier_commissions.c.campaign_id == campaign_id).order_by(trackier_commissions.c.id)))
    caps = tuple(
        Cap(row.type, tuple(json.loads(row.pids)), row.pub_cap_type == "each", _codes(row.geo),
            tuple((name, getattr(row, name)) for name in ("daily", "monthly", "lifetime")
                  if getattr(row, name) is not None), bool(row.pause_campaign))
        for row in db.execute(select(trackier_caps).where(trackier_caps.c.campaign_id == campaign_id)))
    pages = {row.int_id: (row.id, row.url) for row in db.execute(
        select(trackier_landing_pages).where(trackier_landing_pages.c.campaign_id == campaign_id))}
    goal_rows = db.execute(select(trackier_goals).where(trackier_goals.c.campaign_id == campaign_id,
                                                        trackier_goals.c.deleted.is_(False))).all()
    payouts: dict[int, list[Price]] = {row.id: [] for row in goal_rows}
    models = {row.id: row.model == "percentage" for row in goal_rows}
    for row in db.execute(select(trackier_goal_payouts).where(trackier_goal_payouts.c.goal_id.in_(list(payouts)))
                          .order_by(trackier_goal_payouts.c.id)):
        payouts[row.goal_id].append(Price(row.payout_micros, row.revenue_micros, _codes(row.coverage),
                                          models[row.goal_id]))
    goals = tuple(Goal(row.id, row.object_id, row.value, row.title, tuple(json.loads(row.blacklist_pubs or "[]")),
                       tuple(json.loads(row.whitelist_pubs or "[]")), tuple(payouts[row.id])) for row in goal_rows)
    overrides: list[tuple[str, int | None, Price]] = []
    for row in db.execute(select(trackier_pub_payouts).where(trackier_pub_payouts.c.campaign_id == campaign_id)
                          .order_by(trackier_pub_payouts.c.id)):
        percentage = models.get(row.goal_id, cps) if row.goal_id else cps
        price = Price(row.rate_micros, row.revenue_micros if row.crev else None, _codes(row.coverage), percentage)
        overrides.extend((pid, row.goal_id, price) for pid in json.loads(row.pids))
    access = frozenset(db.execute(select(trackier_campaign_access.c.user_id).where(
        trackier_campaign_access.c.campaign_id == campaign_id, trackier_campaign_access.c.live.is_(True))).scalars())
    return CampaignSetup(commissions, caps, pages, goals, tuple(overrides), access, {})


# --- what the request says about the visitor -------------------------------------------------

class Visitor(NamedTuple):
    ipaddr: str | None
    country: str
    device: str  # desktop | mobile | tablet | unknown
    platform: str | None  # a dictionary device key: android, iphone, ipad, windows ...
    os: str
    browser: str


@lru_cache(maxsize=4096)  # the same few hundred agents send most clicks
def describe_agent(user_agent: str) -> tuple[str, str | None, str, str]:
    """(device class, platform key, OS family, browser family) from a User-Agent."""
    if not user_agent:
        return "unknown", None, "Unknown", "Unknown"
    parsed = parse_user_agent(user_agent)
    os_family = parsed.os.family if parsed.os else "Other"
    browser = parsed.user_agent.family if parsed.user_agent else "Other"
    device_family = parsed.device.family if parsed.device else "Other"
    platform = PLATFORM_KEYS.get(os_family)
    if device_family == "iPad":
        device, platform = "tablet", "ipad"
    elif "Tablet" in user_agent or (os_family == "Android" and "Mobile" not in user_agent):
        device = "tablet"
    elif os_family in ("Android", "iOS", "Windows Phone") or "Mobile" in user_agent:
        device = "mobile"
    elif os_family == "Other" and device_family in ("Spider", "Other"):
        device = "unknown"
    else:
        device = "desktop"
    return device, platform, os_family, browser


_COUNTRY_RE = re.compile(r"[A-Z]{2}")


def visitor(ipaddr: str | None, user_agent: str, country: str | None) -> Visitor:
    device, platform, os_family, browser = describe_agent(user_agent[:512])
    country = (country or "").strip().upper()
    return Visitor(ipaddr, country if _COUNTRY_RE.fullmatch(country) and country != "XX" else UNKNOWN_COUNTRY,
                   device, platform, os_family, browser)


# --- money ------------------------------------------------------------------------------------

def _covers(coverage: tuple[str, ...], country: str) -> int:
    """2 for a country named, 1 for ALL, 0 for no cover: the specific price wins."""
    return 2 if country in coverage else 1 if ALL in coverage else 0


def best(prices, country: str) -> Price | None:
    ranked = [(rank, index, price) for index, price in enumerate(prices) if (rank := _covers(price.coverage, country))]
    return max(ranked, key=lambda item: (item[0], -item[1]))[2] if ranked else None


def amount(price_micros: int, percentage: bool, sale_micros: int | None) -> int:
    """A price as money: itself, or that percentage of the sale (0 without a sale)."""
    if not percentage:
        return price_micros
    if not sale_micros:
        return 0
    return int((Decimal(sale_micros) * price_micros / (100 * fields.MICROS)).quantize(Decimal(1),
                                                                                     rounding=ROUND_HALF_UP))


def price_conversion(setup: CampaignSetup, publisher_object_id: str, goal: Goal | None, country: str,
                     sale_micros: int | None) -> tuple[int, int]:
    """(payout, revenue) in micros: a publisher-specific payout for this publisher and goal
    (or the default event) beats the goal's payout, which beats the campaign's commission; a
    payout override without `crev` keeps the revenue found below it."""
    base = best(goal.prices, country) if goal is not None and goal.prices else None
    base = base or best(setup.commissions, country)
    override = best([price for pid, goal_id, price in setup.pub_payouts
                     if pid == publisher_object_id and goal_id == (goal.id if goal else None)], country)
    payout_price = override or base
    payout = amount(payout_price.payout, payout_price.percentage, sale_micros) if payout_price else 0
    if override is not None and override.revenue is not None:
        revenue = amount(override.revenue, override.percentage, sale_micros)
    else:
        revenue = amount(base.revenue or 0, base.percentage, sale_micros) if base else 0
    return payout, revenue


# --- caps -------------------------------------------------------------------------------------

def local_day(timestamp: float, timezone: str) -> int:
    """The day of a moment in a time zone, as YYYYMMDD (the reports' day key)."""
    return local_day_of(timestamp, timezone).key


def window_starts(now: float, timezone: str) -> dict[str, float]:
    """Where each cap window began: the day and the month in the network's zone, and never."""
    local = datetime.fromtimestamp(now, zone(timezone))
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return {"daily": day.timestamp(), "monthly": day.replace(day=1).timestamp(), "lifetime": 0.0}


_CAP_SUMS = {
    # clicks by their local day (the index is (campaign_id, day)), conversions by their moment
    "click": "SELECT COUNT(*) FROM trackier_clicks k WHERE k.campaign_id = ? AND k.day >= ? AND k.rejected IS NULL",
    "conversion": "SELECT COUNT(*) FROM trackier_conversions v JOIN trackier_clicks k ON k.id = v.click_id "
                  "WHERE v.campaign_id = ? AND v.status = 'approved' AND v.created_at >= ?",
    "payout": "SELECT COALESCE(SUM(v.payout_micros), 0) FROM trackier_conversions v JOIN trackier_clicks k "
              "ON k.id = v.click_id WHERE v.campaign_id = ? AND v.status = 'approved' AND v.created_at >= ?",
    "revenue": "SELECT COALESCE(SUM(v.revenue_micros), 0) FROM trackier_conversions v JOIN trackier_clicks k "
               "ON k.id = v.click_id WHERE v.campaign_id = ? AND v.status = 'approved' AND v.created_at >= ?",
    "pendingPayout": "SELECT COALESCE(SUM(v.payout_micros), 0) FROM trackier_conversions v JOIN trackier_clicks k "
                     "ON k.id = v.click_id WHERE v.campaign_id = ? AND v.status = 'pending' AND v.created_at >= ?",
    "pendingRevenue": "SELECT COALESCE(SUM(v.revenue_micros), 0) FROM trackier_conversions v JOIN trackier_clicks k"
                      " ON k.id = v.click_id WHERE v.campaign_id = ? AND v.status = 'pending' AND v.created_at >= ?",
}
_CAP_SUMS["approvedConv"] = _CAP_SUMS["conversion"]
MONEY_CAPS = ("payout", "revenue", "pendingPayout", "pendingRevenue")
# the caps a new conversion of each status counts against (click caps count clicks)
CAPPED_STATUSES = {"approved": ("conversion", "approvedConv", "payout", "revenue"),
                   "pending": ("pendingPayout", "pendingRevenue")}


# A cap without countries counts from the daily summary (summary.py), kept in the same
# transactions as the events: a few rows per publisher and day rather than every event of the
# window. The summary has no country, so a cap on some countries counts the raw events.
_CAP_SUMMARY_SUMS = {"click": "gross_clicks", "conversion": "approved", "approvedConv": "approved", "payout": "payout",
                     "revenue": "revenue", "pendingPayout": "pending_payout", "pendingRevenue": "pending_revenue"}


@lru_cache(maxsize=256)
def _cap_statement(cap_type: str, publishers: int, countries: int) -> Statement:
    """The sum a cap compares, narrowed to some publishers and countries; without countries from
    the daily summary. Its second parameter is a day key, or for conversions on some countries
    a moment (`window_starts`)."""
    if countries:
        text = _CAP_SUMS[cap_type]
        publisher_column = "k.publisher_id"
    else:
        text = (f"SELECT COALESCE(SUM({_CAP_SUMMARY_SUMS[cap_type]}), 0) FROM trackier_daily_stats "
                "WHERE campaign_id = ? AND day >= ?")
        publisher_column = "publisher_id"
    if publishers:
        text += f" AND {publisher_column} IN (SELECT id FROM trackier_users WHERE object_id IN (" + \
                ", ".join("?" * publishers) + "))"
    if countries:
        text += " AND k.country IN (" + ", ".join("?" * countries) + ")"
    return Statement(text)


def window_days(now: float, timezone: str) -> dict[str, int]:
    """Where each cap window began, as day keys (YYYYMMDD) of the network's zone."""
    today = local_day_of(now, timezone).key
    return {"daily": today, "monthly": today // 100 * 100 + 1, "lifetime": 0}


def cap_reached(db: Db, cap: Cap, *, campaign_id: int, publisher_object_id: str, country: str, now: float,
                timezone: str, adding: int) -> bool:
    """Whether adding `adding` (1 event, or micros for money caps) passes one of the cap's
    limits. A cap applies to its publishers (ALL: everyone) and countries only; `each` counts
    every publisher on its own, `group` the listed ones together."""
    if ALL not in cap.pids and publisher_object_id not in cap.pids:
        return False
    if ALL not in cap.geo and country not in cap.geo:
        return False
    publishers = (publisher_object_id,) if cap.each else () if ALL in cap.pids else cap.pids
    countries = () if ALL in cap.geo else cap.geo
    statement = _cap_statement(cap.type, len(publishers), len(countries))
    starts: dict = window_starts(now, timezone) if countries and cap.type != "click" else window_days(now, timezone)
    scale = fields.MICROS if cap.type in MONEY_CAPS else 1
    for window, limit in cap.limits:
        so_far = db.one(statement, (campaign_id, starts[window], *publishers, *countries))[0]
        if so_far + adding > limit * scale:
            return True
    return False


# --- macros -----------------------------------------------------------------------------------

@lru_cache(maxsize=4096)  # a template is split once, not on every click
def _macro_parts(template: str) -> tuple[str, ...]:
    """The template split at its macros: text, macro name, text, macro name, ..., text."""
    return tuple(MACRO_RE.split(template))


# what `quote(value, safe="")` leaves as it is: most macro values (ids, sub-ids) need no quoting
_URL_SAFE = re.compile(r"[A-Za-z0-9_.~-]*").fullmatch


def fill_macros(template: str, values: dict[str, str | None] | Callable[[str], str | None]) -> str:
    """{name} -> its value, URL-encoded; an unknown macro stays as it is (Trackier stores
    unreplaced macros verbatim). `values`: a dict, or a function raising KeyError for an
    unknown name (so only the macros the template holds are worked out)."""
    parts = _macro_parts(template)
    if len(parts) == 1:
        return template
    value_of = values.__getitem__ if isinstance(values, dict) else values
    filled = list(parts)
    for index in range(1, len(parts), 2):
        name = parts[index]
        try:
            value = str(value_of(name) or "")
        except KeyError:
            filled[index] = "{" + name + "}"
            continue
        filled[index] = value if _URL_SAFE(value) else quote(value, safe="")
    return "".join(filled)


def referer_host(referer: str | None) -> str | None:
    """The host a click came from (the stats' referer map)."""
    try:
        host = urlsplit(referer or "").hostname
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return None
    return host[:255] if host else None


def cookie_name(campaign_object_id: str) -> str:
    """The cookie holding a campaign's last click id, for the browser pixel."""
    return f"trk_{campaign_object_id}"


def token_matches(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))


def expired(click_time: float, now: float, cookie_days: int) -> bool:
    return now - click_time > timedelta(days=cookie_days).total_seconds()


def new_id(clock: Clock) -> str:
    return new_object_id(clock)


def setup_for(cache: CoherentCache | None, db: Db, campaign_id: int, cps: bool) -> CampaignSetup:
    return read_through(cache, ("trackier-setup", campaign_id), lambda: load_setup(db, campaign_id, cps))


# --- clicks -----------------------------------------------------------------------------------

class Target(NamedTuple):
    """A campaign and publisher a click names, with what the checks read (the campaign's lists
    parsed once, when the target is read: targets are kept in a read cache)."""

    campaign_id: int
    campaign_object_id: str
    campaign_display_id: int
    network_id: int
    title: str
    url: str
    fallback_url: str | None
    devices: frozenset[str]  # empty or with "all": any device
    systems: frozenset[str] | None  # the OS families allowed; None: all
    comm_model: str
    status: str
    visibility: str
    live: bool
    expiry: str | None
    blacklist: frozenset[int]  # publisher display ids
    whitelist: frozenset[int]
    cookie_duration: int
    publisher_id: int
    publisher_object_id: str
    publisher_display_id: int
    publisher_name: str
    publisher_usable: bool
    timezone: str
    network_live: bool
    link_live: bool | None  # None: no link (the click form)


def _target(row) -> Target:
    (campaign_id, object_id, display_id, network_id, title, url, fallback_url, device, os_names, comm_model, status,
     visibility, live, expiry, blacklist, whitelist, *rest) = row
    (cookie_duration, publisher_id, publisher_object_id, publisher_display_id, publisher_name, publisher_usable,
     timezone, network_live, link_live) = rest
    systems = json.loads(os_names)
    return Target(campaign_id, object_id, display_id, network_id, title, url, fallback_url,
                  frozenset(json.loads(device) if device else ()),
                  None if "all" in systems else frozenset(OS_FAMILIES.get(name, "") for name in systems),
                  comm_model, status, visibility, bool(live), expiry, frozenset(json.loads(blacklist)),
                  frozenset(json.loads(whitelist)), cookie_duration, publisher_id, publisher_object_id,
                  publisher_display_id, publisher_name, bool(publisher_usable), timezone, bool(network_live), link_live)


_TARGET_COLUMNS = (
    "c.id, c.object_id, c.display_id, c.network_id, c.title, c.url, c.fallback_url, c.device, c.os, c.comm_model, "
    "c.status, c.visibility, c.live, c.expiry, c.blacklist_pubs, c.whitelist_pubs, c.cookie_duration, "
    "u.id, u.object_id, u.display_id, u.name, u.live AND NOT u.deleted, n.timezone, n.live")
_TARGET_BY_LINK = Statement(
    f"SELECT {_TARGET_COLUMNS}, l.live FROM trackier_links l JOIN trackier_campaigns c ON c.id = l.campaign_id "
    "JOIN trackier_users u ON u.id = l.user_id JOIN trackier_networks n ON n.id = c.network_id "
    "WHERE l.object_id = ? AND NOT c.deleted")
# the click form: campaign and publisher by _id or display id (-1 when the id is a _id); the
# network is the one both belong to (a Host among its tracking domains settles a tie)
_TARGET_BY_IDS = Statement(
    f"SELECT {_TARGET_COLUMNS}, l.live, n.domains FROM trackier_campaigns c "
    "JOIN trackier_users u ON u.network_id = c.network_id AND u.type = 'publisher' "
    "JOIN trackier_networks n ON n.id = c.network_id "
    "LEFT JOIN trackier_links l ON l.campaign_id = c.id AND l.user_id = u.id "
    "WHERE (c.object_id = ? OR c.display_id = ?) AND (u.object_id = ? OR u.display_id = ?) AND NOT c.deleted "
    "LIMIT 20")
_OBJECT_ID_RE = re.compile(r"[0-9a-fA-F]{24}")
_DISPLAY_ID_RE = re.compile(r"[0-9]{1,9}")


def _ident_pair(ident: str) -> tuple[str, int] | None:
    """(object id, display id) parameters for an id of either kind; None for neither."""
    ident = (ident or "").strip()
    if _OBJECT_ID_RE.fullmatch(ident):
        return ident.lower(), -1
    if _DISPLAY_ID_RE.fullmatch(ident):
        return "", int(ident)
    return None


def target_by_link(db: Db, link_object_id: str, cache: CoherentCache | None = None) -> Target | None:
    """The target of a tracking link; `cache`: a read cache following the main marker (a
    campaign, link, publisher or network changed anywhere empties it)."""
    if not _OBJECT_ID_RE.fullmatch(link_object_id or ""):
        return None
    link_object_id = link_object_id.lower()

    def load() -> Target | None:
        row = db.one(_TARGET_BY_LINK, (link_object_id,))
        return None if row is None else _target(row)
    return read_through(cache, ("trackier-link", link_object_id), load)


def target_by_ids(db: Db, campaign_ident: str, publisher_ident: str, host: str,
                  cache: CoherentCache | None = None) -> Target | None:
    campaign, publisher = _ident_pair(campaign_ident), _ident_pair(publisher_ident)
    if campaign is None or publisher is None:
        return None

    def load() -> Target | None:
        rows = db.all(_TARGET_BY_IDS, (*campaign, *publisher))
        if len(rows) > 1:  # display ids of several networks: the one whose tracking domain was called
            rows = [row for row in rows if json.dumps(host.lower()) in (row[-1] or "")]
        return _target(tuple(rows[0])[:-1]) if len(rows) == 1 else None
    return read_through(cache, ("trackier-ids", campaign, publisher, host.lower()), load)


def refusal(target: Target, setup: CampaignSetup, who: Visitor, today: str) -> str | None:
    """Why a click may not run, or None: the campaign's state, the publisher's access, the
    campaign's lists, targeting (device, OS, the commissions' countries)."""
    if not (target.network_live and target.publisher_usable):
        return "publisher"
    if target.status != "active" or not target.live or (target.expiry and target.expiry < today):
        return "paused"
    if target.link_live is False or (target.visibility != "public" and target.publisher_id not in setup.access):
        return "access"
    if target.publisher_display_id in target.blacklist or (
            target.whitelist and target.publisher_display_id not in target.whitelist):
        return "blocked"
    devices = target.devices
    if devices and "all" not in devices and who.device not in devices and who.platform not in devices:
        return "device"
    if target.systems is not None and who.os not in target.systems:
        return "os"
    if setup.commissions and commission_for(setup, who.country) is None:
        return "geo"
    return None


class LocalDay(NamedTuple):
    """A day in a time zone: its key (YYYYMMDD), its ISO date, where it starts and ends."""

    key: int
    iso: str
    start: float
    end: float


_local_days: dict[str, LocalDay] = {}  # time zone -> the day last asked for


def local_day_of(now: float, timezone: str) -> LocalDay:
    """The day `now` falls on in `timezone`; the zone arithmetic runs once a day per zone."""
    day = _local_days.get(timezone)
    if day is None or not day.start <= now < day.end:
        local = datetime.fromtimestamp(now, zone(timezone)).replace(hour=0, minute=0, second=0, microsecond=0)
        following = local + timedelta(days=1)  # wall-clock arithmetic: the next midnight, DST or not
        day = LocalDay(local.year * 10000 + local.month * 100 + local.day, local.date().isoformat(),
                       local.timestamp(), following.timestamp())
        _local_days[timezone] = day
    return day


class Click:
    """A checked click, ready to store: its row and what the click caps and its destination
    need. `rejected` may still become "cap" when it is stored."""

    __slots__ = ("target", "setup", "country", "now", "row", "rejected", "page", "query", "source", "click_id")

    def __init__(self, target: Target, setup: CampaignSetup, country: str, now: float, row: list,
                 rejected: str | None, page: tuple[int, str] | None, query: dict[str, str], source: str | None,
                 click_id: str):
        self.target, self.setup, self.country, self.now, self.row = target, setup, country, now, row
        self.rejected, self.page, self.query, self.source, self.click_id = rejected, page, query, source, click_id

    @property
    def click_caps(self) -> list[Cap]:
        return [cap for cap in self.setup.caps if cap.type == "click"] if self.rejected is None else []

    def visit(self) -> tuple:
        """The unique-clicks key of the click, with the click's id."""
        row = self.row
        return (row[_ROW_CAMPAIGN], row[_ROW_PUBLISHER], row[_ROW_DAY], row[_ROW_ADDRESS] or "", self.click_id)

    def refuse_by_cap(self) -> None:
        self.rejected = self.row[_ROW_REJECTED] = "cap"
        self.page = self.row[_ROW_LANDING_PAGE] = None
        self.row[_ROW_PAYOUT] = self.row[_ROW_REVENUE] = 0  # a refused click carries no money

    def destination(self) -> str | None:
        """The landing page or campaign URL with the macros filled; for a refused click the
        fallback URL, or None (a blank page)."""
        target = self.target
        template = target.fallback_url if self.rejected else (self.page[1] if self.page else target.url)
        if template is None:
            return None
        return fill_macros(template, self.macro)

    def macro(self, name: str) -> str | None:
        """A click macro's value (KeyError for a name that is not a click macro)."""
        target = self.target
        if name in _CLICK_MACROS:
            return self.query.get(name)
        if name == "click_id":
            return self.click_id
        if name == "aff_id":
            return str(target.publisher_display_id)
        if name == "aff_name":
            return target.publisher_name
        if name == "campaign_id":
            return str(target.campaign_display_id)
        if name == "campaign_title":
            return target.title
        if name == "source":
            return self.source
        raise KeyError(name)


_CLICK_MACROS = frozenset(CLICK_PARAMS)


def prepare_click(clock: Clock, target: Target, setup: CampaignSetup, who: Visitor, query: dict[str, str], *,
                  user_agent: str, referer: str | None) -> Click:
    """Check a click (all but its click caps, counted when it is stored) and make its row."""
    now = clock.timestamp()
    day = local_day_of(now, target.timezone)
    rejected = refusal(target, setup, who, day.iso)
    page = None
    url_id = query.get("url_id")
    if rejected is None and url_id and _DISPLAY_ID_RE.fullmatch(url_id):
        page = setup.landing_pages.get(int(url_id))
    payout = revenue = 0
    if rejected is None and target.comm_model == "cpc":  # the click is what is paid for
        price = commission_for(setup, who.country)
        if price is not None:
            payout, revenue = price.payout, price.revenue or 0
    params = {name: value[:255] for name, value in query.items() if value and name in _CLICK_MACROS}
    params["ua"] = user_agent[:512]
    if referer:
        params["referer"] = referer[:1024]
    click_id = new_object_id(clock)
    source = (query.get("source") or "")[:255] or None
    # the columns of _INSERT_CLICK but is_unique, which the unique-clicks table decides
    row = [click_id, target.network_id, target.campaign_id, target.publisher_id, page[0] if page else None, now,
           who.ipaddr, who.country, who.device, who.os[:64], who.browser[:64], source, rejected, payout, revenue,
           json.dumps(params), day.key, referer_host(referer)]
    return Click(target, setup, who.country, now, row, rejected, page, query, source, click_id)


# positions in a click's row
_ROW_CAMPAIGN, _ROW_PUBLISHER, _ROW_LANDING_PAGE, _ROW_ADDRESS, _ROW_REJECTED, _ROW_PAYOUT, _ROW_REVENUE, _ROW_DAY = (
    2, 3, 4, 6, 12, 13, 14, 16)
# A click is unique when it is the first of its address on the campaign and publisher that day:
# the first to insert the key into trackier_unique_clicks (ON CONFLICT DO NOTHING; on
# PostgreSQL a concurrent insert of the same key waits for the other's commit and then does
# nothing), so two simultaneous first clicks can never both be unique. One statement per batch:
# the keys go in as a JSON array (in order: within a batch the first click of a key wins) and
# the statement returns the click ids whose key it inserted.
_INSERT_VISITS = {
    "sqlite": Statement(
        "INSERT INTO trackier_unique_clicks (campaign_id, publisher_id, day, address, click_id) "
        "SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4 FROM json_each(?) WHERE true "
        "ORDER BY key ON CONFLICT DO NOTHING RETURNING click_id"),
    "postgresql": Statement(
        "INSERT INTO trackier_unique_clicks (campaign_id, publisher_id, day, address, click_id) "
        "SELECT (e ->> 0)::int, (e ->> 1)::int, (e ->> 2)::int, e ->> 3, e ->> 4 "
        "FROM jsonb_array_elements(?::jsonb) WITH ORDINALITY AS visits(e, n) ORDER BY n "
        "ON CONFLICT DO NOTHING RETURNING click_id"),
}
_INSERT_CLICK = Statement(
    "INSERT INTO trackier_clicks (object_id, network_id, campaign_id, publisher_id, landing_page_id, created_at, "
    "ipaddr, country, device, os, browser, source, rejected, payout_micros, revenue_micros, params, day, "
    "referer_host, is_unique) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
_LOCK_CAMPAIGN = Statement("SELECT id FROM trackier_campaigns WHERE id = ? FOR UPDATE")
_PAUSE_CAMPAIGN = Statement("UPDATE trackier_campaigns SET status = 'paused' WHERE id = ?")


# A click consults only its own day's keys, so the keys of days over in every time zone (two
# days before today in UTC: no zone is more than 14 hours away) are pruned, a bounded number
# per transaction so that clicks never wait long for the write lock.
_PRUNE_VISITS = Statement(
    "DELETE FROM trackier_unique_clicks WHERE (day, campaign_id, publisher_id, address) IN "
    "(SELECT day, campaign_id, publisher_id, address FROM trackier_unique_clicks WHERE day < ? LIMIT ?)")


def prune_visits(db: Db, now: float, limit: int) -> int:
    """Delete up to `limit` unique-click keys of days no click can still fall on; returns how
    many went."""
    return db.run(_PRUNE_VISITS, (local_day_of(now - 2 * 86400, "UTC").key, limit)).rowcount


def _visit_key(visit: Sequence) -> tuple:
    return tuple(visit[:4])


def store_clicks(db: Db, clicks: list[Click]) -> list[str | None]:
    """Store checked clicks in the caller's transaction (a group commit's batch, or one click);
    returns each click's refusal (None: accepted), which the click caps may have set.

    Order, so that two workers' batches on PostgreSQL never wait on each other in a cycle: the
    campaigns with click caps are locked first, by id; then the unique-click keys are inserted,
    sorted; then the capped clicks are counted and stored one by one (each sees the ones before
    it), and the rest are stored with one executemany."""
    capped: list[Click] = []
    rest: list[Click] = []
    for click in clicks:
        (capped if click.click_caps else rest).append(click)
    if capped and db.dialect == "postgresql":
        for campaign_id in sorted({click.target.campaign_id for click in capped}):
            db.one(_LOCK_CAMPAIGN, (campaign_id,))  # one batch at a time against the caps
    # sorted by key (the first click of a key stays first: its click is the unique one)
    visits = sorted((click.visit() for click in clicks), key=_visit_key)
    unique = {row[0] for row in db.all(_INSERT_VISITS[db.dialect], (json.dumps(visits),))}
    for click in capped:
        target = click.target
        for cap in click.click_caps:
            if cap_reached(db, cap, campaign_id=target.campaign_id, publisher_object_id=target.publisher_object_id,
                           country=click.country, now=click.now, timezone=target.timezone, adding=1):
                click.refuse_by_cap()
                if cap.pause:
                    db.run(_PAUSE_CAMPAIGN, (target.campaign_id,))
                break
        db.run(_INSERT_CLICK, (*click.row, click.click_id in unique))
        summary.add_clicks(db, _click_totals([click], unique))  # the next capped click counts it
    if rest:
        db.many(_INSERT_CLICK, [(*click.row, click.click_id in unique) for click in rest])
        summary.add_clicks(db, _click_totals(rest, unique))
    accepted = [click.click_id for click in clicks if click.rejected is None]
    if accepted:
        summary.add_click_meta(db, accepted)
    return [click.rejected for click in clicks]


def store_or_spool_clicks(db: Db, clicks: list[Click]) -> list[str | None]:
    """The live clicks of a group commit's batch, in the caller's transaction: those that count
    against click caps are stored at once (the next one's cap counts them), the rest go to the
    spool (spool.py). Returns each click's refusal, as store_clicks."""
    capped: list[Click] = []
    spooled: list[list] = []
    for click in clicks:
        if click.click_caps:
            capped.append(click)
        else:
            spooled.append(click.row)
    if capped:
        store_clicks(db, capped)
    if spooled:
        spool.spool(db, spooled)
    return [click.rejected for click in clicks]


def _click_totals(clicks: list[Click], unique: set[str]) -> dict[tuple, list[int]]:
    """The daily summary's click sums of some clicks, one entry per campaign, publisher and day."""
    totals: dict[tuple, list[int]] = {}
    for click in clicks:
        row = click.row
        key = (row[1], row[_ROW_CAMPAIGN], row[_ROW_PUBLISHER], row[_ROW_DAY])
        sums = totals.get(key)
        if sums is None:
            sums = totals[key] = [0, 0, 0, 0, 0]
        if click.rejected is None:
            sums[0] += 1
            sums[1] += click.click_id in unique
            sums[3] += row[_ROW_PAYOUT]
            sums[4] += row[_ROW_REVENUE]
        else:
            sums[2] += 1
    return totals


class ClickResult(NamedTuple):
    click_id: str
    rejected: str | None
    destination: str | None  # None: a blank page


def record_click(db: Db, clock: Clock, target: Target, setup: CampaignSetup, who: Visitor, query: dict[str, str],
                 *, user_agent: str, referer: str | None) -> ClickResult:
    """Check and record one click in the caller's transaction (the demo's traffic; live clicks
    go through the group commit, collect.py) and choose its destination."""
    click = prepare_click(clock, target, setup, who, query, user_agent=user_agent, referer=referer)
    store_clicks(db, [click])
    return ClickResult(click.click_id, click.rejected, click.destination())


_INSERT_IMPRESSION = Statement(
    "INSERT INTO trackier_impressions (object_id, network_id, campaign_id, publisher_id, created_at, country, "
    "device, os, day) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")


def record_impression(db: Db, clock: Clock, target: Target, who: Visitor) -> None:
    now = clock.timestamp()
    day = local_day(now, target.timezone)
    db.run(_INSERT_IMPRESSION, (new_object_id(clock), target.network_id, target.campaign_id, target.publisher_id,
                                now, who.country, who.device, who.os[:64], day))
    summary.add_impression(db, target.network_id, target.campaign_id, target.publisher_id, day)


# --- conversions ------------------------------------------------------------------------------

class ClickRow(NamedTuple):
    id: int
    object_id: str
    campaign_id: int
    publisher_id: int
    created_at: float
    country: str
    rejected: str | None
    campaign_object_id: str
    comm_model: str
    cookie_duration: int
    network_id: int
    publisher_object_id: str
    publisher_display_id: int
    timezone: str
    security_token: str | None
    advertiser_id: int


_CLICK = ("SELECT k.id, k.object_id, k.campaign_id, k.publisher_id, k.created_at, k.country, k.rejected, "
          "c.object_id, c.comm_model, c.cookie_duration, c.network_id, u.object_id, u.display_id, n.timezone, "
          "n.security_token, c.advertiser_id FROM trackier_clicks k JOIN trackier_campaigns c ON c.id = k.campaign_id "
          "JOIN trackier_users u ON u.id = k.publisher_id JOIN trackier_networks n ON n.id = k.network_id ")
_CLICK_BY_ID = Statement(_CLICK + "WHERE k.object_id = ? AND NOT c.deleted")
_INSERT_CONVERSION = Statement(
    "INSERT INTO trackier_conversions (object_id, network_id, click_id, campaign_id, publisher_id, goal_id, "
    "goal_slot, created_at, status, method, txn_id, sale_micros, currency, payout_micros, revenue_micros, ipaddr, "
    "note, params, day) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT DO NOTHING RETURNING id")


def find_click(db: Db, click_object_id: str) -> ClickRow | None:
    if not re.fullmatch(r"[0-9a-fA-F]{24}", click_object_id or ""):
        return None
    row = db.one(_CLICK_BY_ID, (click_object_id.lower(),))
    return None if row is None else ClickRow._make(tuple(row))


class Conversion(NamedTuple):
    id: int
    object_id: str
    status: str
    payout: int
    revenue: int


def record_conversion(db: Db, clock: Clock, click: ClickRow, setup: CampaignSetup, query: dict[str, str], *,
                      method: str, ipaddr: str | None, referer: str | None = None,
                      window: bool = True) -> Conversion:
    """Price and store one conversion of a click (in the caller's transaction, which on
    PostgreSQL locks the campaign first so caps count one conversion at a time). Raises Refused
    for an expired click, an unknown goal, a bad amount, or a duplicate (the same click and
    goal, or the same campaign and txn_id). `window`: enforce the attribution window (the
    network's imports do not)."""
    now = clock.timestamp()
    if click.rejected is not None:
        raise Refused("Invalid click")
    if window and expired(click.created_at, now, click.cookie_duration):
        raise Refused("Click expired")
    goal = None
    goal_value, goal_ident = (query.get("goal_value") or "").strip(), (query.get("goal_id") or "").strip().lower()
    if goal_value or goal_ident:
        goal = next((g for g in setup.goals if (goal_value and g.value == goal_value)
                     or (goal_ident and g.object_id == goal_ident)), None)
        if goal is None:
            raise Refused("Invalid goal")
        if click.publisher_display_id in goal.blacklist or (
                goal.whitelist and click.publisher_display_id not in goal.whitelist):
            raise Refused("Goal not allowed for this publisher")
    problems: fields.Problems = {}
    sale = fields.money(query, "sale_amount", problems)
    dynamic_revenue = fields.money(query, "revenue", problems)
    status = fields.choice(query, "status", problems, CONVERSION_STATUSES) or "approved"
    txn_id = fields.text(query, "txn_id", problems) or None
    currency = fields.text(query, "currency", problems, max_length=3)
    if problems:
        raise Refused("Invalid " + ", ".join(sorted(problems)))
    payout, revenue = price_conversion(setup, click.publisher_object_id, goal, click.country, sale)
    if dynamic_revenue is not None:
        revenue = dynamic_revenue
    if db.dialect == "postgresql":
        db.one(_LOCK_CAMPAIGN, (click.campaign_id,))
    note = None
    if status in CAPPED_STATUSES:
        for cap in setup.caps:
            if cap.type not in CAPPED_STATUSES[status]:
                continue
            adding = {"payout": payout, "revenue": revenue, "pendingPayout": payout,
                      "pendingRevenue": revenue}.get(cap.type, 1)
            if cap_reached(db, cap, campaign_id=click.campaign_id, publisher_object_id=click.publisher_object_id,
                           country=click.country, now=now, timezone=click.timezone, adding=adding):
                status, note = "rejected", "Cap reached"
                if cap.pause:
                    db.run(_PAUSE_CAMPAIGN, (click.campaign_id,))
                break
    params = {name: query[name][:255] for name in CONVERSION_PARAMS if query.get(name)}
    if referer:
        params["referer"] = referer[:1024]
    object_id = new_object_id(clock)
    row = db.one(_INSERT_CONVERSION, (
        object_id, click.network_id, click.id, click.campaign_id, click.publisher_id, goal.id if goal else None,
        goal.id if goal else 0, now, status, method, txn_id, sale, (currency or "").upper() or None, payout, revenue,
        ipaddr, note, json.dumps(params), local_day(now, click.timezone)))
    if row is None:
        raise Refused("Duplicate conversion")
    summary.add_conversion(db, row[0])
    return Conversion(row[0], object_id, status, payout, revenue)
