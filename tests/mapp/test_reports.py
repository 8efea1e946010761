"""Custom reports: made through the operator API, listed by getCustomReportsList and run by
getReportData (report_name = the title, time_start / time_stop over every analysis, footerIdentifier,
status elements); another account sees none of them."""

import pytest

from tests.mapp.helpers import BLOG, OTHER, SHOP, error_of, login_token, rpc
from tests.mapp.test_analysis_golden import send_log

pytestmark = pytest.mark.usefixtures("services", "world")

PAGES = {"analysisObjects": [{"title": "Pages"}], "metrics": [{"title": "Page Impressions"}, {"title": "Visits"}],
         "dynamicTime": "last_7_days"}
DAYS = {"analysisObjects": [{"title": "Days"}], "metrics": [{"title": "Page Impressions"}], "dynamicTime": "last_7_days"}


@pytest.fixture
def report(admin):
    response = admin.post("/_polytrack/mapp/reports", json={
        "customerId": SHOP, "title": "Overview Report", "reportGroup": "Daily", "author": "John Doe",
        "analyses": [PAGES, {"kind": "status", "analysisConfig": DAYS}]})
    assert response.status_code == 201, response.text
    assert admin.post("/_polytrack/mapp/reports", json={"customerId": SHOP, "title": "Player", "analyses": [PAGES]}).status_code == 201
    return response.json()


def test_reports_are_listed_per_account(http, report):
    assert rpc(http, "getCustomReportsList", {"token": login_token(http)})["result"] == [
        {"reportGroup": "", "title": "Player"}, {"reportGroup": "Daily", "title": "Overview Report"}]
    assert rpc(http, "getCustomReportsList", {"token": login_token(http, customer_id=BLOG)})["result"] == []


def test_report_data_runs_every_analysis_over_the_callers_range(http, report):
    send_log(http)
    token = login_token(http, language="de")
    result = rpc(http, "getReportData", {"token": token, "report_name": "Overview Report", "time_start": "2024-06-12",
                                         "footerIdentifier": "remove"})["result"]
    assert (result["author"], result["title"], result["description"]) == ("John Doe", "Overview Report", "")
    pages, status = result["analyses"]
    assert (pages["timeStart"], pages["timeStop"]) == ("2024-06-12 00:00:00", "2024-06-12 23:59:59")
    assert pages["analysisTabHead"][0]["title"] == "Seiten"
    assert pages["analysisData"] == [["home", "5", "5"], ["list", "2", "2"], ["checkout", "1", "1"], ["remove", "8", "8"]]
    assert status["analysisType"] == "status" and status["chartType"] == "lines"
    assert status["analysisData"] == [["12.06.2024", "8"]]
    assert status["kpiData"] == [["Durchschnitt", "8"], ["Gesamt", "8"]] and status["analysisTabFoot"] == [["Gesamt", "8"]]


def test_report_data_uses_the_stored_range_without_one(http, report):
    send_log(http)
    result = rpc(http, "getReportData", {"token": login_token(http), "report_name": "overview report"})["result"]
    status = result["analyses"][1]
    assert (status["timeStart"], status["timeStop"]) == ("2024-06-05 00:00:00", "2024-06-11 23:59:59")
    assert len(status["analysisData"]) == 7 and status["kpiData"] == [["Average", "0"], ["Total", "0"]]


def test_unknown_reports_and_other_accounts(http, report):
    assert rpc(http, "getReportData", {"token": login_token(http), "report_name": "Nope"}) == error_of("Report not found")
    assert rpc(http, "getReportData", {"token": login_token(http)}) == error_of("Missing parameter: report_name")
    other = login_token(http, customer_id=OTHER, login="bob", password=" bob pass ")
    assert rpc(http, "getReportData", {"token": other, "report_name": "Player"}) == error_of("Report not found")


@pytest.mark.parametrize("body,status", [
    ({"customerId": SHOP, "title": "X", "analyses": []}, 400),
    ({"customerId": SHOP, "title": "X", "analyses": [{"analysisObjects": [{"title": "Planets"}]}]}, 400),
    ({"customerId": SHOP, "title": "X", "analyses": [{"kind": "status", "analysisConfig": PAGES}]}, 400),
    ({"customerId": SHOP, "title": "X", "analyses": [{"kind": "pie", "analysisConfig": PAGES}]}, 400),
    ({"customerId": "404", "title": "X", "analyses": [PAGES]}, 404),
    ({"customerId": SHOP, "analyses": [PAGES]}, 400),
])
def test_bad_reports_are_refused(admin, body, status):
    response = admin.post("/_polytrack/mapp/reports", json=body)
    assert response.status_code == status, response.text


def test_a_duplicate_title_is_a_conflict(admin, report):
    assert admin.post("/_polytrack/mapp/reports", json={"customerId": SHOP, "title": "Player", "analyses": [PAGES]}).status_code == 409
