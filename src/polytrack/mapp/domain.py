"""Mapp accounts, Q3 users and their tokens as plain functions over the tables; no HTTP here.

Authentication lookups return None when the credential does not hold (the wire answers
"Authorization failed" and counts the failure); provisioning failures raise `ProvisioningError`
(the operator API and CLI render those).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import select

from polytrack.kernel.clock import Clock
from polytrack.kernel.coherence import CoherentCache
from polytrack.kernel.dates import DateError, zone
from polytrack.kernel.secrets import hash_password, random_digits, random_hex, verify_password
from polytrack.kernel.sql import Db, Statement
from polytrack.kernel.tokens import TOKEN_COLUMNS, TokenStore
from polytrack.mapp.rpc import LANGUAGES
from polytrack.mapp.tables import mapp_accounts, mapp_track_ids, mapp_user_accounts, mapp_users

API = "mapp"
TOKEN_KIND = "token"
# A token lives as long as it is used at least once an hour (vendor doc); mapp.token_idle_seconds.
TOKEN_IDLE_SECONDS = 3600
DEFAULT_TIMEZONE = "Europe/Berlin"
DEFAULT_LANGUAGE = "en"
GENERATED_CUSTOMER_ID_DIGITS = 15  # Track IDs in every real example have 15 digits
CUSTOMER_ID_RE = re.compile(r"^\d{1,32}$")


@dataclass(frozen=True)
class User:
    """A Q3 user whose login and password were checked."""

    id: int
    login: str
    language: str


class Caller(NamedTuple):
    """A user acting in one account, in one language: what a token stands for. (A NamedTuple:
    built on every token call, at a third of the cost of a frozen dataclass.)"""

    user_id: int
    login: str
    account_id: int
    customer_id: str
    account_title: str
    timezone: str
    language: str

    def log_name(self) -> str:
        return f"{self.customer_id}/{self.login}"


# --- authentication ---------------------------------------------------------------------------

_USER_BY_LOGIN = Statement("SELECT id, login, password_hash, language FROM mapp_users WHERE login = ?")


def check_password(db: Db, login: str, password: str) -> User | None:
    """The user, if `login` exists and `password` is its password; else None."""
    # No login holds a NUL (PostgreSQL text cannot), and PostgreSQL refuses to look one up.
    row: Any = db.one(_USER_BY_LOGIN, (login,)) if "\x00" not in login else None
    # verify_password spends the time of a hash even for an unknown login.
    if not verify_password(password, row[2] if row else None):
        return None
    user_id, login, _, language = row
    return User(id=user_id, login=login, language=language)


# The caller a password login stands for: the user acting in one account, and only while the
# user has access to it.
_CALLER = Statement("""
    SELECT u.login, a.id, a.title, a.timezone
    FROM mapp_users u
    JOIN mapp_user_accounts ua ON ua.user_id = u.id
    JOIN mapp_accounts a ON a.id = ua.account_id
    WHERE u.id = ? AND a.customer_id = ?
""")


def enter_account(db: Db, user: User, customer_id: str, language: str | None) -> Caller | None:
    """`user` acting in account `customer_id`, or None if the user has no access to it."""
    row = db.one(_CALLER, (user.id, customer_id))
    if row is None:
        return None
    login, account_id, title, timezone = row
    return Caller(
        user_id=user.id, login=login, account_id=account_id, customer_id=customer_id,
        account_title=title, timezone=timezone, language=language or user.language,
    )


def issue_token(db: Db, tokens: TokenStore, caller: Caller, *, idle_seconds: float) -> str:
    """A new token bound to (user, account, language). Earlier tokens stay valid: clients such
    as ZEIT's log in before every analysis and never log out."""
    token = f"{random_hex(16)}_{random_hex(16)}"
    return tokens.issue(
        db, api=API, kind=TOKEN_KIND, subject=str(caller.user_id),
        scope=f"{caller.customer_id}:{caller.language}", token=token, idle_seconds=idle_seconds,
    )


# A token and the caller it stands for in one driver statement (every token call runs it): the
# token row, its user's access to the account named in its scope ("<customerId>:<language>";
# customerIds are digits, so trimming the language letters and the colon leaves the customerId)
# and that account. Left joins: a token whose user lost access is still expired or touched like
# any other. The CASE keeps PostgreSQL from casting other APIs' subjects, which need not be numbers.
_CALLER_BY_TOKEN = Statement(f"""
    SELECT {TOKEN_COLUMNS}, u.login, a.id, a.title, a.timezone
    FROM kernel_tokens t
    LEFT JOIN mapp_accounts a ON a.customer_id = rtrim(t.scope, ':abcdefghijklmnopqrstuvwxyz')
    LEFT JOIN mapp_user_accounts ua ON ua.account_id = a.id
      AND ua.user_id = CASE WHEN t.api = '{API}' AND t.kind = '{TOKEN_KIND}' THEN CAST(t.subject AS INTEGER) END
    LEFT JOIN mapp_users u ON u.id = ua.user_id
    WHERE t.digest = ?
""")


def caller_for_token(db: Db, tokens: TokenStore, token: str, cache: CoherentCache | None = None) -> Caller | None:
    """The live token's caller (its idle expiry slides), or None. A token stops working when
    its user loses access to the account it was issued for. `cache`: a read cache of live
    tokens (TokenStore.resolve_joined)."""
    found = tokens.resolve_joined(db, _CALLER_BY_TOKEN, api=API, kind=TOKEN_KIND, token=token, cache=cache)
    if found is None:
        return None
    info, (login, account_id, title, timezone) = found
    if login is None:  # no access (any more) to the token's account, or the account is gone
        return None
    customer_id, _, language = info.scope.partition(":")
    return Caller(
        user_id=int(info.subject), login=login, account_id=account_id, customer_id=customer_id,
        account_title=title, timezone=timezone, language=language or DEFAULT_LANGUAGE,
    )


def revoke_token(db: Db, tokens: TokenStore, token: str) -> bool:
    return tokens.revoke(db, api=API, kind=TOKEN_KIND, token=token)


def accounts_of(db: Db, user_id: int) -> list[dict]:
    """[{customerId, title}] of every account the user may access, by customerId."""
    rows = db.execute(
        select(mapp_accounts.c.customer_id, mapp_accounts.c.title)
        .join(mapp_user_accounts, mapp_user_accounts.c.account_id == mapp_accounts.c.id)
        .where(mapp_user_accounts.c.user_id == user_id)
        .order_by(mapp_accounts.c.customer_id)
    )
    return [{"customerId": row.customer_id, "title": row.title} for row in rows]


_PARAMETER_NAMES = Statement("SELECT name FROM mapp_parameter_names WHERE account_id = ? ORDER BY name")


def parameter_titles(db: Db, account_id: int) -> list[str]:
    """The content groups (`CG1` ...) and custom parameters (`cp12` ...) the account's hits
    carried, as analyses accept them."""
    return [name.upper() if name.startswith("cg") else name for (name,) in db.all(_PARAMETER_NAMES, (account_id,))]


_ACCOUNT_LIMITS = Statement("SELECT requests_per_period, requests_period, requests_per_period_sec, requests_period_sec "
                            "FROM mapp_accounts WHERE customer_id = ?")
LIMIT_FIELDS = ("requestsPerPeriod", "requestsPeriod", "requestsPerPeriodSec", "requestsPeriodSec")


def account_limits(db: Db, customer_id: str) -> tuple:
    """The account's own request limits (limit, period, short-term limit, short-term period),
    None where it keeps the server's; all None for an unknown account."""
    row = db.one(_ACCOUNT_LIMITS, (customer_id,))
    return tuple(row) if row else (None, None, None, None)


def set_account_limits(db: Db, *, customer_id: str, limits: dict) -> dict:
    """Set the account's own limits (`LIMIT_FIELDS`: an integer >= 0, or None for the server's)."""
    account_id = _account_id(db, str(customer_id).strip())
    if account_id is None:
        raise ProvisioningError(404, f"unknown customerId {customer_id}")
    columns = ("requests_per_period", "requests_period", "requests_per_period_sec", "requests_period_sec")
    values = {}
    for field, column in zip(LIMIT_FIELDS, columns):
        value = limits.get(field)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10**9):
            raise ProvisioningError(400, f"{field} must be an integer from 0 (off) or null (the server's)")
        values[column] = value
    db.execute(mapp_accounts.update().where(mapp_accounts.c.id == account_id).values(**values))
    return {"customerId": str(customer_id).strip(), **{field: values[column] for field, column in zip(LIMIT_FIELDS, columns)}}


# --- provisioning -----------------------------------------------------------------------------

class ProvisioningError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def create_account(db: Db, clock: Clock, *, title: str, customer_id: str | None = None,
                   timezone: str = DEFAULT_TIMEZONE) -> dict:
    title = (title or "").strip()
    if not title or len(title) > 255:
        raise ProvisioningError(400, "title must be 1 to 255 characters")
    try:
        zone(timezone)
    except DateError as exc:
        raise ProvisioningError(400, str(exc)) from exc
    if customer_id is None:
        customer_id = _unused_customer_id(db)
    customer_id = str(customer_id).strip()
    if not CUSTOMER_ID_RE.match(customer_id):
        raise ProvisioningError(400, "customerId must be a string of 1 to 32 digits")
    if _account_id(db, customer_id) is not None:
        raise ProvisioningError(409, f"customerId {customer_id} already exists")
    account_id = db.execute(mapp_accounts.insert().values(
        customer_id=customer_id, title=title, timezone=timezone, created_at=clock.timestamp(),
    ).returning(mapp_accounts.c.id)).scalar_one()
    # The vendor uses one number as customerId and Track ID: the account's first Track ID.
    if not _track_id_taken(db, customer_id):
        db.execute(mapp_track_ids.insert().values(track_id=customer_id, account_id=account_id,
                                                  created_at=clock.timestamp()))
    return {"customerId": customer_id, "title": title, "timezone": timezone, "trackIds": track_ids_of(db, account_id)}


def add_track_id(db: Db, clock: Clock, *, customer_id: str, track_id: str | None = None) -> dict:
    """Another Track ID recording into the account (a random 15-digit one when none is given)."""
    account_id = _account_id(db, str(customer_id).strip())
    if account_id is None:
        raise ProvisioningError(404, f"unknown customerId {customer_id}")
    if track_id is None:
        track_id = _unused_track_id(db)
    track_id = str(track_id).strip()
    if not CUSTOMER_ID_RE.match(track_id):
        raise ProvisioningError(400, "trackId must be a string of 1 to 32 digits")
    if _track_id_taken(db, track_id):
        raise ProvisioningError(409, f"trackId {track_id} already exists")
    db.execute(mapp_track_ids.insert().values(track_id=track_id, account_id=account_id, created_at=clock.timestamp()))
    return {"customerId": str(customer_id).strip(), "trackIds": track_ids_of(db, account_id)}


def track_ids_of(db: Db, account_id: int) -> list[str]:
    return list(db.execute(select(mapp_track_ids.c.track_id).where(mapp_track_ids.c.account_id == account_id)
                           .order_by(mapp_track_ids.c.track_id)).scalars())


def _track_id_taken(db: Db, track_id: str) -> bool:
    return db.execute(select(mapp_track_ids.c.account_id).where(mapp_track_ids.c.track_id == track_id)).first() is not None


def _unused_track_id(db: Db) -> str:
    while True:
        candidate = random_digits(GENERATED_CUSTOMER_ID_DIGITS)
        if not _track_id_taken(db, candidate):
            return candidate


def create_user(db: Db, clock: Clock, *, login: str, password: str, customer_ids: list[str],
                language: str = DEFAULT_LANGUAGE) -> dict:
    login = (login or "").strip()
    if not login or len(login) > 255:
        raise ProvisioningError(400, "login must be 1 to 255 characters")
    if not password:
        raise ProvisioningError(400, "pass must not be empty")
    language = (language or DEFAULT_LANGUAGE).strip().lower()
    if language not in LANGUAGES:
        raise ProvisioningError(400, f"language must be one of {', '.join(LANGUAGES)}")
    if db.execute(select(mapp_users.c.id).where(mapp_users.c.login == login)).first():
        raise ProvisioningError(409, f"login {login} already exists")
    account_ids = _existing_account_ids(db, customer_ids)
    user_id = db.execute(mapp_users.insert().values(
        login=login, password_hash=hash_password(password), language=language, created_at=clock.timestamp(),
    ).returning(mapp_users.c.id)).scalar_one()
    _grant(db, clock, user_id, account_ids)
    return {"login": login, "language": language, "customerIds": customer_ids_of(db, user_id)}


def grant(db: Db, clock: Clock, *, login: str, customer_ids: list[str]) -> dict:
    """Give `login` access to the accounts (idempotent)."""
    row = db.execute(select(mapp_users.c.id).where(mapp_users.c.login == (login or "").strip())).first()
    if row is None:
        raise ProvisioningError(404, f"unknown login {login}")
    _grant(db, clock, row.id, _existing_account_ids(db, customer_ids))
    return {"login": login.strip(), "customerIds": customer_ids_of(db, row.id)}


def customer_ids_of(db: Db, user_id: int) -> list[str]:
    return [account["customerId"] for account in accounts_of(db, user_id)]


def _grant(db: Db, clock: Clock, user_id: int, account_ids: list[int]) -> None:
    have = set(db.execute(
        select(mapp_user_accounts.c.account_id).where(mapp_user_accounts.c.user_id == user_id)
    ).scalars())
    new = [account_id for account_id in dict.fromkeys(account_ids) if account_id not in have]
    if new:
        db.execute(mapp_user_accounts.insert().values([
            {"user_id": user_id, "account_id": account_id, "created_at": clock.timestamp()} for account_id in new
        ]))


def _existing_account_ids(db: Db, customer_ids: list[str]) -> list[int]:
    ids = []
    for customer_id in customer_ids:
        account_id = _account_id(db, str(customer_id).strip())
        if account_id is None:
            raise ProvisioningError(404, f"unknown customerId {customer_id}")
        ids.append(account_id)
    return ids


def account_id_of(db: Db, customer_id: str) -> int | None:
    return _account_id(db, str(customer_id).strip())


def _account_id(db: Db, customer_id: str) -> int | None:
    return db.execute(select(mapp_accounts.c.id).where(mapp_accounts.c.customer_id == customer_id)).scalar()


def _unused_customer_id(db: Db) -> str:
    while True:
        candidate = random_digits(GENERATED_CUSTOMER_ID_DIGITS)
        if _account_id(db, candidate) is None:
            return candidate
