"""importData, exportData and deleteTvData over the imported categories (`mapp_categories`).

An upload is a 2-D array: row 0 the headlines, then one row per key (the first column). Each
other column is stored as a cell (key, column name, value); uploading a key again replaces the
cells of the columns it names, and an empty value deletes that cell. Campaign uploads
(`campaigns`, `campaigns_time`) follow the vendor's layout: `Action (delete, suggest)`,
`Advertising Media Title*`, `DataSourceType (...)`, `DataSourceValue*`, keyed by the media code
(DataSourceValue); action `delete` deletes the media code's campaign.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, delete, func, insert, select, union

from polytrack.kernel.clock import Clock
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
    "time_categories": ("time_categories", "Days", None),
}
CAMPAIGN_TYPES = ("campaigns", "campaigns_time")
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


def import_data(db: Db, clock: Clock, account_id: int, upload_type: str, rows: Any) -> list:
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
    for row in rows[1:]:
        values = [_cell(value) for value in row] + [""] * (len(headers) - len(row))
        key = values[key_column][:MAX_KEY_CHARS]
        if not key:
            continue
        if campaign and values[0].lower() == "delete":
            deleted_keys.append(key)
            continue
        for index, header in enumerate(headers):
            if index != key_column and not (campaign and index == 0):
                cells.append((key, column_name(header), header[:300], values[index]))
    table = mapp_categories
    for key in deleted_keys:
        db.execute(delete(table).where(table.c.account_id == account_id, table.c.upload_type == upload_type, table.c.key == key))
    for key, name, header, value in cells:
        db.execute(delete(table).where(table.c.account_id == account_id, table.c.upload_type == upload_type,
                                       table.c.name == name, table.c.key == key))
    kept = [{"account_id": account_id, "upload_type": upload_type, "key": key, "name": name, "header": header,
             "value": value, "uploaded_at": now} for key, name, header, value in cells if value]
    for start in range(0, len(kept), 1000):
        db.execute(insert(table).values(kept[start:start + 1000]))
    # the upload's columns are analysis objects: their pre-aggregates are computed again
    prefix = categories.key_prefix_of(upload_type)
    if prefix is not None:
        db.execute(delete(mapp_daily_fresh).where(mapp_daily_fresh.c.account_id == account_id,
                                                  mapp_daily_fresh.c.dimension.like(prefix + "%")))
    return []


def export_data(db: Db, account_id: int, export_type: str, start_row: int, end_row: int, *, name_filter: str | None = None,
                empty_only: bool = False) -> list[list[str]]:
    """Row 0 the headlines, then rows start_row..end_row (1-based, inclusive) by key."""
    if export_type not in EXPORT_TYPES:
        raise invalid_parameter("type")
    upload_type, first_column, collected = EXPORT_TYPES[export_type]
    table = mapp_categories
    of_type = and_(table.c.account_id == account_id, table.c.upload_type == upload_type)
    columns: Any = db.execute(select(table.c.name, func.min(table.c.header)).where(of_type).group_by(table.c.name)
                         .order_by(table.c.name)).all()
    sources = [select(table.c.key.label("key")).where(of_type)]
    if collected is not None:  # the keys the pixel collected, with or without cells
        sources.append(select(collected.label("key")).where(mapp_hits.c.account_id == account_id, collected != ""))
    found = (union(*sources) if len(sources) > 1 else sources[0]).subquery("keys")
    query = select(found.c.key).distinct().order_by(found.c.key)
    if name_filter and name_filter != "*":
        pattern = name_filter.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").replace("*", "%")
        query = query.where(func.lower(found.c.key).like(pattern.lower(), escape="\\"))
    if empty_only:
        query = query.where(~found.c.key.in_(select(table.c.key).where(of_type)))
    page = [row[0] for row in db.execute(query.offset(start_row - 1).limit(end_row - start_row + 1)).all()]
    cells: dict[tuple[str, str], str] = {}
    if page and columns:
        found_cells: Any = db.execute(select(table.c.key, table.c.name, table.c.value).where(of_type, table.c.key.in_(page)))
        for key, name, value in found_cells:
            cells[(key, name)] = value
    head = [first_column, *(header for _, header in columns)]
    return [head, *([key, *(cells.get((key, name), "") for name, _ in columns)] for key in page)]


def delete_tv_data(db: Db, account_id: int, start: float, stop: float) -> list[str]:
    """TV data is what was uploaded as `session_parameter_tv`: the cells uploaded between start
    and stop (epoch seconds) go."""
    db.execute(delete(mapp_categories).where(mapp_categories.c.account_id == account_id,
                                             mapp_categories.c.upload_type == "session_parameter_tv",
                                             mapp_categories.c.uploaded_at >= start, mapp_categories.c.uploaded_at <= stop))
    return [TV_MESSAGE]

