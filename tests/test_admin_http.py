"""The operator API under /_polytrack/: token, reset, seed, call log."""

import pytest
from sqlalchemy import func, inspect, select
from starlette.routing import Mount

from polytrack.demo import DEMO_ADMIN_TOKEN
from polytrack.kernel.db import import_all_tables, metadata
from polytrack.kernel.tables import kernel_call_log
from tests.conftest import ADMIN_TOKEN


def row_counts(engine) -> dict[str, int]:
    import_all_tables()
    with engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar() for t in metadata.sorted_tables}


def admin_endpoints(app) -> list[tuple[str, str]]:
    """(method, path) of every guarded operator endpoint, the packages' included."""
    found = []

    def walk(routes, prefix):
        for route in routes:
            if isinstance(route, Mount):
                walk(route.routes, prefix + route.path)
            elif prefix.startswith("/_polytrack") and route.path != "/health":
                path = (prefix + route.path).replace("{", "").replace("}", "").replace(":path", "")
                found.extend((method, path) for method in sorted(route.methods or {"GET"}) if method != "HEAD")

    walk(app.routes, "")
    return found


def test_health_is_public(http):
    body = http.get("/_polytrack/health").json()
    assert body["status"] == "ok" and isinstance(body["pid"], int)


def test_every_operator_endpoint_needs_the_token(app, http):
    endpoints = admin_endpoints(app)
    assert ("POST", "/_polytrack/reset") in endpoints and ("GET", "/_polytrack/calls") in endpoints
    assert any(path.startswith("/_polytrack/payt/") for _, path in endpoints)
    for method, path in endpoints:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"X-Admin-Token": "wrong"}, {"Authorization": ADMIN_TOKEN}):
            response = http.request(method, path, headers=headers)
            assert response.status_code == 401, (method, path, headers, response.text)
            assert response.json() == {"error": "admin token missing or wrong"}


def test_both_token_headers_work(http):
    assert http.get("/_polytrack/calls", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).status_code == 200
    assert http.get("/_polytrack/calls", headers={"X-Admin-Token": ADMIN_TOKEN}).status_code == 200


@pytest.fixture
def closed_app(settings, services):
    from starlette.testclient import TestClient

    from polytrack.app import create_app

    services.settings = settings.__class__(**{**settings.__dict__, "admin_token": ""})
    with TestClient(create_app(services=services)) as client:
        yield client


def test_no_configured_token_means_closed(closed_app):
    assert closed_app.get("/_polytrack/calls", headers={"Authorization": "Bearer "}).status_code == 401
    assert closed_app.post("/_polytrack/reset", headers={"X-Admin-Token": ""}).status_code == 401


def test_seed_loads_demo_data_idempotently(admin, services):
    first = admin.post("/_polytrack/seed")
    assert first.status_code == 200 and first.json()["status"] == "ok"
    creds = first.json()["credentials"]
    assert creds["admin"]["token"] == DEMO_ADMIN_TOKEN and {"payt", "mapp", "avidtrak", "trackier"} <= set(creds)
    after_first = row_counts(services.engine)
    assert after_first["payt_users"] >= 1
    assert admin.post("/_polytrack/seed").status_code == 200
    assert row_counts(services.engine) == after_first
    payt = creds["payt"]
    login = admin.get("/api2.ashx", params={"op": "Authenticate", "subop": "Login", "username": payt["username"],
                                            "password": payt["password"]}).json()
    assert login["status"] == "ok"


def test_reset_wipes_every_table_and_keeps_the_schema(admin, services):
    admin.post("/_polytrack/seed")
    admin.get("/api2.ashx", params={"op": "Authenticate", "subop": "Login", "username": "x@y.z", "password": "p"})
    services.calllog.flush()
    before = row_counts(services.engine)
    filled = {name for name, count in before.items() if count}
    for prefix in ("payt_", "mapp_", "avidtrak_", "trackier_", "kernel_"):
        assert any(name.startswith(prefix) for name in filled), f"the demo left every {prefix}* table empty"
    response = admin.post("/_polytrack/reset")
    assert response.status_code == 200 and response.json()["status"] == "ok"
    assert all(count == 0 for count in row_counts(services.engine).values())
    assert set(before) <= set(inspect(services.engine).get_table_names())
    # the sandbox is usable again at once
    assert admin.post("/_polytrack/seed").status_code == 200


def test_reset_only_by_post(admin):
    assert admin.get("/_polytrack/reset").status_code == 405


def test_calls_shows_logged_calls_newest_first(admin):
    for username in ("a@x.example", "b@x.example"):
        admin.get("/api2.ashx", params={"op": "Authenticate", "subop": "Login", "username": username, "password": "p"})
    admin.get("/trackerpro_admin.ashx", params={"key": "nope", "op": "Admin", "subop": "Register"})
    calls = admin.get("/_polytrack/calls").json()["calls"]
    assert [(c["api"], c["operation"], c["outcome"]) for c in calls] == [
        ("trackerpro", "Admin/Register", "user_not_authenticated"),
        ("payt", "Authenticate/Login", "user_not_authenticated"),
        ("payt", "Authenticate/Login", "user_not_authenticated"),
    ]
    assert all(c["duration_ms"] >= 0 and c["at"] > 0 for c in calls)
    only_payt = admin.get("/_polytrack/calls", params={"api": "payt", "limit": "1"}).json()["calls"]
    assert len(only_payt) == 1 and only_payt[0]["api"] == "payt"


@pytest.mark.parametrize("limit", ["abc", "1.5"])
def test_calls_bad_limit_is_400(admin, limit):
    response = admin.get("/_polytrack/calls", params={"limit": limit})
    assert response.status_code == 400 and "limit" in response.json()["error"]


def test_calls_limit_is_clamped(admin, services):
    for i in range(3):
        services.calllog.record(api="x", operation=f"op{i}", account="", outcome="ok", duration_ms=0)
    assert len(admin.get("/_polytrack/calls", params={"limit": "0"}).json()["calls"]) == 1
    assert len(admin.get("/_polytrack/calls", params={"limit": "5000"}).json()["calls"]) == 3


def test_bad_json_body_is_400(admin):
    response = admin.post("/_polytrack/payt/users", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 400 and response.json() == {"error": "body is not valid JSON"}
    response = admin.post("/_polytrack/payt/users", json=[1, 2])
    assert response.status_code == 400 and response.json() == {"error": "body must be a JSON object"}


def test_unknown_operator_path_is_404(admin):
    assert admin.get("/_polytrack/nothing-here").status_code == 404


def test_calls_flushes_the_buffer_first(admin, services):
    services.calllog.record(api="x", operation="buffered", account="", outcome="ok", duration_ms=0)
    assert [c["operation"] for c in admin.get("/_polytrack/calls").json()["calls"]] == ["buffered"]
    with services.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(kernel_call_log)).scalar() == 1


def test_a_form_body_is_read_like_json(admin):
    """curl -d without a JSON content type sends a form; it is read once, not waited for twice."""
    created = admin.post("/_polytrack/trackier/networks", data={"name": "Form Network"})
    assert created.status_code in (200, 201), created.text
    assert admin.post("/_polytrack/trackier/networks", content=b"name=%ZZ\xff",
                      headers={"content-type": "application/x-www-form-urlencoded"}).status_code == 400
