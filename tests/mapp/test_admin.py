"""Provisioning over /_polytrack/mapp/ and `polytrack admin mapp ...`, and the demo data."""

import json
import re
import shlex

import pytest

from polytrack import cli
from polytrack.mapp import demo as mapp_demo
from tests.mapp.helpers import PATH, TOKEN_PATTERN, error_of, rpc

pytestmark = pytest.mark.usefixtures("services")


def test_admin_endpoints_need_the_operator_token(http):
    assert http.post("/_polytrack/mapp/accounts", json={"title": "X"}).status_code == 401
    assert http.post("/_polytrack/mapp/users", json={}, headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_create_account_generates_a_15_digit_id(admin):
    response = admin.post("/_polytrack/mapp/accounts", json={"title": "Magazine"})
    assert response.status_code == 201
    body = response.json()
    assert re.fullmatch(r"[1-9]\d{14}", body["customerId"]) and body["title"] == "Magazine"
    assert body["timezone"] == "Europe/Berlin"


@pytest.mark.parametrize("payload,status", [
    ({}, 400),
    ({"title": "  "}, 400),
    ({"title": "x" * 256}, 400),
    ({"title": "X", "customerId": "12a"}, 400),
    ({"title": "X", "customerId": "1" * 33}, 400),
    ({"title": "X", "timezone": "Mars/Olympus"}, 400),
    ({"title": ["X"]}, 400),
])
def test_create_account_bad_input(admin, payload, status):
    response = admin.post("/_polytrack/mapp/accounts", json=payload)
    assert response.status_code == status and "error" in response.json()


def test_duplicate_account_is_a_conflict(admin):
    assert admin.post("/_polytrack/mapp/accounts", json={"title": "A", "customerId": "123"}).status_code == 201
    assert admin.post("/_polytrack/mapp/accounts", json={"title": "B", "customerId": 123}).status_code == 409


def test_users_and_grants_decide_what_login_can_reach(admin):
    admin.post("/_polytrack/mapp/accounts", json={"title": "One", "customerId": "111"})
    admin.post("/_polytrack/mapp/accounts", json={"title": "Two", "customerId": "222"})
    created = admin.post("/_polytrack/mapp/users", json={"login": "carol", "pass": "c-pass", "customerIds": ["111"]})
    assert created.status_code == 201
    assert created.json() == {"login": "carol", "language": "en", "customerIds": ["111"]}
    credentials = {"login": "carol", "pass": "c-pass"}
    assert rpc(admin, "login", {**credentials, "customerId": "222"}) == error_of("Authorization failed")

    granted = admin.post("/_polytrack/mapp/grants", json={"login": "carol", "customerIds": ["222"]})
    assert granted.status_code == 201 and granted.json()["customerIds"] == ["111", "222"]
    assert admin.post("/_polytrack/mapp/grants", json={"login": "carol", "customerId": "222"}).json()["customerIds"] == ["111", "222"]
    assert re.match(TOKEN_PATTERN, rpc(admin, "login", {**credentials, "customerId": "222"})["result"])
    assert [a["customerId"] for a in rpc(admin, "getAccountList", credentials)["result"]] == ["111", "222"]


@pytest.mark.parametrize("payload,status", [
    ({"pass": "p", "customerIds": []}, 400),
    ({"login": "dave", "customerIds": []}, 400),
    ({"login": "dave", "pass": "p", "language": "tlh"}, 400),
    ({"login": "dave", "pass": "p", "customerIds": [{"id": 1}]}, 400),
    ({"login": "dave", "pass": "p", "customerIds": ["404"]}, 404),
])
def test_create_user_bad_input_stores_nothing(admin, payload, status):
    response = admin.post("/_polytrack/mapp/users", json=payload)
    assert response.status_code == status and "error" in response.json()
    # nothing half-created: the same login can still be created properly
    assert admin.post("/_polytrack/mapp/users", json={"login": "dave", "pass": "p"}).status_code == 201


def test_duplicate_login_and_bad_grants(admin):
    assert admin.post("/_polytrack/mapp/users", json={"login": "erin", "pass": "p"}).status_code == 201
    assert admin.post("/_polytrack/mapp/users", json={"login": "erin", "pass": "q"}).status_code == 409
    assert admin.post("/_polytrack/mapp/grants", json={"login": "nobody", "customerIds": ["1"]}).status_code == 404
    assert admin.post("/_polytrack/mapp/grants", json={"login": "erin"}).status_code == 400
    assert admin.post("/_polytrack/mapp/grants", json={"login": "erin", "customerIds": ["999"]}).status_code == 404
    assert admin.post("/_polytrack/mapp/grants", content=b"{not json", headers={"Content-Type": "application/json"}).status_code == 400


def test_cli_create_account_user_and_grant(http, database_url, capsys):
    assert cli.main(["admin", "mapp", "create-account", "--title", "CLI shop", "--customer-id", "777000000000001", "--db", database_url]) == 0
    assert json.loads(capsys.readouterr().out)["customerId"] == "777000000000001"
    assert cli.main(["admin", "mapp", "create-account", "--title", "CLI blog", "--db", database_url]) == 0
    generated = json.loads(capsys.readouterr().out)["customerId"]
    assert cli.main(["admin", "mapp", "create-user", "--login", "frank", "--pass", "f-pass",
                     "--customer-id", "777000000000001", "--language", "de", "--db", database_url]) == 0
    capsys.readouterr()
    assert cli.main(["admin", "mapp", "grant", "--login", "frank", "--customer-id", generated, "--db", database_url]) == 0
    assert sorted(json.loads(capsys.readouterr().out)["customerIds"]) == sorted(["777000000000001", generated])

    accounts = rpc(http, "getAccountList", {"login": "frank", "pass": "f-pass"})["result"]
    assert {a["title"] for a in accounts} == {"CLI shop", "CLI blog"}
    token = rpc(http, "login", {"customerId": generated, "login": "frank", "pass": "f-pass"})["result"]
    assert rpc(http, "getDynamicTimeIntervalList", {"token": token})["result"][0]["name"] == "Heute"


def test_cli_errors_exit_2_with_a_message(database_url, capsys):
    assert cli.main(["admin", "mapp", "create-account", "--title", "X", "--customer-id", "5", "--db", database_url]) == 0
    assert cli.main(["admin", "mapp", "create-account", "--title", "Y", "--customer-id", "5", "--db", database_url]) == 2
    assert "already exists" in capsys.readouterr().err
    assert cli.main(["admin", "mapp", "grant", "--login", "ghost", "--customer-id", "5", "--db", database_url]) == 2


def test_demo_seed_is_idempotent_and_its_credentials_work(http, services):
    for _ in range(2):
        with services.transaction() as conn:
            mapp_demo.seed(services, conn)
    creds = mapp_demo.credentials("http://testserver")["mapp"]
    assert creds == {"url": "http://testserver/cgi-bin/wt/JSONRPC.cgi", "login": "demo", "pass": "demo-pass",
                     "customerId": "111111111111111", "track_id": "111111111111111",
                     "pixel_url": "http://testserver/111111111111111/wt"}
    accounts = rpc(http, "getAccountList", {"login": creds["login"], "pass": creds["pass"]})["result"]
    assert accounts == [{"customerId": "111111111111111", "title": "Demo shop"},
                        {"customerId": "222222222222222", "title": "Demo blog"}]


def test_demo_curl_example_is_a_working_login(http, services):
    with services.transaction() as conn:
        mapp_demo.seed(services, conn)
    base = "http://testserver"
    (line,) = mapp_demo.curl_examples(base, mapp_demo.credentials(base))
    words = shlex.split(line)
    assert words[:2] == ["curl", "-s"] and words[2] == base + PATH and words[3] == "-d"
    # curl -d sends this body as application/x-www-form-urlencoded
    response = http.post(words[2], content=words[4].encode(), headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert re.match(TOKEN_PATTERN, response.json()["result"])
