"""The /webservice/api.php envelope, code table and request pipeline (spec §2, §3)."""

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from polytrack.avidtrak.client import parse_xml
from polytrack.avidtrak.operations import registries
from tests.avidtrak.conftest import URL, call

# The exact method names (the 26 of the vendor's page and the designed alias): the 404 check.
METHODS = (
    "create_account", "update_user_details", "search_number", "purchase_number", "transfer_number",
    "assign_number", "list_numbers", "set_forwarding", "remove_forwarding", "insert_round_robin",
    "list_round_robin", "edit_round_robin", "delete_round_robin", "update_number_setting",
    "add_lite_campaign", "lite_campaign", "all_lite_calls", "call_logs", "client_list",
    "get_remaining_balance", "return_number", "visit_data", "set_smart_replacement",
    "add_metro_site_number", "list_metro_numbers", "remove_metro_site_number", "allocate_metro_number",
)

pytestmark = pytest.mark.usefixtures("services")

NULL_ENVELOPES = {
    3: {"code": 3, "status": "Authentication Required", "data": None},
    4: {"code": 4, "status": "Authentication Failed", "data": None},
    6: {"code": 6, "status": "Invalid Response Format", "data": None},
    404: {"code": 404, "status": "Invalid Request Method", "data": None},
}


def xml_children(root):
    return [(child.tag, child.text, len(child)) for child in root]


# --- every code of the table, in both formats ---------------------------------------------------

def test_code_1_success_json_and_xml(http, agency):
    body = call(http, agency["pincode"], "get_remaining_balance")
    assert body == {"code": 1, "status": "Success",
                    "data": {"balance": "50.00", "currency": "USD", "billed_to": "self", "account_status": "active"}}
    assert list(body) == ["code", "status", "data"]
    root = call(http, agency["pincode"], "get_remaining_balance", "xml")
    assert root.tag == "response"
    assert [c.tag for c in root] == ["code", "status", "data"]
    assert root.findtext("code") == "1" and root.findtext("status") == "Success"
    assert [(c.tag, c.text) for c in root.find("data")] == [
        ("balance", "50.00"), ("currency", "USD"), ("billed_to", "self"), ("account_status", "active")]


def test_code_0_detail_json_and_xml(http, pro_client):
    body = call(http, pro_client["pincode"], "client_list")
    assert body == {"code": 0, "status": "Unknown Error",
                    "data": {"error": "agency_only", "message": "This method is only available with an agency pincode"}}
    root = call(http, pro_client["pincode"], "client_list", "xml")
    assert root.findtext("code") == "0" and root.findtext("status") == "Unknown Error"
    assert [(c.tag, c.text) for c in root.find("data")] == [
        ("error", "agency_only"), ("message", "This method is only available with an agency pincode")]


def test_code_3_missing_pincode(http):
    assert call(http, None, "get_remaining_balance") == NULL_ENVELOPES[3]
    assert call(http, "   ", "get_remaining_balance") == NULL_ENVELOPES[3]
    root = call(http, None, "get_remaining_balance", "xml")
    assert xml_children(root) == [("code", "3", 0), ("status", "Authentication Required", 0), ("data", None, 0)]


@pytest.mark.parametrize("pincode", ["1234567890", "abc", "4815162342x", "٤٨١٥١٦٢٣٤٢", "' OR 1=1 --"])
def test_code_4_unknown_pincode(http, agency, pincode):
    assert call(http, pincode, "get_remaining_balance") == NULL_ENVELOPES[4]
    root = call(http, pincode, "get_remaining_balance", "xml")
    assert xml_children(root) == [("code", "4", 0), ("status", "Authentication Failed", 0), ("data", None, 0)]


@pytest.mark.parametrize("fmt", [None, "", "html", "jsonp", "js on"])
def test_code_6_bad_format_is_always_json(http, agency, fmt):
    response = http.get(URL, params={k: v for k, v in
                                     {"pincode": agency["pincode"], "method": "client_list", "format": fmt}.items()
                                     if v is not None})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.json() == NULL_ENVELOPES[6]


@pytest.mark.parametrize("method", [None, "", "nope", "Client_List", "CLIENT_LIST", "list_number", "visits_data"])
def test_code_404_unknown_method(http, agency, method):
    assert call(http, agency["pincode"], method) == NULL_ENVELOPES[404]
    root = call(http, agency["pincode"], method, "xml")
    assert xml_children(root) == [("code", "404", 0), ("status", "Invalid Request Method", 0), ("data", None, 0)]


def test_exact_raw_bytes_of_json_and_xml_errors(http, agency):
    raw = http.get(URL, params={"pincode": "999", "format": "json", "method": "client_list"}).text
    assert raw == '{"code":4,"status":"Authentication Failed","data":null}'
    raw = http.get(URL, params={"pincode": "999", "format": "xml", "method": "client_list"}).text
    assert raw == ('<?xml version="1.0" encoding="UTF-8"?>\n'
                   "<response><code>4</code><status>Authentication Failed</status><data/></response>")


# --- pipeline order (§3.5) ------------------------------------------------------------------------

def test_bad_format_wins_over_bad_pincode_and_method(http):
    assert call(http, "nope", "nope", "yaml") == NULL_ENVELOPES[6]
    assert call(http, None, None, "yaml") == NULL_ENVELOPES[6]


def test_missing_pincode_wins_over_unknown_method(http):
    assert call(http, None, "nope") == NULL_ENVELOPES[3]


def test_unknown_pincode_wins_over_unknown_method(http):
    assert call(http, "1234567890", "nope") == NULL_ENVELOPES[4]


def test_unknown_method_wins_over_permission(http, lite_client):
    assert call(http, lite_client["pincode"], "client-list") == NULL_ENVELOPES[404]


def test_permission_comes_before_parameters(http, lite_client):
    body = call(http, lite_client["pincode"], "visit_data")
    assert body["data"]["error"] == "pro_account_required"
    assert body["data"]["message"] == "This method is not available for lite accounts"
    assert call(http, lite_client["pincode"], "create_account", userid="x")["data"]["error"] == "agency_only"


def test_method_list_is_the_spec_list():
    assert len(METHODS) == 27 and len(set(METHODS)) == 27
    assert all(name == name.lower() for name in METHODS)
    (registry,) = registries()
    assert sorted(operation.name for operation in registry) == sorted(METHODS)
    assert all(operation.implemented for operation in registry)  # none is left planned


# --- parameters: GET vs POST, body wins, case-insensitive names -----------------------------------

def test_post_form_and_multipart_work(http, agency):
    form = {"pincode": agency["pincode"], "format": "json", "method": "get_remaining_balance"}
    assert http.post(URL, data=form).json()["code"] == 1
    multipart = http.post(URL, files={k: (None, v) for k, v in form.items()})
    assert multipart.json()["code"] == 1


def test_body_wins_over_query(http, agency, pro_client):
    # The query names the client (agency_only for client_list); the body names the agency.
    response = http.post(URL + f"?pincode={pro_client['pincode']}&format=xml&method=nope",
                         data={"pincode": agency["pincode"], "format": "json", "method": "client_list"})
    body = response.json()
    assert body["code"] == 1 and body["data"][0]["userid"] == "joesplumbing"


def test_last_repeat_wins(http, agency):
    response = http.get(URL + f"?pincode=111&pincode={agency['pincode']}&format=json&method=get_remaining_balance")
    assert response.json()["code"] == 1


def test_parameter_names_and_format_value_are_case_insensitive(http, agency):
    response = http.get(URL, params={"PinCode": agency["pincode"], "FORMAT": "XmL", "Method": "get_remaining_balance"})
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    assert parse_xml(response.text)["code"] == 1


def test_values_are_trimmed(http, agency):
    response = http.get(URL, params={"pincode": f" {agency['pincode']} ", "format": " json ",
                                     "method": " get_remaining_balance "})
    assert response.json()["code"] == 1


# --- transport ----------------------------------------------------------------------------------

def test_other_paths_are_plain_404(http, agency):
    for path in ["/webservice/api.php/", "/webservice/API.php", "/webservice/api", "/api.php", "/webservice/"]:
        response = http.get(path, params={"pincode": agency["pincode"], "format": "json", "method": "client_list"},
                            follow_redirects=False)
        assert response.status_code == 404, path
        assert "code" not in response.text


def test_other_http_verbs_are_405(http):
    assert http.put(URL).status_code == 405
    assert http.delete(URL).status_code == 405


def test_garbage_bodies_never_500(http, agency):
    bad_bodies = [
        (b"\xff\xfe\x00pincode=%%%&format", "application/x-www-form-urlencoded"),
        (b"--xx\r\nContent-Disposition: form-data; name=\"pin", "multipart/form-data; boundary=xx"),
        (b'{"pincode": "4815162342"}', "application/json"),
    ]
    for content, content_type in bad_bodies:
        response = http.post(URL + "?format=json", content=content, headers={"content-type": content_type})
        assert response.status_code == 200
        assert response.json()["code"] in (3, 6)


def test_unparsable_body_falls_back_to_the_query(http, agency):
    response = http.post(URL + f"?format=json&method=get_remaining_balance&pincode={agency['pincode']}",
                         content=b"--xx\r\nbroken", headers={"content-type": "multipart/form-data; boundary=xx"})
    assert response.json()["code"] == 1


def test_array_forms_of_global_parameters_do_not_crash(http, agency):
    response = http.get(URL + f"?pincode[]={agency['pincode']}&format[]=json&method[]=client_list")
    assert response.json() == NULL_ENVELOPES[6]
    response = http.get(URL + f"?pincode[]={agency['pincode']}&format=json&method=client_list")
    assert response.json() == NULL_ENVELOPES[3]


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pincode=st.text(max_size=40), fmt=st.sampled_from(["json", "xml", "JSON", "x"]), method=st.text(max_size=40),
       extra=st.dictionaries(st.text(min_size=1, max_size=10), st.text(max_size=30), max_size=3))
def test_fuzzed_requests_always_get_an_envelope(http, pincode, fmt, method, extra):
    response = http.post(URL, data={**extra, "pincode": pincode, "format": fmt, "method": method})
    assert response.status_code == 200
    envelope = parse_xml(response.text) if response.headers["content-type"].startswith("text/xml") else response.json()
    assert envelope["code"] in (0, 1, 3, 4, 6, 404)


# --- rate limit and call log ----------------------------------------------------------------------

def test_calls_are_logged_with_account_and_outcome(http, admin, agency):
    call(http, agency["pincode"], "get_remaining_balance")
    call(http, agency["pincode"], "client_list")
    call(http, "0000000000", "client_list")
    entries = admin.get("/_polytrack/calls", params={"api": "avidtrak"}).json()["calls"]
    seen = [(e["operation"], e["account"], e["outcome"]) for e in reversed(entries)]
    assert seen == [("get_remaining_balance", "acme_agency", "ok"), ("client_list", "acme_agency", "no_data"),
                    ("client_list", "", "4")]


def test_unknown_method_with_nul_bytes_is_logged_printably(http, admin, agency):
    assert call(http, agency["pincode"], "\x00bad\x00")["code"] == 404
    entries = admin.get("/_polytrack/calls", params={"api": "avidtrak"}).json()["calls"]
    assert [(e["operation"], e["outcome"]) for e in entries] == [("?bad", "404")]
