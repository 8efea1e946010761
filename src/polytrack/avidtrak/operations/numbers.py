"""Tracking numbers: searching, buying, moving between accounts, channels, giving back."""

from __future__ import annotations

import re

from polytrack.avidtrak import domain, numbers, values
from polytrack.avidtrak.errors import account_suspended, invalid_parameter, quantity_exceeded, unsupported_country
from polytrack.avidtrak.operations.base import AvidTrakCall, registry, require_agency
from polytrack.avidtrak.providers import NUMBER_TYPES


def _country(call: AvidTrakCall) -> str:
    """`country`: ISO 3166 alpha-2, default US; only the configured countries are served."""
    country = (call.given("country") or "US").upper()
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise invalid_parameter("country")
    if country not in call.settings.countries:
        raise unsupported_country(country)
    return country


@registry.operation("search_number")
def search_number(call: AvidTrakCall) -> list[dict]:
    quantity_text = call.required("quantity")
    number_type_text, area_code = call.required("number_type"), call.required("area_code")
    quantity = values.integer(quantity_text, "quantity")
    if quantity > numbers.MAX_QUANTITY:
        raise quantity_exceeded()
    number_type = values.choice(number_type_text, NUMBER_TYPES, "number_type")
    numbers.check_area_code(number_type, area_code)
    return numbers.search(call.db, call.settings.provider, call.settings.prices, number_type=number_type,
                          area_code=area_code, country=_country(call), quantity=quantity)


@registry.operation("purchase_number", writes=True)
def purchase_number(call: AvidTrakCall) -> list[dict]:
    """Numbers found by search_number, into the caller (or, for an agency, `client_pin`'s client)."""
    if call.payer_balance is not None and call.payer_balance < 0:
        raise account_suspended()
    number_type_text = call.required("number_type")
    wanted_text = call.required_values("number")
    number_type = values.choice(number_type_text, NUMBER_TYPES, "number_type")
    if len(wanted_text) > numbers.MAX_QUANTITY:
        raise quantity_exceeded()
    wanted = list(dict.fromkeys(values.phones(wanted_text, "number")))
    country = _country(call)
    owner = call.account
    client_pin = call.given("client_pin")
    if client_pin is not None:
        require_agency(call)
        owner = domain.client_by_pincode(call.db, call.settings.keys, call.account, client_pin)
    return numbers.purchase(call.db, call.settings.provider, call.settings.prices, owner=owner,
                            number_type=number_type, country=country, wanted=wanted,
                            now=call.services.clock.now(), tz_name=call.settings.timezone)


@registry.operation("transfer_number", writes=True, before=[require_agency])
def transfer_number(call: AvidTrakCall) -> list[dict]:
    given, client_pin = call.required_values("sid"), call.required("client_pin")
    target = domain.client_by_pincode(call.db, call.settings.keys, call.account, client_pin)
    return numbers.transfer(call.db, call.account, given, target, call.services.clock.now())


@registry.operation("assign_number", writes=True)
def assign_number(call: AvidTrakCall) -> list[dict]:
    given, assign_type = call.required_values("sid"), call.required("type")
    assign_type = values.choice(assign_type, tuple(numbers.CHANNEL_LABELS), "type")
    return numbers.assign(call.db, call.account, given, assign_type, call.services.clock.now())


@registry.operation("list_numbers")
def list_numbers(call: AvidTrakCall) -> list[dict]:
    number_type = call.given("number_type")
    assignment = call.given("assignment_type")
    area_code = call.given("area_code")
    if area_code is not None and not re.fullmatch(r"[0-9]{3}", area_code):
        raise invalid_parameter("area_code")
    return numbers.number_rows(
        call.db, call.account,
        number_type=None if number_type is None else values.choice(number_type, NUMBER_TYPES, "number_type"),
        assignment="all" if assignment is None else values.choice(assignment, ("assigned", "unassigned", "all"),
                                                                  "assignment_type"),
        area_code=area_code, tz_name=call.settings.timezone)


@registry.operation("return_number", writes=True)
def return_number(call: AvidTrakCall) -> list[dict]:
    given = call.required_values("sid")
    location = values.choice(call.given("location") or "telco", ("telco", "agency"), "location")
    return numbers.return_numbers(call.db, call.settings.provider, call.account, given, location,
                                  call.services.clock.now())
