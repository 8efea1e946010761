"""The JSON/RPC building blocks of Mapp that are neither wire nor operations: errors, lenient
parameter reading and results encoded once. No HTTP here (wire.py), no storage (domain.py).

Clients send one logical value in several JSON types: `rowLimit` as 10000 or "10000",
`hideFooters` as 1, true or [1], dates with or without a time. `Params` reads each kind in one
place so every method accepts the same spellings and rejects the rest the same way.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Literal, overload

from polytrack.kernel.dates import DateError, parse_ymd_or_datetime
from polytrack.kernel.render import to_json

# Languages `login` accepts (vendor doc). Titles exist in en and de; the others fall back to en.
LANGUAGES = ("de", "en", "fr", "es", "cn")


# --- errors -----------------------------------------------------------------------------------

class RpcError(Exception):
    """A JSON-RPC error answer. `kind` is the message class recorded in the call log
    ("Authorization failed", "Missing parameter", ...); `message` goes on the wire."""

    code = 501  # the only code the vendor documents; used for every error

    def __init__(self, kind: str, message: str | None = None):
        super().__init__(message or kind)
        self.kind = kind
        self.message = message or kind


class RateLimited(Exception):
    """Over a request limit: rendered in the documented special shape, "To many requests (<limit>)
    within <period> seconds.". `outcome` is what the call log records."""

    def __init__(self, limit: int, period: int, outcome: str = "To many requests"):
        super().__init__(f"{limit} per {period} s")
        self.limit = limit
        self.period = period
        self.outcome = outcome


def authorization_failed() -> RpcError:
    return RpcError("Authorization failed")


def invalid_request() -> RpcError:
    return RpcError("Invalid request")


def unknown_method(name: str) -> RpcError:
    return RpcError("Unknown method", f"Unknown method: {name[:200]}")


def missing_parameter(name: str) -> RpcError:
    return RpcError("Missing parameter", f"Missing parameter: {name}")


def invalid_parameter(name: str) -> RpcError:
    return RpcError("Invalid parameter", f"Invalid parameter: {name}")


def not_implemented(method: str) -> RpcError:
    return RpcError("Not implemented", f"Not implemented yet: {method}")


# --- lenient parameter reading ----------------------------------------------------------------

_INTEGER_RE = re.compile(r"^[+-]?\d{1,18}$")
_DIGITS_RE = re.compile(r"^\d{1,32}$")
_MISSING = object()


class Params:
    """The `params` object of a request. Unknown keys are ignored, never rejected. Each reader
    raises `Missing parameter: <name>` / `Invalid parameter: <name>`."""

    def __init__(self, values: dict):
        self.values = values

    def __contains__(self, name: str) -> bool:
        return self.values.get(name) is not None

    def raw(self, name: str, default=None):
        value = self.values.get(name)
        return default if value is None else value

    @overload
    def text(self, name: str, *, required: Literal[True], strip: bool = True) -> str: ...

    @overload
    def text(self, name: str, *, required: bool = False, strip: bool = True) -> str | None: ...

    def text(self, name: str, *, required: bool = False, strip: bool = True) -> str | None:
        """A string, stripped (unless `strip` is False: passwords keep their blanks). Integers
        are accepted as their decimal text (a numeric password or customerId sent as a number)."""
        value = self.values.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str) and strip:
            value = value.strip()
        if value is None or value == "":
            if required:
                raise missing_parameter(name)
            return None
        if not isinstance(value, str):
            raise invalid_parameter(name)
        return value

    @overload
    def digits(self, name: str, *, required: Literal[True]) -> str: ...

    @overload
    def digits(self, name: str, *, required: bool = False) -> str | None: ...

    def digits(self, name: str, *, required: bool = False) -> str | None:
        """A digit string such as a customerId (Track ID), from a string or a JSON integer."""
        value = self.text(name, required=required)
        if value is not None and not _DIGITS_RE.match(value):
            raise invalid_parameter(name)
        return value

    def integer(self, name: str, default: int | None = None, *, required: bool = False,
                minimum: int | None = None, maximum: int | None = None) -> int | None:
        """An int, a numeric string ("10000", " 5 ") or an integral float (10000.0)."""
        value = self.values.get(name)
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if value is None or (isinstance(value, str) and value.strip() == ""):
            if required:
                raise missing_parameter(name)
            return default
        number = _to_integer(value)
        if number is None or (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
            raise invalid_parameter(name)
        return number

    def bool01(self, name: str, default: bool = False) -> bool:
        """0/1, "0"/"1", true/false, "true"/"false", or a one-element list of any of these
        (ZEIT sends hideFooters as [1]). Missing or empty -> default."""
        value = self.values.get(name)
        if isinstance(value, list):
            if len(value) != 1:
                raise invalid_parameter(name)
            value = value[0]
        if value is None or (isinstance(value, str) and value.strip() == ""):
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in ("0", "1", "true", "false"):
            return value.strip().lower() in ("1", "true")
        raise invalid_parameter(name)

    def date_time(self, name: str, *, end_of_day: bool = False, required: bool = False) -> datetime | None:
        """`YYYY-MM-DD` (00:00:00, or 23:59:59 for a stop time) or `YYYY-MM-DD HH:MM:SS`; naive,
        meant in the account's time zone."""
        value = self.text(name, required=required)
        if value is None:
            return None
        try:
            return parse_ymd_or_datetime(value, end_of_day=end_of_day)
        except DateError:
            raise invalid_parameter(name) from None

    def choice(self, name: str, choices: tuple[str, ...], default: str | None = None) -> str | None:
        """One of `choices`, compared case-insensitively; missing -> default."""
        value = self.text(name)
        if value is None:
            return default
        if value.lower() not in choices:
            raise invalid_parameter(name)
        return value.lower()

    def language(self, name: str = "language") -> str | None:
        return self.choice(name, LANGUAGES)


def _to_integer(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else None
    if isinstance(value, str) and _INTEGER_RE.match(value.strip()):
        return int(value.strip())
    return None


# --- results ----------------------------------------------------------------------------------

class Encoded:
    """A method result already encoded as JSON: fixed lists are encoded once at import, and the
    wire writes the envelope around the text instead of encoding them on every call."""

    __slots__ = ("json",)

    def __init__(self, value):
        self.json = to_json(value)
