"""AvidTrak accounts, pincodes and wallets as plain functions over the tables; no HTTP here.

Failures raise AvidTrakError (errors.py); wire.py renders them as code 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from polytrack.avidtrak import sealing, values
from polytrack.avidtrak.errors import (
    AvidTrakError, agency_only, invalid_client_pin, invalid_parameter, no_data, userid_exists,
)
from polytrack.avidtrak.server_keys import ServerKeys
from polytrack.avidtrak.tables import avidtrak_accounts as accounts
from polytrack.avidtrak.tables import avidtrak_ledger as ledger
from polytrack.avidtrak.tables import avidtrak_wallets as wallets
from polytrack.kernel.coherence import CoherentCache, read_through
from polytrack.kernel.sql import Db, Statement
from polytrack.kernel.secrets import hash_password, random_alnum, random_digits

PINCODE_LENGTH = 10
SITE_KEY_LENGTH = 36
KINDS = ("agency", "client", "individual")
CURRENCY = "USD"
ZERO = Decimal("0.00")


class Account(NamedTuple):
    """Who a pincode belongs to. (A NamedTuple: built on every API call, at a third of the
    cost of a frozen dataclass.)"""

    id: int
    kind: str  # agency | client | individual
    parent_id: int | None
    userid: str
    account_type: str | None  # pro | lite; None for agencies

    @property
    def payer_id(self) -> int:
        """Whose wallet pays: an agency pays for its clients."""
        if self.kind == "client":
            assert self.parent_id is not None, "a client hangs under its agency"
            return self.parent_id
        return self.id

    @property
    def is_agency(self) -> bool:
        return self.kind == "agency"

    @property
    def is_lite(self) -> bool:
        return self.account_type == "lite"


def _account(row) -> Account:
    return Account(id=row.id, kind=row.kind, parent_id=row.parent_id, userid=row.userid, account_type=row.account_type)


_ACCOUNT_COLUMNS = (accounts.c.id, accounts.c.kind, accounts.c.parent_id, accounts.c.userid, accounts.c.account_type)


# Every API call's authentication, on the hot path (a fixed statement on the held connection):
# the pincode's account and its payer's balance (a client's payer is its agency) in
# one query. LEFT JOIN: a payer without a wallet still authenticates; only a balance read then fails.
_ACCOUNT_AND_PAYER_BALANCE = Statement("""
    SELECT a.id, a.kind, a.parent_id, a.userid, a.account_type, w.balance
    FROM avidtrak_accounts a
    LEFT JOIN avidtrak_wallets w
      ON w.account_id = CASE WHEN a.kind = 'client' THEN a.parent_id ELSE a.id END
    WHERE a.pincode_digest = ?
""")


def authenticate(db: Db, keys: ServerKeys, pincode: str,
                 cache: CoherentCache | None = None) -> tuple[Account, Decimal | None] | None:
    """The pincode's account and its payer's balance (None without a wallet), or None for an
    unknown pincode. `db` is the held connection (services.hot): autocommit reads, so a
    pincode regenerated or a balance changed by any worker counts from the next call on;
    `cache` (kernel.coherence) keeps a known pincode's answer until any process commits a
    change."""
    return read_through(cache, pincode, lambda: _account_and_payer_balance(db, keys, pincode))


def _account_and_payer_balance(db: Db, keys: ServerKeys, pincode: str) -> tuple[Account, Decimal | None] | None:
    row = db.one(_ACCOUNT_AND_PAYER_BALANCE, (keys.pincode_digest(pincode),))
    if row is None:
        return None
    account_id, kind, parent_id, userid, account_type, raw_balance = row
    account = Account(id=account_id, kind=kind, parent_id=parent_id, userid=userid, account_type=account_type)
    return account, (None if raw_balance is None else _money_read(raw_balance))


def _money_read(raw) -> Decimal:
    """A money column as the driver returns it (PostgreSQL: Decimal; SQLite: int or binary float,
    exact again once quantised to cents, see docs/avidtrak.md)."""
    return Decimal(raw).quantize(values.CENT)


def client_by_pincode(db: Db, keys: ServerKeys, agency: Account, pincode: str) -> Account:
    """The agency's client with this pincode (transfer_number's and purchase_number's
    `client_pin`); invalid_client_pin for any other pincode."""
    row = db.execute(select(*_ACCOUNT_COLUMNS).where(accounts.c.pincode_digest == keys.pincode_digest(pincode),
                                                     accounts.c.parent_id == agency.id)).first()
    if row is None:
        raise invalid_client_pin()
    return _account(row)


def account_by_userid(db: Db, userid: str) -> Account | None:
    row = db.execute(select(*_ACCOUNT_COLUMNS).where(accounts.c.userid_folded == userid.strip().lower())).first()
    return _account(row) if row else None


# --- provisioning -------------------------------------------------------------------------------

@dataclass(frozen=True)
class NewAccount:
    account: Account
    pincode: str
    site_key: str | None


def _unused_pincode(db: Db, keys: ServerKeys) -> str:
    """10 random digits, first non-zero, not the pincode of any account."""
    while True:
        candidate = random_digits(PINCODE_LENGTH)
        digest = keys.pincode_digest(candidate)
        taken = db.execute(select(accounts.c.id).where(accounts.c.pincode_digest == digest)).first()
        if taken is None:
            return candidate


def create_account(
    db: Db,
    keys: ServerKeys,
    now: datetime,
    *,
    kind: str,
    userid: str,
    password: str,
    account_type: str | None = None,
    agency: Account | None = None,
    email: str = "",
    contact_name: str = "",
    contact_number: str = "",
    domain: str = "",
    pincode: str | None = None,
    site_key: str | None = None,
) -> NewAccount:
    """A new account with a new pincode; agencies and individuals get an empty wallet.

    Values must already be validated (values.py). `pincode` / `site_key` are only given by the
    demo loader, which uses the spec's fixed fixture values."""
    if kind not in KINDS:
        raise invalid_parameter("kind")
    if (kind == "client") != (agency is not None):
        raise invalid_parameter("agency")
    if agency is not None and not agency.is_agency:
        raise agency_only()
    if kind == "agency":
        account_type = None
    elif account_type not in values.ACCOUNT_TYPES:
        raise invalid_parameter("account_type")
    folded = userid.lower()
    if db.execute(select(accounts.c.id).where(accounts.c.userid_folded == folded)).first():
        raise userid_exists()
    pincode = pincode or _unused_pincode(db, keys)
    if account_type != "lite":  # agencies and pro accounts run website tracking
        site_key = site_key or random_alnum(SITE_KEY_LENGTH)
    else:
        site_key = None
    created_on = values.utc_naive(now)
    insert = (
        accounts.insert().values(
            kind=kind, parent_id=agency.id if agency else None, userid=userid, userid_folded=folded,
            password_hash=hash_password(password), account_type=account_type, email=email,
            contact_name=contact_name, contact_number=contact_number, domain=domain,
            pincode_digest=keys.pincode_digest(pincode), pincode_key_id=keys.key_id, site_key=site_key,
            status="active", created_on=created_on,
        ).returning(accounts.c.id)
    )
    try:
        account_id = db.execute(insert).scalar_one()
    except IntegrityError:  # a concurrent request took the user ID after our check
        raise userid_exists() from None
    account = Account(id=account_id, kind=kind, parent_id=agency.id if agency else None, userid=userid,
                      account_type=account_type)
    if agency is not None:
        _store_sealed_pincode(db, keys, account, pincode)
    else:
        db.execute(wallets.insert().values(account_id=account_id, balance=ZERO, updated_on=created_on))
    return NewAccount(account=account, pincode=pincode, site_key=site_key)


def _store_sealed_pincode(db: Db, keys: ServerKeys, client: Account, pincode: str) -> None:
    assert client.parent_id is not None, "a sealed pincode belongs to a client of an agency"
    sealed = sealing.seal(keys.seal, agency_id=client.parent_id, client_id=client.id, pincode=pincode)
    db.execute(update(accounts).where(accounts.c.id == client.id).values(pincode_sealed=sealed))


def regenerate_pincode(db: Db, keys: ServerKeys, account: Account) -> str:
    """A new pincode for the account; the old one stops working with this transaction's commit.
    A client's sealed copy is replaced; an agency's clients keep theirs (the seal does not depend
    on the agency's pincode)."""
    pincode = _unused_pincode(db, keys)
    db.execute(update(accounts).where(accounts.c.id == account.id)
               .values(pincode_digest=keys.pincode_digest(pincode), pincode_key_id=keys.key_id))
    if account.kind == "client":
        _store_sealed_pincode(db, keys, account, pincode)
    return pincode


def account_details(db: Db, account: Account) -> dict:
    """The stored contact fields of an account (create_account's and update_user_details' answers)."""
    row = db.execute(select(accounts).where(accounts.c.id == account.id)).one()
    return row._asdict()


def new_client_answer(db: Db, created: NewAccount, tz_name: str) -> dict:
    """create_account's answer: the new client, its pincode and site key."""
    row = account_details(db, created.account)
    return {
        "userid": row["userid"], "pincode": created.pincode, "account_type": row["account_type"],
        "email": row["email"], "contact_name": row["contact_name"], "contact_number": row["contact_number"],
        "domain": row["domain"], "site_key": row["site_key"],
        "created_on": values.timestamp_text(row["created_on"], tz_name),
    }


def update_user_details(db: Db, account: Account, *, userid: str | None, fullname: str | None,
                        email: str | None, password: str | None) -> dict:
    """The given fields of the account itself (None: unchanged); the pincode stays. Answers the
    current values and the names applied, in the fixed order username, fullname, email, password."""
    changes: dict = {}
    updated = []
    if userid is not None:
        folded = userid.lower()
        other = db.execute(select(accounts.c.id).where(accounts.c.userid_folded == folded,
                                                       accounts.c.id != account.id)).first()
        if other is not None:
            raise userid_exists()
        changes.update(userid=userid, userid_folded=folded)
        updated.append("username")
    if fullname is not None:
        changes["contact_name"] = fullname
        updated.append("fullname")
    if email is not None:
        changes["email"] = email
        updated.append("email")
    if password is not None:
        changes["password_hash"] = hash_password(password)
        updated.append("password")
    try:
        db.execute(update(accounts).where(accounts.c.id == account.id).values(**changes))
    except IntegrityError:  # the user ID was taken concurrently
        raise userid_exists() from None
    row = account_details(db, account)
    return {"userid": row["userid"], "fullname": row["contact_name"], "email": row["email"], "updated": updated}


# --- wallets ------------------------------------------------------------------------------------

def account_status(balance: Decimal) -> str:
    """A payer below 0.00 is suspended with every account it pays for."""
    return "suspended" if balance < 0 else "active"


class MissingWallet(RuntimeError):
    """A payer without a wallet: a broken database, answered as internal_error."""


def remaining_balance(account: Account, balance: Decimal | None) -> dict:
    """get_remaining_balance: the payer's balance (read by `authenticate`, in the
    same query as the pincode) and whose it is."""
    if balance is None:
        raise MissingWallet(f"avidtrak account {account.id}: payer {account.payer_id} has no wallet")
    return {
        "balance": values.money_text(balance),
        "currency": CURRENCY,
        "billed_to": "agency" if account.kind == "client" else "self",
        "account_status": account_status(balance),
    }


def add_credit(db: Db, account: Account, amount: Decimal, note: str, now: datetime) -> Decimal:
    """Operator credit (amount > 0) or adjustment (amount < 0) of the account's own wallet; the
    new balance. The UPDATE ... RETURNING is atomic, so concurrent credits never lose one."""
    if account.kind == "client":
        raise AvidTrakError("billed_to_agency", "This account is billed to its agency; credit the agency")
    if amount == 0:
        raise invalid_parameter("amount")
    updated_on = values.utc_naive(now)
    new_balance = wallets.c.balance + amount
    raw_after = db.execute(
        update(wallets)
        # a result outside Numeric(12,2) matches no row (PostgreSQL would raise an overflow)
        .where(wallets.c.account_id == account.id, new_balance.between(-values.MONEY_LIMIT, values.MONEY_LIMIT))
        .values(balance=new_balance, updated_on=updated_on)
        .returning(wallets.c.balance)
    ).scalar()
    if raw_after is None:
        raise invalid_parameter("amount")
    # SQLite keeps NUMERIC as a binary float; two decimals are exact again once quantised.
    balance_after = Decimal(raw_after).quantize(values.CENT)
    db.execute(ledger.insert().values(
        payer_id=account.id, account_id=account.id, entry_type="credit" if amount > 0 else "adjustment",
        amount=amount, balance_after=balance_after, note=note, created_on=updated_on,
    ))
    return balance_after


def ledger_entries(db: Db, account: Account, tz_name: str) -> list[dict]:
    """The entries of the account's wallet (payers) or concerning it (clients), oldest first."""
    column = ledger.c.account_id if account.kind == "client" else ledger.c.payer_id
    concerned = accounts.alias("concerned")
    rows = db.execute(
        select(ledger, concerned.c.userid.label("concerned_userid"))
        .join(concerned, concerned.c.id == ledger.c.account_id)
        .where(column == account.id).order_by(ledger.c.id)
    )
    return [
        {
            "id": row.id, "type": row.entry_type, "amount": values.money_text(row.amount),
            "balance_after": values.money_text(row.balance_after), "account": row.concerned_userid,
            "note": row.note, "created_on": values.timestamp_text(row.created_on, tz_name),
            "sid": row.sid, "period": row.period, "call_id": row.call_id,
        }
        for row in rows
    ]


# --- API reads ----------------------------------------------------------------------------------

def client_list(db: Db, keys: ServerKeys, agency: Account, agency_balance: Decimal | None,
                tz_name: str) -> list[dict]:
    """client_list: the agency's clients ordered by userid, with their pincodes.
    `agency_balance` (read by `authenticate`) decides whether they show as suspended."""
    if not agency.is_agency:
        raise agency_only()
    if agency_balance is None:
        raise MissingWallet(f"avidtrak agency {agency.id} has no wallet")
    rows = db.execute(
        select(accounts).where(accounts.c.parent_id == agency.id)
        .order_by(accounts.c.userid_folded, accounts.c.id)
    ).all()
    if not rows:
        raise no_data()
    status = account_status(agency_balance)
    listed = []
    for row in rows:
        pincode = sealing.unseal(keys.seal, agency_id=agency.id, client_id=row.id, sealed=row.pincode_sealed,
                                 pincode_digest=row.pincode_digest, digest_of=keys.pincode_digest)
        listed.append({
            "userid": row.userid,
            "pincode": pincode,
            "account_type": row.account_type,
            "contact_name": row.contact_name,
            "email": row.email,
            "contact_number": row.contact_number,
            "domain": row.domain,
            "site_key": row.site_key,
            "status": status if row.status == "active" else row.status,
            "created_on": values.timestamp_text(row.created_on, tz_name),
        })
    return listed

