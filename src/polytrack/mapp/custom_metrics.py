"""Per-account custom metrics: a built-in metric over the data a fixed filter lets through
("Visits Google" = Visits where Entry Source Types = search). Made through the operator API,
listed as getAnalysisObjectsAndMetricsList's customMetrics, usable wherever a metric is."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from polytrack.kernel.clock import Clock
from polytrack.kernel.sql import Db, Statement
from polytrack.mapp.analysis.config import find_metric, read_filter
from polytrack.mapp.analysis.definition import Filter
from polytrack.mapp.domain import ProvisioningError, account_id_of
from polytrack.mapp.rpc import RpcError
from polytrack.mapp.tables import mapp_custom_metrics


def create_custom_metric(db: Db, clock: Clock, *, customer_id: str, title: str, metric: str, rules: Any) -> dict:
    account_id = account_id_of(db, customer_id)
    if account_id is None:
        raise ProvisioningError(404, f"unknown customerId {customer_id}")
    title = (title or "").strip()
    if not title or len(title) > 255:
        raise ProvisioningError(400, "title must be 1 to 255 characters")
    if find_metric(title) is not None:
        raise ProvisioningError(409, f"{title} is a built-in metric")
    base = find_metric(metric or "")
    if base is None:
        raise ProvisioningError(400, f"unknown metric {metric}")
    try:
        conditions = read_filter(rules, "filter")
    except RpcError as exc:
        raise ProvisioningError(400, exc.message) from exc
    if any(group[0].dimension is None for group in conditions):
        raise ProvisioningError(400, "a custom metric's filter has object rules only")
    if db.execute(select(mapp_custom_metrics.c.title).where(mapp_custom_metrics.c.account_id == account_id,
                                                           mapp_custom_metrics.c.title == title)).first():
        raise ProvisioningError(409, f"custom metric {title} already exists")
    db.execute(mapp_custom_metrics.insert().values(account_id=account_id, title=title, metric=base.key,
                                                   filter=json.dumps(rules if rules is not None else []),
                                                   created_at=clock.timestamp()))
    return {"customerId": customer_id, "title": title, "metric": base.en}


_OF_ACCOUNT = Statement("SELECT title, metric, filter FROM mapp_custom_metrics WHERE account_id = ? ORDER BY title")


def custom_metrics(db: Db, account_id: int) -> dict[str, tuple[str, Filter]]:
    """title -> (built-in metric key, filter) of the account's custom metrics."""
    return {title: (metric, read_filter(json.loads(rules), "filter")) for title, metric, rules in db.all(_OF_ACCOUNT, (account_id,))}
