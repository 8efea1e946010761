"""Failed credentials are counted per client address (`mapp.failed_auth_limit` per
`mapp.failed_auth_period`): once an address has failed too often, its authenticated calls are
refused with the documented rate-limit answer, right credentials included, while the same
credentials keep working from any other address."""

import pytest
from starlette.testclient import TestClient

from polytrack.app import create_app
from polytrack.services import Services
from tests.mapp.helpers import BLOG, OTHER, PATH, SHOP, error_of, login_token, rpc

pytestmark = pytest.mark.usefixtures("services", "world")

LIMIT = 5
BLOCKED = {"version": "1.1", "error": {"name": "JSONRPCError", "message": f"To many requests ({LIMIT}) within 600 seconds."},
           "code": 501}
AUTH_FAILED = error_of("Authorization failed")
ALICE = {"customerId": SHOP, "login": "alice", "pass": "alice-pass"}


@pytest.fixture
def knobs():
    return {"mapp.failed_auth_limit": LIMIT}


@pytest.fixture
def settings(settings, knobs):
    settings.api.update(knobs)  # read once, when the app is built
    return settings


@pytest.fixture
def guesser(app):
    with TestClient(app, client=("10.1.2.3", 1234)) as client:
        yield client


@pytest.fixture
def elsewhere(app):
    with TestClient(app, client=("10.9.9.9", 4321)) as client:
        yield client


def intervals(http, token):
    return rpc(http, "getDynamicTimeIntervalList", {"token": token})


def test_wrong_passwords_block_the_address_not_the_login(guesser, elsewhere):
    for _ in range(LIMIT):
        assert rpc(guesser, "login", {**ALICE, "pass": "guess"}) == AUTH_FAILED
    response = guesser.post(PATH, json={"method": "login", "params": ALICE, "version": "1.1", "id": 4})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-www-form-urlencoded"
    assert response.json() == {**BLOCKED, "id": 4}
    # a wrong password gets the same answer: the refusal says nothing about the credential
    assert rpc(guesser, "login", {**ALICE, "pass": "guess"}) == BLOCKED
    assert rpc(guesser, "getAccountList", {"login": "alice", "pass": "alice-pass"}) == BLOCKED
    # alice, calling from elsewhere, goes on
    assert "result" in rpc(elsewhere, "login", ALICE)
    # calls that check no credential still answer
    assert rpc(guesser, "getConnectionTest")["result"] == "Connection successful"


def test_unknown_tokens_block_the_address_live_tokens_included(guesser, elsewhere):
    token = login_token(guesser)
    for attempt in range(LIMIT):
        assert intervals(guesser, f"guess-{attempt}") == AUTH_FAILED
    assert intervals(guesser, token) == BLOCKED
    assert rpc(guesser, "getAnalysisObjectsAndMetricsList", {"token": token}) == BLOCKED
    assert rpc(guesser, "logout", {"token": token}) == BLOCKED
    assert "result" in intervals(elsewhere, token)


def test_every_kind_of_failed_credential_counts(guesser):
    assert rpc(guesser, "getAccountList", {"login": "alice", "pass": "guess"}) == AUTH_FAILED
    assert rpc(guesser, "getAnalysisData", {**ALICE, "login": "nobody"}) == AUTH_FAILED  # instead of a token
    assert rpc(guesser, "deleteTvData", {**ALICE, "pass": "guess"}) == AUTH_FAILED
    assert rpc(guesser, "getCustomReportsList", {"token": "guess"}) == AUTH_FAILED
    assert rpc(guesser, "logout", {"token": "guess"}) == {"version": "1.1", "result": "0"}  # still never an error
    assert rpc(guesser, "login", ALICE) == BLOCKED


def test_what_is_not_a_wrong_credential_does_not_count(guesser):
    for _ in range(2 * LIMIT):
        # the right password for an account alice may not use
        assert rpc(guesser, "login", {**ALICE, "customerId": OTHER}) == AUTH_FAILED
        # no credential at all, or one that is missing a part
        assert rpc(guesser, "getDynamicTimeIntervalList", {}) == AUTH_FAILED
        assert rpc(guesser, "login", {"customerId": SHOP, "login": "alice"}) == error_of("Missing parameter: pass")
        assert rpc(guesser, "logout", {}) == {"version": "1.1", "result": "0"}
        assert rpc(guesser, "noSuchMethod", ALICE) == error_of("Unknown method: noSuchMethod")
    assert "result" in rpc(guesser, "login", {**ALICE, "customerId": BLOG})


def test_a_block_is_shared_by_workers_and_slides_away(guesser, settings, engine, clock):
    for _ in range(LIMIT):
        rpc(guesser, "login", {**ALICE, "pass": "guess"})
    worker = create_app(services=Services.build(settings, engine=engine, clock=clock))
    with TestClient(worker, client=("10.1.2.3", 1234)) as same_address:
        assert rpc(same_address, "login", ALICE) == BLOCKED
    clock.advance(2 * 600)
    # a new worker reads the count afresh (a running one rechecks an address once a second)
    with TestClient(create_app(services=Services.build(settings, engine=engine, clock=clock)),
                    client=("10.1.2.3", 1234)) as later:
        assert "result" in rpc(later, "login", ALICE)


def test_blocked_calls_are_logged_as_such(admin, guesser):
    for _ in range(LIMIT):
        rpc(guesser, "login", {**ALICE, "pass": "guess"})
    rpc(guesser, "login", ALICE)
    calls = admin.get("/_polytrack/calls", params={"api": "mapp", "limit": 2}).json()["calls"]
    assert [(c["operation"], c["outcome"]) for c in reversed(calls)] == [
        ("login", "Authorization failed"), ("login", "Authorization blocked"),
    ]


@pytest.mark.parametrize("knobs", [{}])
def test_the_default_is_twenty_failures_in_ten_minutes(guesser):
    token = login_token(guesser)
    for attempt in range(20):
        assert intervals(guesser, f"guess-{attempt}") == AUTH_FAILED
    assert intervals(guesser, token)["error"]["message"] == "To many requests (20) within 600 seconds."


@pytest.mark.parametrize("knobs", [{"mapp.failed_auth_limit": 0}])
def test_a_zero_limit_switches_the_guard_off(guesser):
    token = login_token(guesser)
    for attempt in range(30):
        assert intervals(guesser, f"guess-{attempt}") == AUTH_FAILED
    assert "result" in intervals(guesser, token)


@pytest.mark.parametrize("knobs", [{"mapp.failed_auth_limit": 2, "mapp.failed_auth_period": 60}])
def test_limit_and_period_are_configurable(guesser):
    for _ in range(2):
        rpc(guesser, "getAccountList", {"login": "alice", "pass": "guess"})
    assert rpc(guesser, "getAccountList", {"login": "alice", "pass": "alice-pass"})["error"]["message"] == (
        "To many requests (2) within 60 seconds.")
