"""Accounts and balance: who a pincode is, its agency's clients, the payer's wallet."""

from __future__ import annotations

from polytrack.avidtrak import domain
from polytrack.avidtrak.operations.base import AvidTrakCall, registry, require_agency

registry.planned("create_account", before=[require_agency])
registry.planned("update_user_details")


@registry.operation("client_list", before=[require_agency])
def client_list(call: AvidTrakCall) -> list[dict]:
    return domain.client_list(call.db, call.settings.keys, call.account, call.payer_balance, call.settings.timezone)


@registry.operation("get_remaining_balance")
def get_remaining_balance(call: AvidTrakCall) -> dict:
    # The balance was read with the pincode, in the same query: no further database work.
    return domain.remaining_balance(call.account, call.payer_balance)
