"""Prepaid money: prices, the payer's wallet, and every change of it as a ledger row.

A client of an agency is billed to the agency (its payer); agencies and individual clients pay
for themselves. Number rental is charged for the whole month at purchase and again on the 1st
of each month; talk time once per call, rounded up to the minute. The ledger's unique indexes
(number and month; call) make a second charge for the same month or call impossible, whoever
tries it and however often.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Callable, NamedTuple

from sqlalchemy import select, update

from polytrack.avidtrak import values
from polytrack.avidtrak.errors import account_suspended, insufficient_balance
from polytrack.avidtrak.tables import avidtrak_accounts as accounts
from polytrack.avidtrak.tables import avidtrak_ledger as ledger
from polytrack.avidtrak.tables import avidtrak_numbers as numbers
from polytrack.avidtrak.tables import avidtrak_wallets as wallets
from polytrack.kernel.dates import zone
from polytrack.kernel.sql import Db, Statement


class Prices(NamedTuple):
    """The server's prices (settings `avidtrak.price_*`)."""

    local_month: Decimal = Decimal("2.00")
    toll_month: Decimal = Decimal("4.00")
    local_minute: Decimal = Decimal("0.05")
    toll_minute: Decimal = Decimal("0.07")

    def monthly_fee(self, number_type: str) -> Decimal:
        return self.toll_month if number_type == "toll" else self.local_month

    def per_minute(self, number_type: str) -> Decimal:
        return self.toll_minute if number_type == "toll" else self.local_minute

    @classmethod
    def from_settings(cls, knob: Callable) -> "Prices":
        defaults = cls()
        return cls(*(values.money(knob(f"avidtrak.price_{name}", str(getattr(defaults, name))), f"price_{name}")
                     for name in cls._fields))


def period_of(moment: datetime, tz_name: str) -> str:
    """The billing month (YYYY-MM) a moment falls in, in the server time zone."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=zone("UTC"))
    return aware.astimezone(zone(tz_name)).strftime("%Y-%m")


def balance_of(db: Db, payer_id: int) -> Decimal:
    raw = db.execute(select(wallets.c.balance).where(wallets.c.account_id == payer_id)).scalar_one()
    return Decimal(raw).quantize(values.CENT)


def _move(db: Db, payer_id: int, amount: Decimal, now: datetime, *, floor: Decimal | None = None) -> Decimal | None:
    """Add `amount` (negative: a charge) to the payer's balance in one atomic UPDATE; the new
    balance, or None when it would fall below `floor` (nothing changed)."""
    new_balance = wallets.c.balance + amount
    condition = [wallets.c.account_id == payer_id,
                 new_balance.between(-values.MONEY_LIMIT, values.MONEY_LIMIT)]
    if floor is not None:
        condition.append(new_balance >= floor)
    raw = db.execute(update(wallets).where(*condition)
                     .values(balance=new_balance, updated_on=values.utc_naive(now))
                     .returning(wallets.c.balance)).scalar()
    return None if raw is None else Decimal(raw).quantize(values.CENT)


def _entry(db: Db, *, payer_id: int, account_id: int, entry_type: str, amount: Decimal, balance_after: Decimal,
           now: datetime, note: str = "", sid: str | None = None, period: str | None = None,
           call_id: int | None = None) -> None:
    db.execute(ledger.insert().values(
        payer_id=payer_id, account_id=account_id, entry_type=entry_type, amount=amount,
        balance_after=balance_after, note=note, created_on=values.utc_naive(now), sid=sid, period=period,
        call_id=call_id))


class Rental(NamedTuple):
    account_id: int  # the owner of the number
    sid: str
    number: str
    fee: Decimal


def check_funds(db: Db, payer_id: int, required: Decimal) -> None:
    """Refuse a purchase of `required` when the payer is suspended or cannot cover it. The
    wallet row is locked (PostgreSQL: FOR UPDATE; SQLite's write transactions are serial
    anyway) until the transaction ends, so the charge that follows cannot be overtaken."""
    raw = db.execute(select(wallets.c.balance).where(wallets.c.account_id == payer_id).with_for_update()).scalar_one()
    balance = Decimal(raw).quantize(values.CENT)
    if balance < 0:
        raise account_suspended()
    if balance - required < 0:
        raise insufficient_balance(values.money_text(required), values.money_text(balance))


def charge_purchase(db: Db, payer_id: int, rentals: list[Rental], period: str, now: datetime) -> None:
    """The current month's rental of newly bought numbers (after `check_funds`), one ledger row
    each."""
    total = sum((rental.fee for rental in rentals), Decimal("0.00"))
    after = _move(db, payer_id, -total, now, floor=Decimal("0.00"))
    if after is None:  # cannot happen after check_funds: the wallet row is locked
        raise insufficient_balance(values.money_text(total), values.money_text(balance_of(db, payer_id)))
    running = after + total
    for rental in rentals:
        running -= rental.fee
        _entry(db, payer_id=payer_id, account_id=rental.account_id, entry_type="number_rental",
               amount=-rental.fee, balance_after=running, now=now, sid=rental.sid, period=period,
               note=f"rental {period} {rental.number}")


def already_charged(db: Db, sid: str, period: str) -> bool:
    return db.execute(select(ledger.c.id).where(ledger.c.sid == sid, ledger.c.period == period)).first() is not None


def charge_rental(db: Db, payer_id: int, rental: Rental, period: str, now: datetime) -> bool:
    """The monthly run: one rental, even into a negative balance; False if that month of that
    number was charged already (at purchase or by an earlier run)."""
    if already_charged(db, rental.sid, period):
        return False
    after = _move(db, payer_id, -rental.fee, now)
    if after is None:  # beyond what the wallet can hold: left for the operator
        return False
    _entry(db, payer_id=payer_id, account_id=rental.account_id, entry_type="number_rental", amount=-rental.fee,
           balance_after=after, now=now, sid=rental.sid, period=period, note=f"rental {period} {rental.number}")
    return True


def month_bounds(period: str, tz_name: str) -> tuple[datetime, datetime]:
    """The first instant of the month and of the next one, as stored times (naive UTC)."""
    year, month = (int(part) for part in period.split("-"))
    start = datetime(year, month, 1, tzinfo=zone(tz_name))
    after = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone(tz_name))
    return values.utc_naive(start), values.utc_naive(after)


def rentals_due(db: Db, period: str, tz_name: str) -> list[tuple[int, Rental]]:
    """(payer, rental) of every number held before the month ends and not yet charged for it."""
    _, month_end = month_bounds(period, tz_name)
    charged = select(ledger.c.sid).where(ledger.c.period == period, ledger.c.sid.is_not(None))
    rows = db.execute(
        select(numbers.c.sid, numbers.c.number, numbers.c.monthly_fee, accounts.c.id, accounts.c.kind,
               accounts.c.parent_id)
        .join(accounts, accounts.c.id == numbers.c.owner_id)
        .where(numbers.c.sid.is_not(None), numbers.c.purchased_on < month_end, numbers.c.sid.not_in(charged))
        .order_by(numbers.c.id)).all()
    return [(row.parent_id if row.kind == "client" else row.id,
             Rental(row.id, row.sid, row.number, Decimal(row.monthly_fee).quantize(values.CENT))) for row in rows]


# A live call's charge runs in the voice webhooks' transaction on a held driver connection
# (calls.py): fixed statements.
_DEBIT = Statement("UPDATE avidtrak_wallets SET balance = balance - ?, updated_on = ? "
                   "WHERE account_id = ? AND balance - ? >= ? RETURNING balance")
_TALK_TIME_ENTRY = Statement(
    "INSERT INTO avidtrak_ledger (payer_id, account_id, entry_type, amount, balance_after, note, created_on, sid, "
    "period, call_id) VALUES (?, ?, 'talk_time', ?, ?, ?, ?, ?, NULL, ?)")


def charge_talk_time(db: Db, payer_id: int, account_id: int, call_id: int, sid: str, cost: Decimal,
                     now: datetime) -> None:
    """One call's talk time, in the transaction that ends the call (calls.finish, which charges
    only a call not ended yet); may leave the balance below 0, which suspends the payer. Twice
    for one call is impossible: the ledger's unique call_id refuses the second entry, and its
    transaction, debit included, is rolled back."""
    if cost <= 0:
        return
    at, dialect = values.stored_moment(db.dialect, values.utc_naive(now)), db.dialect
    debited = db.one(_DEBIT, (values.stored_money(dialect, cost), at, payer_id, values.stored_money(dialect, cost),
                              values.stored_money(dialect, -values.MONEY_LIMIT)))
    if debited is None:
        return
    after = values.read_money(debited[0])
    db.run(_TALK_TIME_ENTRY, (payer_id, account_id, values.stored_money(dialect, -cost),
                              values.stored_money(dialect, after), f"call {call_id}", at, sid, call_id))
