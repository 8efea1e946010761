"""The daily pre-aggregates and the raw hits (forceRawData) agree on every metric that is not a
unique count, for any hits and any analysis the pre-aggregates can answer, imported categories
(customer, product, media, campaign, the time-dependent content, product and campaign ones, and
single- and multi-value e-commerce parameters by order id) included."""

import itertools
from datetime import date

from hypothesis import HealthCheck, given, settings, strategies as st

from polytrack.mapp import admin as mapp_admin
from polytrack.mapp.analysis.config import read_analysis
from polytrack.mapp.analysis.definition import Dimension
from polytrack.mapp.analysis.engine import uses_daily
from tests.mapp.helpers import IPHONE, CHROME, NOW_MS, analysis, hit, login_token, rpc

DAY = 86_400_000
T0 = NOW_MS - 2 * DAY - 10 * 3_600_000  # 2024-06-10 04:00 Berlin
UNIQUE = {"Visitors", "Browsers, Unique", "% of All Visitors"}
METRICS = ["Page Impressions", "Visits", "Visitors", "Entries", "Exits", "Bounces", "Bounce Rate %", "Duration (Seconds)",
           "Page Duration Avg", "Visit Duration Avg", "Page Impr. per Visit", "Clicks", "Visits (campaigns)", "Orders",
           "Order Value", "Qty", "% of All Visits", "% of All Visitors", "Browsers, Unique", "Media Views",
           "Media Views complete", "Play Duration"]
_accounts = itertools.count(1)

hits_strategy = st.lists(st.fixed_dictionaries({
    "eid": st.sampled_from(["v1", "v2", "v3"]),
    "minute": st.integers(min_value=0, max_value=3 * 24 * 60 // 20).map(lambda k: k * 20),  # over three days
    "page": st.sampled_from(["home", "list", "Über uns", "a,b"]),
    "extra": st.sampled_from([{}, {"ct": "click"}, {"mc": "news"}, {"cg1": "Shop"}, {"cg1": "Blog"},
                              {"st": "conf", "ba": "x", "co": "9.99", "qn": "2"}, {"fns": "1"},
                              {"mi": "pod", "mk": "play", "mt1": "30"}, {"mi": "pod", "mk": "eof", "mt1": "60"},
                              {"mi": "clip", "mk": "play", "mt1": "5"}, {"cd": "cust-1"}, {"cd": "cust-2"},
                              {"ba": "shirt;socks"}, {"ba": "hat;shirt", "st": "conf", "co": "5;7", "qn": "1;1"},
                              {"mc": "sale"}, {"st": "conf", "oi": "o-1", "ov": "12.50"}, {"oi": "o-2", "ba": "shirt"},
                              {"oi": "o-3", "ba": "hat;socks"}, {"oi": "o-4"}]),
    "agent": st.sampled_from([CHROME, IPHONE]),
}), min_size=1, max_size=16)

analyses = st.fixed_dictionaries({
    "object": st.sampled_from(["Pages", "Entry Pages", "Exit Pages", "Campaigns", "CG1", "Hours", "Devices", "Days", "Months",
                               "Media", "Gender", "Product group", "Genre", "Channel", "Theme", "Season",
                               "Partner", "Payment method", "Size"]),
    "by_day": st.sampled_from([None, "before", "after"]),  # a pivot with Days before or after the object
    "filter": st.sampled_from([None, ("=", "*o*"), ("!=", "*s*"), ("=", "home"), ("=", "*")]),
    "metrics": st.lists(st.sampled_from(METRICS), min_size=1, max_size=6),
    "days": st.sampled_from([("2024-06-10", "2024-06-12"), ("2024-06-11", "2024-06-11"), ("2024-06-09", "2024-06-13")]),
    "hide_footers": st.booleans(),
})


# imported categories (values with and without `o` and `s`, for the filters above)
UPLOADS = {
    "customer_categories": [["Customer", "URM – Gender"], ["cust-1", "female"]],
    "customer_categories_deid": [["deid", "URM – Gender"], ["v3", "other"]],
    "product_categories": [["Products", "Category (Text) – Product group"], ["shirt", "Tops"], ["hat", "Accessories"]],
    "basket_categories": [["Products", "Category (Text) – Product group"], ["socks", "Accessories"]],
    "media_categories": [["Media", "Category (Text) – Genre"], ["pod", "Podcast"], ["clip", "News"]],
    "campaigns": [["Action (delete, suggest)", "Advertising Media Title*", "DataSourceValue*", "Category (Text) – Channel"],
                  ["", "Newsletter", "news", "Email"], ["", "Sale", "sale", "Social"]],
    # time-dependent: versions that start and end within the three days, overlapping ones, open ones
    "content_categories_time": [["Pages", "Valid from", "Valid to", "Category (Text) – Theme"],
                                ["home", "", "2024-06-11 12:00", "Summer"], ["home", "2024-06-11 06:00", "", "Sale"],
                                ["list", "2024-06-10 10:00", "2024-06-12", "Shop"], ["Über uns", "2024-06-11", "", "Old"]],
    "basket_categories_time": [["Products", "Valid from", "Category (Text) – Season"], ["shirt", "", "Spring"],
                               ["shirt", "2024-06-11 08:00", "Summer"], ["hat", "2024-06-12", "Winter"], ["x", "", "Basics"]],
    "campaigns_time": [["Action (delete, suggest)", "Advertising Media Title*", "DataSourceValue*", "Valid from",
                        "Category (Text) – Partner"],
                       ["", "Newsletter", "news", "2024-06-10 12:00", "Old"], ["", "Newsletter", "news", "2024-06-11 12:00", "New"],
                       ["", "Sale", "sale", "", "Shop"]],
    # single-value (no product) and multi-value (by order id and product) e-commerce parameters
    "ecommerce_parameters": [["Order ID", "Productname", "Parameter (Text) - Payment method", "Parameter (Text) - Size"],
                             ["o-1", "", "invoice", ""], ["o-2", "", "cash", ""], ["o-2", "shirt", "", "Small"],
                             ["o-3", "hat", "", "Large"], ["o-3", "socks", "", "Small"]],
}

CATEGORY_OBJECTS = {"gender": Dimension("customer:Gender", "Gender"), "product group": Dimension("product:Product group", "Product group"),
                    "genre": Dimension("media:Genre", "Genre"), "channel": Dimension("campaign:Channel", "Channel"),
                    "theme": Dimension("category_time:Theme", "Theme"), "season": Dimension("product_time:Season", "Season"),
                    "partner": Dimension("campaign_time:Partner", "Partner"),
                    "payment method": Dimension("order:Payment method", "Payment method"),
                    "size": Dimension("order_product:Size", "Size")}


def without_unique_columns(result):
    keep = [i for i, column in enumerate(result["analysisTabHead"]) if column["title"] not in UNIQUE]
    return [[row[i] for i in keep] for row in result["analysisData"]], result["totalRowCount"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(hits=hits_strategy, wanted=analyses)
def test_pre_aggregates_and_raw_hits_agree(http, services, world, hits, wanted):
    customer_id = str(700000000000000 + next(_accounts))
    mapp_admin.create_account(services, title="Property", customer_id=customer_id)
    mapp_admin.grant(services, login="alice", customer_ids=[customer_id])
    for entry in hits:
        hit(http, entry["page"], track_id=customer_id, eid=entry["eid"], at_ms=T0 + entry["minute"] * 60_000,
            agent=entry["agent"], **entry["extra"])
    token = login_token(http, customer_id=customer_id)
    for upload_type, rows in UPLOADS.items():
        assert rpc(http, "importData", {"token": token, "uploadType": upload_type, "uploadData": rows})["result"] == []
    objects = [{"title": wanted["object"]}]
    if wanted["by_day"] and wanted["object"] not in ("Days", "Months"):
        objects.insert(0 if wanted["by_day"] == "before" else 1, {"title": "Days"})
    config = {"analysisObjects": objects, "metrics": [{"title": title} for title in wanted["metrics"]],
              "startTime": wanted["days"][0], "stopTime": wanted["days"][1], "hideFooters": wanted["hide_footers"]}
    if wanted["filter"] and wanted["object"] not in ("Days", "Months"):
        comparator, value = wanted["filter"]
        config["analysisFilter"] = {"filterRules": [{"objectTitle": wanted["object"], "comparator": comparator, "filter": value}]}
    daily = analysis(http, token, **config)
    raw = analysis(http, token, **config, forceRawData=1)
    assert uses_daily(read_analysis(config, language="en", today=date(2024, 6, 12), default_row_limit=1000,
                                    categories=CATEGORY_OBJECTS))  # what is compared: the pre-aggregates
    assert without_unique_columns(daily) == without_unique_columns(raw)
