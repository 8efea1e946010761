"""The OpenAPI document of Trackier's REST surface, and schemathesis run from it against a real
`polytrack serve` with a key of each role: no 5xx, and no status, content type, body or header
the document does not allow.

The served process has a database of its own (seeded with the demo, then given a job, a
referral, a category and custom fields), so its writes cannot disturb another test. The
document is given the ids of that data as examples of its path parameters, so that operations
answer with real objects rather than only 404s; the reads run first, with every role, then the
writes (their deletes remove those objects)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from contextlib import contextmanager

import httpx
import jsonschema_rs
import psycopg
from sqlalchemy.engine import make_url

from polytrack.trackier import demo
from polytrack.trackier.openapi import TAGS
from polytrack.trackier.operations import registries
from tests.serving import Server, child_env

KEYS = {"network": demo.DEMO_NETWORK_API_KEY, "advertiser": demo.DEMO_ADVERTISER_API_KEY,
        "affiliate": demo.DEMO_AFFILIATE_API_KEY}
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,"
          "response_headers_conformance")
EXAMPLES_PER_OPERATION = 6


def test_the_document_lists_every_operation(http):
    document = http.get("/_polytrack/openapi/trackier.json").json()
    assert document["openapi"].startswith("3.") and document["servers"] == [{"url": "/api"}]
    served = {(method.upper(), path) for path, methods in document["paths"].items() for method in methods}
    [registry] = registries()
    assert served == {(op.options["method"], op.options["template"]) for op in registry}
    one = document["paths"]["/campaign/{id}"]["get"]
    assert one["parameters"][0]["schema"]["pattern"] and {"200", "401", "404"} <= set(one["responses"])
    assert one["responses"]["200"]["content"]["application/json"]["schema"]["properties"]["data"]["properties"][
        "campaign"] == {"$ref": "#/components/schemas/Campaign"}
    clicks = {p["name"] for p in document["paths"]["/network/clicks"]["get"]["parameters"]}
    assert {"start", "end", "limit", "page", "fields[]", "campaign_id[]", "publisher_id[]"} <= clicks


def test_every_answer_schema_is_valid_json_schema(http):
    document = http.get("/_polytrack/openapi/trackier.json").json()
    for schema in document["components"]["schemas"].values():
        jsonschema_rs.meta.validate({**schema, "$schema": "http://json-schema.org/draft-04/schema#"})
    for methods in document["paths"].values():
        for operation in methods.values():
            answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
            jsonschema_rs.meta.validate({**answer, "$schema": "http://json-schema.org/draft-04/schema#"})


@contextmanager
def own_database(database_url: str, tmp_path):
    """A database for the served process alone: a file beside the test, or a new database in the
    tests' PostgreSQL cluster, dropped afterwards."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'openapi.db'}"
        return
    url = make_url(database_url)
    name = f"trackier_openapi_{int(time.time() * 1000)}"
    admin = dict(host=url.host, port=url.port, user=url.username, dbname="postgres", autocommit=True)
    with psycopg.connect(**admin) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(**admin) as connection:
            connection.execute(f"DROP DATABASE {name} WITH (FORCE)")


def add_objects(base: str) -> dict[str, str]:
    """Objects of every kind a path names, made or found through the API with the network key:
    kind -> an id (children of the demo's campaigns: their campaign in "<kind>:campaign")."""
    client = httpx.Client(base_url=f"{base}/api", headers={"X-Api-Key": demo.DEMO_NETWORK_API_KEY}, timeout=30)

    def get(path: str) -> dict:
        answer = client.get(path)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def post(path: str, body: dict) -> dict:
        answer = client.post(path, json=body)
        assert answer.status_code == 200 and answer.json()["success"], answer.text
        return answer.json()

    found = {"advertiser": demo.DEMO_ADVERTISERS[0]["_id"], "affiliate": demo.DEMO_AFFILIATES[0]["_id"]}
    by_title = {c["title"]: c for c in get("/campaign")["data"]["campaigns"]}
    casino, shop = by_title["Lucky Spins Casino"]["_id"], by_title["Summer Fashion Sale"]["_id"]
    found["campaign"] = casino  # goals, payout overrides, the affiliate's link and most traffic
    found["commission"] = by_title["Lucky Spins Casino"]["commissions"][0]["_id"]
    [goal, *_] = get(f"/goal/campaign/{casino}")["goals"]
    found["goal"], found["goal_payout"] = goal["goal"]["_id"], goal["payouts"][0]["_id"]
    found["pub_payout"] = get(f"/campaign/pub-payout/{casino}")["data"]["payouts"][0]["_id"]
    found["cap"], found["cap:campaign"] = get(f"/caps/{shop}")["data"]["caps"][0]["id"], shop
    found["landing_page"] = get(f"/campaign/lpages/{shop}")["data"]["landing_pages"][0]["int_id"]
    found["landing_page:campaign"] = shop
    found["category"] = post("/dictionary/categories", {"name": "Finance"})["data"]["category"]["_id"]
    for owner in ("affiliate", "advertiser"):
        post(f"/dictionary/customField/{owner}", {"fname": "Skype", "ftype": "text", "frequired": False})
        found[f"field:{owner}"] = get(f"/dictionary/customField/{owner}")["data"]["fields"][0]["id"]
    found["referral"] = post("/network/referral", {"publisher_id": found["affiliate"], "rate": 10}
                             )["data"]["referral"]["_id"]
    found["job"] = post("/network/conversion-import", {"conversions": [{"click_id": "0" * 24}]})["data"]["job"]["_id"]
    return found


# a path parameter's kind, by its name; `{id}` by the path it is in (most specific first)
KIND_OF_NAME = {"campId": "campaign", "campaign_id": "campaign", "campaignId": "campaign", "adId": "campaign",
                "affId": "affiliate", "affiliate_id": "affiliate", "publisherId": "affiliate", "goal_id": "goal",
                "goalId": "goal", "capId": "cap", "lpId": "landing_page", "payoutId": "pub_payout",
                "payout_id": "goal_payout"}
KIND_OF_ID = (("/dictionary/customField/affiliate/", "field:affiliate"),
              ("/dictionary/customField/advertiser/", "field:advertiser"), ("/dictionary/categories/", "category"),
              ("/advertiser/campaignStats/", "campaign"), ("/campaign/", "campaign"), ("/advertiser/", "advertiser"),
              ("/affiliate/", "affiliate"), ("/commissions/", "commission"), ("/jobs/", "job"),
              ("/network/referral/", "referral"))


def bodies(objects: dict[str, str]) -> dict[tuple[str, str], dict]:
    """A valid body for the writes that create or change something, so that they succeed too."""
    advertiser, affiliate, campaign = objects["advertiser"], objects["affiliate"], objects["campaign"]
    money = {"payout": 1.5, "revenue": 2.5}
    user = {"name": "New User", "email": "new.user@example.com", "password": "s3cret-pass"}
    imported = {"conversions": [{"click_id": "0" * 24}]}
    field = {"fname": "Telegram", "ftype": "text", "frequired": False}
    page = {"title": "Page", "preview_url": "https://shop.example/p", "url": "https://shop.example/p?cid={click_id}"}
    return {
        ("post", "/advertiser"): user, ("post", "/affiliate"): {**user, "email": "new.affiliate@example.com"},
        ("post", "/campaign"): {"title": "Winter Sale", "url": "https://shop.example/?cid={click_id}",
                                "advertiser_id": advertiser, "status": "active",
                                "commissions": [{**money, "coverage": ["ALL"]}]},
        ("post", "/campaign/{id}"): {"action": "basic_info", "title": "Renamed"},
        ("post", "/goal"): {"goal": {"title": "Lead", "value": "lead", "type": "public", "model": "fixed",
                                     "ad_id": campaign}, "payouts": [{**money, "coverage": ["ALL"]}]},
        ("post", "/goals/{campId}"): {"title": "Install", "value": "install", "type": "public", **money},
        ("post", "/goal/payout/{goal_id}"): {**money, "coverage": ["IN"]},
        ("post", "/commissions/{campId}"): {**money, "coverage": ["US"]},
        ("post", "/caps/{campId}"): {"type": "conversion", "daily": 10},
        ("post", "/campaign/lpages/{campId}"): page, ("post", "/campaign/lpages/{campId}/{lpId}"): page,
        ("post", "/campaign/pub-payout/{campId}"): {"pids": [affiliate], "payout": 3},
        ("post", "/campaign/assign-publisher"): {"publisher_ids": [affiliate], "campaign_ids": [campaign]},
        ("post", "/network/referral"): {"publisher_id": affiliate, "rate": 5},
        ("post", "/dictionary/customField/advertiser"): field, ("post", "/dictionary/customField/affiliate"): field,
        ("post", "/network/conversion-import"): imported, ("post", "/advertiser/conversion-import"): imported,
        ("patch", "/advertiser/account"): {"action": "basic_info", "phone": "+1 555 0100"},
        ("patch", "/affiliate/account"): {"action": "postback", "url": "https://pub.example/pb?c={click_id}"},
        ("post", "/affiliate/requestAccess/{campaignId}"): {"message": "May I run it?"},
    }


def with_examples(document: dict, objects: dict[str, str]) -> dict:
    """The document with an example id on every path parameter (a campaign beside a child, a
    cap or a landing page, is the child's own) and a valid body for the writes `bodies` knows."""
    valid = bodies(objects)
    for template, methods in document["paths"].items():
        for method, operation in methods.items():
            if (method, template) in valid:
                operation["requestBody"]["content"]["application/json"]["example"] = valid[method, template]
            path_parameters = [p for p in operation["parameters"] if p["in"] == "path"]
            kinds = {}
            for parameter in path_parameters:
                name = parameter["name"]
                if name == "id":
                    kinds[name] = next(kind for prefix, kind in KIND_OF_ID if template.startswith(prefix))
                else:
                    kinds[name] = KIND_OF_NAME[name]  # a new name: teach the test its kind
            for parameter in path_parameters:
                kind = kinds[parameter["name"]]
                if kind == "campaign":
                    owner = next((objects[f"{k}:campaign"] for k in kinds.values() if f"{k}:campaign" in objects), None)
                    parameter["example"] = owner or objects["campaign"]
                else:
                    parameter["example"] = str(objects[kind])
    return document


def subset(document: dict, keep) -> dict:
    """The document with only the operations `keep(method, operation)` is true of."""
    paths = {}
    for template, methods in document["paths"].items():
        kept = {method: operation for method, operation in methods.items() if keep(method, operation)}
        if kept:
            paths[template] = kept
    return {**document, "paths": paths}


def schemathesis(base: str, document: dict, key: str, *, examples: int, mode: str, cwd) -> int:
    """Run schemathesis on `document` with this key; how many operations it tested."""
    schema_path = cwd / "trackier.json"
    schema_path.write_text(json.dumps(document))
    done = subprocess.run(
        [sys.executable, "-m", "schemathesis.cli", "run", str(schema_path), "--url", f"{base}/api",
         "-H", f"X-Api-Key: {key}", "--checks", CHECKS, "--max-examples", str(examples),
         "--generation-deterministic", "--generation-with-security-parameters", "false",
         "--phases", "examples,fuzzing", "--mode", mode, "--workers", "1"],
        capture_output=True, text=True, env=child_env(), cwd=cwd, timeout=900)  # its cache: not in the tree
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    return int(re.search(r"Tested: ([0-9]+)", done.stdout).group(1))


def own(role: str, *, reads: bool | None = None, negative: bool = False):
    """Which operations a run takes: the role's own (only reads, only writes, or both), or with
    `negative` those that take parameters or a body and no path id."""
    def keep(method: str, operation: dict) -> bool:
        if operation["tags"] != [TAGS[role]] or (reads is not None and (method == "get") != reads):
            return False
        if negative:
            parameters = operation["parameters"]
            return ("requestBody" in operation or bool(parameters)) and all(p["in"] != "path" for p in parameters)
        return True
    return keep


def test_schemathesis_finds_nothing_with_any_role(database_url, tmp_path):
    """Each role runs its own API's operations with several examples, and the others' with one
    (all it takes to see their refusal, 403, conform). Invalid parameters and bodies
    (schemathesis' negative mode) are sent where no path id takes them: an id that is not one
    makes the path unknown, 501, which the 5xx check would count. The network's writes run
    last: they delete the objects the examples name (the advertiser and affiliate of the keys)."""
    [registry] = registries()
    with own_database(database_url, tmp_path) as url:
        server = Server("--db", url, "--osmand-port", "0", "--demo", "--no-rate-limits", cwd=tmp_path)
        with server:
            server.wait_ready()
            document = httpx.get(f"{server.url}/_polytrack/openapi/trackier.json").json()
            document = with_examples(document, add_objects(server.url))
            many = EXAMPLES_PER_OPERATION
            runs = [(role, 1, "positive", lambda method, operation, tag=TAGS[role]: operation["tags"] != [tag])
                    for role in KEYS]
            runs += [("advertiser", many, "positive", own("advertiser")),
                     ("affiliate", many, "positive", own("affiliate")),
                     ("network", many, "positive", own("network", reads=True)),
                     *((role, many, "negative", own(role, negative=True)) for role in KEYS),
                     ("network", many, "positive", own("network", reads=False))]
            tested = {}
            for role, examples, mode, keep in runs:
                count = schemathesis(server.url, subset(document, keep), KEYS[role], examples=examples, mode=mode,
                                     cwd=tmp_path)
                tested[mode] = tested.get(mode, 0) + count
            assert tested["positive"] == 3 * len(registry) and tested["negative"] > 20
