"""The per-account rate limit (not documented by AvidTrak; polytrack's own guard)."""

import pytest

from polytrack.config import Settings
from tests.avidtrak.conftest import call
from tests.conftest import ADMIN_TOKEN

pytestmark = pytest.mark.usefixtures("services")


@pytest.fixture
def settings(database_url):
    return Settings(db=database_url, admin_token=ADMIN_TOKEN, osmand_port=0, api={"avidtrak.calls_per_minute": 3})


def test_rate_limit_per_account_answers_rate_limited(http, admin, clock, agency, pro_client):
    for _ in range(3):
        assert call(http, agency["pincode"], "get_remaining_balance")["code"] == 1
    limited = call(http, agency["pincode"], "get_remaining_balance")
    assert limited == {"code": 0, "status": "Unknown Error",
                       "data": {"error": "rate_limited", "message": "Too many requests, please slow down"}}
    # another account has its own budget
    assert call(http, pro_client["pincode"], "get_remaining_balance")["code"] == 1
    clock.advance(120)
    assert call(http, agency["pincode"], "get_remaining_balance")["code"] == 1


def test_refused_hits_count_against_the_next_window(http, clock, agency):
    # The frozen clock starts on a minute boundary: one window is exactly this minute.
    assert clock.timestamp() % 60 == 0
    for _ in range(3):
        assert call(http, agency["pincode"], "get_remaining_balance")["code"] == 1
    for _ in range(3):
        assert call(http, agency["pincode"], "get_remaining_balance")["data"]["error"] == "rate_limited"
    # Half-way through the next minute the estimate is 6 x 0.5 = 3: still closed. Were the refused
    # hits not counted it would be 3 x 0.5 = 1.5, and the call would pass.
    clock.advance(90)
    assert call(http, agency["pincode"], "get_remaining_balance")["data"]["error"] == "rate_limited"
    clock.advance(120)
    assert call(http, agency["pincode"], "get_remaining_balance")["code"] == 1


def test_limit_read_when_routes_are_built(http, services, agency):
    services.settings.api["avidtrak.calls_per_minute"] = 1000  # too late: the app already runs
    for _ in range(3):
        assert call(http, agency["pincode"], "get_remaining_balance")["code"] == 1
    assert call(http, agency["pincode"], "get_remaining_balance")["data"]["error"] == "rate_limited"
