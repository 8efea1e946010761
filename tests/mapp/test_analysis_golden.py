"""Every metric against a small hit log computed by hand, from the raw hits and from the daily
pre-aggregates (one day, so even the unique counts agree).

The log (2024-06-12, Europe/Berlin; the clock stands at 14:00):
  a  11:00 home (from Google, "shoes")  11:02 list  11:02:30 click "buy" on list
     11:05 checkout, an order of shirt 19.99 + socks 5.01, 4 pieces          -> visit 1
     12:00 home                                                             -> visit 2, a bounce
  b  (iPhone, campaign "news") 11:10 home  11:11 list, both in content group Shop
  d1 and d2: two browsers of one logged-in customer, one bounce on home each (11:20, 11:30)
  a bot's hit on home, which counts nowhere.
"""

import pytest

from tests.mapp.helpers import CHROME, GOOGLEBOT, IPHONE, NOW_MS, analysis, hit, login_token

pytestmark = pytest.mark.usefixtures("services", "world")

T = NOW_MS - 3 * 3_600_000  # 11:00 Berlin
MIN = 60_000
ALL_METRICS = ["Page Impressions", "Visits", "Visitors", "Browsers, Unique", "Entries", "Exits", "Bounces",
               "Bounce Rate %", "Duration (Seconds)", "Page Duration Avg", "Visit Duration Avg", "Page Impr. per Visit",
               "Clicks", "Visits (campaigns)", "Orders", "Order Value", "Qty", "% of All Visits", "% of All Visitors"]


def send_log(http):
    hit(http, "home", eid="a", at_ms=T, referrer="https://www.google.de/search?q=shoes")
    hit(http, "list", eid="a", at_ms=T + 2 * MIN)
    hit(http, "list", eid="a", at_ms=T + 2 * MIN + 30_000, ct="buy")
    hit(http, "checkout", eid="a", at_ms=T + 5 * MIN, ba="shirt;socks", co="19.99;5.01", qn="1;3", st="conf")
    hit(http, "home", eid="a", at_ms=T + 60 * MIN)
    hit(http, "home", eid="b", at_ms=T + 10 * MIN, agent=IPHONE, mc="news", cg1="Shop")
    hit(http, "list", eid="b", at_ms=T + 11 * MIN, agent=IPHONE, cg1="Shop")
    hit(http, "home", eid="d1", at_ms=T + 20 * MIN, cd="customer-1")
    hit(http, "home", eid="d2", at_ms=T + 30 * MIN, cd="customer-1", agent=CHROME.replace("131", "130"))
    hit(http, "home", eid="crawler", at_ms=T + 40 * MIN, agent=GOOGLEBOT)


#            PI  Visits Vis. Br. Ent. Ex. Bnc. Rate    Dur.  PageAvg  VisitAvg  PI/V  Clk Camp Ord Value  Qty %Visits %Visitors
PAGES = [
    ["home",     "5", "5", "3", "4", "5", "3", "3", "60.00", "270", "54.00", "72.00", "1.00", "0", "1", "0", "0.00", "0", "62.50", "100.00"],
    ["list",     "2", "2", "2", "2", "0", "1", "0", "0.00", "210", "105.00", "180.00", "1.00", "1", "1", "0", "0.00", "0", "25.00", "66.67"],
    ["checkout", "1", "1", "1", "1", "0", "1", "0", "0.00", "30", "30.00", "300.00", "1.00", "0", "0", "1", "25.00", "4", "12.50", "33.33"],
]
# Additive columns add up; unique ones (Visitors, Browsers, Unique) count each once.
PAGES_TOTAL = ["8", "8", "3", "4", "5", "5", "3", "60.00", "510", "63.75", "127.50", "1.00", "1", "2", "1", "25.00", "4",
               "100.00", "100.00"]
DAY_TOTAL = ["8", "5", "3", "4", "5", "5", "3", "60.00", "510", "63.75", "72.00", "1.60", "1", "1", "1", "25.00", "4",
             "100.00", "100.00"]


@pytest.mark.parametrize("raw", [1, 0], ids=["raw hits", "daily pre-aggregates"])
def test_every_metric_of_pages(http, raw):
    send_log(http)
    token = login_token(http)
    result = analysis(http, token, analysisObjects=[{"title": "Pages"}], metrics=[{"title": t} for t in ALL_METRICS],
                      startTime="2024-06-12", stopTime="2024-06-12", forceRawData=raw)
    assert result["analysisData"] == PAGES + [["-", *PAGES_TOTAL]]
    assert result["analysisTabFoot"] == [["Total", *PAGES_TOTAL]]
    assert result["totalRowCount"] == 3 and result["dailyUnique"] == 0
    assert [column["title"] for column in result["analysisTabHead"]] == ["Pages", *ALL_METRICS]


@pytest.mark.parametrize("raw", [1, 0], ids=["raw hits", "daily pre-aggregates"])
def test_every_metric_of_the_day(http, raw):
    send_log(http)
    token = login_token(http)
    result = analysis(http, token, analysisObjects=[{"title": "Days"}], metrics=[{"title": t} for t in ALL_METRICS],
                      startTime="2024-06-11", stopTime="2024-06-12", forceRawData=raw)
    assert result["analysisType"] == "pivot" and result["chartType"] == "lines"
    assert result["analysisData"] == [["11.06.2024", *["0"] * 7, "0.00", "0", "0.00", "0.00", "0.00", *["0"] * 3,
                                       "0.00", "0", "0.00", "0.00"],
                                      ["12.06.2024", *DAY_TOTAL], ["-", *DAY_TOTAL]]


def test_objects_of_the_visit_and_of_the_hit(http):
    send_log(http)
    token = login_token(http)

    def rows(title, *metrics):
        return analysis(http, token, analysisObjects=[{"title": title}], metrics=[{"title": m} for m in metrics],
                        startTime="2024-06-12", hideFooters=1)["analysisData"]

    assert rows("Entry Pages", "Visits") == [["home", "5"]]
    assert rows("Exit Pages", "Visits", "Page Impressions") == [["home", "3", "3"], ["checkout", "1", "3"], ["list", "1", "2"]]
    assert rows("Campaigns", "Visits", "Page Impressions") == [["", "4", "6"], ["news", "1", "2"]]
    assert rows("Entry Source Types", "Visits") == [["direct", "3"], ["campaign", "1"], ["search", "1"]]
    assert rows("Search Phrases", "Page Impressions") == [["", "7"], ["shoes", "1"]]
    assert rows("Devices", "Visits") == [["Desktop", "4"], ["Smartphone", "1"]]
    assert rows("Browsers", "Visitors") == [["Chrome", "2"], ["Mobile Safari", "1"]]
    assert rows("CG1", "Page Impressions") == [["", "6"], ["Shop", "2"]]
    assert rows("Stunden", "Page Impressions")[11:13] == [["11", "7"], ["12", "1"]]
