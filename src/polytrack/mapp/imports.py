"""importData, exportData and deleteTvData over the imported categories (`mapp_categories`).

An upload is a 2-D array: row 0 the headlines, then one row per key (the first column). Each
other column is stored as a cell (key, column name, value); uploading a key again replaces the
cells of the columns it names, and an empty value deletes that cell. Campaign uploads
(`campaigns`, `campaigns_time`) follow the vendor's layout: `Action (delete, suggest)`,
`Advertising Media Title*`, `DataSourceType (...)`, `DataSourceValue*`, keyed by the media code
(DataSourceValue); action `delete` deletes the media code's campaign.

Time-dependent uploads (`*_time`) may have a `Valid from` and a `Valid to` column (German
`Gültig ab`, `Gültig bis`): dates or dates and times in the account's time zone, from the start
of the day / through the end of the day (or that second); empty: from always / open. A `Date`
column (`Datum`, `Day`, `Tag`) stands for both: a value for that day. A cell is
then one version of its key and column; uploading the same key, column and `Valid from` again
replaces that version. exportData lists each version as a row with its validity.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import and_, delete, func, insert, literal, null, or_, select, union

from polytrack.kernel.clock import Clock
from polytrack.kernel.dates import DateError, parse_ymd_or_datetime
from polytrack.kernel.sql import Db
from polytrack.mapp.analysis import categories
from polytrack.mapp.analysis.categories import column_name
from polytrack.mapp.rpc import RpcError, invalid_parameter
from polytrack.mapp.tables import mapp_categories, mapp_daily_fresh, mapp_hits

UPLOAD_TYPES = ("content_categories", "content_categories_time", "customer_categories", "customer_categories_deid",
                "media_categories", "basket_categories", "basket_categories_time", "product_categories", "campaigns",
                "campaigns_time", "ecommerce_parameters", "time_categories", "session_parameter_tv")
# export type -> (the upload type its cells come from, its first column, the hit column whose
# values are listed even without cells, if the pixel collects that key)
EXPORT_TYPES: dict[str, tuple[str, str, Any]] = {
    "content_categories": ("content_categories", "Pages", mapp_hits.c.page),
    "content_categories_time": ("content_categories_time", "Pages", mapp_hits.c.page),
    "page_urls": ("content_categories", "Page URLs", mapp_hits.c.page_url),
    "customer_categories": ("customer_categories", "Customer", mapp_hits.c.customer),
    "media_categories": ("media_categories", "Media", None),
    "media_playtime": ("media_categories", "Media", None),
    "basket_categories": ("basket_categories", "Products", None),
    "basket_categories_time": ("basket_categories_time", "Products", None),
    "product_urls": ("basket_categories", "Product URLs", None),
    "campaigns": ("campaigns", "DataSourceValue*", None),
    "campaigns_time": ("campaigns_time", "DataSourceValue*", None),
    "ecommerce_parameters": ("ecommerce_parameters", "Order ID", None),
    "time_categories": ("time_categories", "Time (YYYY-MM-DD HH)", None),  # the key Mapp documents
}
CAMPAIGN_TYPES = ("campaigns", "campaigns_time")
TIMED_TYPES = ("content_categories_time", "basket_categories_time", "campaigns_time")
ECOMMERCE_TYPE = "ecommerce_parameters"
PRODUCT_HEADLINE = "Productname"  # multi-value e-commerce parameters' second key, as the vendor names it
# the validity columns of time-dependent uploads, as exportData writes them and in German
VALID_FROM, VALID_TO = "Valid from", "Valid to"
_VALID_FROM = re.compile(r"^\s*(?:valid from|gültig ab)\s*$", re.IGNORECASE)
_VALID_TO = re.compile(r"^\s*(?:valid to|valid until|gültig bis)\s*$", re.IGNORECASE)
# a value per day (how Mapp describes time-based categories): valid from and through that date
_VALID_ON = re.compile(r"^\s*(?:date|datum|day|tag)\s*$", re.IGNORECASE)
MAX_ROWS = 10_000
MAX_KEY_CHARS = 400     # keys and names are indexed: PostgreSQL's index entries stay small
MAX_VALUE_CHARS = 1000
TV_MESSAGE = "Deleting Tv Data initiated"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float, str)):
        return str(value).replace("\x00", "").strip()[:MAX_VALUE_CHARS]
    raise invalid_parameter("uploadData")


def _epoch_ms(moment: datetime, account_zone: tzinfo) -> int:
    return int(moment.replace(tzinfo=account_zone).timestamp() * 1000)


def _validity(values: list[str], columns: tuple[int | None, int | None], account_zone: tzinfo) -> tuple[int, int | None]:
    """(valid_from_ms, valid_to_ms) of a row of a time-dependent upload: from the start of a
    date, through the end of a date (or of the second given); empty: 0 (always) / None (open)."""
    from_column, to_column = columns
    try:
        start = values[from_column] if from_column is not None else ""
        stop = values[to_column] if to_column is not None else ""
        valid_from = _epoch_ms(parse_ymd_or_datetime(start), account_zone) if start else 0
        valid_to = _epoch_ms(parse_ymd_or_datetime(stop, end_of_day=True), account_zone) + 999 if stop else None
    except DateError:
        raise invalid_parameter("uploadData") from None
    if valid_to is not None and valid_to < valid_from:
        raise invalid_parameter("uploadData")
    return valid_from, valid_to


def _validity_text(moment_ms: int, account_zone: tzinfo, *, end: bool) -> str:
    """How exportData writes a validity: a date when it is a day's start (an end: a day's last
    millisecond), else the date and time."""
    moment = datetime.fromtimestamp((moment_ms - 999 if end else moment_ms) / 1000, account_zone)
    whole_day = moment.time() == (datetime.max.time().replace(microsecond=0) if end else datetime.min.time())
    return moment.strftime("%Y-%m-%d" if whole_day else "%Y-%m-%d %H:%M:%S")


def import_data(db: Db, clock: Clock, account_id: int, account_zone: tzinfo, upload_type: str, rows: Any) -> list:
    if upload_type not in UPLOAD_TYPES:
        raise invalid_parameter("uploadType")
    if not isinstance(rows, list) or not rows or not all(isinstance(row, list) for row in rows):
        raise invalid_parameter("uploadData")
    if len(rows) - 1 > MAX_ROWS:
        raise RpcError("Too many rows", f"Too many rows (max. {MAX_ROWS})")
    headers = [_cell(header) for header in rows[0]]
    if len(headers) < 2 or not all(headers):
        raise invalid_parameter("uploadData")
    now = clock.timestamp()
    cells = []
    deleted_keys = []
    campaign = upload_type in CAMPAIGN_TYPES
    key_column = next((i for i, header in enumerate(headers) if header.lower().startswith("datasourcevalue")), None) if campaign else 0
    if key_column is None:
        raise invalid_parameter("uploadData")

    def column(pattern: re.Pattern) -> int | None:
        return next((i for i, header in enumerate(headers) if pattern.match(header)), None)

    validity_columns: tuple[int | None, int | None] = (None, None)
    not_cells = {key_column, *([0] if campaign else [])}
    if upload_type in TIMED_TYPES:
        valid_from, valid_to, valid_on = column(_VALID_FROM), column(_VALID_TO), column(_VALID_ON)
        validity_columns = (valid_from if valid_from is not None else valid_on, valid_to if valid_to is not None else valid_on)
        not_cells |= {index for index in (valid_from, valid_to, valid_on) if index is not None}
    # multi-value e-commerce parameters: keyed by order id and product
    product_column = column(categories.PRODUCT_COLUMN) if upload_type == ECOMMERCE_TYPE else None
    if product_column is not None:
        not_cells.add(product_column)
    for row in rows[1:]:
        values = [_cell(value) for value in row] + [""] * (len(headers) - len(row))
        key = values[key_column][:MAX_KEY_CHARS]
        if not key:
            continue
        if campaign and values[0].lower() == "delete":
            deleted_keys.append(key)
            continue
        valid_from, valid_to = _validity(values, validity_columns, account_zone)
        product = values[product_column][:MAX_KEY_CHARS] if product_column is not None else ""
        for index, header in enumerate(headers):
            if index not in not_cells:
                cells.append({"account_id": account_id, "upload_type": upload_type, "key": key, "product": product,
                              "name": column_name(header), "header": header[:300], "value": values[index],
                              "uploaded_at": now, "valid_from_ms": valid_from, "valid_to_ms": valid_to})
    table = mapp_categories
    for key in deleted_keys:
        db.execute(delete(table).where(table.c.account_id == account_id, table.c.upload_type == upload_type, table.c.key == key))
    for cell in cells:  # a cell of the same key, product, column and start is replaced
        db.execute(delete(table).where(table.c.account_id == account_id, table.c.upload_type == upload_type,
                                       table.c.name == cell["name"], table.c.key == cell["key"],
                                       table.c.product == cell["product"], table.c.valid_from_ms == cell["valid_from_ms"]))
    kept = [cell for cell in cells if cell["value"]]
    for start in range(0, len(kept), 1000):
        db.execute(insert(table).values(kept[start:start + 1000]))
    # the upload's columns are analysis objects: their pre-aggregates are computed again
    for prefix in categories.key_prefixes_of(upload_type):
        db.execute(delete(mapp_daily_fresh).where(mapp_daily_fresh.c.account_id == account_id,
                                                  mapp_daily_fresh.c.dimension.like(prefix + "%")))
    return []


def export_data(db: Db, account_id: int, account_zone: tzinfo, export_type: str, start_row: int, end_row: int, *,
                name_filter: str | None = None, empty_only: bool = False,
                window_ms: tuple[int, int] | None = None) -> list[list[str]]:
    """Row 0 the headlines, then rows start_row..end_row (1-based, inclusive) by key; for a
    time-dependent type one row per version of a key (its validity after the key), only the
    versions valid at some time of `window_ms` (epoch ms, inclusive) when it is given; for
    e-commerce parameters one row per order id and product (`Productname` after the order id,
    empty for single-value parameters)."""
    if export_type not in EXPORT_TYPES:
        raise invalid_parameter("type")
    upload_type, first_column, collected = EXPORT_TYPES[export_type]
    timed = upload_type in TIMED_TYPES
    per_product = upload_type == ECOMMERCE_TYPE
    table = mapp_categories
    of_type = and_(table.c.account_id == account_id, table.c.upload_type == upload_type)
    if timed and window_ms is not None:
        of_type = and_(of_type, table.c.valid_from_ms <= window_ms[1],
                       or_(table.c.valid_to_ms.is_(None), table.c.valid_to_ms >= window_ms[0]))
    columns: Any = db.execute(select(table.c.name, func.min(table.c.header)).where(of_type).group_by(table.c.name)
                         .order_by(table.c.name)).all()
    sources = [select(table.c.key.label("key"), table.c.product.label("product"), table.c.valid_from_ms.label("valid_from_ms"),
                      table.c.valid_to_ms.label("valid_to_ms")).where(of_type)]
    if collected is not None:  # the keys the pixel collected, with or without cells
        uncovered = [~collected.in_(select(table.c.key).where(of_type))] if timed else []  # a version is their row
        sources.append(select(collected.label("key"), literal("").label("product"), literal(0).label("valid_from_ms"),
                              null().label("valid_to_ms")).where(mapp_hits.c.account_id == account_id, collected != "",
                                                                 *uncovered))
    found = (union(*sources) if len(sources) > 1 else sources[0]).subquery("keys")
    query = select(found.c.key, found.c.product, found.c.valid_from_ms, found.c.valid_to_ms).distinct().order_by(
        found.c.key, found.c.product, found.c.valid_from_ms)
    if name_filter and name_filter != "*":
        pattern = name_filter.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").replace("*", "%")
        query = query.where(func.lower(found.c.key).like(pattern.lower(), escape="\\"))
    if empty_only:
        query = query.where(~found.c.key.in_(select(table.c.key).where(of_type)))
    page: Any = db.execute(query.offset(start_row - 1).limit(end_row - start_row + 1)).all()
    cells: dict[tuple[str, str, int, str], str] = {}
    if page and columns:
        found_cells: Any = db.execute(select(table.c.key, table.c.product, table.c.valid_from_ms, table.c.name,
                                             table.c.value).where(of_type, table.c.key.in_({row[0] for row in page})))
        for key, product, valid_from, name, value in found_cells:
            cells[(key, product, valid_from, name)] = value
    head = [first_column, *([PRODUCT_HEADLINE] if per_product else []), *([VALID_FROM, VALID_TO] if timed else []),
            *(header for _, header in columns)]
    rows = []
    for key, product, valid_from, valid_to in page:
        validity = [_validity_text(valid_from, account_zone, end=False) if valid_from else "",
                    _validity_text(valid_to, account_zone, end=True) if valid_to is not None else ""] if timed else []
        rows.append([key, *([product] if per_product else []), *validity,
                     *(cells.get((key, product, valid_from, name), "") for name, _ in columns)])
    return [head, *rows]


def delete_tv_data(db: Db, account_id: int, start: float, stop: float) -> list[str]:
    """TV data is what was uploaded as `session_parameter_tv`: the cells uploaded between start
    and stop (epoch seconds) go."""
    db.execute(delete(mapp_categories).where(mapp_categories.c.account_id == account_id,
                                             mapp_categories.c.upload_type == "session_parameter_tv",
                                             mapp_categories.c.uploaded_at >= start, mapp_categories.c.uploaded_at <= stop))
    return [TV_MESSAGE]

