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
