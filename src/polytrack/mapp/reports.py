"""Custom reports: a named list of analyses per account (getCustomReportsList, getReportData),
made through the operator API. Each analysis is stored as the `analysisConfig` getAnalysisData
takes, checked when the report is made, and run by the analysis engine when it is asked for."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import select

from polytrack.kernel.clock import Clock
from polytrack.kernel.sql import Db
from polytrack.mapp.analysis.config import read_analysis
from polytrack.mapp.domain import ProvisioningError, account_id_of
from polytrack.mapp.rpc import RpcError
from polytrack.mapp.tables import mapp_report_analyses, mapp_reports

KINDS = ("analysis", "status")


def check(config, kind: str) -> None:
    """Raises RpcError (what getAnalysisData would answer) or ProvisioningError."""
    analysis = read_analysis(config, language="en", today=date(2000, 1, 1), default_row_limit=1000)
    if kind == "status" and (len(analysis.levels) != 1 or not analysis.levels[0].dimension.time or len(analysis.metrics) != 1):
        raise ProvisioningError(400, "a status analysis has one time object and one metric")


def create_report(db: Db, clock: Clock, *, customer_id: str, title: str, analyses: list, group: str = "",
                  author: str = "", description: str = "") -> dict:
    account_id = account_id_of(db, customer_id)
    if account_id is None:
        raise ProvisioningError(404, f"unknown customerId {customer_id}")
    title = (title or "").strip()
    if not title or len(title) > 255:
        raise ProvisioningError(400, "title must be 1 to 255 characters")
    if not isinstance(analyses, list) or not analyses:
        raise ProvisioningError(400, "analyses must be a non-empty list")
    stored: list[tuple[str, Any]] = []
    for entry in analyses:
        entry = entry if isinstance(entry, dict) and "analysisConfig" in entry else {"analysisConfig": entry}
        kind = entry.get("kind", "analysis")
        if kind not in KINDS:
            raise ProvisioningError(400, f"kind must be one of {', '.join(KINDS)}")
        try:
            check(entry["analysisConfig"], kind)
        except RpcError as exc:
            raise ProvisioningError(400, f"analysis {len(stored) + 1}: {exc.message}") from exc
        stored.append((kind, entry["analysisConfig"]))
    if db.execute(select(mapp_reports.c.id).where(mapp_reports.c.account_id == account_id,
                                                  mapp_reports.c.title == title)).first():
        raise ProvisioningError(409, f"report {title} already exists")
    report_id = db.execute(mapp_reports.insert().values(
        account_id=account_id, title=title, report_group=group or "", author=author or "", description=description or "",
        created_at=clock.timestamp()).returning(mapp_reports.c.id)).scalar_one()
    db.execute(mapp_report_analyses.insert().values([
        {"report_id": report_id, "position": position, "kind": kind, "config": json.dumps(config)}
        for position, (kind, config) in enumerate(stored)]))
    return {"customerId": customer_id, "title": title, "reportGroup": group or "", "analyses": len(stored)}


def report_list(db: Db, account_id: int) -> list[dict]:
    rows: Any = db.execute(select(mapp_reports.c.report_group, mapp_reports.c.title)
                      .where(mapp_reports.c.account_id == account_id)
                      .order_by(mapp_reports.c.report_group, mapp_reports.c.title))
    return [{"reportGroup": row[0], "title": row[1]} for row in rows]


def find_report(db: Db, account_id: int, title: str) -> tuple[dict, list[tuple[str, dict]]] | None:
    """The report titled `title` (exactly, else ignoring case) and its analyses in order."""
    rows = db.execute(select(mapp_reports).where(mapp_reports.c.account_id == account_id)).mappings().all()
    found = next((row for row in rows if row["title"] == title), None) or next(
        (row for row in rows if row["title"].casefold() == title.casefold()), None)
    if found is None:
        return None
    analyses: Any = db.execute(select(mapp_report_analyses.c.kind, mapp_report_analyses.c.config)
                          .where(mapp_report_analyses.c.report_id == found["id"])
                          .order_by(mapp_report_analyses.c.position)).all()
    return dict(found), [(row[0], json.loads(row[1])) for row in analyses]
