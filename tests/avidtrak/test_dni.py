"""Dynamic number insertion: set_smart_replacement (JSON and XML), the tracking script, and the
swap endpoint: channel by source, a number per visitor that sticks, least recently displayed
first, metro sites, the universal pool, bad input."""

import pytest

from tests.avidtrak.conftest import FORMATS, as_sent, client, error_of
from tests.avidtrak.test_numbers import buy

pytestmark = pytest.mark.usefixtures("services")

SITE = "4105557000"
PAGE = "https://www.joesplumbing.example/"
VISITOR = "3f6c1d2e-8a4b-4c5d-9e0f-112233445566"


@pytest.fixture
def site(hooks, agency, pro_client):
    """joesplumbing: two gppc numbers, one gseo, one universal; site number 410-555-7000."""
    pin = pro_client["pincode"]
    api = client(hooks, pin)
    buy(hooks, pin, "4105550100", "4105550101", "4105550102", "4105550103")
    api.call("assign_number", sid=["4105550100", "4105550101"], type="gppc")
    api.call("assign_number", sid=["4105550102"], type="gseo")
    api.call("assign_number", sid=["4105550103"], type="universal")
    api.call("set_smart_replacement", action="add", site_phone=["(410) 555-7000"])
    return pin, pro_client["site_key"]


def swap(http, key, vid=VISITOR, url=PAGE, ref="", ts="2024-06-12 10:00:00", **extra):
    return http.get("/dni/swap", params={"k": key, "vid": vid, "url": url, "ref": ref, "ts": ts, **extra})


def swapped(http, key, **kwargs):
    response = swap(http, key, **kwargs)
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == "*"
    return response.json()


@pytest.mark.parametrize("fmt", FORMATS)
def test_set_smart_replacement(http, pro_client, lite_client, fmt):
    api = client(http, pro_client["pincode"], fmt)
    added = api.call("set_smart_replacement", action="add", site_phone=["(410) 555-7000", "800-555-7001"])
    assert added == as_sent({"action": "add", "results": [{"site_phone": "4105557000", "status": "added"},
                                                          {"site_phone": "8005557001", "status": "added"}],
                             "site_phones": ["4105557000", "8005557001"]}, fmt)
    again = api.call("set_smart_replacement", action="add", site_phone="4105557000")
    assert again["results"] == as_sent([{"site_phone": "4105557000", "status": "exists"}], fmt)
    deleted = api.call("set_smart_replacement", action="delete", site_phone=["8005557001", "8005559999"])
    assert deleted == as_sent({"action": "delete", "results": [
        {"site_phone": "8005557001", "status": "deleted"}, {"site_phone": "8005559999", "status": "not_found"}],
        "site_phones": ["4105557000"]}, fmt)
    pin = pro_client["pincode"]
    assert error_of(http, pin, "set_smart_replacement", fmt, action="add")["parameter"] == "site_phone"
    assert error_of(http, pin, "set_smart_replacement", fmt, site_phone="4105557000")["parameter"] == "action"
    assert error_of(http, pin, "set_smart_replacement", fmt, action="swap", site_phone="4105557000")["parameter"] == \
        "action"
    assert error_of(http, pin, "set_smart_replacement", fmt, action="add", site_phone=["1"])["values"] == ["1"]
    assert error_of(http, pin, "set_smart_replacement", fmt, action="delete", site_phone="8005559999")["error"] == \
        "not_found"
    assert error_of(http, pin, "set_smart_replacement", fmt, action="add",
                    site_phone=[f"41055580{n:02d}" for n in range(20)])["max"] == as_sent(20, fmt)
    assert error_of(http, lite_client["pincode"], "set_smart_replacement", fmt)["error"] == "pro_account_required"


def test_track_js(hooks, site):
    _, key = site
    response = hooks.get(f"/{key}/track.js")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/javascript")
    assert response.headers["cache-control"] == "max-age=300"
    assert f'"{key}"' in response.text and '"http://testserver"' in response.text
    for unknown in ("A" * 36, "short", "A" * 35 + "!"):
        missing = hooks.get(f"/{unknown}/track.js")
        assert (missing.status_code, missing.text) == (404, "")


@pytest.mark.parametrize("url,ref,channel,keyword", [
    (PAGE + "?gclid=EAIaIQ&utm_term=emergency+plumber", "https://www.google.com/", "gppc", "emergency plumber"),
    (PAGE + "?utm_source=google&utm_medium=cpc", "", "gppc", "(not provided)"),
    (PAGE + "?msclkid=1", "", "bppc", "(not provided)"),
    (PAGE + "?utm_source=yahoo&utm_medium=ppc&utm_term=drain", "", "yppc", "drain"),
    (PAGE, "https://www.google.co.uk/search?q=leaky+faucet", "gseo", "leaky faucet"),
    (PAGE, "https://www.bing.com/search?q=pipes", "bseo", "pipes"),
    (PAGE, "https://search.yahoo.com/search?p=boiler", "yseo", "boiler"),
    (PAGE, "https://blog.example/best-plumbers", "linksource", "(not provided)"),
    (PAGE, PAGE + "about", "direct", "(not provided)"),
    (PAGE, "", "direct", "(not provided)"),
])
def test_channel_by_source(hooks, site, url, ref, channel, keyword):
    answer = swapped(hooks, site[1], url=url, ref=ref)
    assert (answer["channel"], answer["keyword"]) == (channel, keyword)


def test_numbers_by_channel_sticky_and_rotating(hooks, site):
    _, key = site
    first = swapped(hooks, key, url=PAGE + "?gclid=1")
    assert first["swaps"] == [{"site_number": SITE, "tracking_number": "4105550100",
                               "friendly_name": "(410) 555-0100"}]
    # another visitor gets the least recently displayed gppc number
    other = swapped(hooks, key, vid="visitor-two", url=PAGE + "?gclid=2", ts="2024-06-12 10:01:00")
    assert other["swaps"][0]["tracking_number"] == "4105550101"
    # the first visitor keeps theirs on the next page and in the same visit
    again = swapped(hooks, key, url=PAGE + "contact", ref=PAGE, ts="2024-06-12 10:05:00")
    assert (again["visit_id"], again["swaps"][0]["tracking_number"]) == (first["visit_id"], "4105550100")
    # returning days later (a new visit): the same number while it is still eligible
    back = swapped(hooks, key, url=PAGE + "?gclid=3", ts="2024-06-15 09:00:00")
    assert back["visit_id"] != first["visit_id"] and back["swaps"][0]["tracking_number"] == "4105550100"
    # organic: its own pool; a channel without numbers: the universal pool
    assert swapped(hooks, key, vid="visitor-three", ref="https://www.google.com/")["swaps"][0][
        "tracking_number"] == "4105550102"
    assert swapped(hooks, key, vid="visitor-four", ref="https://www.bing.com/")["swaps"][0][
        "tracking_number"] == "4105550103"


def test_metro_sites_swap_their_own_numbers(hooks, site):
    pin, key = site
    api = client(hooks, pin)
    site_id = api.call("add_metro_site_number", site_number="4105557100", title="Towson",
                       forward_number="4105557199")["site_id"]
    buy(hooks, pin, "4105550104")
    api.call("allocate_metro_number", site_id=site_id, sid=["4105550104"])
    answer = swapped(hooks, key, url=PAGE + "?gclid=1")
    assert {s["site_number"]: s["tracking_number"] for s in answer["swaps"]} == {
        SITE: "4105550100", "4105557100": "4105550104"}


def test_no_eligible_number_no_swap(hooks, agency, pro_client):
    client(hooks, pro_client["pincode"]).call("set_smart_replacement", action="add", site_phone=SITE)
    assert swapped(hooks, pro_client["site_key"])["swaps"] == []


def test_swap_bad_input(hooks, site, services):
    _, key = site
    assert swap(hooks, "A" * 36).status_code == 404
    assert swap(hooks, "A" * 36).json() == {"error": "unknown_site_key"}
    assert (swap(hooks, key, vid="x").status_code, swap(hooks, key, vid="x").json()) == (400, {"error": "invalid_vid"})
    assert swap(hooks, key, ts="yesterday").status_code == 400
    assert swap(hooks, key, callback="alert(1)").status_code == 400
    jsonp = swap(hooks, key, callback="cb", url=PAGE + "\x00\x01?gclid=1")
    assert jsonp.status_code == 200 and jsonp.text.startswith("cb(")
    raw = hooks.get(f"/dni/swap?k={key}&vid={VISITOR}&url=%FF%ED%A0%80&ref=%C0%00&ts=2024-06-12+10:00:00")
    assert raw.status_code == 200
    assert swapped(hooks, key, vid="visitor-broken", url="http://[broken", ref="::::")["channel"] == "direct"


def test_a_swap_for_an_account_deleted_after_its_site_was_read_is_unknown(hooks, site, services, monkeypatch):
    """The site is read (and kept) before the page load is stored: an account deleted in
    between is answered like an unknown key, never a failure, and nothing is stored for it."""
    from sqlalchemy import text

    from polytrack.avidtrak import dni
    from polytrack.avidtrak.site_script import SiteScript

    _, key = site
    stale = dni.site_by_key(services.hot, key)
    monkeypatch.setattr(SiteScript, "_site", lambda self, site_key: stale)
    with services.engine.begin() as connection:
        connection.execute(text("DELETE FROM avidtrak_accounts WHERE id = :id"), {"id": stale.account.id})
    response = swap(hooks, key)
    assert (response.status_code, response.json()) == (404, {"error": "unknown_site_key"})
    with services.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM avidtrak_visits")).scalar_one() == 0
