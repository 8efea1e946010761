"""One way to declare and run an API operation, for every API.

An API declares its operations on a `Registry`, each once:

    registry = Registry("trackier", limit=per_key_limit)

    @registry.operation("GET /advertiser", cacheable=True)
    def list_advertisers(call: TrackierCall) -> JsonText: ...

with its name (the API's own: an op/subop pair, a JSON-RPC method, a method and path template),
whether it writes, whether its answer may be kept in the read cache, and its hooks: the rate
limit (`limit`, the registry's unless the operation has its own) and checks that run before it
(`before`: PAYT's credit, AvidTrak's permission matrix, Trackier's roles). An operation declared
without a handler (`registry.planned(name)`) is listed as not implemented yet.

A `Runner` runs them, the same way for every API: count the rate-limit hits (on the held
connection, committed on their own, so a failing operation keeps them), run the `before`
hooks, answer a cacheable operation from the read cache, and hand the handler its `Call` with
`call.db` set: the held connection (`services.hot`) for an operation that only reads, one
transaction (`kernel.sql.transaction`) for one that writes, committed when the handler returns
and rolled back when it raises. Every call is timed into the call log (`Runner.timed`).

What stays with each API's wire module is truly its own: reading its request, authenticating
in its own style, and rendering its envelope and error codes, including the exceptions the
runner raises (`NotImplementedYet`) and the refusal its `refused` factory builds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Generic, Hashable, Iterable, Iterator, Mapping, NamedTuple, TypeVar

from polytrack.kernel.calllog import LoggedCall
from polytrack.kernel.coherence import CoherentCache
from polytrack.kernel.ratelimit import RateDecision
from polytrack.kernel.sql import Db, transaction

if TYPE_CHECKING:  # the services hold the kernel's parts; only their type is needed here
    from polytrack.services import Services


class Limit(NamedTuple):
    """One rate-limit window to count a call against (kernel.ratelimit)."""

    key: str
    limit: int  # calls per period; 0 or less: unlimited
    period: int  # seconds


class NotImplementedYet(Exception):
    """The operation is declared (`Registry.planned`) but has no handler yet."""

    def __init__(self, operation: "Operation"):
        super().__init__(f"not implemented yet: {operation.api} {operation.name}")
        self.operation = operation


class Call:
    """One request as an operation's handler sees it. Each API subclasses it with what its
    handlers read (parameters, the authenticated caller, settings); the runner sets `db`."""

    __slots__ = ("services", "operation", "db")

    def __init__(self, services: "Services", operation: "Operation"):
        self.services = services
        self.operation = operation
        self.db: Db = services.hot

    def answer_key(self) -> Hashable:
        """What, besides the operation, a cacheable operation's answer depends on: the caller's
        identity and the parameters (not the envelope's own, not the credentials)."""
        raise NotImplementedError(f"{type(self).__name__} has cacheable operations but no answer_key")


CallT = TypeVar("CallT", bound=Call)
LimitHook = Callable[[Any], Iterable[Limit]]
Hook = Callable[[Any], None]


@dataclass(frozen=True, eq=False)  # eq=False: hashed by identity, so it can key the answer cache
class Operation(Generic[CallT]):
    api: str
    name: str
    handler: Callable[[CallT], Any] | None
    writes: bool = False
    cacheable: bool = False
    limit: LimitHook | None = None
    before: tuple[Hook, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def implemented(self) -> bool:
        return self.handler is not None


class Registry:
    """One API's operations, in the order they were declared."""

    def __init__(self, api: str, *, limit: LimitHook | None = None, fold_case: bool = False):
        self.api = api
        self.limit = limit  # the rate limit of operations that declare none
        self.fold_case = fold_case  # names are looked up case-insensitively (ASP.NET ops)
        self._operations: dict[str, Operation] = {}

    def _key(self, name: str) -> str:
        return name.lower() if self.fold_case else name

    def add(self, operation: Operation) -> Operation:
        key = self._key(operation.name)
        existing = self._operations.get(key)
        if existing is not None and existing.implemented:
            raise ValueError(f"{self.api}: operation {operation.name!r} declared twice")
        self._operations[key] = operation
        return operation

    def operation(self, name: str, *, writes: bool = False, cacheable: bool = False,
                  limit: LimitHook | None = None, before: Iterable[Hook] = (), **options):
        """Decorator: `handler(call) -> answer` is the operation `name`. `writes`: it runs in one
        transaction; else on the held connection. `cacheable`: its answer depends on nothing
        but stored data, the caller and the parameters (not the clock), so it may be answered
        from the read cache until any commit. `options`: what the API's wire reads of it."""
        if cacheable and writes:
            raise ValueError(f"{self.api}: {name} writes, so it cannot be cacheable")

        def register(handler: Callable[[Any], Any]) -> Callable[[Any], Any]:
            self.add(Operation(self.api, name, handler, writes, cacheable, limit, tuple(before), dict(options)))
            return handler

        return register

    def planned(self, name: str, *, limit: LimitHook | None = None, before: Iterable[Hook] = (), **options) -> Operation:
        """Declare an operation of the API that has no handler yet: it is counted and checked
        like the others (its limit, its `before` hooks), then the runner raises NotImplementedYet."""
        return self.add(Operation(self.api, name, None, False, False, limit, tuple(before), dict(options)))

    def get(self, name: str) -> Operation | None:
        return self._operations.get(self._key(name))

    def __iter__(self) -> Iterator[Operation]:
        return iter(self._operations.values())

    def __len__(self) -> int:
        return len(self._operations)


class Runner:
    """Runs one registry's operations (see the module docstring). Built once per app, when the
    routes are built: its read cache lives as long as the worker."""

    def __init__(self, services: "Services", registry: Registry, *,
                 refused: Callable[[Limit, RateDecision], Exception],
                 freeze: Callable[[Any], tuple[Any, int]] | None = None,
                 follows_collected: bool = False):
        """`refused(limit, decision)`: the API's exception for a call over a limit.
        `freeze(answer) -> (answer to keep, its size in bytes)`: how a cacheable operation's
        answer is kept (rendered once, so a cached call renders nothing); needed when the
        registry has cacheable operations. `follows_collected`: the answers report on collected
        data (kernel.coherence), so the ingest's commits empty the cache too."""
        self.services = services
        self.registry = registry
        self.refused = refused
        self.freeze = freeze
        self.answers: CoherentCache = services.read_cache(follows_collected=follows_collected)
        if freeze is None and any(operation.cacheable for operation in registry):
            raise ValueError(f"{registry.api}: cacheable operations need a `freeze`")

    def timed(self, operation: str) -> LoggedCall:
        """`with runner.timed(name) as logged:` times the call into the call log; the wire sets
        `logged.account`, `logged.operation` and `logged.outcome` (its error code, or "ok")."""
        return self.services.calllog.timed(api=self.registry.api, operation=operation)

    def count(self, limits: Iterable[Limit]) -> None:
        """Count the call against every window (refused calls count too), then raise the API's
        refusal for the first window that refused it."""
        limiter, hot = self.services.limiter, self.services.hot
        refusal = None
        for limit in limits:
            decision = limiter.hit(hot, limit.key, limit=limit.limit, period=limit.period)
            if not decision.allowed and refusal is None:
                refusal = self.refused(limit, decision)
        if refusal is not None:
            raise refusal

    def run(self, call: Call) -> Any:
        """Rate limit, hooks, read cache, then the handler on its connection (NotImplementedYet
        after the hooks for a planned operation)."""
        operation = call.operation
        limit = operation.limit or self.registry.limit
        if limit is not None:
            self.count(limit(call))
        call.db = self.services.hot  # the hooks only read
        for hook in operation.before:
            hook(call)
        if operation.handler is None:
            raise NotImplementedYet(operation)
        if not operation.cacheable:
            return self._execute(call)
        # A cacheable operation's answer is always the frozen one, cached or not, so the wire
        # renders one kind.
        if self.answers.enabled:
            return self.answers.get_or_load((operation, call.answer_key()), lambda: self._frozen(call), size=_size)[0]
        return self._frozen(call)[0]

    def _frozen(self, call: Call) -> tuple[Any, int]:
        assert self.freeze is not None
        return self.freeze(self._execute(call))

    def _execute(self, call: Call) -> Any:
        handler = call.operation.handler
        assert handler is not None
        if call.operation.writes:
            with transaction(self.services.engine) as db:
                call.db = db
                return handler(call)
        call.db = self.services.hot
        return handler(call)


def _size(frozen: tuple[Any, int]) -> int:
    return frozen[1]
