"""The products of each hit (`ba=a;b`), for product categories (imported per product).

The pixel keeps a hit's text (`query`) but no product list, so the products are read again from
that text per day, into `mapp_hit_products`, and kept current like a pre-aggregate: the rows of
a day were filed at the day's change count (`mapp_daily_fresh`, object FILED), and a day whose
count moved is filed again (daily.refresh does it for that object). A product category's
pre-aggregates file their days first; a raw analysis by one asks for FILED to be current.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import and_, delete, func, insert, select

from polytrack.kernel.sql import Db
from polytrack.mapp.analysis.definition import Dimension
from polytrack.mapp.collect.pixel import decode, raw_pairs
from polytrack.mapp.tables import mapp_hit_products, mapp_hits

# The pseudo-object whose freshness is that of the filed products (no pre-aggregates of its own).
FILED = Dimension("filed:products", "filed:products")
MAX_PRODUCT_CHARS = 400  # products are keys of imported cells, which are cut to 400 characters


def products_of(query: str) -> list[str]:
    """The distinct products a hit's text names (`ba`, `;`-separated; the first `ba` wins, as
    the pixel reads repeated parameters)."""
    raw = next((value for name, value in raw_pairs(query) if name == "ba"), "")
    found = (product.strip()[:MAX_PRODUCT_CHARS] for product in decode(raw).split(";")) if raw else ()
    return list(dict.fromkeys(product for product in found if product))


def file_days(db: Db, account_id: int, zone: tzinfo, days: list[str]) -> None:
    """The products of the account's hits on `days` (sorted), filed again, in the caller's
    transaction."""
    start = int(datetime.combine(date.fromisoformat(days[0]), time()).replace(tzinfo=zone).timestamp() * 1000)
    stop = int(datetime.combine(date.fromisoformat(days[-1]) + timedelta(days=1), time()).replace(tzinfo=zone).timestamp() * 1000)
    table = mapp_hit_products
    db.execute(delete(table).where(table.c.account_id == account_id, table.c.day.in_(days)))
    h = mapp_hits
    # `ba=` in any letter case, found by the database: most hits carry no products
    rows: Any = db.execute(select(h.c.id, h.c.day, h.c.query).where(
        and_(h.c.account_id == account_id, h.c.time_ms >= start, h.c.time_ms < stop, h.c.day.in_(days),
             func.lower(h.c.query).like("%ba=%"))))
    filed = [{"hit_id": hit_id, "product": product, "account_id": account_id, "day": day}
             for hit_id, day, query in rows for product in products_of(query)]
    for first in range(0, len(filed), 1000):
        db.execute(insert(table).values(filed[first:first + 1000]))
