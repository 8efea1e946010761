"""Imported categories as analysis objects.

importData stores cells (key, column name, value) per upload type (mapp/imports.py). Every
column of the upload types below is an analysis object titled by its name (the headline without
its `Category (Text) – ` / `URM – ` prefix); a hit takes the value its key has, `""` without one:

| kind     | upload types (the first with a cell wins)           | a hit's key                              |
|----------|-----------------------------------------------------|------------------------------------------|
| category | content_categories                                  | its page (`p`)                           |
| customer | customer_categories, customer_categories_deid       | its visit's customer id (`cd`), else its visitor (eid) |
| product  | product_categories, basket_categories               | each of its products (`ba`)              |
| media    | media_categories                                    | its media (`mi`)                         |
| campaign | campaigns                                           | its visit's media code (`mc`)            |
| category_time | content_categories_time                        | its page, at the hit's time              |
| product_time  | basket_categories_time                         | each of its products, at the hit's time  |
| campaign_time | campaigns_time                                 | its visit's media code, at the visit's start |
| order    | ecommerce_parameters                                | its order id (`oi`)                      |
| order_product | ecommerce_parameters with a `Productname` (multi-value) | its order id and each of its products |

Customer and campaign categories are visit attributes (a filter on them keeps or drops whole
visits, like Campaigns). A hit with products in two categories is in both rows. The cells of
time-dependent uploads (`*_time`) hold for a time (`valid_from_ms`..`valid_to_ms`); a hit takes
the value valid at its time (a visit attribute at its visit's start, so a whole visit keeps one
value), the latest started one when several are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

from sqlalchemy import select

from polytrack.kernel.sql import Db
from polytrack.mapp.analysis.definition import IMPORTED_KINDS, Dimension
from polytrack.mapp.tables import mapp_categories


@dataclass(frozen=True)
class Kind:
    name: str                      # the object key's prefix ("customer" -> "customer:Gender")
    upload_types: tuple[str, ...]  # where its cells come from; the first that has one wins
    visit_level: bool              # keyed by an attribute of the visit
    # keyed by what analysis/hit_keys.py reads again from each hit's text: "products" (several
    # per hit), "orders" (the order id) or both; (): by a column the hits or visits have
    filed: tuple[str, ...] = ()
    timed: bool = False            # its cells hold for a time (valid_from_ms..valid_to_ms)

    @property
    def by_product(self) -> bool:
        """Keyed by each product of a hit: several rows per hit."""
        return "products" in self.filed


KINDS = (  # in this order when two kinds have a column of the same title
    Kind("category", ("content_categories",), False),
    Kind("customer", ("customer_categories", "customer_categories_deid"), True),
    Kind("product", ("product_categories", "basket_categories"), False, filed=("products",)),
    Kind("media", ("media_categories",), False),
    Kind("campaign", ("campaigns",), True),
    Kind("category_time", ("content_categories_time",), False, timed=True),
    Kind("product_time", ("basket_categories_time",), False, filed=("products",), timed=True),
    Kind("campaign_time", ("campaigns_time",), True, timed=True),
    Kind("order", ("ecommerce_parameters",), False, filed=("orders",)),
    # multi-value e-commerce parameters: the cells that have a product
    Kind("order_product", ("ecommerce_parameters",), False, filed=("products", "orders")),
)
BY_NAME = {kind.name: kind for kind in KINDS}
KINDS_BY_UPLOAD_TYPE: dict[str, list[Kind]] = {}
for _kind in KINDS:
    for _upload_type in _kind.upload_types:
        KINDS_BY_UPLOAD_TYPE.setdefault(_upload_type, []).append(_kind)
ORDER_PRODUCT = BY_NAME["order_product"]
assert set(BY_NAME) == IMPORTED_KINDS
MAX_NAME_CHARS = 100
# The headline's prefix before the column's name, in the vendor's English and German exports
# (`Category (Text) – Main category`, `Kategorie (Zahl) - Preis`, `URM – Gender`), en dash or hyphen.
_PREFIX = re.compile(r"^\s*(?:(?:Category|Kategorie|Parameter) \((?:Text|Figure|Zahl)\)|URM)\s*[–-]\s*", re.IGNORECASE)
# Campaign uploads' set-up columns (how the media code is recognised) and the product of
# multi-value e-commerce parameters are no category of their key.
_SET_UP_COLUMN = re.compile(r"^\s*datasourcetype\b", re.IGNORECASE)
PRODUCT_COLUMN = re.compile(r"^\s*productname\s*$", re.IGNORECASE)


def column_name(header: str) -> str:
    """`Category (Text) – Main category` -> `Main category`."""
    return _PREFIX.sub("", header).strip()[:MAX_NAME_CHARS]


def find(title: str, objects_by_title: Mapping[str, Dimension]) -> Dimension | None:
    """The imported category object a title names: its column name or its whole headline
    (`URM – Gender`), ignoring case."""
    return objects_by_title.get(title.strip().casefold()) or objects_by_title.get(title_of(column_name(title)).casefold())


def kind_of(dimension: Dimension) -> Kind | None:
    imported = dimension.imported
    return BY_NAME[imported[0]] if imported is not None else None


def title_of(name: str) -> str:
    """The object's title: the column name without the `*` the vendor marks required columns
    with (`Advertising Media Title*`)."""
    return name.rstrip("*").strip() or name


def objects(db: Db, account_id: int) -> dict[str, Dimension]:
    """The account's imported category objects by casefolded title."""
    cells = mapp_categories.c
    rows: Any = db.execute(select(cells.upload_type, cells.name, cells.product != "").distinct().where(
        cells.account_id == account_id, cells.upload_type.in_(list(KINDS_BY_UPLOAD_TYPE))))
    names_by_kind: dict[str, set[str]] = {}
    for upload_type, name, per_product in rows:
        kind = ORDER_PRODUCT if per_product else KINDS_BY_UPLOAD_TYPE[upload_type][0]
        if not _SET_UP_COLUMN.match(name) and not ("orders" in kind.filed and PRODUCT_COLUMN.match(name)):
            names_by_kind.setdefault(kind.name, set()).add(name)
    found: dict[str, Dimension] = {}
    for kind in KINDS:
        for name in sorted(names_by_kind.get(kind.name, ())):
            found.setdefault(title_of(name).casefold(), Dimension(f"{kind.name}:{name}", title_of(name)))
    return found


def key_prefixes_of(upload_type: str) -> list[str]:
    """The object key prefixes (`customer:`) of the objects an upload type feeds."""
    return [f"{kind.name}:" for kind in KINDS_BY_UPLOAD_TYPE.get(upload_type, ())]
