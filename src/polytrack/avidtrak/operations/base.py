"""AvidTrak's operation registry, the Call its handlers get, and the hooks every method passes.

The pipeline (docs/avidtrak.md): format -> pincode -> method (404) -> rate limit -> permission
-> parameters. The wire does the first three; the Runner counts the per-account rate limit
(the registry's `limit`) and runs the permission matrix (each method's `before` hooks), then
the handler reads its parameters.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple

from polytrack.avidtrak.domain import Account
from polytrack.avidtrak.errors import agency_only, pro_account_required
from polytrack.avidtrak.server_keys import ServerKeys
from polytrack.kernel.operations import Call, Limit, Operation, Registry
from polytrack.kernel.params import Params

if TYPE_CHECKING:
    from polytrack.services import Services

DEFAULT_CALLS_PER_MINUTE = 600


class AvidTrakSettings(NamedTuple):
    """What handlers and hooks read of the configuration; read once, when the routes are built."""

    calls_per_minute: int  # avidtrak.calls_per_minute: per account, AvidTrak documents no limit
    timezone: str  # avidtrak.timezone: the zone of printed times
    keys: ServerKeys  # the pincode and seal keys (server_keys.py)


class AvidTrakCall(Call):
    """One authenticated request to /webservice/api.php."""

    __slots__ = ("settings", "pairs", "account", "payer_balance", "_params")

    def __init__(self, services: "Services", operation: Operation, settings: AvidTrakSettings,
                 pairs: list[tuple[str, str]], account: Account, payer_balance: Decimal | None):
        super().__init__(services, operation)
        self.settings = settings
        self.pairs = pairs  # the request's parameters as sent: query string, then form body
        self.account = account  # whose pincode it is
        self.payer_balance = payer_balance  # the payer's balance, read with the pincode
        self._params: Params | None = None

    @property
    def params(self) -> Params:
        """The method's parameters by PHP's rules (names case-insensitive, the last repeat
        winning); built when a handler first asks, so the cheapest calls never build it."""
        if self._params is None:
            self._params = Params(self.pairs, last_wins=True)
        return self._params


def per_account_limit(call: AvidTrakCall) -> tuple[Limit]:
    return (Limit(f"avidtrak:account:{call.account.id}", call.settings.calls_per_minute, 60),)


# The permission matrix: refused before any parameter is looked at.

def require_agency(call: AvidTrakCall) -> None:
    if not call.account.is_agency:
        raise agency_only()


def require_pro(call: AvidTrakCall) -> None:
    """The website-tracking methods: not for lite accounts (agencies have no account type)."""
    if call.account.is_lite:
        raise pro_account_required()


registry = Registry("avidtrak", limit=per_account_limit)
