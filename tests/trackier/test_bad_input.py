"""Bad input gets Trackier's error body (the operator routes their {"error": ...}), never a 500:
deep nesting, lone surrogates, NUL characters, huge display ids, values of the wrong type."""

import pytest

from tests.trackier.conftest import error, new_advertiser
from tests.trackier.test_advertisers import stored_users

CONTENT_TYPES = ("application/json", "application/x-www-form-urlencoded", "text/plain", None)


def _post(http, auth, raw: bytes, content_type):
    headers = dict(auth)
    if content_type:
        headers["Content-Type"] = content_type
    return http.post("/api/advertiser", headers=headers, content=raw)


@pytest.mark.parametrize("raw", [
    b"[" * 100_000,                         # never closed: not JSON, and no form either
    b"[" * 100_000 + b"]" * 100_000,        # JSON, nested deeper than any parser goes
    b'{"a":' * 50_000,
], ids=["open", "closed", "objects"])
@pytest.mark.parametrize("content_type", CONTENT_TYPES)
def test_deep_nesting_is_read_as_a_form_without_the_fields(http, services, auth, raw, content_type):
    body = error(_post(http, auth, raw, content_type), 400, 20)
    assert {"name", "email", "password"} <= set(body["data"]["errors"])
    assert stored_users(services) == 0


@pytest.mark.parametrize("field", ["name", "phone", "password"])
@pytest.mark.parametrize("content_type", CONTENT_TYPES)
def test_a_lone_surrogate_makes_the_body_unreadable_json(http, services, auth, field, content_type):
    """No UTF-8 text can carry "\\ud800": the kernel reader refuses the document, and what is not
    JSON is read as form data, as PHP does: the required fields are missing (400/20)."""
    fields = {"name": '"Adv"', "email": '"adv@example.com"', "password": '"s3cret-pass"', "phone": '"123"'}
    fields[field] = '"x\\ud800y"'
    raw = ("{" + ", ".join(f'"{name}": {value}' for name, value in fields.items()) + "}").encode()
    body = error(_post(http, auth, raw, content_type), 400, 20)
    assert set(body["data"]["errors"]) == {"name", "email", "password"}
    assert stored_users(services) == 0


@pytest.mark.parametrize("field", ["name", "email", "phone"])
def test_nul_characters_are_a_parameter_error(http, services, auth, field):
    body = {"name": "Adv", "email": "adv@example.com", "password": "s3cret-pass", field: "a\u0000b@example.com"}
    out = error(http.post("/advertiser", headers=auth, json=body), 400, 20)
    assert set(out["data"]["errors"]) == {field}
    assert stored_users(services) == 0


def test_a_body_over_the_size_limit_is_a_bad_request_after_the_role_check(http, services, network, auth,
                                                                           monkeypatch):
    from polytrack.kernel import params
    from polytrack.trackier import admin as trackier_admin

    advertiser = new_advertiser(http, auth)
    own_key = {"X-Api-Key": trackier_admin.create_api_key(services, network_id=network["_id"], role="advertiser",
                                                          user_id=advertiser["_id"])["key"]}
    monkeypatch.setitem(params.read_body.__kwdefaults__, "max_bytes", 1000)
    error(http.post("/advertiser", headers=auth, content=b"x" * 2000), 400, 30)
    error(http.post("/advertiser", headers=own_key, content=b"x" * 2000), 403, 5)


@pytest.mark.parametrize("ident", ["1234567890123456789", "9" * 19, "1" * 400, "0" * 30])
def test_display_ids_of_any_length_are_ids(http, auth, ident):
    """Once a 501 (the route took ids of at most 18 digits): an id too large to exist is not found."""
    error(http.get(f"/advertiser/{ident}", headers=auth), 404, 31)
    error(http.get(f"/api/advertiser/{ident}/", headers=auth), 404, 31)


# --- the operator routes: {"error": message}, HTTP 400 -----------------------------------------

@pytest.mark.parametrize("body,message", [
    ({"name": "n", "timezone": 1}, "timezone must be a string"),
    ({"name": "n", "currency": ["USD"]}, "currency must be a string"),
    ({"name": 5}, "name must be a string"),
    ({"name": {"first": "n"}}, "name must be a string"),
    ({"name": "n\u0000"}, "name must not contain NUL characters"),
    ({"name": "n" * 256}, "name must be at most 255 characters"),
    ({"name": "n", "timezone": "Europe/\u0000"}, "timezone must not contain NUL characters"),
    ({"name": "n", "live": [True]}, "live must be true or false"),
])
def test_operator_network_fields_of_the_wrong_type(admin, body, message):
    response = admin.post("/_polytrack/trackier/networks", json=body)
    assert response.status_code == 400 and response.json() == {"error": message}


@pytest.mark.parametrize("raw", [b"[" * 100_000, b'{"name": "\\ud800"}', b'{"name": "n", "timezone": "\\udfff"}',
                                 b'{"name": "n"' + b', "x": [' * 10_000])
def test_operator_network_bodies_that_cannot_be_read(admin, raw):
    response = admin.post("/_polytrack/trackier/networks", content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and set(response.json()) == {"error"}


@pytest.mark.parametrize("body,status", [
    ({"role": 5}, 400),
    ({"role": ["network"]}, 400),
    ({"role": "network", "key": 12345}, 400),
    ({"role": "network", "key": {"k": 1}}, 400),
    ({"role": "advertiser", "user_id": {"id": 1}}, 400),
    ({"role": "advertiser", "user_id": True}, 400),
    ({"role": "network", "ips": [{"ip": "10.0.0.1"}]}, 400),
    ({"role": "advertiser", "user_id": 99}, 404),  # a display id as a JSON number is fine
])
def test_operator_api_key_fields_of_the_wrong_type(admin, network, body, status):
    response = admin.post(f"/_polytrack/trackier/networks/{network['_id']}/api-keys", json=body)
    assert response.status_code == status and set(response.json()) == {"error"}, response.text


@pytest.mark.parametrize("network_id", ["%00", "x" * 300, "5dfa0000000000000000ffff%00"])
def test_operator_unknown_network_ids(admin, network_id):
    response = admin.post(f"/_polytrack/trackier/networks/{network_id}/api-keys", json={"role": "network"})
    assert response.status_code == 404 and set(response.json()) == {"error"}
