"""Website tracking (pro accounts): visits by keyword, smart replacement, metro site numbers."""

from __future__ import annotations

from polytrack.avidtrak import dni, numbers, reports, values
from polytrack.avidtrak.errors import ambiguous_request
from polytrack.avidtrak.operations.base import AvidTrakCall, registry, require_pro
from polytrack.avidtrak.operations.calls import date_range


@registry.operation("visit_data", before=[require_pro])
def visit_data(call: AvidTrakCall) -> list[dict]:
    engine = values.choice(call.required("filter"), reports.ENGINES, "filter")
    start, end = date_range(call)
    return reports.visit_data(call.db, call.account, engine, start, end, call.settings.timezone)

@registry.operation("set_smart_replacement", writes=True, before=[require_pro])
def set_smart_replacement(call: AvidTrakCall) -> dict:
    """Add or delete website numbers the tracking script swaps."""
    given, action_text = call.required_values("site_phone"), call.required("action")
    action = values.choice(action_text, ("add", "delete"), "action")
    phones = list(dict.fromkeys(values.phones(given, "site_phone")))
    return dni.set_smart_replacement(call.db, call.account, action, phones)


def _site_id(call: AvidTrakCall) -> int:
    return values.integer(call.required("site_id"), "site_id")


def _allocate(call: AvidTrakCall) -> dict:
    site_text = call.required("site_id")
    given = call.required_values("sid")
    site_id = values.integer(site_text, "site_id")
    return numbers.allocate_metro(call.db, call.account, site_id, given)


@registry.operation("add_metro_site_number", writes=True, before=[require_pro])
def add_metro_site_number(call: AvidTrakCall) -> dict:
    """Two methods under one name: with `site_id` it allocates tracking numbers to a site (as
    allocate_metro_number), otherwise it creates a site."""
    if call.given("site_id") is not None:
        if call.given("site_number") is not None:
            raise ambiguous_request()
        return _allocate(call)
    site_text, title_text = call.required("site_number"), call.required("title")
    forward_text = call.required("forward_number")
    site_number = values.phone(site_text, "site_number")
    title = values.short_text(title_text, "title")
    forward_number = values.phone(forward_text, "forward_number")
    return numbers.add_metro_site(call.db, call.account, site_number, title, forward_number,
                                  call.services.clock.now())


@registry.operation("allocate_metro_number", writes=True, before=[require_pro])
def allocate_metro_number(call: AvidTrakCall) -> dict:
    if call.given("site_id") is not None and call.given("site_number") is not None:
        raise ambiguous_request()
    return _allocate(call)


@registry.operation("list_metro_numbers", before=[require_pro])
def list_metro_numbers(call: AvidTrakCall) -> list[dict]:
    return numbers.list_metro(call.db, call.account)


@registry.operation("remove_metro_site_number", writes=True, before=[require_pro])
def remove_metro_site_number(call: AvidTrakCall) -> dict:
    return numbers.remove_metro_site(call.db, call.account, _site_id(call))
