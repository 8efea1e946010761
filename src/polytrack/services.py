"""What every request handler may use: settings, the database and the kernel services."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, ContextManager, TypeVar

from sqlalchemy.engine import Engine

from polytrack.config import Settings
from polytrack.kernel.calllog import CallLog
from polytrack.kernel.clock import Clock, SystemClock
from polytrack.kernel.coherence import CoherentCache, Generation, generation_for
from polytrack.kernel.db import make_engine
from polytrack.kernel.hot import HotDB
from polytrack.kernel.ratelimit import RateLimiter
from polytrack.kernel.sql import Transaction, transaction
from polytrack.kernel.tokens import TokenStore

T = TypeVar("T")


@dataclass
class Services:
    settings: Settings
    engine: Engine
    clock: Clock
    tokens: TokenStore
    limiter: RateLimiter
    calllog: CallLog
    # the hot path's held per-thread driver connection (see kernel/hot.py)
    hot: HotDB
    # changes when any process commits a change the APIs read (kernel/coherence.py)
    generation: Generation
    read_cache_on: bool
    _shared: dict[str, Any] = field(default_factory=dict, repr=False)

    def shared(self, name: str, make: Callable[[], T]) -> T:
        """The one object called `name` of these services, made on first use: how an API's
        endpoints and its background tasks, built apart, reach the same object (a queue's
        sender, a pixel's activity)."""
        found = self._shared.get(name)
        if found is None:
            found = self._shared[name] = make()
        return found

    def transaction(self) -> ContextManager[Transaction]:
        """One transaction that may write (kernel.sql.transaction): `with services.transaction()
        as db:`; committed when the block ends, and every process's read caches hear of it."""
        return transaction(self.engine)

    def read_cache(self, **options) -> CoherentCache:
        """A per-process cache of database reads, emptied by every committed change (with
        `follows_collected=True` also by the ingest's, see kernel.coherence)."""
        return CoherentCache(self.generation, enabled=self.read_cache_on, **options)

    @classmethod
    def build(cls, settings: Settings, *, engine: Engine | None = None, clock=None) -> "Services":
        clock = clock or SystemClock()
        engine = engine or make_engine(settings.db)
        hot = HotDB(engine)
        return cls(
            settings=settings,
            engine=engine,
            clock=clock,
            tokens=TokenStore(clock),
            limiter=RateLimiter(clock, enabled=settings.rate_limits),
            calllog=CallLog(engine, clock, enabled=settings.call_log, hot=hot),
            hot=hot,
            generation=generation_for(engine.url),
            read_cache_on=settings.read_cache_on(engine.dialect.name),
        )
