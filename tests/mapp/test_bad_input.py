"""Bad input gets Mapp's error object at HTTP 200, never a 500 or plain text: lone surrogates,
deep nesting, ids that cannot be written back, NUL characters, bodies over the size limit."""

import json

import pytest

from polytrack.kernel.params import MAX_BODY_BYTES
from tests.mapp.helpers import PATH, SHOP, error_of, login_token, post_in_messages, rpc

pytestmark = pytest.mark.usefixtures("services", "world")

INVALID_REQUEST = error_of("Invalid request")


def post(http, text: str):
    response = http.post(PATH, content=text.encode(), headers={"Content-Type": "application/json"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    return response.json()


# A lone surrogate (`"\ud800"`) is JSON no UTF-8 text can carry: the body cannot be read, so the
# answer has no id, even when the surrogate sits somewhere else than in the id.
@pytest.mark.parametrize("text", [
    '{"method": "\\ud800", "params": {}, "id": 1}',
    '{"method": "getConnectionTest\\udfff", "id": 1}',
    '{"method": "getConnectionTest", "id": "\\ud800"}',
    '{"method": "getConnectionTest", "id": ["a", {"b": "x\\udc00y"}]}',
    '{"method": "login", "params": {"customerId": "%s", "login": "alice\\ud800", "pass": "alice-pass"}, "id": 1}' % SHOP,
    '{"method": "login", "params": {"customerId": "%s", "login": "alice", "pass": "\\udbff"}, "id": 1}' % SHOP,
    '{"method": "getAccountList", "params": {"login": "\\ud800", "pass": "x"}}',
    '{"method": "logout", "params": {"token": "\\ud800"}, "id": 1}',
    '{"method": "getDynamicTimeIntervalList", "params": {"token": "abc\\ud800"}, "id": 1}',
])
def test_a_lone_surrogate_anywhere_is_invalid_request_without_id(http, text):
    assert post(http, text) == INVALID_REQUEST


def test_a_surrogate_pair_is_a_character_not_bad_input(http):
    assert post(http, '{"method": "getConnectionTest", "id": "\\ud83d\\ude00"}')["id"] == "\U0001f600"


@pytest.mark.parametrize("text", [
    "[" * 100_000,
    "[" * 100_000 + "]" * 100_000,
    '{"method": "getConnectionTest", "params": {"a": ' + "[" * 100_000 + "]" * 100_000 + "}}",
    '{"method": "getConnectionTest", "id": ' + '{"a":' * 100_000 + "1" + "}" * 100_000 + "}",
])
def test_deep_nesting_is_invalid_request(http, text):
    assert post(http, text) == INVALID_REQUEST


@pytest.mark.parametrize("opener,closer", [("[", "]"), ('{"a":', "}")])
@pytest.mark.parametrize("depth,echoed", [(1, True), (512, True), (513, False), (1000, False), (1020, False)])
def test_an_id_nested_too_deep_to_write_back_is_left_out(http, opener, closer, depth, echoed):
    # JSON encoders stop at about a thousand levels (fewer on a deep stack): an id nested more
    # than 512 levels is treated as unreadable and answered without, like an unreadable body's.
    request_id = opener * depth + (closer if closer == "]" else "1" + closer) + closer * (depth - 1)
    for method, outcome in (("getConnectionTest", "result"), ("noSuchMethod", "error")):
        answer = post(http, '{"method": "%s", "id": %s}' % (method, request_id))
        assert outcome in answer
        assert ("id" in answer) is echoed
        if echoed:
            assert answer["id"] == json.loads(request_id)


def test_a_nul_in_a_login_or_token_is_refused_like_any_wrong_credential(http):
    assert rpc(http, "login", {"customerId": SHOP, "login": "al\u0000ice", "pass": "alice-pass"}) == error_of("Authorization failed")
    assert rpc(http, "getAccountList", {"login": "\u0000", "pass": "x"}) == error_of("Authorization failed")
    assert rpc(http, "getDynamicTimeIntervalList", {"token": "a\u0000b"}) == error_of("Authorization failed")
    assert rpc(http, "logout", {"token": "a\u0000b"}) == {"version": "1.1", "result": "0"}
    assert rpc(http, "no\u0000Method", id="\u0000") == {**error_of("Unknown method: no\u0000Method"), "id": "\u0000"}
    assert "result" in rpc(http, "getDynamicTimeIntervalList", {"token": login_token(http)})


def test_a_body_declared_over_the_size_limit_is_refused_unread(app):
    # The declared Content-Length alone refuses it (the real limit; test_hot_path lowers it to
    # check bodies that grow past it while they stream in).
    body = b'{"method": "getConnectionTest"}'
    answer = post_in_messages(app, [body], headers=((b"content-length", str(MAX_BODY_BYTES + 1).encode()),))
    assert answer == INVALID_REQUEST
    assert post_in_messages(app, [body])["result"] == "Connection successful"


@pytest.mark.parametrize("body", [b"\xed\xa0\x80", b'{"method": "\xed\xa0\x80"}', b'{"method": "getConnectionTest", "id": "\xff"}'])
def test_bytes_that_are_not_utf8_are_invalid_request(http, body):
    response = http.post(PATH, content=body)
    assert response.status_code == 200 and response.json() == INVALID_REQUEST
