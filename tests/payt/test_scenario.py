"""A van drives a known route around London with stops, reporting through the OsmAnd endpoint
over HTTP; trips, stops, events and daily stats must match the route."""

import pytest
from sqlalchemy import select

from polytrack.payt import derive, fleet
from polytrack.payt.motion import EVENT_ENTER_LOCATION, EVENT_IGNITION_OFF, EVENT_IGNITION_ON, EVENT_LEAVE_LOCATION, EVENT_OVERSPEED
from polytrack.payt.tables import payt_positions
from tests.payt.fleetkit import derived, drive, make_client, make_vehicle, route_length_m, stay

pytestmark = pytest.mark.usefixtures("services")

DEPOT = (51.50070, -0.12460)
# three legs along street-like polylines: depot -> Bank -> Canary Wharf -> depot
LEG_1 = [DEPOT, (51.50480, -0.12390), (51.50790, -0.12280), (51.51100, -0.11470), (51.51300, -0.10200),
         (51.51380, -0.09200)]
LEG_2 = [LEG_1[-1], (51.51140, -0.08300), (51.50990, -0.06900), (51.51120, -0.04900), (51.50720, -0.03300),
         (51.50540, -0.02330)]
LEG_3 = [LEG_2[-1], (51.50620, -0.04500), (51.50870, -0.07600), (51.50760, -0.09800), (51.50620, -0.11500),
         DEPOT]
SPEED_KPH = 46.0
# Monday 2024-06-10 07:00 London (06:00 UTC)
T0 = 1717999200


def journey():
    fixes, t = [], T0
    fixes += stay(DEPOT, start_t=t, seconds=900)
    for leg, dwell in ((LEG_1, 1200), (LEG_2, 900), (LEG_3, 1200)):
        t = fixes[-1].t + 30
        fixes += drive(leg, start_t=t, speed_kph=SPEED_KPH, interval_s=10)
        fixes += stay(leg[-1], start_t=fixes[-1].t + 30, seconds=dwell)
    return fixes


@pytest.fixture
def van(services):
    client_id = make_client(services)
    with services.transaction() as conn:
        depot = fleet.create_location(conn, client_id, name="Depot", latitude=DEPOT[0], longitude=DEPOT[1], radius_m=150)
    vehicle_id = make_vehicle(services, client_id, "van-1", speed_limit_kph=40)
    return {"vehicle_id": vehicle_id, "depot": depot}


def test_route_with_stops_gives_trips_stops_and_daily_stats(http, services, van):
    for fix in journey():
        response = http.get("/osmand", params=fix.params("van-1"))
        assert response.status_code == 200 and response.text == ""
    with services.transaction() as conn:
        derive.ensure_fresh(conn, [van["vehicle_id"]])
        result = derived(conn, van["vehicle_id"])

    trips = result["trips"]
    assert len(trips) == 3
    for trip, leg in zip(trips, (LEG_1, LEG_2, LEG_3)):
        start_ms, end_ms, slat, slon, elat, elon, distance, max_speed, average, _positions = trip
        true_length = route_length_m(leg)
        assert abs(distance - true_length) / true_length < 0.01, (distance, true_length)
        assert max_speed == pytest.approx(SPEED_KPH, abs=0.01)
        assert (slat, slon) == pytest.approx(leg[0], abs=1e-6) and (elat, elon) == pytest.approx(leg[-1], abs=1e-6)
        assert average == pytest.approx(distance / ((end_ms - start_ms) / 1000) * 3.6)
        assert 0.9 * SPEED_KPH < average <= SPEED_KPH + 0.01

    stops = result["stops"]
    assert len(stops) == 4  # at the depot before leaving, at Bank, at Canary Wharf, back at the depot
    assert [s[1] for s in stops[:3]] == [t[0] for t in trips]  # each stop ends when the next trip starts
    assert [s[0] for s in stops[1:]] == [t[1] for t in trips]  # and starts where the trip ended

    (day,) = result["days"]
    total = sum(t[6] for t in trips)
    assert str(day[0]) == "2024-06-10"
    assert day[5] == pytest.approx(total)
    assert abs(total - route_length_m(LEG_1 + LEG_2[1:] + LEG_3[1:])) / total < 0.01
    assert day[7] == 3  # journeys
    assert day[1] == trips[0][0] and day[2] == trips[-1][1]  # first ignition on, last ignition off
    assert day[3] + day[4] == pytest.approx(sum((t[1] - t[0]) / 1000 for t in trips))
    assert day[6] == pytest.approx(SPEED_KPH, abs=0.01)
    assert day[8] == len(journey())

    kinds = [(e[1], e[2]) for e in result["events"]]
    assert kinds.count((EVENT_IGNITION_ON, None)) == 3 and kinds.count((EVENT_IGNITION_OFF, None)) == 3
    assert kinds.count((EVENT_LEAVE_LOCATION, van["depot"])) == 1
    assert kinds.count((EVENT_ENTER_LOCATION, van["depot"])) == 2  # first fix inside, and coming back
    assert kinds.count((EVENT_OVERSPEED, None)) == 3  # 46 km/h against a 40 km/h limit, once per trip


def test_same_route_reported_out_of_order_gives_same_result(http, services, van):
    client_id = make_client(services, company="other")
    shuffled_vehicle = make_vehicle(services, client_id, "van-2", speed_limit_kph=40)
    fixes = journey()
    for fix in fixes:
        http.get("/osmand", params=fix.params("van-1"))
    # van-2 was offline during the second leg and uploads that part last, newest first
    second_leg = [f for f in fixes if LEG_2[0] != (f.lat, f.lon) and fixes.index(f) in range(200, 420)]
    for fix in [f for f in fixes if f not in second_leg] + second_leg[::-1]:
        assert http.get("/osmand", params=fix.params("van-2")).status_code == 200
    with services.transaction() as conn:
        assert derive.ensure_fresh(conn, [van["vehicle_id"], shuffled_vehicle]) == 1
        first, second = derived(conn, van["vehicle_id"]), derived(conn, shuffled_vehicle)
        count = conn.execute(select(payt_positions.c.id).where(payt_positions.c.vehicle_id == shuffled_vehicle)).all()
    assert len(count) == len(fixes)
    assert first["trips"] == second["trips"] and first["stops"] == second["stops"] and first["days"] == second["days"]
    # the other client has no Depot location, so only location events differ
    assert [e for e in first["events"] if e[1] not in (EVENT_ENTER_LOCATION, EVENT_LEAVE_LOCATION)] == second["events"]
