"""The hot path: key lookup, rate-limit hit and read-only handlers run on the held connection
(services.hot), yet every change another connection or worker commits is seen at once."""

import pytest
from sqlalchemy import event, update
from starlette.testclient import TestClient

from polytrack.app import create_app
from polytrack.kernel.secrets import lookup_digest
from polytrack.services import Services
from polytrack.trackier import admin as trackier_admin
from polytrack.trackier.tables import trackier_api_keys, trackier_networks, trackier_users
from tests.trackier.conftest import error, new_advertiser


def _commit(services, statement):
    """A change committed through the engine's pool, not the hot connection: what an operator
    or another worker process does."""
    with services.transaction() as conn:
        conn.execute(statement)


def _key_row(key):
    return trackier_api_keys.c.key_digest == lookup_digest(key)


@pytest.fixture
def other_worker(settings, engine, clock):
    """A second app with its own services and hot connection on the same database: another worker."""
    services = Services.build(settings, engine=engine, clock=clock)
    with TestClient(create_app(services=services), base_url="http://testserver") as client:
        yield client


def test_key_locked_elsewhere_is_refused_at_once(http, services, auth, key):
    assert http.get("/advertiser", headers=auth).status_code == 200  # the hot connection is warm
    _commit(services, update(trackier_api_keys).where(_key_row(key)).values(live=False))
    error(http.get("/advertiser", headers=auth), 403, 42)
    _commit(services, update(trackier_api_keys).where(_key_row(key)).values(live=True))
    assert http.get("/advertiser", headers=auth).status_code == 200


def test_network_locked_elsewhere_is_refused_at_once(http, services, auth, network):
    assert http.get("/advertiser", headers=auth).status_code == 200
    _commit(services, update(trackier_networks).where(trackier_networks.c.object_id == network["_id"]).values(live=False))
    error(http.get("/advertiser", headers=auth), 403, 42)


def test_key_revoked_elsewhere_is_unknown_at_once(http, services, auth, key):
    assert http.get("/advertiser", headers=auth).status_code == 200
    _commit(services, trackier_api_keys.delete().where(_key_row(key)))
    error(http.get("/advertiser", headers=auth), 401, 13)


def test_whitelist_set_elsewhere_applies_at_once(http, services, auth, key):
    assert http.get("/advertiser", headers=auth).status_code == 200
    _commit(services, update(trackier_api_keys).where(_key_row(key)).values(ip_whitelist='["10.0.0.0/8"]'))
    error(http.get("/advertiser", headers=auth), 403, 41)


@pytest.mark.parametrize("stored", ["not json", '{"ip": "10.0.0.1"}', "null"])
def test_corrupt_whitelist_locks_the_key(http, services, auth, key, stored):
    _commit(services, update(trackier_api_keys).where(_key_row(key)).values(ip_whitelist=stored))
    error(http.get("/advertiser", headers=auth), 403, 41)


def test_advertiser_key_of_a_user_deleted_elsewhere_is_locked(http, services, network, auth):
    advertiser = new_advertiser(http, auth)
    own_key = {"X-Api-Key": trackier_admin.create_api_key(services, network_id=network["_id"], role="advertiser",
                                                          user_id=advertiser["_id"])["key"]}
    error(http.get("/advertiser", headers=own_key), 403, 5)  # authenticated: only the role is wrong
    _commit(services, update(trackier_users).where(trackier_users.c.object_id == advertiser["_id"]).values(deleted=True))
    error(http.get("/advertiser", headers=own_key), 403, 42)


def test_writes_of_another_worker_are_read_at_once(http, other_worker, auth):
    assert http.get("/advertiser", headers=auth).json()["data"]["advertisers"] == []
    created = new_advertiser(other_worker, auth)
    assert http.get("/advertiser", headers=auth).json()["data"]["advertisers"] == [created]
    assert http.get(f"/advertiser/{created['display_id']}", headers=auth).json()["data"]["advertiser"] == created
    # and the other way round
    second = new_advertiser(http, auth, email="second@example.com")
    assert other_worker.get("/advertiser", headers=auth).json()["data"]["advertisers"] == [created, second]


def test_user_deleted_elsewhere_disappears_at_once(http, services, auth):
    created = new_advertiser(http, auth)
    assert http.get(f"/advertiser/{created['_id']}", headers=auth).status_code == 200
    _commit(services, update(trackier_users).where(trackier_users.c.object_id == created["_id"]).values(deleted=True))
    error(http.get(f"/advertiser/{created['_id']}", headers=auth), 404, 31)
    assert http.get("/advertiser", headers=auth).json()["data"]["advertisers"] == []


def test_rendered_users_follow_edits_made_elsewhere(http, services, auth, network):
    """User objects are rendered once and reused; any change to the row or the network's zone
    must show in the next answer."""
    created = new_advertiser(http, auth)
    assert created["created"] == "2024-06-12"  # the frozen clock: 12:00 UTC, 17:30 in Kolkata
    listed = http.get("/advertiser", headers=auth).json()["data"]["advertisers"]
    assert listed == [created]
    _commit(services, update(trackier_users).where(trackier_users.c.object_id == created["_id"]).values(name="Renamed"))
    assert http.get("/advertiser", headers=auth).json()["data"]["advertisers"][0]["name"] == "Renamed"
    one = http.get(f"/advertiser/{created['_id']}", headers=auth).json()["data"]["advertiser"]
    assert one == {**created, "name": "Renamed"}
    # 12:00 UTC is already the next day at UTC+14
    _commit(services, update(trackier_networks).where(trackier_networks.c.object_id == network["_id"])
            .values(timezone="Pacific/Kiritimati"))
    assert http.get("/advertiser", headers=auth).json()["data"]["advertisers"][0]["created"] == "2024-06-13"


def test_reads_use_no_sqlalchemy_statement(http, services, auth):
    """A successful read-only call runs on the hot connection only: no statement through the
    engine (the call log's batch writes aside)."""
    created = new_advertiser(http, auth)
    statements = []

    def record(_conn, _cursor, statement, *_args):
        if "kernel_call_log" not in statement:
            statements.append(statement)

    event.listen(services.engine, "before_cursor_execute", record)
    try:
        for path in ("/api/advertiser", f"/advertiser/{created['_id']}", "/advertiser/1", "/advertiser?limit=1&page=1"):
            assert http.get(path, headers=auth).status_code == 200, path
        error(http.get("/advertiser/5dfa0000000000000000ffff", headers=auth), 404, 31)
        error(http.get("/advertiser", headers={"X-Api-Key": "wrong"}), 401, 13)
    finally:
        event.remove(services.engine, "before_cursor_execute", record)
    assert statements == []


def test_failure_on_the_hot_connection_is_500_code_51(http, services, auth, monkeypatch):
    from polytrack.kernel import hot

    def broken(*_args, **_kwargs):
        raise RuntimeError("connection lost")

    monkeypatch.setattr(hot.HotDB, "run", broken)  # every statement of the held connection
    response = http.get("/advertiser", headers=auth)
    error(response, 500, 51)
    assert "connection lost" not in response.text


def test_query_string_with_undecodable_bytes_is_not_a_500(app, key):
    """Raw (not percent-encoded) non-UTF-8 bytes in the query string are read, not a crash."""
    import asyncio

    async def call():
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
            "path": "/advertiser", "raw_path": b"/advertiser", "root_path": "",
            "query_string": b"apiKey=" + key.encode() + b"&x=\xff", "headers": [(b"host", b"testserver")],
            "client": ("127.0.0.1", 5000), "server": ("testserver", 80),
        }
        sent = []

        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message):
            sent.append(message)

        await app(scope, receive, send)
        return sent

    sent = asyncio.run(call())
    assert sent[0]["status"] == 200, sent
