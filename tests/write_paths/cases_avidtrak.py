"""Write paths of AvidTrak: its operator routes, CLI commands and writing operations."""

from __future__ import annotations

from datetime import datetime, timezone

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


def client_pincode(env: Env) -> str:
    """Pro client joesplumbing of acme_agency; its pincode."""
    agency = agency_pincode(env)
    return env._once("avidtrak_client_pincode", lambda: method(
        env, agency, "create_account", userid="joesplumbing", password="Pipes2024", account_type="pro")["pincode"])


def bought(env: Env, pincode: str, number: str = "4105550100") -> str:
    """`number` bought by `pincode`'s account; its SID."""
    return env._once(f"avidtrak_number_{pincode}_{number}", lambda: method(
        env, pincode, "purchase_number", number_type="local", **{"number[]": number})[0]["sid"])


def metro_site(env: Env, pincode: str) -> int:
    return env._once("avidtrak_metro_site", lambda: method(
        env, pincode, "add_metro_site_number", site_number="4105557100", title="Towson",
        forward_number="4105557199")["site_id"])


def round_robin_entry(env: Env, pincode: str, sid: str) -> int:
    return env._once("avidtrak_rr", lambda: method(
        env, pincode, "insert_round_robin", sid=sid, **{"forwarding_number[]": "4105551111"})[0]["round_robin_list_id"])


@case("avidtrak purchase_number", operations=[("avidtrak", "purchase_number")])
def _(env: Env):
    pincode = agency_pincode(env)
    with env.write():
        bought(env, pincode)


@case("avidtrak transfer_number", operations=[("avidtrak", "transfer_number")])
def _(env: Env):
    agency, joe = agency_pincode(env), client_pincode(env)
    sid = bought(env, agency)
    with env.write():
        method(env, agency, "transfer_number", client_pin=joe, **{"sid[]": sid})


@case("avidtrak assign_number", operations=[("avidtrak", "assign_number")])
def _(env: Env):
    pincode = agency_pincode(env)
    sid = bought(env, pincode)
    with env.write():
        method(env, pincode, "assign_number", type="gppc", **{"sid[]": sid})


@case("avidtrak return_number", operations=[("avidtrak", "return_number")])
def _(env: Env):
    pincode = agency_pincode(env)
    sid = bought(env, pincode)
    with env.write():
        method(env, pincode, "return_number", location="telco", **{"sid[]": sid})


@case("avidtrak set_forwarding", operations=[("avidtrak", "set_forwarding")])
def _(env: Env):
    pincode = agency_pincode(env)
    sid = bought(env, pincode)
    with env.write():
        method(env, pincode, "set_forwarding", type="sid", forward_number="4105559876", **{"sid[]": sid})


@case("avidtrak remove_forwarding", operations=[("avidtrak", "remove_forwarding")])
def _(env: Env):
    pincode = agency_pincode(env)
    sid = bought(env, pincode)
    method(env, pincode, "set_forwarding", type="sid", forward_number="4105559876", **{"sid[]": sid})
    with env.write():
        method(env, pincode, "remove_forwarding", type="sid", **{"sid[]": sid})


@case("avidtrak insert_round_robin", operations=[("avidtrak", "insert_round_robin")])
def _(env: Env):
    pincode = agency_pincode(env)
    sid = bought(env, pincode)
    with env.write():
        round_robin_entry(env, pincode, sid)


@case("avidtrak edit_round_robin", operations=[("avidtrak", "edit_round_robin")])
def _(env: Env):
    pincode = agency_pincode(env)
    sid = bought(env, pincode)
    entry = round_robin_entry(env, pincode, sid)
    with env.write():
        method(env, pincode, "edit_round_robin", sid=sid, round_robin_list_id=entry, forwarding_number="4105552222")


@case("avidtrak delete_round_robin", operations=[("avidtrak", "delete_round_robin")])
def _(env: Env):
    pincode = agency_pincode(env)
    sid = bought(env, pincode)
    entry = round_robin_entry(env, pincode, sid)
    with env.write():
        method(env, pincode, "delete_round_robin", sid=sid, round_robin_list_id=entry)


@case("avidtrak update_number_setting", operations=[("avidtrak", "update_number_setting")])
def _(env: Env):
    pincode = agency_pincode(env)
    sid = bought(env, pincode)
    with env.write():
        method(env, pincode, "update_number_setting", sid=sid, recording="1")


@case("avidtrak add_metro_site_number", operations=[("avidtrak", "add_metro_site_number")])
def _(env: Env):
    pincode = agency_pincode(env)
    with env.write():
        metro_site(env, pincode)


@case("avidtrak allocate_metro_number", operations=[("avidtrak", "allocate_metro_number")])
def _(env: Env):
    pincode = agency_pincode(env)
    sid, site = bought(env, pincode), metro_site(env, pincode)
    with env.write():
        method(env, pincode, "allocate_metro_number", site_id=site, **{"sid[]": sid})


@case("avidtrak remove_metro_site_number", operations=[("avidtrak", "remove_metro_site_number")])
def _(env: Env):
    pincode = agency_pincode(env)
    site = metro_site(env, pincode)
    with env.write():
        method(env, pincode, "remove_metro_site_number", site_id=site)


# --- the monthly rental job ----------------------------------------------------------------------

@case("POST /_polytrack/avidtrak/jobs/monthly-rental", routes=[("POST", "/_polytrack/avidtrak/jobs/monthly-rental")])
def _(env: Env):
    pincode = agency_pincode(env)
    bought(env, pincode)
    # the server's clock is frozen in June 2024; the number was bought then, so July charges it
    env.clock.set(datetime(2024, 7, 1, 0, 5, tzinfo=timezone.utc))
    with env.write():
        assert env.op("POST", "/_polytrack/avidtrak/jobs/monthly-rental")["charged"] == 1


@case("polytrack avidtrak bill", commands=[("avidtrak", "bill")])
def _(env: Env):
    pincode = agency_pincode(env)
    bought(env, pincode)
    with env.write():
        assert '"charged": 1' in env.cli("avidtrak", "bill")


@case("polytrack avidtrak send-daily-emails", commands=[("avidtrak", "send-daily-emails")])
def _(env: Env):
    pincode = agency_pincode(env)
    sid = bought(env, pincode)
    method(env, pincode, "update_number_setting", **{"sid[]": sid}, email_alerts="desk@acme.example")
    # the number asks for e-mail, so the job decides the day (no calls: no message) and records
    # it; a second run finds it decided
    with env.write():
        assert '"2024-06-11": 0' in env.cli("avidtrak", "send-daily-emails", "--day", "2024-06-11")
    assert '"decided": {}' in env.cli("avidtrak", "send-daily-emails", "--day", "2024-06-11", refill=False)


@case("avidtrak add_lite_campaign", operations=[("avidtrak", "add_lite_campaign")])
def _(env: Env):
    pincode = agency_pincode(env)
    sid = bought(env, pincode)
    with env.write():
        method(env, pincode, "add_lite_campaign", title="Spring Mailer", sid=sid)


@case("avidtrak set_smart_replacement", operations=[("avidtrak", "set_smart_replacement")])
def _(env: Env):
    pincode = agency_pincode(env)
    with env.write():
        method(env, pincode, "set_smart_replacement", action="add", **{"site_phone[]": "4105557000"})
