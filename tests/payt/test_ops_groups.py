"""Group/GetByTypeID over HTTP: folders of one type, permissions + ancestors, raw wire shape."""

import pytest

from tests.payt.opsdata import login, payt, table_rows


def groups(http, ticket, type_id, **extra):
    return payt(http, ticket, "Group", "GetByTypeID", groupTypeID=type_id, **extra)


def test_documented_columns_and_table_properties(http, acme):
    body = groups(http, login(http, acme["boss"]), 3).json()
    assert list(body) == ["version", "reqId", "status", "sig", "dataset"]
    int(body["sig"])
    assert body["dataset"]["datasetname"] == "GroupDataSet"
    tbl = body["dataset"]["tables"][0]
    assert tbl["cols"] == [
        {"id": "0", "label": "GroupID", "type": "number", "p": {"autoincrement": True}},
        {"id": "1", "label": "Description", "type": "string", "p": {}},
        {"id": "2", "label": "ParentID", "type": "number", "p": {}},
        {"id": "3", "label": "GroupTypeIDC", "type": "number", "p": {}},
        {"id": "4", "label": "TimeStamp", "type": "string", "p": {}},
    ]
    assert tbl["p"] == {"tablename": "Folders", "primarykey": [0]}


def test_unrestricted_user_sees_every_vehicle_folder_with_tree(http, acme):
    rows = table_rows(groups(http, login(http, acme["boss"]), 3).json())
    f = acme["folders"]
    assert [(r["GroupID"], r["Description"], r["ParentID"], r["GroupTypeIDC"]) for r in rows] == [
        (f["root"], "acme vehicles", 0, 3), (f["vans"], "Vans", f["root"], 3),
        (f["north"], "Vans North", f["vans"], 3), (f["cars"], "Cars", f["root"], 3),
    ]
    # TimeStamp: base64 of the 8-byte big-endian row version (U-13): 2001 -> AAAAAAAAB9E=
    assert rows[0]["TimeStamp"] == "AAAAAAAAB9E="


def test_restricted_user_sees_permitted_folders_descendants_and_ancestors(http, acme):
    rows = table_rows(groups(http, login(http, acme["vans_user"]), 3).json())
    f = acme["folders"]
    assert [r["GroupID"] for r in rows] == [f["root"], f["vans"], f["north"]]  # not Cars


@pytest.mark.parametrize("type_id,key", [(2, "users"), (4, "drivers"), (5, "locations")])
def test_other_folder_types(http, acme, type_id, key):
    rows = table_rows(groups(http, login(http, acme["boss"]), type_id).json())
    assert [(r["GroupID"], r["GroupTypeIDC"], r["ParentID"]) for r in rows] == [(acme["folders"][key], type_id, 0)]


@pytest.mark.parametrize("type_id", ["1", "7", "-3", "0"])
def test_unknown_type_gives_empty_rows(http, acme, type_id):
    body = groups(http, login(http, acme["boss"]), type_id).json()
    assert body["status"] == "ok" and body["dataset"]["tables"][0]["rows"] == []


@pytest.mark.parametrize("value", ["abc", "3.5", "", " "])
def test_non_integer_type_is_invalid_query_naming_parameter(http, acme, value):
    body = groups(http, login(http, acme["boss"]), value).json()
    assert body["errors"][0]["reason"] == "invalid_query"
    assert "groupTypeID" in body["errors"][0]["message"]


def test_missing_type_is_invalid_query(http, acme):
    body = payt(http, login(http, acme["boss"]), "Group", "GetByTypeID").json()
    assert body["errors"] == [{"reason": "invalid_query", "message": "Missing parameter: groupTypeID"}]


def test_case_insensitive_names_and_header_ticket_and_post(http, acme):
    ticket = login(http, acme["boss"])
    body = http.post("/api2.ashx", data={"OP": "group", "SubOp": "getByTypeID", "grouptypeid": "3"},
                     headers={"XAuthorization": ticket}).json()
    assert body["status"] == "ok" and len(body["dataset"]["tables"][0]["rows"]) == 4


def test_query_string_wins_over_form_body(http, acme):
    ticket = login(http, acme["boss"])
    body = http.post(f"/api2.ashx?op=Group&subop=GetByTypeID&ticket={ticket}&groupTypeID=2",
                     data={"groupTypeID": "3"}).json()
    assert [r["GroupTypeIDC"] for r in table_rows(body)] == [2]
