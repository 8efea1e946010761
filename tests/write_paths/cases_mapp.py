"""Write paths of Mapp: its operator routes, CLI commands and writing operations."""

from __future__ import annotations

from tests.write_paths.harness import COLLECTED, NOTHING, Env, SHOP, T, case


# --- Mapp --------------------------------------------------------------------------------------

@case("POST /_polytrack/mapp/accounts", routes=[("POST", "/_polytrack/mapp/accounts")])
def _(env: Env):
    with env.write():
        env.op("POST", "/_polytrack/mapp/accounts", title="Shop", customerId=SHOP)


@case("POST /_polytrack/mapp/users", routes=[("POST", "/_polytrack/mapp/users")])
def _(env: Env):
    env.op("POST", "/_polytrack/mapp/accounts", title="Shop", customerId=SHOP)
    with env.write():
        env.op("POST", "/_polytrack/mapp/users", login="alice", **{"pass": "alice-pass"}, customerIds=[SHOP])


@case("POST /_polytrack/mapp/grants", routes=[("POST", "/_polytrack/mapp/grants")])
def _(env: Env):
    env.mapp_user()
    env.op("POST", "/_polytrack/mapp/accounts", title="Blog", customerId="100000000000002")
    with env.write():
        env.op("POST", "/_polytrack/mapp/grants", login="alice", customerIds=["100000000000002"])


@case("POST /_polytrack/mapp/track-ids", routes=[("POST", "/_polytrack/mapp/track-ids")])
def _(env: Env):
    env.op("POST", "/_polytrack/mapp/accounts", title="Shop", customerId=SHOP)
    with env.write():
        env.op("POST", "/_polytrack/mapp/track-ids", customerId=SHOP, trackId="555")


@case("polytrack admin mapp add-track-id", commands=[("admin", "mapp", "add-track-id")])
def _(env: Env):
    env.op("POST", "/_polytrack/mapp/accounts", title="Shop", customerId=SHOP)
    with env.write():
        env.cli("admin", "mapp", "add-track-id", "--customer-id", SHOP, "--track-id", "555")


@case("mapp pixel GET /<trackId>/wt and POST /<trackId>/batch (collected data only)")
def _(env: Env):
    env.op("POST", "/_polytrack/mapp/accounts", title="Shop", customerId=SHOP)
    with env.write(COLLECTED):
        response = env.http.get(f"/{SHOP}/wt?p=600,home,1,0,0,0,{T * 1000},0,0,0&eid=v1")
        assert response.status_code == 200 and response.headers["content-type"] == "image/gif"
    with env.write(COLLECTED):
        response = env.http.post(f"/{SHOP}/batch?eid=v1", content=f"wt?p=600,list,1,0,0,0,{T * 1000 + 60000},0,0,0")
        assert response.status_code == 200


@case("polytrack mapp import (collected data only)", commands=[("mapp", "import")])
def _(env: Env):
    env.op("POST", "/_polytrack/mapp/accounts", title="Shop", customerId=SHOP)
    log = env.tmp_path / "hits.log"
    log.write_text(f"{T * 1000}\tp=600,home,1,0,0,0,{T * 1000},0,0,0&eid=v1\n")
    with env.write(COLLECTED):
        env.cli("mapp", "import", str(log), "--track-id", SHOP, "--quiet")


_PAGES = {"analysisObjects": [{"title": "Pages"}], "startTime": "2024-06-12", "stopTime": "2024-06-12"}


@case("POST /_polytrack/mapp/reports", routes=[("POST", "/_polytrack/mapp/reports")])
def _(env: Env):
    env.op("POST", "/_polytrack/mapp/accounts", title="Shop", customerId=SHOP)
    with env.write():
        env.op("POST", "/_polytrack/mapp/reports", customerId=SHOP, title="Overview", analyses=[_PAGES])


@case("POST /_polytrack/mapp/custom-metrics", routes=[("POST", "/_polytrack/mapp/custom-metrics")])
def _(env: Env):
    env.op("POST", "/_polytrack/mapp/accounts", title="Shop", customerId=SHOP)
    with env.write():
        env.op("POST", "/_polytrack/mapp/custom-metrics", customerId=SHOP, title="Visits Google", metric="Visits",
               filter=[{"objectTitle": "Entry Source Types", "comparator": "=", "filter": "search"}])


@case("POST /_polytrack/mapp/account-limits", routes=[("POST", "/_polytrack/mapp/account-limits")])
def _(env: Env):
    env.op("POST", "/_polytrack/mapp/accounts", title="Shop", customerId=SHOP)
    with env.write():
        env.op("POST", "/_polytrack/mapp/account-limits", customerId=SHOP, requestsPerPeriodSec=0)


@case("mapp importData", operations=[("mapp", "importData")])
def _(env: Env):
    token = env.mapp_token()
    with env.write():
        body = env.mapp("importData", token=token, uploadType="content_categories",
                        uploadData=[["Pages", "Category (Text) – Main"], ["home", "archive"]])
        assert body == {"version": "1.1", "result": []}, body


@case("mapp deleteTvData", operations=[("mapp", "deleteTvData")])
def _(env: Env):
    token = env.mapp_token()
    env.mapp("importData", token=token, uploadType="session_parameter_tv", uploadData=[["Session", "Spot"], ["s1", "a"]])
    with env.write():
        body = env.mapp("deleteTvData", customerId=SHOP, login="alice", time_start="2024-06-12", time_stop="2024-06-12",
                        **{"pass": "alice-pass"})
        assert body["result"] == ["Deleting Tv Data initiated"], body


@case("read: a rejected pixel hit is only counted")
def _(env: Env):
    with env.write(NOTHING):
        assert env.http.get("/424242/wt?p=600,home").status_code == 200


@case("polytrack admin mapp create-account", commands=[("admin", "mapp", "create-account")])
def _(env: Env):
    with env.write():
        env.cli("admin", "mapp", "create-account", "--title", "Shop", "--customer-id", SHOP)


@case("polytrack admin mapp create-user", commands=[("admin", "mapp", "create-user")])
def _(env: Env):
    env.op("POST", "/_polytrack/mapp/accounts", title="Shop", customerId=SHOP)
    with env.write():
        env.cli("admin", "mapp", "create-user", "--login", "alice", "--pass", "alice-pass", "--customer-id", SHOP)


@case("polytrack admin mapp grant", commands=[("admin", "mapp", "grant")])
def _(env: Env):
    env.mapp_user()
    env.op("POST", "/_polytrack/mapp/accounts", title="Blog", customerId="100000000000002")
    with env.write():
        env.cli("admin", "mapp", "grant", "--login", "alice", "--customer-id", "100000000000002")


@case("mapp login", operations=[("mapp", "login")])
def _(env: Env):
    env.mapp_user()
    with env.write():
        body = env.mapp("login", customerId=SHOP, login="alice", **{"pass": "alice-pass"})
        assert "result" in body, body


@case("mapp logout", operations=[("mapp", "logout")])
def _(env: Env):
    token = env.mapp_token()
    with env.write():
        assert env.mapp("logout", token=token) == {"version": "1.1", "result": "1"}


@case("mapp expired token deleted on the hot path")
def _(env: Env):
    token = env.mapp_token()
    env.clock.advance(2 * 86400)  # far past the idle window
    with env.write():
        body = env.mapp("getDynamicTimeIntervalList", token=token)
        assert "error" in body, body
