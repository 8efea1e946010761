"""Call routing of a number: its receiving number, round robin, recording and greetings."""

from __future__ import annotations

from typing import Any

from polytrack.avidtrak import numbers, values
from polytrack.avidtrak.errors import (
    array_length_mismatch, invalid_values, missing_parameter, multiple_sid_not_allowed, nothing_to_update,
)
from polytrack.avidtrak.operations.base import AvidTrakCall, registry

FORWARDING_TYPES = ("pro", "lite", "sid")


def _forwarding_target(call: AvidTrakCall) -> tuple[str, list[str]]:
    forwarding_type = values.choice(call.required("type"), FORWARDING_TYPES, "type")
    return forwarding_type, call.values("sid") if forwarding_type == "sid" else []


@registry.operation("set_forwarding", writes=True)
def set_forwarding(call: AvidTrakCall) -> dict:
    forwarding_type = values.choice(call.required("type"), FORWARDING_TYPES, "type")
    forward_text = call.required("forward_number")
    given = call.values("sid") if forwarding_type == "sid" else []
    if forwarding_type == "sid" and not given:
        raise missing_parameter("sid")
    forward_number = values.phone(forward_text, "forward_number")
    extension = values.extension(call.text("extension"))
    return numbers.set_forwarding(call.db, call.account, forwarding_type, given, forward_number, extension)


@registry.operation("remove_forwarding", writes=True)
def remove_forwarding(call: AvidTrakCall) -> dict:
    forwarding_type, given = _forwarding_target(call)
    if forwarding_type == "sid" and not given:
        raise missing_parameter("sid")
    return numbers.remove_forwarding(call.db, call.account, forwarding_type, given)


def _rings(call: AvidTrakCall) -> int | None:
    text = call.given("rings")
    return None if text is None else values.integer(text, "rings", 1, 10)


def _use_default_first(call: AvidTrakCall) -> bool | None:
    text = call.given("use_default_first")
    return None if text is None else values.yes_no(text)


@registry.operation("insert_round_robin", writes=True)
def insert_round_robin(call: AvidTrakCall) -> list[dict]:
    given = call.required_values("sid")
    receiving = call.ordered_values("forwarding_number")
    if not any(receiving):
        raise missing_parameter("forwarding_number")
    extensions, labels = call.ordered_values("extension"), call.ordered_values("label")
    if len(extensions) > len(receiving) or len(labels) > len(receiving):
        raise array_length_mismatch()
    phones = values.phones(receiving, "forwarding_number")
    extensions = [values.extension(value) for value in extensions]
    labels = [values.short_text(value, "label", limit=50) for value in labels]
    entries = [numbers.Entry(phone, extensions[i] if i < len(extensions) else "", labels[i] if i < len(labels) else "")
               for i, phone in enumerate(phones)]
    use_default_first, rings = _use_default_first(call), _rings(call)
    return numbers.insert_round_robin(call.db, call.account, given, entries, use_default_first, rings)


def _entry_id(call: AvidTrakCall, text: str) -> int:
    return values.integer(text, "round_robin_list_id")


@registry.operation("list_round_robin")
def list_round_robin(call: AvidTrakCall) -> list[dict]:
    return numbers.list_round_robin(call.db, call.account, call.required_values("sid"))


@registry.operation("edit_round_robin", writes=True)
def edit_round_robin(call: AvidTrakCall) -> dict:
    given, entry_text = call.required_values("sid"), call.required("round_robin_list_id")
    forwarding_text = call.required("forwarding_number")
    if len(given) > 1:
        raise multiple_sid_not_allowed()
    entry_id = _entry_id(call, entry_text)
    forwarding_number = values.phone(forwarding_text, "forwarding_number")
    extension = None
    if call.present("extension"):  # the vendor writes extension[]: the first element counts
        extension = values.extension((call.ordered_values("extension") or [""])[0])
    label = values.short_text(call.text("label"), "label", limit=50) if call.present("label") else None
    return numbers.edit_round_robin(call.db, call.account, given, entry_id, forwarding_number, extension, label,
                                    _use_default_first(call), _rings(call))


@registry.operation("delete_round_robin", writes=True)
def delete_round_robin(call: AvidTrakCall) -> dict:
    given, entry_text = call.required_values("sid"), call.required("round_robin_list_id")
    if len(given) > 1:
        raise multiple_sid_not_allowed()
    return numbers.delete_round_robin(call.db, call.account, given, _entry_id(call, entry_text))


def _email_alerts(text: str) -> str:
    addresses = [part.strip() for part in text.split(",") if part.strip()]
    bad = [address for address in addresses if not values.EMAIL_RE.fullmatch(address) or len(address) > 100]
    if bad or len(addresses) > 10:
        raise invalid_values("email_alerts", bad)
    return ",".join(addresses)


@registry.operation("update_number_setting", writes=True)
def update_number_setting(call: AvidTrakCall) -> list[dict]:
    given = call.required_values("sid")
    settings: dict[str, Any] = {}
    if call.present("recording"):
        settings["recording"] = values.flag(call.text("recording"), "recording")
    if call.present("greet_caller"):
        settings["greet_caller"] = values.short_text(call.text("greet_caller"), "greet_caller", limit=500)
    if call.present("whisper_message"):
        settings["whisper_message"] = values.short_text(call.text("whisper_message"), "whisper_message", limit=500)
    if call.present("enable_email"):
        settings["enable_email"] = values.flag(call.text("enable_email"), "enable_email")
    if call.present("email_alerts"):
        settings["email_alerts"] = _email_alerts(call.text("email_alerts"))
    if not settings:
        raise nothing_to_update()
    return numbers.update_settings(call.db, call.account, given, settings)
