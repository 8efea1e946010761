"""Vehicle/GetAllVehiclesFilteredByUserID (PAYT) and Vehicle/GetAllVehiclesForClientID (TrackerPro)."""

from polytrack.payt.client import PaytClient, TrackerProClient
from polytrack.payt.motion import EVENT_OVERSPEED
from tests.payt.opsdata import login, ms, payt, table_rows, trackerpro

DOCUMENTED = ["VehicleID", "CurrentUnitID", "TypeID", "GroupID", "Description", "Registration", "HourlyCost",
              "KMCost", "DepotID", "DepotName", "TimeStamp", "DriverID", "Name"]
TAIL = ["DriverStartDate", "UnitIMEI", "LastPositionDateTime", "Latitude", "Longitude", "Speed", "Heading", "LastEventID"]


def test_asset_columns_documented_then_placeholder_tail(http, acme):
    body = payt(http, login(http, acme["boss"]), "Vehicle", "GetAllVehiclesFilteredByUserID", dtm="o").json()
    assert body["dataset"]["datasetname"] == "VehicleDetailsDataSet"
    tbl = body["dataset"]["tables"][0]
    assert [c["label"] for c in tbl["cols"]] == DOCUMENTED + TAIL
    assert [c["id"] for c in tbl["cols"]] == [str(i) for i in range(len(DOCUMENTED + TAIL))]
    assert tbl["cols"][0]["p"] == {"autoincrement": True} and tbl["cols"][11]["p"] == {"autoincrement": True}
    assert tbl["cols"][13]["type"] == "datetime" and tbl["cols"][15]["type"] == "datetime"
    assert tbl["p"] == {"tablename": "Asset", "primarykey": [0]}


def test_rows_carry_device_driver_and_last_position(http, acme):
    rows = table_rows(payt(http, login(http, acme["boss"]), "Vehicle", "GetAllVehiclesFilteredByUserID", dtm="o").json())
    by_id = {r["VehicleID"]: r for r in rows}
    assert set(by_id) == set(acme["vehicles"].values())
    van1 = by_id[acme["vehicles"]["van1"]]
    assert van1["CurrentUnitID"] == acme["devices"]["van1"] and van1["UnitIMEI"] == "acme-van1"
    assert van1["GroupID"] == acme["folders"]["north"] and van1["Registration"] == "ACME1 VAN"
    assert van1["HourlyCost"] == 12.5 and van1["KMCost"] == 0.4 and van1["TimeStamp"] == "AAAAAAAAAAc="
    assert van1["DriverID"] == acme["driver"] and van1["Name"] == "acme Driver"
    assert van1["DriverStartDate"] == "2024-01-01T00:00:00.0000000"
    # the newest of van1's four positions, and its newest event (overspeed)
    assert van1["LastPositionDateTime"] == "2024-06-11T09:00:00.0000000"
    assert (van1["Latitude"], van1["Longitude"], van1["Speed"], van1["Heading"]) == (51.52, -0.08, 0.0, 45.0)
    assert van1["LastEventID"] == EVENT_OVERSPEED
    van2 = by_id[acme["vehicles"]["van2"]]
    assert van2["LastPositionDateTime"] is None and van2["Latitude"] is None and van2["DriverID"] is None


def test_default_dates_are_unquoted_new_date_literals(http, acme):
    text = payt(http, login(http, acme["boss"]), "Vehicle", "GetAllVehiclesFilteredByUserID").text
    assert f'{{"v":new Date({ms(2024, 6, 11, 9, 0)})}}' in text
    assert '"new Date(' not in text


def test_restricted_user_sees_only_vehicles_in_permitted_folders(http, acme):
    rows = table_rows(payt(http, login(http, acme["vans_user"]), "Vehicle", "GetAllVehiclesFilteredByUserID", dtm="o").json())
    assert sorted(r["VehicleID"] for r in rows) == sorted([acme["vehicles"]["van1"], acme["vehicles"]["van2"]])


def test_trackerpro_all_vehicles_of_company_without_folder_filter(http, acme):
    tp = TrackerProClient("", acme["admin_key"], http=http)
    table = tp.vehicles_for_client("acme")
    assert table.name == "Asset" and table.labels == DOCUMENTED + TAIL
    assert sorted(r["VehicleID"] for r in table.rows) == sorted(acme["vehicles"].values())
    van1 = next(r for r in table.rows if r["VehicleID"] == acme["vehicles"]["van1"])
    assert van1["LastPositionDateTime"].isoformat() == "2024-06-11T09:00:00+00:00"


def test_trackerpro_vehicles_raw_envelope(http, acme):
    body = trackerpro(http, acme["admin_key"], "Vehicle", "GetAllVehiclesForClientID", company="acme", dtm="o", reqId="r1").json()
    assert list(body) == ["version", "reqId", "status", "sig", "dataset"]
    assert body["reqId"] == "r1" and body["sig"] != "" and int(body["sig"])


def test_trackerpro_vehicles_missing_company_names_it(http, acme):
    body = trackerpro(http, acme["admin_key"], "Vehicle", "GetAllVehiclesForClientID").json()
    assert body["errors"] == [{"reason": "invalid_query", "message": "Missing parameter: company"}]


def test_trackerpro_unknown_company_is_access_denied(http, acme):
    body = trackerpro(http, acme["admin_key"], "Vehicle", "GetAllVehiclesForClientID", company="nosuch").json()
    assert body["errors"][0]["reason"] == "access_denied"


def test_payt_client_vehicles(http, acme):
    client = PaytClient("", http=http)
    client.login(acme["boss"], "pw-123456")
    table = client.vehicles()
    assert len(table.rows) == 3
