"""importData, exportData and deleteTvData: every upload type, 10,000-row limits and paging,
campaigns renamed and deleted by media code, imported content categories as analysis objects."""

import pytest

from polytrack.mapp.imports import EXPORT_TYPES, TIMED_TYPES, UPLOAD_TYPES
from tests.mapp.helpers import OTHER, SHOP, analysis, error_of, login_token, rpc, stored
from tests.mapp.test_analysis_golden import send_log

pytestmark = pytest.mark.usefixtures("services", "world")
MAIN, FIGURE = "Category (Text) – Main category", "Category (Figure) – ownC."


@pytest.fixture
def token(http):
    send_log(http)
    return login_token(http)


def call(http, method, **params):
    return rpc(http, method, params)


def test_content_categories_go_in_come_out_and_group_analyses(http, token):
    upload = [["Pages", MAIN, FIGURE], ["home", "archive", "1"], ["checkout", "shop", 2], ["never seen", "misc", ""]]
    assert call(http, "importData", token=token, uploadType="content_categories", uploadData=upload) == {"version": "1.1", "result": []}
    exported = call(http, "exportData", token=token, type="content_categories", startRow=1, endRow=10)["result"]
    assert exported == [["Pages", MAIN, FIGURE], ["checkout", "shop", "2"], ["home", "archive", "1"], ["list", "", ""],
                        ["never seen", "misc", ""]]
    assert call(http, "exportData", token=token, type="content_categories", startRow="2", endRow="3")["result"] == [
        ["Pages", MAIN, FIGURE], ["home", "archive", "1"], ["list", "", ""]]
    assert call(http, "exportData", token=token, type="content_categories", startRow=1, endRow=10, emptyRowsOnly=1)["result"][1:] == [
        ["list", "", ""]]
    assert [row[0] for row in call(http, "exportData", token=token, type="content_categories", startRow=1, endRow=10,
                                   filter="*e*")["result"][1:]] == ["checkout", "home", "never seen"]
    for raw in (0, 1):  # the category is an object of analyses, from raw hits and pre-aggregates alike
        result = analysis(http, token, analysisObjects=[{"title": "main category"}], startTime="2024-06-12",
                          hideFooters=1, forceRawData=raw)
        assert result["analysisTabHead"][0]["title"] == "Main category"
        assert result["analysisData"] == [["archive", "5"], ["", "2"], ["shop", "1"]]
    # a new upload replaces the cells it names; the pre-aggregates follow
    call(http, "importData", token=token, uploadType="content_categories", uploadData=[["Pages", MAIN], ["list", "archive"]])
    result = analysis(http, token, analysisObjects=[{"title": "Main category"}], startTime="2024-06-12", hideFooters=1)
    assert result["analysisData"] == [["archive", "7"], ["shop", "1"]]


def test_campaigns_are_renamed_and_deleted_by_media_code(http, token):
    head = ["Action (delete, suggest)", "Advertising Media Title*", "DataSourceType (page, mediacode, action, seo, referrer)",
            "DataSourceValue*"]
    call(http, "importData", token=token, uploadType="campaigns",
         uploadData=[head, ["", "Newsletter June", "mediacode", "news"], ["", "Summer sale", "mediacode", "sale"]])
    assert call(http, "exportData", token=token, type="campaigns", startRow=1, endRow=100)["result"] == [
        ["DataSourceValue*", head[1], head[2]], ["news", "Newsletter June", "mediacode"], ["sale", "Summer sale", "mediacode"]]
    call(http, "importData", token=token, uploadType="campaigns", uploadData=[head, ["delete", "", "", "sale"],
                                                                               ["", "Newsletter", "", "news"]])
    assert call(http, "exportData", token=token, type="campaigns", startRow=1, endRow=100)["result"] == [
        ["DataSourceValue*", head[1]], ["news", "Newsletter"]]  # an emptied column is gone


@pytest.mark.parametrize("upload_type", UPLOAD_TYPES)
def test_every_upload_type_is_stored(http, token, upload_type):
    head = (["Action (delete, suggest)", "Advertising Media Title*", "DataSourceType", "DataSourceValue*"]
            if upload_type.startswith("campaigns") else ["Key", "Category (Text) – Colour"])
    row = ["", "Title", "mediacode", "k1"] if upload_type.startswith("campaigns") else ["k1", "blue"]
    assert call(http, "importData", token=token, uploadType=upload_type, uploadData=[head, row])["result"] == []
    exports = [name for name, (source, _, _) in EXPORT_TYPES.items() if source == upload_type]
    for export_type in exports:
        rows = call(http, "exportData", token=token, type=export_type, startRow=1, endRow=10000)["result"]
        validity = ["", ""] if upload_type in TIMED_TYPES else []  # valid always
        validity += [""] if upload_type == "ecommerce_parameters" else []  # no product: a single-value parameter
        assert ["k1", *validity, *(["Title", "mediacode"] if upload_type.startswith("campaigns") else ["blue"])] in rows
    assert stored(services_of(http), "SELECT count(*) FROM mapp_categories WHERE upload_type = :t", t=upload_type)[0][0] >= 1


def services_of(http):
    return http.app.state.services


def test_limits_and_errors(http, token):
    too_many = [["Pages", MAIN]] + [[f"p{k}", "x"] for k in range(10_001)]
    assert call(http, "importData", token=token, uploadType="content_categories", uploadData=too_many) == error_of(
        "Too many rows (max. 10000)")
    assert call(http, "importData", token=token, uploadType="content_categories", uploadData=too_many[:10_001])["result"] == []
    assert call(http, "importData", token=token, uploadType="planets", uploadData=too_many[:2]) == error_of("Invalid parameter: uploadType")
    assert call(http, "importData", token=token, uploadType="content_categories") == error_of("Missing parameter: uploadData")
    assert call(http, "importData", token=token, uploadType="content_categories", uploadData=[["Pages"]]) == error_of(
        "Invalid parameter: uploadData")
    assert call(http, "importData", token=token, uploadType="content_categories", uploadData=[["Pages", MAIN], [{"x": 1}, "y"]]) == error_of(
        "Invalid parameter: uploadData")
    assert call(http, "exportData", token=token, type="planets", startRow=1, endRow=2) == error_of("Invalid parameter: type")
    assert call(http, "exportData", token=token, type="content_categories", startRow=1, endRow=10_001) == error_of(
        "Invalid parameter: endRow")
    page = call(http, "exportData", token=token, type="content_categories", startRow=10_001, endRow=20_000)["result"]
    assert len(page) == 1 + 3  # of 10,000 imported pages and the 3 the pixel saw, rows 10,001..10,003
    other = login_token(http, customer_id=OTHER, login="bob", password=" bob pass ")
    assert call(http, "exportData", token=other, type="content_categories", startRow=1, endRow=5)["result"] == [["Pages"]]


def test_delete_tv_data(http, token, clock):
    call(http, "importData", token=token, uploadType="session_parameter_tv", uploadData=[["Session", "TV spot"], ["s1", "ad 1"]])
    params = {"customerId": SHOP, "login": "alice", "pass": "alice-pass"}
    assert call(http, "deleteTvData", **params, time_start="2024-06-11 00:00:00", time_stop="2024-06-11 23:59:59")["result"] == [
        "Deleting Tv Data initiated"]
    assert stored(services_of(http), "SELECT count(*) FROM mapp_categories")[0][0] == 1  # not uploaded then
    assert call(http, "deleteTvData", **params, time_start="2024-06-12", time_stop="2024-06-12")["result"] == [
        "Deleting Tv Data initiated"]
    assert stored(services_of(http), "SELECT count(*) FROM mapp_categories")[0][0] == 0
    assert call(http, "deleteTvData", **params, time_start="2024-06-12") == error_of("Missing parameter: time_stop")
