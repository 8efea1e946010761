"""kernel.dates: the formats the five APIs use; bad input is a DateError, never another error."""

from datetime import date, datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polytrack.kernel import dates
from polytrack.kernel.dates import DateError

UTC = timezone.utc


def test_yyyymmdd():
    assert dates.parse_yyyymmdd(" 20200312 ") == date(2020, 3, 12)


@pytest.mark.parametrize("bad", [None, "", "2020-03-12", "2020031", "202003120", "20201301", "20200230", "abcdefgh"])
def test_yyyymmdd_bad(bad):
    with pytest.raises(DateError):
        dates.parse_yyyymmdd(bad)


def test_ymd_or_datetime():
    assert dates.parse_ymd_or_datetime("2024-6-1") == datetime(2024, 6, 1)
    assert dates.parse_ymd_or_datetime("2024-06-01", end_of_day=True) == datetime(2024, 6, 1, 23, 59, 59)
    assert dates.parse_ymd_or_datetime("2024-06-01 07:05") == datetime(2024, 6, 1, 7, 5)
    assert dates.parse_ymd_or_datetime("2024-06-01T07:05:09") == datetime(2024, 6, 1, 7, 5, 9)


@pytest.mark.parametrize("bad", [None, "", "2024/06/01", "2024-13-01", "2024-06-01 25:00", "2024-06-01 10:61", "yesterday"])
def test_ymd_or_datetime_bad(bad):
    with pytest.raises(DateError):
        dates.parse_ymd_or_datetime(bad)


def test_epoch_ms():
    assert dates.parse_epoch_ms("1718193600000") == datetime(2024, 6, 12, 12, 0, tzinfo=UTC)
    assert dates.parse_epoch_ms("-1000") == datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert dates.epoch_ms(datetime(2024, 6, 12, 12, 0)) == 1718193600000  # naive = UTC


@pytest.mark.parametrize("bad", [None, "", "12.5", "1e3", "abc", "9" * 16, "999999999999999"])
def test_epoch_ms_bad(bad):
    with pytest.raises(DateError):
        dates.parse_epoch_ms(bad)


@pytest.mark.parametrize("text,expected", [
    ("1718193600", datetime(2024, 6, 12, 12, 0, tzinfo=UTC)),
    ("1718193600000", datetime(2024, 6, 12, 12, 0, tzinfo=UTC)),  # milliseconds, by magnitude
    ("1718193600.5", datetime(2024, 6, 12, 12, 0, 0, 500000, tzinfo=UTC)),
    ("2024-06-12T12:00:00Z", datetime(2024, 6, 12, 12, 0, tzinfo=UTC)),
    ("2024-06-12T14:00:00+02:00", datetime(2024, 6, 12, 12, 0, tzinfo=UTC)),
    ("2024-06-12 12:00:00", datetime(2024, 6, 12, 12, 0, tzinfo=UTC)),  # no zone = UTC
])
def test_flexible_timestamp(text, expected):
    assert dates.parse_flexible_timestamp(text) == expected


@pytest.mark.parametrize("bad", [None, "", "  ", "nan", "inf", "12:00", "2024-02-30T00:00:00", "9" * 30, "-" + "9" * 20])
def test_flexible_timestamp_bad(bad):
    with pytest.raises(DateError):
        dates.parse_flexible_timestamp(bad)


@settings(deadline=None)  # a busy CI machine must not turn slowness into failure
@given(st.text(max_size=30))
def test_parsers_raise_only_date_error(text):
    for parse in (dates.parse_yyyymmdd, dates.parse_ymd_or_datetime, dates.parse_epoch_ms, dates.parse_flexible_timestamp):
        try:
            parse(text)
        except DateError:
            pass


def test_formatting():
    moment = datetime(2024, 9, 10, 11, 0, 0, 123456, tzinfo=timezone.utc)
    assert dates.dotnet_roundtrip(moment) == "2024-09-10T11:00:00.1234560"
    assert dates.dotnet_roundtrip(datetime(2024, 9, 10, 9, 0)) == "2024-09-10T09:00:00.0000000"
    assert dates.ymd_hms(datetime(2024, 1, 2, 3, 4, 5)) == "2024-01-02 03:04:05"


def test_zones_and_days():
    london = dates.zone("Europe/London")
    assert dates.day_start(date(2024, 6, 12), london) == datetime(2024, 6, 11, 23, 0, tzinfo=UTC)
    assert dates.zone(None) is UTC and dates.zone("") is UTC
    with pytest.raises(DateError):
        dates.zone("Mars/Olympus")
    with pytest.raises(DateError):
        dates.zone("../etc/passwd")
    assert list(dates.days_between(date(2024, 2, 28), date(2024, 3, 2))) == [date(2024, 2, 28), date(2024, 2, 29), date(2024, 3, 1)]
    assert list(dates.days_between(date(2024, 3, 2), date(2024, 3, 1))) == []
