"""Stored floats are rendered at the precision of what was measured: a fix sent at 5.4 knots
shows Speed 10.0 (km/h), not 10.000800000000002; coordinates keep 6 decimals."""

from tests.payt.opsdata import login, payt, table_rows, trackerpro

FIX = {"id": "acme-van1", "lat": "52.123456789", "lon": "13.987654321", "speed": "5.4", "bearing": "90.25"}


def send_fix(http, clock) -> None:
    response = http.get("/osmand", params={**FIX, "timestamp": str(int(clock.timestamp()) - 60)})
    assert response.status_code == 200


def test_the_vehicle_lists_render_speed_and_coordinates_rounded(http, clock, acme):
    send_fix(http, clock)
    van1 = acme["vehicles"]["van1"]
    ticket = login(http, acme["boss"])
    for response in (payt(http, ticket, "Vehicle", "GetAllVehiclesFilteredByUserID", dtm="o"),
                     trackerpro(http, acme["admin_key"], "Vehicle", "GetAllVehiclesForClientID", company="acme",
                                dtm="o")):
        row = next(r for r in table_rows(response.json()) if r["VehicleID"] == van1)
        assert (row["Speed"], row["Latitude"], row["Longitude"], row["Heading"]) == (10.0, 52.123457, 13.987654, 90.2)
        assert "10.0008" not in response.text and '{"v":10.0}' in response.text


def test_the_reports_render_speed_and_coordinates_rounded(http, clock, acme):
    send_fix(http, clock)
    ticket = login(http, acme["boss"])
    day = clock.now().strftime("%Y%m%d")
    params = {"startDate": day, "endDate": str(int(day) + 1), "vehicleIDs": str(acme["vehicles"]["van1"]),
              "groupIDs": "0", "dtm": "o"}
    detailed = payt(http, ticket, "Report", "Detailed", levelOfDetail="1", **params).json()
    historic = payt(http, ticket, "Report", "Historic", **params).json()
    for row in (table_rows(detailed)[-1], table_rows(historic, 1)[-1]):
        assert (row["SpeedKPH"], row["Latitude"], row["Longitude"]) == (10.0, 52.123457, 13.987654)
