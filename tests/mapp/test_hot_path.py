"""The hot path of token calls (wire.py on `services.hot`): a worker's held connection sees at
once what another worker or the operator committed, the operation's transaction commits or rolls
back as a whole, and the prebuilt answers are the same bytes the general renderer would give."""

import json

import pytest
from sqlalchemy import delete, func, select
from starlette.testclient import TestClient

from polytrack.app import create_app
from polytrack.config import Settings
from polytrack.kernel.operations import Operation
from polytrack.mapp import catalog, wire
from polytrack.mapp import rpc as mapp_rpc
from polytrack.mapp.operations.base import AUTH_TOKEN, registry
from polytrack.mapp.tables import mapp_accounts, mapp_user_accounts, mapp_users
from polytrack.services import Services
from tests.mapp.helpers import BLOG, PATH, SHOP, error_of, login_token, post_in_messages, rpc

pytestmark = pytest.mark.usefixtures("services", "world")

AUTH_FAILED = error_of("Authorization failed")
SHORT_LIMIT = {"version": "1.1", "error": {"name": "JSONRPCError", "message": "To many requests (5) within 10 seconds."}, "code": 501}


def intervals(http, token):
    return rpc(http, "getDynamicTimeIntervalList", {"token": token})


def worker(settings, engine, clock):
    """An app of its own on the same database, as another Granian worker is: its own held
    connection, its own rate-limit leases."""
    return TestClient(create_app(services=Services.build(settings, engine=engine, clock=clock)))


@pytest.fixture
def other_worker(settings, engine, clock, world):
    with worker(settings, engine, clock) as http:
        yield http


# --- changes committed elsewhere are seen at once -----------------------------------------------

def test_logout_on_one_worker_kills_the_token_on_another_at_once(http, other_worker):
    token = login_token(http)
    assert "result" in intervals(other_worker, token)  # the other worker's connection has read it
    assert rpc(http, "logout", {"token": token})["result"] == "1"
    assert intervals(other_worker, token) == AUTH_FAILED
    assert intervals(http, token) == AUTH_FAILED


def test_lost_access_is_seen_at_once_by_a_warm_connection(http, services):
    shop, blog = login_token(http, SHOP), login_token(http, BLOG)
    assert "result" in intervals(http, shop)
    # the operator takes alice's access to the shop away, through a connection of its own
    with services.transaction() as conn:
        shop_id = select(mapp_accounts.c.id).where(mapp_accounts.c.customer_id == SHOP).scalar_subquery()
        alice_id = select(mapp_users.c.id).where(mapp_users.c.login == "alice").scalar_subquery()
        conn.execute(delete(mapp_user_accounts).where(
            mapp_user_accounts.c.account_id == shop_id, mapp_user_accounts.c.user_id == alice_id,
        ))
    assert intervals(http, shop) == AUTH_FAILED
    assert rpc(http, "getAnalysisObjectsAndMetricsList", {"token": shop}) == AUTH_FAILED
    assert "result" in intervals(http, blog)


def test_a_touch_by_one_worker_keeps_the_token_alive_on_another(http, other_worker, clock):
    token = login_token(http)
    clock.advance(3000)
    assert "result" in intervals(http, token)  # records the use
    clock.advance(3500)  # 6500 s after login, 3500 s after the last use
    assert "result" in intervals(other_worker, token)
    clock.advance(3600 * 1.01 + 1)
    assert intervals(http, token) == AUTH_FAILED
    assert intervals(other_worker, token) == AUTH_FAILED


def test_rate_limit_is_shared_by_workers_on_the_hot_path(database_url, engine, clock):
    documented = Settings(db=database_url, osmand_port=0)  # 5 per 10 s per login
    with worker(documented, engine, clock) as first, worker(documented, engine, clock) as second:
        token = login_token(first)  # 1
        assert "result" in intervals(second, token)  # 2
        assert "result" in intervals(first, token)  # 3
        assert "result" in intervals(second, token)  # 4
        assert "result" in intervals(first, token)  # 5
        assert intervals(second, token) == SHORT_LIMIT
        assert intervals(first, token) == SHORT_LIMIT
        clock.advance(20)
        assert "result" in intervals(second, token)


def test_a_token_of_another_api_is_not_a_mapp_token(http, services):
    # Same table, other api/kind, a subject that is no user id: refused like any unknown token.
    foreign = {"payt": "PAYT-TICKET-0001-NOT-A-NUMBER", "launch": "12"}
    with services.transaction() as conn:
        services.tokens.issue(conn, api="payt", kind="ticket", subject="fleet/ABC", token=foreign["payt"], idle_seconds=3600)
        services.tokens.issue(conn, api="mapp", kind="launch", subject="1", scope=f"{SHOP}:en",
                              token=foreign["launch"], idle_seconds=3600)
    for token in foreign.values():
        assert intervals(http, token) == AUTH_FAILED
        assert rpc(http, "logout", {"token": token}) == {"version": "1.1", "result": "0"}


class _NoEngine:
    """Stands in for the engine where a call must not touch SQLAlchemy at all."""

    def __getattr__(self, name):
        raise AssertionError(f"engine.{name} used on the hot path")


@pytest.mark.parametrize("language", ["en", "de"])
def test_successful_token_calls_need_no_sqlalchemy(http, services, monkeypatch, language):
    token = login_token(http, language=language)
    assert "result" in intervals(http, token)  # the first hit may lease rate-limit slots
    monkeypatch.setattr(services, "engine", _NoEngine())
    for _ in range(3):
        assert "result" in intervals(http, token)
        assert "result" in rpc(http, "getAnalysisObjectsAndMetricsList", {"token": token})
        assert rpc(http, "getConnectionTest")["result"] == "Connection successful"
        assert intervals(http, "dead") == AUTH_FAILED


# --- the operation's transaction ------------------------------------------------------------------

def _account_count(services) -> int:
    with services.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(mapp_accounts)).scalar()


@pytest.fixture
def writing_method(monkeypatch):
    """A token method that stores an account through `call.db` (its transaction), then fails if
    asked to."""

    def handler(call):
        call.db.execute(mapp_accounts.insert().values(customer_id="555", title="t", timezone="UTC", created_at=0))
        if call.params.raw("fail"):
            raise mapp_rpc.not_implemented("writeThenFail")
        return "stored"

    write = Operation("mapp", "write", handler, writes=True, options={"auth": AUTH_TOKEN})
    monkeypatch.setitem(registry._operations, "write", write)


@pytest.mark.usefixtures("writing_method")
def test_a_failing_operation_leaves_nothing_stored(http, services):
    token = login_token(http)
    before = _account_count(services)
    assert rpc(http, "write", {"token": token, "fail": 1}) == error_of("Not implemented yet: writeThenFail")
    assert _account_count(services) == before
    assert rpc(http, "write", {"token": token}) == {"version": "1.1", "result": "stored"}
    assert _account_count(services) == before + 1


# --- answers ------------------------------------------------------------------------------------

@pytest.mark.parametrize("request_id", [7, "abc", None, {"n": [1, 2.5]}, "Größe", "__NO_ID__"])
def test_prebuilt_answers_are_exactly_what_the_renderer_gives(http, request_id):
    token = login_token(http, language="de")
    document = {"method": "getDynamicTimeIntervalList", "params": {"token": token}}
    if request_id != "__NO_ID__":
        document["id"] = request_id
    response = http.post(PATH, json=document)
    expected = {"version": "1.1", "result": [
        {"name": entry.title("de"), "code": entry.key} for entry in catalog.DYNAMIC_TIME_INTERVALS
    ]}
    if request_id != "__NO_ID__":
        expected["id"] = request_id
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.text == json.dumps(expected, separators=(",", ":"), ensure_ascii=False)


def test_token_calls_are_logged_with_caller_and_outcome(admin):
    token = login_token(admin, BLOG)
    intervals(admin, token)
    intervals(admin, "dead")
    calls = admin.get("/_polytrack/calls", params={"api": "mapp", "limit": 2}).json()["calls"]
    assert [(c["operation"], c["account"], c["outcome"]) for c in reversed(calls)] == [
        ("getDynamicTimeIntervalList", f"{BLOG}/alice", "ok"),
        ("getDynamicTimeIntervalList", "", "Authorization failed"),
    ]


# --- reading the body -----------------------------------------------------------------------------

def test_a_body_sent_in_several_messages_is_read_whole(app, http):
    token = login_token(http)
    text = json.dumps({"method": "getDynamicTimeIntervalList", "params": {"token": token}, "id": 1}).encode()
    answer = post_in_messages(app, [text[i:i + 7] for i in range(0, len(text), 7)])
    assert answer["result"][0] == {"name": "Today", "code": "today"} and answer["id"] == 1


def test_bodies_over_the_limit_are_invalid_request_declared_or_streamed(app, http, monkeypatch):
    monkeypatch.setattr(wire, "MAX_BODY_BYTES", 64)
    small = json.dumps({"method": "getConnectionTest"}).encode()
    large = json.dumps({"method": "getConnectionTest", "params": {"pad": "x" * 100}}).encode()
    assert http.post(PATH, content=small).json()["result"] == "Connection successful"
    assert http.post(PATH, content=large).json() == error_of("Invalid request")  # Content-Length says so
    assert post_in_messages(app, [small[:10], small[10:]])["result"] == "Connection successful"
    assert post_in_messages(app, [large[:40], large[40:80], large[80:]]) == error_of("Invalid request")
