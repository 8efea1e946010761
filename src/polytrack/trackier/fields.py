"""Reading the fields of a Trackier request body, one checker per kind of field.

Each checker takes the body, the field's name and `problems` (field -> [messages]); it returns
the value, or None when the field is absent (or blank) or wrong, noting why in `problems`. A
caller checks every field, then raises `errors.invalid(problems)` (400 / code 20 with every
failing field in `data.errors`) if any failed, so a client learns all its mistakes at once and
nothing is stored.

Money is exact: amounts are kept as integer millionths of the currency unit ("micros"; the
docs show rates such as 0.0019), read from JSON numbers or numeric strings through Decimal, and
rendered as JSON numbers.
"""

from __future__ import annotations

import json
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Iterable

MICROS = 1_000_000
MAX_MONEY = Decimal(10) ** 12  # far beyond any payout; keeps micros within 64 bits
MAX_URL_LENGTH = 2048
MAX_LIST_LENGTH = 1000

Problems = dict[str, list[str]]


def note(problems: Problems, name: str, message: str) -> None:
    problems.setdefault(name, []).append(message)


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(data: dict, name: str, problems: Problems, *, required: bool = False, max_length: int = 255,
         label: str | None = None) -> str | None:
    """A string, stripped; a JSON number is accepted for `phone` (numbers sent as numbers)."""
    label = label or _label(name)
    value = data.get(name)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and name == "phone":
        value = str(value)
    if _blank(value):
        if required:
            note(problems, name, f"{label} is required")
        return None
    if not isinstance(value, str):
        note(problems, name, f"{label} must be a string")
        return None
    value = value.strip()
    if len(value) > max_length:
        note(problems, name, f"{label} must be at most {max_length} characters")
        return None
    if "\x00" in value:  # no PostgreSQL text column can hold it
        note(problems, name, f"{label} must not contain NUL characters")
        return None
    return value


def ident(data: dict, name: str, problems: Problems, *, required: bool = False) -> str | None:
    """An id: 24 hex digits or a display id, as text or a JSON integer; returned as text. Whether
    it names anything is the caller's question."""
    value = data.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    found = text({name: value}, name, problems, required=required, max_length=24)
    if found is not None and not re.fullmatch(r"[0-9a-fA-F]{24}|[0-9]{1,10}", found):
        note(problems, name, f"{_label(name)} must be a 24-hex id or a display id")
        return None
    return found


def url(data: dict, name: str, problems: Problems, *, required: bool = False) -> str | None:
    """An http(s) URL; macros such as {click_id} may appear anywhere in it."""
    value = text(data, name, problems, required=required, max_length=MAX_URL_LENGTH)
    if value is not None and not re.match(r"^https?://[^\s/?#]+", value, re.IGNORECASE):
        note(problems, name, f"{_label(name)} must be an http(s) URL")
        return None
    return value


def boolean(data: dict, name: str, problems: Problems) -> bool | None:
    """A JSON boolean, or its form spellings (true/false, 1/0, yes/no); None when absent."""
    value = data.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0", "yes", "no"):
        return value.strip().lower() in ("true", "1", "yes")
    note(problems, name, f"{_label(name)} must be a boolean")
    return None


def integer(data: dict, name: str, problems: Problems, *, required: bool = False, minimum: int = 0,
            maximum: int = 2**31 - 1) -> int | None:
    """A whole number (a JSON integer or its text) within [minimum, maximum]."""
    value = data.get(name)
    if _blank(value):
        if required:
            note(problems, name, f"{_label(name)} is required")
        return None
    if isinstance(value, str) and re.fullmatch(r"\s*-?[0-9]{1,12}\s*", value):
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        note(problems, name, f"{_label(name)} must be a whole number from {minimum} to {maximum}")
        return None
    return value


def money(data: dict, name: str, problems: Problems, *, required: bool = False) -> int | None:
    """An amount (a JSON number or numeric text, at least 0) as integer micros, rounded half up
    to the millionth."""
    value = data.get(name)
    if _blank(value):
        if required:
            note(problems, name, f"{_label(name)} is required")
        return None
    amount = to_decimal(value)
    if amount is None or not 0 <= amount < MAX_MONEY:
        note(problems, name, f"{_label(name)} must be a number from 0 up to {MAX_MONEY}")
        return None
    return int((amount * MICROS).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def to_decimal(value) -> Decimal | None:
    """A JSON number or numeric text as a finite Decimal; None for anything else."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        # str() of a float is its shortest repr: 0.1 stays 0.1, not its binary expansion
        amount = Decimal(value.strip() if isinstance(value, str) else str(value))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def as_number(micros: int | None) -> float | int | None:
    """Micros as the JSON number the wire shows: 4 for 4.0, 0.0019 for 1900."""
    if micros is None:
        return None
    if micros % MICROS == 0:
        return micros // MICROS
    return float(Decimal(micros) / MICROS)


def choice(data: dict, name: str, problems: Problems, allowed: Iterable[str], *, required: bool = False,
           fold_case: bool = True) -> str | None:
    """One of `allowed` (compared case-insensitively, returned as listed)."""
    value = text(data, name, problems, required=required, max_length=64)
    if value is None:
        return None
    allowed = tuple(allowed)
    by_key = {a.lower() if fold_case else a: a for a in allowed}
    found = by_key.get(value.lower() if fold_case else value)
    if found is None:
        note(problems, name, f"{_label(name)} must be one of: {', '.join(allowed)}")
    return found


def string_list(data: dict, name: str, problems: Problems, *, required: bool = False, max_length: int = 255,
                allowed: Iterable[str] | None = None, fold_case: bool = False) -> list[str] | None:
    """A list of strings: a JSON array, or (forms, query strings) one comma-separated string.
    Duplicates are dropped, order kept. With `allowed`, each must be one of them."""
    value = data.get(name)
    if _blank(value) or value == []:
        if required:
            note(problems, name, f"{_label(name)} is required")
        return None
    if isinstance(value, str):
        value = [part for part in value.split(",") if part.strip()]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = [str(value)]
    if not isinstance(value, list) or len(value) > MAX_LIST_LENGTH or not all(
            isinstance(item, (str, int)) and not isinstance(item, bool) for item in value):
        note(problems, name, f"{_label(name)} must be a list of strings")
        return None
    items = [str(item).strip() for item in value]
    if any(not item or len(item) > max_length or "\x00" in item for item in items):
        note(problems, name, f"{_label(name)} items must be 1 to {max_length} characters")
        return None
    if fold_case:
        items = [item.lower() for item in items]
    if allowed is not None:
        allowed = set(allowed)
        unknown = [item for item in items if item not in allowed]
        if unknown:
            note(problems, name, f"{_label(name)}: unknown value(s): {', '.join(unknown[:10])}")
            return None
    return list(dict.fromkeys(items))


def object_field(data: dict, name: str, problems: Problems) -> dict | None:
    """A JSON object (stored as it is, e.g. os_ver); None when absent."""
    value = data.get(name)
    if _blank(value) or value == []:
        return None
    if not isinstance(value, dict) or len(json.dumps(value)) > 10_000:
        note(problems, name, f"{_label(name)} must be an object")
        return None
    return value


def items(data: dict, name: str, problems: Problems, *, required: bool = False) -> list[dict] | None:
    """A list of objects (commissions, caps, payouts, conversions)."""
    value = data.get(name)
    if value is None or value == "":
        if required:
            note(problems, name, f"{_label(name)} is required")
        return None
    if isinstance(value, dict) and all(re.fullmatch(r"[0-9]+", k) for k in value):
        value = [value[k] for k in sorted(value, key=int)]  # a form's a[0][x]=... arrives keyed by index
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value) \
            or len(value) > MAX_LIST_LENGTH:
        note(problems, name, f"{_label(name)} must be a list of objects")
        return None
    if required and not value:
        note(problems, name, f"{_label(name)} must not be empty")
        return None
    return value


def nested(problems: Problems, name: str, index: int, inner: Problems) -> None:
    """The problems of the `index`th object of list `name`, as "name.index.field"."""
    for field, messages in inner.items():
        problems.setdefault(f"{name}.{index}.{field}", []).extend(messages)
