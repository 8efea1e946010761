"""Write paths of Trackier: its operator routes, CLI commands and writing operations."""

from __future__ import annotations

from tests.write_paths.harness import COLLECTED, NOTHING, Env, case


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



def _trackier_world(env: Env) -> dict:
    """What the campaign-side writes act on, made before the write under test: an advertiser,
    a publisher, a campaign with a commission, a cap, a landing page, a goal with a payout, a
    publisher payout, a category and a custom field; their _ids by name."""
    def call(method: str, path: str, body=None) -> dict:
        response = env.http.request(method, f"/api{path}", headers={"X-Api-Key": env.trackier_key()}, json=body)
        assert response.status_code == 200, response.text
        return response.json()

    world = {"advertiser": _trackier_user(env, "/api/advertiser", "adv@example.com"),
             "publisher": _trackier_user(env, "/api/affiliate", "pub@example.com")}
    created = call("POST", "/campaign", {"title": "C", "url": "https://x.example/?c={click_id}",
                                         "advertiser_id": world["advertiser"],
                                         "commissions": [{"payout": 1, "revenue": 2}],
                                         "caps": [{"type": "click", "daily": 5}]})["data"]
    world.update(campaign=created["campaign"]["_id"], commission=created["commissions"][0]["_id"],
                 cap=created["caps"][0]["id"])
    world["lp"] = call("POST", f"/campaign/lpages/{world['campaign']}", {
        "title": "L", "preview_url": "https://x.example", "url": "https://x.example/lp"})["data"]["landing_pages"][0]["_id"]
    goal = call("POST", "/goal", {"goal": {"title": "G", "value": "g", "type": "public", "ad_id": world["campaign"],
                                           "model": "fixed"}, "payouts": [{"payout": 1, "revenue": 2,
                                                                           "coverage": ["ALL"]}]})["data"]
    world.update(goal=goal["goal"]["_id"], goal_payout=goal["payouts"][0]["_id"])
    world["pub_payout"] = call("POST", f"/campaign/pub-payout/{world['campaign']}", {
        "pids": [world["publisher"]], "crev": 0, "payout": 1})["data"]["payouts"][0]["_id"]
    world["category"] = call("POST", "/dictionary/categories", {"name": "Unused"})["data"]["category"]["_id"]
    call("POST", "/dictionary/customField/affiliate", {"fname": "Skype", "frequired": False})
    world["field"] = call("GET", "/dictionary/customField/affiliate")["data"]["fields"][0]["id"]
    world["referral"] = call("POST", "/network/referral", {"publisher_id": world["publisher"]})["data"]["referral"]["_id"]
    return world


# (operation, method, path with {names} of _trackier_world, body): one write each
_TRACKIER_WRITES = [
    ("POST /campaign", "POST", "/campaign", {"title": "New", "url": "https://x.example", "advertiser_id": "{advertiser}",
                                             "commissions": [{"payout": 1, "revenue": 2}]}),
    ("POST /campaign/{id}", "POST", "/campaign/{campaign}", {"action": "basic_info", "title": "Renamed"}),
    ("DELETE /campaign/{id}", "DELETE", "/campaign/{campaign}", None),
    ("PUT /campaign/domains", "PUT", "/campaign/domains", {"domains": ["trk.example.com"]}),
    ("POST /campaign/assign-publisher", "POST", "/campaign/assign-publisher",
     {"publisher_ids": ["{publisher}"], "campaign_ids": ["{campaign}"]}),
    ("POST /caps/{campId}", "POST", "/caps/{campaign}", {"caps": [{"type": "conversion", "daily": 1}]}),
    ("POST /caps/{campId}/{capId}", "POST", "/caps/{campaign}/{cap}", {"daily": 9}),
    ("DELETE /caps/{campId}/{capId}", "DELETE", "/caps/{campaign}/{cap}", None),
    ("POST /commissions/{campId}", "POST", "/commissions/{campaign}", {"rate": 1, "revenue": 2}),
    ("POST /commissions/{campId}/{id}", "POST", "/commissions/{campaign}/{commission}", {"rate": 3}),
    ("DELETE /commissions/{campId}/{id}", "DELETE", "/commissions/{campaign}/{commission}", None),
    ("POST /campaign/lpages/{campId}", "POST", "/campaign/lpages/{campaign}",
     {"title": "M", "preview_url": "https://x.example", "url": "https://x.example/m"}),
    ("POST /campaign/lpages/{campId}/{lpId}", "POST", "/campaign/lpages/{campaign}/{lp}", {"title": "L2"}),
    ("DELETE /campaign/lpages/{campId}/{lpId}", "DELETE", "/campaign/lpages/{campaign}/{lp}", None),
    ("POST /campaign/pub-payout/{campId}", "POST", "/campaign/pub-payout/{campaign}",
     {"pids": ["{publisher}"], "crev": 1, "payout": 2, "revenue": 3}),
    ("POST /campaign/pub-payout/{campId}/{payoutId}", "POST", "/campaign/pub-payout/{campaign}/{pub_payout}",
     {"payout": 4}),
    ("DELETE /campaign/pub-payout/{campId}/{payoutId}", "DELETE", "/campaign/pub-payout/{campaign}/{pub_payout}", None),
    ("POST /goal", "POST", "/goal", {"goal": {"title": "H", "value": "h", "type": "public", "ad_id": "{campaign}",
                                              "model": "fixed"}}),
    ("POST /goal/{goal_id}", "POST", "/goal/{goal}", {"title": "G2"}),
    ("DELETE /goal/{goal_id}", "DELETE", "/goal/{goal}", None),
    ("POST /goal/payout/{goal_id}", "POST", "/goal/payout/{goal}", {"payout": 1, "revenue": 2, "coverage": ["IN"]}),
    ("POST /goal/payout/{goal_id}/{payout_id}", "POST", "/goal/payout/{goal}/{goal_payout}", {"payout": 5}),
    ("DELETE /goal/payout/{goal_id}/{payout_id}", "DELETE", "/goal/payout/{goal}/{goal_payout}", None),
    ("POST /dictionary/categories", "POST", "/dictionary/categories", {"name": "Games"}),
    ("DELETE /dictionary/categories/{id}", "DELETE", "/dictionary/categories/{category}", None),
    ("POST /dictionary/customField/affiliate", "POST", "/dictionary/customField/affiliate", {"fname": "ICQ"}),
    ("POST /dictionary/customField/advertiser", "POST", "/dictionary/customField/advertiser", {"fname": "ICQ"}),
    ("DELETE /dictionary/customField/affiliate/{id}", "DELETE", "/dictionary/customField/affiliate/{field}", None),
    ("DELETE /dictionary/customField/advertiser/{id}", "DELETE", "/dictionary/customField/advertiser/{field}", None),
    ("PATCH /network/account", "PATCH", "/network/account", {"name": "Renamed Network"}),
    ("POST /network/link/{affiliate_id}/{campaign_id}", "POST", "/network/link/{publisher}/{campaign}", {}),
    ("POST /network/referral", "POST", "/network/referral", {"publisher_id": "{publisher}", "rate": 5}),
    ("PATCH /network/referral/{id}", "PATCH", "/network/referral/{referral}", {"live": False}),
    ("DELETE /network/referral/{id}", "DELETE", "/network/referral/{referral}", None),
    ("POST /goals/{campId}", "POST", "/goals/{campaign}", {"title": "S", "value": "s", "type": "public", "payout": 1,
                                                           "revenue": 2}),
    ("POST /goals/{campId}/{goalId}", "POST", "/goals/{campaign}/{goal}", {"payout": 3}),
    ("DELETE /goals/{campId}/{goalId}", "DELETE", "/goals/{campaign}/{goal}", None),
]


def _filled(template, world: dict):
    """The body or path with the world's ids in place of {names}."""
    if isinstance(template, str):
        return template.format(**world)
    if isinstance(template, list):
        return [_filled(item, world) for item in template]
    if isinstance(template, dict):
        return {key: _filled(value, world) for key, value in template.items()}
    return template


def _trackier_write_case(operation: str, method: str, path: str, body) -> None:
    @case(f"trackier {operation}", operations=[("trackier", operation)])
    def _(env: Env):
        world = _trackier_world(env)
        if operation == "DELETE /dictionary/customField/advertiser/{id}":
            env.http.post("/api/dictionary/customField/advertiser", headers={"X-Api-Key": env.trackier_key()},
                          json={"fname": "Skype", "frequired": False})
            world["field"] = env.http.get("/api/dictionary/customField/advertiser", headers={
                "X-Api-Key": env.trackier_key()}).json()["data"]["fields"][0]["id"]
        with env.write():
            response = env.http.request(method, f"/api{_filled(path, world)}", headers={"X-Api-Key": env.trackier_key()},
                                        json=_filled(body, world))
            assert response.status_code == 200 and response.json().get("success") is True, response.text


for _write in _TRACKIER_WRITES:
    _trackier_write_case(*_write)



@case("read: trackier GET /api/advertiser")
def _(env: Env):
    key = env.trackier_key()
    with env.write(NOTHING):
        for _ in range(2):
            response = env.http.get("/api/advertiser", headers={"X-Api-Key": key})
            assert response.status_code == 200, response.text


# --- the tracking side: clicks and conversions are collected data ------------------------------

def _tracked_click(env: Env) -> tuple[dict, str]:
    """A campaign's world and the click id of one click on its tracking link."""
    world = _trackier_world(env)
    key = {"X-Api-Key": env.trackier_key()}
    link = env.http.post(f"/api/network/link/{world['publisher']}/{world['campaign']}", headers=key, json={}).json()
    env.http.post(f"/api/campaign/{world['campaign']}", headers=key, json={"action": "basic_info", "status": "active"})
    world["link"] = link["data"]["link"]["_id"]
    response = env.http.get(f"/{world['link']}", follow_redirects=False)
    assert response.status_code == 302, response.text
    return world, response.headers["location"].split("c=")[1]


@case("trackier click GET /{linkId}, GET /click")
def _(env: Env):
    world, _ = _tracked_click(env)
    with env.write(COLLECTED):
        assert env.http.get(f"/{world['link']}", follow_redirects=False).status_code == 302


@case("trackier postback GET /acquisition")
def _(env: Env):
    world, click_id = _tracked_click(env)
    with env.engine.connect() as conn:
        token = conn.exec_driver_sql("SELECT security_token FROM trackier_networks").scalar()
    with env.write(COLLECTED):
        answer = env.http.get("/acquisition", params={"click_id": click_id, "security_token": token}).json()
        assert answer["success"] is True, answer


@case("trackier POST /network/conversion-import", operations=[("trackier", "POST /network/conversion-import")])
def _(env: Env):
    world, click_id = _tracked_click(env)
    with env.write():
        response = env.http.post("/api/network/conversion-import", headers={"X-Api-Key": env.trackier_key()},
                                 json={"conversions": [{"click_id": click_id, "status": "pending"}]})
        assert response.status_code == 200 and response.json()["success"] is True, response.text


def _own_key(env: Env, role: str, user: str) -> dict:
    key = env.op("POST", f"/_polytrack/trackier/networks/{env.network()}/api-keys", role=role, user_id=user)["key"]
    return {"X-Api-Key": key}


# (operation, role, the world's user it belongs to, method, path, body)
_SELF_SERVICE_WRITES = [
    ("PATCH /advertiser/account", "advertiser", "advertiser", "PATCH", "/advertiser/account",
     {"action": "basic_info", "name": "Renamed"}),
    ("PATCH /affiliate/account", "affiliate", "publisher", "PATCH", "/affiliate/account",
     {"action": "basic_info", "phone": "12345"}),
    ("POST /affiliate/requestAccess/{campaignId}", "affiliate", "publisher", "POST",
     "/affiliate/requestAccess/{campaign}", {"message": "please"}),
]


def _self_service_write_case(operation: str, role: str, owner: str, method: str, path: str, body) -> None:
    @case(f"trackier {operation}", operations=[("trackier", operation)])
    def _(env: Env):
        world = _trackier_world(env)
        env.http.post(f"/api/campaign/{world['campaign']}", headers={"X-Api-Key": env.trackier_key()},
                      json={"action": "basic_info", "status": "active"})
        key = _own_key(env, role, world[owner])
        with env.write():
            response = env.http.request(method, f"/api{_filled(path, world)}", headers=key, json=_filled(body, world))
            assert response.status_code == 200 and response.json()["success"] is True, response.text


for _write in _SELF_SERVICE_WRITES:
    _self_service_write_case(*_write)


@case("trackier POST /affiliate/link/{campaignId}", operations=[("trackier", "POST /affiliate/link/{campaignId}")])
def _(env: Env):
    world = _trackier_world(env)
    env.http.post(f"/api/campaign/{world['campaign']}", headers={"X-Api-Key": env.trackier_key()},
                  json={"action": "basic_info", "status": "active"})
    key = _own_key(env, "affiliate", world["publisher"])
    with env.write():
        response = env.http.post(f"/api/affiliate/link/{world['campaign']}", headers=key, json={})
        assert response.status_code == 200 and response.json()["success"] is True, response.text


@case("trackier POST /advertiser/conversion-import", operations=[("trackier", "POST /advertiser/conversion-import")])
def _(env: Env):
    world, click_id = _tracked_click(env)
    key = _own_key(env, "advertiser", world["advertiser"])
    with env.write():
        response = env.http.post("/api/advertiser/conversion-import", headers=key,
                                 json={"conversions": [{"click_id": click_id}]})
        assert response.status_code == 200 and response.json()["success"] is True, response.text
