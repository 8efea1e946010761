"""Conversion logs' `query[]` filters are worked out in SQL, paging included: every filter, alone
and combined, page by page, gives exactly the conversions whose shown value is the one asked
for, as a client reading the whole log would pick them."""

from datetime import datetime, timezone

import pytest

from tests.trackier.conftest import new_advertiser, new_affiliate, new_campaign
from tests.trackier.test_tracking import click_id_of

PERIOD = {"start": "2024-06-10", "end": "2024-06-12"}
# click addresses: two IPv4 /24s, IPv6 /48s with and without zero groups to compress
ADDRESSES = ("203.0.113.7", "203.0.113.200", "198.51.100.1", "2001:db8:1::5", "2001:db8::7", "2001:db8:0:4::1")


@pytest.fixture
def conversions(http, auth, network, clock, services):
    """Fourteen conversions of two publishers with varied sub ids, click parameters, addresses,
    goals, sale amounts and statuses."""
    advertiser = new_advertiser(http, auth)
    first, second = new_affiliate(http, auth), new_affiliate(http, auth, email="pub2@example.com", name="Second")
    campaign = new_campaign(http, auth, advertiser["_id"])["campaign"]
    http.post("/goal", headers=auth, json={"goal": {
        "title": "Deposit", "value": "deposit", "type": "public", "ad_id": campaign["_id"], "model": "fixed"},
        "payouts": [{"payout": 4, "revenue": 6.25, "coverage": ["ALL"]}]})
    links = [http.post(f"/network/link/{p['_id']}/{campaign['_id']}", headers=auth, json={}).json()["data"]["link"]
             for p in (first, second)]
    clock.set(datetime(2024, 6, 11, 6, 0, tzinfo=timezone.utc))
    for n in range(14):
        link = links[n % 2]["_id"]
        extra = f"&p1={'ab'[n % 3 % 2]}" if n % 3 else ""
        click = click_id_of(http.get(f"/{link}?ipaddr={ADDRESSES[n % len(ADDRESSES)]}{extra}",
                                     follow_redirects=False))
        clock.advance(30 + 17 * n)
        params = {"click_id": click, "security_token": network["security_token"]}
        if n % 4:
            params["sub1"] = "xy"[n % 4 % 2]
        if n % 5 == 0:
            params["gaid"] = "g-1"
        if n % 3 == 0:
            params.update(goal_value="deposit", sale_amount="12.5" if n % 2 else "0")
        if n % 7 == 3:
            params["status"] = "pending"
        answer = http.get("/acquisition", params=params).json()
        assert answer["success"], answer
    return {"first": first, "campaign": campaign}


def shown(value) -> str:
    """A record's value as the filters compare it: JSON's text of it, blank for null."""
    return "" if value is None else str(value)


def every_record(http, auth, path: str, columns: list[str]) -> list[dict]:
    body = http.get(path, headers=auth, params={**PERIOD, "fields[]": columns, "limit": 1000}).json()
    records = body["records"]
    return list(records.values()) if isinstance(records, dict) else records


def filtered(http, auth, path: str, filters: list[tuple[str, str]], page_size: int) -> tuple[list[str], int]:
    """The ids of every page of the log with these filters, and its count."""
    ids, page = [], 1
    while True:
        params = {**PERIOD, "fields[]": ["_id"], "limit": page_size, "page": page,
                  "query[]": [name for name, _ in filters], **dict(filters)}
        body = http.get(path, headers=auth, params=params).json()
        records = body["records"]
        found = [r["_id"] for r in (records.values() if isinstance(records, dict) else records)]
        ids += found
        if len(found) < page_size:
            return ids, body["count"]
        page += 1


def check(http, auth, path: str, records: list[dict], filters: list[tuple[str, str]]) -> int:
    expected = [r["_id"] for r in records if all(shown(r[name]) == value for name, value in filters)]
    for page_size in (3, 1000):
        assert filtered(http, auth, path, filters, page_size) == (expected, len(expected)), filters
    return len(expected)


COLUMNS = ["_id", "cid", "source", "elapsed_time", "method", "sale", "ipaddr", "clickIp", "p1", "sub1", "sub2",
           "gaid", "payout", "revenue", "type", "status", "campaign_id", "publisher_id", "publisher_name", "goal_name",
           "country", "device", "os", "city", "urlId"]


def test_every_column_filter_matches_what_the_log_shows(http, auth, conversions):
    records = every_record(http, auth, "/network/conversions", COLUMNS)
    assert len(records) == 14
    matched = 0
    for name in COLUMNS[1:]:
        values = {shown(record[name]) for record in records}
        # every value shown, blank, and values the column never shows (other spellings of a number)
        for value in sorted(values | {"", "nothing", "12.50", "1.5e0", "07", "203.0.113.7", "2001:db8::"}):
            matched += check(http, auth, "/network/conversions", records, [(name, value)])
    assert matched > 14 * len(COLUMNS[1:]) // 2  # most values match something


def test_filters_combine_and_page(http, auth, conversions):
    records = every_record(http, auth, "/network/conversions", COLUMNS)
    for filters in ([("sub1", "x"), ("p1", "a")], [("type", "sale"), ("status", "approved")],
                    [("clickIp", "203.0.113.0"), ("sub1", "")], [("payout", "4"), ("sale", "12.5")],
                    [("clickIp", "2001:db8::"), ("gaid", "g-1")], [("publisher_id", str(records[0]["publisher_id"]))]):
        check(http, auth, "/network/conversions", records, filters)
    # 2001:db8::7 and 2001:db8:0:4::1: one /48, written with and without its zero group compressed
    assert check(http, auth, "/network/conversions", records, [("clickIp", "2001:db8::")]) == 4
    assert check(http, auth, "/network/conversions", records, [("clickIp", "2001:db8:1::")]) == 2


def test_the_affiliates_revenue_is_its_payout_and_the_advertiser_cannot_filter_payouts(
        http, auth, conversions, services, network):
    from polytrack.trackier import admin as trackier_admin

    key = trackier_admin.create_api_key(services, network_id=network["_id"], role="affiliate",
                                        user_id=conversions["first"]["_id"])["key"]
    mine = {"X-Api-Key": key}
    own_columns = ["revenue", "click_ip", "region", "goalId", "cref", "brand", "click_ua", "referer", "lat"]
    records = every_record(http, mine, "/affiliate/conversions", ["_id", "payout", *own_columns])
    assert len(records) == 7 and all(r["revenue"] == r["payout"] for r in records)
    for name in own_columns:  # the columns only the affiliate's log has, and its revenue (its payout)
        for value in sorted({shown(record[name]) for record in records} | {"", "6.25", "nothing"}):
            check(http, mine, "/affiliate/conversions", records, [(name, value)])
    assert check(http, mine, "/affiliate/conversions", records, [("revenue", "4"), ("click_ip", "203.0.113.0")])
    advertiser = trackier_admin.create_api_key(services, network_id=network["_id"], role="advertiser",
                                               user_id=conversions["campaign"]["user_id"])["key"]
    answer = http.get("/advertiser/conversion-logs", headers={"X-Api-Key": advertiser},
                      params={**PERIOD, "query[]": "payout", "payout": "123"}).json()
    assert answer["count"] == 14  # not a column of the advertiser's log: not a filter
