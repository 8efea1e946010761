"""Trackier wire rules: path forms, bodies, 405/501, never a 500, rate limit, call log."""

import json

import pytest
from starlette.testclient import TestClient

from polytrack.app import create_app
from tests.trackier.conftest import error, new_advertiser
from tests.trackier.test_advertisers import stored_users

ADVERTISER = {"name": "Body", "email": "body@example.com", "password": "s3cret-pass"}


@pytest.mark.parametrize("path", ["/advertiser", "/advertiser/", "/api/advertiser", "/api/advertiser/"])
def test_every_route_answers_bare_and_under_api_with_or_without_slash(http, auth, path):
    created = new_advertiser(http, auth)
    assert http.get(path, headers=auth).json()["data"]["advertisers"] == [created]
    one = http.get(f"{path.rstrip('/')}/{created['_id']}/", headers=auth)
    assert one.json()["data"]["advertiser"] == created


def test_create_under_api_prefix(http, auth):
    response = http.post("/api/advertiser/", headers=auth, json=ADVERTISER)
    assert response.status_code == 200 and response.json()["data"]["message"] == "Advertiser Added!!"


@pytest.mark.parametrize("content_type", [None, "application/json", "text/plain", "application/x-www-form-urlencoded"])
def test_json_body_read_whatever_the_content_type(http, auth, content_type):
    headers = dict(auth)
    if content_type:
        headers["Content-Type"] = content_type
    response = http.post("/advertiser", headers=headers, content=json.dumps(ADVERTISER).encode())
    assert response.status_code == 200, response.text
    assert response.json()["data"]["user"]["email"] == "body@example.com"


def test_form_body_with_php_style_custom_fields(http, auth):
    form = {**ADVERTISER, "custom_fields[skype]": "adv.skype", "country": "gb"}
    user = http.post("/advertiser", headers=auth, data=form).json()["data"]["user"]
    assert user["meta"] == {"afields": {"skype": "adv.skype"}} and user["country"] == "GB"


def test_multipart_form_body(http, auth):
    response = http.post("/advertiser", headers=auth, data=ADVERTISER, files={"ignored": ("a.txt", b"x")})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["user"]["name"] == "Body"


@pytest.mark.parametrize("raw,code", [
    (b"\xff\xfe\x00garbage", 30),       # neither JSON nor UTF-8 form data
    (b"[1, 2, 3]", 30),                 # JSON, but not an object
    (b"42", 30),
    (b"null", 30),
    (b'{"name": "x", ', 20),            # broken JSON reads as (useless) form data
    (b"just some words", 20),
    (b"name=%%%&email=%ZZ", 20),
])
def test_garbage_bodies_never_500_and_store_nothing(http, services, auth, raw, code):
    for content_type in ("application/json", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
        response = http.post("/advertiser", headers={**auth, "Content-Type": content_type}, content=raw)
        assert response.status_code in (400,), (content_type, response.text)
        assert response.json()["error"]["code"] in (20, 30)
    error(http.post("/advertiser", headers={**auth, "Content-Type": "application/json"}, content=raw), 400, code)
    assert stored_users(services) == 0


@pytest.mark.parametrize("method,path", [
    ("PUT", "/advertiser"), ("DELETE", "/advertiser"), ("PATCH", "/api/advertiser/"),
    ("PUT", "/advertiser/5dfa0000000000000000a001"), ("OPTIONS", "/advertiser"),
])
def test_wrong_method_on_known_path_is_405_code_32(http, auth, method, path):
    response = http.request(method, path, headers=auth)
    body = error(response, 405, 32)
    assert body["error"]["message"] == "Invalid Request Method"
    assert "GET" in response.headers["allow"]


@pytest.mark.parametrize("path", [
    "/advertiser/not-an-id", "/advertiser/5dfa0000000000000000a001/extra", "/api/network/whatever",
    "/campaign/stats", "/api/dict/country", "/advertiser//1",
])
def test_unknown_uri_under_known_prefix_is_501_code_32(http, auth, path):
    error(http.get(path, headers=auth), 501, 32)


def test_paths_outside_trackier_prefixes_are_not_claimed(http, auth):
    for path in ("/api", "/api/", "/api/unknown", "/advertisers", "/click", "/5dfa0000000000000000a001"):
        response = http.get(path, headers=auth)
        assert response.status_code == 404 and "success" not in response.text, path


def test_unexpected_failure_is_500_code_51_without_traceback(http, auth, monkeypatch):
    from polytrack.trackier import domain

    def broken(*_args, **_kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(domain, "list_users", broken)
    response = http.get("/advertiser", headers=auth)
    body = error(response, 500, 51)
    assert body["error"]["message"] == "Server Internal Error"
    assert "disk on fire" not in response.text and "Traceback" not in response.text


def limited_client(services, calls_per_minute: int) -> TestClient:
    """A client of an app built with this limit (the setting is read when the routes are built)."""
    services.settings.api["trackier.calls_per_minute"] = calls_per_minute
    return TestClient(create_app(services=services), base_url="http://testserver")


def test_rate_limit_per_key_is_429_code_40(services, auth, key):
    with limited_client(services, 3) as http:
        for _ in range(3):
            assert http.get("/advertiser", headers=auth).status_code == 200
        response = http.get("/advertiser", headers=auth)
        error(response, 429, 40)
        assert int(response.headers["retry-after"]) > 0
        # refused calls are not run: nothing is created while limited
        error(http.post("/advertiser", headers=auth, json=ADVERTISER), 429, 40)
    assert stored_users(services) == 0


def test_refused_calls_count_and_the_limit_is_per_key(services, network, auth):
    from polytrack.trackier import admin as trackier_admin

    other = {"X-Api-Key": trackier_admin.create_api_key(services, network_id=network["_id"], role="network")["key"]}
    with limited_client(services, 3) as http:
        for _ in range(3):
            assert http.get("/advertiser", headers=auth).status_code == 200
        for _ in range(9):  # hammering a closed door keeps it closed
            error(http.get("/advertiser", headers=auth), 429, 40)
        # another key of the same network has its own allowance
        assert http.get("/advertiser", headers=other).status_code == 200
        # half-way into the next minute the estimate is 12 * 0.5 = 6 calls: still closed (had the
        # refused calls not counted, it would be 3 * 0.5 = 1.5, and open)
        services.clock.advance(90)
        error(http.get("/advertiser", headers=auth), 429, 40)
        services.clock.advance(120)
        assert http.get("/advertiser", headers=auth).status_code == 200


def test_rate_limit_off_when_disabled(services, auth):
    services.limiter.enabled = False  # what settings.rate_limits = False builds
    with limited_client(services, 1) as http:
        for _ in range(3):
            assert http.get("/advertiser", headers=auth).status_code == 200


def test_every_call_is_logged_with_route_template_and_code(admin, auth, services, network):
    admin.get("/advertiser", headers=auth)
    admin.get("/api/advertiser/5dfa0000000000000000ffff", headers=auth)
    admin.get("/advertiser", headers={"X-Api-Key": "wrong"})
    admin.put("/advertiser", headers=auth)
    admin.get("/advertiser/what/ever", headers=auth)
    calls = admin.get("/_polytrack/calls", params={"api": "trackier"}).json()["calls"]
    logged = [(c["operation"], c["outcome"], c["account"]) for c in reversed(calls)]
    account = f"network:{network['_id']}"
    assert logged == [
        ("GET /advertiser", "ok", account),
        ("GET /advertiser/{id}", "31", account),
        ("GET /advertiser", "13", ""),
        ("PUT /advertiser", "32", account),
        ("GET /advertiser/what/ever", "32", account),
    ]
