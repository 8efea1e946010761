"""Dynamic number insertion: which site numbers a page swaps, which tracking number each visitor
sees, and the visit that a later call is attributed to. Plain functions over a `Db`; the
tracking script and its swap endpoint (site_script.py) call them.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any, NamedTuple
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import delete, insert, select, update

from polytrack.avidtrak.domain import Account
from polytrack.avidtrak.errors import not_found, too_many_entries
from polytrack.avidtrak.tables import avidtrak_accounts as accounts
from polytrack.avidtrak.tables import avidtrak_metro_sites as sites
from polytrack.avidtrak.tables import avidtrak_numbers as numbers
from polytrack.avidtrak.tables import avidtrak_smart_replacement as manifest
from polytrack.avidtrak.tables import avidtrak_visit_numbers as shown
from polytrack.avidtrak.tables import avidtrak_visits as visits
from polytrack.kernel.sql import Db

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


# --- a page load --------------------------------------------------------------------------------

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


def account_by_site_key(db: Db, site_key: str) -> Account | None:
    row = db.execute(select(accounts.c.id, accounts.c.kind, accounts.c.parent_id, accounts.c.userid,
                            accounts.c.account_type).where(accounts.c.site_key == site_key)).first()
    return None if row is None else Account(row.id, row.kind, row.parent_id, row.userid, row.account_type)


class Swap(NamedTuple):
    site_number: str
    number: str


def _visit(db: Db, account: Account, visitor_id: str, source: Source, url: str, referrer: str, at: datetime,
           ip: str, user_agent: str) -> Any:
    """The visitor's active visit (a page load less than 30 minutes after the last, without a
    new source), refreshed; else a new one."""
    active = db.execute(select(visits).where(
        visits.c.account_id == account.id, visits.c.visitor_id == visitor_id, visits.c.last_seen >= at - SESSION)
        .order_by(visits.c.last_seen.desc()).limit(1)).first()
    if active is not None and not (source.signal and (source.channel, source.keyword) != (active.channel,
                                                                                          active.keyword)):
        db.execute(update(visits).where(visits.c.id == active.id).values(last_seen=at))
        return active
    visit_id = db.execute(insert(visits).values(
        account_id=account.id, visitor_id=visitor_id, channel=source.channel, keyword=source.keyword,
        landing_page=url[:2000], referrer=referrer[:2000], ip=ip[:64], user_agent=user_agent[:500],
        started_at=at, last_seen=at).returning(visits.c.id)).scalar_one()
    return db.execute(select(visits).where(visits.c.id == visit_id)).one()


def _least_recently_displayed(candidates: list[Any], displayed: dict[int, datetime]) -> Any:
    """Never shown first, then the one whose last display is oldest; ties by SID."""
    def last(row: Any) -> datetime | None:
        return displayed.get(row.id, row.last_displayed_at)

    return min(candidates, key=lambda row: (last(row) is not None, last(row) or datetime.min, row.sid))


def _previously_shown(db: Db, account: Account, visitor_id: str, site_number: str, at: datetime,
                      visit_id: int) -> str | None:
    """The number this visitor saw for this site number in the current visit, else in an earlier
    one within 30 days (a returning visitor keeps their number)."""
    row = db.execute(
        select(shown.c.tracking_number).join(visits, visits.c.id == shown.c.visit_id)
        .where(visits.c.account_id == account.id, visits.c.visitor_id == visitor_id,
               shown.c.site_number == site_number, shown.c.shown_at >= at - RETURNING)
        .order_by((shown.c.visit_id == visit_id).desc(), shown.c.shown_at.desc()).limit(1)).first()
    return None if row is None else row.tracking_number


def page_load(db: Db, account: Account, visitor_id: str, url: str, referrer: str, at: datetime,
              ip: str = "", user_agent: str = "") -> tuple[Any, list[Swap]]:
    """Record a page load of the account's site and choose a tracking number for every site
    number it swaps (the smart replacement manifest and the metro site numbers)."""
    source = classify(url, referrer)
    visit = _visit(db, account, visitor_id, source, url, referrer, at, ip, user_agent)
    held = list(db.execute(select(numbers).where(numbers.c.owner_id == account.id, numbers.c.sid.is_not(None))))
    swaps: list[Swap] = []
    displayed: dict[int, datetime] = {}  # numbers shown during this page load
    targets: list[tuple[str, list[Any]]] = []
    for phone in site_phones(db, account):
        own = [n for n in held if n.metro_site_id is None and n.assign_type == visit.channel]
        targets.append((phone, own or [n for n in held if n.metro_site_id is None and n.assign_type == "universal"]))
    for site in db.execute(select(sites).where(sites.c.account_id == account.id).order_by(sites.c.id)):
        allocated = [n for n in held if n.metro_site_id == site.id]
        targets.append((site.site_number, [n for n in allocated if n.assign_type == visit.channel] or allocated))
    for site_number, eligible in targets:
        if not eligible:
            continue
        before = _previously_shown(db, account, visitor_id, site_number, at, visit.id)
        chosen = next((n for n in eligible if n.number == before), None) or \
            _least_recently_displayed(eligible, displayed)
        db.execute(update(numbers).where(numbers.c.id == chosen.id).values(last_displayed_at=at))
        displayed[chosen.id] = at
        existing = db.execute(select(shown.c.visit_id).where(shown.c.visit_id == visit.id,
                                                             shown.c.site_number == site_number)).first()
        if existing is None:
            db.execute(insert(shown).values(visit_id=visit.id, site_number=site_number,
                                            tracking_number=chosen.number, shown_at=at))
        else:
            db.execute(update(shown).where(shown.c.visit_id == visit.id, shown.c.site_number == site_number)
                       .values(tracking_number=chosen.number, shown_at=at))
        swaps.append(Swap(site_number, chosen.number))
    return visit, swaps
