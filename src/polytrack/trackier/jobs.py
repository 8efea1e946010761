"""Conversion imports, as background jobs: queued by `POST /network/conversion-import`, run after
the answer has gone out (and again whenever a job is polled, so a job a stopped server left
behind is finished), polled by `GET /jobs/{id}`.

A row with a `conversion_id` of the network edits that conversion (its status, money, txn_id,
sub-values): this is how the network approves, holds or rejects conversions. A row with a
`click_id` records a new conversion of that click, priced like a postback unless `payout` /
`revenue` are given. Each row commits on its own; the job stops (failed) once more than 10 rows
have failed. The job's log ends with "Total Processed: N | Imported: a | Edited: b | Errors: c".
"""

from __future__ import annotations

import json
import logging
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.engine import Row

from polytrack.kernel.clock import Clock
from polytrack.kernel.dates import zone
from polytrack.kernel.sql import Db
from polytrack.trackier import errors, fields, postbacks, summary, tracking
from polytrack.trackier.campaigns import by_ident
from polytrack.trackier.domain import Network, new_object_id
from polytrack.trackier.errors import TrackierError
from polytrack.trackier.tables import trackier_conversions, trackier_jobs, trackier_networks
from polytrack.trackier.schema import BOOLEAN, NUMBER, STRING, array, choice, form

log = logging.getLogger("polytrack.trackier")

IMPORT_JOB = "import.json.conversion"
MAX_ROWS = 10_000
MAX_FAILURES = 10
STALE_SECONDS = 600  # a job in progress this long was left by a stopped server
LIST_SIZE = 50
METHODS = {"acquisition": tracking.POSTBACK_METHOD, "pixel": tracking.PIXEL_METHOD, "app_install": "App Install"}


# The request body (schema.py; the OpenAPI document).
IMPORT_BODY = form(send_postback=BOOLEAN, conversions=array(form(
    click_id=STRING, conversion_id=STRING, campaign_id=STRING, publisher_id=STRING, goal_value=STRING,
    txn_id=STRING, status=choice(tracking.CONVERSION_STATUSES), payout=NUMBER, revenue=NUMBER, sale_amount=NUMBER,
    method=choice(METHODS), created=STRING, ipaddr=STRING, referer=STRING,
    **{f"sub{n}": STRING for n in range(1, 11)})), required=("conversions",))


def queue_import(db: Db, clock: Clock, network: Network, data: dict, *, user_id: int | None = None) -> Row:
    """Store an import job (pending) of `{"conversions": [...]}`; 400/20 unless a list of objects."""
    problems: fields.Problems = {}
    rows = fields.items(data, "conversions", problems, required=True)
    if rows is not None and len(rows) > MAX_ROWS:
        fields.note(problems, "conversions", f"At most {MAX_ROWS} conversions per import")
    send_postback = fields.boolean(data, "send_postback", problems)
    if problems:
        raise errors.invalid(problems)
    object_id = new_object_id(clock)
    db.execute(trackier_jobs.insert().values(
        object_id=object_id, network_id=network.id, name=IMPORT_JOB, status="pending", user_id=user_id,
        payload=json.dumps({"conversions": rows, "send_postback": bool(send_postback)}), logs="[]",
        created_at=clock.timestamp(), modified_at=None))
    return find_job(db, network, object_id)


def sends_postbacks(job: Row) -> bool:
    return bool(json.loads(job.payload).get("send_postback"))


def find_job(db: Db, network: Network, ident: str) -> Row:
    where = by_ident(trackier_jobs, ident)
    row = None if where is None else db.execute(select(trackier_jobs).where(
        where, trackier_jobs.c.network_id == network.id)).first()
    if row is None:
        raise TrackierError(errors.NOT_FOUND)
    return row


def list_jobs(db: Db, network: Network) -> list[Row]:
    """The latest 50, newest first."""
    return list(db.execute(select(trackier_jobs).where(trackier_jobs.c.network_id == network.id)
                           .order_by(trackier_jobs.c.created_at.desc(), trackier_jobs.c.id.desc())
                           .limit(LIST_SIZE)).all())


# --- running them -----------------------------------------------------------------------------

def run_pending(services) -> None:
    """Run every job waiting (or stranded in progress), each claimed by one worker only."""
    now = services.clock.timestamp()
    with services.engine.connect() as conn:
        waiting = conn.execute(select(trackier_jobs.c.id).where(or_(
            trackier_jobs.c.status == "pending",
            (trackier_jobs.c.status == "progress") & (trackier_jobs.c.modified_at < now - STALE_SECONDS),
        )).order_by(trackier_jobs.c.id)).scalars().all()
    for job_id in waiting:
        with services.transaction() as db:
            claimed = db.execute(update(trackier_jobs).where(trackier_jobs.c.id == job_id, or_(
                trackier_jobs.c.status == "pending",
                (trackier_jobs.c.status == "progress") & (trackier_jobs.c.modified_at < now - STALE_SECONDS),
            )).values(status="progress", modified_at=now)).rowcount
        if claimed:
            try:
                _run(services, job_id)
            except Exception:  # a bug must not leave the job in progress for ever
                log.exception("trackier job %s failed", job_id)
                _finish(services, job_id, "failed", ["The job stopped on an internal error"])


def _run(services, job_id: int) -> None:
    with services.engine.connect() as conn:
        job = conn.execute(select(trackier_jobs, trackier_networks.c.timezone).join(
            trackier_networks, trackier_networks.c.id == trackier_jobs.c.network_id).where(
            trackier_jobs.c.id == job_id)).one()
    payload = json.loads(job.payload)
    rows = payload["conversions"]
    # the network's imports fire the affiliates' postbacks; an advertiser's when it asks
    send_postbacks = job.user_id is None or bool(payload.get("send_postback"))
    imported = edited = failed = processed = 0
    messages: list[str] = []
    for index, row in enumerate(rows):
        if failed > MAX_FAILURES:
            break
        processed += 1
        try:
            with services.transaction() as db:
                if _import_row(db, services.clock, job, row, send_postbacks=send_postbacks):
                    edited += 1
                else:
                    imported += 1
        except (tracking.Refused, TrackierError) as refused:
            failed += 1
            messages.append(f"Row {index + 1}: {refused}")
    summary = f"Total Processed: {processed} | Imported: {imported} | Edited: {edited} | Errors: {failed}"
    _finish(services, job_id, "failed" if failed > MAX_FAILURES else "completed", [*messages, summary])


def _finish(services, job_id: int, status: str, messages: list[str]) -> None:
    now = services.clock.timestamp()
    stamp = datetime.fromtimestamp(now, zone("UTC")).strftime("%Y-%m-%d %H:%M:%S")
    logs = [{"object": IMPORT_JOB, "priority": 1, "message": message, "created": stamp} for message in messages]
    with services.transaction() as db:
        db.execute(update(trackier_jobs).where(trackier_jobs.c.id == job_id).values(
            status=status, modified_at=now, logs=json.dumps(logs[-100:])))


def _text_values(row: dict) -> dict[str, str]:
    """A row's scalar fields as the text a postback would carry."""
    return {name: str(value) for name, value in row.items()
            if isinstance(value, (str, int, float)) and not isinstance(value, bool)}


def _import_row(db: Db, clock: Clock, job: Row, row: dict, *, send_postbacks: bool) -> bool:
    """One row; True when it edited a conversion, False when it recorded one. An approved
    conversion (new, or approved by this row) queues the affiliate's postbacks."""
    values = _text_values(row)
    problems: fields.Problems = {}
    status = fields.choice(values, "status", problems, tracking.CONVERSION_STATUSES)
    payout = fields.money(values, "payout", problems)
    revenue = fields.money(values, "revenue", problems)
    sale = fields.money(values, "sale_amount", problems)
    method = fields.choice(values, "method", problems, METHODS)
    created = fields.text(values, "created", problems, max_length=19)
    created_at = None
    if created is not None:
        try:
            created_at = datetime.strptime(created, "%Y-%m-%d %H:%M:%S").replace(
                tzinfo=zone(job.timezone)).timestamp()
        except ValueError:
            fields.note(problems, "created", "Created must be YYYY-MM-DD HH:MM:SS")
    if problems:
        raise TrackierError(errors.PARAMETER_ERROR, errors=problems)
    changes: dict = {}
    for name, value in (("status", status), ("payout_micros", payout), ("revenue_micros", revenue),
                        ("sale_micros", sale), ("created_at", created_at)):
        if value is not None:
            changes[name] = value
    if created_at is not None:
        changes["day"] = tracking.local_day(created_at, job.timezone)
    if method is not None:
        changes["method"] = METHODS[method]
    conversion_id = values.get("conversion_id", "").strip().lower()
    if conversion_id and job.user_id is None:  # only the network edits conversions
        where = by_ident(trackier_conversions, conversion_id)
        existing = None if where is None else db.execute(select(trackier_conversions).where(
            where, trackier_conversions.c.network_id == job.network_id)).first()
        if existing is not None:
            params = json.loads(existing.params)
            params.update({name: values[name][:255] for name in tracking.CONVERSION_PARAMS if values.get(name)})
            if values.get("txn_id"):
                changes["txn_id"] = values["txn_id"][:255]
            summary.add_conversion(db, existing.id, -1)  # its old sums out, its new ones in
            db.execute(update(trackier_conversions).where(trackier_conversions.c.id == existing.id).values(
                params=json.dumps(params), **changes))
            summary.add_conversion(db, existing.id)
            if send_postbacks and status == "approved":
                postbacks.queue_for(db, clock, existing.id)
            return True
    click = tracking.find_click(db, values.get("click_id", ""))
    if click is None or click.network_id != job.network_id or (
            job.user_id is not None and click.advertiser_id != job.user_id):  # an advertiser's: its own campaigns
        raise tracking.Refused("A new conversion needs the click_id of one of the network's clicks")
    setup = tracking.load_setup(db, click.campaign_id, click.comm_model == "cps")
    query = {**values, "status": status or "approved"}
    conversion = tracking.record_conversion(db, clock, click, setup, query, method=changes.get("method", METHODS[
        "acquisition"]), ipaddr=(values.get("ipaddr") or "")[:45] or None, referer=values.get("referer"), window=False)
    if changes:
        summary.add_conversion(db, conversion.id, -1)
        db.execute(update(trackier_conversions).where(trackier_conversions.c.id == conversion.id).values(**changes))
        summary.add_conversion(db, conversion.id)
    if send_postbacks:
        postbacks.queue_for(db, clock, conversion.id)
    return False
