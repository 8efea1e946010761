"""Time-dependent category uploads (content_categories_time, basket_categories_time,
campaigns_time) as analysis objects, through the client: a hit takes the value valid at its
time (a campaign's at its visit's start), from the pre-aggregates and the raw hits alike.

The log (2024-06-12, Europe/Berlin), one visit per visitor:
  a  11:00 home with campaign "news"; 11:05 checkout, an order of shirt + socks
  b  11:10 home
  c  11:20 list, viewing the product hat
  d  11:30 home
"""

import pytest

from polytrack.mapp.client import MappClient, MappError
from tests.mapp.helpers import NOW_MS, PATH, SHOP, hit, stored
from tests.mapp.test_categories import rows

pytestmark = pytest.mark.usefixtures("services", "world")

T = NOW_MS - 3 * 3_600_000  # 11:00 Berlin
MIN = 60_000
UPLOADS = {
    # home: "Summer" since June, "Sale" from 11:15 on the 12th (the later start wins while both hold);
    # list: "Old" only through the 11th
    "content_categories_time": [["Pages", "Valid from", "Valid to", "Category (Text) – Theme"],
                                ["home", "2024-06-01", "", "Summer"], ["home", "2024-06-12 11:15", "", "Sale"],
                                ["list", "", "2024-06-11", "Old"]],
    # German validity headlines; socks without a validity hold always, hat only from the 13th
    "basket_categories_time": [["Products", "Gültig ab", "Gültig bis", "Kategorie (Text) – Season"],
                               ["shirt", "2024-05-01", "2024-06-11", "Spring"], ["shirt", "2024-06-12", "", "Summer"],
                               ["socks", "", "", "Basics"], ["hat", "2024-06-13", "", "Winter"]],
    # the partner changes at 11:03, during a's visit, which keeps the one of its start
    "campaigns_time": [["Action (delete, suggest)", "Advertising Media Title*", "DataSourceValue*", "Valid from",
                        "Valid to", "Category (Text) – Partner"],
                       ["", "Newsletter", "news", "2024-06-01", "2024-06-12 11:02:59", "Old partner"],
                       ["", "Newsletter", "news", "2024-06-12 11:03", "", "New partner"]],
}


@pytest.fixture
def client(http):
    hit(http, "home", eid="a", at_ms=T, mc="news")
    hit(http, "checkout", eid="a", at_ms=T + 5 * MIN, ba="shirt;socks", co="19.99;5.01", qn="1;3", st="conf")
    hit(http, "home", eid="b", at_ms=T + 10 * MIN)
    hit(http, "list", eid="c", at_ms=T + 20 * MIN, ba="hat", st="view")
    hit(http, "home", eid="d", at_ms=T + 30 * MIN)
    client = MappClient(PATH, http=http)
    client.login(SHOP, "alice", "alice-pass", language="en")
    for upload_type, uploaded in UPLOADS.items():
        assert client.import_data(upload_type, uploaded) == []
    return client


def test_content_categories_take_the_value_valid_at_the_hit(client, services):
    assert rows(client, ["Theme"]) == [["", "2", "2"], ["Summer", "2", "2"], ["Sale", "1", "1"]]
    assert rows(client, ["Pages", "Theme"]) == [["home", "Summer", "2", "2"], ["home", "Sale", "1", "1"],
                                                ["checkout", "", "1", "1"], ["list", "", "1", "1"]]
    assert rows(client, ["Pages"], analysis_filter=[("Theme", "=", "s*")]) == [["home", "3", "3"]]
    assert stored(services, "SELECT DISTINCT dimension FROM mapp_daily WHERE dimension LIKE '%:%'") == [
        ("category_time:Theme",)]


def test_product_categories_by_each_product_at_the_hit(client):
    assert rows(client, ["Season"], ("Page Impressions", "Orders")) == [
        ["", "4", "0"], ["Basics", "1", "1"], ["Summer", "1", "1"]]
    assert rows(client, ["Pages"], analysis_filter=[("Season", "=", "winter")]) == []
    assert rows(client, ["Pages"], analysis_filter=[("Season", "!=", "summer")]) == [
        ["home", "3", "3"], ["list", "1", "1"]]


def test_campaign_categories_at_the_visits_start(client):
    assert rows(client, ["Partner"]) == [["", "3", "3"], ["Old partner", "2", "1"]]
    assert rows(client, ["Pages"], analysis_filter=[("Partner", "=", "old*")]) == [["checkout", "1", "1"], ["home", "1", "1"]]


def test_the_columns_are_objects_and_validity_columns_are_not(client, http):
    objects = client.objects_and_metrics()["analysisObjects"]
    for title in ("Theme", "Season", "Partner"):
        assert objects.count(title) == 1
    assert "Valid from" not in objects and "Gültig ab" not in objects
    german = MappClient(PATH, http=http)
    german.login(SHOP, "alice", "alice-pass", language="de")
    result = german.analysis(analysisObjects=[{"title": "Kategorie (Text) – Theme"}], metrics=[{"title": "Besucher"}],
                             startTime="2024-06-12", hideFooters=1)
    assert [column["title"] for column in result["analysisTabHead"]] == ["Theme", "Besucher"]
    assert result["analysisData"] == [["", "2"], ["Summer", "2"], ["Sale", "1"]]


def test_export_lists_each_version_and_a_window_narrows_them(client):
    head = ["Pages", "Valid from", "Valid to", "Category (Text) – Theme"]
    assert client.export_data("content_categories_time") == [
        head, ["checkout", "", "", ""], ["home", "2024-06-01", "", "Summer"], ["home", "2024-06-12 11:15:00", "", "Sale"],
        ["list", "", "2024-06-11", "Old"]]
    assert client.export_data("content_categories_time", time_start="2024-06-12", time_stop="2024-06-12") == [
        head, ["checkout", "", "", ""], ["home", "2024-06-01", "", "Summer"], ["home", "2024-06-12 11:15:00", "", "Sale"],
        ["list", "", "", ""]]  # a page the pixel saw, no version then
    assert client.export_data("content_categories_time", time_start="2024-06-11 10:00")[1:] == [
        ["checkout", "", "", ""], ["home", "2024-06-01", "", "Summer"], ["list", "", "2024-06-11", "Old"]]
    # what was exported imports again unchanged
    exported = client.export_data("basket_categories_time")
    client.import_data("basket_categories_time", exported)
    assert client.export_data("basket_categories_time") == exported


def test_a_new_version_replaces_the_one_of_the_same_start_and_moves_the_pre_aggregates(client):
    assert rows(client, ["Theme"]) == [["", "2", "2"], ["Summer", "2", "2"], ["Sale", "1", "1"]]
    client.import_data("content_categories_time", [["Pages", "Valid from", "Theme"], ["home", "2024-06-12 11:15", "Promo"],
                                                   ["checkout", "2024-06-12 11:05", "Cart"]])
    assert rows(client, ["Theme"]) == [["Summer", "2", "2"], ["", "1", "1"], ["Cart", "1", "1"], ["Promo", "1", "1"]]
    client.import_data("content_categories_time", [["Pages", "Valid from", "Theme"], ["home", "2024-06-12 11:15", ""]])
    assert rows(client, ["Theme"]) == [["Summer", "3", "3"], ["", "1", "1"], ["Cart", "1", "1"]]
    # a value for one day (a `Date` column) starts later than the June one, so it wins that day
    client.import_data("content_categories_time", [["Pages", "Date", "Theme"], ["home", "2024-06-12", "Today"],
                                                   ["list", "2024-06-11", "Yesterday"]])
    assert rows(client, ["Theme"]) == [["Today", "3", "3"], ["", "1", "1"], ["Cart", "1", "1"]]
    assert ["home", "2024-06-12", "2024-06-12", "Today"] in client.export_data("content_categories_time")


@pytest.mark.parametrize("bad", ["12/06/2024", "2024-13-01", "2024-06-12 25:00"])
def test_a_bad_validity_stores_nothing(client, services, bad):
    before = stored(services, "SELECT count(*) FROM mapp_categories")
    with pytest.raises(MappError, match="Invalid parameter: uploadData"):
        client.import_data("content_categories_time", [["Pages", "Valid from", "Theme"], ["new", "2024-06-12", "x"],
                                                       ["home", bad, "Broken"]])
    with pytest.raises(MappError, match="Invalid parameter: uploadData"):  # ends before it starts
        client.import_data("content_categories_time", [["Pages", "Valid from", "Valid to", "Theme"],
                                                       ["home", "2024-06-12", "2024-06-11", "Broken"]])
    assert stored(services, "SELECT count(*) FROM mapp_categories") == before
