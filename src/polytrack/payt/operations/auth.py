"""Authenticate/Login and Logout (PAYT), Admin/Register (TrackerPro)."""

from __future__ import annotations

from polytrack.payt import domain
from polytrack.payt.operations.base import PASSWORD, Answer, PaytCall, login_limit, payt_operation, trackerpro_operation


@payt_operation("Authenticate/Login", writes=True, limit=login_limit, auth=PASSWORD)
def login(call: PaytCall) -> Answer:
    """A new ticket; every earlier ticket of the user dies (one live ticket per user)."""
    username = call.require("username")
    password = call.params.get("password")
    if password is None or password == "":
        raise domain.invalid_query("Missing parameter: password")
    ticket = domain.login(call.db, call.services.tokens, username=username, password=password,
                          idle_seconds=call.settings.ticket_idle_seconds)
    return Answer("ticketid", ticket)


@payt_operation("Authenticate/Logout", writes=True)
def logout(call: PaytCall) -> Answer:
    domain.logout(call.db, call.services.tokens, call.ticket or "")
    return Answer("value", "")


@trackerpro_operation("Admin/Register", writes=True)
def register(call: PaytCall) -> Answer:
    """Creates the company and the user if new, sets the password, answers a new ssid."""
    company, email = call.require("company"), call.require("email")
    password = call.require("password")
    ssid = domain.register(call.db, call.services.clock, call.services.tokens, call.admin,
                           company=company, email=email, password=password)
    return Answer("value", ssid, sig="")
