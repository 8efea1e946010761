"""AvidTrak value formats: phone numbers, user IDs, e-mail, domains, money, times.

Validators return the canonical value or raise `invalid_parameter` naming the parameter.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from polytrack.avidtrak.errors import AvidTrakError, invalid_date, invalid_date_range, invalid_parameter, invalid_values
from polytrack.kernel.dates import zone

USERID_RE = re.compile(r"^[A-Za-z0-9._@-]{4,50}$")
PASSWORD_RE = re.compile(r"^[A-Za-z0-9]{6,32}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DOMAIN_RE = re.compile(r"^[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
ACCOUNT_TYPES = ("pro", "lite")

# C0 controls and DEL: they cannot be written in XML 1.0, so they are refused on input.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# Countries numbers may be searched and bought in unless avidtrak.countries names others: the
# North American Numbering Plan's two largest (numbers are 10 digits, +1).
DEFAULT_COUNTRIES = "US,CA"

# Times are printed in this zone unless the avidtrak.timezone setting names another.
DEFAULT_TIMEZONE = "UTC"

CENT = Decimal("0.01")
# Numeric(12,2): at most 10 digits before the point.
MONEY_LIMIT = Decimal("9999999999.99")
MONEY_RE = re.compile(r"^[+-]?[0-9]{1,10}(\.[0-9]{1,2})?$")


def userid(value: str, parameter: str = "userid") -> str:
    if not USERID_RE.fullmatch(value):
        raise invalid_parameter(parameter)
    return value


def password(value: str, parameter: str = "password") -> str:
    if not PASSWORD_RE.fullmatch(value):
        raise invalid_parameter(parameter)
    return value


def account_type(value: str, parameter: str = "account_type") -> str:
    folded = value.strip().lower()
    if folded not in ACCOUNT_TYPES:
        raise invalid_parameter(parameter)
    return folded


def email(value: str, parameter: str = "email") -> str:
    value = value.strip()
    if value and (len(value) > 100 or not EMAIL_RE.fullmatch(value) or CONTROL_RE.search(value)):
        raise invalid_parameter(parameter)
    return value


def short_text(value: str, parameter: str, limit: int = 100) -> str:
    value = value.strip()
    if len(value) > limit or CONTROL_RE.search(value):
        raise invalid_parameter(parameter)
    return value


def phone(value: str, parameter: str) -> str:
    """Phone numbers: digits (and a leading +) kept, +1 / leading 1 dropped; 10 digits must remain."""
    text = value.strip()
    digits = ("+" if text.startswith("+") else "") + re.sub(r"[^0-9]", "", text)
    if digits.startswith("+1") and len(digits) == 12:
        digits = digits[2:]
    elif len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if not re.fullmatch(r"[0-9]{10}", digits):
        raise invalid_parameter(parameter)
    return digits


def phones(given: list[str], parameter: str) -> list[str]:
    """A list of phone numbers, normalised; invalid_parameter with every offending value."""
    normalised, offending = [], []
    for value in given:
        try:
            normalised.append(phone(value, parameter))
        except AvidTrakError:
            offending.append(value)
    if offending:
        raise invalid_values(parameter, offending)
    return normalised


def extension(value: str, parameter: str = "extension") -> str:
    """1-10 digits, or "" for none."""
    value = value.strip()
    if value and not re.fullmatch(r"[0-9]{1,10}", value):
        raise invalid_parameter(parameter)
    return value


def choice(value: str, allowed: tuple[str, ...], parameter: str) -> str:
    folded = value.strip().lower()
    if folded not in allowed:
        raise invalid_parameter(parameter)
    return folded


def flag(value: str, parameter: str) -> bool:
    """0/1 flags (recording, enable_email)."""
    if value.strip() not in ("0", "1"):
        raise invalid_parameter(parameter)
    return value.strip() == "1"


def yes_no(value: str, parameter: str = "use_default_first") -> bool:
    return choice(value, ("yes", "no"), parameter) == "yes"


def integer(value: str, parameter: str, low: int = 1, high: int | None = None) -> int:
    text = value.strip()
    if not re.fullmatch(r"[0-9]{1,9}", text) or int(text) < low or (high is not None and int(text) > high):
        raise invalid_parameter(parameter)
    return int(text)


def optional_phone(value: str, parameter: str) -> str:
    return phone(value, parameter) if value.strip() else ""


def domain(value: str, parameter: str = "domain") -> str:
    """Domains: scheme and path stripped, then a plain host name."""
    text = value.strip()
    if not text:
        return ""
    text = re.sub(r"^[A-Za-z][A-Za-z0-9+.-]*://", "", text)
    host = re.split(r"[/?#]", text, maxsplit=1)[0]
    if len(host) > 255 or not DOMAIN_RE.fullmatch(host):
        raise invalid_parameter(parameter)
    return host


def money(value, parameter: str = "amount") -> Decimal:
    """A money amount with at most two decimals (`"25"`, `"-3.50"`), as an exact Decimal."""
    text = str(value).strip()
    if not MONEY_RE.fullmatch(text):
        raise invalid_parameter(parameter)
    try:
        amount = Decimal(text).quantize(CENT)
    except InvalidOperation:
        raise invalid_parameter(parameter) from None
    if abs(amount) > MONEY_LIMIT:
        raise invalid_parameter(parameter)
    return amount


def money_text(amount: Decimal) -> str:
    """Money on the wire: a string with two decimals, `"42.35"`, `"-3.50"`, never `"-0.00"`."""
    amount = Decimal(amount).quantize(CENT)
    if amount == 0:
        amount = Decimal("0.00")
    return f"{amount:.2f}"


def utc_naive(moment: datetime) -> datetime:
    """How times are stored: naive UTC."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def timestamp_text(stored: datetime, tz_name: str) -> str:
    """A stored (naive UTC) time as `YYYY-MM-DD HH:MM:SS` in the server time zone."""
    aware = stored.replace(tzinfo=timezone.utc) if stored.tzinfo is None else stored
    return aware.astimezone(zone(tz_name)).strftime("%Y-%m-%d %H:%M:%S")


def date_range(start_text: str | None, end_text: str | None, tz_name: str,
               now: datetime) -> tuple[datetime | None, datetime | None]:
    """startdate / enddate (YYYY-MM-DD or YYYY-MM-DD HH:MM:SS, in the server time zone) as
    stored times (naive UTC), both inclusive: a date-only start means 00:00:00, a date-only end
    23:59:59. Neither given: yesterday; only a start: up to now; only an end: from the first
    record (None). invalid_date names the parameter; invalid_date_range when start > end."""
    tz = zone(tz_name)

    def read(text: str, name: str, end: bool) -> datetime:
        for layout in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
            try:
                moment = datetime.strptime(text, layout)
            except ValueError:
                continue
            if layout == "%Y-%m-%d" and end:
                moment = moment.replace(hour=23, minute=59, second=59)
            return utc_naive(moment.replace(tzinfo=tz))
        raise invalid_date(name)

    if start_text is None and end_text is None:
        today = now.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
        yesterday = today - timedelta(days=1)
        return (utc_naive(yesterday.replace(tzinfo=tz)),
                utc_naive(yesterday.replace(hour=23, minute=59, second=59, tzinfo=tz)))
    start = None if start_text is None else read(start_text, "startdate", end=False)
    end = utc_naive(now) if end_text is None else read(end_text, "enddate", end=True)
    if start is not None and start > end:
        raise invalid_date_range()
    return start, end


# --- values on fixed statements (kernel.sql.Statement: the driver, without SQLAlchemy's types) ---

def stored_moment(dialect: str, moment: datetime) -> Any:
    """A naive UTC time as SQLAlchemy's DateTime stores it: psycopg adapts the datetime itself,
    SQLite keeps text with microseconds (so stored times compare as text the same either way)."""
    return moment if dialect == "postgresql" else moment.isoformat(" ", "microseconds")


def read_moment(raw: Any) -> datetime:
    """A DateTime column as the driver returns it (SQLite: its text)."""
    return raw if isinstance(raw, datetime) else datetime.fromisoformat(raw)


def stored_money(dialect: str, amount: Decimal) -> Any:
    """Money as SQLAlchemy's Numeric binds it: psycopg takes the Decimal, SQLite a binary float
    (exact again once read back and quantised to cents, see read_money)."""
    return amount if dialect == "postgresql" else float(amount)


def read_money(raw: Any) -> Decimal:
    return Decimal(raw).quantize(CENT)
