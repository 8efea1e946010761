"""Failed credentials per address: after `payt.failed_auth_limit` unknown tickets, unknown admin
keys, wrong passwords or dead launch tokens from one address, that address is refused — right
credential or wrong — in PAYT's rate-limit shape, while the same credential works from another
address."""

import pytest
from starlette.testclient import TestClient

from polytrack.app import create_app
from polytrack.kernel.guard import DEFAULT_LIMIT
from tests.payt.opsdata import PASSWORD, login, payt, trackerpro

BLOCKED = [{"reason": "access_denied", "message": "Call rate limit exceeded"}]
NOT_AUTHENTICATED = [{"reason": "user_not_authenticated", "message": "Access to the System denied"}]
GUESSER, OWNER = ("10.1.2.3", 1234), ("10.9.8.7", 4321)


@pytest.fixture
def clients(services):
    """`connect(**knobs)` -> (a client at the guesser's address, one at the owner's), on an app
    built after the knobs were set (the wire reads them once)."""
    opened = []

    def connect(**knobs):
        services.settings.api.update(knobs)
        app = create_app(services=services)
        pair = tuple(TestClient(app, base_url="http://testserver", client=address) for address in (GUESSER, OWNER))
        for client in pair:
            client.__enter__()
            opened.append(client)
        return pair

    yield connect
    for client in opened:
        client.__exit__(None, None, None)


def test_unknown_tickets_block_the_address_not_the_owner(clients, acme):
    guesser, owner = clients()
    ticket = login(owner, acme["boss"])
    for attempt in range(DEFAULT_LIMIT):
        body = payt(guesser, f"00000000-0000-0000-0000-{attempt:012d}", "Group", "GetByTypeID", groupTypeID=3).json()
        assert body["errors"] == NOT_AUTHENTICATED
    assert payt(guesser, ticket, "Group", "GetByTypeID", groupTypeID=3).json()["errors"] == BLOCKED
    assert payt(owner, ticket, "Group", "GetByTypeID", groupTypeID=3).json()["status"] == "ok"


def test_unknown_admin_keys_block_the_address(clients, acme):
    guesser, owner = clients(**{"payt.failed_auth_limit": 5})
    for attempt in range(5):
        assert trackerpro(guesser, f"WRONG-{attempt}", "Vehicle", "GetAllVehiclesForClientID",
                          company="acme").json()["errors"] == NOT_AUTHENTICATED
    call = ("Vehicle", "GetAllVehiclesForClientID")
    assert trackerpro(guesser, acme["admin_key"], *call, company="acme").json()["errors"] == BLOCKED
    assert trackerpro(owner, acme["admin_key"], *call, company="acme", dtm="o").json()["status"] == "ok"


def test_wrong_passwords_block_the_address(clients, acme):
    guesser, owner = clients(**{"payt.failed_auth_limit": 5})
    login_call = {"op": "Authenticate", "subop": "Login", "username": acme["boss"]}
    for attempt in range(5):
        body = guesser.get("/api2.ashx", params={**login_call, "password": f"guess-{attempt}"}).json()
        assert body["errors"] == NOT_AUTHENTICATED
    assert guesser.get("/api2.ashx", params={**login_call, "password": PASSWORD}).json()["errors"] == BLOCKED
    assert login(owner, acme["boss"])


def test_dead_launch_tokens_block_the_address(clients, acme):
    guesser, owner = clients(**{"payt.failed_auth_limit": 3})
    ssid = trackerpro(owner, acme["admin_key"], "Admin", "Register", company="acme", email=acme["boss"],
                      password="new-pass-1").json()["value"]

    def launch_token():
        return trackerpro(owner, acme["admin_key"], "Admin", "Launch", ssid=ssid).json()["value"]
    for attempt in range(3):
        assert guesser.get(f"/view/?authtoken=00000000-0000-0000-0000-{attempt:012d}",
                           follow_redirects=False).status_code == 403
    refused = guesser.get(f"/view/?authtoken={launch_token()}", follow_redirects=False)
    assert refused.status_code == 403 and "Link expired" in refused.text
    assert owner.get(f"/view/?authtoken={launch_token()}", follow_redirects=False).status_code == 303


def test_the_knob_at_zero_turns_the_guard_off(clients, acme):
    guesser, _owner = clients(**{"payt.failed_auth_limit": 0})
    for attempt in range(DEFAULT_LIMIT + 2):
        payt(guesser, f"00000000-0000-0000-0000-{attempt:012d}", "Group", "GetByTypeID", groupTypeID=3)
    ticket = login(guesser, acme["boss"])
    assert payt(guesser, ticket, "Group", "GetByTypeID", groupTypeID=3).json()["status"] == "ok"
