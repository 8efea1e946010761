"""Write paths of AvidTrak: its operator routes, CLI commands and writing operations."""

from __future__ import annotations

from tests.write_paths.harness import Env, case


# --- AvidTrak ----------------------------------------------------------------------------------

@case("POST /_polytrack/avidtrak/accounts", routes=[("POST", "/_polytrack/avidtrak/accounts")])
def _(env: Env):
    with env.write():
        env.op("POST", "/_polytrack/avidtrak/accounts", kind="agency", userid="acme_agency", password="AcmePass1")


@case("POST /_polytrack/avidtrak/accounts/{userid}/credit", routes=[("POST", "/_polytrack/avidtrak/accounts/{userid}/credit")])
def _(env: Env):
    userid = env.agency()
    with env.write():
        env.op("POST", f"/_polytrack/avidtrak/accounts/{userid}/credit", amount="25.00")


@case("POST /_polytrack/avidtrak/accounts/{userid}/pincode", routes=[("POST", "/_polytrack/avidtrak/accounts/{userid}/pincode")])
def _(env: Env):
    userid = env.agency()
    with env.write():
        env.op("POST", f"/_polytrack/avidtrak/accounts/{userid}/pincode")


@case("polytrack admin avidtrak create-account", commands=[("admin", "avidtrak", "create-account")])
def _(env: Env):
    with env.write():
        env.cli("admin", "avidtrak", "create-account", "--kind", "agency", "--userid", "acme_agency",
                "--password", "AcmePass1")


@case("polytrack admin avidtrak credit", commands=[("admin", "avidtrak", "credit")])
def _(env: Env):
    userid = env.agency()
    with env.write():
        env.cli("admin", "avidtrak", "credit", "--userid", userid, "--amount", "25.00")


@case("polytrack admin avidtrak regenerate-pincode", commands=[("admin", "avidtrak", "regenerate-pincode")])
def _(env: Env):
    userid = env.agency()
    with env.write():
        env.cli("admin", "avidtrak", "regenerate-pincode", "--userid", userid)


# --- the API's writing methods -----------------------------------------------------------------

API = "/webservice/api.php"


def agency_pincode(env: Env) -> str:
    """Agency acme_agency with 50.00 credit; its pincode."""
    return env._once("avidtrak_agency_pincode", lambda: env.op(
        "POST", "/_polytrack/avidtrak/accounts", kind="agency", userid="acme_agency", password="AcmePass1",
        initial_credit="50.00")["pincode"])


def method(env: Env, pincode: str, name: str, **params) -> dict:
    """One API call that must succeed; its `data`."""
    body = env.http.post(API, data={"pincode": pincode, "format": "json", "method": name, **params}).json()
    assert body["code"] == 1, body
    return body["data"]


@case("avidtrak create_account", operations=[("avidtrak", "create_account")])
def _(env: Env):
    pincode = agency_pincode(env)
    with env.write():
        method(env, pincode, "create_account", userid="joesplumbing", password="Pipes2024", account_type="pro")


@case("avidtrak update_user_details", operations=[("avidtrak", "update_user_details")])
def _(env: Env):
    pincode = agency_pincode(env)
    with env.write():
        method(env, pincode, "update_user_details", fullname="Acme Agency Ltd")
