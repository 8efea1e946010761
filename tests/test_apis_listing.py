"""`polytrack apis` and GET /_polytrack/apis: every operation of every API, from the registries."""

import json

from polytrack.apis import all_packages
from polytrack.cli import main


def by_api(table: list[dict]) -> dict[str, dict[str, dict]]:
    return {api["api"]: {op["name"]: op for op in api["operations"]} for api in table}


def test_the_operator_api_lists_every_operation_and_whether_it_is_implemented(admin):
    table = admin.get("/_polytrack/apis").json()["apis"]
    apis = by_api(table)
    assert set(apis) == {"payt", "trackerpro", "mapp", "avidtrak", "trackier"}
    assert apis["payt"]["Vehicle/GetAllVehiclesFilteredByUserID"] == {
        "name": "Vehicle/GetAllVehiclesFilteredByUserID", "implemented": True, "writes": False, "cacheable": True}
    assert apis["mapp"]["login"]["writes"] is True
    assert apis["avidtrak"]["get_remaining_balance"]["implemented"] is True
    assert apis["trackier"]["GET /advertiser"]["implemented"] is True
    # the listing is the registries': every declared operation, planned ones marked as such
    declared = {registry.api: {operation.name: operation.implemented for operation in registry}
                for package in all_packages() for registry in package.registries()}
    assert {api: {name: op["implemented"] for name, op in ops.items()} for api, ops in apis.items()} == declared
    for api in table:
        assert api["implemented"] == sum(op["implemented"] for op in api["operations"])


def test_what_is_listed_as_not_implemented_answers_so(http, admin):
    """The listing and the server agree: Mapp's planned methods (while it has any) answer "Not
    implemented yet", not "Unknown method"."""
    apis = by_api(admin.get("/_polytrack/apis").json()["apis"])
    planned = [name for name, op in apis["mapp"].items() if not op["implemented"]]
    for name in planned:
        answer = http.post("/cgi-bin/wt/JSONRPC.cgi", json={"version": "1.1", "method": name, "params": {}}).json()
        assert answer["error"]["message"] != f"Unknown method: {name}", name


def test_the_cli_prints_the_same_table(admin, capsys):
    assert main(["apis", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed == admin.get("/_polytrack/apis").json()
    assert main(["apis"]) == 0
    text = capsys.readouterr().out
    for api in listed["apis"]:
        assert f"{api['api']}: {api['implemented']} of {len(api['operations'])} operations implemented" in text
        for op in api["operations"]:
            assert f"  {'yes' if op['implemented'] else 'no ':<4} {op['name']}\n" in text
