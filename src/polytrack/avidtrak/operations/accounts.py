"""Accounts and balance: who a pincode is, its agency's clients, the payer's wallet."""

from __future__ import annotations

from polytrack.avidtrak import domain, values
from polytrack.avidtrak.errors import nothing_to_update
from polytrack.avidtrak.operations.base import AvidTrakCall, registry, require_agency


@registry.operation("create_account", writes=True, before=[require_agency])
def create_account(call: AvidTrakCall) -> dict:
    """A client under the calling agency, billed to it; answers the new client's pincode."""
    userid, password = call.required("userid"), call.required("password")
    account_type = call.required("account_type")
    fields = {
        "userid": values.userid(userid),
        "password": values.password(password),
        "account_type": values.account_type(account_type),
        "email": values.email(call.text("email")),
        "contact_number": values.optional_phone(call.text("contact_number"), "contact_number"),
        "domain": values.domain(call.text("domain")),
        "contact_name": values.short_text(call.text("contact_name"), "contact_name"),
    }
    created = domain.create_account(call.db, call.settings.keys, call.services.clock.now(), kind="client",
                                     agency=call.account, **fields)
    return domain.new_client_answer(call.db, created, call.settings.timezone)


@registry.operation("update_user_details", writes=True)
def update_user_details(call: AvidTrakCall) -> dict:
    """The pincode's own user ID, name, e-mail, password (at least one)."""
    username = call.given("username", "userid")
    fullname = call.given("fullname", "contact_name")
    email, password = call.given("email"), call.given("password")
    if username is None and fullname is None and email is None and password is None:
        raise nothing_to_update()
    return domain.update_user_details(
        call.db, call.account,
        userid=None if username is None else values.userid(username, "username"),
        fullname=None if fullname is None else values.short_text(fullname, "fullname"),
        email=None if email is None else values.email(email),
        password=None if password is None else values.password(password),
    )


@registry.operation("client_list", before=[require_agency])
def client_list(call: AvidTrakCall) -> list[dict]:
    return domain.client_list(call.db, call.settings.keys, call.account, call.payer_balance, call.settings.timezone)


@registry.operation("get_remaining_balance")
def get_remaining_balance(call: AvidTrakCall) -> dict:
    # The balance was read with the pincode, in the same query: no further database work.
    return domain.remaining_balance(call.account, call.payer_balance)
