"""Admin/Launch and the portal / view / embed pages it opens."""

import re

import pytest

from polytrack.payt import admin as payt_admin
from polytrack.payt.client import PaytApiError, TrackerProClient
from polytrack.payt.launch_pages import SESSION_COOKIE
from tests.payt.opsdata import build_fleet, trackerpro


@pytest.fixture
def acme(services):
    key = payt_admin.create_admin_key(services, name="integrator A")["key"]
    return build_fleet(services, "acme", admin_key=key, prefix="acme")


@pytest.fixture
def tp(http, acme):
    return TrackerProClient("", acme["admin_key"], http=http)


@pytest.fixture
def ssid(tp, acme):
    # Register an existing user again: new password + ssid (this is how integrators obtain it)
    return tp.register("acme", acme["boss"], "new-pass-1")


def test_launch_returns_value_envelope_with_empty_sig(http, acme, ssid):
    body = trackerpro(http, acme["admin_key"], "Admin", "Launch", ssid=ssid).json()
    assert list(body) == ["version", "reqId", "status", "sig", "value"]
    assert body["sig"] == "" and re.fullmatch(r"[0-9A-F-]{36}", body["value"])


def test_unknown_or_missing_ssid(http, acme):
    body = trackerpro(http, acme["admin_key"], "Admin", "Launch", ssid="00000000-0000-0000-0000-000000000000").json()
    assert body["errors"] == [{"reason": "invalid_query", "message": "Unknown ssid"}]
    body = trackerpro(http, acme["admin_key"], "Admin", "Launch").json()
    assert body["errors"] == [{"reason": "invalid_query", "message": "Missing parameter: ssid"}]


def test_superseded_ssid_is_unknown(tp, acme, ssid):
    tp.register("acme", acme["boss"], "again-2")
    with pytest.raises(PaytApiError) as err:
        tp.launch(ssid)
    assert err.value.reason == "invalid_query"


def test_portal_url_consumes_token_once_and_opens_session(http, tp, ssid, acme):
    token = tp.launch(ssid)
    first = http.get(f"/?authtoken={token}", follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == "/view/" and token not in first.headers["location"]
    assert SESSION_COOKIE in first.cookies and first.cookies[SESSION_COOKIE] != token
    page = http.get("/view/")  # the session cookie rides along
    assert page.status_code == 200 and "ACME1 VAN" in page.text
    # the same launch token again: link expired, and the page does not leak data
    http.cookies.clear()
    again = http.get(f"/?authtoken={token}", follow_redirects=False)
    assert again.status_code == 403 and "expired" in again.text.lower() and "ACME1 VAN" not in again.text


def test_view_page_lists_vehicles_and_last_positions_as_svg(http, tp, ssid, acme):
    token = tp.launch(ssid)
    page = http.get(f"/view/?authtoken={token}")  # follows the redirect
    assert page.status_code == 200 and page.url.path == "/view/" and "authtoken" not in str(page.url)
    text = page.text
    for reg in ("ACME1 VAN", "ACME2 VAN", "ACME3 CAR"):
        assert reg in text
    # van1's last position (2024-06-11 09:00 UTC at 51.52, -0.08) and car1's
    assert "2024-06-11 09:00:00 UTC" in text and "51.520000" in text and "-0.080000" in text
    assert "2024-06-10 12:00:00 UTC" in text and "51.450000" in text
    assert "<svg" in text and text.count('class="vehicle"') == 2  # van2 has no position yet
    assert "<polyline" in text
    assert "<script" not in text and "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "default-src 'none'" in page.headers["content-security-policy"]


def test_embed_variant_has_no_chrome_and_may_be_framed(http, tp, ssid):
    token = tp.launch(ssid)
    first = http.get(f"/view/?authtoken={token}&embed=1", follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/view/?embed=1"
    page = http.get(first.headers["location"])
    assert page.status_code == 200 and "<h1>" not in page.text and "ACME1 VAN" in page.text
    assert "frame-ancestors *" in page.headers["content-security-policy"]


def test_restricted_user_page_shows_only_permitted_vehicles(http, tp, acme):
    ssid = tp.register("acme", acme["vans_user"], "vans-pass-1")
    page = http.get(f"/view/?authtoken={tp.launch(ssid)}")
    assert "ACME1 VAN" in page.text and "ACME3 CAR" not in page.text


def test_unused_token_expires_after_five_minutes(http, tp, ssid, clock):
    token = tp.launch(ssid)
    clock.advance(5 * 60 + 1)
    response = http.get(f"/?authtoken={token}", follow_redirects=False)
    assert response.status_code == 403 and "expired" in response.text.lower()


def test_token_within_window_works(http, tp, ssid, clock):
    token = tp.launch(ssid)
    clock.advance(4 * 60)
    assert http.get(f"/?authtoken={token}", follow_redirects=False).status_code == 303


def test_garbage_token_and_no_session(http):
    assert http.get("/?authtoken=", follow_redirects=False).status_code == 403
    assert http.get("/view/?authtoken=<script>", follow_redirects=False).status_code == 403
    response = http.get("/view/")
    assert response.status_code == 403 and "<script>" not in response.text


def test_root_without_authtoken_is_not_claimed(http):
    assert http.get("/").status_code == 404
    assert http.get("/?other=1").status_code == 404


def test_launch_token_is_not_a_ticket_and_session_cookie_is_not_a_token(http, tp, ssid):
    token = tp.launch(ssid)
    body = http.get("/api2.ashx", params={"op": "Group", "subop": "GetByTypeID", "groupTypeID": 3, "ticket": token}).json()
    assert body["errors"][0]["reason"] == "user_not_authenticated"
    response = http.get(f"/?authtoken={token}", follow_redirects=False)
    assert response.status_code == 303  # still valid after the failed misuse above
    session = response.cookies[SESSION_COOKIE]
    assert http.get(f"/?authtoken={session}", follow_redirects=False).status_code == 403


def test_browser_session_idles_out(http, tp, ssid, clock):
    http.get(f"/?authtoken={tp.launch(ssid)}")
    assert http.get("/view/").status_code == 200
    clock.advance(20 * 60 * 1.01 + 1)  # idle window + the kernel's 1 % touch-lag grace
    assert http.get("/view/").status_code == 403


def test_client_launch_urls(tp):
    assert tp.launch_url("T") == "/?authtoken=T"
    assert tp.launch_url("T", "view") == "/view/?authtoken=T"
    assert tp.launch_url("T", "embed") == "/view/?authtoken=T&embed=1"


def test_view_path_is_configurable(services, tp, ssid):
    from starlette.testclient import TestClient

    from polytrack.app import create_app
    services.settings.api["payt.view_path"] = "ui/fleet"
    with TestClient(create_app(services=services), base_url="http://testserver") as other:
        token = TrackerProClient("", "unused", http=other, view_path="/ui/fleet/").launch_url(tp.launch(ssid), "embed")
        first = other.get(token, follow_redirects=False)
        assert first.status_code == 303 and first.headers["location"] == "/ui/fleet/?embed=1"
        assert other.get("/ui/fleet/?embed=1").status_code == 200
        assert other.get("/view/").status_code == 404
