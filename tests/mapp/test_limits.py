"""Request limits (spec §5): per Q3 login (client IP when no login is known), short-term and
long-term windows, the documented answer shape, configuration and switching off."""

import pytest
from starlette.testclient import TestClient

from polytrack.app import create_app
from polytrack.config import Settings
from polytrack.services import Services
from tests.mapp.helpers import OTHER, PATH, RELAXED_LIMITS, SHOP, error_of, login_token, rpc

pytestmark = pytest.mark.usefixtures("services", "world")

SHORT_LIMIT_BODY = {"version": "1.1", "error": {"name": "JSONRPCError", "message": "To many requests (5) within 10 seconds."}, "code": 501}


@pytest.fixture
def limits():
    """Mapp limit settings of a test on top of the vendor's constants (120 per 600 s, 5 per 10 s);
    a test sets its own with `@pytest.mark.parametrize("limits", [{...}])`."""
    return {}


@pytest.fixture
def settings(settings, limits):
    # Settings are read once when the app is built, so they are set here, before it is.
    for name in RELAXED_LIMITS:
        settings.api.pop(name)
    settings.api.update(limits)
    return settings


def test_sixth_request_within_ten_seconds_gets_the_documented_answer(http):
    for _ in range(5):
        assert rpc(http, "getConnectionTest")["result"] == "Connection successful"
    response = http.post(PATH, json={"params": {}, "version": "1.1", "method": "getConnectionTest"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-www-form-urlencoded"
    assert response.json() == SHORT_LIMIT_BODY
    assert list(response.json()) == ["version", "error", "code"]


def test_limit_answer_echoes_id(http):
    for _ in range(5):
        rpc(http, "getConnectionTest")
    assert rpc(http, "getConnectionTest", id=9) == {**SHORT_LIMIT_BODY, "id": 9}


def test_limits_are_per_login_across_methods_and_tokens(http, clock):
    token = login_token(http)  # 1 for alice
    rpc(http, "getAccountList", {"login": "alice", "pass": "alice-pass"})  # 2
    for _ in range(3):  # 3..5, counted for alice through her token
        assert "result" in rpc(http, "getDynamicTimeIntervalList", {"token": token})
    assert rpc(http, "getDynamicTimeIntervalList", {"token": token}) == SHORT_LIMIT_BODY
    assert rpc(http, "logout", {"token": token}) == SHORT_LIMIT_BODY  # the token is still alive
    # bob and anonymous callers are not affected by alice's burst
    assert "result" in rpc(http, "login", {"customerId": OTHER, "login": "bob", "pass": " bob pass "})
    assert "result" in rpc(http, "getConnectionTest")
    # once alice slows down she gets through again, and her token still works
    clock.advance(20)
    assert rpc(http, "logout", {"token": token})["result"] == "1"


def test_wrong_passwords_count_so_guessing_is_throttled(http):
    for _ in range(5):
        assert rpc(http, "login", {"customerId": SHOP, "login": "alice", "pass": "guess"}) == error_of("Authorization failed")
    assert rpc(http, "login", {"customerId": SHOP, "login": "alice", "pass": "alice-pass"}) == SHORT_LIMIT_BODY


@pytest.mark.parametrize("limits", [{
    "mapp.requests_per_period": 8, "mapp.requests_period": 600,
    "mapp.requests_per_period_sec": 5, "mapp.requests_period_sec": 10,
}])
def test_refused_requests_keep_counting_toward_the_long_term_limit(http, clock):
    answers = [rpc(http, "getConnectionTest") for _ in range(8)]
    assert [("result" in a) for a in answers] == [True] * 5 + [False] * 3
    assert answers[-1]["error"]["message"] == "To many requests (5) within 10 seconds."
    clock.advance(30)  # the short window is clear again, the long one holds all 8 attempts
    assert rpc(http, "getConnectionTest")["error"]["message"] == "To many requests (8) within 600 seconds."
    clock.advance(1200)
    assert rpc(http, "getConnectionTest")["result"] == "Connection successful"


@pytest.mark.parametrize("limits", [{
    "mapp.requests_per_period": 1_000_000, "mapp.requests_per_period_sec": 2, "mapp.requests_period_sec": 60,
}])
def test_limits_are_configurable(http):
    assert "result" in rpc(http, "getConnectionTest")
    assert "result" in rpc(http, "getConnectionTest")
    assert rpc(http, "getConnectionTest")["error"]["message"] == "To many requests (2) within 60 seconds."


@pytest.mark.parametrize("limits", [{"mapp.requests_per_period_sec": 0, "mapp.requests_per_period": 0}])
def test_a_zero_limit_switches_that_limit_off(http):
    for _ in range(30):
        assert "result" in rpc(http, "getConnectionTest")


def test_rate_limits_off_in_settings(database_url, engine, clock, world):
    settings = Settings(db=database_url, osmand_port=0, rate_limits=False)  # documented limits, but off
    services = Services.build(settings, engine=engine, clock=clock)
    with TestClient(create_app(services=services)) as http:
        for _ in range(12):
            assert "result" in rpc(http, "login", {"customerId": SHOP, "login": "alice", "pass": "alice-pass"})


def test_anonymous_calls_are_limited_per_client_ip(app, http):
    for _ in range(5):
        rpc(http, "getConnectionTest")
    assert rpc(http, "getConnectionTest") == SHORT_LIMIT_BODY
    elsewhere = TestClient(app, client=("10.0.0.2", 40000))
    assert rpc(elsewhere, "getConnectionTest")["result"] == "Connection successful"


def test_an_account_can_have_its_own_limits(http, admin, clock):
    response = admin.post("/_polytrack/mapp/account-limits", json={"customerId": OTHER, "requestsPerPeriodSec": 0,
                                                                   "requestsPerPeriod": 7})
    assert response.status_code == 201 and response.json() == {
        "customerId": OTHER, "requestsPerPeriod": 7, "requestsPeriod": None, "requestsPerPeriodSec": 0, "requestsPeriodSec": None}
    # bob's calls in OTHER: no short-term limit, 7 per 600 s
    bob = {"customerId": OTHER, "login": "bob", "pass": " bob pass "}
    token = rpc(http, "login", bob)["result"]
    for _ in range(6):
        assert "result" in rpc(http, "getDynamicTimeIntervalList", {"token": token})
    assert rpc(http, "getDynamicTimeIntervalList", {"token": token})["error"]["message"] == "To many requests (7) within 600 seconds."
    # alice's calls in SHOP keep the server's limits
    for _ in range(5):
        rpc(http, "getDynamicTimeIntervalList", {"customerId": SHOP, "login": "alice", "pass": "alice-pass"})
    assert rpc(http, "getConnectionTest", {"login": "alice"}) == SHORT_LIMIT_BODY
    assert admin.post("/_polytrack/mapp/account-limits", json={"customerId": OTHER, "requestsPeriod": -1}).status_code == 400
    assert admin.post("/_polytrack/mapp/account-limits", json={"customerId": "404"}).status_code == 404
