"""One analysis definition compiled to SQL over either source (SQLAlchemy Core, so the same
code runs on SQLite and PostgreSQL, and a columnar engine could be given the same definition).

Both sources answer `grouped(...)`: one row per combination of the requested objects' values
with the metric components of metrics.COMPONENTS, so the engine never knows which one answered.

* Raw: hits with a visit (bots have none, so they drop out), in two steps: per (object values,
  visit) first, then those groups joined to their visits, so visit-level figures (visits, visit
  duration, campaign visits, unique visitors) are counted once per visit, per object values.
  `day_totals` is the same for the days' totals, computed without the first step.
* Daily: the pre-aggregates of one object (or of the day's total), grouped by the time objects
  a day decides (days, weeks, weekdays, months, years).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any, Callable

from sqlalchemy import ColumnElement, String, and_, case, cast, distinct, exists, func, literal, not_, or_, select
from sqlalchemy.sql import Select

from polytrack.mapp.analysis import categories
from polytrack.mapp.analysis.definition import Dimension, Filter, Rule
from polytrack.mapp.analysis.metrics import COMPONENTS
from polytrack.mapp.tables import (mapp_categories, mapp_daily, mapp_hit_orders, mapp_hit_params, mapp_hit_products, mapp_hits,
                                   mapp_visits)

# Objects that are attributes of the visit (from its first hit): a filter on them keeps or drops
# whole visits. (So are customer and campaign categories: is_visit_level.)
VISIT_LEVEL = frozenset({"browsers", "operating_systems", "devices", "countries", "referrers", "campaigns",
                         "entry_pages", "exit_pages", "entry_source_types"})
# Time objects a day decides: the daily pre-aggregates can group by them. (Hours and minutes are
# pre-aggregated per day like any other object.)
DAY_OBJECTS = frozenset({"days", "weeks", "weekdays", "months", "years"})

_RAW: dict[str, Callable[[Any, Any], ColumnElement]] = {
    "pages": lambda h, v: h.c.page,
    "page_urls": lambda h, v: h.c.page_url,
    "search_phrases": lambda h, v: h.c.search_phrase,
    "media": lambda h, v: h.c.media,
    "days": lambda h, v: h.c.day,
    "weeks": lambda h, v: h.c.week,
    "weekdays": lambda h, v: h.c.weekday,
    "months": lambda h, v: func.substr(h.c.day, 1, 7),
    "years": lambda h, v: func.substr(h.c.day, 1, 4),
    "hours": lambda h, v: h.c.hour,
    "minutes": lambda h, v: h.c.minute,
    "browsers": lambda h, v: v.c.browser,
    "operating_systems": lambda h, v: v.c.os,
    "devices": lambda h, v: v.c.device,
    "countries": lambda h, v: v.c.country,
    "referrers": lambda h, v: v.c.referrer,
    "campaigns": lambda h, v: v.c.campaign,
    "entry_pages": lambda h, v: v.c.entry_page,
    "exit_pages": lambda h, v: v.c.exit_page,
    "entry_source_types": lambda h, v: v.c.entry_source,
}


def daily_key(dimension: Dimension | None) -> str:
    """How the pre-aggregates name an object: its key ("pages", "param:cg1"), "" for the total."""
    return "" if dimension is None else dimension.key


# The key an imported category's cells are found by, per upload type (analysis/categories.py).
_CATEGORY_KEYS: dict[str, Callable[[Any, Any], ColumnElement]] = {
    "content_categories": lambda h, v: h.c.page,
    "customer_categories": lambda h, v: v.c.customer,
    "customer_categories_deid": lambda h, v: v.c.visitor,
    "media_categories": lambda h, v: h.c.media,
    "campaigns": lambda h, v: v.c.campaign,
    "content_categories_time": lambda h, v: h.c.page,
    "campaigns_time": lambda h, v: v.c.campaign,
}


def _valid_at(cell, moment: ColumnElement) -> ColumnElement:
    """The cell (of a time-dependent upload) is the version of its key and column valid at
    `moment`: started by then, not ended before, and no later-started version is valid then."""
    def holds(version) -> ColumnElement:
        return and_(version.c.valid_from_ms <= moment,
                    or_(version.c.valid_to_ms.is_(None), version.c.valid_to_ms >= moment))

    later = mapp_categories.alias(f"{cell.name}_later")
    return and_(holds(cell), ~exists().where(
        later.c.account_id == cell.c.account_id, later.c.upload_type == cell.c.upload_type,
        later.c.name == cell.c.name, later.c.key == cell.c.key, later.c.valid_from_ms > cell.c.valid_from_ms,
        holds(later)))


def is_visit_level(dimension: Dimension) -> bool:
    kind = categories.kind_of(dimension)
    return dimension.key in VISIT_LEVEL if kind is None else kind.visit_level


def product_values(account_id: int, kind: categories.Kind, name: str, suffix: str):
    """(hit_id, value) of every hit with products (for multi-value e-commerce parameters: with
    products and an order id): the imported value of each product (`""` when none has one; for
    a time-dependent kind the value valid at the hit's time), once per distinct value."""
    products = mapp_hit_products.alias(f"hp{suffix}")
    joined: Any = products
    hits = mapp_hits.alias(f"hph{suffix}")
    if kind.timed:
        joined = joined.join(hits, hits.c.id == products.c.hit_id)
    orders = mapp_hit_orders.alias(f"hpo{suffix}")
    if "orders" in kind.filed:
        joined = joined.join(orders, orders.c.hit_id == products.c.hit_id)
    cells: list[ColumnElement] = []
    for upload_type in kind.upload_types:
        cell = mapp_categories.alias(f"pc{len(cells)}{suffix}")
        if "orders" in kind.filed:
            key = and_(cell.c.key == orders.c.order_id, cell.c.product == products.c.product)
        else:
            key = cell.c.key == products.c.product
        condition = and_(cell.c.account_id == account_id, cell.c.upload_type == upload_type, cell.c.name == name, key)
        joined = joined.outerjoin(cell, and_(condition, _valid_at(cell, hits.c.time_ms)) if kind.timed else condition)
        cells.append(cell.c.value)
    return select(products.c.hit_id, func.coalesce(*cells, "").label("value")).select_from(joined).where(
        products.c.account_id == account_id).distinct().subquery(f"products{suffix}")


class Frame:
    """The FROM of a raw query: hits joined to their visits, plus an outer join per custom
    parameter and imported category that an object or a filter uses (registered as columns are
    asked for)."""

    def __init__(self, account_id: int, suffix: str = ""):
        self.account_id = account_id
        self.h = mapp_hits.alias("h" + suffix)
        self.v = mapp_visits.alias("v" + suffix)
        self.suffix = suffix
        self.parameters: dict[str, Any] = {}
        self.uses_visits = False  # an object or rule is a visit attribute: the hits are joined to their visits
        # imported category objects by key: (the value column, the outer joins it needs)
        self.categories: dict[str, tuple[ColumnElement, list[tuple[Any, ColumnElement]]]] = {}

    def column(self, dimension: Dimension) -> ColumnElement:
        self.uses_visits = self.uses_visits or is_visit_level(dimension)
        if dimension.imported is not None:
            return self._category(dimension)[0]
        name = dimension.parameter
        if name is None:
            return _RAW[dimension.key](self.h, self.v)
        joined = self.parameters.get(name)
        if joined is None:
            joined = self.parameters[name] = mapp_hit_params.alias(f"p{len(self.parameters)}{self.suffix}")
        return func.coalesce(joined.c.value, "")

    def _category(self, dimension: Dimension) -> tuple[ColumnElement, list[tuple[Any, ColumnElement]]]:
        found = self.categories.get(dimension.key)
        if found is not None:
            return found
        imported = dimension.imported
        assert imported is not None
        kind, name = categories.BY_NAME[imported[0]], imported[1]
        suffix = f"{len(self.categories)}{self.suffix}"
        if kind.by_product:
            values = product_values(self.account_id, kind, name, suffix)
            found = (func.coalesce(values.c.value, ""), [(values, values.c.hit_id == self.h.c.id)])
        else:
            joins: list[tuple[Any, ColumnElement]] = []
            cells: list[ColumnElement] = []
            # a visit attribute's value is the one valid when the visit began: one per visit
            moment = self.v.c.start_ms if kind.visit_level else self.h.c.time_ms
            order_id = None
            if "orders" in kind.filed:  # the hit's order id, filed from its text (at most one)
                orders = mapp_hit_orders.alias(f"ho{suffix}")
                joins.append((orders, orders.c.hit_id == self.h.c.id))
                order_id = orders.c.order_id
            for upload_type in kind.upload_types:
                cell = mapp_categories.alias(f"c{len(joins)}_{suffix}")
                if order_id is not None:  # a single-value e-commerce parameter: no product
                    key = and_(cell.c.key == order_id, cell.c.product == "")
                else:
                    key = cell.c.key == _CATEGORY_KEYS[upload_type](self.h, self.v)
                condition = and_(cell.c.account_id == self.account_id, cell.c.upload_type == upload_type,
                                 cell.c.name == name, key)
                joins.append((cell, and_(condition, _valid_at(cell, moment)) if kind.timed else condition))
                cells.append(cell.c.value)
            found = (func.coalesce(*cells, ""), joins)
        self.categories[dimension.key] = found
        return found

    def source(self):
        joined: Any = self.h.join(self.v, self.v.c.id == self.h.c.visit_id) if self.uses_visits else self.h
        for name, alias in self.parameters.items():
            joined = joined.outerjoin(alias, and_(alias.c.hit_id == self.h.c.id, alias.c.name == name))
        for _, joins in self.categories.values():
            for alias, condition in joins:
                joined = joined.outerjoin(alias, condition)
        return joined


def _like_pattern(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%")


def _glob_pattern(value: str) -> str:
    return "".join(f"[{char}]" if char in "?[]" else char for char in value)


def matches(column: ColumnElement, rule: Rule, dialect: str) -> ColumnElement:
    """An object rule on a column: `*` any sequence (alone: any non-empty value), everything
    else literal; case-insensitive unless caseSens; `!=` negates."""
    text = cast(column, String) if rule.dimension is not None and rule.dimension.key == "weekdays" else column
    value = rule.value
    if value == "*":
        condition = text != ""
    elif "*" not in value:
        condition = text == value if rule.case_sensitive else func.lower(text) == value.lower()
    elif rule.case_sensitive:
        # SQLite's LIKE ignores ASCII case, its GLOB does not (and knows `*` already)
        condition = text.op("GLOB")(_glob_pattern(value)) if dialect == "sqlite" else text.like(_like_pattern(value), escape="\\")
    else:
        condition = func.lower(text).like(_like_pattern(value.lower()), escape="\\")
    return not_(condition) if rule.comparator == "!=" else condition


def _product_rule(frame: Frame, rule: Rule, dialect: str) -> ColumnElement:
    """A rule on a product category that is not an object of the query: the hits one of whose
    products' values matches (a join would count a hit once per value), or, without any value
    (no products), whose `""` does; `!=` keeps the others."""
    assert rule.dimension is not None and rule.dimension.imported is not None
    kind, name = categories.BY_NAME[rule.dimension.imported[0]], rule.dimension.imported[1]
    positive = replace(rule, comparator="=")
    values = product_values(frame.account_id, kind, name, f"_r{id(rule) % 10_000}{frame.suffix}")
    condition = or_(frame.h.c.id.in_(select(values.c.hit_id).where(matches(values.c.value, positive, dialect))),
                    and_(matches(literal(""), positive, dialect), frame.h.c.id.not_in(select(values.c.hit_id))))
    return not_(condition) if rule.comparator == "!=" else condition


def _raw_condition(frame: Frame, rule: Rule, account_id: int, window: tuple[int, int], dialect: str) -> ColumnElement:
    assert rule.dimension is not None
    scope = rule.scope
    if scope in ("", "page", "action") or (scope == "visit" and is_visit_level(rule.dimension)):
        kind = categories.kind_of(rule.dimension)
        if kind is not None and kind.by_product and rule.dimension.key not in frame.categories:
            return _product_rule(frame, rule, dialect)
        return matches(frame.column(rule.dimension), rule, dialect)
    # visit / visitor scope: every hit of a visit (visitor) that has a matching hit
    inner = Frame(account_id, suffix=f"_{scope}_{id(rule) % 10_000}")
    condition = matches(inner.column(rule.dimension), rule, dialect)
    grouping = inner.h.c.visit_id if scope == "visit" else inner.h.c.visitor
    subquery = select(grouping).select_from(inner.source()).where(
        inner.h.c.account_id == account_id, inner.h.c.time_ms >= window[0], inner.h.c.time_ms <= window[1],
        inner.h.c.visit_id.is_not(None), condition)
    return (frame.h.c.visit_id if scope == "visit" else frame.h.c.visitor).in_(subquery)


def _where(conditions: Filter, compile_rule: Callable[[Rule], ColumnElement]) -> list[ColumnElement]:
    return [or_(*(compile_rule(rule) for rule in group)) for group in conditions]


def _count_of(condition) -> ColumnElement:
    return func.sum(case((condition, 1), else_=0))


def _hit_components(h) -> list[ColumnElement]:
    """The components summed over hits (every hit of a row counts)."""
    return [
        _count_of(h.c.kind == "page").label("page_impressions"),
        _count_of(h.c.is_entry).label("entries"),
        _count_of(h.c.is_exit).label("exits"),
        _count_of(h.c.is_bounce).label("bounces"),
        func.sum(case((h.c.kind == "page", func.coalesce(h.c.duration_ms, 0)), else_=0)).label("duration_ms"),
        _count_of(h.c.kind == "action").label("clicks"),
        _count_of(h.c.is_order).label("orders"),
        func.sum(h.c.order_value_cents).label("order_value_cents"),
        func.sum(h.c.quantity).label("quantity"),
        _count_of(h.c.media_view).label("media_views"),
        _count_of(h.c.media_complete).label("media_views_complete"),
        func.sum(h.c.play_seconds).label("play_seconds"),
    ]


HIT_COMPONENTS = tuple(column.name for column in _hit_components(mapp_hits))


def _visit_components(v) -> list[ColumnElement]:
    """The components counted once per visit of a row, over rows of visits."""
    person = case((v.c.customer != "", literal("c:") + v.c.customer), else_=literal("v:") + v.c.visitor)
    return [
        func.count().label("visits"),
        func.count(distinct(person)).label("visitors"),      # customer id (cd), else the visitor
        func.count(distinct(v.c.visitor)).label("browsers"),
        func.sum(v.c.end_ms - v.c.start_ms).label("visit_duration_ms"),
        _count_of(v.c.campaign != "").label("campaign_visits"),
    ]


def raw_grouped(account_id: int, dimensions: tuple[Dimension, ...], window: tuple[int, int], conditions: Filter,
                dialect: str, *, days: list[str] | None = None) -> Select:
    """Per combination of the objects' values: the components, from the hits in `window`
    (epoch ms, inclusive) that pass the object rules `conditions` (and lie on `days`).

    The hits are grouped per (visit, object values) first, then those groups joined to their
    visits for the figures counted once per visit. The hits are joined to their visits before
    that only when an object or rule is a visit attribute: on SQLite the grouping sorts every
    hit, and a hit's sort record without its visit's columns is narrower (and the visit comes
    first in the sort key, so comparisons are mostly of integers)."""
    frame = Frame(account_id)
    h = frame.h
    # the objects' joins first: a rule on a product category that is an object filters its rows
    columns = [frame.column(dimension) for dimension in dimensions]
    where = [h.c.account_id == account_id, h.c.time_ms >= window[0], h.c.time_ms <= window[1], h.c.visit_id.is_not(None),
             *_where(conditions, lambda rule: _raw_condition(frame, rule, account_id, window, dialect))]
    if days is not None:
        where.append(h.c.day.in_(days))
    facts = select(
        *(column.label(f"d{i}") for i, column in enumerate(columns)),
        h.c.visit_id.label("visit_id"),
        *_hit_components(h),
    ).select_from(frame.source()).where(*where).group_by(h.c.visit_id, *columns).subquery("facts")
    keys = [facts.c[f"d{i}"] for i in range(len(columns))]
    visits = mapp_visits.alias("visits")
    return select(
        *keys,
        *(func.sum(facts.c[name]).label(name) for name in HIT_COMPONENTS),
        *_visit_components(visits),
    ).select_from(facts.join(visits, visits.c.id == facts.c.visit_id)).group_by(*keys)


def day_totals(account_id: int, window: tuple[int, int], days: list[str]) -> Select:
    """The rows `raw_grouped` gives for (Days, Weeks, Weekdays) over whole `days`, without
    grouping hits per visit: a visit never crosses midnight, so a day's visits are the visits
    of that day, and its hit components are sums over its hits (about half the work)."""
    h, v = mapp_hits.alias("h"), mapp_visits.alias("v")
    hits = select(h.c.day, func.max(h.c.week).label("week"), func.max(h.c.weekday).label("weekday"),
                  *_hit_components(h)).where(
        h.c.account_id == account_id, h.c.time_ms >= window[0], h.c.time_ms <= window[1], h.c.visit_id.is_not(None),
        h.c.day.in_(days)).group_by(h.c.day).subquery("day_hits")
    visits = select(v.c.day, *_visit_components(v)).where(v.c.account_id == account_id, v.c.day.in_(days)).group_by(
        v.c.day).subquery("day_visits")
    return select(hits.c.day.label("d0"), hits.c.week.label("d1"), hits.c.weekday.label("d2"),
                  *(hits.c[name] for name in HIT_COMPONENTS),
                  *(visits.c[name] for name in COMPONENTS if name not in HIT_COMPONENTS)).select_from(
        hits.join(visits, visits.c.day == hits.c.day))


_DAILY_TIME: dict[str, Callable[[Any], ColumnElement]] = {
    "days": lambda d: d.c.day,
    "weeks": lambda d: d.c.week,
    "weekdays": lambda d: d.c.weekday,
    "months": lambda d: func.substr(d.c.day, 1, 7),
    "years": lambda d: func.substr(d.c.day, 1, 4),
}


def daily_object(dimensions: tuple[Dimension, ...]) -> Dimension | None:
    """The one object of an analysis the pre-aggregates are kept by (None: only day objects)."""
    others = {dimension for dimension in dimensions if dimension.key not in DAY_OBJECTS}
    assert len(others) <= 1
    return next(iter(others), None)


def daily_grouped(account_id: int, dimensions: tuple[Dimension, ...], kept_by: Dimension | None, first_day: date,
                  last_day: date, conditions: Filter, dialect: str, *, components: tuple[str, ...] = COMPONENTS) -> Select:
    """The rows of `raw_grouped` for whole days, from the pre-aggregates kept by `kept_by` (the
    analysis's one non-day object; None: the days' totals); `conditions` may only be rules on
    that object. Additive components are exact; unique counts are summed over days (and over
    the object's values when it is not among `dimensions`). Only `components` are summed (the
    others are left out of the rows)."""
    d = mapp_daily.alias("d")
    columns = [_DAILY_TIME[dimension.key](d) if dimension.key in DAY_OBJECTS else d.c.value for dimension in dimensions]
    where = [d.c.account_id == account_id, d.c.dimension == daily_key(kept_by),
             d.c.day >= first_day.isoformat(), d.c.day <= last_day.isoformat(),
             *_where(conditions, lambda rule: matches(d.c.value, rule, dialect))]
    return select(
        *(column.label(f"d{i}") for i, column in enumerate(columns)),
        *(func.sum(d.c[name]).label(name) for name in components),
    ).where(*where).group_by(*columns)
