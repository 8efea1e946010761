"""Task/GetTasksByDate (and its op=Admin alias) over HTTP."""

import pytest

from polytrack.payt.client import TrackerProClient
from tests.payt.opsdata import ms, table_rows, trackerpro


def tasks(http, acme, op="Task", **params):
    base = {"company": "acme", "fromDate": str(ms(2024, 9, 10)), "toDate": str(ms(2024, 9, 12))}
    return trackerpro(http, acme["admin_key"], op, "GetTasksByDate", **{**base, **params})


def test_tasks_dataset_shape_and_rows(http, acme):
    body = tasks(http, acme, dtm="o").json()
    assert body["dataset"]["datasetname"] == "TasksDataSet"
    tbl = body["dataset"]["tables"][0]
    assert [(c["id"], c["label"], c["type"]) for c in tbl["cols"]] == [
        ("0", "TaskID", "number"), ("1", "ExtID", "number"), ("2", "Type", "string"), ("3", "Name", "string"),
        ("4", "Description", "string"), ("5", "StartDateTime", "datetime"), ("6", "EndDateTime", "datetime"),
        ("7", "GracePeriodMins", "number"), ("8", "AssignedTo", "string"), ("9", "RegionGeoJson", "string"),
        ("10", "ParameterJson", "string"), ("11", "Status", "string"), ("12", "ETA", "datetime")]
    assert tbl["cols"][0]["p"] == {"autoincrement": True} and all(c["p"] == {} for c in tbl["cols"][1:])
    assert tbl["p"] == {"tablename": "Tasks", "primarykey": [0]}
    rows = table_rows(body)
    assert [r["TaskID"] for r in rows] == [acme["tasks"]["task1"], acme["tasks"]["task2"]]
    first, second = rows
    assert first == {
        "TaskID": acme["tasks"]["task1"], "ExtID": 4711, "Type": "Visit", "Name": "acme Site A", "Description": "deliver",
        "StartDateTime": "2024-09-10T09:00:00.0000000", "EndDateTime": "2024-09-10T11:00:00.0000000",
        "GracePeriodMins": 15, "AssignedTo": "ACME1 VAN", "RegionGeoJson": '{"type":"Point","coordinates":[-1.5,53.8]}',
        "ParameterJson": "{}", "Status": "Pending", "ETA": None}
    assert second["AssignedTo"] == "Night shift" and second["ETA"] == "2024-09-11T09:30:00.0000000" and second["ExtID"] is None


def test_default_dates_are_epoch_ms_literals(http, acme):
    assert f"new Date({ms(2024, 9, 10, 9)})" in tasks(http, acme).text


@pytest.mark.parametrize("from_,to,expected", [
    (ms(2024, 9, 10, 10), ms(2024, 9, 10, 10, 30), ["task1"]),   # inside task1
    (ms(2024, 9, 10, 11), ms(2024, 9, 11, 9), ["task1"]),        # touches task1's end; task2 starts at toDate (exclusive)
    (ms(2024, 9, 11, 9, 59), ms(2024, 9, 20), ["task2"]),
    (ms(2024, 9, 12), ms(2024, 9, 13), []),
    (ms(2024, 9, 1), ms(2024, 9, 10, 9), []),                    # task1 starts exactly at toDate
])
def test_overlap_selection(http, acme, from_, to, expected):
    rows = table_rows(tasks(http, acme, fromDate=str(from_), toDate=str(to), dtm="o").json())
    assert [r["TaskID"] for r in rows] == [acme["tasks"][name] for name in expected]


def test_admin_alias_and_client(http, acme):
    assert len(table_rows(tasks(http, acme, op="Admin", dtm="o").json())) == 2
    client = TrackerProClient("", acme["admin_key"], http=http)
    table = client.tasks_by_date("acme", ms(2024, 9, 10), ms(2024, 9, 12))
    assert table.rows[0]["StartDateTime"].isoformat() == "2024-09-10T09:00:00+00:00"


@pytest.mark.parametrize("params,reason,fragment", [
    ({"company": ""}, "invalid_query", "company"),
    ({"fromDate": None}, "invalid_query", "fromDate"),
    ({"toDate": "tomorrow"}, "invalid_query", "toDate"),
    ({"fromDate": "1e12"}, "invalid_query", "fromDate"),
    ({"toDate": "99999999999999999999"}, "invalid_query", "toDate"),
    ({"fromDate": str(ms(2024, 9, 12)), "toDate": str(ms(2024, 9, 10))}, "invalid_query", "toDate"),
    ({"company": "nosuch"}, "access_denied", "Access denied"),
])
def test_bad_parameters(http, acme, params, reason, fragment):
    base = {"company": "acme", "fromDate": str(ms(2024, 9, 10)), "toDate": str(ms(2024, 9, 12))}
    merged = {k: v for k, v in {**base, **params}.items() if v is not None}
    body = trackerpro(http, acme["admin_key"], "Task", "GetTasksByDate", **merged).json()
    assert body["errors"][0]["reason"] == reason and fragment in body["errors"][0]["message"]


def test_undocumented_task_writes_are_unsupported(http, acme):
    body = trackerpro(http, acme["admin_key"], "Task", "SaveTasks", company="acme").json()
    assert body["errors"][0]["reason"] == "unsupported_query_operation"
