"""Imported categories beyond content categories as analysis objects, through the client: customer
(URM) categories by the visit's customer id (else its device id), product categories by each
product of a hit, media categories by the media, campaign categories by the visit's media code.
Each from the pre-aggregates and the raw hits alike, in filters by its title, listed for the
account and for no other.

The log (2024-06-12, Europe/Berlin), one visit per visitor:
  a  (no customer id)  11:00 home with campaign "news"; 11:05 checkout, an order of shirt + socks, 4 pieces
  b  customer cust-1   11:10 home; 11:12 plays the media "intro"
  c  (no customer id)  11:20 list, viewing the product hat
  d  customer cust-2   11:30 home
"""

import pytest

from polytrack.mapp.client import MappClient, MappError
from tests.mapp.helpers import BLOG, NOW_MS, PATH, SHOP, hit, stored

pytestmark = pytest.mark.usefixtures("services", "world")

T = NOW_MS - 3 * 3_600_000  # 11:00 Berlin
MIN = 60_000
CAMPAIGN_HEAD = ["Action (delete, suggest)", "Advertising Media Title*",
                 "DataSourceType (page, mediacode, action, seo, referrer)", "DataSourceValue*", "Category (Text) – Channel"]
UPLOADS = {
    "customer_categories": [["Customer", "URM – Gender"], ["cust-1", "female"], ["cust-2", ""]],
    # by device id: b's customer id has a value, which wins
    "customer_categories_deid": [["deid", "URM – Gender"], ["c", "male"], ["b", "male"]],
    "product_categories": [["Products", "Category (Text) – Product group"], ["shirt", "Tops"], ["hat", "Accessories"]],
    # a German headline names the same column; product_categories wins for shirt
    "basket_categories": [["Products", "Kategorie (Text) – Product group"], ["socks", "Accessories"], ["shirt", "Other"]],
    "media_categories": [["Media", "Category (Text) – Genre"], ["intro", "Trailer"]],
    "campaigns": [CAMPAIGN_HEAD, ["", "Newsletter June", "mediacode", "news", "E-Mail"]],
}


def send_log(http):
    hit(http, "home", eid="a", at_ms=T, mc="news")
    hit(http, "checkout", eid="a", at_ms=T + 5 * MIN, ba="shirt;socks", co="19.99;5.01", qn="1;3", st="conf")
    hit(http, "home", eid="b", at_ms=T + 10 * MIN, cd="cust-1")
    hit(http, "intro", eid="b", at_ms=T + 12 * MIN, cd="cust-1", mi="intro", mk="play", mt1="10")
    hit(http, "list", eid="c", at_ms=T + 20 * MIN, ba="hat", st="view")
    hit(http, "home", eid="d", at_ms=T + 30 * MIN, cd="cust-2")


@pytest.fixture
def client(http):
    send_log(http)
    client = MappClient(PATH, http=http)
    client.login(SHOP, "alice", "alice-pass", language="en")
    for upload_type, rows in UPLOADS.items():
        assert client.import_data(upload_type, rows) == []
    return client


def rows(client, objects, metrics=("Page Impressions", "Visits"), analysis_filter=None):
    """The rows of one analysis of 2024-06-12, checked to be the same from both sources."""
    config = {"analysisObjects": [{"title": title} for title in objects], "metrics": [{"title": m} for m in metrics],
              "startTime": "2024-06-12", "hideFooters": 1}
    if analysis_filter:
        config["analysisFilter"] = {"filterRules": [
            {"objectTitle": title, "comparator": comparator, "filter": value} for title, comparator, value in analysis_filter]}
    daily, raw = client.analysis(**config), client.analysis(**config, forceRawData=1)
    assert daily["analysisData"] == raw["analysisData"]
    return daily["analysisData"]


def test_each_kind_is_pre_aggregated(client, services):
    for title in ("Gender", "Product group", "Genre", "Channel"):
        rows(client, [title])
    assert stored(services, "SELECT DISTINCT dimension FROM mapp_daily WHERE dimension LIKE '%:%' ORDER BY dimension") == [
        ("campaign:Channel",), ("customer:Gender",), ("media:Genre",), ("product:Product group",)]


def test_imported_columns_are_listed_for_the_account_only(client, http):
    objects = client.objects_and_metrics()["analysisObjects"]
    for title in ("Gender", "Product group", "Genre", "Advertising Media Title", "Channel"):
        assert objects.count(title) == 1
    assert not any(title.startswith("DataSourceType") for title in objects)  # how a media code is recognised
    other = MappClient(PATH, http=http)
    other.login(BLOG, "alice", "alice-pass")
    assert "Gender" not in other.objects_and_metrics()["analysisObjects"]
    with pytest.raises(MappError, match="Unknown analysis object: Gender"):
        other.analysis(analysisObjects=[{"title": "Gender"}], startTime="2024-06-12")


def test_customer_categories_by_customer_id_else_device_id(client):
    assert rows(client, ["Gender"]) == [["", "3", "2"], ["female", "1", "1"], ["male", "1", "1"]]
    # a visit attribute: the filter keeps b's whole visit, its media hit too
    assert rows(client, ["Pages"], ("Page Impressions", "Media Views"), [("gender", "=", "female")]) == [
        ["home", "1", "0"], ["intro", "0", "1"]]


def test_product_categories_count_a_hit_once_per_category(client):
    assert rows(client, ["Product group"], ("Page Impressions", "Visits", "Orders", "Qty")) == [
        ["", "3", "3", "0", "0"], ["Accessories", "2", "2", "1", "4"], ["Tops", "1", "1", "1", "4"]]
    # as a filter, a hit with products in two matching categories still counts once
    assert rows(client, ["Pages"], analysis_filter=[("Product group", "=", "*")]) == [["checkout", "1", "1"], ["list", "1", "1"]]
    assert rows(client, ["Pages"], analysis_filter=[("Product group", "!=", "accessories")]) == [
        ["home", "3", "3"], ["intro", "0", "1"]]
    assert rows(client, ["Product group", "Pages"], analysis_filter=[("Product group", "=", "Tops")]) == [
        ["Tops", "checkout", "1", "1"]]


def test_media_categories_by_the_media(client):
    assert rows(client, ["Genre"], ("Media Views", "Play Duration", "Page Impressions")) == [
        ["Trailer", "1", "10", "0"], ["", "0", "0", "5"]]


def test_campaign_categories_by_the_visits_media_code(client):
    assert rows(client, ["Advertising Media Title*"]) == [["", "3", "3"], ["Newsletter June", "2", "1"]]
    assert rows(client, ["Days", "Channel"]) == [["12.06.2024", "", "3", "3"], ["12.06.2024", "E-Mail", "2", "1"]]
    assert rows(client, ["Pages"], analysis_filter=[("Channel", "=", "e-mail")]) == [["checkout", "1", "1"], ["home", "1", "1"]]


def test_german_titles_and_headlines_name_the_columns(client, http):
    german = MappClient(PATH, http=http)
    german.login(SHOP, "alice", "alice-pass", language="de")
    result = german.analysis(analysisObjects=[{"title": "URM – Gender"}], metrics=[{"title": "Besucher"}],
                             analysisFilter={"filterRules": [{"objectTitle": "Kategorie (Text) – Genre", "comparator": "!=",
                                                              "filter": "Trailer"}]},
                             startTime="2024-06-12")
    assert [column["title"] for column in result["analysisTabHead"]] == ["Gender", "Besucher"]
    assert result["analysisData"] == [["", "2"], ["female", "1"], ["male", "1"], ["-", "4"]]
    assert result["analysisTabFoot"] == [["Gesamt", "4"]]


def test_a_new_upload_moves_the_pre_aggregates(client):
    assert rows(client, ["Gender"]) == [["", "3", "2"], ["female", "1", "1"], ["male", "1", "1"]]
    client.import_data("customer_categories", [["Customer", "URM – Gender"], ["cust-2", "female"]])
    client.import_data("product_categories", [["Products", "Category (Text) – Product group"], ["hat", "Tops"]])
    assert rows(client, ["Gender"]) == [["", "2", "1"], ["female", "2", "2"], ["male", "1", "1"]]
    assert rows(client, ["Product group"]) == [["", "3", "3"], ["Tops", "2", "2"], ["Accessories", "1", "1"]]
