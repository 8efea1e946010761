"""Offline (lite) campaigns and the calls they and every other number received."""

from __future__ import annotations

from datetime import datetime

from polytrack.avidtrak import reports, values
from polytrack.avidtrak.errors import multiple_sid_not_allowed
from polytrack.avidtrak.operations.base import AvidTrakCall, registry


def date_range(call: AvidTrakCall) -> tuple[datetime | None, datetime | None]:
    """startdate / enddate (the vendor also writes Startdate / Enddate: names are
    case-insensitive); neither given means yesterday in the server time zone."""
    return values.date_range(call.given("startdate"), call.given("enddate"), call.settings.timezone,
                             call.services.clock.now())


@registry.operation("add_lite_campaign", writes=True)
def add_lite_campaign(call: AvidTrakCall) -> dict:
    title_text, given = call.required("title"), call.required_values("sid")
    if len(given) > 1:
        raise multiple_sid_not_allowed()
    title = values.short_text(title_text, "title")
    adgroup = values.short_text(call.text("adgroup"), "adgroup")
    forward_text = call.given("forward_number")
    forward_number = None if forward_text is None else values.phone(forward_text, "forward_number")
    extension = values.extension(call.text("extension"))
    return reports.add_lite_campaign(call.db, call.account, given, title, adgroup, forward_number, extension,
                                     call.services.clock.now(), call.settings.timezone)


@registry.operation("lite_campaign")
def lite_campaign(call: AvidTrakCall) -> list[dict]:
    start, end = date_range(call)
    return reports.lite_campaigns(call.db, call.account, start, end, call.settings.timezone)


@registry.operation("all_lite_calls")
def all_lite_calls(call: AvidTrakCall) -> list[dict]:
    start, end = date_range(call)
    return reports.call_logs(call.db, call.account, start, end, call.settings.timezone, lite_only=True)


@registry.operation("call_logs")
def call_logs(call: AvidTrakCall) -> list[dict]:
    start, end = date_range(call)
    return reports.call_logs(call.db, call.account, start, end, call.settings.timezone)
