"""Scenario: a vehicle drives a known route with stops, reporting through the OsmAnd endpoint
(/osmand on the main port, as a phone running Traccar Client would); Report/Detailed then
tells the route's true length, its number of journeys and its top speed."""

from datetime import datetime, timezone

import pytest

from polytrack.payt.client import PaytClient
from tests.payt.fleetkit import drive, make_client, make_vehicle, route_length_m, stay

EMAIL, PASSWORD = "dispatch@acme.example", "pw-123456"
# Three legs across central London, each several km, with a 10-minute stop between them.
LEGS = [
    ([(51.5007, -0.1246), (51.5033, -0.1195), (51.5080, -0.1030), (51.5079, -0.0877)], 50.0),
    ([(51.5079, -0.0877), (51.5155, -0.0922), (51.5226, -0.1054), (51.5308, -0.1238)], 40.0),
    ([(51.5308, -0.1238), (51.5232, -0.1580), (51.5136, -0.1586), (51.5010, -0.1420)], 70.0),
]
START = int(datetime(2024, 6, 12, 6, 0, tzinfo=timezone.utc).timestamp())  # 07:00 in London; clock is at 12:00 UTC


def route_fixes():
    fixes, t = [], START
    for waypoints, speed in LEGS:
        leg = drive(waypoints, start_t=t, speed_kph=speed)
        fixes += leg
        t = leg[-1].t + 30
        parked = stay(waypoints[-1], start_t=t, seconds=600)
        fixes += parked
        t = parked[-1].t + 30
    return fixes


@pytest.fixture
def vehicle(services):
    client_id = make_client(services, email=EMAIL, password=PASSWORD)
    return make_vehicle(services, client_id, "phone-1", registration="LN24 ROUTE")


def post_route(http, fixes, order=None):
    for fix in (order(fixes) if order else fixes):
        response = http.get("/osmand", params=fix.params("phone-1"))
        assert response.status_code == 200, response.text


@pytest.mark.parametrize("order", [None, "shuffled-tail"])
def test_detailed_report_measures_the_driven_route(http, vehicle, order):
    fixes = route_fixes()
    if order:
        # the last ten minutes arrive late and out of order (a phone flushing its buffer)
        head, tail = fixes[:-40], fixes[-40:]
        fixes = head + tail[::2][::-1] + tail[1::2]
    post_route(http, fixes)
    true_km = sum(route_length_m(waypoints) for waypoints, _ in LEGS) / 1000.0

    payt = PaytClient("", http=http)
    payt.login(EMAIL, PASSWORD)
    summary = payt.detailed("20240612", "20240613").rows
    assert len(summary) == 1
    day = summary[0]
    assert day["VehicleID"] == vehicle and day["Registration"] == "LN24 ROUTE"
    assert day["Date"] == datetime(2024, 6, 11, 23, tzinfo=timezone.utc)  # local midnight (BST)
    assert day["DistanceKM"] == pytest.approx(true_km, rel=0.01)
    assert day["Journeys"] == len(LEGS)
    assert day["MaxSpeedKPH"] == pytest.approx(70.0, abs=0.5)
    assert day["FirstIgnitionOn"] == datetime.fromtimestamp(START, timezone.utc)
    assert day["DrivingSeconds"] > 0

    records = payt.detailed("20240612", "20240613", level=1).rows
    assert len(records) >= len(fixes)
    assert [r["DateTime"] for r in records] == sorted(r["DateTime"] for r in records)
    assert records[-1]["DistanceKM"] == pytest.approx(true_km, rel=0.01)
    assert max(r["SpeedKPH"] or 0 for r in records) == pytest.approx(70.0, abs=0.5)
    descriptions = {r["EventDescription"] for r in records}
    assert {"Position", "Ignition On", "Ignition Off"} <= descriptions

    # nothing on the previous or the next day
    assert payt.detailed("20240611", "20240612").rows == []
    vehicles = payt.vehicles().rows
    assert vehicles[0]["LastPositionDateTime"] == datetime.fromtimestamp(max(f.t for f in fixes), timezone.utc)
