"""Group commit on the OsmAnd endpoint: devices posting at the same time share transactions,
and every one of them gets exactly what it would get alone (stored and derived in arrival
order, duplicates ignored, a failing neighbour failing nobody else)."""

import asyncio

import httpx
import pytest
from sqlalchemy import func, select

from polytrack.payt import derive, fleet
from polytrack.payt.ingest import build_osmand_app
from polytrack.payt.tables import payt_derivation_state, payt_positions
from tests.payt.fleetkit import derived, drive, make_client, make_vehicle, stay

pytestmark = pytest.mark.usefixtures("services")

DEPOT = (51.50070, -0.12460)
ROUTE = [DEPOT, (51.50480, -0.12390), (51.50790, -0.12280), (51.51100, -0.11470), (51.51300, -0.10200)]
T0 = 1717999200  # Monday 2024-06-10 07:00 London


def feed(offset_s: int):
    """A van at the depot, a drive through the depot's fence and beyond, a stop, the way back."""
    fixes = stay(DEPOT, start_t=T0 + offset_s, seconds=600)
    fixes += drive(ROUTE, start_t=fixes[-1].t + 30, speed_kph=48.0, interval_s=10)
    fixes += stay(ROUTE[-1], start_t=fixes[-1].t + 30, seconds=480)
    fixes += drive(ROUTE[::-1], start_t=fixes[-1].t + 30, speed_kph=130.0, interval_s=10)
    return fixes


def send_concurrently(app, requests_per_device: dict[str, list[dict]]) -> dict[str, list[tuple[int, str]]]:
    """Every device posts its requests one after the other (the next once the previous is
    answered, as Traccar Client does); all devices at the same time, through one ASGI app."""

    async def device(client, requests):
        answers = []
        for request in requests:
            if "json" in request:
                response = await client.post("/", json=request["json"])
            else:
                response = await client.get("/", params=request)
            answers.append((response.status_code, response.text))
        return answers

    async def main():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://device") as client:
            answers = await asyncio.gather(*(device(client, requests) for requests in requests_per_device.values()))
        return dict(zip(requests_per_device, answers))

    return asyncio.run(main())


@pytest.fixture
def fleet_of(services):
    """fleet_of(n, prefix) -> {device identifier: vehicle id} in one client with a depot."""
    client_id = make_client(services)
    with services.transaction() as conn:
        fleet.create_location(conn, client_id, name="Depot", latitude=DEPOT[0], longitude=DEPOT[1], radius_m=150)

    def make(n, prefix):
        return {f"{prefix}-{k}": make_vehicle(services, client_id, f"{prefix}-{k}", speed_limit_kph=110)
                for k in range(n)}

    return make


def count_positions(services, vehicle_id=None):
    query = select(func.count()).select_from(payt_positions)
    if vehicle_id is not None:
        query = query.where(payt_positions.c.vehicle_id == vehicle_id)
    with services.engine.connect() as conn:
        return conn.execute(query).scalar()


def test_concurrent_devices_share_transactions_and_derive_as_alone(services, fleet_of):
    together, alone = fleet_of(4, "together"), fleet_of(4, "alone")
    feeds = [feed(37 * k) for k in range(4)]
    app = build_osmand_app(services)
    answers = send_concurrently(app, {device: [fix.params(device) for fix in fixes]
                                      for device, fixes in zip(together, feeds)})
    assert all(answer == (200, "") for device_answers in answers.values() for answer in device_answers)
    group_commit = app.state.ingest.group_commit
    requests = sum(len(fixes) for fixes in feeds)
    assert group_commit.items_stored == requests
    assert group_commit.batches < requests / 2  # transactions were shared ...
    assert max(group_commit.batch_sizes) >= 3  # ... by several devices at a time

    # the same fixes, one request at a time, for the other four vans
    for device, fixes in zip(alone, feeds):
        answers = send_concurrently(app, {device: [fix.params(device) for fix in fixes]})
        assert all(answer == (200, "") for answer in answers[device])

    with services.transaction() as conn:
        assert conn.execute(select(func.count()).select_from(payt_derivation_state)
                            .where(payt_derivation_state.c.dirty_from_ms.is_not(None))).scalar() == 0
        for (device, shared), (_, single), fixes in zip(together.items(), alone.items(), feeds):
            live = derived(conn, shared)
            assert live == derived(conn, single), device
            assert len(live["trips"]) == 2 and live["events"] and live["days"][0][-1] == len(fixes)
            derive.recompute(conn, shared, None)  # from scratch: the live derivation was exact
            assert derived(conn, shared) == live, device
    for vehicle_id, fixes in zip(together.values(), feeds):
        assert count_positions(services, vehicle_id) == len(fixes)


def test_a_failing_position_fails_none_of_its_batch_neighbours(services, fleet_of):
    vans = fleet_of(3, "van")
    app = build_osmand_app(services)
    first = {device: [fix.params(device) for fix in feed(0)[:2]] for device in vans}
    assert all(a == (200, "") for answers in send_concurrently(app, first).values() for a in answers)
    # van-2 is removed behind polytrack's back (plain SQL on a driver connection: no read cache
    # hears of it, so this process still has its device and vehicle cached): its next position
    # fails inside the shared transaction
    services.hot.driver().execute(f"DELETE FROM payt_vehicles WHERE id = {int(vans['van-2'])}")
    later = {device: [fix.params(device) for fix in feed(0)[2:5]] for device in vans}
    answers = send_concurrently(app, later)

    assert answers["van-0"] == answers["van-1"] == [(200, "")] * 3
    assert [status for status, _ in answers["van-2"]] == [400] * 3
    assert "is not fitted to a vehicle" in answers["van-2"][0][1]
    assert app.state.ingest.group_commit.retried_batches >= 1
    with services.transaction() as conn:
        for device in ("van-0", "van-1"):
            assert count_positions(services, vans[device]) == 5
            live = derived(conn, vans[device])
            derive.recompute(conn, vans[device], None)  # the rolled-back attempt left no trace
            assert derived(conn, vans[device]) == live
    assert count_positions(services, vans["van-2"]) == 0


def test_duplicates_within_one_batch_are_stored_once(services, fleet_of):
    vans = fleet_of(2, "dup")
    app = build_osmand_app(services)
    fix = feed(0)[0]
    # three copies of one fix (the first with its own latitude) and another van, all at once
    copies = {f"copy-{k}": fix.params("dup-0", lat=f"{51.5 + k / 1000:.4f}") for k in range(3)}
    other = {"dup-1": fix.params("dup-1")}

    async def main():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://device") as client:
            return await asyncio.gather(*(client.get("/", params=p) for p in [*copies.values(), *other.values()]))

    responses = asyncio.run(main())
    assert [r.status_code for r in responses] == [200] * 4
    assert app.state.ingest.group_commit.batch_sizes == {4: 1}  # one transaction for all four
    with services.engine.connect() as conn:
        rows = conn.execute(select(payt_positions.c.vehicle_id, payt_positions.c.latitude)
                            .order_by(payt_positions.c.vehicle_id)).all()
        assert rows == [(vans["dup-0"], 51.5), (vans["dup-1"], pytest.approx(fix.lat))]  # the first copy won
        assert derived(conn, vans["dup-0"])["days"][0][-1] == 1  # counted once


def test_json_batches_and_single_fixes_mixed_in_one_transaction(services, fleet_of):
    vans = fleet_of(2, "mix")
    fixes = feed(0)[:12]
    locations = [{"timestamp": f"{fix.t}", "coords": {"latitude": fix.lat, "longitude": fix.lon,
                                                      "speed": fix.speed_kph / 3.6}} for fix in fixes]
    requests = {
        "mix-0": [{"json": {"device_id": "mix-0", "location": locations[k:k + 4]}} for k in range(0, 12, 4)],
        "mix-1": [fix.params("mix-1") for fix in fixes],
    }
    app = build_osmand_app(services)
    answers = send_concurrently(app, requests)
    assert all(a == (200, "") for device_answers in answers.values() for a in device_answers)
    with services.engine.connect() as conn:
        stored = [conn.execute(select(payt_positions.c.fix_ms).where(payt_positions.c.vehicle_id == vehicle_id)
                               .order_by(payt_positions.c.id)).scalars().all() for vehicle_id in vans.values()]
        assert stored[0] == stored[1] == [fix.t * 1000 for fix in fixes]  # each in arrival order
        assert derived(conn, vans["mix-0"]) == derived(conn, vans["mix-1"])


def test_a_lone_device_gets_a_transaction_per_request(services, fleet_of):
    fleet_of(1, "lone")
    app = build_osmand_app(services)
    fixes = feed(0)[:5]
    send_concurrently(app, {"lone-0": [fix.params("lone-0") for fix in fixes]})
    assert app.state.ingest.group_commit.batch_sizes == {1: 5}
    assert count_positions(services) == 5
