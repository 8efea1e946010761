"""Keeping the daily pre-aggregates current.

Sessionisation counts every change of a day's collected data (`mapp_day_changes`). The
pre-aggregates of a day and object were computed at some count (`mapp_daily_fresh`); a stale
day (its count moved since) is recomputed for that object from the raw hits, all such days in
one statement. The count is read before the hits: a change committed meanwhile moves it again,
so the day is recomputed next time rather than wrongly called current (on PostgreSQL the
sessionisation holds the day's row locked until its commit).

Who refreshes: the sessions' background work, every object an analysis has asked for
(`kept_objects`), and, for what it has not reached yet, the catch-up before an analysis
(collect/sessions.py), in a transaction of its own: the analysis itself only reads.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import and_, delete, insert, literal, or_, select

from polytrack.kernel.sql import Db
from polytrack.mapp.analysis import categories, hit_keys
from polytrack.mapp.analysis.definition import Dimension, builtin
from polytrack.mapp.analysis.metrics import COMPONENTS
from polytrack.mapp.analysis.sources import daily_key, day_totals, raw_grouped
from polytrack.mapp.tables import mapp_daily, mapp_daily_fresh, mapp_day_changes

_DAY, _WEEK, _WEEKDAY = builtin("days"), builtin("weeks"), builtin("weekdays")
CHUNK_DAYS = 200  # days recomputed per statement (bounded IN lists)


def epoch_ms(moment: datetime, zone: tzinfo) -> int:
    return int(moment.replace(tzinfo=zone).timestamp() * 1000)


def stale_days(db: Db, account_id: int, dimension: Dimension | None, first_day: date, last_day: date) -> list[tuple[str, int]]:
    """The days of [first_day, last_day] whose pre-aggregates for `dimension` are stale, with
    their change counts."""
    key = daily_key(dimension)
    changes, fresh = mapp_day_changes, mapp_daily_fresh
    rows: Any = db.execute(
        select(changes.c.day, changes.c.changes)
        .select_from(changes.outerjoin(fresh, and_(fresh.c.account_id == changes.c.account_id,
                                                   fresh.c.day == changes.c.day, fresh.c.dimension == key)))
        .where(changes.c.account_id == account_id, changes.c.day >= first_day.isoformat(),
               changes.c.day <= last_day.isoformat(), or_(fresh.c.changes.is_(None), fresh.c.changes != changes.c.changes))
        .order_by(changes.c.day)
    ).all()
    return [(row[0], row[1]) for row in rows]


def refresh(db: Db, account_id: int, zone: tzinfo, dimension: Dimension | None, first_day: date, last_day: date) -> int:
    """Recompute the stale days of [first_day, last_day] for `dimension` (None: the day's
    total; a filing's `filed` object: the days' products or order ids, which the categories keyed
    by them are computed from), in the caller's transaction. Returns how many days were
    recomputed."""
    key = daily_key(dimension)
    stale = stale_days(db, account_id, dimension, first_day, last_day)
    kind = categories.kind_of(dimension) if dimension is not None else None
    for filed in (kind.filed if stale and kind is not None else ()):  # computed from the days' filed keys
        refresh(db, account_id, zone, hit_keys.BY_NAME[filed].filed, date.fromisoformat(stale[0][0]),
                date.fromisoformat(stale[-1][0]))
    filing = hit_keys.BY_FILED.get(dimension) if dimension is not None else None
    for start in range(0, len(stale), CHUNK_DAYS):
        chunk = stale[start:start + CHUNK_DAYS]
        days = [day for day, _ in chunk]
        if filing is not None:  # no pre-aggregates: the days' keys filed again
            filing.file_days(db, account_id, zone, days)
            _mark_fresh(db, account_id, key, chunk)
            continue
        window = (epoch_ms(datetime.combine(date.fromisoformat(days[0]), time()), zone),
                  epoch_ms(datetime.combine(date.fromisoformat(days[-1]) + timedelta(days=1), time()), zone) - 1)
        if dimension is None:
            grouped = day_totals(account_id, window, days).subquery("grouped")
        else:
            grouped = raw_grouped(account_id, (_DAY, _WEEK, _WEEKDAY, dimension), window, (), db.dialect,
                                  days=days).subquery("grouped")
        db.execute(delete(mapp_daily).where(mapp_daily.c.account_id == account_id, mapp_daily.c.dimension == key,
                                            mapp_daily.c.day.in_(days)))
        db.execute(insert(mapp_daily).from_select(
            ["account_id", "day", "week", "weekday", "dimension", "value", *COMPONENTS],
            select(literal(account_id), grouped.c.d0, grouped.c.d1, grouped.c.d2, literal(key),
                   grouped.c.d3 if dimension is not None else literal(""), *(grouped.c[name] for name in COMPONENTS)),
        ))
        _mark_fresh(db, account_id, key, chunk)
    return len(stale)


def _mark_fresh(db: Db, account_id: int, key: str, chunk: list[tuple[str, int]]) -> None:
    """The days of `chunk` computed for object `key` at their change counts."""
    fresh, days = mapp_daily_fresh, [day for day, _ in chunk]
    db.execute(delete(fresh).where(fresh.c.account_id == account_id, fresh.c.dimension == key, fresh.c.day.in_(days)))
    db.execute(insert(fresh).values([{"account_id": account_id, "day": day, "dimension": key, "changes": count}
                                     for day, count in chunk]))


def kept_objects(db: Db, account_id: int) -> list[Dimension | None]:
    """Every object the account's pre-aggregates are kept by (those analyses have asked for),
    a filing's `filed` object included once a raw analysis by a category keyed by it asked for it."""
    keys = db.execute(select(mapp_daily_fresh.c.dimension).where(mapp_daily_fresh.c.account_id == account_id)
                      .distinct().order_by(mapp_daily_fresh.c.dimension)).scalars().all()
    # the SQL of a pre-aggregate needs only the object's key (built-in, param:..., category:...)
    return [Dimension(key, key) if key else None for key in keys]
