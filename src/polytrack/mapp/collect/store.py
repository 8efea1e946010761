"""Storing hits as they came: the hits of many requests in one transaction (the pixel's group
commit), committed before any of them is answered. They are stored `pending`: their visits are
derived after the commit, off the request's path (collect/sessions.py).

Runs on `kernel.hot.CollectedDB`, a held driver connection like the hot path's whose commits move only the
`collected` marker of the read caches (kernel.coherence): hits arriving all day leave the caches
of credentials and accounts alone.
"""

from __future__ import annotations

import json
from functools import lru_cache
from operator import attrgetter
from datetime import datetime, timedelta, tzinfo
from typing import NamedTuple, Sequence

from polytrack.kernel.dates import zone
from polytrack.kernel.sql import Db, Statement
from polytrack.mapp.collect.pixel import Hit, clean


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
_hit_values = attrgetter(*_HIT_COLUMNS)  # a Hit's columns as a tuple, in one call
_INSERT_COLUMNS = ("account_id", *_HIT_COLUMNS, "pending", "params", "day", "week", "weekday", "hour", "minute")
HITS_PER_STATEMENT = 400  # 33 values each: well under SQLite's 32766 placeholders
_insert_statements: dict[int, Statement] = {}


def _insert_hits(count: int) -> Statement:
    """INSERT of `count` hits in one statement (built once per size)."""
    found = _insert_statements.get(count)
    if found is None:
        group = "(" + ", ".join("?" * len(_INSERT_COLUMNS)) + ")"
        found = _insert_statements[count] = Statement(
            f"INSERT INTO mapp_hits ({', '.join(_INSERT_COLUMNS)}) VALUES {', '.join([group] * count)}")
    return found


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


def store_hits(db: Db, hits: Sequence[tuple[Destination, Hit]]) -> None:
    """Insert the hits in the caller's transaction, one row each; all but bots' are left
    pending for sessionisation, which files their custom parameters."""
    for start in range(0, len(hits), HITS_PER_STATEMENT):
        chunk = hits[start:start + HITS_PER_STATEMENT]
        db.run(_insert_hits(len(chunk)), [
            value for where, hit in chunk
            for value in (where.account_id, *_hit_values(hit), not hit.bot,
                          json.dumps(hit.params, ensure_ascii=False) if hit.params else "",
                          *local_time(hit.time_ms, where.zone))])


def local_time(time_ms: int, where_zone: tzinfo) -> tuple[str, str, int, str, str]:
    """(day, ISO week, weekday, hour, minute) of an instant in the account's time zone."""
    return _local_minute(time_ms // 60_000, where_zone)


@lru_cache(maxsize=4096)
def _local_minute(minute: int, where_zone: tzinfo) -> tuple[str, str, int, str, str]:
    # per minute (every time zone's offset is whole minutes): hits come in bursts of the same minutes
    moment = datetime.fromtimestamp(minute * 60, where_zone)
    year, week, _ = moment.isocalendar()
    return moment.date().isoformat(), f"{year}-{week:02d}", moment.weekday(), f"{moment.hour:02d}", f"{moment.minute:02d}"


def days_between(low_ms: int, high_ms: int, where_zone: tzinfo) -> list[str]:
    first = datetime.fromtimestamp(low_ms / 1000, where_zone).date()
    last = datetime.fromtimestamp(high_ms / 1000, where_zone).date()
    return [(first + timedelta(days=k)).isoformat() for k in range((last - first).days + 1)]


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
