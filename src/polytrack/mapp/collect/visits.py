"""Sessionisation: a visitor's hits -> visits.

A visit is a run of one visitor's hits (bots' hits take no part) that ends after 30 minutes
without a hit, when a hit says it opens a new session (`fns=1`) or at midnight in the account's
time zone (so a visit belongs to one day). Hits are ordered by when they happened, ties by their
query text, so the visits are a function of the *set* of hits, whatever order they arrived in.

Derivation is local: a gap of 30 minutes always ends a visit, so when hits land, the visitor's
hits around them are read out to the nearest such gap on each side, the visits there are deleted
and derived again (`rederive`). A late or out-of-order hit therefore ends up exactly as if it had
arrived in order (tests/mapp/test_visits_property.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import NamedTuple, Sequence

from polytrack.kernel.sql import Db, Statement
from polytrack.mapp.collect.pixel import GAP_MS, is_search_engine
from urllib.parse import urlsplit

# Mapp counts the last page of a visit as viewed for 30 seconds (its Page Duration Avg definition).
EXIT_PAGE_MS = 30_000


class HitRow(NamedTuple):
    id: int
    time_ms: int
    kind: str
    new_session: bool
    page: str
    page_url: str
    referrer: str
    campaign: str
    customer: str
    browser: str
    os: str
    device: str
    country: str
    media: str
    media_action: str
    media_position: int


_HIT_COLUMNS = ("id, time_ms, kind, new_session, page, page_url, referrer, campaign, customer, browser, os, device, country, "
                "media, media_action, media_position")
COMPLETE_ACTIONS = ("eof", "finish")


@dataclass
class Visit:
    day: str
    hits: list[HitRow] = field(default_factory=list)
    durations: dict[int, int] = field(default_factory=dict)  # page impression id -> ms on that page
    # per media view (one media in this visit): hit id -> (counts the view, counts it complete,
    # seconds played, carried by the view's furthest hit)
    media: dict[int, tuple[bool, bool, int]] = field(default_factory=dict)

    @property
    def page_impressions(self) -> list[HitRow]:
        return [hit for hit in self.hits if hit.kind == "page"]

    def attributes(self) -> dict:
        """The visit's row (without account and visitor): from its first hit, campaign and
        customer from the first hit that has one."""
        first, pages = self.hits[0], self.page_impressions
        campaign = next((hit.campaign for hit in self.hits if hit.campaign), "")
        return {
            "customer": next((hit.customer for hit in self.hits if hit.customer), ""),
            "start_ms": first.time_ms, "end_ms": self.hits[-1].time_ms, "day": self.day,
            "hits": len(self.hits), "page_impressions": len(pages),
            "entry_page": pages[0].page if pages else "", "exit_page": pages[-1].page if pages else "",
            "bounce": len(pages) == 1, "campaign": campaign, "referrer": first.referrer,
            "entry_source": entry_source(campaign, first.referrer, first.page_url),
            "browser": first.browser, "os": first.os, "device": first.device, "country": first.country,
        }


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def entry_source(campaign: str, referrer: str, page_url: str) -> str:
    """campaign | search | referrer | direct (a referrer on the site itself counts as direct)."""
    if campaign:
        return "campaign"
    host = _host(referrer)
    if not host:
        return "direct"
    if is_search_engine(host):
        return "search"
    return "direct" if host == _host(page_url) else "referrer"


def local_day(time_ms: int, zone: tzinfo) -> str:
    return datetime.fromtimestamp(time_ms / 1000, zone).date().isoformat()


def sessionise(hits: Sequence[HitRow], zone: tzinfo) -> list[Visit]:
    """Visits of hits already in order (time, then query text). Pure."""
    visits: list[Visit] = []
    previous_ms = 0
    for hit in hits:
        day = local_day(hit.time_ms, zone)
        if not visits or hit.new_session or hit.time_ms - previous_ms >= GAP_MS or day != visits[-1].day:
            visits.append(Visit(day))
        visits[-1].hits.append(hit)
        previous_ms = hit.time_ms
    for visit in visits:
        pages = visit.page_impressions
        for page, following in zip(pages, pages[1:]):
            visit.durations[page.id] = following.time_ms - page.time_ms
        if pages:
            visit.durations[pages[-1].id] = EXIT_PAGE_MS
        views: dict[str, list[HitRow]] = {}
        for hit in visit.hits:
            if hit.kind == "media" and hit.media:
                views.setdefault(hit.media, []).append(hit)
        for hits_of_view in views.values():
            furthest = max(hits_of_view, key=lambda hit: (hit.media_position, hit.time_ms))
            complete = next((hit for hit in hits_of_view if hit.media_action in COMPLETE_ACTIONS), None)
            for hit in hits_of_view:
                visit.media[hit.id] = (hit is hits_of_view[0], hit is complete,
                                       hit.media_position if hit is furthest else 0)
    return visits


# The hits of many visitors in one statement, ordered as sessionise wants them per visitor.
_VISITORS_SQL = (f"SELECT visitor, visit_id, pending, params, query, {_HIT_COLUMNS} FROM mapp_hits WHERE account_id = ? AND bot = ? "
                 "AND time_ms > ? AND time_ms < ? AND visitor IN ({marks}) ORDER BY visitor, time_ms, query, id")
_DELETE_VISIT = Statement("DELETE FROM mapp_visits WHERE id = ?")
_VISIT_KEYS = ("customer", "start_ms", "end_ms", "day", "hits", "page_impressions", "entry_page", "exit_page",
               "bounce", "campaign", "referrer", "entry_source", "browser", "os", "device", "country")
_INSERT_VISITS_SQL = (f"INSERT INTO mapp_visits (account_id, visitor, {', '.join(_VISIT_KEYS)}) VALUES {{rows}} "
                      f"RETURNING id, visitor, {', '.join(_VISIT_KEYS)}")
# also takes the hit off the pending list (collect/sessions.py): it is derived now
_SET_VISIT = Statement("UPDATE mapp_hits SET visit_id = ?, duration_ms = ?, is_entry = ?, is_exit = ?, is_bounce = ?, "
                       "media_view = ?, media_complete = ?, play_seconds = ?, pending = FALSE WHERE id = ?")
# a retransmitted hit stays stored but takes part in no visit (so in no analysis)
_SET_RETRANSMITTED = Statement("UPDATE mapp_hits SET visit_id = NULL, duration_ms = NULL, is_entry = FALSE, "
                               "is_exit = FALSE, is_bounce = FALSE, media_view = FALSE, media_complete = FALSE, "
                               "play_seconds = 0, pending = FALSE WHERE id = ?")
VISITORS_PER_STATEMENT = 200
VISITS_PER_STATEMENT = 300   # 18 values each: well under SQLite's 32766 placeholders
# Hits are read this far beyond the new hits' times, so the window of a visitor whose visits
# reach further out can mostly still be found in what was read (else it is read again).
MARGIN_MS = 6 * 3600 * 1000
_statements: dict[tuple[str, int], Statement] = {}


def _sized(template: str, count: int, width: int) -> Statement:
    """A statement with `count` placeholder groups of `width` (built once per size)."""
    key = (template, count)
    found = _statements.get(key)
    if found is None:
        if "{marks}" in template:
            found = Statement(template.format(marks=", ".join("?" * count)))
        else:
            group = "(" + ", ".join("?" * width) + ")"
            found = Statement(template.format(rows=", ".join([group] * count)))
        if len(_statements) < 1000:
            _statements[key] = found
    return found


_NO_MEDIA = (False, False, 0)
_TIME = 6  # where a read row holds the hit's time (after visitor, visit_id, pending, params, query and id)
_HIT = 5   # where the HitRow columns start
_QUERY = 4


def _window(rows: list, low: int, high: int) -> tuple[int, int, list]:
    """Grow [low, high] over a visitor's ordered rows until no row lies within 30 minutes
    outside it; the rows inside."""
    while True:
        inside = [row for row in rows if low - GAP_MS < row[_TIME] < high + GAP_MS]
        if not inside or (inside[0][_TIME] >= low and inside[-1][_TIME] <= high):
            return low, high, inside
        low, high = min(low, inside[0][_TIME]), max(high, inside[-1][_TIME])


def _read(db: Db, account_id: int, visitors: list[str], low: int, high: int) -> dict[str, list]:
    """Each visitor's hits in (low, high), as (visitor, visit_id, pending, params, query, hit columns...)."""
    found: dict[str, list] = {visitor: [] for visitor in visitors}
    for start in range(0, len(visitors), VISITORS_PER_STATEMENT):
        chunk = visitors[start:start + VISITORS_PER_STATEMENT]
        for row in db.all(_sized(_VISITORS_SQL, len(chunk), 1), (account_id, False, low, high, *chunk)):
            found[row[0]].append(row)
    return found


class Rederived(NamedTuple):
    windows: list[tuple[int, int]]          # (first, last ms) of each visitor's window derived again
    first_time: list[tuple[int, str]]       # (hit id, params as stored) of the hits derived for the first time


def rederive(db: Db, account_id: int, windows: dict[str, tuple[int, int]], zone: tzinfo) -> Rederived:
    """Derive again the visits of each visitor around its new hits (`windows`: visitor -> first
    and last new hit time): a visitor's window grows until a 30-minute gap bounds it on each
    side, so no visit reaches out of it; the visits there are deleted and derived again (and
    every hit in them is no longer pending). A few statements for all the visitors together."""
    if not windows:
        return Rederived([], [])
    read_low = min(low for low, _ in windows.values()) - GAP_MS - MARGIN_MS
    read_high = max(high for _, high in windows.values()) + GAP_MS + MARGIN_MS
    rows_of = _read(db, account_id, sorted(windows), read_low, read_high)
    chosen: dict[str, list] = {}
    for visitor, (low, high) in windows.items():
        low, high, inside = _window(rows_of[visitor], low, high)
        if inside and (low - GAP_MS <= read_low or high + GAP_MS >= read_high):
            # the window reaches beyond what was read: read this visitor's hits around it again
            low, high, inside = _window_read(db, account_id, visitor, low, high)
        if inside:
            chosen[visitor] = inside

    old = sorted({row[1] for inside in chosen.values() for row in inside if row[1] is not None})
    if old:
        db.many(_DELETE_VISIT, [(visit_id,) for visit_id in old])
    retransmitted: list[tuple[int]] = []
    for visitor, inside in chosen.items():
        chosen[visitor] = _first_of_each(inside, retransmitted)
    if retransmitted:
        db.many(_SET_RETRANSMITTED, retransmitted)
    derived = [(visitor, visit) for visitor, inside in sorted(chosen.items())
               for visit in sessionise([HitRow._make(row[_HIT:]) for row in inside], zone)]
    rows = [(visitor, visit, _values(visit.attributes())) for visitor, visit in derived]
    # Rows come back in no promised order: a new visit is known by its visitor and attributes
    # (two visits alike in all of them are interchangeable: they start together and hold alike hits).
    ids: dict[tuple, list[int]] = {}
    for start in range(0, len(rows), VISITS_PER_STATEMENT):
        chunk = rows[start:start + VISITS_PER_STATEMENT]
        values = [value for visitor, _, attributes in chunk for value in (account_id, visitor, *attributes)]
        statement = _sized(_INSERT_VISITS_SQL, len(chunk), 2 + len(_VISIT_KEYS))
        for visit_id, *key in db.all(statement, values):
            ids.setdefault(tuple(key), []).append(visit_id)
    updates: list[tuple] = []
    for visitor, visit, attributes in rows:
        visit_id = ids[(visitor, *_stored(attributes))].pop()
        pages = visit.page_impressions
        entry, exit_ = (pages[0].id, pages[-1].id) if pages else (None, None)
        updates.extend((visit_id, visit.durations.get(hit.id), hit.id == entry, hit.id == exit_,
                        hit.id == entry and len(pages) == 1, *visit.media.get(hit.id, _NO_MEDIA), hit.id)
                       for hit in visit.hits)
    if updates:
        db.many(_SET_VISIT, updates)
    _file_session_parameters(db, account_id, chosen, derived)
    return Rederived([(inside[0][_TIME], inside[-1][_TIME]) for inside in chosen.values()],
                     [(row[_HIT], row[3]) for inside in chosen.values() for row in inside if row[2]])


def is_session_parameter(name: str) -> bool:
    return name.startswith("cs")


_DELETE_SESSION_PARAMETERS = Statement("DELETE FROM mapp_hit_params WHERE hit_id = ? AND name LIKE 'cs%'")
_INSERT_PARAMETER = Statement("INSERT INTO mapp_hit_params (hit_id, name, value, account_id) VALUES (?, ?, ?, ?)")


def _file_session_parameters(db: Db, account_id: int, chosen: dict[str, list], derived: list[tuple[str, Visit]]) -> None:
    """Session parameters (`cs<n>`) hold the visit's last value: every hit of a visit carries,
    per name, the value of the visit's last hit that sent one. Filed again for the windows
    derived again (a visit lies wholly inside its window, so a window without any hit sending
    one has no such rows)."""
    params_of = {row[_HIT]: row[3] for inside in chosen.values() for row in inside if '"cs' in row[3]}
    if not params_of:
        return
    db.many(_DELETE_SESSION_PARAMETERS, [(row[_HIT],) for inside in chosen.values() for row in inside])
    rows: list[tuple[int, str, str, int]] = []
    for _, visit in derived:
        last: dict[str, str] = {}
        for hit in visit.hits:
            if hit.id in params_of:
                last.update((name, value) for name, value in json.loads(params_of[hit.id]) if is_session_parameter(name))
        rows.extend((hit.id, name, value, account_id) for hit in visit.hits for name, value in sorted(last.items()))
    if rows:
        db.many(_INSERT_PARAMETER, rows)


def _first_of_each(inside: list, retransmitted: list[tuple[int]]) -> list:
    """A visitor's rows without retransmissions: a hit alike in time and query text to an
    earlier stored one (ordered by time, query, id) is the same hit sent again (a library's retry
    after a lost answer); its id goes to `retransmitted`."""
    kept: list = []
    for row in inside:
        if kept and row[_TIME] == kept[-1][_TIME] and row[_QUERY] == kept[-1][_QUERY]:
            retransmitted.append((row[_HIT],))
        else:
            kept.append(row)
    return kept


def _values(attributes: dict) -> tuple:
    return tuple(attributes[key] for key in _VISIT_KEYS)


def _stored(attributes: tuple) -> tuple:
    """Visit attributes as the database gives them back (SQLite returns booleans as 0/1)."""
    return tuple(int(value) if isinstance(value, bool) else value for value in attributes)


def _window_read(db: Db, account_id: int, visitor: str, low: int, high: int) -> tuple[int, int, list]:
    """`_window` for one visitor, reading its hits again until the window is bounded."""
    while True:
        rows = _read(db, account_id, [visitor], low - GAP_MS - MARGIN_MS, high + GAP_MS + MARGIN_MS)[visitor]
        new_low, new_high, inside = _window(rows, low, high)
        if not inside or (new_low - GAP_MS > low - GAP_MS - MARGIN_MS and new_high + GAP_MS < high + GAP_MS + MARGIN_MS):
            return new_low, new_high, inside
        low, high = new_low, new_high
