"""Report/Detailed (levels 0 and 1) and Report/Historic over HTTP."""

import math

import pytest

from polytrack.payt.client import PaytApiError, PaytClient
from polytrack.payt.motion import EVENT_IGNITION_ON as IGN_ON, EVENT_OVERSPEED as OVERSPEED, EVENT_POSITION as POS
from tests.payt.opsdata import PASSWORD, login, ms, payt, table_rows

LONDON_MIDNIGHT_10_JUNE = ms(2024, 6, 9, 23, 0)  # BST: local midnight is 23:00 UTC the day before


@pytest.fixture
def boss(http, acme):
    client = PaytClient("", http=http)
    client.login(acme["boss"], PASSWORD)
    return client


@pytest.fixture
def vans(http, acme):
    client = PaytClient("", http=http)
    client.login(acme["vans_user"], PASSWORD)
    return client


def detailed(http, ticket, **params):
    base = {"startDate": "20240610", "endDate": "20240612", "vehicleIDs": "0", "groupIDs": "0", "levelOfDetail": "0", "dtm": "o"}
    return payt(http, ticket, "Report", "Detailed", **{**base, **params}).json()


def haversine_km(a, b):
    r = 6371.0088
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(b[1] - a[1]) / 2) ** 2
    return 2 * r * math.asin(math.sqrt(h))


# --- level 0 ---------------------------------------------------------------------------------

def test_level0_summary_rows_per_vehicle_per_local_day(http, acme):
    body = detailed(http, login(http, acme["boss"]))
    assert body["dataset"]["datasetname"] == "Report_Detailed"
    tbl = body["dataset"]["tables"][0]
    assert [c["label"] for c in tbl["cols"]] == [
        "VehicleID", "Date", "Registration", "Description", "GroupID", "DriverID", "DriverName", "FirstIgnitionOn",
        "LastIgnitionOff", "DrivingSeconds", "IdleSeconds", "DistanceKM", "MaxSpeedKPH", "Journeys"]
    assert tbl["p"] == {"tablename": "Report_Detailed", "primarykey": [0, 1]}
    rows = table_rows(body)
    v = acme["vehicles"]
    assert [(r["VehicleID"], r["Date"]) for r in rows] == [
        (v["van1"], "2024-06-09T23:00:00.0000000"), (v["van1"], "2024-06-10T23:00:00.0000000"),
        (v["car1"], "2024-06-09T23:00:00.0000000")]
    van1 = rows[0]
    assert van1["Registration"] == "ACME1 VAN" and van1["GroupID"] == acme["folders"]["north"]
    assert van1["DriverID"] == acme["driver"] and van1["DriverName"] == "acme Driver"
    assert van1["FirstIgnitionOn"] == "2024-06-10T08:00:00.0000000" and van1["LastIgnitionOff"] == "2024-06-10T08:02:00.0000000"
    assert (van1["DrivingSeconds"], van1["IdleSeconds"], van1["DistanceKM"], van1["MaxSpeedKPH"], van1["Journeys"]) == (120, 30, 1.8, 55.5, 1)
    car1 = rows[2]
    assert (car1["DistanceKM"], car1["MaxSpeedKPH"], car1["Journeys"]) == (12.346, 88.0, 2)


def test_level0_default_dates_are_new_date_of_local_midnight(http, acme):
    response = payt(http, login(http, acme["boss"]), "Report", "Detailed", startDate="20240610", endDate="20240611",
                    vehicleIDs="0", groupIDs="0", levelOfDetail="0")
    assert f'{{"v":new Date({LONDON_MIDNIGHT_10_JUNE})}}' in response.text


def test_level0_end_date_is_exclusive(boss, acme):
    rows = boss.detailed("20240610", "20240611").rows
    assert sorted((r["VehicleID"], r["Date"].day) for r in rows) == sorted([(acme["vehicles"]["van1"], 9), (acme["vehicles"]["car1"], 9)])


def test_level0_vehicle_and_group_filters_intersect_and_include_descendants(boss, acme):
    v, f = acme["vehicles"], acme["folders"]
    assert {r["VehicleID"] for r in boss.detailed("20240610", "20240612", vehicle_ids=[v["car1"]]).rows} == {v["car1"]}
    # Vans contains Vans North (van1) as a descendant
    assert {r["VehicleID"] for r in boss.detailed("20240610", "20240612", group_ids=[f["vans"]]).rows} == {v["van1"]}
    assert boss.detailed("20240610", "20240612", vehicle_ids=[v["car1"]], group_ids=[f["vans"]]).rows == []
    assert {r["VehicleID"] for r in boss.detailed("20240610", "20240612", vehicle_ids=[v["car1"], v["van1"]], group_ids=[f["root"]]).rows} == {v["car1"], v["van1"]}


def test_level0_is_intersected_with_user_permissions(vans, acme):
    v, f = acme["vehicles"], acme["folders"]
    assert {r["VehicleID"] for r in vans.detailed("20240610", "20240612").rows} == {v["van1"]}
    # the root folder is listed to this user as an ancestor; its vehicles are still cut to Vans
    assert {r["VehicleID"] for r in vans.detailed("20240610", "20240612", group_ids=[f["root"]]).rows} == {v["van1"]}
    for kwargs in ({"vehicle_ids": [v["car1"]]}, {"group_ids": [f["cars"]]}):
        with pytest.raises(PaytApiError) as err:
            vans.detailed("20240610", "20240612", **kwargs)
        assert err.value.reason == "access_denied"


def test_level0_event_filter_keeps_days_with_those_events(boss, acme):
    v = acme["vehicles"]
    rows = boss.detailed("20240610", "20240612", event_ids=[OVERSPEED]).rows
    assert [(r["VehicleID"], r["Date"].day) for r in rows] == [(v["van1"], 9)]
    assert len(boss.detailed("20240610", "20240612", event_ids=0).rows) == 3
    assert boss.detailed("20240610", "20240612", event_ids=[99]).rows == []


def test_level0_in_client_timezone(http, services, acme):
    from polytrack.payt.tables import payt_clients
    with services.transaction() as conn:
        conn.execute(payt_clients.update().where(payt_clients.c.id == acme["client_id"]).values(timezone="UTC"))
    rows = table_rows(detailed(http, login(http, acme["boss"]), endDate="20240611"))
    assert {r["Date"] for r in rows} == {"2024-06-10T00:00:00.0000000"}


# --- level 1 ---------------------------------------------------------------------------------

def test_level1_every_position_with_events_and_cumulative_distance(http, acme):
    v = acme["vehicles"]
    body = detailed(http, login(http, acme["boss"]), levelOfDetail="1", vehicleIDs=str(v["van1"]), endDate="20240611")
    tbl = body["dataset"]["tables"][0]
    assert [c["label"] for c in tbl["cols"]] == [
        "VehicleID", "Registration", "DateTime", "EventID", "EventDescription", "Latitude", "Longitude", "SpeedKPH",
        "Heading", "DistanceKM", "DriverID", "Address"]
    rows = table_rows(body)
    assert [(r["DateTime"][11:19], r["EventID"], r["EventDescription"]) for r in rows] == [
        ("08:00:00", IGN_ON, "Ignition On"), ("08:01:00", POS, "Position"), ("08:02:00", POS, "Position"),
        ("08:02:30", OVERSPEED, "Overspeed")]
    base = acme["base_lat"]
    leg1 = haversine_km((base, -0.10), (base, -0.09))
    leg2 = haversine_km((base, -0.09), (base + 0.01, -0.09))
    assert [r["DistanceKM"] for r in rows] == pytest.approx([0.0, leg1, leg1 + leg2, leg1 + leg2], abs=0.002)
    assert rows[1]["SpeedKPH"] == 42.0 and rows[1]["Heading"] == 90.0 and rows[0]["DriverID"] == acme["driver"]
    assert rows[3]["Latitude"] == base + 0.01 and rows[3]["SpeedKPH"] == 55.5


def test_level1_ignores_event_filter_and_spans_vehicles(http, acme):
    rows = table_rows(detailed(http, login(http, acme["boss"]), levelOfDetail="1", eventIDs=str(OVERSPEED)))
    v = acme["vehicles"]
    assert [r["VehicleID"] for r in rows] == [v["van1"]] * 5 + [v["car1"]]
    assert rows[-1]["DistanceKM"] == 0.0  # distance restarts per vehicle


# --- Historic --------------------------------------------------------------------------------

def test_historic_normalised_tables(boss, acme):
    v = acme["vehicles"]
    data = boss.historic("20240610", "20240611", vehicle_ids=[v["van1"]])
    assert data.name == "VehiclePositionDataSet"
    assert [t.name for t in data.tables] == ["Vehicles", "Positions", "EventTypes"]
    assert data.table("Vehicles").rows == [{"VehicleID": v["van1"], "Registration": "ACME1 VAN", "Description": "acme van1"}]
    positions = data.table("Positions").rows
    assert [p["EventID"] for p in positions] == [IGN_ON, POS, POS, OVERSPEED]
    assert positions[0]["DateTime"].isoformat() == "2024-06-10T08:00:00+00:00"
    types = {t["EventID"]: t["Description"] for t in data.table("EventTypes").rows}
    assert types[POS] == "Position" and {IGN_ON, OVERSPEED} <= set(types)


def test_historic_event_filter(boss, acme):
    data = boss.historic("20240610", "20240612", event_ids=[OVERSPEED, IGN_ON])
    assert [p["EventID"] for p in data.table("Positions").rows] == [IGN_ON, OVERSPEED]


# --- bad input -------------------------------------------------------------------------------

@pytest.mark.parametrize("params,fragment", [
    ({"startDate": None}, "startDate"),
    ({"startDate": "2024-06-10"}, "startDate"),
    ({"endDate": "20241340"}, "endDate"),
    ({"endDate": "20240610"}, "endDate"),
    ({"endDate": "20240601"}, "endDate"),
    ({"levelOfDetail": "2"}, "levelOfDetail"),
    ({"levelOfDetail": None}, "levelOfDetail"),
    ({"vehicleIDs": None}, "vehicleIDs"),
    ({"vehicleIDs": "1,x"}, "vehicleIDs"),
    ({"groupIDs": None}, "groupIDs"),
    ({"groupIDs": "1;2"}, "groupIDs"),
    ({"eventIDs": "five"}, "eventIDs"),
])
def test_bad_parameters_are_invalid_query_naming_them(http, acme, params, fragment):
    ticket = login(http, acme["boss"])
    base = {"startDate": "20240610", "endDate": "20240612", "vehicleIDs": "0", "groupIDs": "0", "levelOfDetail": "0"}
    merged = {k: v for k, v in {**base, **params}.items() if v is not None}
    body = payt(http, ticket, "Report", "Detailed", **merged).json()
    assert body["status"] == "error" and body["errors"][0]["reason"] == "invalid_query"
    assert fragment in body["errors"][0]["message"]


def test_unknown_vehicle_is_access_denied(http, acme):
    body = detailed(http, login(http, acme["boss"]), vehicleIDs="987654")
    assert body["errors"][0]["reason"] == "access_denied"
