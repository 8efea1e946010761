"""The lenient readers every Mapp method uses for its params (spec §1.4)."""

from datetime import datetime

import pytest

from polytrack.mapp import catalog
from polytrack.mapp.rpc import Params, RpcError


def message_of(read):
    with pytest.raises(RpcError) as caught:
        read()
    return caught.value.message


@pytest.mark.parametrize("value,expected", [
    (10000, 10000), ("10000", 10000), (" 25 ", 25), (1000000.0, 1000000), ("-3", -3), ([5], 5), ("+7", 7),
])
def test_integer_accepts_the_spellings_clients_send(value, expected):
    assert Params({"rowLimit": value}).integer("rowLimit") == expected


@pytest.mark.parametrize("value", ["ten", "1.5", 1.5, True, {"n": 1}, [1, 2], "9" * 40, float("nan"), float("inf")])
def test_integer_rejects_the_rest(value):
    assert message_of(lambda: Params({"rowLimit": value}).integer("rowLimit")) == "Invalid parameter: rowLimit"


def test_integer_defaults_required_and_bounds():
    assert Params({}).integer("startRow", 1) == 1
    assert Params({"startRow": ""}).integer("startRow", 1) == 1
    assert message_of(lambda: Params({}).integer("startRow", required=True)) == "Missing parameter: startRow"
    assert message_of(lambda: Params({"startRow": 0}).integer("startRow", minimum=1)) == "Invalid parameter: startRow"
    assert message_of(lambda: Params({"n": 31}).integer("n", maximum=30)) == "Invalid parameter: n"


@pytest.mark.parametrize("value,expected", [
    (1, True), (0, False), ("1", True), ("0", False), (True, True), (False, False), ("true", True),
    ("FALSE", False), ([1], True), (["0"], False), ([True], True), (None, False), ("", False), (1.0, True),
])
def test_bool01_accepts_ints_strings_booleans_and_one_element_lists(value, expected):
    assert Params({"hideFooters": value}).bool01("hideFooters") is expected


@pytest.mark.parametrize("value", [2, "yes", [1, 1], [], {"x": 1}, -1])
def test_bool01_rejects_the_rest(value):
    assert message_of(lambda: Params({"hideFooters": value}).bool01("hideFooters")) == "Invalid parameter: hideFooters"


def test_bool01_default_when_missing():
    assert Params({}).bool01("hideFooters", default=True) is True


def test_dates_with_and_without_time():
    params = Params({"startTime": "2021-04-14", "stopTime": "2021-04-14", "at": "2010-12-21 08:30:05"})
    assert params.date_time("startTime") == datetime(2021, 4, 14, 0, 0, 0)
    assert params.date_time("stopTime", end_of_day=True) == datetime(2021, 4, 14, 23, 59, 59)
    assert params.date_time("at") == datetime(2010, 12, 21, 8, 30, 5)
    assert params.date_time("missing") is None


@pytest.mark.parametrize("value", ["2021-02-30", "14.04.2021", "yesterday", 20210414, "2021-04-14 25:00:00"])
def test_bad_dates_are_invalid_parameters(value):
    assert message_of(lambda: Params({"startTime": value}).date_time("startTime")) == "Invalid parameter: startTime"


def test_text_digits_and_language():
    params = Params({"login": "  alice ", "pass": " p ", "customerId": 111111111111111, "language": "DE", "n": 1.5})
    assert params.text("login") == "alice"
    assert params.text("pass", strip=False) == " p "
    assert params.digits("customerId") == "111111111111111"
    assert params.language() == "de"
    assert message_of(lambda: params.text("n")) == "Invalid parameter: n"
    assert message_of(lambda: Params({"customerId": "12a"}).digits("customerId")) == "Invalid parameter: customerId"
    assert message_of(lambda: Params({"language": "xx"}).language()) == "Invalid parameter: language"
    assert message_of(lambda: Params({"login": "  "}).text("login", required=True)) == "Missing parameter: login"


def test_catalog_titles_resolve_in_any_language_and_case():
    assert catalog.find("Seiten", catalog.ANALYSIS_OBJECTS).key == "pages"
    assert catalog.find("pages", catalog.ANALYSIS_OBJECTS).key == "pages"
    assert catalog.find("Verweildauer (Sekunden)", catalog.METRICS).key == "duration_seconds"
    assert catalog.find("Werbemittel", catalog.ANALYSIS_OBJECTS).key == "campaigns"
    assert catalog.find("Visits *", catalog.METRICS) is None  # `*` is literal in titles
    assert catalog.find("Tage", catalog.ANALYSIS_OBJECTS).time is True
