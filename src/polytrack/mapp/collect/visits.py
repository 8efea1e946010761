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


_HIT_COLUMNS = "id, time_ms, kind, new_session, page, page_url, referrer, campaign, customer, browser, os, device, country"


@dataclass
class Visit:
    day: str
    hits: list[HitRow] = field(default_factory=list)
    durations: dict[int, int] = field(default_factory=dict)  # page impression id -> ms on that page

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
    return visits


_WINDOW = Statement(f"""
    SELECT {_HIT_COLUMNS} FROM mapp_hits
    WHERE account_id = ? AND visitor = ? AND bot = ? AND time_ms > ? AND time_ms < ?
    ORDER BY time_ms, query, id
""")
_DELETE_VISITS = Statement("DELETE FROM mapp_visits WHERE account_id = ? AND visitor = ? AND start_ms >= ? AND start_ms <= ?")
_INSERT_VISIT = Statement("""
    INSERT INTO mapp_visits (account_id, visitor, customer, start_ms, end_ms, day, hits, page_impressions,
        entry_page, exit_page, bounce, campaign, referrer, entry_source, browser, os, device, country)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
""")
_SET_VISIT = Statement("UPDATE mapp_hits SET visit_id = ?, duration_ms = ?, is_entry = ?, is_exit = ?, is_bounce = ? "
                       "WHERE id = ?")
_VISIT_KEYS = ("customer", "start_ms", "end_ms", "day", "hits", "page_impressions", "entry_page", "exit_page",
               "bounce", "campaign", "referrer", "entry_source", "browser", "os", "device", "country")


def rederive(db: Db, account_id: int, visitor: str, first_ms: int, last_ms: int, zone: tzinfo) -> tuple[int, int] | None:
    """Derive again the visits of `visitor` around hits between `first_ms` and `last_ms` (just
    stored): the window grows until a 30-minute gap bounds it on each side, so no visit reaches
    out of it. Returns the window (first, last hit time) re-derived, None if it holds no hit."""
    low, high = first_ms, last_ms
    while True:
        rows = db.all(_WINDOW, (account_id, visitor, False, low - GAP_MS, high + GAP_MS))
        if not rows:
            return None
        if rows[0][1] >= low and rows[-1][1] <= high:
            break
        low, high = min(low, rows[0][1]), max(high, rows[-1][1])
    hits = [HitRow._make(row) for row in rows]
    low, high = hits[0].time_ms, hits[-1].time_ms
    db.run(_DELETE_VISITS, (account_id, visitor, low, high))
    updates: list[tuple] = []
    for visit in sessionise(hits, zone):
        attributes = visit.attributes()
        visit_id = db.one(_INSERT_VISIT, (account_id, visitor, *(attributes[key] for key in _VISIT_KEYS)))[0]
        pages = visit.page_impressions
        entry, exit_ = (pages[0].id, pages[-1].id) if pages else (None, None)
        updates.extend((visit_id, visit.durations.get(hit.id), hit.id == entry, hit.id == exit_,
                        hit.id == entry and len(pages) == 1, hit.id) for hit in visit.hits)
    db.many(_SET_VISIT, updates)
    return low, high
