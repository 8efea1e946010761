"""getAnalysisData over HTTP: titles by language, the loose typing real clients send, errors,
filters, metric filters, sorting, paging per level, footers, time ranges, and tenants."""

import pytest

from tests.mapp.helpers import OTHER, SHOP, analysis, error_of, hit, login_token, rpc
from tests.mapp.test_analysis_golden import T, send_log

pytestmark = pytest.mark.usefixtures("services", "world")
DAY = {"startTime": "2024-06-12", "stopTime": "2024-06-12"}


@pytest.fixture
def token(http):
    send_log(http)
    return login_token(http)


def data(http, token, objects, metrics, **config):
    result = analysis(http, token, analysisObjects=[{"title": title} if isinstance(title, str) else title for title in objects],
                      metrics=[{"title": title} if isinstance(title, str) else title for title in metrics], **{**DAY, **config})
    return result["analysisData"]


def test_titles_follow_the_login_language_or_the_users_own(http, token, admin):
    german = login_token(http, language="de")
    result = analysis(http, german, analysisObjects=[{"title": "Pages"}], metrics=[{"title": "Entries"}], **DAY)
    assert [column["title"] for column in result["analysisTabHead"]] == ["Seiten", "Einstiege"]
    assert result["analysisTabFoot"] == [["Gesamt", "5"]]
    # bob's profile language is German and his login names none
    bob = login_token(http, customer_id=OTHER, login="bob", password=" bob pass ")
    result = analysis(http, bob, analysisObjects=[{"title": "Tage"}], metrics=[{"title": "Visits"}], **DAY)
    assert [column["title"] for column in result["analysisTabHead"]] == ["Tage", "Visits"]
    assert result["analysisData"] == [["12.06.2024", "0"], ["-", "0"]]  # another tenant's hits are not his


def test_loose_typing_and_defaults(http, token):
    result = analysis(http, token, analysisObjects={"title": "Pages", "alias": "Page URL"}, rowLimit="2", startRow="1",
                      hideFooters=[1], forceRawData="1", startTime="2024-06-12", stopTime="2024-06-12 23:59:59")
    assert result["analysisTabHead"][0]["title"] == "Page URL"
    assert result["analysisTabHead"][1]["title"] == "Page Impressions"  # the default metric
    assert result["analysisData"] == [["home", "5"], ["list", "2"]] and result["totalRowCount"] == 3
    assert result["analysisTabFoot"] == []
    second_page = analysis(http, token, analysisObjects=[{"title": "Pages"}], rowLimit=1, startRow=2, hideFooters=1, **DAY)
    assert second_page["analysisData"] == [["list", "2"]]


@pytest.mark.parametrize("config,message", [
    (None, "Missing parameter: analysisConfig"),
    ([], "Invalid parameter: analysisConfig"),
    ({}, "Missing parameter: analysisObjects"),
    ({"analysisObjects": [{"title": "Planets"}]}, "Unknown analysis object: Planets"),
    ({"analysisObjects": [{"title": "Pages"}], "metrics": [{"title": "Revenue per Moon"}]}, "Unknown metric: Revenue per Moon"),
    ({"analysisObjects": [{"title": "Pages"}], "metrics": [{"title": "Visits"}] * 31}, "Too many metrics (max. 30)"),
    ({"analysisObjects": [{"title": "Pages"}], "analysisFilter": {"filterRules": [
        {"objectTitle": "Pages", "comparator": ">", "filter": "a"}]}}, "Invalid parameter: comparator"),
    ({"analysisObjects": [{"title": "Pages"}], "analysisFilter": {"filterRules": [
        {"objectTitle": "Visits", "comparator": "between", "filter": "1"}]}}, "Missing parameter: filter2"),
    ({"analysisObjects": [{"title": "Pages"}], "startTime": "2024-06-12", "stopTime": "2024-06-01"}, "Invalid parameter: stopTime"),
    ({"analysisObjects": [{"title": "Pages"}], "startTime": "12.06.2024"}, "Invalid parameter: startTime"),
    ({"analysisObjects": [{"title": "Pages"}], "dynamicTime": "next_century"}, "Invalid parameter: dynamicTime"),
    ({"analysisObjects": [{"title": "Pages"}], "rowLimit": "many"}, "Invalid parameter: rowLimit"),
    ({"analysisObjects": [{"title": "Pages"}], "hideFooters": "maybe"}, "Invalid parameter: hideFooters"),
])
def test_configuration_errors(http, token, config, message):
    params = {"token": token} if config is None else {"token": token, "analysisConfig": config}
    assert rpc(http, "getAnalysisData", params) == error_of(message)


def test_exactly_thirty_metrics_are_fine(http, token):
    assert len(data(http, token, ["Pages"], ["Visits"] * 30, hideFooters=1)[0]) == 31


@pytest.mark.parametrize("raw", [0, 1])
def test_object_filters(http, token, raw):
    def pages(*rules, objects=("Pages",)):
        return [row[0] for row in data(http, token, objects, ["Page Impressions"], hideFooters=1, forceRawData=raw,
                                       analysisFilter={"filterRules": list(rules)})]

    assert pages({"objectTitle": "Pages", "comparator": "=", "filter": "*e*"}) == ["home", "checkout"]
    assert pages({"objectTitle": "Pages", "comparator": "!=", "filter": "*e*"}) == ["list"]
    assert pages({"objectTitle": "Pages", "comparator": "=", "filter": "HOME"}) == ["home"]
    assert pages({"objectTitle": "Pages", "comparator": "=", "filter": "HOME", "caseSens": 1}) == []
    assert pages({"objectTitle": "Pages", "comparator": "=", "filter": "H*", "caseSens": "1"}) == []
    # ZEIT's [A, and B, or C] means A and (B or C)
    assert pages({"objectTitle": "Pages", "comparator": "!=", "filter": "home"},
                 {"objectTitle": "Pages", "comparator": "=", "filter": "list", "link": "and"},
                 {"objectTitle": "Pages", "comparator": "=", "filter": "checkout", "link": "or"}) == ["list", "checkout"]
    # an object that is not among the analysis objects, and `*` = any value at all
    assert pages({"objectTitle": "CG1", "comparator": "=", "filter": "*"}) == ["home", "list"]
    assert pages({"objectTitle": "Werbemittel", "comparator": "=", "filter": "news"}) == ["home", "list"]


def test_visit_scope_keeps_every_hit_of_a_matching_visit(http, token):
    rows = data(http, token, ["Pages"], ["Page Impressions"], hideFooters=1, analysisFilter={"filterRules": [
        {"objectTitle": "Pages", "comparator": "=", "filter": "checkout", "scope": "visit"}]})
    assert rows == [["checkout", "1"], ["home", "1"], ["list", "1"]]


@pytest.mark.parametrize("raw", [0, 1])
def test_metric_rules_drop_rows(http, token, raw):
    def pages(rule):
        return [row[0] for row in data(http, token, ["Pages"], ["Page Impressions"], hideFooters=1, forceRawData=raw,
                                       analysisFilter={"filterRules": [rule]})]

    assert pages({"objectTitle": "Page Impressions", "comparator": ">", "filter": "1"}) == ["home", "list"]
    assert pages({"objectTitle": "Page Impressions", "comparator": "between", "filter": "1", "filter2": "2"}) == ["list", "checkout"]
    assert pages({"objectTitle": "Visits", "comparator": "=", "filter": 5}) == ["home"]


def test_a_metric_filter_restricts_its_own_column(http, token):
    # okr counts campaign visits as Visits with the metric filter Werbemittel = "*"
    rows = data(http, token, ["Pages"], ["Visits", {"title": "Visits", "metricFilter": {"filterRules": [
        {"objectTitle": "Werbemittel", "comparator": "=", "filter": "*"}]}}])
    assert rows == [["home", "5", "1"], ["list", "2", "1"], ["checkout", "1", "0"], ["-", "8", "2"]]


def test_sorting(http, token):
    def first_column(objects, metrics):
        return [row[0] for row in data(http, token, objects, metrics, hideFooters=1)]

    assert first_column(["Pages"], [{"title": "Page Impressions", "sortOrder": "asc"}]) == ["checkout", "list", "home"]
    assert first_column([{"title": "Pages", "sortOrder": "asc"}], ["Page Impressions"]) == ["checkout", "home", "list"]
    assert first_column([{"title": "Pages", "sortOrder": "desc"}], ["Page Impressions"]) == ["list", "home", "checkout"]


def test_a_pivot_has_subtotals_per_group_limits_per_level_and_counts_its_leaves(http, token):
    result = analysis(http, token, analysisObjects=[{"title": "Devices"}, {"title": "Pages", "rowLimit": 1}],
                      metrics=[{"title": "Page Impressions"}], footerIdentifier="remove", **DAY)
    assert result["analysisType"] == "pivot" and result["analysisTitle"] == "Pivot"
    assert result["analysisData"] == [["Desktop", "home", "4"], ["Desktop", "remove", "6"],
                                      ["Smartphone", "home", "1"], ["Smartphone", "remove", "2"], ["remove", "remove", "8"]]
    assert result["totalRowCount"] == 5 and result["analysisTabFoot"] == []
    assert [c["contentType"] for c in result["analysisTabHead"]] == ["main", "main", "normal"]


def test_time_ranges(http, token, clock):
    yesterday = analysis(http, token, analysisObjects=[{"title": "Days"}], dynamicTime="yesterday", hideFooters=1)
    assert (yesterday["timeStart"], yesterday["timeStop"]) == ("2024-06-11 00:00:00", "2024-06-11 23:59:59")
    assert yesterday["analysisData"] == [["11.06.2024", "0"]]
    default = analysis(http, token, analysisObjects=[{"title": "Days"}], hideFooters=1)
    assert (default["timeStart"], default["timeStop"]) == ("2024-05-13 00:00:00", "2024-06-12 23:59:59")
    assert len(default["analysisData"]) == 31 and default["analysisData"][-1] == ["12.06.2024", "8"]
    hours = analysis(http, token, analysisObjects=[{"title": "Pages"}], startTime="2024-06-12 11:00:00",
                     stopTime="2024-06-12 11:04:59", hideFooters=1)  # not whole days: from the raw hits
    assert hours["analysisData"] == [["home", "1"], ["list", "1"]]
    only_start = analysis(http, token, analysisObjects=[{"title": "Months"}], startTime="2024-06-12")
    assert only_start["timeStop"] == "2024-06-12 23:59:59" and only_start["analysisData"][0] == ["2024-06", "8"]


def test_another_accounts_hits_never_show(http, token):
    hit(http, "other page", track_id=OTHER, eid="z", at_ms=T)
    pages = [row[0] for row in data(http, token, ["Pages"], ["Page Impressions"], hideFooters=1)]
    assert "other page" not in pages and pages == ["home", "list", "checkout"]
    assert rpc(http, "getAnalysisData", {"token": token, "customerId": OTHER, "analysisConfig": {
        "analysisObjects": [{"title": "Pages"}], **DAY}})["result"]["analysisData"][0][0] == "home"


def test_a_session_parameter_holds_the_visits_last_value(http, token):
    """cs<n> is the visit's: every page impression of the visit counts under the last value
    the visit sent, also when that hit arrives late; another visit keeps its own."""
    minute = 60_000
    hit(http, "home", eid="s", at_ms=T, cs5="guest")
    hit(http, "basket", eid="s", at_ms=T + 2 * minute, cs5="member")
    hit(http, "list", eid="s", at_ms=T + minute)  # late, in the middle, sends none
    hit(http, "home", eid="s", at_ms=T + 3 * 3_600_000, cs5="guest")  # hours later: another visit
    assert data(http, token, ["cs5"], ["Page Impressions", "Visits"], hideFooters=1) == [
        ["", "8", "5"], ["member", "3", "1"], ["guest", "1", "1"]]
    hit(http, "basket", eid="s", at_ms=T + 4 * minute, cs5="buyer")  # the visit's last value changes
    assert data(http, token, ["cs5"], ["Page Impressions", "Visits"], hideFooters=1, forceRawData=1) == [
        ["", "8", "5"], ["buyer", "4", "1"], ["guest", "1", "1"]]


def test_the_accounts_content_groups_and_parameters_are_listed_and_usable(http, token):
    hit(http, "home", eid="p", at_ms=T, cp12="variant b", cg2="Sale")
    lists = rpc(http, "getAnalysisObjectsAndMetricsList", {"token": token})["result"]
    assert {"CG1", "CG2", "cp12", "Pages"} <= set(lists["analysisObjects"])
    assert data(http, token, ["cp12 - Seitenversion"], ["Page Impressions"], hideFooters=1) == [["", "8"], ["variant b", "1"]]
    other = login_token(http, customer_id=OTHER, login="bob", password=" bob pass ")
    assert "CG1" not in rpc(http, "getAnalysisObjectsAndMetricsList", {"token": other})["result"]["analysisObjects"]
