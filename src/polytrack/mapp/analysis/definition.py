"""What an analysis asks for, independent of where the data lives."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from polytrack.mapp.catalog import ANALYSIS_OBJECTS, Entry

# The kinds of imported category columns an object key may name (analysis/categories.py says
# what each is keyed by).
IMPORTED_KINDS = frozenset({"category", "customer", "product", "media", "campaign", "category_time", "product_time",
                            "campaign_time", "order", "order_product"})


@dataclass(frozen=True)
class Dimension:
    """An analysis object: a built-in one (`key` from the catalog), a custom parameter /
    content group (`key` = "param:<name>", e.g. "param:cg1") or a column of imported categories
    (`key` = "<kind>:<column name>", e.g. "category:Main category", "customer:Gender"; the kinds
    are in categories.py)."""

    key: str
    en: str
    de: str | None = None
    time: bool = False

    @classmethod
    def of(cls, entry: Entry) -> "Dimension":
        return cls(entry.key, entry.en, entry.de, entry.time)

    @property
    def parameter(self) -> str | None:
        return self.key[6:] if self.key.startswith("param:") else None

    @property
    def imported(self) -> tuple[str, str] | None:
        """(kind, column name) of an imported category column, else None."""
        kind, colon, name = self.key.partition(":")
        return (kind, name) if colon and kind in IMPORTED_KINDS else None

    def title(self, language: str) -> str:
        return self.de if language == "de" and self.de else self.en


def builtin(key: str) -> Dimension:
    """The built-in object with this catalog key."""
    return Dimension.of(next(entry for entry in ANALYSIS_OBJECTS if entry.key == key))


@dataclass(frozen=True)
class Level:
    dimension: Dimension
    title: str                 # the column title: the alias, else the title in the token's language
    sort: str                  # "asc", "desc" or ""
    row_limit: int


@dataclass(frozen=True)
class Rule:
    """One filter rule. `dimension` set: an object rule (=, != with * wildcards); else
    `metric` set: a metric rule (=, <, >, between) on the row's value of that metric."""

    comparator: str
    value: str
    value2: str | None
    case_sensitive: bool
    scope: str                 # "", "page", "action", "visit", "visitor"
    dimension: Dimension | None = None
    metric: str | None = None


# A filter: groups ANDed together, the rules of a group ORed (`or` binds tighter than `and`,
# which is what the clients that mix them mean).
Filter = tuple[tuple[Rule, ...], ...]


def object_rules(conditions: Filter) -> Filter:
    return tuple(group for group in conditions if group[0].dimension is not None)


def metric_rules(conditions: Filter) -> Filter:
    return tuple(group for group in conditions if group[0].metric is not None)


@dataclass(frozen=True)
class MetricColumn:
    key: str                   # a metric of metrics.METRICS
    title: str
    sort: str
    filter: Filter             # metricFilter: restricts the data of this column only


@dataclass(frozen=True)
class Analysis:
    levels: tuple[Level, ...]
    metrics: tuple[MetricColumn, ...]
    filter: Filter
    start: datetime            # naive, in the account's time zone, inclusive
    stop: datetime             # inclusive (23:59:59 for a date-only stop)
    start_row: int             # 1-based, on the top level
    hide_footers: bool
    footer_identifier: str
    force_raw: bool
    language: str

    @property
    def dimensions(self) -> tuple[Dimension, ...]:
        return tuple(level.dimension for level in self.levels)
