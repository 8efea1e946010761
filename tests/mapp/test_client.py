"""polytrack.mapp.client: one call of every method of the API through the client."""

import pytest

from polytrack.mapp.client import MappClient, MappError
from tests.mapp.helpers import BLOG, PATH, SHOP
from tests.mapp.test_analysis_golden import send_log

pytestmark = pytest.mark.usefixtures("services", "world")


def test_every_method_through_the_client(http, admin):
    send_log(http)
    assert admin.post("/_polytrack/mapp/reports", json={"customerId": SHOP, "title": "Overview", "analyses": [
        {"analysisObjects": [{"title": "Pages"}], "startTime": "2024-06-12"}]}).status_code == 201
    client = MappClient(PATH, http=http)
    assert client.connection_test() == "Connection successful"
    assert [a["customerId"] for a in client.account_list("alice", "alice-pass")] == [SHOP, BLOG]
    client.login(SHOP, "alice", "alice-pass", language="en")
    assert "Pages" in client.objects_and_metrics()["analysisObjects"]
    assert client.custom_reports() == [{"reportGroup": "", "title": "Overview"}]
    assert client.dynamic_time_intervals()[0] == {"name": "Today", "code": "today"}
    assert client.analysis(analysisObjects=[{"title": "Pages"}], startTime="2024-06-12", hideFooters=1)["analysisData"][0] == ["home", "5"]
    assert client.report("Overview")["analyses"][0]["analysisData"][0] == ["home", "5"]
    assert client.import_data("content_categories", [["Pages", "Category (Text) – Main"], ["home", "archive"]]) == []
    assert client.export_data("content_categories", 1, 1) == [["Pages", "Category (Text) – Main"], ["checkout", ""]]
    assert client.delete_tv_data(SHOP, "alice", "alice-pass", "2024-06-12", "2024-06-12") == ["Deleting Tv Data initiated"]
    with pytest.raises(MappError) as caught:
        client.report("Nope")
    assert caught.value.message == "Report not found" and caught.value.code == 501
    assert client.logout() is True
