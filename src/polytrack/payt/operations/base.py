"""PAYT's and TrackerPro's operation registries, the call their handlers get, and the hooks
every call passes.

Two registries, one per endpoint, each naming its operations "Op/SubOp" as the API does and
finding them case-insensitively (ASP.NET):
* `PAYT` (/api2.ashx): a ticket authenticates every operation except Authenticate/Login, which
  is declared `auth=PASSWORD` (the wire then skips the ticket);
* `TRACKERPRO` (/trackerpro_admin.ashx): the admin `key` authenticates every operation.

What a call passes, in this order (PAYT's documented pipeline): the wire reads the parameters
and authenticates the caller; an operation the registry does not know answers
unsupported_query_operation before any rate-limit hit; then the runner counts the hit
(`limit`: per client per minute, per admin key per minute, or Login's per user name), runs the
credit check of data calls (`charge`, a `before` hook), and answers a cacheable operation from
the read cache or runs the handler (kernel.operations).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Hashable, Iterable, NamedTuple

from polytrack.kernel.operations import Call, Limit, LimitHook, Operation, Registry
from polytrack.kernel.params import Params
from polytrack.payt import domain
from polytrack.payt.datasets import DateFormat
from polytrack.payt.domain import PaytError

if TYPE_CHECKING:
    from polytrack.config import Settings
    from polytrack.services import Services

DEFAULT_CALLS_PER_MINUTE = 600
LOGIN_ATTEMPTS_PER_MINUTE = 30
# Records one Report/Detailed level 1 or Report/Historic answer may hold (about 75 MB of a
# worker's memory while it is built, half a second): a day of six vehicles reporting every
# 10 s, a month of one reporting every minute. More is refused with invalid_query.
DEFAULT_MAX_REPORT_RECORDS = 50_000

# How an operation authenticates (its `auth` option; the wire reads it).
TICKET = "ticket"  # PAYT: the ticket parameter or the XAuthorization header
PASSWORD = "password"  # PAYT Login: username and password, checked by the operation itself
ADMIN_KEY = "admin_key"  # TrackerPro: the key parameter


@dataclass(frozen=True)
class PaytSettings:
    """What the hooks and handlers read of the settings, read once when the routes are built."""

    calls_per_minute: int  # per client (unless the client has its own) and per admin key
    ticket_idle_seconds: float
    max_report_records: int  # positions and events one report answer may hold

    @classmethod
    def from_settings(cls, settings: "Settings") -> "PaytSettings":
        return cls(
            calls_per_minute=settings.api_setting("payt.calls_per_minute", DEFAULT_CALLS_PER_MINUTE),
            ticket_idle_seconds=settings.api_setting("payt.ticket_idle_seconds", domain.TICKET_IDLE_SECONDS),
            max_report_records=settings.api_setting("payt.max_report_records", DEFAULT_MAX_REPORT_RECORDS),
        )


class Answer(NamedTuple):
    """What a handler returns: the envelope member that carries the payload ("ticketid",
    "value" or "dataset"), the payload, and the `sig` (None: computed from the payload)."""

    member: str
    payload: Any
    sig: str | None = None


# Parameters that do not change an operation's answer: the envelope's own, the credentials (the
# answer key holds who the caller is instead) and the operation's name (the key holds the operation).
_NOT_IN_ANSWER_KEY = frozenset(("reqid", "callback", "ticket", "key", "op", "subop"))


class PaytCall(Call):
    """One request as a PAYT or TrackerPro handler sees it: the parameters (ASP.NET rules), the
    authenticated caller (`caller` for a ticket, `integrator` for an admin key), the date
    format of datetime cells, and the settings. `db` is set by the runner."""

    __slots__ = ("settings", "params", "dates", "caller", "integrator", "ticket")

    def __init__(self, services: "Services", operation: Operation, settings: PaytSettings, params: Params,
                 dates: DateFormat):
        super().__init__(services, operation)
        self.settings = settings
        self.params = params
        self.dates = dates
        self.caller: domain.Caller | None = None
        self.integrator: domain.Integrator | None = None
        self.ticket: str | None = None

    @property
    def user(self) -> domain.Caller:
        """The ticket's user (every PAYT operation but Login has one)."""
        assert self.caller is not None, "a ticket operation's call has its caller"
        return self.caller

    @property
    def admin(self) -> domain.Integrator:
        """The admin key's integrator (every TrackerPro operation has one)."""
        assert self.integrator is not None, "a TrackerPro call has its integrator"
        return self.integrator

    def require(self, name: str) -> str:
        value = self.params.get(name)
        if value is None or value.strip() == "":
            raise domain.invalid_query(f"Missing parameter: {name}")
        return value.strip()

    def require_int(self, name: str) -> int:
        value = self.require(name)
        try:
            return int(value)
        except ValueError:
            raise domain.invalid_query(f"Invalid parameter: {name} must be an integer") from None

    def int_list(self, name: str, *, required: bool = True) -> list[int] | None:
        """A comma-separated id list (`1,2,3`; PHP-style repeats also accepted). `0` anywhere
        means "all" and yields None, as does an absent optional parameter."""
        raw = self.params.get_list(name, split_commas=True)
        if not raw:
            if required:
                raise domain.invalid_query(f"Missing parameter: {name}")
            return None
        try:
            ids = [int(part) for part in raw]
        except ValueError:
            raise domain.invalid_query(f"Invalid parameter: {name} must be a comma-separated list of integers") from None
        return None if 0 in ids else sorted(set(ids))

    def answer_key(self) -> Hashable:
        who = self.integrator.admin_key_id if self.integrator is not None else self.user.user_id
        return who, tuple(pair for pair in self.params.pairs if pair[0].lower() not in _NOT_IN_ANSWER_KEY)


# --- rate limits (`limit` hooks) -----------------------------------------------------------------

def per_client_limit(call: PaytCall) -> tuple[Limit]:
    """PAYT: calls per minute per client, the client's own figure if it has one."""
    caller = call.user
    return (Limit(f"payt:client:{caller.client_id}", caller.calls_per_minute or call.settings.calls_per_minute, 60),)


def per_admin_key_limit(call: PaytCall) -> tuple[Limit]:
    """TrackerPro: calls per minute per admin key."""
    return (Limit(f"payt:adminkey:{call.admin.admin_key_id}", call.settings.calls_per_minute, 60),)


def login_limit(call: PaytCall) -> tuple[Limit, ...]:
    """Login attempts per minute per user name, counted before the password is checked (so
    failed attempts count). A call without a user name or password is refused by the handler
    for that and counts nothing."""
    username, password = (call.params.get("username") or "").strip(), call.params.get("password")
    if not username or not password:
        return ()
    return (Limit(f"payt:login:{username.lower()}", LOGIN_ATTEMPTS_PER_MINUTE, 60),)


# --- credit (a `before` hook of data calls) ------------------------------------------------------
# "Pay as you track" accounts are credit based, but which calls cost what is unpublished. Data
# calls (Group, Vehicle, Report, Task) pass through this hook, also when answered from the read
# cache; None means unlimited credit. A deployment (or a test) installs a function
# call -> bool; False answers no_credit_left.
credit_check: Callable[[PaytCall], bool] | None = None


def charge(call: PaytCall) -> None:
    if credit_check is not None and not credit_check(call):
        raise PaytError("no_credit_left", "No credit left")


# --- the registries ------------------------------------------------------------------------------

PAYT = Registry("payt", limit=per_client_limit, fold_case=True)
TRACKERPRO = Registry("trackerpro", limit=per_admin_key_limit, fold_case=True)


def _declare(registry: Registry, name: str, *, writes: bool, cacheable: bool, charged: bool,
             limit: LimitHook | None, auth: str) -> Callable:
    before: Iterable[Callable[[Any], None]] = (charge,) if charged else ()
    return registry.operation(name, writes=writes, cacheable=cacheable, limit=limit, before=before, auth=auth)


def payt_operation(name: str, *, writes: bool = False, cacheable: bool = False, charged: bool = False,
                   limit: LimitHook | None = None, auth: str = TICKET) -> Callable:
    """Decorator: `handler(call: PaytCall) -> Answer` is the PAYT operation "Op/SubOp".
    `writes`: it runs in one transaction, else on the held connection. `cacheable`: its answer
    depends only on stored data, the caller and the parameters. `charged`: a data call (the
    credit hook runs first). `limit`: instead of the per-client limit."""
    return _declare(PAYT, name, writes=writes, cacheable=cacheable, charged=charged, limit=limit, auth=auth)


def trackerpro_operation(name: str, *, writes: bool = False, cacheable: bool = False,
                         charged: bool = False) -> Callable:
    """Decorator: the TrackerPro operation "Op/SubOp" (see `payt_operation`)."""
    return _declare(TRACKERPRO, name, writes=writes, cacheable=cacheable, charged=charged, limit=None,
                    auth=ADMIN_KEY)
