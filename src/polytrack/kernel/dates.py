"""Date parsing and formatting for the formats the five APIs use."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = timezone.utc


class DateError(ValueError):
    pass


def zone(name: str | None):
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise DateError(f"unknown time zone: {name}") from exc


def parse_yyyymmdd(value: str | None) -> date:
    """`20200312` -> date(2020, 3, 12)."""
    text = (value or "").strip()
    if not re.fullmatch(r"\d{8}", text):
        raise DateError(f"expected YYYYMMDD, got {value!r}")
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError as exc:
        raise DateError(str(exc)) from exc


_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_YMD_HMS = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$")


def parse_ymd_or_datetime(value: str | None, *, end_of_day: bool = False) -> datetime:
    """`YYYY-MM-DD` (00:00:00, or 23:59:59 with end_of_day) or `YYYY-MM-DD HH:MM[:SS]`; naive."""
    text = (value or "").strip()
    try:
        if m := _YMD.match(text):
            day = date(int(m[1]), int(m[2]), int(m[3]))
            return datetime(day.year, day.month, day.day, 23, 59, 59) if end_of_day else datetime(day.year, day.month, day.day)
        if m := _YMD_HMS.match(text):
            return datetime(int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5]), int(m[6] or 0))
    except ValueError as exc:
        raise DateError(str(exc)) from exc
    raise DateError(f"expected YYYY-MM-DD or YYYY-MM-DD HH:MM:SS, got {value!r}")


def parse_epoch_ms(value: str | None) -> datetime:
    text = (value or "").strip()
    if not re.fullmatch(r"-?\d{1,15}", text):
        raise DateError(f"expected epoch milliseconds, got {value!r}")
    try:
        return datetime.fromtimestamp(int(text) / 1000.0, UTC)
    except (OverflowError, OSError, ValueError) as exc:  # beyond year 9999
        raise DateError(f"epoch milliseconds out of range: {value!r}") from exc


def parse_flexible_timestamp(value: str | None) -> datetime:
    """Device timestamps: unix seconds, unix milliseconds (by magnitude), or ISO 8601."""
    text = (value or "").strip()
    if not text:
        raise DateError("empty timestamp")
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        number = float(text)
        if abs(number) >= 1e11:  # later than 5138 AD in seconds: it is milliseconds
            number /= 1000.0
        try:
            return datetime.fromtimestamp(number, UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise DateError(str(exc)) from exc
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise DateError(f"unrecognised timestamp {value!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def epoch_ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(round(moment.timestamp() * 1000))


def dotnet_roundtrip(moment: datetime) -> str:
    """.NET "o" layout without zone suffix, in UTC: 2024-09-10T09:00:00.0000000."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}0"


def ymd_hms(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def day_start(day: date, tz) -> datetime:
    """Midnight of `day` in zone `tz`, as an aware UTC datetime."""
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)


def days_between(start: date, end: date):
    current = start
    while current < end:
        yield current
        current += timedelta(days=1)
