"""Inbound calls: the routing decision (forwarding, round robin, suspension), the outcome of
each dial, the end of the call with its talk-time charge, and its attribution to a website
visit. Plain functions over a `Db`; the voice webhooks (voice.py) and the provider-neutral
ingest render what they decide.

A call is found by its provider call SID, so every step is idempotent: a webhook retried by the
provider finds the call where the first delivery left it, and the talk time is charged once
(the ledger's unique call id).
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import func, insert, select, update

from polytrack.avidtrak import billing, values
from polytrack.avidtrak.errors import AvidTrakError
from polytrack.avidtrak.numbers import CHANNEL_LABELS, tracking_mode
from polytrack.avidtrak.tables import avidtrak_calls as calls
from polytrack.avidtrak.tables import avidtrak_lite_campaigns as campaigns
from polytrack.avidtrak.tables import avidtrak_metro_sites as sites
from polytrack.avidtrak.tables import avidtrak_numbers as numbers
from polytrack.avidtrak.tables import avidtrak_round_robin as round_robin
from polytrack.avidtrak.tables import avidtrak_visit_numbers as visit_numbers
from polytrack.avidtrak.tables import avidtrak_visits as visits
from polytrack.kernel.sql import Db, Statement

SESSION = timedelta(minutes=30)  # a visit whose last page load is this recent: "session" match
POST_SESSION = timedelta(days=30)  # a visit started this recently: "post_session" match
NO_LIST_TIMEOUT = 30  # seconds a lone receiving number rings (Twilio's <Dial> default)
SECONDS_PER_RING = 5
# Dial results after which the next candidate is tried.
NOT_ANSWERED = ("no-answer", "busy", "failed")
FINAL_STATUSES = ("answered", "no-answer", "busy", "failed", "canceled")


class Candidate(NamedTuple):
    number: str
    extension: str
    from_list: bool  # a round-robin entry (rings `rings` x 5 s) rather than the default receiver


class Caller(NamedTuple):
    """What the provider tells about a new call."""

    call_sid: str
    to: str  # the dialled tracking number, 10 digits
    number: str  # the caller: 10 digits, or E.164 outside the NANP
    name: str = ""
    city: str = ""
    state: str = ""
    zip: str = ""
    country: str = ""


class Call(NamedTuple):
    """A stored call, as the webhooks need it."""

    id: int
    call_sid: str
    status: str
    step: int
    plan: list[Candidate]
    number_id: int | None  # the tracking number's row while the number is still held
    greeting: str
    whisper: str
    recording: bool
    rings: int
    caller_number: str


def caller_number(value: str) -> str:
    """10 digits for NANP callers (+1...), E.164 for the rest, as sent when it is neither."""
    text = value.strip()
    if text.startswith("+1") and len(text) == 12 and text[1:].isdigit():
        return text[2:]
    return text[:16]


def to_number(value: str) -> str | None:
    try:
        return values.phone(value, "To")
    except AvidTrakError:
        return None


# --- the routing decision ----------------------------------------------------------------------

class Dialled(NamedTuple):
    """The held number a call arrives on, what routing needs of it, and its payer's balance."""

    id: int
    sid: str
    number: str
    number_type: str
    owner_id: int
    assign_type: str
    forward_number: str
    extension: str
    use_default_first: bool
    rings: int
    rr_next: int
    recording: bool
    greet_caller: str
    whisper_message: str
    metro_site_id: int | None
    kind: str
    parent_id: int | None
    payer_balance: Any  # None without a wallet


# Fixed statements: every incoming call runs them (kernel.sql.Statement).
_DIALLED = Statement("""
    SELECT n.id, n.sid, n.number, n.number_type, n.owner_id, n.assign_type, n.forward_number, n.extension,
           n.use_default_first, n.rings, n.rr_next, n.recording, n.greet_caller, n.whisper_message,
           n.metro_site_id, a.kind, a.parent_id, w.balance
    FROM avidtrak_numbers n
    JOIN avidtrak_accounts a ON a.id = n.owner_id
    LEFT JOIN avidtrak_wallets w ON w.account_id = CASE WHEN a.kind = 'client' THEN a.parent_id ELSE a.id END
    WHERE n.number = ? AND n.sid IS NOT NULL
""")
_ENTRIES = Statement("SELECT forwarding_number, extension FROM avidtrak_round_robin WHERE number_id = ? "
                     "ORDER BY position")


def _number_for(db: Db, dialled: str) -> Dialled | None:
    row = db.one(_DIALLED, (dialled,))
    return None if row is None else Dialled._make(row)


def dial_plan(db: Db, number: Any) -> list[Candidate]:
    """The receiving numbers in the order they are dialled: the default receiving number first
    (when use_default_first, or when there is no round robin), then the round-robin list
    starting at its rotation pointer and wrapping around."""
    entries = db.all(_ENTRIES, (number.id,))
    start = number.rr_next % len(entries) if entries else 0
    rotated = [Candidate(receiver, extension, True) for receiver, extension in entries[start:] + entries[:start]]
    plan = []
    if (number.use_default_first or not entries) and number.forward_number:
        plan.append(Candidate(number.forward_number, number.extension, False))
    return plan + rotated


def attribution(db: Db, number: Any, at: datetime) -> dict:
    """Where the call came from: a lite number's active campaign; for a pro number the most
    recent visit shown it (session / post_session), else the number's own channel; a metro
    number's campaign is its site's title."""
    found: dict[str, Any] = {"channel": number.assign_type, "campaign": "", "campaign_id": None, "adgroup": "",
                             "keyword": "", "landing_page": "", "referrer": "", "visit_id": None,
                             "match_type": "none"}
    if number.assign_type == "lite":
        campaign = db.execute(select(campaigns).where(campaigns.c.number_id == number.id,
                                                      campaigns.c.status == "active")).first()
        if campaign is not None:
            found.update(campaign=campaign.title, campaign_id=campaign.id, adgroup=campaign.adgroup)
        return found
    if tracking_mode(number.assign_type, number.metro_site_id) != "pro":
        return found
    if number.metro_site_id is not None:
        title = db.execute(select(sites.c.title).where(sites.c.id == number.metro_site_id)).scalar()
        found["campaign"] = title or ""
    visit = db.execute(
        select(visits).join(visit_numbers, visit_numbers.c.visit_id == visits.c.id)
        .where(visits.c.account_id == number.owner_id, visit_numbers.c.tracking_number == number.number,
               visit_numbers.c.shown_at <= at)
        .order_by(visits.c.last_seen.desc(), visits.c.id.desc()).limit(1)).first()
    if visit is None:
        return found
    if visit.last_seen >= at - SESSION:
        match_type = "session"
    elif visit.started_at >= at - POST_SESSION:
        match_type = "post_session"
    else:
        return found
    found.update(channel=visit.channel, keyword=visit.keyword, landing_page=visit.landing_page,
                 referrer=visit.referrer, visit_id=visit.id, match_type=match_type)
    return found


def _call(row: Any, number: Any | None) -> Call:
    plan = [Candidate(*entry) for entry in json.loads(row.dial_plan)]
    return Call(row.id, row.call_sid, row.call_status, row.step, plan, None if number is None else number.id,
                "" if number is None else number.greet_caller, "" if number is None else number.whisper_message,
                False if number is None else bool(number.recording), 4 if number is None else number.rings,
                row.caller_number)


def _held_number(db: Db, sid: str) -> Any:
    return db.execute(select(numbers).where(numbers.c.sid == sid)).first()


def find(db: Db, call_sid: str) -> Call | None:
    row = db.execute(select(calls).where(calls.c.call_sid == call_sid)).first()
    return None if row is None else _call(row, _held_number(db, row.sid))


def find_by_id(db: Db, call_id: int) -> Call | None:
    row = db.execute(select(calls).where(calls.c.id == call_id)).first()
    return None if row is None else _call(row, _held_number(db, row.sid))


# The webhook's first question, on every incoming call: has this CallSid been seen (a retry)?
_CALL_BY_SID = Statement("SELECT id FROM avidtrak_calls WHERE call_sid = ?")


def start(db: Db, caller: Caller, now: datetime) -> Call | None:
    """A call arrives: None for a number nobody holds (rejected, nothing logged). Otherwise the
    call row, in progress with candidate 1 (its first dial), or `suspended` / `no-forwarding`.
    A repeated CallSid is the same call."""
    if db.one(_CALL_BY_SID, (caller.call_sid,)) is not None:
        return find(db, caller.call_sid)
    number = _number_for(db, caller.to)
    if number is None:
        return None
    payer_id = number.parent_id if number.kind == "client" else number.owner_id
    at = values.utc_naive(now)
    plan = dial_plan(db, number)
    if number.payer_balance is not None and number.payer_balance < 0:
        status, step = "suspended", 0
    elif not plan:
        status, step = "no-forwarding", 0
    else:
        status, step = "in-progress", 1
    call_id = db.execute(insert(calls).values(
        call_sid=caller.call_sid, account_id=number.owner_id, payer_id=payer_id, sid=number.sid,
        number_type=number.number_type, tracking_number=number.number, caller_number=caller.number,
        caller_name=caller.name[:100], caller_city=caller.city[:100], caller_state=caller.state[:100],
        caller_zip=caller.zip[:20], caller_country=caller.country[:8], call_start=at, call_end=None, duration=0,
        billable_minutes=0, cost=Decimal("0.00"), call_status=status, forwarded_to="", recording_url="",
        dial_plan=json.dumps([list(candidate) for candidate in plan]), step=step,
        **attribution(db, number, at)).returning(calls.c.id)).scalar_one()
    if step:
        _dialling(db, number.id, plan, step, len([c for c in plan if c.from_list]))
    return Call(call_id, caller.call_sid, status, step, plan, number.id, number.greet_caller, number.whisper_message,
                bool(number.recording), number.rings, caller.number)


def _dialling(db: Db, number_id: int, plan: list[Candidate], step: int, entries: int) -> None:
    """Candidate `step` is being dialled: the first round-robin entry dialled in a call moves the
    number's rotation pointer on by one (modulo the `entries` of its list), so the next call
    starts at the following entry."""
    first_from_list = next((i for i, candidate in enumerate(plan, start=1) if candidate.from_list), None)
    if step == first_from_list and entries:
        db.execute(update(numbers).where(numbers.c.id == number_id).values(rr_next=(numbers.c.rr_next + 1) % entries))


def timeout(call: Call) -> int:
    """Seconds each candidate rings: `rings` x 5 when the number has a round robin, else 30."""
    return call.rings * SECONDS_PER_RING if any(c.from_list for c in call.plan) else NO_LIST_TIMEOUT


class Next(NamedTuple):
    """What happens after a dial result: `dial` candidate `step`, or end (`sorry` / `hangup`)."""

    action: str  # dial | sorry | hangup
    step: int = 0


def dial_result(db: Db, call: Call, step: int, dial_status: str) -> Next:
    """Candidate `step` answered or not. Answered: the call is answered by it. Not answered
    (no-answer, busy, failed): the next candidate; after the last, the call keeps the last
    status. The caller hung up (canceled): hunting stops. A retried result of a step already
    decided answers what was decided."""
    if call.status != "in-progress" or step != call.step:
        if call.status == "answered":
            return Next("hangup")
        if call.status == "in-progress" and call.step > step:
            return Next("dial", call.step)
        return Next("sorry")
    candidate = call.plan[step - 1]
    status = "answered" if dial_status in ("completed", "answered") else dial_status
    if status == "answered":
        _set(db, call.id, call_status="answered", forwarded_to=candidate.number)
        return Next("hangup")
    if status in NOT_ANSWERED and step < len(call.plan):
        _set(db, call.id, step=step + 1, forwarded_to=candidate.number)
        if call.number_id is not None:
            entries = db.execute(select(func.count()).select_from(round_robin)
                                 .where(round_robin.c.number_id == call.number_id)).scalar_one()
            _dialling(db, call.number_id, call.plan, step + 1, entries)
        return Next("dial", step + 1)
    _set(db, call.id, call_status=status if status in FINAL_STATUSES else "failed", forwarded_to=candidate.number)
    return Next("sorry")


def _set(db: Db, call_id: int, **changes: Any) -> None:
    db.execute(update(calls).where(calls.c.id == call_id).values(**changes))


def set_recording(db: Db, call_id: int, recording_url: str) -> None:
    _set(db, call_id, recording_url=recording_url[:1000])


def finish(db: Db, call_sid: str, call_status: str, duration: int, prices: billing.Prices, now: datetime) -> bool:
    """The provider's final status of the inbound leg: duration, end (start + duration: the
    leg's length as the provider reports it), talk time (charged once, to the payer; nothing
    for a suspended call). False for an unknown call; a call that
    has ended already is left as it is (a retried callback)."""
    row = db.execute(select(calls).where(calls.c.call_sid == call_sid)).first()
    if row is None:
        return False
    if row.call_end is not None:
        return True
    status = row.call_status
    if status == "in-progress":  # no dial result came: the caller left during the hunt
        status = call_status if call_status in FINAL_STATUSES and call_status != "completed" else "canceled"
    minutes = math.ceil(duration / 60) if duration > 0 else 0
    cost = Decimal("0.00") if status == "suspended" else minutes * prices.per_minute(row.number_type)
    _set(db, row.id, call_status=status, call_end=row.call_start + timedelta(seconds=duration), duration=duration,
         billable_minutes=minutes, cost=cost)
    billing.charge_talk_time(db, row.payer_id, row.account_id, row.id, row.sid, cost, now)
    return True


# --- the provider-neutral ingest --------------------------------------------------------------

class IngestError(Exception):
    def __init__(self, status: int, error: str):
        super().__init__(error)
        self.status = status
        self.error = error


def ingest(db: Db, caller: Caller, *, answer_at: int | None, status: str | None, forwarded_to: str,
           duration: int, recording_url: str, prices: billing.Prices, now: datetime) -> tuple[bool, dict]:
    """A whole call at once, without audio: the routing decision as for a live call (the
    rotation pointer moves the same way), then the outcome: `answer_at` (1-based candidate that
    answers, 0 = nobody) or `status` + `forwarded_to`. (created, answer); a repeated call SID
    answers the stored call, created False."""
    existing = find(db, caller.call_sid)
    if existing is not None:
        return False, ingest_answer(db, existing.id)
    call = start(db, caller, now)
    if call is None:
        raise IngestError(404, "unknown_number")
    if call.status == "in-progress":
        if answer_at is not None:
            if answer_at > len(call.plan):
                raise IngestError(422, "invalid_body")
            last = answer_at or len(call.plan)
            for step in range(1, last + 1):
                current = find_by_id(db, call.id)
                assert current is not None
                dial_result(db, current, step, "completed" if step == answer_at else "no-answer")
        else:
            _set(db, call.id, call_status=status or "answered", forwarded_to=forwarded_to)
    if recording_url:
        set_recording(db, call.id, recording_url)
    finish(db, caller.call_sid, "completed", duration, prices, now)
    return True, ingest_answer(db, call.id)


def ingest_answer(db: Db, call_id: int) -> dict:
    row = db.execute(select(calls).where(calls.c.id == call_id)).one()
    return {"call_id": row.id, "call_status": row.call_status, "forwarded_to": row.forwarded_to,
            "dial_plan": [entry[0] for entry in json.loads(row.dial_plan)], "billable_minutes": row.billable_minutes,
            "cost": values.money_text(row.cost), "channel": row.channel, "match_type": row.match_type}


# --- reading ------------------------------------------------------------------------------------

def call_row(row: Any, tz_name: str) -> dict:
    """A call as call_logs and all_lite_calls answer it."""
    return {
        "call_id": row.id, "call_sid": row.call_sid, "sid": row.sid, "tracking_number": row.tracking_number,
        "caller_number": row.caller_number, "caller_name": row.caller_name, "caller_city": row.caller_city,
        "caller_state": row.caller_state, "caller_zip": row.caller_zip, "caller_country": row.caller_country,
        "call_start": values.timestamp_text(row.call_start, tz_name),
        "call_end": "" if row.call_end is None else values.timestamp_text(row.call_end, tz_name),
        "duration": row.duration, "billable_minutes": row.billable_minutes, "cost": values.money_text(row.cost),
        "call_status": row.call_status, "forwarded_to": row.forwarded_to, "recording_url": row.recording_url,
        "channel": row.channel, "channel_label": CHANNEL_LABELS.get(row.channel, ""), "campaign": row.campaign,
        "campaign_id": row.campaign_id, "adgroup": row.adgroup, "keyword": row.keyword,
        "landing_page": row.landing_page, "referrer": row.referrer, "visit_id": row.visit_id,
        "match_type": row.match_type,
    }

