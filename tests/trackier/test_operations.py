"""Trackier's operations: every endpoint declared once, routed from the declarations, and the
ones not implemented yet answering exactly as an undeclared path does."""

import re

import pytest

from polytrack.apis import operations_table
from polytrack.trackier import admin as trackier_admin
from polytrack.trackier import package
from polytrack.trackier.domain import UserRow
from polytrack.trackier.operations import registries
from polytrack.trackier.routing import RouteTable
from polytrack.trackier.tables import trackier_users
from tests.trackier.conftest import error, new_advertiser

IMPLEMENTED = [
    # advertisers, affiliates
    "GET /advertiser", "POST /advertiser", "GET /advertiser/{id}", "POST /advertiser/{id}", "DELETE /advertiser/{id}",
    "POST /affiliate", "POST /affiliate/{id}", "GET /affiliate", "GET /affiliate/{id}", "DELETE /affiliate/{id}",
    "GET /affiliate/earning/{id}",
    # campaigns, domains, access, caps, commissions, landing pages, publisher payouts
    "POST /campaign", "POST /campaign/{id}", "GET /campaign", "GET /campaign/{id}", "DELETE /campaign/{id}",
    "GET /campaign/stats/{id}", "GET /campaign/stats/{id}/{affId}", "GET /campaign/domains", "PUT /campaign/domains", "POST /campaign/assign-publisher",
    "POST /caps/{campId}", "GET /caps/{campId}", "GET /caps/{campId}/{capId}", "POST /caps/{campId}/{capId}",
    "DELETE /caps/{campId}/{capId}",
    "POST /commissions/{campId}", "GET /commissions/{campId}", "GET /commissions/{campId}/{id}",
    "POST /commissions/{campId}/{id}", "DELETE /commissions/{campId}/{id}",
    "POST /campaign/lpages/{campId}", "GET /campaign/lpages/{campId}", "POST /campaign/lpages/{campId}/{lpId}",
    "DELETE /campaign/lpages/{campId}/{lpId}",
    "POST /campaign/pub-payout/{campId}", "GET /campaign/pub-payout/{campId}",
    "GET /campaign/pub-payout/{campId}/{publisherId}", "POST /campaign/pub-payout/{campId}/{payoutId}",
    "DELETE /campaign/pub-payout/{campId}/{payoutId}",
    # goals and their payouts
    "POST /goal", "GET /goal/campaign/{campaign_id}", "GET /goal/{goal_id}", "POST /goal/{goal_id}",
    "DELETE /goal/{goal_id}", "POST /goal/payout/{goal_id}", "POST /goal/payout/{goal_id}/{payout_id}",
    "DELETE /goal/payout/{goal_id}/{payout_id}",
    # the dictionary
    "GET /dictionary/countries", "GET /dictionary/devices", "GET /dictionary/categories", "POST /dictionary/categories",
    "DELETE /dictionary/categories/{id}", "GET /dictionary/customField/affiliate",
    "POST /dictionary/customField/affiliate", "DELETE /dictionary/customField/affiliate/{id}",
    "GET /dictionary/customField/advertiser", "POST /dictionary/customField/advertiser",
    "DELETE /dictionary/customField/advertiser/{id}",
    # the network's account, tracking links
    "GET /network/account", "PATCH /network/account", "GET /network/link/{affiliate_id}/{campaign_id}",
    "POST /network/link/{affiliate_id}/{campaign_id}",
    # stats, the custom report, logs
    "GET /network/stats", "GET /network/customReport", "GET /network/conversions", "GET /network/clicks",
    # conversion import and its jobs
    "POST /network/conversion-import", "GET /jobs", "GET /jobs/{id}",
    # the Advertiser API
    "GET /advertiser/campaigns", "GET /advertiser/campaigns/{campaignId}", "GET /advertiser/campaignStats/{id}",
    "GET /advertiser/report", "GET /advertiser/customReport", "GET /advertiser/account", "PATCH /advertiser/account",
    "POST /advertiser/conversion-import", "GET /advertiser/conversion-logs",
    # the Affiliate API
    "GET /affiliate/campaigns", "GET /affiliate/campaigns/{campaignId}", "GET /affiliate/link/{campaignId}",
    "POST /affiliate/link/{campaignId}", "GET /affiliate/customReport", "GET /affiliate/account",
    "PATCH /affiliate/account", "POST /affiliate/requestAccess/{campaignId}", "GET /affiliate/conversions",
    "GET /affiliate/payout",
]
NOT_ROUTED = {"success": False, "error": {"code": 32, "message": "Invalid Request Method"},
              "data": {"message": "Invalid Request Method"}}


def operations():
    [registry] = registries()
    return list(registry)


def test_every_endpoint_of_the_docs_is_declared_once():
    names = [operation.name for operation in operations()]
    # 74 Network API + 9 Advertiser API + 9 Affiliate API endpoints, and 11 legacy ones
    assert len(names) == len(set(names)) == 103
    assert [operation.name for operation in operations() if operation.implemented] == IMPLEMENTED
    roles = {operation.name: operation.options["roles"] for operation in operations()}
    assert sum(1 for r in roles.values() if r == {"advertiser"}) == 9
    assert sum(1 for r in roles.values() if r == {"affiliate"}) == 12
    for operation in operations():
        method, template = operation.name.split(" ")
        assert (operation.options["method"], operation.options["template"]) == (method, template)


def test_polytrack_apis_lists_them_from_the_registry():
    [table] = operations_table([package])
    assert table["api"] == "trackier" and table["implemented"] == len(IMPLEMENTED) and len(table["operations"]) == 103
    assert table["operations"][:3] == [
        {"name": "GET /advertiser", "implemented": True, "writes": False, "cacheable": True},
        {"name": "POST /advertiser", "implemented": True, "writes": True, "cacheable": False},
        {"name": "GET /advertiser/{id}", "implemented": True, "writes": False, "cacheable": True},
    ]


def _example_path(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "5dfa0000000000000000a001", template)


def _planned_calls() -> list:
    return [pytest.param(operation.options["method"], _example_path(template), id=f"{operation.name} at {template}")
            for operation in operations() if not operation.implemented
            for template in (operation.options["template"], *operation.options["aliases"])]


@pytest.mark.parametrize("method,path", _planned_calls())
def test_a_planned_operation_answers_as_an_undeclared_path_does(http, auth, method, path):
    """501 code 32, or 405 with the implemented methods where its path has some: what the path
    answered before the operation was declared, and after authentication and the rate-limit hit."""
    response = http.request(method, f"/api{path}", headers=auth, json={"name": "x"})
    allowed = RouteTable(operations()).resolve(method, path).allowed  # the path's implemented methods
    if allowed:  # e.g. legacy GET /goal beside POST /goal
        assert error(response, 405, 32) == NOT_ROUTED and response.headers["allow"] == ", ".join(allowed)
    else:
        assert error(response, 501, 32) == NOT_ROUTED and "allow" not in response.headers
    error(http.request(method, path), 401, 12)


def test_planned_operations_of_the_self_service_apis_are_501_for_every_role(http, services, network, auth):
    advertiser = new_advertiser(http, auth)
    own_key = {"X-Api-Key": trackier_admin.create_api_key(services, network_id=network["_id"], role="advertiser",
                                                          user_id=advertiser["_id"])["key"]}
    for headers in (auth, own_key):
        for path in ("/affiliate/report", "/affiliate/campaign-search"):
            error(http.get(path, headers=headers), 501, 32)


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
