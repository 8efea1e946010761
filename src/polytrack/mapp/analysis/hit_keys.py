"""Keys of hits that the pixel keeps only in the hit's text (`query`): the products (`ba=a;b`),
for product categories (imported per product), and the order id (`oi`), for e-commerce
parameters (imported per order).

They are read again from that text per day, into a table per filing (`mapp_hit_products`,
`mapp_hit_orders`), and kept current like a pre-aggregate: the rows of a day were filed at the
day's change count (`mapp_daily_fresh`, the filing's pseudo-object), and a day whose count moved
is filed again (daily.refresh does it for that object). The pre-aggregates of an object keyed
by a filing file their days first; a raw analysis by one asks for the filing to be current.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import Table, and_, delete, func, insert, select

from polytrack.kernel.sql import Db
from polytrack.mapp.analysis.definition import Dimension
from polytrack.mapp.collect.pixel import decode, raw_pairs
from polytrack.mapp.tables import mapp_hit_orders, mapp_hit_products, mapp_hits

MAX_KEY_CHARS = 400  # they are keys of imported cells, which are cut to 400 characters


@dataclass(frozen=True)
class Filing:
    table: Table
    column: str        # the table's column holding the key
    parameter: str     # the pixel parameter it is read from (the first of that name wins)
    several: bool      # a `;`-separated list (products), else one key per hit
    # the pseudo-object whose freshness is that of the filed days (no pre-aggregates of its own)
    filed: Dimension

    def keys_of(self, query: str) -> list[str]:
        """The distinct keys a hit's text names."""
        raw = next((value for name, value in raw_pairs(query) if name == self.parameter), "")
        if not raw:
            return []
        text = decode(raw)
        found = (key.strip()[:MAX_KEY_CHARS] for key in (text.split(";") if self.several else [text]))
        return list(dict.fromkeys(key for key in found if key))

    def file_days(self, db: Db, account_id: int, zone: tzinfo, days: list[str]) -> None:
        """The keys of the account's hits on `days` (sorted), filed again, in the caller's
        transaction."""
        start = int(datetime.combine(date.fromisoformat(days[0]), time()).replace(tzinfo=zone).timestamp() * 1000)
        stop = int(datetime.combine(date.fromisoformat(days[-1]) + timedelta(days=1), time()).replace(tzinfo=zone).timestamp() * 1000)
        table = self.table
        db.execute(delete(table).where(table.c.account_id == account_id, table.c.day.in_(days)))
        h = mapp_hits
        # `ba=` / `oi=` in any letter case, found by the database: most hits carry none
        rows: Any = db.execute(select(h.c.id, h.c.day, h.c.query).where(
            and_(h.c.account_id == account_id, h.c.time_ms >= start, h.c.time_ms < stop, h.c.day.in_(days),
                 func.lower(h.c.query).like(f"%{self.parameter}=%"))))
        filed = [{"hit_id": hit_id, self.column: key, "account_id": account_id, "day": day}
                 for hit_id, day, query in rows for key in self.keys_of(query)]
        for first in range(0, len(filed), 1000):
            db.execute(insert(table).values(filed[first:first + 1000]))


PRODUCTS = Filing(mapp_hit_products, "product", "ba", True, Dimension("filed:products", "filed:products"))
ORDERS = Filing(mapp_hit_orders, "order_id", "oi", False, Dimension("filed:orders", "filed:orders"))
BY_NAME = {"products": PRODUCTS, "orders": ORDERS}
BY_FILED = {filing.filed: filing for filing in BY_NAME.values()}
