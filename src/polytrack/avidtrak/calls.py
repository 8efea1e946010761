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
from typing import Any, Callable, NamedTuple

from polytrack.avidtrak import billing, values
from polytrack.avidtrak.errors import AvidTrakError
from polytrack.avidtrak.numbers import CHANNEL_LABELS, tracking_mode
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
    list_size: int  # entries in the number's round robin (the rotation pointer's modulus)


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
#
# Every statement of a live call is a fixed one (kernel.sql.Statement): the voice webhooks run
# them on a held driver connection, in a group commit's transaction (voice.py); the ingest and
# the demo run the same functions in a SQLAlchemy transaction.

class Routing(NamedTuple):
    """How calls to one held number are routed: its configuration, its payer, and what a call is
    attributed to besides visits. It changes only when an operation changes it, so the webhooks
    keep it in a per-process cache that follows the kernel's Generation (voice.py). The payer's
    balance and the rotation pointer change with calls: they are read in each call's
    transaction, never cached."""

    id: int
    sid: str
    number: str
    number_type: str
    owner_id: int
    payer_id: int  # a client's agency, else the owner
    assign_type: str
    forward_number: str
    extension: str
    use_default_first: bool
    rings: int
    recording: bool
    greet_caller: str
    whisper_message: str
    metro_site_id: int | None
    site_title: str  # the metro site's, if allocated to one
    campaign_id: int | None  # the lite number's active campaign
    campaign: str
    adgroup: str
    entries: tuple[tuple[str, str], ...]  # the round robin (receiving number, extension) in list order


# A lite number has at most one active campaign; a number at most one metro site.
_ROUTING = Statement("""
    SELECT n.id, n.sid, n.number, n.number_type, n.owner_id,
           CASE WHEN a.kind = 'client' THEN a.parent_id ELSE a.id END,
           n.assign_type, n.forward_number, n.extension, n.use_default_first, n.rings, n.recording,
           n.greet_caller, n.whisper_message, n.metro_site_id, COALESCE(s.title, ''),
           c.id, COALESCE(c.title, ''), COALESCE(c.adgroup, '')
    FROM avidtrak_numbers n
    JOIN avidtrak_accounts a ON a.id = n.owner_id
    LEFT JOIN avidtrak_metro_sites s ON s.id = n.metro_site_id
    LEFT JOIN avidtrak_lite_campaigns c ON c.number_id = n.id AND c.status = 'active'
    WHERE n.number = ? AND n.sid IS NOT NULL
""")
_ENTRIES = Statement("SELECT forwarding_number, extension FROM avidtrak_round_robin WHERE number_id = ? "
                     "ORDER BY position")
# The payer's balance (NULL without a wallet) and the number's rotation pointer.
_BALANCE_AND_ROTATION = Statement("SELECT (SELECT balance FROM avidtrak_wallets WHERE account_id = ?), rr_next "
                                  "FROM avidtrak_numbers WHERE id = ?")
# The pointer moves on by one (modulo the list's length, which may have shrunk since it moved
# last); the new value comes back, so reading and moving it is one atomic step.
_ROTATE = Statement("UPDATE avidtrak_numbers SET rr_next = (rr_next % ? + 1) % ? WHERE id = ? RETURNING rr_next")
# Only visits shown the number in the last 30 days can match (a visit shown it earlier started
# earlier), so the number's older showings are not read: the index range stays a month wide.
_LATEST_VISIT_SHOWN = Statement("""
    SELECT v.id, v.channel, v.keyword, v.landing_page, v.referrer, v.started_at, v.last_seen
    FROM avidtrak_visits v JOIN avidtrak_visit_numbers vn ON vn.visit_id = v.id
    WHERE v.account_id = ? AND vn.tracking_number = ? AND vn.shown_at BETWEEN ? AND ?
    ORDER BY v.last_seen DESC, v.id DESC LIMIT 1
""")
_CALL_COLUMNS = "id, call_sid, call_status, step, dial_plan, tracking_number, sid, caller_number"
_CALL_BY_SID = Statement(f"SELECT {_CALL_COLUMNS} FROM avidtrak_calls WHERE call_sid = ?")
_CALL_BY_ID = Statement(f"SELECT {_CALL_COLUMNS} FROM avidtrak_calls WHERE id = ?")
_NEW_CALL = Statement("""
    INSERT INTO avidtrak_calls (call_sid, account_id, payer_id, sid, number_type, tracking_number, caller_number,
        caller_name, caller_city, caller_state, caller_zip, caller_country, call_start, call_end, duration,
        billable_minutes, cost, call_status, forwarded_to, recording_url, channel, campaign, campaign_id, adgroup,
        keyword, landing_page, referrer, visit_id, match_type, dial_plan, step)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 0, 0, 0, ?, '', '', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (call_sid) DO NOTHING
    RETURNING id
""")
_SET_PLAN = Statement("UPDATE avidtrak_calls SET dial_plan = ? WHERE id = ?")
_SET_OUTCOME = Statement("UPDATE avidtrak_calls SET call_status = ?, forwarded_to = ? WHERE id = ?")
_SET_STEP = Statement("UPDATE avidtrak_calls SET step = ?, forwarded_to = ? WHERE id = ?")
_SET_RECORDING = Statement("UPDATE avidtrak_calls SET recording_url = ? WHERE id = ?")
_TO_FINISH = Statement("SELECT id, call_status, call_start, call_end, number_type, payer_id, account_id, sid "
                       "FROM avidtrak_calls WHERE call_sid = ?")
_FINISHED = Statement("UPDATE avidtrak_calls SET call_status = ?, call_end = ?, duration = ?, billable_minutes = ?, "
                      "cost = ? WHERE id = ?")


def load_routing(db: Db, dialled: str) -> Routing | None:
    """The routing of the held number `dialled` (10 digits), or None if nobody holds it."""
    row = db.one(_ROUTING, (dialled,))
    if row is None:
        return None
    entries = tuple((receiver, extension) for receiver, extension in db.all(_ENTRIES, (row[0],)))
    return Routing._make((*row[:9], bool(row[9]), row[10], bool(row[11]), *row[12:], entries))


# How a function below finds a number's routing: load_routing, or a cached lookup (voice.py).
RoutingLookup = Callable[[Db, str], "Routing | None"]


def dial_plan(route: Routing, rotation: int) -> list[Candidate]:
    """The receiving numbers in the order they are dialled: the default receiving number first
    (when use_default_first, or when there is no round robin), then the round-robin list
    starting at entry `rotation` and wrapping around."""
    entries = route.entries
    start = rotation % len(entries) if entries else 0
    rotated = [Candidate(receiver, extension, True) for receiver, extension in entries[start:] + entries[:start]]
    plan = []
    if (route.use_default_first or not entries) and route.forward_number:
        plan.append(Candidate(route.forward_number, route.extension, False))
    return plan + rotated


def attribution(db: Db, route: Routing, at: datetime) -> tuple:
    """Where the call came from, as (channel, campaign, campaign_id, adgroup, keyword,
    landing_page, referrer, visit_id, match_type): a lite number's active campaign; for a pro
    number the most recent visit shown it (session / post_session), else the number's own
    channel; a metro number's campaign is its site's title."""
    none = (route.assign_type, "", None, "", "", "", "", None, "none")
    if route.assign_type == "lite":
        return (route.assign_type, route.campaign, route.campaign_id, route.adgroup, "", "", "", None, "none")
    if tracking_mode(route.assign_type, route.metro_site_id) != "pro":
        return none
    campaign = route.site_title if route.metro_site_id is not None else ""
    visit = db.one(_LATEST_VISIT_SHOWN, (route.owner_id, route.number,
                                         values.stored_moment(db.dialect, at - POST_SESSION),
                                         values.stored_moment(db.dialect, at)))
    if visit is None:
        return none[:1] + (campaign,) + none[2:]
    visit_id, channel, keyword, landing_page, referrer, started_at, last_seen = visit
    if values.read_moment(last_seen) >= at - SESSION:
        match_type = "session"
    elif values.read_moment(started_at) >= at - POST_SESSION:
        match_type = "post_session"
    else:
        return none[:1] + (campaign,) + none[2:]
    return (channel, campaign, None, "", keyword, landing_page, referrer, visit_id, match_type)


def _call(row: Any, route_of: RoutingLookup, db: Db) -> Call:
    """A stored call (a row of _CALL_COLUMNS) with what the webhooks need of its number, while
    the number is still held under the call's SID."""
    call_id, call_sid, status, step, plan_json, tracking_number, sid, caller = row
    route = route_of(db, tracking_number)
    if route is not None and route.sid != sid:
        route = None
    plan = [Candidate(*entry) for entry in json.loads(plan_json)]
    if route is None:
        return Call(call_id, call_sid, status, step, plan, None, "", "", False, 4, caller, 0)
    return Call(call_id, call_sid, status, step, plan, route.id, route.greet_caller, route.whisper_message,
                route.recording, route.rings, caller, len(route.entries))


def find(db: Db, call_sid: str, route_of: RoutingLookup = load_routing) -> Call | None:
    row = db.one(_CALL_BY_SID, (call_sid,))
    return None if row is None else _call(row, route_of, db)


def find_by_id(db: Db, call_id: int, route_of: RoutingLookup = load_routing) -> Call | None:
    row = db.one(_CALL_BY_ID, (call_id,))
    return None if row is None else _call(row, route_of, db)


def start(db: Db, caller: Caller, now: datetime, route_of: RoutingLookup = load_routing) -> Call | None:
    """A call arrives: None for a number nobody holds (rejected, nothing logged). Otherwise the
    call row, in progress with candidate 1 (its first dial), or `suspended` / `no-forwarding`.
    A repeated CallSid is the same call: the insert finds it there (no read before it, a retry
    being rare) and the stored call is answered."""
    route = route_of(db, caller.to)
    found = None if route is None else db.one(_BALANCE_AND_ROTATION, (route.payer_id, route.id))
    if route is None or found is None:  # nobody holds it (or released since its routing was read)
        return find(db, caller.call_sid, route_of)  # a retry of a call made while it was held
    at = values.utc_naive(now)
    balance, pointer = found
    suspended = balance is not None and values.read_money(balance) < 0
    entries = len(route.entries)
    # candidate 1 comes from the round robin: the call starts at the pointer, which moves on
    from_list = not suspended and entries > 0 and not (route.use_default_first and route.forward_number)
    rotation = pointer % entries if entries else 0
    plan = dial_plan(route, rotation)
    if suspended:
        status, step = "suspended", 0
    elif not plan:
        status, step = "no-forwarding", 0
    else:
        status, step = "in-progress", 1
    inserted = db.one(_NEW_CALL, (
        caller.call_sid, route.owner_id, route.payer_id, route.sid, route.number_type, route.number, caller.number,
        caller.name[:100], caller.city[:100], caller.state[:100], caller.zip[:20], caller.country[:8],
        values.stored_moment(db.dialect, at), status, *attribution(db, route, at),
        json.dumps([list(candidate) for candidate in plan]), step))
    if inserted is None:  # the CallSid is stored already: a retried webhook
        return find(db, caller.call_sid, route_of)
    call_id = inserted[0]
    if from_list:
        # read and moved in one statement; another worker's call may have moved it since it was
        # read above (PostgreSQL, no lock on the read): then this call starts where it says
        moved = (db.one(_ROTATE, (entries, entries, route.id))[0] - 1) % entries
        if moved != rotation:
            plan = dial_plan(route, moved)
            db.run(_SET_PLAN, (json.dumps([list(candidate) for candidate in plan]), call_id))
    return Call(call_id, caller.call_sid, status, step, plan, route.id, route.greet_caller, route.whisper_message,
                route.recording, route.rings, caller.number, entries)


def _dialling(db: Db, call: Call, step: int) -> None:
    """Candidate `step` is being dialled: the first round-robin entry dialled in a call moves the
    number's rotation pointer on by one, so the next call starts at the following entry."""
    first_from_list = next((i for i, candidate in enumerate(call.plan, start=1) if candidate.from_list), None)
    if step == first_from_list and call.number_id is not None and call.list_size:
        db.one(_ROTATE, (call.list_size, call.list_size, call.number_id))


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
        db.run(_SET_OUTCOME, ("answered", candidate.number, call.id))
        return Next("hangup")
    if status in NOT_ANSWERED and step < len(call.plan):
        db.run(_SET_STEP, (step + 1, candidate.number, call.id))
        _dialling(db, call, step + 1)
        return Next("dial", step + 1)
    db.run(_SET_OUTCOME, (status if status in FINAL_STATUSES else "failed", candidate.number, call.id))
    return Next("sorry")


def dial_result_of(db: Db, call_sid: str, step: int, dial_status: str,
                   route_of: RoutingLookup = load_routing) -> tuple[Next, Call] | None:
    """dial_result for the call of `call_sid` (None: no such call), with the call to render the
    next dial from."""
    call = find(db, call_sid, route_of)
    return None if call is None else (dial_result(db, call, step, dial_status), call)


def set_recording(db: Db, call_id: int, recording_url: str) -> None:
    db.run(_SET_RECORDING, (recording_url[:1000], call_id))


def finish(db: Db, call_sid: str, call_status: str, duration: int, prices: billing.Prices, now: datetime) -> bool:
    """The provider's final status of the inbound leg: duration, end (start + duration: the
    leg's length as the provider reports it), talk time (charged once, to the payer; nothing
    for a suspended call). False for an unknown call; a call that
    has ended already is left as it is (a retried callback)."""
    row = db.one(_TO_FINISH, (call_sid,))
    if row is None:
        return False
    call_id, status, call_start, call_end, number_type, payer_id, account_id, sid = row
    if call_end is not None:
        return True
    if status == "in-progress":  # no dial result came: the caller left during the hunt
        status = call_status if call_status in FINAL_STATUSES and call_status != "completed" else "canceled"
    minutes = math.ceil(duration / 60) if duration > 0 else 0
    cost = Decimal("0.00") if status == "suspended" else minutes * prices.per_minute(number_type)
    end = values.read_moment(call_start) + timedelta(seconds=duration)
    db.run(_FINISHED, (status, values.stored_moment(db.dialect, end), duration, minutes,
                       values.stored_money(db.dialect, cost), call_id))
    billing.charge_talk_time(db, payer_id, account_id, call_id, sid, cost, now)
    return True


# --- the provider-neutral ingest --------------------------------------------------------------

class IngestError(Exception):
    def __init__(self, status: int, error: str):
        super().__init__(error)
        self.status = status
        self.error = error


def ingest(db: Db, caller: Caller, *, answer_at: int | None, status: str | None, forwarded_to: str,
           duration: int, recording_url: str, prices: billing.Prices, now: datetime,
           route_of: RoutingLookup = load_routing) -> tuple[bool, dict]:
    """A whole call at once, without audio: the routing decision as for a live call (the
    rotation pointer moves the same way), then the outcome: `answer_at` (1-based candidate that
    answers, 0 = nobody) or `status` + `forwarded_to`. (created, answer); a repeated call SID
    answers the stored call, created False."""
    existing = find(db, caller.call_sid, route_of)
    if existing is not None:
        return False, ingest_answer(db, existing.id)
    call = start(db, caller, now, route_of)
    if call is None:
        raise IngestError(404, "unknown_number")
    if call.status == "in-progress":
        if answer_at is not None:
            if answer_at > len(call.plan):
                raise IngestError(422, "invalid_body")
            last = answer_at or len(call.plan)
            for step in range(1, last + 1):
                current = find_by_id(db, call.id, route_of)
                assert current is not None
                dial_result(db, current, step, "completed" if step == answer_at else "no-answer")
        else:
            db.run(_SET_OUTCOME, (status or "answered", forwarded_to, call.id))
    if recording_url:
        set_recording(db, call.id, recording_url)
    finish(db, caller.call_sid, "completed", duration, prices, now)
    return True, ingest_answer(db, call.id)


_INGEST_ANSWER = Statement("SELECT id, call_status, forwarded_to, dial_plan, billable_minutes, cost, channel, "
                           "match_type FROM avidtrak_calls WHERE id = ?")


def ingest_answer(db: Db, call_id: int) -> dict:
    call_id, status, forwarded_to, plan, minutes, cost, channel, match_type = db.one(_INGEST_ANSWER, (call_id,))
    return {"call_id": call_id, "call_status": status, "forwarded_to": forwarded_to,
            "dial_plan": [entry[0] for entry in json.loads(plan)], "billable_minutes": minutes,
            "cost": values.money_text(values.read_money(cost)), "channel": channel, "match_type": match_type}


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

