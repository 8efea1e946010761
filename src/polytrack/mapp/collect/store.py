"""Storing hits: the hits of one request in one transaction, with the visits of their visitors
derived again before it commits, so a hit that was acknowledged is stored and counted.

Runs on `CollectedDB`, a held driver connection like the hot path's whose commits move only the
`collected` marker of the read caches (kernel.coherence): hits arriving all day leave the caches
of credentials and accounts alone.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, tzinfo
from typing import NamedTuple, Sequence

from polytrack.kernel.dates import zone
from polytrack.kernel.hot import HotDB
from polytrack.kernel.sql import Db, Statement
from polytrack.mapp.collect.pixel import Hit, clean
from polytrack.mapp.collect.visits import rederive


class CollectedDB(HotDB):
    """The pixel's held connection: it writes only collected data (hits and their visits)."""

    collected = True


class Destination(NamedTuple):
    """The account a Track ID records into."""

    account_id: int
    zone: tzinfo


_DESTINATION = Statement("""
    SELECT a.id, a.timezone FROM mapp_track_ids t JOIN mapp_accounts a ON a.id = t.account_id WHERE t.track_id = ?
""")


def destination(db: Db, track_id: str) -> Destination | None:
    row = db.one(_DESTINATION, (track_id,)) if "\x00" not in track_id else None
    return Destination(row[0], zone(row[1])) if row else None


_HIT_COLUMNS = ("visitor", "time_ms", "received_ms", "kind", "bot", "new_session", "page", "page_url", "referrer",
                "search_phrase", "campaign", "action", "customer", "browser", "os", "device", "country",
                "order_value_cents", "quantity", "is_order", "query", "user_agent", "media", "media_action",
                "media_position")
_INSERT_COLUMNS = ("account_id", *_HIT_COLUMNS, "day", "week", "weekday", "hour", "minute")
HITS_PER_STATEMENT = 400  # 31 values each: well under SQLite's 32766 placeholders
_insert_statements: dict[int, Statement] = {}


def _insert_hits(count: int) -> Statement:
    """INSERT of `count` hits in one statement, returning each row's id and key."""
    found = _insert_statements.get(count)
    if found is None:
        group = "(" + ", ".join("?" * len(_INSERT_COLUMNS)) + ")"
        found = _insert_statements[count] = Statement(
            f"INSERT INTO mapp_hits ({', '.join(_INSERT_COLUMNS)}) VALUES {', '.join([group] * count)} "
            "RETURNING id, account_id, visitor, time_ms, query")
    return found
_INSERT_PARAMETER = Statement("INSERT INTO mapp_hit_params (hit_id, name, value, account_id) VALUES (?, ?, ?, ?)")
_NOTE_PARAMETER_NAME = Statement("INSERT INTO mapp_parameter_names (account_id, name) VALUES (?, ?) "
                                 "ON CONFLICT (account_id, name) DO NOTHING")
# Taken before a visitor's hits are stored: on PostgreSQL the row lock makes two workers storing
# hits of one visitor take turns, so the second derives its visits from both workers' hits.
# (SQLite's write lock, taken when the transaction begins, does that there.)
_LOCK_VISITOR = Statement("""
    INSERT INTO mapp_visitors (account_id, visitor, hits) VALUES (?, ?, ?)
    ON CONFLICT (account_id, visitor) DO UPDATE SET hits = mapp_visitors.hits + excluded.hits
""")
_COUNT_REJECTED = Statement("""
    INSERT INTO mapp_rejected_hits (track_id, reason, count, first_ms, last_ms, example) VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (track_id, reason) DO UPDATE SET count = mapp_rejected_hits.count + excluded.count,
        last_ms = excluded.last_ms, example = excluded.example
""", bookkeeping=True)
MAX_TRACK_ID_CHARS = 64
MAX_EXAMPLE_CHARS = 500


class Rejection(NamedTuple):
    track_id: str
    reason: str
    example: str


def store_hits(db: Db, hits: Sequence[tuple[Destination, Hit]]) -> list[tuple[int, int, int]]:
    """Insert the hits and derive their visitors' visits again; the caller's transaction holds
    it all. Returns the windows re-derived: (account id, first ms, last ms)."""
    visitors: dict[tuple[int, str], list[int]] = defaultdict(list)
    zones = {}
    for where, hit in hits:
        if not hit.bot:
            visitors[(where.account_id, hit.visitor)].append(hit.time_ms)
            zones[where.account_id] = where.zone
    if visitors:  # in one order: no deadlock between workers
        db.many(_LOCK_VISITOR, [(account_id, visitor, len(times)) for (account_id, visitor), times in sorted(visitors.items())])
    parameters: list[tuple[int, str, str, int]] = []
    for start in range(0, len(hits), HITS_PER_STATEMENT):
        chunk = hits[start:start + HITS_PER_STATEMENT]
        values = [value for where, hit in chunk
                  for value in (where.account_id, *(getattr(hit, column) for column in _HIT_COLUMNS),
                                *local_time(hit.time_ms, where.zone))]
        # Rows come back in no promised order: a hit is known by (account, visitor, time, query),
        # and hits alike in all four have the same parameters (they are read from the query).
        ids: dict[tuple, list[int]] = defaultdict(list)
        for hit_id, *key in db.all(_insert_hits(len(chunk)), values):
            ids[tuple(key)].append(hit_id)
        for where, hit in chunk:
            hit_id = ids[(where.account_id, hit.visitor, hit.time_ms, hit.query)].pop()
            parameters.extend((hit_id, name, value, where.account_id) for name, value in hit.params)
    if parameters:
        db.many(_INSERT_PARAMETER, parameters)
        db.many(_NOTE_PARAMETER_NAME, sorted({(account_id, name) for _, name, _, account_id in parameters}))
    windows: list[tuple[int, int, int]] = []
    for account_id, account_zone in zones.items():
        new = {visitor: (min(times), max(times)) for (account, visitor), times in visitors.items() if account == account_id}
        windows.extend((account_id, low, high) for low, high in rederive(db, account_id, new, account_zone))
    count_changes(db, {(account_id, day) for account_id, low, high in windows
                    for day in days_between(low, high, zones[account_id])})
    return windows


def local_time(time_ms: int, where_zone: tzinfo) -> tuple[str, str, int, str, str]:
    """(day, ISO week, weekday, hour, minute) of an instant in the account's time zone."""
    moment = datetime.fromtimestamp(time_ms / 1000, where_zone)
    year, week, _ = moment.isocalendar()
    return moment.date().isoformat(), f"{year}-{week:02d}", moment.weekday(), f"{moment.hour:02d}", f"{moment.minute:02d}"


def days_between(low_ms: int, high_ms: int, where_zone: tzinfo) -> list[str]:
    first = datetime.fromtimestamp(low_ms / 1000, where_zone).date()
    last = datetime.fromtimestamp(high_ms / 1000, where_zone).date()
    return [(first + timedelta(days=k)).isoformat() for k in range((last - first).days + 1)]


# Last in a hit's transaction: on PostgreSQL the row stays locked until the commit, so a refresh
# of the day's pre-aggregates (analysis/daily.py) either sees the hit or finds a count newer than
# the one it read before reading the hits.
_MARK_DIRTY = Statement("""
    INSERT INTO mapp_day_changes (account_id, day, changes) VALUES (?, ?, 1)
    ON CONFLICT (account_id, day) DO UPDATE SET changes = mapp_day_changes.changes + 1
""")


def count_changes(db: Db, days: set[tuple[int, str]]) -> None:
    if days:
        db.many(_MARK_DIRTY, sorted(days))


def count_rejected(db: Db, rejections: Sequence[Rejection], now_ms: int) -> None:
    counts: dict[tuple[str, str], list] = {}
    for rejection in rejections:
        key = (clean(rejection.track_id, MAX_TRACK_ID_CHARS), rejection.reason)
        entry = counts.setdefault(key, [0, ""])
        entry[0] += 1
        entry[1] = clean(rejection.example, MAX_EXAMPLE_CHARS)
    db.many(_COUNT_REJECTED, [(track_id, reason, count, now_ms, now_ms, example)
                              for (track_id, reason), (count, example) in sorted(counts.items())])


_REJECTED = Statement("SELECT track_id, reason, count, first_ms, last_ms, example FROM mapp_rejected_hits "
                      "ORDER BY track_id, reason")


def rejected_hits(db: Db) -> list[dict]:
    return [{"trackId": track_id, "reason": reason, "count": count, "firstMs": first_ms, "lastMs": last_ms,
             "example": example}
            for track_id, reason, count, first_ms, last_ms, example in db.all(_REJECTED)]
