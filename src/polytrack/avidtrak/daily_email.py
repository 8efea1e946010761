"""The daily e-mail job: yesterday's calls of each number with `enable_email` or `email_alerts`.

Two steps, both durable, so a restart or several workers never send a message twice and a day
missed while the server was down is sent when it comes back:

* **decide** a day (once its send time, `avidtrak.daily_email_hour` of the next day in the
  server time zone, has passed, and at most `LOOKBACK_DAYS` back): compose one message per
  recipient covering all numbers that list it, from the stored calls, and store them in the
  outbox (`avidtrak_daily_emails`) together with the day's row (`avidtrak_email_days`), whose
  primary key lets only one worker decide a day. A recipient without calls gets nothing.
* **deliver** the outbox's unsent messages through SMTP (smtplib): each is claimed for a lease
  first, so two senders never send one message, and a failure is recorded and retried with
  backoff. Without `avidtrak.smtp_host` nothing is sent: the messages wait in the outbox, which
  the operator lists at GET /_polytrack/avidtrak/daily-emails.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime

from sqlalchemy import Connection, and_, or_, select, update

from polytrack.avidtrak import values
from polytrack.avidtrak.tables import avidtrak_accounts as accounts
from polytrack.avidtrak.tables import avidtrak_calls as calls
from polytrack.avidtrak.tables import avidtrak_daily_emails as outbox
from polytrack.avidtrak.tables import avidtrak_email_days
from polytrack.avidtrak.tables import avidtrak_numbers as numbers
from polytrack.config import ConfigError, Settings
from polytrack.kernel.dates import zone
from polytrack.kernel.sql import Statement, Transaction
from polytrack.services import Services

log = logging.getLogger(__name__)

LOOKBACK_DAYS = 3  # a day whose send time passed longer ago than this is not sent any more
RETRY_DELAYS = (60, 300, 1800, 7200)  # seconds after the 1st ... 4th failed attempt
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1  # then the message is `failed` (given up)
LEASE_SECONDS = 120  # a claimed message is due again after this (its sender died mid-send)
BATCH = 50

_DECIDE_DAY = Statement(
    "INSERT INTO avidtrak_email_days (day, decided_at, messages) VALUES (?, ?, 0) ON CONFLICT (day) DO NOTHING")
_COUNT_MESSAGES = Statement("UPDATE avidtrak_email_days SET messages = ? WHERE day = ?")
_QUEUE = Statement(
    "INSERT INTO avidtrak_daily_emails (day, recipient, subject, body, status, attempts, next_attempt_at, "
    "last_error, created_at) VALUES (?, ?, ?, ?, 'unsent', 0, ?, '', ?) ON CONFLICT (day, recipient) DO NOTHING")


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int
    sender: str
    user: str
    password: str
    starttls: bool


@dataclass(frozen=True)
class Job:
    """The job's settings, read once."""

    tz_name: str
    hour: int  # the hour of the day (server time zone) a day's messages are due, the next day
    interval: float  # seconds between the background task's rounds (0: no task in this process)
    smtp: Smtp | None  # None: no SMTP server configured, messages stay unsent

    @classmethod
    def of(cls, settings: Settings) -> "Job":
        hour = settings.api_setting("avidtrak.daily_email_hour", 6)
        if not 0 <= hour <= 23:
            raise ConfigError(f"api.avidtrak.daily_email_hour must be 0-23, got {hour}")
        host = settings.api_setting("avidtrak.smtp_host", "")
        smtp = Smtp(host, settings.api_setting("avidtrak.smtp_port", 25),
                    settings.api_setting("avidtrak.smtp_from", "avidtrak-reports@localhost"),
                    settings.api_setting("avidtrak.smtp_user", ""), settings.api_setting("avidtrak.smtp_password", ""),
                    settings.api_setting("avidtrak.smtp_starttls", False)) if host else None
        return cls(settings.api_setting("avidtrak.timezone", values.DEFAULT_TIMEZONE), hour,
                   settings.api_setting("avidtrak.daily_email_interval", 60.0), smtp)


def days_due(now: datetime, job: Job) -> list[date]:
    """The days whose messages are due at `now`, oldest first: the last LOOKBACK_DAYS days whose
    send time (job.hour of the next day, server time zone) has passed."""
    local = now.astimezone(zone(job.tz_name))
    last = local.date() - timedelta(days=1 if local.hour >= job.hour else 2)
    return [last - timedelta(days=back) for back in range(LOOKBACK_DAYS - 1, -1, -1)]


# --- composing ------------------------------------------------------------------------------------

def _phone(number: str) -> str:
    return f"({number[:3]}) {number[3:6]}-{number[6:]}" if len(number) == 10 else number


def _duration(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


def compose(db: Transaction, day: date, tz_name: str) -> dict[str, tuple[str, str]]:
    """recipient (lower case) -> (subject, body) of `day`'s message: each number that lists the
    recipient (the owner's e-mail with `enable_email`, or in `email_alerts`) and its calls of the
    day, received by the number's current owner. Recipients whose numbers had no call: none."""
    tz = zone(tz_name)
    start = values.utc_naive(datetime.combine(day, time(), tz))
    end = values.utc_naive(datetime.combine(day + timedelta(days=1), time(), tz))
    listed = db.execute(
        select(numbers.c.sid, numbers.c.number, numbers.c.owner_id, numbers.c.enable_email, numbers.c.email_alerts,
               accounts.c.email)
        .join(accounts, accounts.c.id == numbers.c.owner_id)
        .where(or_(numbers.c.enable_email.is_(True), numbers.c.email_alerts != ""))
        .order_by(numbers.c.number)).all()
    if not listed:
        return {}
    of_number: dict[tuple[str, int], list] = {}
    for row in db.execute(
            select(calls.c.sid, calls.c.account_id, calls.c.call_start, calls.c.caller_number, calls.c.caller_name,
                   calls.c.duration, calls.c.call_status, calls.c.recording_url)
            .where(calls.c.sid.in_([number.sid for number in listed]), calls.c.call_start >= start,
                   calls.c.call_start < end)
            .order_by(calls.c.call_start, calls.c.id)):
        of_number.setdefault((row.sid, row.account_id), []).append(row)

    sections: dict[str, list[str]] = {}  # recipient -> one section per number
    counts: dict[str, int] = {}
    for number in listed:
        day_calls = of_number.get((number.sid, number.owner_id))
        if not day_calls:
            continue
        recipients = [address.lower() for address in number.email_alerts.split(",") if address]
        if number.enable_email and number.email:
            recipients.insert(0, number.email.lower())
        lines = [f"{_phone(number.number)}: {len(day_calls)} call{'s' if len(day_calls) != 1 else ''}"]
        for call in day_calls:
            local = call.call_start.replace(tzinfo=timezone.utc).astimezone(tz)
            caller = " ".join(part for part in (call.caller_number, call.caller_name) if part)
            line = f"  {local:%H:%M:%S}  {caller}  {_duration(call.duration)}  {call.call_status}"
            lines.append(line + (f"  {call.recording_url}" if call.recording_url else ""))
        for recipient in dict.fromkeys(recipients):
            sections.setdefault(recipient, []).append("\n".join(lines))
            counts[recipient] = counts.get(recipient, 0) + len(day_calls)
    return {recipient: (
        f"AvidTrak calls of {day.isoformat()}: {counts[recipient]} call{'s' if counts[recipient] != 1 else ''}",
        f"Calls of {day:%A} {day.isoformat()} (times in {tz_name}; duration minutes:seconds).\n\n"
        + "\n\n".join(parts) + "\n") for recipient, parts in sections.items()}


def decide(services: Services, day: date, now: datetime, tz_name: str) -> int | None:
    """Compose and store `day`'s messages, once: the number stored, or None if the day was
    decided already (by this or another worker)."""
    decided_at = values.utc_naive(now)
    with services.transaction() as db:
        # the day's row first: a second worker waits here for the first one's commit (PostgreSQL;
        # SQLite's write transactions are serial) and then finds the day decided
        stored_at = values.stored_moment(db.dialect, decided_at)
        if db.run(_DECIDE_DAY, (day.isoformat(), stored_at)).rowcount == 0:
            return None
        messages = compose(db, day, tz_name)
        db.many(_QUEUE, [(day.isoformat(), recipient, subject, body, stored_at, stored_at)
                         for recipient, (subject, body) in messages.items()])
        db.run(_COUNT_MESSAGES, (len(messages), day.isoformat()))
    return len(messages)


def _undecided(services: Services, days: list[date]) -> list[date]:
    """The days of `days` not decided yet; none while no number asks for e-mail (so a server
    without e-mailing numbers writes nothing). Read without a transaction of its own: a commit
    would tell every read cache of a change (PostgreSQL)."""
    with services.engine.connect() as db:
        if db.execute(select(numbers.c.id).where(
                or_(numbers.c.enable_email.is_(True), numbers.c.email_alerts != "")).limit(1)).first() is None:
            return []
        done = set(db.execute(select(avidtrak_email_days.c.day).where(
            avidtrak_email_days.c.day.in_([day.isoformat() for day in days]))).scalars())
    return [day for day in days if day.isoformat() not in done]


# --- sending --------------------------------------------------------------------------------------

def _send(smtp: Smtp, message_id: int, recipient: str, subject: str, body: str, now: datetime) -> None:
    message = EmailMessage()
    message["From"] = smtp.sender
    message["To"] = recipient
    message["Subject"] = subject
    message["Date"] = format_datetime(now)
    # the same id on a resend (a sender that died after the server took it), so it can be recognised
    message["Message-ID"] = f"<avidtrak-daily-{message_id}@polytrack>"
    message.set_content(body)
    with smtplib.SMTP(smtp.host, smtp.port, timeout=30) as connection:
        if smtp.starttls:
            connection.starttls()
        if smtp.user:
            connection.login(smtp.user, smtp.password)
        connection.send_message(message)


def deliver_due(services: Services, smtp: Smtp) -> int:
    """Send the outbox's due unsent messages; the number sent."""
    now = services.clock.now()
    moment = values.utc_naive(now)
    with services.engine.connect() as db:
        due = db.execute(select(outbox.c.id).where(outbox.c.status == "unsent", outbox.c.next_attempt_at <= moment)
                         .order_by(outbox.c.next_attempt_at, outbox.c.id).limit(BATCH)).scalars().all()
    sent = 0
    for message_id in due:
        with services.transaction() as db:  # claim it: no other sender takes it during the lease
            claimed = db.execute(update(outbox).where(and_(
                outbox.c.id == message_id, outbox.c.status == "unsent", outbox.c.next_attempt_at <= moment)).values(
                next_attempt_at=moment + timedelta(seconds=LEASE_SECONDS), attempts=outbox.c.attempts + 1)).rowcount
            row = db.execute(select(outbox).where(outbox.c.id == message_id)).one() if claimed else None
        if row is None:
            continue
        try:
            _send(smtp, row.id, row.recipient, row.subject, row.body, now)
        except (smtplib.SMTPException, OSError) as exc:
            _record_failure(services, row.id, row.attempts, f"{type(exc).__name__}: {exc}"[:500])
            continue
        with services.transaction() as db:
            db.execute(update(outbox).where(outbox.c.id == row.id).values(
                status="sent", sent_at=values.utc_naive(services.clock.now()), last_error=""))
        sent += 1
    return sent


def _record_failure(services: Services, message_id: int, attempts: int, error: str) -> None:
    log.warning("avidtrak daily e-mail %s: attempt %s failed: %s", message_id, attempts, error)
    moment = values.utc_naive(services.clock.now())
    values_: dict[str, object] = {"last_error": error}
    if attempts >= MAX_ATTEMPTS:
        values_["status"] = "failed"
    else:
        values_["next_attempt_at"] = moment + timedelta(seconds=RETRY_DELAYS[attempts - 1])
    with services.transaction() as db:
        db.execute(update(outbox).where(outbox.c.id == message_id).values(**values_))


# --- the job --------------------------------------------------------------------------------------

def run(services: Services, job: Job, day: date | None = None) -> dict:
    """One round: decide the due days (or `day` alone), then send what is due. Idempotent."""
    now = services.clock.now()
    decided = {}
    for each in ([day] if day is not None else _undecided(services, days_due(now, job))):
        stored = decide(services, each, now, job.tz_name)
        if stored is not None:
            decided[each.isoformat()] = stored
    sent = deliver_due(services, job.smtp) if job.smtp is not None else 0
    return {"decided": decided, "sent": sent, "smtp": job.smtp is not None}


def list_outbox(db: Connection, status: str = "", limit: int = 200) -> list[dict]:
    query = select(outbox).order_by(outbox.c.day.desc(), outbox.c.recipient).limit(limit)
    if status:
        query = query.where(outbox.c.status == status)
    return [{"id": row.id, "day": row.day, "recipient": row.recipient, "status": row.status,
             "attempts": row.attempts, "last_error": row.last_error, "subject": row.subject, "body": row.body,
             "created_at": row.created_at.isoformat(sep=" "),
             "sent_at": row.sent_at.isoformat(sep=" ") if row.sent_at else None}
            for row in db.execute(query)]


async def _background(services: Services, job: Job) -> None:
    while True:
        try:
            await asyncio.to_thread(run, services, job)
        except Exception:  # the task must outlive a bad moment; the outbox keeps the work
            log.exception("avidtrak daily e-mail job failed")
        await asyncio.sleep(job.interval)


def background_tasks(services: Services) -> list:
    """What each worker runs while it serves: a round of the job every
    `avidtrak.daily_email_interval` seconds (default 60; 0: none in this process)."""
    job = Job.of(services.settings)
    if job.interval <= 0:
        return []

    async def daily_email_job() -> None:
        await _background(services, job)

    return [daily_email_job]
