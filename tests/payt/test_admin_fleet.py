"""Fleet provisioning through /_polytrack/payt/... and `polytrack admin payt ...`."""

import json

import pytest
from sqlalchemy import select

from polytrack.cli import main as cli_main
from polytrack.payt.tables import (
    payt_groups, payt_locations, payt_tasks, payt_user_groups, payt_vehicles,
)

pytestmark = pytest.mark.usefixtures("services")


@pytest.fixture
def company(admin):
    assert admin.post("/_polytrack/payt/users", json={"company": "acme", "email": "boss@acme.example",
                                                      "password": "pw-123456"}).status_code == 201
    return "acme"


def post(admin, path, **data):
    return admin.post(f"/_polytrack/payt/{path}", json=data)


def test_folders_of_all_four_types_hang_under_one_root_each(admin, services, company):
    vans = post(admin, "groups", company=company, type_id=3, description="Vans").json()["id"]
    north = post(admin, "groups", company=company, type_id=3, description="North vans", parent_id=vans).json()["id"]
    for type_id in (2, 4, 5):
        assert post(admin, "groups", company=company, type_id=type_id, description=f"t{type_id}").status_code == 201
    with services.engine.connect() as conn:
        rows = {r.id: r for r in conn.execute(select(payt_groups))}
    roots = [r for r in rows.values() if r.parent_id is None]
    assert sorted(r.type_id for r in roots) == [2, 3, 4, 5]
    assert rows[north].parent_id == vans and rows[rows[vans].parent_id].parent_id is None
    assert admin.patch(f"/_polytrack/payt/groups/{vans}", json={"company": company, "parent_id": north}).status_code == 400
    assert admin.patch(f"/_polytrack/payt/groups/{north}", json={"company": company, "description": "N"}).status_code == 200
    with services.engine.connect() as conn:
        assert conn.execute(select(payt_groups.c.row_version).where(payt_groups.c.id == north)).scalar() == 2


@pytest.mark.parametrize("data,status", [
    ({"type_id": 7, "description": "x"}, 400),
    ({"type_id": "x", "description": "x"}, 400),
    ({"type_id": 3}, 400),
    ({"type_id": 3, "description": "x", "parent_id": 999}, 404),
])
def test_bad_folder_requests(admin, company, data, status):
    response = post(admin, "groups", company=company, **data)
    assert response.status_code == status and "error" in response.json()


def test_folder_parent_must_have_the_same_type(admin, company):
    drivers = post(admin, "groups", company=company, type_id=4, description="Drivers").json()["id"]
    response = post(admin, "groups", company=company, type_id=3, description="Vans", parent_id=drivers)
    assert response.status_code == 400


def test_vehicle_with_device_driver_and_folder(admin, services, company):
    vans = post(admin, "groups", company=company, type_id=3, description="Vans").json()["id"]
    driver = post(admin, "drivers", company=company, name="J Smith").json()["id"]
    response = post(admin, "vehicles", company=company, registration="AB12 CDE", description="Transit 1",
                    device_identifier="359000000000001", group_id=vans, driver_id=driver, speed_limit_kph=90)
    assert response.status_code == 201
    vehicle = response.json()["id"]
    with services.engine.connect() as conn:
        row = conn.execute(select(payt_vehicles).where(payt_vehicles.c.id == vehicle)).first()
    assert (row.registration, row.group_id, row.driver_id, row.speed_limit_kph) == ("AB12 CDE", vans, driver, 90)
    assert row.driver_start_ms == 1718193600000
    # the device cannot be fitted to a second vehicle, nor registered twice
    assert post(admin, "vehicles", company=company, registration="X", device_identifier="359000000000001").status_code == 409
    assert post(admin, "devices", company=company, identifier="359000000000001").status_code == 409
    # positions flow at once
    assert admin.get("/osmand", params={"id": "359000000000001", "lat": 51.5, "lon": 0.1}).status_code == 200
    assert admin.patch(f"/_polytrack/payt/vehicles/{vehicle}",
                       json={"company": company, "device_identifier": "", "driver_id": 0}).status_code == 200
    assert admin.get("/osmand", params={"id": "359000000000001", "lat": 51.5, "lon": 0.1}).status_code == 400


def test_locations_circle_and_polygon(admin, services, company):
    assert post(admin, "locations", company=company, name="Depot", latitude=51.5, longitude=-0.12, radius_m=200).status_code == 201
    polygon = {"type": "Polygon", "coordinates": [[[-0.1, 51.5], [-0.09, 51.5], [-0.09, 51.51], [-0.1, 51.5]]]}
    assert post(admin, "locations", company=company, name="Yard", polygon_geojson=polygon).status_code == 201
    assert post(admin, "locations", company=company, name="Bad", latitude=91, longitude=0, radius_m=10).status_code == 400
    assert post(admin, "locations", company=company, name="Bad", polygon_geojson="{nope").status_code == 400
    assert post(admin, "locations", company=company, name="Bad").status_code == 400
    with services.engine.connect() as conn:
        assert [r.name for r in conn.execute(select(payt_locations).order_by(payt_locations.c.id))] == ["Depot", "Yard"]


def test_tasks(admin, services, company):
    vehicle = post(admin, "vehicles", company=company, registration="AB12 CDE").json()["id"]
    response = post(admin, "tasks", company=company, name="Site A", type="Visit", start_ms=1725958800000,
                    end_ms=1725966000000, vehicle_id=vehicle, grace_period_mins=15,
                    region_geojson={"type": "Point", "coordinates": [-1.5, 53.8]})
    assert response.status_code == 201
    with services.engine.connect() as conn:
        task = conn.execute(select(payt_tasks)).first()
    assert (task.assigned_to, task.status, task.grace_period_mins) == ("AB12 CDE", "Pending", 15)
    assert json.loads(task.region_geojson)["type"] == "Point"
    assert post(admin, "tasks", company=company, name="x", start_ms=5, end_ms=1).status_code == 400
    assert post(admin, "tasks", company=company, name="x", start_ms="soon", end_ms=1).status_code == 400
    assert post(admin, "tasks", company=company, name="x", start_ms=1, end_ms=2, status="Lost").status_code == 400


def test_folder_permissions_grant_and_revoke(admin, services, company):
    vans = post(admin, "groups", company=company, type_id=3, description="Vans").json()["id"]
    assert post(admin, "permissions", company=company, email="boss@acme.example", group_id=vans).status_code == 201
    assert post(admin, "permissions", company=company, email="boss@acme.example", group_id=vans).status_code == 201
    assert post(admin, "permissions", company=company, email="nobody@acme.example", group_id=vans).status_code == 404
    with services.engine.connect() as conn:
        assert len(conn.execute(select(payt_user_groups)).all()) == 1
    assert admin.request("DELETE", "/_polytrack/payt/permissions",
                         json={"company": company, "email": "boss@acme.example", "group_id": vans}).status_code == 200
    with services.engine.connect() as conn:
        assert conn.execute(select(payt_user_groups)).all() == []


def test_tenants_cannot_touch_each_others_objects(admin, company):
    assert admin.post("/_polytrack/payt/clients", json={"company": "rival"}).status_code == 201
    vans = post(admin, "groups", company=company, type_id=3, description="Vans").json()["id"]
    assert post(admin, "vehicles", company="rival", registration="R1", group_id=vans).status_code == 404
    vehicle = post(admin, "vehicles", company=company, registration="A1").json()["id"]
    assert admin.patch(f"/_polytrack/payt/vehicles/{vehicle}", json={"company": "rival", "registration": "X"}).status_code == 404
    assert post(admin, "vehicles", company="nobody", registration="R1").status_code == 404


def test_fleet_api_needs_the_admin_token(http):
    assert http.post("/_polytrack/payt/vehicles", json={"company": "acme", "registration": "X"}).status_code == 401


def test_unknown_devices_are_listed(admin, company):
    admin.get("/osmand", params={"id": "ghost", "lat": 1, "lon": 2})
    admin.get("/osmand", params={"id": "ghost", "lat": 1, "lon": 2})
    listed = admin.get("/_polytrack/payt/unknown-devices").json()["unknown_devices"]
    assert [(d["identifier"], d["attempts"]) for d in listed] == [("ghost", 2)]


def test_cli_creates_a_fleet(services, capsys):
    db = ["--db", services.settings.db]
    assert cli_main(["admin", "payt", "create-client", "--company", "cli-co", *db]) == 0
    assert cli_main(["admin", "payt", "create-group", "--company", "cli-co", "--type-id", "3", "--description", "Vans", *db]) == 0
    capsys.readouterr()
    assert cli_main(["admin", "payt", "create-vehicle", "--company", "cli-co", "--registration", "CL1 1",
                     "--device-identifier", "cli-dev", "--speed-limit-kph", "80", *db]) == 0
    vehicle = json.loads(capsys.readouterr().out)["id"]
    assert cli_main(["admin", "payt", "update-vehicle", "--company", "cli-co", "--vehicle-id", str(vehicle),
                     "--description", "Van", *db]) == 0
    assert cli_main(["admin", "payt", "create-location", "--company", "cli-co", "--name", "Depot",
                     "--latitude", "51.5", "--longitude", "-0.1", "--radius-m", "100", *db]) == 0
    assert cli_main(["admin", "payt", "create-vehicle", "--company", "cli-co", "--registration", "X",
                     "--device-identifier", "cli-dev", *db]) == 2
    assert "fitted" in capsys.readouterr().err
