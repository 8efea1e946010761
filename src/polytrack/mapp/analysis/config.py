"""Reading an `analysisConfig` into an `Analysis`, with the loose typing real clients send
(numbers as strings, hideFooters as [1], booleans as 0/1, absent optional arrays). Errors are
Mapp's (`Missing parameter: ...`, `Invalid parameter: ...`, `Unknown metric: ...`)."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Mapping

from polytrack.mapp import catalog
from polytrack.mapp.analysis import categories as imported
from polytrack.mapp.analysis.definition import Analysis, Dimension, Filter, Level, MetricColumn, Rule
from polytrack.mapp.rpc import Params, RpcError, invalid_parameter, missing_parameter

MAX_METRICS = 30  # what the vendor's API processes at once (a client splits 48 metrics into 29 + 19)
DEFAULT_METRIC = "Page Impressions"
# Content groups and custom parameters by their pixel name, as accounts title them: "CG1",
# "cp12", "cp12 - Seitenversion Endgeraet", "cs800: Login", "Content Group 2".
_PARAMETER_TITLE = re.compile(r"^\s*(cg|cp|cs|ck|cb|ca|cc|uc|mg)\s*(\d{1,5})(?:\s*[-:–].*)?\s*$", re.IGNORECASE)
_CONTENT_GROUP_TITLE = re.compile(r"^\s*(?:content group|inhaltsgruppe)\s*(\d{1,5})\s*$", re.IGNORECASE)
OBJECT_COMPARATORS = ("=", "!=")
METRIC_COMPARATORS = ("=", "<", ">", "between")
SCOPES = ("", "page", "action", "visit", "visitor")
DYNAMIC_TIME_KEYS = ("dynamicTime", "dynamicTimeInterval", "timeInterval")


def find_dimension(title: str, categories: Mapping[str, Dimension] | None = None) -> Dimension | None:
    """A built-in object, a content group or custom parameter, or one of the account's imported
    category columns (`categories`: analysis/categories.py `objects`)."""
    entry = catalog.find(title, catalog.ANALYSIS_OBJECTS)
    if entry is not None:
        return Dimension.of(entry)
    category = imported.find(title, categories) if categories else None
    if category is not None:
        return category
    if found := _PARAMETER_TITLE.match(title):
        return Dimension(f"param:{found[1].lower()}{int(found[2])}", title.strip())
    if found := _CONTENT_GROUP_TITLE.match(title):
        return Dimension(f"param:cg{int(found[1])}", title.strip())
    return None


def find_metric(title: str) -> catalog.Entry | None:
    return catalog.find(title, catalog.METRICS)


def unknown_object(title: str) -> RpcError:
    return RpcError("Unknown analysis object", f"Unknown analysis object: {title[:200]}")


def unknown_metric(title: str) -> RpcError:
    return RpcError("Unknown metric", f"Unknown metric: {title[:200]}")


def _objects(value, name: str) -> list[Params]:
    """A list of objects; a lone object counts as a list of one, absent or [] as none."""
    if value is None or value == "":
        return []
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise invalid_parameter(name)
    return [Params(item) for item in value]


def _sort(params: Params) -> str:
    return params.choice("sortOrder", ("asc", "desc")) or ""


def read_filter(value, name: str, categories: Mapping[str, Dimension] | None = None) -> Filter:
    """{"filterRules": [...]} (a bare list of rules too) -> groups of rules: split at every
    `and`, a rule linked with `or` joins the group of the rule before it."""
    if value is None or value == "" or value == []:
        return ()
    if isinstance(value, dict):
        value = value.get("filterRules", [])
    groups: list[list[Rule]] = []
    for position, rule in enumerate(_objects(value, name)):
        link = rule.choice("link", ("and", "or"), "and")
        parsed = _rule(rule, name, categories)
        if groups and link == "or":
            if (groups[-1][0].dimension is None) != (parsed.dimension is None):
                raise invalid_parameter(name)  # an object rule or-ed with a metric rule
            groups[-1].append(parsed)
        else:
            groups.append([parsed])
    return tuple(tuple(group) for group in groups)


def _rule(params: Params, name: str, categories: Mapping[str, Dimension] | None) -> Rule:
    title = params.text("objectTitle", required=True)
    comparator = (params.text("comparator", required=True) or "").lower()
    value = params.raw("filter")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise missing_parameter("filter") if value is None else invalid_parameter("filter")
    scope = params.choice("scope", SCOPES[1:], "") or ""
    case_sensitive = params.bool01("caseSens")
    dimension = find_dimension(title, categories)
    if dimension is not None:
        if comparator not in OBJECT_COMPARATORS:
            raise invalid_parameter("comparator")
        return Rule(comparator, value, None, case_sensitive, scope, dimension=dimension)
    metric = find_metric(title)
    if metric is None:
        raise unknown_object(title)
    if comparator not in METRIC_COMPARATORS:
        raise invalid_parameter("comparator")
    value2 = params.text("filter2")
    if comparator == "between" and value2 is None:
        raise missing_parameter("filter2")
    for number in (value, value2):
        if number is not None and not re.fullmatch(r"\s*-?\d+(\.\d+)?\s*", number):
            raise invalid_parameter("filter")
    return Rule(comparator, value.strip(), value2, case_sensitive, scope, metric=metric.key)


def _custom(custom: Mapping[str, tuple[str, Filter]], title: str):
    """A custom metric by its title: exact (`*` is a literal character there), else ignoring case."""
    if title in custom:
        return title, custom[title]
    return next(((name, found) for name, found in custom.items() if name.casefold() == title.casefold()), None)


def dynamic_range(code: str, today: date) -> tuple[date, date]:
    """The days a dynamic time interval covers (getDynamicTimeIntervalList's codes)."""
    monday = today - timedelta(days=today.weekday())
    first_of_month = today.replace(day=1)
    last_month_end = first_of_month - timedelta(days=1)
    ranges = {
        "today": (today, today),
        "yesterday": (today - timedelta(days=1), today - timedelta(days=1)),
        "last_7_days": (today - timedelta(days=7), today - timedelta(days=1)),
        "last_30_days": (today - timedelta(days=30), today - timedelta(days=1)),
        "today_and_last_30_days": (today - timedelta(days=30), today),
        "this_week": (monday, today),
        "last_week": (monday - timedelta(days=7), monday - timedelta(days=1)),
        "this_month": (first_of_month, today),
        "last_month": (last_month_end.replace(day=1), last_month_end),
        "this_year": (today.replace(month=1, day=1), today),
        "last_year": (date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)),
    }
    if code not in ranges:
        raise invalid_parameter("dynamicTime")
    return ranges[code]


def read_analysis(config, *, language: str, today: date, default_row_limit: int,
                  custom: Mapping[str, tuple[str, Filter]] | None = None,
                  categories: Mapping[str, Dimension] | None = None) -> Analysis:
    """`custom`: the account's custom metrics, title -> (built-in metric key, filter);
    `categories`: its imported category objects (analysis/categories.py `objects`)."""
    if config is None:
        raise missing_parameter("analysisConfig")
    if not isinstance(config, dict):
        raise invalid_parameter("analysisConfig")
    params = Params(config)
    row_limit = params.integer("rowLimit", default_row_limit, minimum=1) or default_row_limit

    levels = []
    for item in _objects(params.raw("analysisObjects"), "analysisObjects"):
        title = item.text("title", required=True)
        dimension = find_dimension(title, categories)
        if dimension is None:
            raise unknown_object(title)
        levels.append(Level(dimension, item.text("alias") or dimension.title(language), _sort(item),
                            item.integer("rowLimit", row_limit, minimum=1) or row_limit))
    if not levels:
        raise missing_parameter("analysisObjects")

    metric_items = _objects(params.raw("metrics"), "metrics") or [Params({"title": DEFAULT_METRIC})]
    if len(metric_items) > MAX_METRICS:
        raise RpcError("Too many metrics", f"Too many metrics (max. {MAX_METRICS})")
    metrics = []
    for item in metric_items:
        title = item.text("title", required=True)
        column_filter = read_filter(item.raw("metricFilter"), "metricFilter", categories)
        if any(group[0].metric is not None for group in column_filter):
            raise invalid_parameter("metricFilter")  # a column's filter restricts its data: objects only
        entry = find_metric(title)
        if entry is not None:
            metrics.append(MetricColumn(entry.key, entry.title(language), _sort(item), column_filter))
            continue
        defined = _custom(custom or {}, title)
        if defined is None:
            raise unknown_metric(title)
        name, (key, fixed) = defined
        metrics.append(MetricColumn(key, name, _sort(item), fixed + column_filter))

    code = next((params.text(key) for key in DYNAMIC_TIME_KEYS if params.text(key)), None)
    if code is not None:
        first, last = dynamic_range(code.lower(), today)
        start, stop = datetime.combine(first, time()), datetime.combine(last, time(23, 59, 59))
    else:
        start_time = params.date_time("startTime")
        stop_time = params.date_time("stopTime", end_of_day=True)
        if start_time is None and stop_time is None:  # today and the 30 days before
            start, stop = datetime.combine(today - timedelta(days=30), time()), datetime.combine(today, time(23, 59, 59))
        else:
            start = start_time or datetime.combine(stop_time.date(), time())  # type: ignore[union-attr]
            stop = stop_time or datetime.combine(start.date(), time(23, 59, 59))
    if start > stop:
        raise invalid_parameter("stopTime")

    footer_identifier = params.raw("footerIdentifier", "-")
    if not isinstance(footer_identifier, str):
        raise invalid_parameter("footerIdentifier")
    params.choice("scope", ("auto", "visit", "strong"))  # accepted; every metric is computed as `auto`
    return Analysis(
        levels=tuple(levels), metrics=tuple(metrics),
        filter=read_filter(params.raw("analysisFilter"), "analysisFilter", categories),
        start=start, stop=stop,
        start_row=params.integer("startRow", 1, minimum=1) or 1,
        hide_footers=params.bool01("hideFooters"),
        footer_identifier=footer_identifier,
        force_raw=params.bool01("forceRawData"),
        language=language,
    )
