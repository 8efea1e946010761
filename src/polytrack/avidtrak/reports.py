"""What the API reports, computed from recorded calls and visits: call logs, offline campaigns
and their calls, visits by keyword. Also add_lite_campaign, which starts what lite_campaign
reports on."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, insert, select, update

from polytrack.avidtrak import calls as call_records
from polytrack.avidtrak import numbers, values
from polytrack.avidtrak.domain import Account
from polytrack.avidtrak.errors import metro_allocated, no_data, number_not_lite
from polytrack.avidtrak.tables import avidtrak_calls as calls
from polytrack.avidtrak.tables import avidtrak_lite_campaigns as campaigns
from polytrack.avidtrak.tables import avidtrak_numbers as number_table
from polytrack.avidtrak.tables import avidtrak_visits as visits
from polytrack.kernel.sql import Db

ENGINES = ("gppc", "gseo", "yppc", "yseo", "bppc", "bseo")


def _in_range(column: Any, start: datetime | None, end: datetime | None) -> list:
    condition = [column <= end] if end is not None else []
    if start is not None:
        condition.append(column >= start)
    return condition


def call_logs(db: Db, account: Account, start: datetime | None, end: datetime | None, tz_name: str, *,
              lite_only: bool = False) -> list[dict]:
    """The account's calls (those it received, whatever became of the number since), oldest
    first, in progress included; `lite_only`: calls of offline campaigns."""
    query = select(calls).where(calls.c.account_id == account.id, *_in_range(calls.c.call_start, start, end))
    if lite_only:
        query = query.where(calls.c.campaign_id.is_not(None))
    rows = db.execute(query.order_by(calls.c.call_start, calls.c.id)).all()
    if not rows:
        raise no_data()
    return [call_records.call_row(row, tz_name) for row in rows]


def lite_campaigns(db: Db, account: Account, start: datetime | None, end: datetime | None,
                   tz_name: str) -> list[dict]:
    """Every active offline campaign, with its calls in the range (also when there were none)."""
    in_range = _in_range(calls.c.call_start, start, end)
    counted = (select(calls.c.campaign_id, func.count().label("calls"),
                      func.sum(case((calls.c.call_status == "answered", 1), else_=0)).label("answered"),
                      func.sum(calls.c.duration).label("duration"))
               .where(calls.c.account_id == account.id, calls.c.campaign_id.is_not(None), *in_range)
               .group_by(calls.c.campaign_id).subquery())
    rows = db.execute(
        select(campaigns, number_table.c.forward_number, counted.c.calls, counted.c.answered, counted.c.duration)
        .outerjoin(number_table, number_table.c.id == campaigns.c.number_id)
        .outerjoin(counted, counted.c.campaign_id == campaigns.c.id)
        .where(campaigns.c.account_id == account.id, campaigns.c.status == "active")
        .order_by(campaigns.c.id)).all()
    if not rows:
        raise no_data()
    return [{"campaign_id": row.id, "title": row.title, "adgroup": row.adgroup, "sid": row.sid,
             "number": row.number, "forward_number": row.forward_number or "", "status": row.status,
             "created_on": values.timestamp_text(row.created_on, tz_name), "calls": int(row.calls or 0),
             "answered_calls": int(row.answered or 0), "duration": int(row.duration or 0)} for row in rows]


def visit_data(db: Db, account: Account, engine: str, start: datetime | None, end: datetime | None,
               tz_name: str) -> list[dict]:
    """Visits of one search channel started in the range, by keyword, with the calls attributed
    to them (session or post-session)."""
    matched = (select(calls.c.visit_id, func.count().label("calls"))
               .where(calls.c.account_id == account.id, calls.c.visit_id.is_not(None),
                      calls.c.match_type.in_(("session", "post_session")))
               .group_by(calls.c.visit_id).subquery())
    rows = db.execute(
        select(visits.c.keyword, func.count().label("visits"), func.coalesce(func.sum(matched.c.calls), 0).label("calls"),
               func.min(visits.c.started_at).label("first_visit"), func.max(visits.c.started_at).label("last_visit"))
        .outerjoin(matched, matched.c.visit_id == visits.c.id)
        .where(visits.c.account_id == account.id, visits.c.channel == engine,
               *_in_range(visits.c.started_at, start, end))
        .group_by(visits.c.keyword)).all()
    if not rows:
        raise no_data()
    ordered = sorted(rows, key=lambda row: (-int(row.calls), -int(row.visits), row.keyword))
    return [{"keyword": row.keyword, "filter": engine, "visits": int(row.visits), "calls": int(row.calls),
             "call_rate": values.money_text(Decimal(int(row.calls) * 100) / Decimal(int(row.visits))),
             "first_visit": values.timestamp_text(row.first_visit, tz_name),
             "last_visit": values.timestamp_text(row.last_visit, tz_name)} for row in ordered]


def add_lite_campaign(db: Db, account: Account, given: list[str], title: str, adgroup: str,
                      forward_number: str | None, extension: str, now: datetime, tz_name: str) -> dict:
    """A new active campaign on a lite (or unassigned, which becomes lite) number; the number's
    previous campaign ends, later calls go to this one."""
    number = numbers.resolve_one(db, account, given)
    if number.assign_type not in ("", "lite"):
        raise number_not_lite([number.sid])
    if number.metro_site_id is not None:
        raise metro_allocated([number.sid])
    changes: dict[str, Any] = {"assign_type": "lite"}
    if forward_number is not None:
        numbers.refuse_loop(db, account, [forward_number], "forward_number")
        changes.update(forward_number=forward_number, extension=extension)
    db.execute(update(number_table).where(number_table.c.id == number.id).values(**changes))
    numbers.end_campaigns(db, [number.id], now)
    created_on = values.utc_naive(now)
    campaign_id = db.execute(insert(campaigns).values(
        account_id=account.id, number_id=number.id, sid=number.sid, number=number.number, title=title,
        adgroup=adgroup, status="active", created_on=created_on).returning(campaigns.c.id)).scalar_one()
    return {"campaign_id": campaign_id, "title": title, "adgroup": adgroup, "sid": number.sid,
            "number": number.number, "forward_number": changes.get("forward_number", number.forward_number),
            "extension": changes.get("extension", number.extension), "status": "active",
            "created_on": values.timestamp_text(created_on, tz_name)}
