"""Connecting, logging in and out, and the accounts a login may use."""

from __future__ import annotations

from polytrack.mapp import domain
from polytrack.mapp.operations.base import AUTH_ACCOUNT, AUTH_LOGIN, AUTH_NONE, AUTH_TOKEN_SOFT, MappCall, registry


@registry.operation("getConnectionTest", auth=AUTH_NONE)
def get_connection_test(call: MappCall) -> str:
    return "Connection successful"


@registry.operation("login", writes=True, auth=AUTH_ACCOUNT)
def login(call: MappCall) -> str:
    assert call.caller is not None  # AUTH_ACCOUNT found it
    return domain.issue_token(call.db, call.services.tokens, call.caller,
                              idle_seconds=call.settings.token_idle_seconds)


@registry.operation("logout", writes=True, auth=AUTH_TOKEN_SOFT)
def logout(call: MappCall) -> str:
    # "1" when a live token was deleted, "0" otherwise, never an error: clients log out in a
    # `finally:` block. The token lookup has already deleted an expired token on sight.
    if not call.token:
        return "0"
    return "1" if domain.revoke_token(call.db, call.services.tokens, call.token) else "0"


@registry.operation("getAccountList", auth=AUTH_LOGIN)
def get_account_list(call: MappCall) -> list[dict]:
    assert call.user is not None  # AUTH_LOGIN found it
    return domain.accounts_of(call.db, call.user.id)
