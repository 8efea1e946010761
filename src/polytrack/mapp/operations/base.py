"""The Mapp registry, its `MappCall` and how each method authenticates.

Every JSON-RPC method is declared once on `registry` with its `auth` option; the wire
authenticates a call that way before the runner runs it, so a handler only reads what the call
already holds. The wire also counts every request against the request limits before it looks
the method up (unknown methods count too), so the registry declares no `limit` hook.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from polytrack.kernel.operations import Call, Operation, Registry
from polytrack.mapp import domain
from polytrack.mapp.rpc import Params
from polytrack.mapp.collect.sessions import Sessioniser

if TYPE_CHECKING:
    from polytrack.config import Settings
    from polytrack.services import Services

registry = Registry("mapp")
DEFAULT_ROW_LIMIT = 1000

# How a method authenticates (its `auth` option):
AUTH_NONE = "none"              # getConnectionTest
AUTH_LOGIN = "login"            # login + pass (getAccountList)
AUTH_ACCOUNT = "account"        # customerId + login + pass (login, deleteTvData)
AUTH_TOKEN = "token"            # a live token, or customerId + login + pass instead of one
AUTH_TOKEN_SOFT = "token_soft"  # the token is resolved if live, never an error (logout)


@dataclass(frozen=True)
class MappSettings:
    """What handlers read of the settings, read once when the routes are built."""

    token_idle_seconds: float
    default_row_limit: int  # rows per level when an analysis names no rowLimit

    @classmethod
    def from_settings(cls, settings: "Settings") -> "MappSettings":
        return cls(token_idle_seconds=settings.api_setting("mapp.token_idle_seconds", domain.TOKEN_IDLE_SECONDS),
                   default_row_limit=int(settings.api_setting("mapp.default_row_limit", DEFAULT_ROW_LIMIT)))


class MappCall(Call):
    """One JSON-RPC request as a handler sees it, authenticated per its method's `auth`:
    `caller` (a user acting in one account: token methods, login), `user` (getAccountList's
    password check), `token` (as sent, stripped; logout revokes it), `sessions` (the
    sessionisation an analysis catches up on first)."""

    __slots__ = ("settings", "params", "token", "caller", "user", "sessions")

    def __init__(self, services: "Services", operation: Operation, settings: MappSettings, params: Params,
                 token: str | None, caller: domain.Caller | None, sessions: Sessioniser):
        super().__init__(services, operation)
        self.sessions = sessions
        self.settings = settings
        self.params = params
        self.token = token
        self.caller = caller
        self.user: domain.User | None = None
