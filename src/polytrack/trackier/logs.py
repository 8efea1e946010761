"""Conversion logs and click logs: recorded events as rows of Trackier's columns.

Addresses are shown truncated to their /24 (`180.151.244.0`; IPv6 to its /48), as Trackier's
reports show them. Columns nothing records (city, ISP, device ids, managers ...) are null.
"""

from __future__ import annotations

import ipaddress
import json
import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Iterable

from sqlalchemy import BigInteger, ColumnElement, and_, case, cast, false, func, or_, select, true
from sqlalchemy.dialects.postgresql import JSONB

from polytrack.kernel.dates import zone
from polytrack.kernel.sql import Db
from polytrack.trackier.domain import Network
from polytrack.trackier.fields import MICROS, as_number
from polytrack.trackier.reports import Range
from polytrack.trackier.shapes import php_date
from polytrack.trackier.tables import (
    trackier_campaigns, trackier_clicks, trackier_conversions, trackier_goals, trackier_landing_pages, trackier_users,
)

CONVERSION_COLUMNS = {
    "cid": "Click ID", "source": "Source", "elapsed_time": "Click to Conversion Time", "method": "Conversion Method",
    "sale": "Sale Amount", "ipaddr": "IP Address", "city": "City", "isp": "ISP",
    **{f"p{n}": f"P{n}" for n in range(1, 11)}, **{f"sub{n}": f"SUB{n}" for n in range(1, 11)},
    "os": "OS", "type": "Type", "txnId": "Txn ID", "urlId": "URL ID", "device_id": "Device ID", "note": "Note",
    "payout": "Payout", "revenue": "Revenue", "ro": "Referrer Campaign", "gaid": "GAID", "idfa": "IDFA",
    "app_id": "App ID", "app_name": "App Name", "aid": "Android ID", "cr_name": "Creative Name", "sl": "Smart Link",
    "adid": "Campaign", "pid": "Publisher", "country": "Country (GEO)", "browser": "Browser", "device": "Device",
    "_id": "ID", "created": "Created", "status": "Status", "clickIp": "Click IP", "advertiser_id": "Advertiser ID",
    "advertiser_long_id": "Advertiser Long ID", "advertiser_name": "Advertiser Name", "publisher_id": "Publisher ID",
    "publisher_long_id": "Publisher Long ID", "publisher_name": "Publisher Name", "campaign_id": "Campaign ID",
    "campaign_long_id": "Campaign Long ID", "campaign_name": "Campaign Name", "goal_id": "Goal ID",
    "goal_name": "Goal Title", "url_long_id": "URL Long ID", "url_title": "URL Title",
}
DEFAULT_CONVERSION_FIELDS = ["source", "cid", "method", "isp", "revenue", "app_name", "payout", "status", "clickIp",
                             "created", "_id"]
CLICK_FIELD_MAP = {
    "_id": "Click ID", "source": "Source", "ipaddr": "IP Address", "ua": "User Agent", "cookie": "Cookie",
    "os": "Operating System (OS)", "city": "City", "isp": "Carrier (ISP)", **{f"p{n}": f"P{n}" for n in range(1, 11)},
    "note": "Note", "gaid": "GAID", "idfa": "IDFA", "app_id": "App ID", "app_name": "App Name", "aid": "Android ID",
    "cr_name": "Creative Name", "sl": "Smart Link", "payout": "Payout", "revenue": "Revenue", "country": "Country",
    "browser": "Browser", "referer": "Referrer", "device": "Device", "created": "Created",
    "campaign_id": "Campaign ID", "campaign_long_id": "Campaign Long ID", "campaign_title": "Campaign Title",
    "publisher_id": "Publisher ID", "publisher_long_id": "Publisher Long ID", "publisher_name": "Publisher Name",
    "lp": "Landing Page", "lp_id": "Landing Page ID", "lp_long_id": "Landing Page Long ID",
}
DEFAULT_CLICK_FIELDS = ["_id", "p1", "ipaddr", "campaign_id", "publisher_id", "country", "device", "browser", "created"]
# asking for one of these brings its companions, as Trackier does
CLICK_COMPANIONS = {"campaign_id": ("campaign_long_id", "campaign_title"),
                    "publisher_id": ("publisher_long_id", "publisher_name")}
CLICK_ALWAYS = ("lp", "lp_id", "lp_long_id", "sl")

K, V, C = trackier_clicks, trackier_conversions, trackier_campaigns
PUBLISHER, ADVERTISER = trackier_users.alias("publisher"), trackier_users.alias("advertiser")
G, L = trackier_goals, trackier_landing_pages


def truncated(address: str | None) -> str | None:
    """An address as the reports show it: the /24 network (IPv6: /48)."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return address
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False).network_address)


def local_time(timestamp: float, network: Network) -> str:
    return datetime.fromtimestamp(timestamp, zone(network.timezone)).strftime("%Y-%m-%d %H:%M:%S")


# --- conversions ------------------------------------------------------------------------------

def conversion_page(db: Db, network: Network, period: Range, *, campaigns=(), publishers=(), advertiser=None,
                    click_ids=(), conversion_ids=(), matches: Iterable[tuple[str, str]] = (), limit: int,
                    page: int) -> tuple[list, int]:
    """(one page of the period's conversions that pass the filters, newest first, with all they
    are shown with; how many pass). `matches`: (column, the text its shown value must be), see
    `column_matches`."""
    tables = (V.join(K, K.c.id == V.c.click_id).join(C, C.c.id == V.c.campaign_id)
              .join(PUBLISHER, PUBLISHER.c.id == V.c.publisher_id)
              .join(ADVERTISER, ADVERTISER.c.id == C.c.advertiser_id)
              .outerjoin(G, G.c.id == V.c.goal_id).outerjoin(L, L.c.id == K.c.landing_page_id))
    where = [V.c.network_id == network.id, V.c.day >= period.first, V.c.day <= period.last]
    if campaigns:
        where.append(V.c.campaign_id.in_(campaigns))
    if publishers:
        where.append(V.c.publisher_id.in_(publishers))
    if advertiser is not None:
        where.append(C.c.advertiser_id == advertiser)
    if click_ids:
        where.append(K.c.object_id.in_([c.lower() for c in click_ids]))
    if conversion_ids:
        where.append(V.c.object_id.in_([c.lower() for c in conversion_ids]))
    where += [column_matches(db.dialect, column, wanted) for column, wanted in matches]
    total = db.execute(select(func.count()).select_from(tables).where(*where)).scalar_one()
    rows = db.execute(
        select(V, K.c.object_id.label("click_object_id"), K.c.source, K.c.params.label("click_params"),
               K.c.created_at.label("click_created_at"), K.c.ipaddr.label("click_ipaddr"), K.c.os, K.c.device,
               K.c.browser, K.c.country, C.c.title, C.c.display_id.label("campaign_display_id"),
               C.c.object_id.label("campaign_object_id"), PUBLISHER.c.name.label("publisher_name"),
               PUBLISHER.c.display_id.label("publisher_display_id"),
               PUBLISHER.c.object_id.label("publisher_object_id"), ADVERTISER.c.name.label("advertiser_name"),
               ADVERTISER.c.display_id.label("advertiser_display_id"),
               ADVERTISER.c.object_id.label("advertiser_object_id"), G.c.object_id.label("goal_object_id"),
               G.c.title.label("goal_title"), L.c.int_id, L.c.object_id.label("lp_object_id"),
               L.c.title.label("lp_title"))
        .select_from(tables).where(*where).order_by(V.c.created_at.desc(), V.c.id.desc())
        .limit(limit).offset((page - 1) * limit)).all()
    return list(rows), total


# --- filtering by a column's shown value (query[]) ----------------------------------------------
#
# `?query[]=sub2&sub2=x` keeps the conversions whose record shows "x" in that column: the value as
# conversion_record gives it, as text (a number as JSON writes it, an address truncated to its
# network), a blank value matching a null or empty one. Each column's condition is worked out in
# SQL, so the filters and the paging are the database's.

TEXT_COLUMNS = {
    "cid": K.c.object_id, "source": K.c.source, "method": V.c.method, "os": K.c.os, "txnId": V.c.txn_id,
    "note": V.c.note, "adid": C.c.title, "pid": PUBLISHER.c.name, "country": K.c.country, "browser": K.c.browser,
    "device": K.c.device, "_id": V.c.object_id, "status": V.c.status, "advertiser_long_id": ADVERTISER.c.object_id,
    "advertiser_name": ADVERTISER.c.name, "publisher_long_id": PUBLISHER.c.object_id,
    "publisher_name": PUBLISHER.c.name, "campaign_long_id": C.c.object_id, "campaign_name": C.c.title,
    "goal_id": G.c.object_id, "goalId": G.c.object_id, "goal_name": G.c.title, "url_long_id": L.c.object_id,
    "url_title": L.c.title,
}
INTEGER_COLUMNS = {"advertiser_id": ADVERTISER.c.display_id, "publisher_id": PUBLISHER.c.display_id,
                   "campaign_id": C.c.display_id, "urlId": L.c.int_id}
MONEY_COLUMNS = {"sale": V.c.sale_micros, "payout": V.c.payout_micros, "revenue": V.c.revenue_micros}
ADDRESS_COLUMNS = {"ipaddr": V.c.ipaddr, "clickIp": K.c.ipaddr, "click_ip": K.c.ipaddr}
# columns read from the JSON parameters: (the conversion's, the click's) key; the conversion's
# wins when it is not blank
PARAM_COLUMNS = {
    **{f"p{n}": (None, f"p{n}") for n in range(1, 11)}, **{f"sub{n}": (f"sub{n}", None) for n in range(1, 11)},
    "gaid": ("gaid", "gaid"), "idfa": ("idfa", "idfa"), "app_id": (None, "app_id"), "app_name": (None, "app_name"),
    "cr_name": (None, "cr_name"), "sl": (None, "sl"), "referer": ("referer", None), "cref": (None, "referer"),
    "click_ua": (None, "ua"),
}
# what nothing records: always null
NULL_COLUMNS = ("city", "isp", "device_id", "ro", "aid", "region", "brand", "conn", "lat", "long")
# `created` is not a filter (start and end are); elapsed_time and type are worked out below
FILTERABLE = (set(TEXT_COLUMNS) | set(INTEGER_COLUMNS) | set(MONEY_COLUMNS) | set(ADDRESS_COLUMNS)
              | set(PARAM_COLUMNS) | set(NULL_COLUMNS) | {"elapsed_time", "type"})


def _blank(expression) -> ColumnElement:
    return or_(expression.is_(None), expression == "")


def _text_match(expression, wanted: str) -> ColumnElement:
    return _blank(expression) if wanted == "" else expression == wanted


def _param(dialect: str, column, key: str):
    """A key of a JSON object stored as text, as text (null when absent)."""
    if dialect == "postgresql":
        return cast(column, JSONB)[key].astext
    return func.json_extract(column, f"$.{key}")


def column_matches(dialect: str, column: str, wanted: str) -> ColumnElement:
    """The condition that the conversion's `column` shows `wanted` (see above); false for a value
    the column can never show (a number written otherwise than JSON writes it)."""
    if column in TEXT_COLUMNS:
        return _text_match(TEXT_COLUMNS[column], wanted)
    if column in PARAM_COLUMNS:
        own, click = PARAM_COLUMNS[column]
        found = [_param(dialect, table, key) for table, key in ((V.c.params, own), (K.c.params, click)) if key]
        expression = found[0] if len(found) == 1 else case((_blank(found[0]), found[1]), else_=found[0])
        return _text_match(expression, wanted)
    if column in NULL_COLUMNS:
        return true() if wanted == "" else false()
    if column in INTEGER_COLUMNS or column == "elapsed_time":
        expression = INTEGER_COLUMNS.get(column)
        if expression is None:  # whole seconds, truncated as int() does
            difference = V.c.created_at - K.c.created_at
            expression = cast(func.trunc(difference) if dialect == "postgresql" else difference, BigInteger)
        if wanted == "":
            return expression.is_(None)
        return expression == int(wanted) if re.fullmatch(r"-?(?:0|[1-9][0-9]{0,17})", wanted) else false()
    if column in MONEY_COLUMNS:
        if wanted == "":
            return MONEY_COLUMNS[column].is_(None)
        micros = _micros(wanted)
        return MONEY_COLUMNS[column] == micros if micros is not None else false()
    if column in ADDRESS_COLUMNS:
        return _address_match(ADDRESS_COLUMNS[column], wanted)
    if column == "type":
        shown = case((and_(V.c.goal_id.isnot(None), V.c.sale_micros.isnot(None), V.c.sale_micros != 0), "sale"),
                     (V.c.goal_id.isnot(None), "goal"), else_="default")
        return shown == wanted
    raise ValueError(f"not a filterable column: {column}")


def _micros(text: str) -> int | None:
    """The micros an amount shows as `text` (as_number's JSON form), else None."""
    try:
        amount = Decimal(text) * MICROS
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount != amount.to_integral_value() or abs(amount) >= 2**63:
        return None
    micros = int(amount)
    return micros if str(as_number(micros)) == text else None


def _address_match(column, wanted: str) -> ColumnElement:
    """Addresses shown as `wanted`: an IPv4 /24 is shown for exactly its 256 addresses; an IPv6
    /48 for the addresses beginning with its first three groups as RFC 5952 writes them (as
    servers give client addresses); text that is no address only for the same stored text."""
    if wanted == "":
        return _blank(column)
    try:
        address = ipaddress.ip_address(wanted)
    except ValueError:
        return column == wanted
    if truncated(wanted) != wanted:
        return false()  # an address no network is shown as
    if address.version == 4:
        base = wanted.rsplit(".", 1)[0]
        return column.in_([f"{base}.{n}" for n in range(256)])
    groups = address.exploded.split(":")[:3]
    short = [format(int(group, 16), "x") for group in groups]
    prefixes = {":".join(short) + ":"}
    while short and short[-1] == "0":  # trailing zero groups: compressed as "::" in canonical text
        short.pop()
        prefixes.add(":".join(short) + "::")
    return or_(*(column.startswith(prefix, autoescape=True) for prefix in prefixes))


def conversion_record(row, network: Network) -> dict:
    """Every column of a conversion row (the caller picks the requested ones)."""
    click_params, params = json.loads(row.click_params), json.loads(row.params)
    found: dict = {
        "cid": row.click_object_id, "source": row.source, "elapsed_time": int(row.created_at - row.click_created_at),
        "method": row.method, "sale": as_number(row.sale_micros), "ipaddr": truncated(row.ipaddr), "city": None,
        "isp": None, "os": row.os,
        "type": "sale" if row.goal_id and row.sale_micros else "goal" if row.goal_id else "default",
        "txnId": row.txn_id, "urlId": row.int_id, "device_id": None, "note": row.note,
        "payout": as_number(row.payout_micros), "revenue": as_number(row.revenue_micros), "ro": None,
        "gaid": params.get("gaid") or click_params.get("gaid"), "idfa": params.get("idfa") or click_params.get("idfa"),
        "app_id": click_params.get("app_id"), "app_name": click_params.get("app_name"), "aid": None,
        "cr_name": click_params.get("cr_name"), "sl": click_params.get("sl"), "adid": row.title,
        "pid": row.publisher_name, "country": row.country, "browser": row.browser, "device": row.device,
        "_id": row.object_id, "created": php_date(row.created_at, network.timezone), "status": row.status,
        "clickIp": truncated(row.click_ipaddr), "advertiser_id": row.advertiser_display_id,
        "advertiser_long_id": row.advertiser_object_id, "advertiser_name": row.advertiser_name,
        "publisher_id": row.publisher_display_id, "publisher_long_id": row.publisher_object_id,
        "publisher_name": row.publisher_name, "campaign_id": row.campaign_display_id,
        "campaign_long_id": row.campaign_object_id, "campaign_name": row.title, "goal_id": row.goal_object_id,
        "goal_name": row.goal_title, "url_long_id": row.lp_object_id, "url_title": row.lp_title,
        "referer": params.get("referer"),
        # the affiliate report's extra columns
        "click_ip": truncated(row.click_ipaddr), "region": None, "goalId": row.goal_object_id,
        "cref": click_params.get("referer"), "brand": None, "conn": None, "click_ua": click_params.get("ua"),
        "lat": None, "long": None,
    }
    for n in range(1, 11):
        found[f"p{n}"] = click_params.get(f"p{n}")
        found[f"sub{n}"] = params.get(f"sub{n}")
    return found


# --- clicks -----------------------------------------------------------------------------------

def click_page(db: Db, network: Network, period: Range, *, campaigns=(), publishers=(), limit: int, page: int
               ) -> tuple[list, int]:
    """(one page of clicks, newest first; how many match)."""
    where = [K.c.network_id == network.id, K.c.day >= period.first, K.c.day <= period.last]
    if campaigns:
        where.append(K.c.campaign_id.in_(campaigns))
    if publishers:
        where.append(K.c.publisher_id.in_(publishers))
    total = db.execute(select(func.count()).select_from(K).where(*where)).scalar_one()
    rows = db.execute(
        select(K, C.c.title, C.c.display_id.label("campaign_display_id"), C.c.object_id.label("campaign_object_id"),
               PUBLISHER.c.name.label("publisher_name"), PUBLISHER.c.display_id.label("publisher_display_id"),
               PUBLISHER.c.object_id.label("publisher_object_id"), L.c.int_id, L.c.object_id.label("lp_object_id"),
               L.c.title.label("lp_title"))
        .select_from(K.join(C, C.c.id == K.c.campaign_id).join(PUBLISHER, PUBLISHER.c.id == K.c.publisher_id)
                     .outerjoin(L, L.c.id == K.c.landing_page_id))
        .where(*where).order_by(K.c.created_at.desc(), K.c.id.desc()).limit(limit).offset((page - 1) * limit)).all()
    return list(rows), total


def click_record(row, network: Network) -> dict:
    params = json.loads(row.params)
    found = {
        "_id": row.object_id, "source": row.source or "", "ipaddr": truncated(row.ipaddr), "ua": params.get("ua"),
        "cookie": None, "os": row.os, "city": None, "isp": None, "note": row.rejected, "gaid": params.get("gaid"),
        "idfa": params.get("idfa"), "app_id": params.get("app_id"), "app_name": params.get("app_name"), "aid": None,
        "cr_name": params.get("cr_name"), "sl": params.get("sl", ""), "payout": as_number(row.payout_micros),
        "revenue": as_number(row.revenue_micros), "country": row.country, "browser": row.browser,
        "referer": params.get("referer"), "device": row.device, "created": local_time(row.created_at, network),
        "campaign_id": row.campaign_display_id, "campaign_long_id": row.campaign_object_id,
        "campaign_title": row.title, "publisher_id": row.publisher_display_id,
        "publisher_long_id": row.publisher_object_id, "publisher_name": row.publisher_name,
        "lp": row.lp_title, "lp_id": row.int_id, "lp_long_id": row.lp_object_id,
    }
    for n in range(1, 11):
        found[f"p{n}"] = params.get(f"p{n}", "")
    return found
