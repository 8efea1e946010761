"""AvidTrak provisioning: accounts, credit, pincode regeneration, ledger.

Agency sign-up, funding and PIN generation are UI functions in the original, so the operator
does them here: over HTTP under /_polytrack/avidtrak/... and with `polytrack admin avidtrak ...`.
"""

from __future__ import annotations

import argparse
import json
import re
from datetime import date
from decimal import Decimal
from typing import Any, Callable

from sqlalchemy.exc import IntegrityError
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from polytrack.admin_http import AdminError, json_body
from polytrack.apis import CliError, CliKit
from polytrack.avidtrak import billing, daily_email, domain, values
from polytrack.avidtrak.server_keys import server_keys
from polytrack.avidtrak.errors import AvidTrakError
from polytrack.kernel.dates import zone
from polytrack.kernel.sql import Db
from polytrack.services import Services

# AvidTrak error id -> HTTP status of the operator API
_ADMIN_STATUS = {"userid_exists": 409}


def _admin_error(exc: AvidTrakError) -> AdminError:
    return AdminError(_ADMIN_STATUS.get(exc.error, 400), exc.message)


def _text(data: dict, name: str) -> str:
    value = data.get(name)
    return "" if value is None else str(value).strip()


def _required(data: dict, *names: str) -> list[str]:
    missing = [name for name in names if not _text(data, name)]
    if missing:
        raise AdminError(400, f"missing field(s): {', '.join(missing)}")
    return [_text(data, name) for name in names]


def _account(db: Db, userid: str) -> domain.Account:
    account = domain.account_by_userid(db, userid)
    if account is None:
        raise AdminError(404, f"no avidtrak account with userid {userid!r}")
    return account


def _timezone(services: Services) -> str:
    return services.settings.api_setting("avidtrak.timezone", values.DEFAULT_TIMEZONE)


# --- operations (shared by HTTP and CLI) -------------------------------------------------------

def create_account(services: Services, data: dict) -> dict:
    """kind agency | individual | client (a client needs `agency`, the agency's userid)."""
    kind, userid, password = _required(data, "kind", "userid", "password")
    kind = kind.lower()
    if kind not in domain.KINDS:
        raise AdminError(400, "kind must be agency, individual or client")
    try:
        fields: dict[str, Any] = {
            "userid": values.userid(userid),
            "password": values.password(password),
            "account_type": None if kind == "agency" else values.account_type(_required(data, "account_type")[0]),
            "email": values.email(_text(data, "email")),
            "contact_name": values.short_text(_text(data, "contact_name"), "contact_name"),
            "contact_number": values.optional_phone(_text(data, "contact_number"), "contact_number"),
            "domain": values.domain(_text(data, "domain")),
        }
        initial_credit = values.money(_text(data, "initial_credit") or "0", "initial_credit")
        if initial_credit < 0 or (initial_credit > 0 and kind == "client"):
            raise AdminError(400, "initial_credit must be >= 0, and clients of an agency have no wallet of their own")
        with services.transaction() as db:
            agency = None
            if kind == "client":
                agency = _account(db, _required(data, "agency")[0])
                if not agency.is_agency:
                    raise AdminError(400, f"{agency.userid!r} is not an agency")
            now = services.clock.now()
            created = domain.create_account(db, server_keys(services.settings), now, kind=kind, agency=agency, **fields)
            if initial_credit > 0:
                domain.add_credit(db, created.account, initial_credit, "initial credit", now)
    except AvidTrakError as exc:
        raise _admin_error(exc) from exc
    except IntegrityError as exc:
        # a concurrent request took the same user ID between our check and the insert
        raise AdminError(409, "User ID already exists") from exc
    return {"userid": created.account.userid, "pincode": created.pincode, "site_key": created.site_key}


def credit(services: Services, userid: str, data: dict) -> dict:
    """Credit (amount > 0) or adjust (amount < 0) a payer's wallet; suspension follows the sign."""
    (amount_text,) = _required(data, "amount")
    note = _text(data, "note")
    try:
        amount = values.money(amount_text, "amount")
        note = values.short_text(note, "note", limit=255)
        with services.transaction() as db:
            account = _account(db, userid)
            balance = domain.add_credit(db, account, amount, note, services.clock.now())
    except AvidTrakError as exc:
        raise _admin_error(exc) from exc
    return {"balance": values.money_text(balance), "account_status": domain.account_status(balance)}


def regenerate_pincode(services: Services, userid: str) -> dict:
    with services.transaction() as db:
        pincode = domain.regenerate_pincode(db, server_keys(services.settings), _account(db, userid))
    return {"pincode": pincode}


def ledger(services: Services, userid: str) -> dict:
    with services.transaction() as db:
        account = _account(db, userid)
        entries = domain.ledger_entries(db, account, _timezone(services))
    return {"userid": account.userid, "entries": entries}


def monthly_rental(services: Services, data: dict) -> dict:
    """Charge every held number's rental for `month` (YYYY-MM, default: the current month of the
    server time zone) to its payer, even into a negative balance. Idempotent: a number already
    charged for that month (at purchase or by an earlier run) is skipped, also when two runs
    race (the ledger's unique index decides). One transaction per number."""
    tz_name = _timezone(services)
    now = services.clock.now()
    current = billing.period_of(now, tz_name)
    period = _text(data, "month") or current
    if not re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", period) or period > current:
        raise AdminError(400, "month must be YYYY-MM, not after the current month")
    with services.transaction() as db:
        due = billing.rentals_due(db, period, tz_name)
    charged, total = 0, Decimal("0.00")
    for payer_id, rental in due:
        try:
            with services.transaction() as db:
                done = billing.charge_rental(db, payer_id, rental, period, now)
        except IntegrityError:  # a concurrent run charged it first
            done = False
        if done:
            charged += 1
            total += rental.fee
    return {"month": period, "charged": charged, "total": values.money_text(total)}


def send_daily_emails(services: Services, data: dict) -> dict:
    """The daily e-mail job once (daily_email.run): decide the due days, or only `day`
    (YYYY-MM-DD, a day already over in the server time zone), and send what is due. Idempotent:
    a day is decided once, a message sent once."""
    job = daily_email.Job.of(services.settings)
    text = _text(data, "day")
    day = None
    if text:
        try:
            day = date.fromisoformat(text) if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text) else None
        except ValueError:
            day = None
        today = services.clock.now().astimezone(zone(job.tz_name)).date()
        if day is None or day >= today:
            raise AdminError(400, "day must be YYYY-MM-DD, a day before today")
    return daily_email.run(services, job, day)


def daily_emails(services: Services, status: str) -> dict:
    """The outbox, newest day first: what was sent, what waits (no SMTP server, or a retry)."""
    if status not in ("", "unsent", "sent", "failed"):
        raise AdminError(400, "status must be unsent, sent or failed")
    with services.engine.connect() as db:
        return {"messages": daily_email.list_outbox(db, status)}


# --- HTTP -------------------------------------------------------------------------------------

def admin_routes(services: Services) -> list:
    async def post_account(request: Request):
        return JSONResponse(create_account(services, await json_body(request)), status_code=201)

    async def post_credit(request: Request):
        return JSONResponse(credit(services, request.path_params["userid"], await json_body(request)))

    async def post_pincode(request: Request):
        return JSONResponse(regenerate_pincode(services, request.path_params["userid"]))

    async def post_monthly_rental(request: Request):
        return JSONResponse(monthly_rental(services, await json_body(request)))

    async def get_daily_emails(request: Request):
        return JSONResponse(daily_emails(services, request.query_params.get("status", "")))

    async def get_ledger(request: Request):
        return JSONResponse(ledger(services, request.path_params["userid"]))

    return [
        Route("/accounts", post_account, methods=["POST"]),
        Route("/accounts/{userid}/credit", post_credit, methods=["POST"]),
        Route("/accounts/{userid}/pincode", post_pincode, methods=["POST"]),
        Route("/accounts/{userid}/ledger", get_ledger, methods=["GET"]),
        Route("/jobs/monthly-rental", post_monthly_rental, methods=["POST"]),
        Route("/daily-emails", get_daily_emails, methods=["GET"]),
    ]


# --- CLI --------------------------------------------------------------------------------------

def register_cli(root, admin, kit: CliKit) -> None:
    parser = admin.add_parser("avidtrak", help="AvidTrak: accounts, credit, pincodes")
    sub = parser.add_subparsers(dest="avidtrak_command", required=True)

    def command(name: str, summary: str, operation: Callable[[Services, argparse.Namespace], dict]):
        """A subcommand that runs `operation(services, args)` and prints its answer as JSON."""
        subparser = sub.add_parser(name, help=summary)
        kit.add_db_flags(subparser)
        subparser.set_defaults(func=lambda args: _run(kit, operation, args))
        return subparser

    create = command("create-account", "create an agency, individual or agency client (prints the pincode)",
                     lambda services, a: create_account(services, {
                         "kind": a.kind, "userid": a.userid, "password": a.password,
                         "account_type": a.account_type, "agency": a.agency, "email": a.email,
                         "contact_name": a.contact_name, "contact_number": a.contact_number,
                         "domain": a.domain, "initial_credit": a.initial_credit}))
    create.add_argument("--kind", required=True, choices=domain.KINDS)
    create.add_argument("--userid", required=True)
    create.add_argument("--password", required=True)
    create.add_argument("--account-type", choices=values.ACCOUNT_TYPES, help="pro or lite (not for agencies)")
    create.add_argument("--agency", help="the agency's userid (kind client)")
    create.add_argument("--email", default="")
    create.add_argument("--contact-name", default="")
    create.add_argument("--contact-number", default="")
    create.add_argument("--domain", default="")
    create.add_argument("--initial-credit", default="")

    add = command("credit", "credit (or, negative, adjust) a wallet",
                  lambda services, a: credit(services, a.userid, {"amount": a.amount, "note": a.note}))
    add.add_argument("--userid", required=True)
    add.add_argument("--amount", required=True, help="e.g. 25.00 or -3.50")
    add.add_argument("--note", default="")

    regen = command("regenerate-pincode", "issue a new pincode; the old one stops working at once",
                    lambda services, a: regenerate_pincode(services, a.userid))
    regen.add_argument("--userid", required=True)

    show = command("ledger", "print the ledger of an account", lambda services, a: ledger(services, a.userid))
    show.add_argument("--userid", required=True)

    # `polytrack avidtrak bill`: the monthly job (run it from cron on the 1st, any hour: it is
    # idempotent per number and month)
    jobs = root.add_parser("avidtrak", help="AvidTrak jobs").add_subparsers(dest="avidtrak_job", required=True)
    bill = jobs.add_parser("bill", help="charge this month's number rental (idempotent per number and month)")
    kit.add_db_flags(bill)
    bill.add_argument("--month", default="", help="YYYY-MM (default: the current month)")
    bill.set_defaults(func=lambda args: _run(kit, lambda services, a: monthly_rental(services, {"month": a.month}), args))

    # `polytrack avidtrak send-daily-emails`: the daily e-mail job once (each worker runs it in
    # the background too; from cron it is idempotent per day and recipient)
    emails = jobs.add_parser("send-daily-emails", help="e-mail the previous days' calls (idempotent per day and recipient)")
    kit.add_db_flags(emails)
    emails.add_argument("--day", default="", help="YYYY-MM-DD (default: the days due)")
    emails.set_defaults(func=lambda args: _run(kit, lambda services, a: send_daily_emails(services, {"day": a.day}), args))


def _run(kit: CliKit, operation: Callable[[Services, argparse.Namespace], dict], args: argparse.Namespace) -> int:
    services = kit.open_services(args)
    try:
        result = operation(services, args)
    except AdminError as exc:
        raise CliError(exc.message) from exc
    finally:
        services.engine.dispose()
    print(json.dumps(result, indent=2))
    return 0
