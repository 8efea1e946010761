"""Write paths of the operator API's own routes, the kernel CLI and PAYT / TrackerPro."""

from __future__ import annotations

import json
from typing import Callable

from tests.write_paths.harness import BOSS, COLLECTED, DERIVED, Env, NOTHING, PASSWORD, T, case


# --- the operator API's own routes and the kernel CLI -------------------------------------------

@case("POST /_polytrack/reset", routes=[("POST", "/_polytrack/reset")])
def _(env: Env):
    env.payt_client()
    with env.write():
        env.op("POST", "/_polytrack/reset")


@case("POST /_polytrack/seed", routes=[("POST", "/_polytrack/seed")])
def _(env: Env):
    with env.write():
        env.op("POST", "/_polytrack/seed")


@case("polytrack admin reset", commands=[("admin", "reset")])
def _(env: Env):
    env.payt_client()
    with env.write():
        assert "all data deleted" in env.cli("admin", "reset")


@case("polytrack demo seed", commands=[("demo", "seed")])
def _(env: Env):
    with env.write():
        assert "demo data loaded" in env.cli("demo", "seed")


@case("polytrack migrate", commands=[("migrate",)])
def _(env: Env):
    with env.write():
        assert "up to date" in env.cli("migrate", refill=False)


# --- PAYT / TrackerPro provisioning --------------------------------------------------------------

@case("POST /_polytrack/payt/admin-keys", routes=[("POST", "/_polytrack/payt/admin-keys")])
def _(env: Env):
    with env.write():
        env.op("POST", "/_polytrack/payt/admin-keys", name="integrator")


@case("polytrack admin payt create-admin-key", commands=[("admin", "payt", "create-admin-key")])
def _(env: Env):
    with env.write():
        env.cli("admin", "payt", "create-admin-key", "--name", "integrator")


@case("POST /_polytrack/payt/clients", routes=[("POST", "/_polytrack/payt/clients")])
def _(env: Env):
    with env.write():
        env.op("POST", "/_polytrack/payt/clients", company="acme")


@case("polytrack admin payt create-client", commands=[("admin", "payt", "create-client")])
def _(env: Env):
    with env.write():
        env.cli("admin", "payt", "create-client", "--company", "acme")


@case("POST /_polytrack/payt/users", routes=[("POST", "/_polytrack/payt/users")])
def _(env: Env):
    with env.write():
        env.op("POST", "/_polytrack/payt/users", company="acme", email=BOSS, password=PASSWORD)


@case("polytrack admin payt create-user", commands=[("admin", "payt", "create-user")])
def _(env: Env):
    with env.write():
        env.cli("admin", "payt", "create-user", "--company", "acme", "--email", BOSS, "--password", PASSWORD)


# The fleet operations, over HTTP and the CLI: (HTTP method, path, the field the path names, the
# fields after the set-up). Each makes a client "acme" first.
FLEET: dict[str, tuple[str, str, str | None, Callable[[Env], dict]]] = {
    "create-group": ("POST", "/_polytrack/payt/groups", None, lambda env: {"type_id": 3, "description": "Vans"}),
    "update-group": ("PATCH", "/_polytrack/payt/groups/{target}", "group_id",
                     lambda env: {"group_id": env.group(), "description": "Renamed"}),
    "create-device": ("POST", "/_polytrack/payt/devices", None, lambda env: {"identifier": "dev-9"}),
    "create-driver": ("POST", "/_polytrack/payt/drivers", None, lambda env: {"name": "Dee Driver"}),
    "create-vehicle": ("POST", "/_polytrack/payt/vehicles", None,
                       lambda env: {"registration": "XY34 ZZZ", "device_identifier": "dev-2"}),
    "update-vehicle": ("PATCH", "/_polytrack/payt/vehicles/{target}", "vehicle_id",
                       lambda env: {"vehicle_id": env.vehicle(), "description": "Van"}),
    "create-location": ("POST", "/_polytrack/payt/locations", None,
                        lambda env: {"name": "Depot", "latitude": 51.5, "longitude": -0.1, "radius_m": 100}),
    "create-task": ("POST", "/_polytrack/payt/tasks", None,
                    lambda env: {"name": "Site A", "start_ms": 1725958800000, "end_ms": 1725966000000}),
    "grant-folder": ("POST", "/_polytrack/payt/permissions", None,
                     lambda env: {"email": BOSS, "group_id": env.payt_user() and env.group()}),
    "revoke-folder": ("DELETE", "/_polytrack/payt/permissions", None,
                      lambda env: {"email": BOSS, "group_id": env.grant()}),
}


def _fleet_cases(name: str, method: str, template: str, target: str | None, fields: Callable[[Env], dict]) -> None:
    @case(f"{method} {template} ({name})", routes=[(method, template)])
    def over_http(env: Env):
        env.payt_client()
        data = {"company": "acme", **fields(env)}
        path = template.replace("{target}", str(data.pop(target))) if target else template
        with env.write():
            env.op(method, path, **data)

    @case(f"polytrack admin payt {name}", commands=[("admin", "payt", name)])
    def over_cli(env: Env):
        env.payt_client()
        data = {"company": "acme", **fields(env)}
        flags = [item for key, value in data.items() for item in (f"--{key.replace('_', '-')}", str(value))]
        with env.write():
            env.cli("admin", "payt", name, *flags)


for _name, _entry in FLEET.items():
    _fleet_cases(_name, *_entry)


@case("POST /_polytrack/payt/rederive", routes=[("POST", "/_polytrack/payt/rederive")])
def _(env: Env):
    env.vehicle()
    for t in (T, T + 60, T + 120):
        env.osmand(t)
    with env.write(DERIVED):
        assert env.op("POST", "/_polytrack/payt/rederive")["vehicles"] >= 1


@case("polytrack payt rederive", commands=[("payt", "rederive")])
def _(env: Env):
    env.vehicle()
    for t in (T, T + 60, T + 120):
        env.osmand(t)
    with env.write(DERIVED):
        env.cli("payt", "rederive")


@case("polytrack payt import", commands=[("payt", "import")])
def _(env: Env):
    env.vehicle()
    path = env.tmp_path / "positions.csv"
    path.write_text("device,timestamp,lat,lon,speed,heading\n"
                    + "".join(f"phone-1,{T + 30 * k},{51.5 + k / 1000:.4f},-0.12,20,90\n" for k in range(5)))
    with env.write(DERIVED):
        report = json.loads(env.cli("payt", "import", str(path), "--quiet"))
    assert report["imported"] == 5, report


# --- PAYT / TrackerPro on the wire -------------------------------------------------------------

@case("payt Authenticate/Login", operations=[("payt", "Authenticate/Login")])
def _(env: Env):
    env.payt_user()
    with env.write():
        body = env.payt("Authenticate", "Login", username=BOSS, password=PASSWORD)
        assert body["status"] == "ok", body


@case("payt Authenticate/Logout", operations=[("payt", "Authenticate/Logout")])
def _(env: Env):
    ticket = env.ticket()
    with env.write():
        body = env.payt("Authenticate", "Logout", ticket=ticket)
        assert body["status"] == "ok", body


@case("payt expired ticket deleted on the hot path")
def _(env: Env):
    ticket = env.ticket()
    env.clock.advance(2 * 86400)  # far past the idle window
    with env.write():
        body = env.payt("Group", "GetByTypeID", ticket=ticket, groupTypeID="3")
        assert body["errors"][0]["reason"] == "user_not_authenticated", body


@case("payt Report/Detailed derives late fixes first", operations=[("payt", "Report/Detailed")])
def _(env: Env):
    env.vehicle()
    ticket = env.ticket()
    for t in (T, T + 20, T + 10):  # the last one is late: the vehicle's derived data is dirty
        env.osmand(t)
    with env.write(DERIVED):
        response = env.http.get("/api2.ashx", params={
            "op": "Report", "subop": "Detailed", "ticket": ticket, "levelOfDetail": "0", "startDate": "20240612",
            "endDate": "20240613", "vehicleIDs": "0", "groupIDs": "0"})
        assert '"status":"ok"' in response.text, response.text  # JavaScript dates: not strict JSON


@case("trackerpro Admin/Register", operations=[("payt", "Admin/Register")])
def _(env: Env):
    env.admin_key()
    with env.write():
        body = env.trackerpro("Admin", "Register", company="acme", email=BOSS, password=PASSWORD)
        assert body["status"] == "ok", body


@case("trackerpro Admin/Launch", operations=[("payt", "Admin/Launch")])
def _(env: Env):
    ssid = env.ssid()
    with env.write():
        body = env.trackerpro("Admin", "Launch", ssid=ssid)
        assert body["status"] == "ok", body


@case("payt launch page consumes its token (GET /?authtoken=)")
def _(env: Env):
    token = env.launch_token()
    with env.write():
        assert env.http.get(f"/?authtoken={token}", follow_redirects=False).status_code == 303


@case("osmand POST /osmand (collected data only)")
def _(env: Env):
    env.vehicle()
    with env.write(COLLECTED):
        response = env.http.post("/osmand", data={"id": "phone-1", "lat": "51.5", "lon": "-0.12", "timestamp": str(T)})
        assert response.status_code == 200, response.text




# --- negative controls: reads leave the caches alone ---------------------------------------------

@case("read: payt Group/GetByTypeID")
def _(env: Env):
    env.group()
    ticket = env.ticket()
    with env.write(NOTHING):
        for _ in range(2):  # the first answer is read, the second comes from the server's own cache
            body = env.payt("Group", "GetByTypeID", ticket=ticket, groupTypeID="3")
            assert body["status"] == "ok", body
