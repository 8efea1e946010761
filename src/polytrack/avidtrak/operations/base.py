"""AvidTrak's operation registry, the Call its handlers get, and the hooks every method passes.

The pipeline (docs/avidtrak.md): format -> pincode -> method (404) -> rate limit -> permission
-> parameters. The wire does the first three; the Runner counts the per-account rate limit
(the registry's `limit`) and runs the permission matrix (each method's `before` hooks), then
the handler reads its parameters.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple

from polytrack.avidtrak.billing import Prices
from polytrack.avidtrak.domain import Account
from polytrack.avidtrak.providers import NumberProvider
from polytrack.avidtrak.errors import agency_only, invalid_parameter, missing_parameter, pro_account_required
from polytrack.avidtrak.server_keys import ServerKeys
from polytrack.kernel.operations import Call, Limit, Operation, Registry
from polytrack.kernel.params import Params

if TYPE_CHECKING:
    from polytrack.services import Services

DEFAULT_CALLS_PER_MINUTE = 600
MAX_LIST = 100  # entries in any list parameter


class AvidTrakSettings(NamedTuple):
    """What handlers and hooks read of the configuration; read once, when the routes are built."""

    calls_per_minute: int  # avidtrak.calls_per_minute: per account, AvidTrak documents no limit
    timezone: str  # avidtrak.timezone: the zone of printed times
    keys: ServerKeys  # the pincode and seal keys (server_keys.py)
    provider: NumberProvider  # avidtrak.provider: where numbers are searched and bought
    prices: Prices  # avidtrak.price_*
    countries: tuple[str, ...]  # avidtrak.countries: ISO codes numbers may be searched and bought in


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

    # Reading a method's parameters the AvidTrak way: values trimmed, an empty value counts as
    # not given for "required", but as "clear this" for optional settings that are present.

    def given(self, *names: str) -> str | None:
        """The trimmed value of the first of `names` (aliases) given non-empty, else None."""
        for name in names:
            value = self.params.get(name)
            if value is not None and value.strip():
                return value.strip()
        return None

    def required(self, name: str) -> str:
        value = self.given(name)
        if value is None:
            raise missing_parameter(name)
        return value

    def present(self, name: str) -> bool:
        """Given at all, even empty: optional settings are cleared by an empty value."""
        return name in self.params

    def text(self, name: str) -> str:
        """An optional scalar, "" when absent."""
        return (self.params.get(name) or "").strip()

    def values(self, name: str) -> list[str]:
        """A list parameter in any array form (`sid[]=`, `sid[0]=`, `sid=`), trimmed, empty values
        dropped, duplicates dropped (the first kept); at most MAX_LIST entries."""
        seen: dict[str, None] = {}
        for value in self.params.get_list(name):
            if value.strip():
                seen.setdefault(value.strip(), None)
        if len(seen) > MAX_LIST:
            raise invalid_parameter(name)
        return list(seen)

    def ordered_values(self, name: str) -> list[str]:
        """A list whose positions matter (round robin's parallel arrays): kept as sent, empty
        entries included, no de-duplication."""
        found = [value.strip() for value in self.params.get_list(name)]
        if len(found) > MAX_LIST:
            raise invalid_parameter(name)
        return found

    def required_values(self, name: str) -> list[str]:
        found = self.values(name)
        if not found:
            raise missing_parameter(name)
        return found


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
