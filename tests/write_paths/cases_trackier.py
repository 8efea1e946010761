"""Write paths of Trackier: its operator routes, CLI commands and writing operations."""

from __future__ import annotations

from tests.write_paths.harness import Env, NOTHING, case


# --- Trackier ----------------------------------------------------------------------------------

@case("POST /_polytrack/trackier/networks", routes=[("POST", "/_polytrack/trackier/networks")])
def _(env: Env):
    with env.write():
        env.op("POST", "/_polytrack/trackier/networks", name="Acme Network")


@case("POST /_polytrack/trackier/networks/{network_id}/api-keys",
      routes=[("POST", "/_polytrack/trackier/networks/{network_id}/api-keys")])
def _(env: Env):
    network = env.network()
    with env.write():
        env.op("POST", f"/_polytrack/trackier/networks/{network}/api-keys", role="network")


@case("polytrack admin trackier create-network", commands=[("admin", "trackier", "create-network")])
def _(env: Env):
    with env.write():
        env.cli("admin", "trackier", "create-network", "--name", "Acme Network")


@case("polytrack admin trackier create-api-key", commands=[("admin", "trackier", "create-api-key")])
def _(env: Env):
    network = env.network()
    with env.write():
        env.cli("admin", "trackier", "create-api-key", "--network", network, "--role", "network")


@case("trackier POST /api/advertiser", operations=[("trackier", "POST /advertiser"), ("trackier", "POST /api/advertiser")])
def _(env: Env):
    key = env.trackier_key()
    with env.write():
        response = env.http.post("/api/advertiser", headers={"X-Api-Key": key},
                                 json={"name": "Adv", "email": "adv@example.com", "password": "s3cret-pass"})
        assert response.status_code == 200, response.text


def _trackier_user(env: Env, path: str, email: str) -> str:
    """An advertiser or affiliate made before the write under test; its _id."""
    response = env.http.post(path, headers={"X-Api-Key": env.trackier_key()},
                             json={"name": "User", "email": email, "password": "s3cret-pass"})
    assert response.status_code == 200, response.text
    return response.json()["data"]["user"]["_id"]


@case("trackier POST /api/advertiser/{id}", operations=[("trackier", "POST /advertiser/{id}")])
def _(env: Env):
    ident = _trackier_user(env, "/api/advertiser", "adv@example.com")
    with env.write():
        response = env.http.post(f"/api/advertiser/{ident}", headers={"X-Api-Key": env.trackier_key()},
                                 json={"name": "Renamed"})
        assert response.status_code == 200, response.text


@case("trackier DELETE /api/advertiser/{id}", operations=[("trackier", "DELETE /advertiser/{id}")])
def _(env: Env):
    ident = _trackier_user(env, "/api/advertiser", "adv@example.com")
    with env.write():
        response = env.http.delete(f"/api/advertiser/{ident}", headers={"X-Api-Key": env.trackier_key()})
        assert response.status_code == 200, response.text


@case("trackier POST /api/affiliate", operations=[("trackier", "POST /affiliate")])
def _(env: Env):
    key = env.trackier_key()
    with env.write():
        response = env.http.post("/api/affiliate", headers={"X-Api-Key": key},
                                 json={"name": "Pub", "email": "pub@example.com", "password": "s3cret-pass"})
        assert response.status_code == 200, response.text


@case("trackier POST /api/affiliate/{id}", operations=[("trackier", "POST /affiliate/{id}")])
def _(env: Env):
    ident = _trackier_user(env, "/api/affiliate", "pub@example.com")
    with env.write():
        response = env.http.post(f"/api/affiliate/{ident}", headers={"X-Api-Key": env.trackier_key()},
                                 json={"bank": {"name": "HDFC"}})
        assert response.status_code == 200, response.text


@case("trackier DELETE /api/affiliate/{id}", operations=[("trackier", "DELETE /affiliate/{id}")])
def _(env: Env):
    ident = _trackier_user(env, "/api/affiliate", "pub@example.com")
    with env.write():
        response = env.http.delete(f"/api/affiliate/{ident}", headers={"X-Api-Key": env.trackier_key()})
        assert response.status_code == 200, response.text




@case("read: trackier GET /api/advertiser")
def _(env: Env):
    key = env.trackier_key()
    with env.write(NOTHING):
        for _ in range(2):
            response = env.http.get("/api/advertiser", headers={"X-Api-Key": key})
            assert response.status_code == 200, response.text
