"""Dynamic number insertion: which site numbers a page swaps, which tracking number each visitor
sees, and the visit that a later call is attributed to. Plain functions over a `Db`; the
tracking script and its swap endpoint (site_script.py) call them.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any, NamedTuple
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import delete, insert, select

from polytrack.avidtrak import values
from polytrack.avidtrak.domain import Account
from polytrack.avidtrak.errors import not_found, too_many_entries
from polytrack.avidtrak.tables import avidtrak_smart_replacement as manifest
from polytrack.kernel.sql import Db, Statement

MAX_SITE_PHONES = 20
SESSION = timedelta(minutes=30)
RETURNING = timedelta(days=30)  # the visitor cookie's life: a returning visitor sees the same number
PAID_MEDIUMS = ("cpc", "ppc", "paid", "paidsearch")
NOT_PROVIDED = "(not provided)"


# --- the smart replacement manifest -------------------------------------------------------------

def site_phones(db: Db, account: Account) -> list[str]:
    return list(db.execute(select(manifest.c.site_phone).where(manifest.c.account_id == account.id)
                           .order_by(manifest.c.site_phone)).scalars())


def set_smart_replacement(db: Db, account: Account, action: str, phones: list[str]) -> dict:
    present = set(site_phones(db, account))
    if action == "add":
        new = [phone for phone in phones if phone not in present]
        if len(present) + len(new) > MAX_SITE_PHONES:
            raise too_many_entries(MAX_SITE_PHONES)
        for phone in new:
            db.execute(insert(manifest).values(account_id=account.id, site_phone=phone))
        results = [{"site_phone": p, "status": "added" if p in new else "exists"} for p in phones]
    else:
        gone = [phone for phone in phones if phone in present]
        if not gone:
            raise not_found()
        db.execute(delete(manifest).where(manifest.c.account_id == account.id, manifest.c.site_phone.in_(gone)))
        results = [{"site_phone": p, "status": "deleted" if p in gone else "not_found"} for p in phones]
    return {"action": action, "results": results, "site_phones": site_phones(db, account)}


# --- where a visitor came from ------------------------------------------------------------------

class Source(NamedTuple):
    channel: str
    keyword: str
    signal: bool  # the page load names where the visitor came from (a click id, utm, an outside referrer)


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def classify(url: str, referrer: str) -> Source:
    """The visit's channel and keyword, from the landing URL and the referrer, first match
    winning: Google paid, Bing paid, Yahoo paid, the engines' organic results, other sites
    (linksource), direct."""
    try:
        query = {key.lower(): found[-1] for key, found in parse_qs(urlsplit(url).query).items()}
    except ValueError:
        query = {}
    source, medium = query.get("utm_source", "").lower(), query.get("utm_medium", "").lower()
    paid = medium in PAID_MEDIUMS
    ref_host, page_host = _host(referrer), _host(url)
    try:
        ref_query = {key.lower(): found[-1] for key, found in parse_qs(urlsplit(referrer).query).items()}
    except ValueError:
        ref_query = {}
    if "gclid" in query or (source == "google" and paid):
        channel = "gppc"
    elif "msclkid" in query or (source in ("bing", "microsoft") and paid):
        channel = "bppc"
    elif source == "yahoo" and paid:
        channel = "yppc"
    elif re.fullmatch(r"(www\.)?google\.[a-z.]+", ref_host):
        channel = "gseo"
    elif ref_host in ("bing.com", "www.bing.com"):
        channel = "bseo"
    elif ref_host in ("search.yahoo.com", "yahoo.com", "www.yahoo.com"):
        channel = "yseo"
    elif ref_host and ref_host != page_host:
        channel = "linksource"
    else:
        channel = "direct"
    keyword = query.get("utm_term") or ref_query.get("p" if channel in ("yseo", "yppc") else "q") or NOT_PROVIDED
    signal = bool({"gclid", "msclkid", "utm_source"} & set(query)) or bool(ref_host and ref_host != page_host)
    return Source(channel, keyword[:500], signal)


# --- a page load: fixed statements (the swap endpoint stores it by group commit, voice.py) -------

_ACCOUNT_BY_SITE_KEY = Statement("SELECT id, kind, parent_id, userid, account_type FROM avidtrak_accounts "
                                 "WHERE site_key = ?")
_SITE_PHONES = Statement("SELECT site_phone FROM avidtrak_smart_replacement WHERE account_id = ? ORDER BY site_phone")
_METRO_SITES = Statement("SELECT id, site_number FROM avidtrak_metro_sites WHERE account_id = ? ORDER BY id")
_HELD = Statement("SELECT id, number, assign_type, metro_site_id, sid FROM avidtrak_numbers "
                  "WHERE owner_id = ? AND sid IS NOT NULL ORDER BY id")
_LAST_DISPLAYED = Statement("SELECT id, last_displayed_at FROM avidtrak_numbers WHERE owner_id = ? AND sid IS NOT NULL")
_ACTIVE_VISIT = Statement("SELECT id, channel, keyword FROM avidtrak_visits "
                          "WHERE account_id = ? AND visitor_id = ? AND last_seen >= ? ORDER BY last_seen DESC LIMIT 1")
_VISIT_SEEN = Statement("UPDATE avidtrak_visits SET last_seen = ? WHERE id = ?")
_NEW_VISIT = Statement("""
    INSERT INTO avidtrak_visits (account_id, visitor_id, channel, keyword, landing_page, referrer, ip, user_agent,
                                 started_at, last_seen)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
""")
# The number this visitor saw for a site number: in the current visit first, else the latest.
_PREVIOUSLY_SHOWN = Statement("""
    SELECT vn.tracking_number FROM avidtrak_visit_numbers vn JOIN avidtrak_visits v ON v.id = vn.visit_id
    WHERE v.account_id = ? AND v.visitor_id = ? AND vn.site_number = ? AND vn.shown_at >= ?
    ORDER BY CASE WHEN vn.visit_id = ? THEN 0 ELSE 1 END, vn.shown_at DESC LIMIT 1
""")
_DISPLAYED = Statement("UPDATE avidtrak_numbers SET last_displayed_at = ? WHERE id = ?")
_SHOWN = Statement("""
    INSERT INTO avidtrak_visit_numbers (visit_id, site_number, tracking_number, shown_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (visit_id, site_number) DO UPDATE SET tracking_number = excluded.tracking_number,
                                                      shown_at = excluded.shown_at
""")


def account_by_site_key(db: Db, site_key: str) -> Account | None:
    row = db.one(_ACCOUNT_BY_SITE_KEY, (site_key,))
    return None if row is None else Account._make(row)


class HeldNumber(NamedTuple):
    id: int
    number: str
    assign_type: str
    metro_site_id: int | None
    sid: str


class Site(NamedTuple):
    """What a page load of an account's site swaps: its configuration, changed only by
    operations, so the swap endpoint keeps it in a per-process cache that follows the kernel's
    Generation (site_script.py). When each number was last displayed changes with every page
    load: it is read in the page load's transaction."""

    account: Account
    phones: tuple[str, ...]  # the smart replacement manifest
    metro_sites: tuple[tuple[int, str], ...]  # (site id, site number)
    held: tuple[HeldNumber, ...]


def site_of(db: Db, account: Account) -> Site:
    return Site(account, tuple(phone for phone, in db.all(_SITE_PHONES, (account.id,))),
                tuple((site_id, number) for site_id, number in db.all(_METRO_SITES, (account.id,))),
                tuple(HeldNumber._make(row) for row in db.all(_HELD, (account.id,))))


def site_by_key(db: Db, site_key: str) -> Site | None:
    account = account_by_site_key(db, site_key)
    return None if account is None else site_of(db, account)


class Visit(NamedTuple):
    id: int
    channel: str
    keyword: str


class Swap(NamedTuple):
    site_number: str
    number: str


def _visit(db: Db, account: Account, visitor_id: str, source: Source, url: str, referrer: str, at: datetime,
           ip: str, user_agent: str) -> Visit:
    """The visitor's active visit (a page load less than 30 minutes after the last, without a
    new source), refreshed; else a new one."""
    active = db.one(_ACTIVE_VISIT, (account.id, visitor_id, values.stored_moment(db.dialect, at - SESSION)))
    if active is not None and not (source.signal and (source.channel, source.keyword) != tuple(active[1:])):
        db.run(_VISIT_SEEN, (values.stored_moment(db.dialect, at), active[0]))
        return Visit._make(active)
    stored_at = values.stored_moment(db.dialect, at)
    visit_id = db.one(_NEW_VISIT, (account.id, visitor_id, source.channel, source.keyword, url[:2000],
                                   referrer[:2000], ip[:64], user_agent[:500], stored_at, stored_at))[0]
    return Visit(visit_id, source.channel, source.keyword)


def _targets(site: Site, channel: str) -> list[tuple[str, list[HeldNumber]]]:
    """Each site number the page swaps, with the numbers eligible for this visit's channel: the
    manifest's from the channel's own pool, else the universal one; a metro site's from its
    allocated numbers of the channel, else all of them."""
    targets = []
    unallocated = [n for n in site.held if n.metro_site_id is None]
    pool = [n for n in unallocated if n.assign_type == channel] or \
        [n for n in unallocated if n.assign_type == "universal"]
    for phone in site.phones:
        targets.append((phone, pool))
    for site_id, site_number in site.metro_sites:
        allocated = [n for n in site.held if n.metro_site_id == site_id]
        targets.append((site_number, [n for n in allocated if n.assign_type == channel] or allocated))
    return targets


def _least_recently_displayed(candidates: list[HeldNumber], displayed: dict[int, datetime | None]) -> HeldNumber:
    """Never shown first, then the one whose last display is oldest; ties by SID."""
    return min(candidates, key=lambda n: (displayed[n.id] is not None, displayed[n.id] or datetime.min, n.sid))


def page_load(db: Db, site: Site, visitor_id: str, url: str, referrer: str, at: datetime,
              ip: str = "", user_agent: str = "") -> tuple[Visit, list[Swap]]:
    """Record a page load of the account's site and choose a tracking number for every site
    number it swaps (the smart replacement manifest and the metro site numbers). A returning
    visitor (within 30 days) keeps the number they saw."""
    account = site.account
    source = classify(url, referrer)
    visit = _visit(db, account, visitor_id, source, url, referrer, at, ip, user_agent)
    targets = [(site_number, eligible) for site_number, eligible in _targets(site, visit.channel) if eligible]
    if not targets:
        return visit, []
    # numbers released since the site was read are gone from here, and so not swapped in
    displayed = {number_id: None if last is None else values.read_moment(last)
                 for number_id, last in db.all(_LAST_DISPLAYED, (account.id,))}
    stored_at, since = values.stored_moment(db.dialect, at), values.stored_moment(db.dialect, at - RETURNING)
    swaps = []
    for site_number, eligible in targets:
        eligible = [n for n in eligible if n.id in displayed]
        if not eligible:
            continue
        before = db.one(_PREVIOUSLY_SHOWN, (account.id, visitor_id, site_number, since, visit.id))
        chosen = next((n for n in eligible if before is not None and n.number == before[0]), None) or \
            _least_recently_displayed(eligible, displayed)
        db.run(_DISPLAYED, (stored_at, chosen.id))
        displayed[chosen.id] = at
        db.run(_SHOWN, (visit.id, site_number, chosen.number, stored_at))
        swaps.append(Swap(site_number, chosen.number))
    return visit, swaps
