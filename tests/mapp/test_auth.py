"""login, logout, tokens, getAccountList, the token fallback and tenant isolation, over HTTP."""

import re

import pytest

from polytrack.mapp.client import MappError
from tests.mapp.helpers import BLOG, OTHER, SHOP, TOKEN_PATTERN, error_of, login_token, rpc

pytestmark = pytest.mark.usefixtures("services", "world")

AUTH_FAILED = error_of("Authorization failed")


def intervals(http, token):
    return rpc(http, "getDynamicTimeIntervalList", {"token": token})


# --- login -------------------------------------------------------------------------------------

def test_login_returns_documented_token_shape(http):
    body = rpc(http, "login", {"customerId": SHOP, "login": "alice", "pass": "alice-pass", "language": "en"})
    assert list(body) == ["version", "result"]
    assert re.match(TOKEN_PATTERN, body["result"])


@pytest.mark.parametrize("params", [
    {"customerId": SHOP, "login": "alice", "pass": "wrong"},
    {"customerId": SHOP, "login": "nobody", "pass": "alice-pass"},
    {"customerId": "123456789012345", "login": "alice", "pass": "alice-pass"},  # no such account
    {"customerId": OTHER, "login": "alice", "pass": "alice-pass"},  # exists, but not alice's
    {"customerId": SHOP, "login": "ALICE", "pass": "alice-pass"},  # logins are exact
    {"customerId": SHOP, "login": "alice", "pass": "alice-pass "},  # passwords keep their blanks
    {"customerId": SHOP, "login": "alice", "pass": "x" * 100_000},
    {"customerId": SHOP, "login": "a" * 100_000, "pass": "alice-pass"},
])
def test_failed_logins_are_authorization_failed(http, params):
    assert rpc(http, "login", params) == AUTH_FAILED


@pytest.mark.parametrize("params,message", [
    ({"login": "alice", "pass": "alice-pass"}, "Missing parameter: customerId"),
    ({"customerId": SHOP, "pass": "alice-pass"}, "Missing parameter: login"),
    ({"customerId": SHOP, "login": "alice"}, "Missing parameter: pass"),
    ({"customerId": SHOP, "login": "alice", "pass": ""}, "Missing parameter: pass"),
    ({"customerId": "shop", "login": "alice", "pass": "alice-pass"}, "Invalid parameter: customerId"),
    ({"customerId": 1.5, "login": "alice", "pass": "alice-pass"}, "Invalid parameter: customerId"),
    ({"customerId": "9" * 40, "login": "alice", "pass": "alice-pass"}, "Invalid parameter: customerId"),
    ({"customerId": SHOP, "login": {"name": "alice"}, "pass": "alice-pass"}, "Invalid parameter: login"),
    ({"customerId": SHOP, "login": "alice", "pass": ["alice-pass"]}, "Invalid parameter: pass"),
    ({"customerId": SHOP, "login": "alice", "pass": "alice-pass", "language": "xx"}, "Invalid parameter: language"),
])
def test_login_parameter_errors(http, params, message):
    assert rpc(http, "login", params) == error_of(message)


def test_login_accepts_customer_id_as_number_and_blank_padded_fields(http):
    body = rpc(http, "login", {"customerId": int(SHOP), "login": " alice ", "pass": "alice-pass", "language": " DE "})
    assert re.match(TOKEN_PATTERN, body["result"])
    assert intervals(http, body["result"])["result"][0] == {"name": "Heute", "code": "today"}


# --- token lifetime and logout ------------------------------------------------------------------

def test_token_slides_while_used_at_least_hourly_then_expires(http, clock):
    token = login_token(http)
    for _ in range(3):
        clock.advance(3599)
        assert "result" in intervals(http, token)
    clock.advance(3600 * 1.01 + 1)  # idle window + the kernel's 1 % touch-lag grace
    assert intervals(http, token) == AUTH_FAILED
    assert rpc(http, "logout", {"token": token}) == {"version": "1.1", "result": "0"}


def test_several_live_tokens_per_login(http):
    tokens = [login_token(http) for _ in range(4)] + [login_token(http, BLOG)]
    assert len(set(tokens)) == 5
    assert rpc(http, "logout", {"token": tokens[1]})["result"] == "1"
    for token in tokens[:1] + tokens[2:]:
        assert "result" in intervals(http, token)
    assert intervals(http, tokens[1]) == AUTH_FAILED


@pytest.mark.parametrize("params", [{}, {"token": ""}, {"token": "0" * 32 + "_" + "0" * 32}, {"token": 12345},
                                    {"token": ["x"]}, {"token": None}, {"login": "alice", "pass": "alice-pass"}])
def test_logout_without_a_live_token_is_string_zero_never_an_error(http, params):
    assert rpc(http, "logout", params) == {"version": "1.1", "result": "0"}


def test_logout_answers_one_then_zero_and_kills_the_token(http):
    token = login_token(http)
    assert rpc(http, "logout", {"token": f"  {token} "}) == {"version": "1.1", "result": "1"}
    assert rpc(http, "logout", {"token": token}) == {"version": "1.1", "result": "0"}
    assert intervals(http, token) == AUTH_FAILED


def test_client_helpers(client):
    client.login(SHOP, "alice", "alice-pass", language="de")
    assert client.call("getDynamicTimeIntervalList")[1] == {"name": "Gestern", "code": "yesterday"}
    assert client.logout() is True
    with pytest.raises(MappError) as caught:
        client.call("getDynamicTimeIntervalList", token="dead")
    assert caught.value.message == "Authorization failed" and caught.value.code == 501


# --- token methods ------------------------------------------------------------------------------

@pytest.mark.parametrize("token", [None, "", "garbage", 42, {"t": 1}, "0" * 32 + "_" + "0" * 32])
def test_token_methods_need_a_live_token(http, token):
    params = {} if token is None else {"token": token}
    for method in ("getDynamicTimeIntervalList", "getAnalysisObjectsAndMetricsList", "getAnalysisData", "exportData"):
        assert rpc(http, method, params) == AUTH_FAILED


def test_token_methods_accept_customer_id_login_pass_instead(http):
    params = {"customerId": BLOG, "login": "alice", "pass": "alice-pass", "language": "de"}
    assert intervals(http, None) == AUTH_FAILED
    assert rpc(http, "getDynamicTimeIntervalList", params)["result"][0]["name"] == "Heute"
    assert rpc(http, "getDynamicTimeIntervalList", {**params, "pass": "wrong"}) == AUTH_FAILED
    assert rpc(http, "getDynamicTimeIntervalList", {**params, "customerId": OTHER}) == AUTH_FAILED
    assert rpc(http, "getDynamicTimeIntervalList", {"login": "alice", "pass": "alice-pass"}) == error_of("Missing parameter: customerId")
    # a dead token is not rescued by credentials next to it
    assert rpc(http, "getDynamicTimeIntervalList", {**params, "token": "dead"}) == AUTH_FAILED


def test_dynamic_time_interval_list_in_token_language(http):
    english = intervals(http, login_token(http, language="en"))["result"]
    german = intervals(http, login_token(http, language="de"))["result"]
    assert english[:2] == [{"name": "Today", "code": "today"}, {"name": "Yesterday", "code": "yesterday"}]
    assert [i["code"] for i in english] == [i["code"] for i in german]
    assert {"name": "Letzter Monat", "code": "last_month"} in german
    assert all(set(i) == {"name", "code"} for i in english)


def test_language_defaults_to_the_users_profile_and_unknown_ones_fall_back_to_english(http):
    bob = login_token(http, OTHER, "bob", " bob pass ")
    assert intervals(http, bob)["result"][0]["name"] == "Heute"
    alice_fr = login_token(http, language="fr")
    assert intervals(http, alice_fr)["result"][0]["name"] == "Today"


def test_analysis_objects_and_metrics_list(http):
    english = rpc(http, "getAnalysisObjectsAndMetricsList", {"token": login_token(http, language="en")})["result"]
    german = rpc(http, "getAnalysisObjectsAndMetricsList", {"token": login_token(http, language="de")})["result"]
    assert list(english) == ["analysisObjects", "metrics", "customMetrics"]
    assert english["customMetrics"] == [] and german["customMetrics"] == []
    assert {"Pages", "Days", "Months", "Campaigns"} <= set(english["analysisObjects"])
    assert {"Page Impressions", "Visits", "Visitors", "Browsers, Unique", "Bounces"} <= set(english["metrics"])
    assert {"Seiten", "Tage", "Kampagnen"} <= set(german["analysisObjects"])
    assert {"Einstiege", "Ausstiege", "Bestellwert", "Verweildauer (Sekunden)"} <= set(german["metrics"])
    for names in (*english.values(), *german.values()):
        assert names == sorted(names, key=str.casefold)
    assert len(english["metrics"]) == len(german["metrics"])


def test_delete_tv_data_authenticates_with_customer_id_login_and_pass(http):
    params = {"customerId": SHOP, "login": "alice", "pass": "alice-pass",
              "time_start": "2024-01-01 00:00:00", "time_stop": "2024-01-02 00:00:00"}
    assert rpc(http, "deleteTvData", {**params, "customerId": OTHER}) == AUTH_FAILED
    assert rpc(http, "deleteTvData", {"token": login_token(http)}) == error_of("Missing parameter: customerId")
    assert rpc(http, "deleteTvData", params)["result"] == ["Deleting Tv Data initiated"]


# --- getAccountList and tenant isolation --------------------------------------------------------

def test_account_list_shows_only_the_users_accounts(http):
    alice = rpc(http, "getAccountList", {"login": "alice", "pass": "alice-pass"})
    assert alice == {"version": "1.1", "result": [
        {"customerId": SHOP, "title": "Shop"}, {"customerId": BLOG, "title": "Blog"},
    ]}
    bob = rpc(http, "getAccountList", {"login": "bob", "pass": " bob pass "})
    assert bob["result"] == [{"customerId": OTHER, "title": "Other corp"}]


@pytest.mark.parametrize("params,expected", [
    ({"login": "alice", "pass": "bob pass"}, AUTH_FAILED),
    ({"login": "alice"}, error_of("Missing parameter: pass")),
    ({"pass": "alice-pass"}, error_of("Missing parameter: login")),
    ({"login": "alice", "pass": 7}, AUTH_FAILED),
    ({"login": ["alice"], "pass": "alice-pass"}, error_of("Invalid parameter: login")),
])
def test_account_list_credential_errors(http, params, expected):
    assert rpc(http, "getAccountList", params) == expected


def test_account_list_ignores_tokens(http):
    assert rpc(http, "getAccountList", {"token": login_token(http)}) == error_of("Missing parameter: login")


def test_a_login_cannot_enter_an_account_it_was_not_granted(http):
    assert rpc(http, "login", {"customerId": SHOP, "login": "bob", "pass": " bob pass "}) == AUTH_FAILED
    assert rpc(http, "login", {"customerId": OTHER, "login": "alice", "pass": "alice-pass"}) == AUTH_FAILED
    assert rpc(http, "getAnalysisData", {"customerId": SHOP, "login": "bob", "pass": " bob pass "}) == AUTH_FAILED


def test_a_token_stays_bound_to_its_user_and_account(admin):
    token = login_token(admin)
    # a customerId or login sent next to the token changes nothing
    body = rpc(admin, "getDynamicTimeIntervalList", {"token": token, "customerId": OTHER, "login": "bob"})
    assert "result" in body
    calls = admin.get("/_polytrack/calls", params={"api": "mapp", "limit": 1}).json()["calls"]
    assert calls[0]["account"] == f"{SHOP}/alice"
