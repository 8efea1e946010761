"""Running an analysis: which source answers, one grouped query per level (and per distinct
metricFilter), then sorting, paging and footers in the layout clients read.

Levels: for an analysis over objects A, B the engine asks for the groups by (), (A) and (A, B):
every level's figures (the totals, the subtotals of each A, the rows) are computed over the
data, so unique counts are never summed across rows. Columns are objects first, then metrics,
every cell a string; footer rows carry `footerIdentifier` in their object cells.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any, Iterable

from polytrack.kernel.sql import Db
from polytrack.mapp.analysis import categories, daily, hit_keys
from polytrack.mapp.analysis.definition import Analysis, Dimension, Filter, object_rules, metric_rules
from polytrack.mapp.analysis.metrics import COMPONENTS, METRICS, UNIQUE_COMPONENTS, ZERO, Values
from polytrack.mapp.analysis.sources import DAY_OBJECTS, daily_grouped, daily_object, is_visit_level, raw_grouped

WEEKDAYS = {"en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
            "de": ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")}
TOTAL = {"en": "Total", "de": "Gesamt"}
Key = tuple[Any, ...]


def uses_daily(analysis: Analysis) -> bool:
    """Whether the daily pre-aggregates can answer: whole days, at most one object that a day
    does not decide, and object rules (also in metric filters) only on that object, at a scope
    that keeps its own rows."""
    if analysis.force_raw or analysis.start.time() != datetime.min.time() or analysis.stop.time().isoformat() != "23:59:59":
        return False
    others = {dimension for dimension in analysis.dimensions if dimension.key not in DAY_OBJECTS}
    if len(others) > 1:
        return False
    for conditions in (analysis.filter, *(column.filter for column in analysis.metrics)):
        for group in object_rules(conditions):
            for rule in group:
                visit_scope_ok = rule.scope == "visit" and rule.dimension is not None and is_visit_level(rule.dimension)
                if rule.dimension not in others or not (rule.scope in ("", "page", "action") or visit_scope_ok):
                    return False
    return True


@dataclass
class Figures:
    """Per filter (the analysis filter, and it plus each distinct metric filter) and level, the
    components by key (the values of the level's objects, () for the total)."""

    by_filter: dict[Filter, list[dict[Key, Values]]]

    def values(self, conditions: Filter, key: Key) -> Values:
        return self.by_filter[conditions][len(key)].get(key, ZERO)

    def totals(self, conditions: Filter) -> Values:
        return self.values(conditions, ())


def components_read(analysis: Analysis) -> tuple[str, ...]:
    """The components the analysis's metrics and metric rules are computed from (visits always:
    a row without a visit is no row)."""
    names = {"visits"}
    for column in analysis.metrics:
        names.update(METRICS[column.key].components)
    for group in metric_rules(analysis.filter):
        names.update(component for rule in group if rule.metric for component in METRICS[rule.metric].components)
    return tuple(name for name in COMPONENTS if name in names)


def _kept_by(analysis: Analysis, dimensions: tuple[Dimension, ...], conditions: Filter) -> Dimension | None:
    """The pre-aggregates a daily query of `dimensions` reads. A total of rows of one object,
    unfiltered, is read from the days' totals: their unique counts are per day, not per day and
    value."""
    kept_by = daily_object(analysis.dimensions)
    return None if kept_by not in dimensions and not conditions else kept_by


def _query(db: Db, analysis: Analysis, account_id: int, zone: tzinfo, conditions: Filter, depth: int,
           daily_source: bool) -> dict[Key, Values]:
    dimensions = analysis.dimensions[:depth]
    if daily_source:
        statement = daily_grouped(account_id, dimensions, _kept_by(analysis, dimensions, conditions),
                                  analysis.start.date(), analysis.stop.date(), conditions, db.dialect,
                                  components=components_read(analysis))
    else:
        window = (daily.epoch_ms(analysis.start, zone), daily.epoch_ms(analysis.stop, zone) + 999)
        statement = raw_grouped(account_id, dimensions, window, conditions, db.dialect)
    result: Any = db.execute(statement)
    # by position: a pivot of pages and days has tens of thousands of rows, and a missing key
    # (a daily read sums only the components its metrics need) costs an exception in a mapping
    read = [(position, name) for position, name in enumerate(result.keys()) if name in ZERO]
    visits_at = list(result.keys()).index("visits")
    found: dict[Key, Values] = {}
    for row in result:
        if row[visits_at]:
            values = dict(ZERO)
            for position, name in read:
                values[name] = int(row[position] or 0)
            found[tuple(row[:depth])] = values
    return found


def _rolled_up(rows: dict[Key, Values], depth: int, names: tuple[str, ...]) -> dict[Key, Values]:
    """Rows summed over their keys' first `depth` values: what a daily query of fewer objects
    over the same pre-aggregates (same object kept, same conditions) answers, unique counts
    included (they are sums of per-day counts there too), without reading them again. Only
    `names` are summed (the others are zero in a daily read)."""
    found: dict[Key, dict[str, int]] = {}
    for key, values in rows.items():
        total = found.get(key[:depth])
        if total is None:
            found[key[:depth]] = dict(values)
        else:
            for name in names:
                total[name] += values[name]
    return dict(found)


def _queries(db: Db, analysis: Analysis, account_id: int, zone: tzinfo, conditions: Filter,
             daily_source: bool) -> list[dict[Key, Values]]:
    """The rows of every level (index: how many objects), for one filter. From the daily
    pre-aggregates, a level that reads the same ones as the level below is rolled up from it."""
    levels = len(analysis.levels)
    found: list[dict[Key, Values]] = [{} for _ in range(levels + 1)]
    found[levels] = _query(db, analysis, account_id, zone, conditions, levels, daily_source)
    below_kept_by = _kept_by(analysis, analysis.dimensions, conditions) if daily_source else None
    names = components_read(analysis)
    for depth in range(levels - 1, -1, -1):
        kept_by = _kept_by(analysis, analysis.dimensions[:depth], conditions) if daily_source else None
        if daily_source and kept_by == below_kept_by:
            found[depth] = _rolled_up(found[depth + 1], depth, names)
        else:
            found[depth] = _query(db, analysis, account_id, zone, conditions, depth, daily_source)
        below_kept_by = kept_by
    return found


def _combine(analysis: Analysis, queried: dict[Filter, list[dict[Key, Values]]],
             leaf_keys: list[Key]) -> tuple[Figures, list[list[Key]]]:
    """Figures of every level from the queries, bottom up: a row of the last level is what its
    query says; a (sub)total's additive components are the sums of its rows that pass the
    metric rules (so a column adds up), its unique counts come from its own query (a visitor
    seen on two pages is one visitor of the total). Also the keys of each level that pass."""
    levels = len(analysis.levels)
    base = object_rules(analysis.filter)
    rule_totals = queried[base][0].get((), ZERO)
    # only what the metrics and metric rules are computed from (the rest is never read)
    read = components_read(analysis)
    additive = tuple(name for name in read if name not in UNIQUE_COMPONENTS)
    unique = tuple(name for name in read if name in UNIQUE_COMPONENTS)
    has_rules = bool(metric_rules(analysis.filter))
    combined: dict[Filter, list[dict[Key, Values]]] = {conditions: [{} for _ in range(levels + 1)] for conditions in queried}
    for conditions in queried:
        combined[conditions][levels] = queried[conditions][levels]
    kept: list[list[Key]] = [[] for _ in range(levels + 1)]
    leaves = queried[base][levels]
    kept[levels] = [key for key in leaf_keys if _passes(analysis, leaves.get(key, ZERO), rule_totals)] if has_rules else leaf_keys
    for depth in range(levels - 1, -1, -1):
        passing = set(kept[depth + 1])
        for conditions in queried:
            sums: dict[Key, dict[str, int]] = {}
            for key, values in combined[conditions][depth + 1].items():
                if key in passing:
                    total = sums.get(key[:-1])
                    if total is None:
                        total = sums[key[:-1]] = dict(ZERO)
                    for name in additive:
                        total[name] += values[name]
            for key, values in queried[conditions][depth].items():
                total = sums.setdefault(key, dict(ZERO))
                for name in unique:
                    total[name] = values[name]
            if depth == 0:
                sums.setdefault((), dict(ZERO))
            combined[conditions][depth] = dict(sums)
        parents = dict.fromkeys(key[:-1] for key in kept[depth + 1])
        kept[depth] = [key for key in parents
                       if depth == 0 or not has_rules or _passes(analysis, combined[base][depth].get(key, ZERO), rule_totals)]
    return Figures(combined), kept


def _periods(dimension: Dimension, first: date, last: date) -> list[Any]:
    """Every value a time object takes over the days [first, last], in order."""
    if dimension.key == "hours":
        return [f"{hour:02d}" for hour in range(24)]
    if dimension.key == "minutes":
        return [f"{minute:02d}" for minute in range(60)]
    if dimension.key == "weekdays":
        return list(range(7))
    days = [first + timedelta(days=k) for k in range((last - first).days + 1)]
    if dimension.key == "days":
        values = [day.isoformat() for day in days]
    elif dimension.key == "weeks":
        values = [f"{day.isocalendar()[0]}-{day.isocalendar()[1]:02d}" for day in days]
    elif dimension.key == "months":
        values = [day.isoformat()[:7] for day in days]
    else:
        values = [day.isoformat()[:4] for day in days]
    return list(dict.fromkeys(values))


def _cell(dimension: Dimension, value: Any, language: str) -> str:
    if value is None:
        return ""
    if dimension.key == "days":
        return f"{value[8:10]}.{value[5:7]}.{value[:4]}"
    if dimension.key == "weekdays":
        return WEEKDAYS.get(language, WEEKDAYS["en"])[int(value)]
    return str(value)


def _passes(analysis: Analysis, values: Values, totals: Values) -> bool:
    """The metric rules of the analysis filter, on a row's own figures."""
    for group in metric_rules(analysis.filter):
        held = False
        for rule in group:
            assert rule.metric is not None
            value = Decimal(METRICS[rule.metric].value(values, totals))
            low = Decimal(rule.value)
            held = held or (value == low if rule.comparator == "=" else value < low if rule.comparator == "<"
                            else value > low if rule.comparator == ">" else low <= value <= Decimal(rule.value2 or 0))
        if not held:
            return False
    return True


def _ordered(analysis: Analysis, figures: Figures, depth: int, keys: Iterable[Key]) -> list[Key]:
    """Sorted within a level: by the first metric with a sortOrder, else the object's own
    sortOrder, else time objects in calendar order and others by their first metric, largest
    first; ties by value."""
    level = analysis.levels[depth]
    rows = sorted(keys, key=lambda key: (key[depth] is None, key[depth]))
    by_metric = next((column for column in analysis.metrics if column.sort), None)
    if by_metric is None and not level.sort and not level.dimension.time:
        by_metric = analysis.metrics[0]
        descending = True
    else:
        descending = (by_metric.sort if by_metric else level.sort) == "desc"
    if by_metric is not None:
        metric, conditions = METRICS[by_metric.key], object_rules(analysis.filter) + by_metric.filter
        level_rows, totals = figures.by_filter[conditions][depth + 1], figures.totals(conditions)
        rows.sort(key=lambda key: Decimal(metric.value(level_rows.get(key, ZERO), totals)), reverse=descending)
    elif descending:
        rows.reverse()
    return rows


class Builder:
    """Walks the levels and writes the rows."""

    def __init__(self, analysis: Analysis, figures: Figures, children: list[dict[Key, list[Key]]]):
        # children[depth][parent key]: the keys of level `depth` under that parent
        self.analysis = analysis
        self.figures = figures
        self.children = children
        self.rows: list[list[str]] = []
        self.leaf_count = 0
        self.top_count = 0
        # per metric column: the metric, its filter's figures by level, its totals (looked up
        # once, not per row: a filter is a tuple of rules, slow to hash)
        base = object_rules(analysis.filter)
        self.columns = [(METRICS[column.key], figures.by_filter[base + column.filter], figures.totals(base + column.filter))
                        for column in analysis.metrics]

    def metric_cells(self, key: Key) -> list[str]:
        depth = len(key)
        return [metric.cell(levels[depth].get(key, ZERO), totals) for metric, levels, totals in self.columns]

    def walk(self, prefix: Key) -> None:
        analysis, depth = self.analysis, len(prefix)
        levels = len(analysis.levels)
        keys = _ordered(analysis, self.figures, depth, self.children[depth].get(prefix, []))
        if depth == 0:
            self.top_count = len(keys)
            keys = keys[analysis.start_row - 1:analysis.start_row - 1 + analysis.levels[0].row_limit]
        else:
            keys = keys[:analysis.levels[depth].row_limit]
        for key in keys:
            if depth + 1 == levels:
                self.rows.append([_cell(analysis.levels[i].dimension, key[i], analysis.language) for i in range(levels)]
                                 + self.metric_cells(key))
                continue
            self.walk(key)
            if not analysis.hide_footers:
                cells = [_cell(analysis.levels[i].dimension, key[i], analysis.language) for i in range(depth + 1)]
                self.rows.append(cells + [analysis.footer_identifier] * (levels - depth - 1) + self.metric_cells(key))


def pre_aggregates_read(analysis: Analysis) -> list[Dimension | None]:
    """The objects whose daily pre-aggregates `run` reads for the analysis's days (None: the
    days' totals; a filing's `filed` object: the products or order ids of the days' hits, which
    a raw analysis by a category keyed by them reads); they must be current first
    (collect/sessions.py `freshen`)."""
    if not uses_daily(analysis):
        return [hit_keys.BY_NAME[filing].filed for filing in _filings_used(analysis)]
    return list(dict.fromkeys([daily_object(analysis.dimensions), None]))


def _filings_used(analysis: Analysis) -> list[str]:
    """The filings (hit_keys.BY_NAME) of the categories the analysis's objects and rules name."""
    rules = [rule for conditions in (analysis.filter, *(column.filter for column in analysis.metrics))
             for group in object_rules(conditions) for rule in group]
    dimensions = [*analysis.dimensions, *(rule.dimension for rule in rules if rule.dimension is not None)]
    kinds = [kind for dimension in dimensions if (kind := categories.kind_of(dimension)) is not None]
    return list(dict.fromkeys(filed for kind in kinds for filed in kind.filed))


def run(db: Db, analysis: Analysis, *, account_id: int, zone: tzinfo, now: datetime) -> dict:
    """The analysis's result; reads only (its pre-aggregates were brought up to date before)."""
    daily_source = uses_daily(analysis)
    base = object_rules(analysis.filter)
    filters = dict.fromkeys([base, *(base + column.filter for column in analysis.metrics)])
    levels = len(analysis.levels)
    queried = {conditions: _queries(db, analysis, account_id, zone, conditions, daily_source) for conditions in filters}
    lone = analysis.levels[0].dimension
    if levels == 1 and lone.time:  # a lone time object lists every period of the range
        leaf_keys = [(value,) for value in _periods(lone, analysis.start.date(), analysis.stop.date())]
    else:
        leaf_keys = list(queried[base][levels])
    figures, kept = _combine(analysis, queried, leaf_keys)
    children: list[dict[Key, list[Key]]] = [{} for _ in range(levels)]
    for depth in range(1, levels + 1):
        for key in kept[depth]:
            children[depth - 1].setdefault(key[:-1], []).append(key)

    builder = Builder(analysis, figures, children)
    builder.walk(())
    language = analysis.language
    totals = builder.metric_cells(())
    pivot = levels > 1 or lone.time
    if not analysis.hide_footers:
        builder.rows.append([analysis.footer_identifier] * levels + totals)
    unique_summed = daily_source and analysis.start.date() != analysis.stop.date() and any(
        METRICS[column.key].unique for column in analysis.metrics)
    head = [{"dataType": "string", "title": level.title, "contentType": "main"} for level in analysis.levels]
    head += [{"dataType": "number", "title": column.title, "contentType": "normal"} for column in analysis.metrics]
    return {
        "analysisType": "pivot" if pivot else "analysis",
        "analysisTitle": "Pivot" if pivot else analysis.levels[0].title,
        "chartType": "lines" if pivot and levels == 1 else "bars",
        "timeStart": analysis.start.strftime("%Y-%m-%d %H:%M:%S"),
        "timeStop": analysis.stop.strftime("%Y-%m-%d %H:%M:%S"),
        "calculationTime": now.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
        "analysisWarnings": [],
        "dailyUnique": 1 if unique_summed else 0,
        "totalRowCount": len(kept[levels]) if pivot else builder.top_count,
        "analysisTabHead": head,
        "analysisData": builder.rows,
        "analysisTabFoot": [] if analysis.hide_footers or pivot else [[TOTAL.get(language, TOTAL["en"]), *totals]],
    }


AVERAGE = {"en": "Average", "de": "Durchschnitt"}


def as_status(result: dict, language: str) -> dict:
    """A report's status element from the result of its one time object and one metric (run
    with footers): the periods' rows, and the average and total as `kpiData`."""
    rows, total = result["analysisData"][:-1], result["analysisData"][-1][1]
    values = [row[1] for row in rows]
    decimal = any("." in value for value in [*values, total])
    average = Decimal(total) / len(rows) if rows else Decimal(0)
    average_text = str(average.quantize(Decimal("0.01"))) if decimal else str(int(average.to_integral_value()))
    total_label = TOTAL.get(language, TOTAL["en"])
    return {**result, "analysisType": "status", "analysisTitle": "KPI", "chartType": "lines", "totalRowCount": len(rows),
            "analysisData": rows, "kpiData": [[AVERAGE.get(language, AVERAGE["en"]), average_text], [total_label, total]],
            "analysisTabFoot": [[total_label, total]]}
