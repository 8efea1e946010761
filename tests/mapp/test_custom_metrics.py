"""Per-account custom metrics through the operator API: listed as customMetrics, usable in
analyses and reports (a built-in metric over a fixed filter), invisible to other accounts."""

import pytest

from tests.mapp.helpers import OTHER, SHOP, analysis, error_of, login_token, rpc
from tests.mapp.test_analysis_golden import send_log

pytestmark = pytest.mark.usefixtures("services", "world")
SEARCH = {"filterRules": [{"objectTitle": "Entry Source Types", "comparator": "=", "filter": "search"}]}


@pytest.fixture
def metrics(admin):
    for title, metric, rules in (("Visits Google", "Visits", SEARCH),
                                 ("Visits *", "Visits", {"filterRules": [{"objectTitle": "Werbemittel", "comparator": "=", "filter": "*"}]}),
                                 ("Einstiege Shop", "Einstiege", [{"objectTitle": "CG1", "comparator": "=", "filter": "Shop"}])):
        response = admin.post("/_polytrack/mapp/custom-metrics", json={"customerId": SHOP, "title": title, "metric": metric,
                                                                       "filter": rules})
        assert response.status_code == 201, response.text


def test_custom_metrics_are_listed_and_computed(http, metrics):
    send_log(http)
    token = login_token(http)
    assert rpc(http, "getAnalysisObjectsAndMetricsList", {"token": token})["result"]["customMetrics"] == [
        "Einstiege Shop", "Visits *", "Visits Google"]
    for raw in (0, 1):
        result = analysis(http, token, analysisObjects=[{"title": "Pages"}], startTime="2024-06-12", forceRawData=raw,
                          metrics=[{"title": "Visits"}, {"title": "Visits Google"}, {"title": "visits *"}, {"title": "Einstiege Shop"}])
        assert [column["title"] for column in result["analysisTabHead"]] == ["Pages", "Visits", "Visits Google", "Visits *",
                                                                          "Einstiege Shop"]
        assert result["analysisData"] == [["home", "5", "1", "1", "1"], ["list", "2", "1", "1", "0"],
                                          ["checkout", "1", "1", "0", "0"], ["-", "8", "3", "2", "1"]]
    other = login_token(http, customer_id=OTHER, login="bob", password=" bob pass ")
    assert rpc(http, "getAnalysisObjectsAndMetricsList", {"token": other})["result"]["customMetrics"] == []
    assert rpc(http, "getAnalysisData", {"token": other, "analysisConfig": {
        "analysisObjects": [{"title": "Pages"}], "metrics": [{"title": "Visits Google"}]}}) == error_of("Unknown metric: Visits Google")


@pytest.mark.parametrize("body,status", [
    ({"customerId": SHOP, "title": "Visits", "metric": "Visits", "filter": SEARCH}, 409),
    ({"customerId": SHOP, "title": "X", "metric": "Revenue per Moon", "filter": SEARCH}, 400),
    ({"customerId": SHOP, "title": "X", "metric": "Visits", "filter": {"filterRules": [
        {"objectTitle": "Visits", "comparator": ">", "filter": "1"}]}}, 400),
    ({"customerId": SHOP, "title": "X", "metric": "Visits", "filter": {"filterRules": [
        {"objectTitle": "Planets", "comparator": "=", "filter": "1"}]}}, 400),
    ({"customerId": "404", "title": "X", "metric": "Visits", "filter": SEARCH}, 404),
])
def test_bad_custom_metrics_are_refused(admin, body, status):
    assert admin.post("/_polytrack/mapp/custom-metrics", json=body).status_code == status
