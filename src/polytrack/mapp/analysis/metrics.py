"""Metrics as formulas over additive components.

Every source (raw hits or daily pre-aggregates) returns, per group of rows, the same components;
a metric is computed from them, so both sources share one definition of every metric. Unique
counts (`visitors`, `browsers`) are exact from the raw hits; summed over days they count a
visitor once per day (`dailyUnique`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Callable, Mapping

COMPONENTS = ("page_impressions", "visits", "visitors", "browsers", "entries", "exits", "bounces", "duration_ms",
              "visit_duration_ms", "clicks", "campaign_visits", "orders", "order_value_cents", "quantity", "media_views",
              "media_views_complete", "play_seconds")
UNIQUE_COMPONENTS = frozenset({"visitors", "browsers"})
ZERO = {name: 0 for name in COMPONENTS}
_CENT = Decimal("0.01")

Values = Mapping[str, int]


@dataclass(frozen=True)
class Metric:
    key: str
    components: tuple[str, ...]
    # (the row's components, the whole analysis's totals) -> the value
    value: Callable[[Values, Values], int | Decimal]
    decimal: bool = False      # written with two decimals; counts are integer strings

    @property
    def unique(self) -> bool:
        return any(name in UNIQUE_COMPONENTS for name in self.components)

    def cell(self, row: Values, totals: Values) -> str:
        value = self.value(row, totals)
        if self.decimal:
            return str(Decimal(value).quantize(_CENT, rounding=ROUND_HALF_UP))
        return str(int(value))


def _ratio(numerator: str, denominator: str, scale: Decimal = Decimal(1)) -> Callable[[Values, Values], Decimal]:
    def value(row: Values, _totals: Values) -> Decimal:
        return Decimal(row[numerator]) * scale / row[denominator] if row[denominator] else Decimal(0)
    return value


def _share(name: str) -> Callable[[Values, Values], Decimal]:
    def value(row: Values, totals: Values) -> Decimal:
        return Decimal(row[name]) * 100 / totals[name] if totals[name] else Decimal(0)
    return value


def _count(name: str) -> Metric:
    return Metric(name, (name,), lambda row, _totals: row[name])


METRICS: dict[str, Metric] = {metric.key: metric for metric in (
    _count("page_impressions"),
    _count("visits"),
    _count("visitors"),                                  # distinct customer id (cd), else visitor
    Metric("browsers_unique", ("browsers",), lambda row, _t: row["browsers"]),  # distinct eid
    _count("entries"),
    _count("exits"),
    _count("bounces"),
    Metric("bounce_rate", ("bounces", "entries"), _ratio("bounces", "entries", Decimal(100)), decimal=True),
    Metric("duration_seconds", ("duration_ms",), lambda row, _t: row["duration_ms"] // 1000),
    Metric("page_duration_avg", ("duration_ms", "page_impressions"),
           _ratio("duration_ms", "page_impressions", Decimal("0.001")), decimal=True),
    Metric("visit_duration_avg", ("visit_duration_ms", "visits"),
           _ratio("visit_duration_ms", "visits", Decimal("0.001")), decimal=True),
    Metric("page_impressions_per_visit", ("page_impressions", "visits"), _ratio("page_impressions", "visits"),
           decimal=True),
    _count("clicks"),
    Metric("visits_campaigns", ("campaign_visits",), lambda row, _t: row["campaign_visits"]),
    _count("orders"),
    Metric("order_value", ("order_value_cents",), lambda row, _t: Decimal(row["order_value_cents"]) / 100,
           decimal=True),
    _count("quantity"),
    _count("media_views"),                               # one per media per visit
    _count("media_views_complete"),                      # ... that reached eof / finish
    Metric("play_duration", ("play_seconds",), lambda row, _t: row["play_seconds"]),
    Metric("share_of_visits", ("visits",), _share("visits"), decimal=True),
    Metric("share_of_visitors", ("visitors",), _share("visitors"), decimal=True),
)}
