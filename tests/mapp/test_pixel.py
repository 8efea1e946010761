"""The tracking pixel: GET /<trackId>/wt and POST /<trackId>/batch store hits, always answer a
GIF, count what they could not store for the operator, and derive visits from the hits."""

from urllib.parse import quote

import pytest

from polytrack import cli
from tests.mapp.helpers import BLOG, CHROME, GOOGLEBOT, NOW_MS, OTHER, SHOP, assert_gif, hit, p, stored

pytestmark = pytest.mark.usefixtures("services", "world")

T0 = NOW_MS - 3 * 3_600_000  # 09:00 UTC, 11:00 in the accounts' Europe/Berlin
MIN = 60_000


def pages(services, customer_id=SHOP):
    return stored(services, "SELECT h.page FROM mapp_hits h JOIN mapp_accounts a ON a.id = h.account_id "
                            "WHERE a.customer_id = :c ORDER BY h.time_ms, h.id", c=customer_id)


def visits(services, customer_id=SHOP):
    return stored(services, "SELECT v.visitor, v.start_ms, v.end_ms, v.page_impressions, v.entry_page, v.exit_page, "
                            "v.bounce, v.campaign, v.entry_source FROM mapp_visits v JOIN mapp_accounts a "
                            "ON a.id = v.account_id WHERE a.customer_id = :c ORDER BY v.visitor, v.start_ms", c=customer_id)


def test_a_hit_is_stored_and_answered_with_a_transparent_gif(http, services):
    response = hit(http, "home")
    assert response.headers["pragma"] == "no-cache"
    assert pages(services) == [("home",)]


def test_page_names_keep_commas_and_any_unicode(http, services):
    name = "Über uns, Team & Jobs — 日本語 ✓ 🎉"
    hit(http, name)
    assert pages(services) == [(name,)]
    # the raw form the PHP library sends: empty fixed fields
    assert_gif(http.get(f"/{SHOP}/wt?p=600,{quote('a,b,c', safe='')},,,,,{T0},,,&eid=v2"))
    assert ("a,b,c",) in pages(services)


def test_other_spellings_of_the_pixel(http, services):
    assert_gif(http.get(f"/{SHOP}/wt.pl?p={p('v3 pixel', T0)}&eid=a"))
    assert_gif(http.post(f"/{SHOP}/wt?p={p('posted', T0)}&eid=a"))
    assert_gif(http.post(f"/{SHOP}/wt", content=f"p={p('in the body', T0)}&eid=a"))
    assert_gif(http.get(f"/{SHOP}/wtabc-12?p={p('renamed against ad blockers', T0)}&eid=a"))
    assert sorted(pages(services)) == [("in the body",), ("posted",), ("renamed against ad blockers",), ("v3 pixel",)]


def test_a_batch_holds_one_hit_per_line_and_the_url_parameters_apply_to_each(http, services):
    body = "\n".join([f"wt?p={p('one', T0)}", f"?p={p('two', T0 + MIN)}", f"/{SHOP}/wt?p={p('three', T0 + 2 * MIN)}&eid=own",
                      "", f"p={p('four', T0 + 3 * MIN)}\r"])
    assert_gif(http.post(f"/{SHOP}/batch?eid=common", content=body.encode()))
    assert stored(services, "SELECT page, visitor FROM mapp_hits ORDER BY time_ms") == [
        ("one", "common"), ("two", "common"), ("three", "own"), ("four", "common")]


def test_several_track_ids_record_into_each_account(http, services):
    hit(http, "shared", track_id=f"{SHOP},{BLOG}")
    assert pages(services, SHOP) == [("shared",)] and pages(services, BLOG) == [("shared",)]
    assert pages(services, OTHER) == []


def test_unknown_track_ids_and_unreadable_hits_are_answered_alike_and_counted(http, admin, services):
    assert admin.get("/_polytrack/mapp/rejected-hits").json() == []
    hit(http, "lost", track_id="424242")
    assert_gif(http.get(f"/{SHOP}/wt?eid=no-p"))
    assert_gif(http.get(f"/{SHOP}/wt"))
    assert_gif(http.post(f"/{SHOP}/batch", content=b"garbage\n" + f"wt?p={p('kept', T0)}".encode()))
    assert pages(services) == [("kept",)]
    rejected = {(entry["trackId"], entry["reason"]): entry["count"] for entry in admin.get("/_polytrack/mapp/rejected-hits").json()}
    assert rejected == {("424242", "unknown track id"): 1, (SHOP, "no p parameter"): 3}
    del admin.headers["Authorization"]
    assert admin.get("/_polytrack/mapp/rejected-hits").status_code == 401


def test_a_second_track_id_through_the_operator_api_and_the_cli(admin, http, services, database_url, capsys):
    response = admin.post("/_polytrack/mapp/track-ids", json={"customerId": SHOP, "trackId": "555"})
    assert response.status_code == 201 and response.json() == {"customerId": SHOP, "trackIds": [SHOP, "555"]}
    assert admin.post("/_polytrack/mapp/track-ids", json={"customerId": BLOG, "trackId": "555"}).status_code == 409
    assert admin.post("/_polytrack/mapp/track-ids", json={"customerId": "404", "trackId": "556"}).status_code == 404
    assert admin.post("/_polytrack/mapp/track-ids", json={"customerId": SHOP, "trackId": "abc"}).status_code == 400
    assert cli.main(["admin", "mapp", "add-track-id", "--customer-id", BLOG, "--track-id", "777", "--db", database_url]) == 0
    assert '"777"' in capsys.readouterr().out
    hit(http, "via 555", track_id="555")
    hit(http, "via 777", track_id="777")
    assert pages(services, SHOP) == [("via 555",)] and pages(services, BLOG) == [("via 777",)]


def test_visits_end_after_30_minutes_without_a_hit_or_when_a_session_starts(http, services):
    for page, at in (("home", 0), ("list", 5), ("item", 29)):
        hit(http, page, at_ms=T0 + at * MIN)
    hit(http, "home", at_ms=T0 + 59 * MIN)   # exactly 30 minutes later: a new visit
    hit(http, "home", at_ms=T0 + 61 * MIN, fns="1")
    assert visits(services) == [
        ("v1", T0, T0 + 29 * MIN, 3, "home", "item", False, "", "direct"),
        ("v1", T0 + 59 * MIN, T0 + 59 * MIN, 1, "home", "home", True, "", "direct"),
        ("v1", T0 + 61 * MIN, T0 + 61 * MIN, 1, "home", "home", True, "", "direct"),
    ]
    durations = stored(services, "SELECT page, duration_ms FROM mapp_hits ORDER BY time_ms")
    assert durations == [("home", 5 * MIN), ("list", 24 * MIN), ("item", 30_000), ("home", 30_000), ("home", 30_000)]


def test_a_hit_sent_again_by_a_retry_counts_once(http, services):
    """A library that lost the answer sends the same hit again (same client time, same text,
    later): it is stored but counted once; the same page seen again later is a new hit."""
    hit(http, "home", at_ms=T0)
    hit(http, "list", at_ms=T0 + MIN)
    hit(http, "home", at_ms=T0)           # the retry of the first hit, after the second
    hit(http, "list", at_ms=T0 + 2 * MIN)  # a second view of list: not a retry
    assert visits(services) == [("v1", T0, T0 + 2 * MIN, 3, "home", "list", False, "", "direct")]
    assert stored(services, "SELECT page, visit_id IS NOT NULL FROM mapp_hits ORDER BY id") == [
        ("home", True), ("list", True), ("home", False), ("list", True)]


def test_visitors_by_eid_parameter_cookie_or_address_and_agent(http, services):
    hit(http, "a", eid="param-id")
    http.cookies.set("wt3_eid", "cookie-id")
    hit(http, "b", eid="")
    http.cookies.clear()
    hit(http, "c", eid="")
    hit(http, "d", eid="", at_ms=T0 + MIN)
    rows = stored(services, "SELECT page, visitor FROM mapp_hits ORDER BY page")
    assert rows[:2] == [("a", "param-id"), ("b", "cookie-id")]
    assert rows[2][1] == rows[3][1] and rows[2][1].startswith("h:")


def test_bots_are_stored_but_make_no_visits(http, services):
    hit(http, "home", agent=GOOGLEBOT, eid="bot")
    hit(http, "home", agent="curl/8.5.0", eid="tool")
    hit(http, "home", agent=CHROME, eid="person")
    assert stored(services, "SELECT visitor, bot FROM mapp_hits ORDER BY visitor") == [
        ("bot", True), ("person", False), ("tool", True)]
    assert [row[0] for row in visits(services)] == ["person"]


def test_entry_sources_campaigns_and_search_phrases(http, services):
    hit(http, "a", eid="s", referrer="https://www.google.de/search?q=red+shoes")
    hit(http, "a", eid="c", mc="newsletter.june", at_ms=T0)
    hit(http, "b", eid="c", at_ms=T0 + MIN)
    hit(http, "a", eid="r", referrer="https://news.example.org/story", pu="https://shop.example/a")
    hit(http, "a", eid="i", referrer="https://shop.example/", pu="https://shop.example/a")
    sources = {row[0]: (row[7], row[8]) for row in visits(services)}
    assert sources == {"s": ("", "search"), "c": ("newsletter.june", "campaign"), "r": ("", "referrer"), "i": ("", "direct")}
    assert stored(services, "SELECT search_phrase FROM mapp_hits WHERE visitor = 's'") == [("red shoes",)]


def test_orders_custom_parameters_and_content_groups(http, services):
    hit(http, "checkout", ba="shirt;socks", co="19.99;5.01", qn="1;3", st="conf", oi="o-1",
        cg1="Shop", cg2="Checkout", cg10="deep", cp12="variant b", cs800="logged in", cb563="2.50", ck9="x")
    hit(http, "basket", ba="shirt", co="19.99", st="add", at_ms=T0)
    hit(http, "thanks", ov="1234.5", oi="o-2", at_ms=T0 + MIN)
    assert stored(services, "SELECT page, is_order, order_value_cents, quantity FROM mapp_hits ORDER BY page") == [
        ("basket", False, 0, 0), ("checkout", True, 2500, 4), ("thanks", True, 123450, 0)]
    assert stored(services, "SELECT name, value FROM mapp_hit_params ORDER BY name") == [
        ("cb563", "2.50"), ("cg1", "Shop"), ("cg10", "deep"), ("cg2", "Checkout"), ("ck9", "x"),
        ("cp12", "variant b"), ("cs800", "logged in")]


def test_hits_from_a_client_with_a_wrong_clock_count_when_they_arrive(http, services):
    hit(http, "past", at_ms=NOW_MS - 3 * 86_400_000)
    hit(http, "future", at_ms=NOW_MS + 3_600_000)
    assert stored(services, "SELECT time_ms FROM mapp_hits") == [(NOW_MS,), (NOW_MS,)]
