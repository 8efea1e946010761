"""Tracking numbers: inventory search, purchase, ownership, channels, forwarding, round robin,
settings, metro sites, return. Plain functions over a `Db`; errors raise AvidTrakError.

Scope: every function acts on numbers the given account owns (an agency's own pool when the
pincode is the agency's), except `transfer`, which an agency uses on its clients' numbers too.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any, Iterable, NamedTuple

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from polytrack.avidtrak import billing, values
from polytrack.avidtrak.domain import Account
from polytrack.avidtrak.errors import (
    AvidTrakError, already_allocated, duplicate_entry, forward_loop,
    invalid_parameter, invalid_sid, metro_allocated, multiple_sid_not_allowed, no_data, no_parent_agency, number_is_lite,
    number_type_mismatch, number_unavailable, pro_account_required, provider_error, round_robin_not_found,
    site_not_found, site_number_exists, too_many_entries,
)
from polytrack.avidtrak.providers import TOLL_FREE_PREFIXES, NumberProvider, ProviderError, friendly_name
from polytrack.avidtrak.tables import avidtrak_accounts as accounts
from polytrack.avidtrak.tables import avidtrak_forward_defaults as defaults
from polytrack.avidtrak.tables import avidtrak_lite_campaigns as campaigns
from polytrack.avidtrak.tables import avidtrak_metro_sites as sites
from polytrack.avidtrak.tables import avidtrak_numbers as numbers
from polytrack.avidtrak.tables import avidtrak_released_numbers as released
from polytrack.avidtrak.tables import avidtrak_round_robin as round_robin
from polytrack.kernel.sql import Db

# Channels of online (pro) numbers, and their labels; `lite` is the offline (static) type.
CHANNEL_LABELS = {
    "gppc": "Google PPC", "gseo": "Google Organic", "yppc": "Yahoo PPC", "yseo": "Yahoo Organic",
    "bppc": "Bing PPC", "bseo": "Bing Organic", "direct": "Direct Visit", "universal": "Universal Number",
    "lite": "Offline Number", "linksource": "Link Source",
}
ONLINE_TYPES = tuple(name for name in CHANNEL_LABELS if name != "lite")
MAX_QUANTITY = 30
MAX_ROUND_ROBIN = 10
DEFAULT_RINGS = 4
SID_RE = re.compile(r"^PN[0-9a-fA-F]{32}$")

# What a number holds right after purchase; ownership changes put a number back to this.
PURCHASED_STATE: dict[str, Any] = {
    "assign_type": "", "forward_number": "", "extension": "", "use_default_first": True, "rings": DEFAULT_RINGS,
    "rr_next": 0, "recording": False, "greet_caller": "", "whisper_message": "", "enable_email": False,
    "email_alerts": "", "metro_site_id": None, "last_displayed_at": None,
}


def tracking_mode(assign_type: str, metro_site_id: int | None) -> str:
    if assign_type == "lite":
        return "lite"
    if assign_type in ONLINE_TYPES or metro_site_id is not None:
        return "pro"
    return ""


# --- finding the caller's numbers ---------------------------------------------------------------

def resolve(db: Db, account: Account, given: list[str]) -> list[Any]:
    """The account's numbers named by `given` (SIDs, or the tracking phone numbers themselves), in
    the order given; invalid_sid listing every value that names none of them."""
    return _find(db, [account.id], given)


def _find(db: Db, owner_ids: list[int], given: list[str]) -> list[Any]:
    rows: list[Any] = []
    unknown: list[str] = []
    for value in given:
        if SID_RE.fullmatch(value):
            condition = numbers.c.sid == "PN" + value[2:].lower()
        else:
            try:
                condition = numbers.c.number == values.phone(value, "sid")
            except AvidTrakError:
                unknown.append(value)
                continue
        row = db.execute(select(numbers).where(condition, numbers.c.owner_id.in_(owner_ids),
                                               numbers.c.sid.is_not(None))).first()
        if row is None:
            unknown.append(value)
        elif all(row.id != seen.id for seen in rows):
            rows.append(row)
    if unknown:
        raise invalid_sid(unknown)
    return rows


def resolve_one(db: Db, account: Account, given: list[str]) -> Any:
    if len(given) > 1:
        raise multiple_sid_not_allowed()
    return resolve(db, account, given)[0]


def owned_numbers(db: Db, account: Account) -> set[str]:
    return set(db.execute(select(numbers.c.number).where(numbers.c.owner_id == account.id)).scalars())


def refuse_loop(db: Db, account: Account, receiving: Iterable[str], parameter: str) -> None:
    """A receiving number may not be one of the account's own tracking numbers."""
    own = owned_numbers(db, account)
    if any(number in own for number in receiving):
        raise forward_loop(parameter)


# --- search and purchase ------------------------------------------------------------------------

def check_area_code(number_type: str, area_code: str) -> None:
    if not re.fullmatch(r"[2-9][0-9]{2}", area_code) or (number_type == "toll") != (area_code in TOLL_FREE_PREFIXES):
        raise invalid_parameter("area_code")


def _unavailable(db: Db, area_code: str) -> set[str]:
    """Numbers of an area code that are held by any account or released for good."""
    held = db.execute(select(numbers.c.number).where(numbers.c.number.startswith(area_code, autoescape=True)))
    gone = db.execute(select(released.c.number).where(released.c.number.startswith(area_code, autoescape=True)))
    return set(held.scalars()) | set(gone.scalars())


def search(db: Db, provider: NumberProvider, prices: billing.Prices, *, number_type: str, area_code: str,
           country: str, quantity: int) -> list[dict]:
    try:
        offers = provider.search(number_type, area_code, country, quantity, _unavailable(db, area_code))
    except ProviderError:
        raise provider_error() from None
    if not offers:
        raise no_data()
    fee = values.money_text(prices.monthly_fee(number_type))
    return [{"number": offer.number, "friendly_name": offer.friendly_name, "number_type": number_type,
             "area_code": offer.number[:3], "region": offer.region, "rate_center": offer.rate_center,
             "country": offer.country, "monthly_fee": fee} for offer in offers]


def _claim(db: Db, row: dict) -> int | None:
    """Insert the number's row unless it is held already; its id, or None. ON CONFLICT DO
    NOTHING: a concurrent purchase of the same number waits for the other transaction here and
    then finds it taken, on both databases (no failed statement to roll back)."""
    dialect_insert = postgresql.insert if db.dialect == "postgresql" else sqlite.insert
    statement = dialect_insert(numbers).values(**row).on_conflict_do_nothing(index_elements=["number"])
    return db.execute(statement.returning(numbers.c.id)).scalar()


def purchase(db: Db, provider: NumberProvider, prices: billing.Prices, *, owner: Account, number_type: str, country: str, wanted: list[str], now: datetime, tz_name: str) -> list[dict]:
    """Buy `wanted` (10-digit numbers) into `owner`, charging this month's rental to its payer."""
    mismatched = [n for n in wanted if (number_type == "toll") != (n[:3] in TOLL_FREE_PREFIXES)]
    if mismatched:
        raise number_type_mismatch(mismatched)
    taken = set(db.execute(select(numbers.c.number).where(numbers.c.number.in_(wanted))).scalars())
    taken |= set(db.execute(select(released.c.number).where(released.c.number.in_(wanted))).scalars())
    unavailable = [n for n in wanted if n in taken or not provider.sells(n)]
    if unavailable:
        raise number_unavailable(unavailable)
    fee = prices.monthly_fee(number_type)
    purchased_on = values.utc_naive(now)
    claimed: dict[str, int] = {}
    for number in sorted(wanted):  # one order for everyone: two purchases never wait on each other
        number_id = _claim(db, {**PURCHASED_STATE, "number": number, "country": country, "number_type": number_type,
                                "owner_id": owner.id, "monthly_fee": fee, "purchased_on": purchased_on})
        if number_id is None:  # bought by a concurrent request since the check above
            raise number_unavailable([number])
        claimed[number] = number_id
    # The balance must cover all of them before the telephone company is asked for any; the
    # wallet row stays locked until the charge below.
    billing.check_funds(db, owner.payer_id, fee * len(wanted))
    answer, rentals = [], []
    for number in wanted:
        try:
            sid = provider.purchase(number, country)
        except ProviderError:
            db.execute(delete(numbers).where(numbers.c.id == claimed[number]))
            answer.append(_purchase_row("", number, number_type, owner.userid, fee, "failed", "provider_error"))
            continue
        db.execute(update(numbers).where(numbers.c.id == claimed[number]).values(sid=sid))
        rentals.append(billing.Rental(owner.id, sid, number, fee))
        answer.append(_purchase_row(sid, number, number_type, owner.userid, fee, "purchased", ""))
    if not rentals:
        raise provider_error()
    billing.charge_purchase(db, owner.payer_id, rentals, billing.period_of(now, tz_name), now)
    return answer


def _purchase_row(sid: str, number: str, number_type: str, owner: str, fee: Decimal, status: str,
                  reason: str) -> dict:
    return {"sid": sid, "number": number, "friendly_name": friendly_name(number), "number_type": number_type,
            "owner": owner, "monthly_fee": values.money_text(fee), "status": status, "reason": reason}


# --- ownership ----------------------------------------------------------------------------------

def reset(db: Db, number_ids: list[int], now: datetime) -> None:
    """Back to the purchased state (an ownership change): assignment, forwarding, round robin,
    settings and metro allocation cleared; active lite campaigns end."""
    if not number_ids:
        return
    db.execute(update(numbers).where(numbers.c.id.in_(number_ids)).values(**PURCHASED_STATE))
    db.execute(delete(round_robin).where(round_robin.c.number_id.in_(number_ids)))
    end_campaigns(db, number_ids, now)


def end_campaigns(db: Db, number_ids: list[int], now: datetime) -> None:
    db.execute(update(campaigns).where(campaigns.c.number_id.in_(number_ids), campaigns.c.status == "active")
               .values(status="inactive", ended_on=values.utc_naive(now)))


def transfer(db: Db, agency: Account, given: list[str], target: Account, now: datetime) -> list[dict]:
    """Move numbers of the agency or of any of its clients to one of its clients."""
    family = select(accounts.c.id).where(or_(accounts.c.id == agency.id, accounts.c.parent_id == agency.id))
    owners: dict[int, str] = {row.id: row.userid for row in db.execute(
        select(accounts.c.id, accounts.c.userid).where(accounts.c.id.in_(family)))}
    rows = _find(db, list(owners), given)
    target_id, target_userid = target.id, target.userid
    moving = [row.id for row in rows if row.owner_id != target_id]
    reset(db, moving, now)
    if moving:
        db.execute(update(numbers).where(numbers.c.id.in_(moving)).values(owner_id=target_id))
    return [{"sid": row.sid, "number": row.number, "from": owners[row.owner_id], "to": target_userid,
             "status": "transferred" if row.owner_id != target_id else "unchanged"} for row in rows]


# --- channels -----------------------------------------------------------------------------------

def _default_for(db: Db, account: Account, mode: str) -> tuple[str, str]:
    """The account's receiving number (and extension) for numbers of a mode without their own."""
    row = db.execute(select(defaults).where(defaults.c.account_id == account.id)).first()
    if row is None or mode not in ("pro", "lite"):
        return "", ""
    return (row.pro_forward, row.pro_extension) if mode == "pro" else (row.lite_forward, row.lite_extension)


def assign(db: Db, account: Account, given: list[str], assign_type: str, now: datetime) -> list[dict]:
    if account.is_lite and assign_type != "lite":
        raise pro_account_required()
    rows = resolve(db, account, given)
    if assign_type == "lite":
        allocated = [row.sid for row in rows if row.metro_site_id is not None]
        if allocated:
            raise metro_allocated(allocated)
    answer = []
    for row in rows:
        changes: dict[str, Any] = {"assign_type": assign_type}
        if row.assign_type == "lite" and assign_type != "lite":
            end_campaigns(db, [row.id], now)
        forward_number = row.forward_number
        if not forward_number:
            forward_number, extension = _default_for(db, account, tracking_mode(assign_type, row.metro_site_id))
            if forward_number:
                changes.update(forward_number=forward_number, extension=extension)
        db.execute(update(numbers).where(numbers.c.id == row.id).values(**changes))
        answer.append({"sid": row.sid, "number": row.number, "assign_type": assign_type,
                       "assign_label": CHANNEL_LABELS[assign_type],
                       "tracking_mode": tracking_mode(assign_type, row.metro_site_id),
                       "forward_number": forward_number})
    return answer


# --- list_numbers -------------------------------------------------------------------------------

def number_rows(db: Db, account: Account, *, number_type: str | None, assignment: str, area_code: str | None,
                tz_name: str) -> list[dict]:
    query = select(numbers).where(numbers.c.owner_id == account.id, numbers.c.sid.is_not(None))
    if number_type:
        query = query.where(numbers.c.number_type == number_type)
    if assignment == "assigned":
        query = query.where(numbers.c.assign_type != "")
    elif assignment == "unassigned":
        query = query.where(numbers.c.assign_type == "")
    if area_code:
        query = query.where(numbers.c.number.startswith(area_code, autoescape=True))
    rows = db.execute(query.order_by(numbers.c.number)).all()
    if not rows:
        raise no_data()
    ids = [row.id for row in rows]
    entries: dict[int, int] = {row.number_id: row.entries for row in db.execute(
        select(round_robin.c.number_id, func.count().label("entries")).where(round_robin.c.number_id.in_(ids))
        .group_by(round_robin.c.number_id))}
    active: dict[int, int] = {row.number_id: row.id for row in db.execute(
        select(campaigns.c.number_id, campaigns.c.id).where(campaigns.c.number_id.in_(ids),
                                                            campaigns.c.status == "active"))}
    return [number_row(row, entries.get(row.id, 0), active.get(row.id), tz_name) for row in rows]


def number_row(row: Any, round_robin_entries: int, lite_campaign_id: int | None, tz_name: str) -> dict:
    return {
        "sid": row.sid, "number": row.number, "friendly_name": friendly_name(row.number),
        "number_type": row.number_type, "area_code": row.number[:3], "country": row.country,
        "assign_type": row.assign_type, "assign_label": CHANNEL_LABELS.get(row.assign_type, ""),
        "tracking_mode": tracking_mode(row.assign_type, row.metro_site_id),
        "forward_number": row.forward_number, "extension": row.extension,
        "use_default_first": "yes" if row.use_default_first else "no", "round_robin_entries": round_robin_entries,
        "recording": int(row.recording), "greet_caller": row.greet_caller, "whisper_message": row.whisper_message,
        "enable_email": int(row.enable_email), "email_alerts": row.email_alerts, "metro_site_id": row.metro_site_id,
        "lite_campaign_id": lite_campaign_id, "monthly_fee": values.money_text(row.monthly_fee),
        "purchased_on": values.timestamp_text(row.purchased_on, tz_name),
    }


# --- forwarding ---------------------------------------------------------------------------------

def _targets(db: Db, account: Account, forwarding_type: str, given: list[str]) -> list[Any]:
    """The numbers set/remove_forwarding acts on: pro = online numbers not allocated to a metro
    site (their forwarding is the site's); lite = offline numbers; sid = exactly those named."""
    if forwarding_type == "sid":
        return resolve(db, account, given)
    query = select(numbers).where(numbers.c.owner_id == account.id, numbers.c.sid.is_not(None))
    if forwarding_type == "pro":
        query = query.where(numbers.c.assign_type.in_(ONLINE_TYPES), numbers.c.metro_site_id.is_(None))
    else:
        query = query.where(numbers.c.assign_type == "lite")
    return list(db.execute(query.order_by(numbers.c.number)).all())


def _store_default(db: Db, account: Account, mode: str, forward_number: str, extension: str) -> None:
    changes = {f"{mode}_forward": forward_number, f"{mode}_extension": extension}
    if db.execute(update(defaults).where(defaults.c.account_id == account.id).values(**changes)).rowcount == 0:
        blank = {"pro_forward": "", "pro_extension": "", "lite_forward": "", "lite_extension": ""}
        db.execute(insert(defaults).values(account_id=account.id, **{**blank, **changes}))


def set_forwarding(db: Db, account: Account, forwarding_type: str, given: list[str], forward_number: str,
                   extension: str) -> dict:
    rows = _targets(db, account, forwarding_type, given)
    refuse_loop(db, account, [forward_number], "forward_number")
    if forwarding_type in ("pro", "lite"):
        _store_default(db, account, forwarding_type, forward_number, extension)
    ids = [row.id for row in rows]
    if ids:
        db.execute(update(numbers).where(numbers.c.id.in_(ids)).values(forward_number=forward_number,
                                                                        extension=extension))
    return {"type": forwarding_type, "forward_number": forward_number, "extension": extension,
            "updated": [{"sid": row.sid, "number": row.number} for row in rows]}


def remove_forwarding(db: Db, account: Account, forwarding_type: str, given: list[str]) -> dict:
    rows = _targets(db, account, forwarding_type, given)
    if forwarding_type in ("pro", "lite"):
        _store_default(db, account, forwarding_type, "", "")
    ids = [row.id for row in rows]
    if ids:
        db.execute(update(numbers).where(numbers.c.id.in_(ids)).values(forward_number="", extension=""))
    return {"type": forwarding_type, "updated": [{"sid": row.sid, "number": row.number} for row in rows]}


# --- round robin --------------------------------------------------------------------------------

class Entry(NamedTuple):
    forwarding_number: str
    extension: str
    label: str


def _entries(db: Db, number_id: int) -> list[Any]:
    return list(db.execute(select(round_robin).where(round_robin.c.number_id == number_id)
                           .order_by(round_robin.c.position)).all())


def _entry_row(entry: Any, number: Any) -> dict:
    return {"round_robin_list_id": entry.id, "sid": number.sid, "position": entry.position,
            "forwarding_number": entry.forwarding_number, "extension": entry.extension, "label": entry.label,
            "use_default_first": "yes" if number.use_default_first else "no", "rings": number.rings}


def _number_flags(db: Db, number_id: int, use_default_first: bool | None, rings: int | None) -> Any:
    changes: dict[str, Any] = {}
    if use_default_first is not None:
        changes["use_default_first"] = use_default_first
    if rings is not None:
        changes["rings"] = rings
    if changes:
        db.execute(update(numbers).where(numbers.c.id == number_id).values(**changes))
    return db.execute(select(numbers).where(numbers.c.id == number_id)).one()


def insert_round_robin(db: Db, account: Account, given: list[str], new: list[Entry],
                       use_default_first: bool | None, rings: int | None) -> list[dict]:
    rows = resolve(db, account, given)
    refuse_loop(db, account, [entry.forwarding_number for entry in new], "forwarding_number")
    pairs = [(entry.forwarding_number, entry.extension) for entry in new]
    if len(set(pairs)) != len(pairs):
        raise duplicate_entry("forwarding_number")
    for row in rows:
        existing = _entries(db, row.id)
        if {(e.forwarding_number, e.extension) for e in existing} & set(pairs):
            raise duplicate_entry("forwarding_number")
        if len(existing) + len(new) > MAX_ROUND_ROBIN:
            raise too_many_entries(MAX_ROUND_ROBIN)
    inserted = []
    for row in rows:
        position = len(_entries(db, row.id))
        ids = []
        for entry in new:
            position += 1
            ids.append(db.execute(insert(round_robin).values(
                number_id=row.id, position=position, forwarding_number=entry.forwarding_number,
                extension=entry.extension, label=entry.label).returning(round_robin.c.id)).scalar_one())
        number = _number_flags(db, row.id, use_default_first, rings)
        for entry in _entries(db, row.id):
            if entry.id in ids:
                inserted.append(_entry_row(entry, number))
    return inserted


def list_round_robin(db: Db, account: Account, given: list[str]) -> list[dict]:
    number = resolve_one(db, account, given)
    entries = _entries(db, number.id)
    if not entries:
        raise no_data()
    return [_entry_row(entry, number) for entry in entries]


def _entry_of(db: Db, number: Any, entry_id: int) -> Any:
    entry = db.execute(select(round_robin).where(round_robin.c.id == entry_id,
                                                 round_robin.c.number_id == number.id)).first()
    if entry is None:
        raise round_robin_not_found()
    return entry


def edit_round_robin(db: Db, account: Account, given: list[str], entry_id: int, forwarding_number: str,
                     extension: str | None, label: str | None, use_default_first: bool | None,
                     rings: int | None) -> dict:
    number = resolve_one(db, account, given)
    entry = _entry_of(db, number, entry_id)
    refuse_loop(db, account, [forwarding_number], "forwarding_number")
    new_extension = entry.extension if extension is None else extension
    clash = db.execute(select(round_robin.c.id).where(
        round_robin.c.number_id == number.id, round_robin.c.id != entry.id,
        round_robin.c.forwarding_number == forwarding_number, round_robin.c.extension == new_extension)).first()
    if clash is not None:
        raise duplicate_entry("forwarding_number")
    db.execute(update(round_robin).where(round_robin.c.id == entry.id).values(
        forwarding_number=forwarding_number, extension=new_extension,
        label=entry.label if label is None else label))
    number = _number_flags(db, number.id, use_default_first, rings)
    return _entry_row(_entry_of(db, number, entry_id), number)


def delete_round_robin(db: Db, account: Account, given: list[str], entry_id: int) -> dict:
    number = resolve_one(db, account, given)
    entry = _entry_of(db, number, entry_id)
    db.execute(delete(round_robin).where(round_robin.c.id == entry.id))
    remaining = _entries(db, number.id)
    for position, kept in enumerate(remaining, start=1):
        if kept.position != position:
            db.execute(update(round_robin).where(round_robin.c.id == kept.id).values(position=position))
    db.execute(update(numbers).where(numbers.c.id == number.id)
               .values(rr_next=number.rr_next % len(remaining) if remaining else 0))
    return {"round_robin_list_id": entry.id, "sid": number.sid, "deleted": 1, "remaining": len(remaining)}


# --- settings -----------------------------------------------------------------------------------

SETTING_NAMES = ("recording", "greet_caller", "whisper_message", "enable_email", "email_alerts")


def update_settings(db: Db, account: Account, given: list[str], settings: dict[str, Any]) -> list[dict]:
    """`settings`: the given ones of SETTING_NAMES, validated."""
    rows = resolve(db, account, given)
    db.execute(update(numbers).where(numbers.c.id.in_([row.id for row in rows])).values(**settings))
    answer = []
    for row in rows:
        row = db.execute(select(numbers).where(numbers.c.id == row.id)).one()
        answer.append({"sid": row.sid, "number": row.number, "recording": int(row.recording),
                       "greet_caller": row.greet_caller, "whisper_message": row.whisper_message,
                       "enable_email": int(row.enable_email), "email_alerts": row.email_alerts})
    return answer


# --- return -------------------------------------------------------------------------------------

def return_numbers(db: Db, provider: NumberProvider, account: Account, given: list[str], location: str,
                   now: datetime) -> list[dict]:
    """location agency: the number goes back to the client's agency, reset. telco: released to
    the telephone company for good (never offered or sold again); its calls stay in the logs.
    The telephone company is asked first, number by number, and stops at its first refusal:
    the numbers it released are released here too (`returned`), the refused one and those after
    it are kept (`failed`); a refusal of the first is provider_error, nothing changed."""
    if location == "agency" and account.kind != "client":
        raise no_parent_agency()
    rows = resolve(db, account, given)
    if location == "agency":
        ids = [row.id for row in rows]
        reset(db, ids, now)
        db.execute(update(numbers).where(numbers.c.id.in_(ids)).values(owner_id=account.parent_id))
        return [{"sid": row.sid, "number": row.number, "location": location, "status": "returned"} for row in rows]
    released_rows: list[Any] = []
    for row in rows:
        try:
            provider.release(row.sid)
        except ProviderError:
            break
        released_rows.append(row)
    if not released_rows:
        raise provider_error()
    ids = [row.id for row in released_rows]
    end_campaigns(db, ids, now)
    db.execute(update(campaigns).where(campaigns.c.number_id.in_(ids)).values(number_id=None))
    db.execute(delete(round_robin).where(round_robin.c.number_id.in_(ids)))
    db.execute(delete(numbers).where(numbers.c.id.in_(ids)))
    for row in released_rows:
        db.execute(insert(released).values(number=row.number, sid=row.sid, released_on=values.utc_naive(now)))
    return [{"sid": row.sid, "number": row.number, "location": location,
             "status": "returned" if k < len(released_rows) else "failed"} for k, row in enumerate(rows)]


# --- metro --------------------------------------------------------------------------------------

def _site(db: Db, account: Account, site_id: int) -> Any:
    row = db.execute(select(sites).where(sites.c.id == site_id, sites.c.account_id == account.id)).first()
    if row is None:
        raise site_not_found()
    return row


def add_metro_site(db: Db, account: Account, site_number: str, title: str, forward_number: str,
                   now: datetime) -> dict:
    refuse_loop(db, account, [forward_number], "forward_number")
    if db.execute(select(sites.c.id).where(sites.c.account_id == account.id,
                                           sites.c.site_number == site_number)).first():
        raise site_number_exists()
    site_id = db.execute(insert(sites).values(account_id=account.id, site_number=site_number, title=title,
                                              forward_number=forward_number, created_on=values.utc_naive(now))
                         .returning(sites.c.id)).scalar_one()
    return {"site_id": site_id, "site_number": site_number, "title": title, "forward_number": forward_number,
            "tracking_numbers": []}


def allocate_metro(db: Db, account: Account, site_id: int, given: list[str]) -> dict:
    site = _site(db, account, site_id)
    rows = resolve(db, account, given)
    lite = [row.sid for row in rows if row.assign_type == "lite"]
    if lite:
        raise number_is_lite(lite)
    elsewhere = [row.sid for row in rows if row.metro_site_id not in (None, site.id)]
    if elsewhere:
        raise already_allocated(elsewhere)
    db.execute(update(numbers).where(numbers.c.id.in_([row.id for row in rows])).values(
        metro_site_id=site.id, forward_number=site.forward_number, extension=""))
    return {"site_id": site.id, "site_number": site.site_number, "title": site.title,
            "forward_number": site.forward_number,
            "allocated": [{"sid": row.sid, "number": row.number} for row in rows]}


def list_metro(db: Db, account: Account) -> list[dict]:
    rows = db.execute(select(sites).where(sites.c.account_id == account.id).order_by(sites.c.id)).all()
    if not rows:
        raise no_data()
    allocated = db.execute(select(numbers.c.metro_site_id, numbers.c.sid, numbers.c.number).where(
        numbers.c.metro_site_id.in_([row.id for row in rows])).order_by(numbers.c.number)).all()
    return [{"site_id": row.id, "site_number": row.site_number, "title": row.title,
             "forward_number": row.forward_number,
             "tracking_numbers": [{"sid": n.sid, "number": n.number} for n in allocated if n.metro_site_id == row.id]}
            for row in rows]


def remove_metro_site(db: Db, account: Account, site_id: int) -> dict:
    """The site goes; its numbers forward to the account's pro default again (or nowhere)."""
    site = _site(db, account, site_id)
    forward_number, extension = _default_for(db, account, "pro")
    rows = db.execute(select(numbers).where(numbers.c.metro_site_id == site.id).order_by(numbers.c.number)).all()
    db.execute(update(numbers).where(numbers.c.metro_site_id == site.id).values(
        metro_site_id=None, forward_number=forward_number, extension=extension))
    db.execute(delete(sites).where(sites.c.id == site.id))
    return {"site_id": site.id, "site_number": site.site_number, "title": site.title,
            "released": [{"sid": row.sid, "number": row.number, "forward_number": forward_number} for row in rows]}
