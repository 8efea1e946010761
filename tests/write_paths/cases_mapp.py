"""Write paths of Mapp: its operator routes, CLI commands and writing operations."""

from __future__ import annotations

from tests.write_paths.harness import Env, SHOP, case


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
