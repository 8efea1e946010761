"""Trackier's operations: every endpoint declared once and implemented, routed from the
declarations."""

from polytrack.apis import operations_table
from polytrack.trackier import package
from polytrack.trackier.domain import UserRow
from polytrack.trackier.operations import registries
from polytrack.trackier.routing import RouteTable
from polytrack.trackier.tables import trackier_users
from tests.trackier.conftest import error, new_advertiser


def operations():
    [registry] = registries()
    return list(registry)


def test_every_endpoint_of_the_docs_is_declared_once():
    names = [operation.name for operation in operations()]
    # 74 Network API + 9 Advertiser API + 9 Affiliate API endpoints, and 11 legacy ones
    assert len(names) == len(set(names)) == 103
    # every one is implemented (none is left declared as planned)
    assert [operation.name for operation in operations() if not operation.implemented] == []
    roles = {operation.name: operation.options["roles"] for operation in operations()}
    assert sum(1 for r in roles.values() if r == {"advertiser"}) == 9
    assert sum(1 for r in roles.values() if r == {"affiliate"}) == 12
    for operation in operations():
        method, template = operation.name.split(" ")
        assert (operation.options["method"], operation.options["template"]) == (method, template)


def test_polytrack_apis_lists_them_from_the_registry():
    [table] = operations_table([package])
    assert table["api"] == "trackier" and table["implemented"] == 103 and len(table["operations"]) == 103
    assert table["operations"][:3] == [
        {"name": "GET /advertiser", "implemented": True, "writes": False, "cacheable": True},
        {"name": "POST /advertiser", "implemented": True, "writes": True, "cacheable": False},
        {"name": "GET /advertiser/{id}", "implemented": True, "writes": False, "cacheable": True},
    ]


def test_declared_paths_leave_implemented_ones_alone(http, auth):
    created = new_advertiser(http, auth)
    for ident in (created["_id"], str(created["display_id"])):
        assert http.get(f"/advertiser/{ident}", headers=auth).json()["data"]["advertiser"] == created
    response = http.put(f"/advertiser/{created['_id']}", headers=auth)
    assert error(response, 405, 32) and response.headers["allow"] == "DELETE, GET, POST"
    response = http.delete("/advertiser", headers=auth)
    assert error(response, 405, 32) and response.headers["allow"] == "GET, POST"
    # words are never ids; undeclared paths under the prefixes stay 501
    for path in ("/advertiser/campaignz", "/goal/payouts", "/campaign/stats", "/network/link/1", "/dict"):
        error(http.get(path, headers=auth), 501, 32)


def test_route_table_literal_words_aliases_and_parameter_names():
    table = RouteTable(operations())
    found = table.resolve("GET", "/campaign/domains")
    assert found.operation.name == "GET /campaign/domains" and found.path_params == {}
    found = table.resolve("GET", "/campaign/42")
    assert found.operation.name == "GET /campaign/{id}" and found.path_params == {"id": "42"}
    # one path, several methods, each with its own parameter names
    found = table.resolve("GET", "/campaign/pub-payout/7/8")
    assert found.path_params == {"campId": "7", "publisherId": "8"}
    found = table.resolve("DELETE", "/campaign/pub-payout/7/8")
    assert found.operation.name == "DELETE /campaign/pub-payout/{campId}/{payoutId}"
    assert found.path_params == {"campId": "7", "payoutId": "8"}
    # aliases reach the operation they stand for
    assert table.resolve("GET", "/dict/countries").operation.name == "GET /dictionary/countries"
    assert table.resolve("GET", "/affiliates/earning/3").operation.name == "GET /affiliate/earning/{id}"
    found = table.resolve("GET", "/network/pub-payout/7/8")
    assert found.operation.name == "GET /campaign/pub-payout/{campId}/{publisherId}"
    assert table.resolve("GET", "/advertiser/not-an-id") is None
    assert table.prefixes == ["advertiser", "affiliate", "affiliates", "campaign", "caps", "commissions", "dict",
                              "dictionary", "goal", "goals", "jobs", "network"]


def test_user_row_holds_every_column():
    """shapes.user_json keys its memo by the whole row: a column left out could serve stale text."""
    assert set(UserRow._fields) == set(trackier_users.columns.keys())
