"""Session tokens with idle expiry (PAYT tickets, Mapp tokens, launch tokens).

A token is random (>= 128 bits); only its SHA-256 digest is stored. `resolve` slides the idle
expiry, but writes `last_used_at` only when it is older than a fraction of the idle window, so a
busy client does not turn every read into a write.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, delete

from polytrack.kernel.coherence import CoherentCache
from polytrack.kernel.sql import Db, Statement
from polytrack.kernel.secrets import lookup_digest
from polytrack.kernel.tables import kernel_tokens

# `last_used_at` is written at most once per this fraction of the idle window, so it lags the
# true last use by up to that much; expiry allows for the lag, so a token never dies early
# (it may live up to 1 % of its idle window longer).
TOUCH_FRACTION = 0.01

# The token columns `resolve` reads, in this order. A caller that needs the token's owner row as
# well selects these first from `kernel_tokens t`, joins its own tables after them and passes the
# statement to `resolve_joined`: one query instead of two on the hot path.
TOKEN_COLUMNS = "t.api, t.kind, t.subject, t.scope, t.created_at, t.last_used_at, t.idle_seconds, t.single_use"

# `resolve` runs on every authenticated call: fixed statements on the driver (kernel.sql).
_FIND = Statement(f"SELECT {TOKEN_COLUMNS} FROM kernel_tokens t WHERE t.digest = ?")
_DELETE = Statement("DELETE FROM kernel_tokens WHERE digest = ?")
_TOUCH = Statement(
    "UPDATE kernel_tokens SET last_used_at = ? WHERE digest = ? AND last_used_at < ?", bookkeeping=True
)


@dataclass(frozen=True)
class TokenInfo:
    api: str
    kind: str
    subject: str
    scope: str
    created_at: float


class TokenStore:
    def __init__(self, clock):
        self.clock = clock

    def issue(
        self,
        db: Db,
        *,
        api: str,
        kind: str,
        subject: str,
        token: str,
        idle_seconds: float,
        scope: str = "",
        single_use: bool = False,
        revoke_others: bool = False,
    ) -> str:
        now = self.clock.timestamp()
        if revoke_others:
            self.revoke_subject(db, api=api, kind=kind, subject=subject)
        db.execute(
            kernel_tokens.insert().values(
                digest=lookup_digest(token), api=api, kind=kind, subject=subject, scope=scope,
                created_at=now, last_used_at=now, idle_seconds=idle_seconds, single_use=int(single_use),
            )
        )
        return token

    def resolve(self, db: Db, *, api: str, kind: str, token: str | None) -> TokenInfo | None:
        """The live token's owner, or None. Expired tokens are deleted on sight; single-use
        tokens are consumed."""
        found = self.resolve_joined(db, _FIND, api=api, kind=kind, token=token)
        return found[0] if found is not None else None

    def resolve_joined(self, db, statement: Statement, *, api: str, kind: str,
                       token: str | None, cache: CoherentCache | None = None) -> tuple[TokenInfo, tuple] | None:
        """`resolve` through the caller's own lookup: `statement` selects TOKEN_COLUMNS (in that
        order) and then any joined columns, and its only placeholder is `t.digest = ?`. Returns
        (token info, the joined columns) for a live token, else None; same expiry, touch and
        single-use rules as `resolve`.

        With a `cache` (kernel.coherence; one per statement), a live token found before is
        answered from memory until it is due for its next touch: a logout, a revocation or a
        change to the joined rows commits, which empties the cache, so no process keeps a dead
        token alive. Unknown, expired and single-use tokens always go to the database."""
        if not token:
            return None
        if cache is not None:
            hit = cache.lookup(token)
            if hit is not None:
                found, last_used_at, idle_seconds = hit
                if self.clock.timestamp() - last_used_at <= idle_seconds * TOUCH_FRACTION:
                    return found
            snapshot = cache.snapshot()
        digest = lookup_digest(token)
        row = db.run(statement, (digest,)).fetchone()
        if row is None:
            return None
        row_api, row_kind, subject, scope, created_at, last_used_at, idle_seconds, single_use = row[:8]
        if row_api != api or row_kind != kind:
            return None
        now = self.clock.timestamp()
        # Touched tokens get the touch lag as grace; single-use ones are never touched.
        if now - last_used_at > idle_seconds * (1.0 if single_use else 1.0 + TOUCH_FRACTION):
            db.run(_DELETE, (digest,))
            return None
        if single_use:
            # Only one concurrent caller can delete the row: that one wins the token.
            if db.run(_DELETE, (digest,)).rowcount != 1:
                return None
        elif now - last_used_at > idle_seconds * TOUCH_FRACTION:
            db.run(_TOUCH, (now, digest, now))
            last_used_at = now
        found = TokenInfo(api=api, kind=kind, subject=subject, scope=scope, created_at=created_at), tuple(row[8:])
        if cache is not None and not single_use:
            cache.store(token, (found, last_used_at, idle_seconds), snapshot)
        return found

    def revoke(self, db: Db, *, api: str, kind: str, token: str | None) -> bool:
        if not token:
            return False
        digest = lookup_digest(token)
        result = db.execute(
            delete(kernel_tokens).where(
                and_(kernel_tokens.c.digest == digest, kernel_tokens.c.api == api, kernel_tokens.c.kind == kind)
            )
        )
        return result.rowcount == 1

    def revoke_subject(self, db: Db, *, api: str, kind: str, subject: str) -> int:
        result = db.execute(
            delete(kernel_tokens).where(
                and_(kernel_tokens.c.api == api, kernel_tokens.c.kind == kind, kernel_tokens.c.subject == subject)
            )
        )
        return result.rowcount

    def purge_expired(self, db: Db) -> int:
        now = self.clock.timestamp()
        result = db.execute(
            delete(kernel_tokens).where(
                kernel_tokens.c.last_used_at + kernel_tokens.c.idle_seconds * (1.0 + TOUCH_FRACTION) < now
            )
        )
        return result.rowcount
