"""Malformed input on /api2.ashx and /trackerpro_admin.ashx gets PAYT's error envelope (HTTP
200), never a 500: bytes that are no UTF-8 in the query or the form, escaped lone surrogates."""

import pytest

NOT_AUTHENTICATED = [{"reason": "user_not_authenticated", "message": "Access to the System denied"}]
INVALID_REQUEST = [{"reason": "invalid_request", "message": "Invalid request"}]
PATHS = ["/api2.ashx", "/trackerpro_admin.ashx"]


@pytest.mark.parametrize("path", PATHS)
def test_an_escaped_lone_surrogate_in_a_query_parameter(http, path):
    # %ED%A0%80 is U+D800 written as UTF-8 would, were it allowed: it reads as U+FFFD
    for credential in ("ticket", "key"):
        response = http.get(f"{path}?op=Group&subop=GetByTypeID&groupTypeID=3&{credential}=%ED%A0%80")
        assert response.status_code == 200 and response.json()["errors"] == NOT_AUTHENTICATED


def test_an_escaped_lone_surrogate_in_the_login(http):
    response = http.get("/api2.ashx?op=Authenticate&subop=Login&username=%ED%A0%80&password=%ED%A0%80x")
    assert response.status_code == 200 and response.json()["errors"] == NOT_AUTHENTICATED


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("body", [b"op=Group&subop=GetByTypeID&ticket=\xed\xa0\x80", b"op=\xff\xfe&subop=x"])
def test_form_bytes_that_are_no_utf8(http, path, body):
    response = http.post(path, content=body, headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200 and response.json() == {"version": "0.6", "status": "error",
                                                                "errors": INVALID_REQUEST}


@pytest.mark.parametrize("path", PATHS)
def test_a_json_body_of_100000_nested_brackets_is_no_form(http, path):
    # PAYT reads forms only: a JSON body is ignored, so the call lacks op and subop
    response = http.post(path, content=b"[" * 100_000, headers={"content-type": "application/json"})
    assert response.status_code == 200 and response.json()["errors"][0]["reason"] == "invalid_request"
