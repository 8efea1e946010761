"""Routing configuration over the API, in JSON and XML: set/remove_forwarding by pro, lite or
sid, round robin insert/list/edit/delete, update_number_setting, metro sites."""

import pytest

from tests.avidtrak.conftest import FORMATS, as_sent, call, client, error_of
from tests.avidtrak.test_numbers import buy, sid_of

pytestmark = pytest.mark.usefixtures("services")

A, B, C = "4105550100", "4105550101", "4105550102"


@pytest.fixture
def joe(http, pro_client):
    """joesplumbing with three numbers: A gppc, B direct, C unassigned."""
    pin = pro_client["pincode"]
    buy(http, pin, A, B, C)
    client(http, pin).call("assign_number", sid=[A], type="gppc")
    client(http, pin).call("assign_number", sid=[B], type="direct")
    return pin


def row(http, pin, number):
    return next(r for r in call(http, pin, "list_numbers")["data"] if r["number"] == number)


# --- forwarding ---------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_set_forwarding_by_sid(http, joe, fmt):
    data = client(http, joe, fmt).call("set_forwarding", type="sid", sid=[sid_of(A)], forward_number="(410) 555-9876",
                                       extension="12")
    assert data == as_sent({"type": "sid", "forward_number": "4105559876", "extension": "12",
                            "updated": [{"sid": sid_of(A), "number": A}]}, fmt)
    assert (row(http, joe, A)["forward_number"], row(http, joe, A)["extension"]) == ("4105559876", "12")
    assert row(http, joe, B)["forward_number"] == ""


@pytest.mark.parametrize("fmt", FORMATS)
def test_set_and_remove_forwarding_by_mode(http, joe, fmt):
    data = client(http, joe, fmt).call("set_forwarding", type="pro", forward_number="4105559876")
    assert data == as_sent({"type": "pro", "forward_number": "4105559876", "extension": "",
                            "updated": [{"sid": sid_of(A), "number": A}, {"sid": sid_of(B), "number": B}]}, fmt)
    assert row(http, joe, C)["forward_number"] == ""  # unassigned: no mode
    # a lite set with no lite numbers still succeeds (and stores the default)
    assert client(http, joe, fmt).call("set_forwarding", type="lite", forward_number="4105551212")["updated"] in ([], None)
    data = client(http, joe, fmt).call("remove_forwarding", type="pro")
    assert data == as_sent({"type": "pro", "updated": [{"sid": sid_of(A), "number": A},
                                                        {"sid": sid_of(B), "number": B}]}, fmt)
    assert row(http, joe, A)["forward_number"] == ""
    # the pro default is gone too: a newly assigned number inherits nothing
    assert client(http, joe).call("assign_number", sid=[C], type="gseo")[0]["forward_number"] == ""


@pytest.mark.parametrize("fmt", FORMATS)
def test_forwarding_errors(http, joe, agency, fmt):
    assert error_of(http, joe, "set_forwarding", fmt)["parameter"] == "type"
    assert error_of(http, joe, "set_forwarding", fmt, type="all", forward_number="x")["parameter"] == "type"
    assert error_of(http, joe, "set_forwarding", fmt, type="pro")["parameter"] == "forward_number"
    assert error_of(http, joe, "set_forwarding", fmt, type="sid", forward_number="4105559876")["parameter"] == "sid"
    assert error_of(http, joe, "set_forwarding", fmt, type="pro", forward_number="12")["parameter"] == "forward_number"
    assert error_of(http, joe, "set_forwarding", fmt, type="pro", forward_number="4105559876",
                    extension="12a")["parameter"] == "extension"
    assert error_of(http, joe, "set_forwarding", fmt, type="sid", sid=["PN" + "0" * 32],
                    forward_number="4105559876")["error"] == "invalid_sid"
    assert error_of(http, joe, "set_forwarding", fmt, type="pro", forward_number=B) == as_sent(
        {"error": "forward_loop", "message": "A receiving number cannot be one of your tracking numbers",
         "parameter": "forward_number"}, fmt)
    assert error_of(http, joe, "remove_forwarding", fmt, type="sid")["parameter"] == "sid"
    # the agency's pincode does not reach its client's numbers
    assert error_of(http, agency["pincode"], "remove_forwarding", fmt, type="sid", sid=[A])["error"] == "invalid_sid"


# --- round robin --------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_round_robin_lifecycle(http, joe, fmt):
    api = client(http, joe, fmt)
    inserted = api.call("insert_round_robin", sid=sid_of(A), forwarding_number=["4105551111", "4105552222"],
                        label=["Front desk", "Joe cell"], use_default_first="yes")
    first, second = (int(entry["round_robin_list_id"]) for entry in inserted)
    assert inserted == as_sent([
        {"round_robin_list_id": first, "sid": sid_of(A), "position": 1, "forwarding_number": "4105551111",
         "extension": "", "label": "Front desk", "use_default_first": "yes", "rings": 4},
        {"round_robin_list_id": second, "sid": sid_of(A), "position": 2, "forwarding_number": "4105552222",
         "extension": "", "label": "Joe cell", "use_default_first": "yes", "rings": 4}], fmt)
    assert api.call("list_round_robin", sid=sid_of(A)) == inserted
    assert row(http, joe, A)["round_robin_entries"] == 2
    edited = api.call("edit_round_robin", sid=sid_of(A), round_robin_list_id=second, forwarding_number="4105553333",
                      label="Joe mobile", use_default_first="no", rings="6")
    assert edited == as_sent({"round_robin_list_id": second, "sid": sid_of(A), "position": 2,
                              "forwarding_number": "4105553333", "extension": "", "label": "Joe mobile",
                              "use_default_first": "no", "rings": 6}, fmt)
    deleted = api.call("delete_round_robin", sid=sid_of(A), round_robin_list_id=first)
    assert deleted == as_sent({"round_robin_list_id": first, "sid": sid_of(A), "deleted": 1, "remaining": 1}, fmt)
    remaining = api.call("list_round_robin", sid=A)
    assert [(r["position"], r["forwarding_number"]) for r in remaining] == [(as_sent(1, fmt), "4105553333")]


def test_round_robin_with_extensions_on_several_numbers(http, joe):
    inserted = client(http, joe).call("insert_round_robin", sid=[A, B], forwarding_number=["4105551111", "4105551111"],
                                      extension=["1", "2"])
    assert [(r["sid"], r["position"], r["extension"]) for r in inserted] == [
        (sid_of(A), 1, "1"), (sid_of(A), 2, "2"), (sid_of(B), 1, "1"), (sid_of(B), 2, "2")]


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_robin_errors(http, joe, fmt):
    sid = sid_of(A)
    assert error_of(http, joe, "insert_round_robin", fmt, forwarding_number=["4105551111"])["parameter"] == "sid"
    assert error_of(http, joe, "insert_round_robin", fmt, sid=sid)["parameter"] == "forwarding_number"
    assert error_of(http, joe, "insert_round_robin", fmt, sid=sid, forwarding_number=["4105551111"],
                    label=["a", "b"])["error"] == "array_length_mismatch"
    assert error_of(http, joe, "insert_round_robin", fmt, sid=sid, forwarding_number=["4105551111", "99"]) == as_sent(
        {"error": "invalid_parameter", "message": "Invalid value for parameter: forwarding_number",
         "parameter": "forwarding_number", "values": ["99"]}, fmt)
    assert error_of(http, joe, "insert_round_robin", fmt, sid=sid, forwarding_number=["4105551111"],
                    rings="11")["parameter"] == "rings"
    assert error_of(http, joe, "insert_round_robin", fmt, sid=sid, forwarding_number=["4105551111"],
                    use_default_first="maybe")["parameter"] == "use_default_first"
    assert error_of(http, joe, "insert_round_robin", fmt, sid=sid, forwarding_number=[B])["error"] == "forward_loop"
    assert error_of(http, joe, "insert_round_robin", fmt, sid=sid,
                    forwarding_number=["4105551111", "4105551111"])["error"] == "duplicate_entry"
    client(http, joe).call("insert_round_robin", sid=sid, forwarding_number=[f"41055520{n:02d}" for n in range(9)])
    assert error_of(http, joe, "insert_round_robin", fmt, sid=sid,
                    forwarding_number=["4105552000"])["error"] == "duplicate_entry"
    assert error_of(http, joe, "insert_round_robin", fmt, sid=sid,
                    forwarding_number=["4105553000", "4105553001"]) == as_sent(
        {"error": "too_many_entries", "message": "Too many entries (maximum 10)", "max": 10}, fmt)
    assert error_of(http, joe, "list_round_robin", fmt, sid=[A, B])["error"] == "multiple_sid_not_allowed"
    assert error_of(http, joe, "list_round_robin", fmt, sid=B)["error"] == "no_data"
    assert error_of(http, joe, "edit_round_robin", fmt, sid=sid, round_robin_list_id="x",
                    forwarding_number="4105551111")["parameter"] == "round_robin_list_id"
    assert error_of(http, joe, "edit_round_robin", fmt, sid=B, round_robin_list_id="1",
                    forwarding_number="4105551111")["error"] == "round_robin_not_found"
    assert error_of(http, joe, "delete_round_robin", fmt, sid=B, round_robin_list_id="1")["error"] == \
        "round_robin_not_found"
    assert len(client(http, joe).call("list_round_robin", sid=sid)) == 9


# --- number settings ----------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_update_number_setting(http, joe, fmt):
    data = client(http, joe, fmt).call("update_number_setting", sid=sid_of(A), recording="1",
                                       whisper_message="Call from Google Ads",
                                       email_alerts="a@x.example, b@x.example")
    assert data == as_sent([{"sid": sid_of(A), "number": A, "recording": 1, "greet_caller": "",
                             "whisper_message": "Call from Google Ads", "enable_email": 0,
                             "email_alerts": "a@x.example,b@x.example"}], fmt)
    # present but empty clears; absent keeps
    data = client(http, joe, fmt).call("update_number_setting", sid=[A, B], whisper_message="")
    assert data[0]["whisper_message"] in ("", None) and data[0]["recording"] in (1, "1")
    assert error_of(http, joe, "update_number_setting", fmt, recording="1")["parameter"] == "sid"
    assert error_of(http, joe, "update_number_setting", fmt, sid=A)["error"] == "nothing_to_update"
    assert error_of(http, joe, "update_number_setting", fmt, sid=A, recording="yes")["parameter"] == "recording"
    assert error_of(http, joe, "update_number_setting", fmt, sid=A, greet_caller="x" * 501)["parameter"] == \
        "greet_caller"
    assert error_of(http, joe, "update_number_setting", fmt, sid=A, email_alerts="ok@x.example,bad")["parameter"] == \
        "email_alerts"


# --- metro --------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_metro_sites_in_both_meanings(http, joe, lite_client, fmt):
    api = client(http, joe, fmt)
    site = api.call("add_metro_site_number", site_number="410-555-7100", Title="Towson", forward_number="410-555-7199")
    site_id = int(site["site_id"])
    assert site == as_sent({"site_id": site_id, "site_number": "4105557100", "title": "Towson",
                            "forward_number": "4105557199", "tracking_numbers": []}, fmt)
    allocated = api.call("add_metro_site_number", site_id=site_id, sid=C)  # the second meaning
    assert allocated == as_sent({"site_id": site_id, "site_number": "4105557100", "title": "Towson",
                                 "forward_number": "4105557199", "allocated": [{"sid": sid_of(C), "number": C}]}, fmt)
    assert api.call("allocate_metro_number", site_id=site_id, sid=[B])["allocated"] == as_sent(
        [{"sid": sid_of(B), "number": B}], fmt)
    assert api.call("list_metro_numbers") == as_sent([{
        "site_id": site_id, "site_number": "4105557100", "title": "Towson", "forward_number": "4105557199",
        "tracking_numbers": [{"sid": sid_of(B), "number": B}, {"sid": sid_of(C), "number": C}]}], fmt)
    number = row(http, joe, C)
    assert (number["metro_site_id"], number["forward_number"], number["tracking_mode"]) == (site_id, "4105557199", "pro")
    # set_forwarding type=pro leaves metro numbers to their site
    client(http, joe).call("set_forwarding", type="pro", forward_number="4105559876")
    assert row(http, joe, B)["forward_number"] == "4105557199"
    removed = api.call("remove_metro_site_number", site_id=site_id)
    assert removed == as_sent({"site_id": site_id, "site_number": "4105557100", "title": "Towson",
                               "released": [{"sid": sid_of(B), "number": B, "forward_number": "4105559876"},
                                            {"sid": sid_of(C), "number": C, "forward_number": "4105559876"}]}, fmt)
    assert row(http, joe, C)["metro_site_id"] is None
    assert error_of(http, joe, "list_metro_numbers", fmt)["error"] == "no_data"
    assert error_of(http, lite_client["pincode"], "list_metro_numbers", fmt)["error"] == "pro_account_required"


@pytest.mark.parametrize("fmt", FORMATS)
def test_metro_errors(http, joe, fmt):
    api = client(http, joe)
    site_id = api.call("add_metro_site_number", site_number="4105557100", title="Towson",
                       forward_number="4105557199")["site_id"]
    other = api.call("add_metro_site_number", site_number="4105557200", title="Dundalk",
                     forward_number="4105557299")["site_id"]
    api.call("allocate_metro_number", site_id=other, sid=[C])
    client(http, joe).call("assign_number", sid=[B], type="lite")
    assert error_of(http, joe, "add_metro_site_number", fmt, site_id=site_id, site_number="4105557100")["error"] == \
        "ambiguous_request"
    assert error_of(http, joe, "add_metro_site_number", fmt, title="T", forward_number="4105557199")["parameter"] == \
        "site_number"
    assert error_of(http, joe, "add_metro_site_number", fmt, site_number="4105557100", title="T",
                    forward_number=A)["error"] == "forward_loop"
    assert error_of(http, joe, "add_metro_site_number", fmt, site_number="4105557100", title="T",
                    forward_number="4105557199")["error"] == "site_number_exists"
    assert error_of(http, joe, "allocate_metro_number", fmt, sid=[A])["parameter"] == "site_id"
    assert error_of(http, joe, "allocate_metro_number", fmt, site_id="x", sid=[A])["parameter"] == "site_id"
    assert error_of(http, joe, "allocate_metro_number", fmt, site_id="999", sid=[A])["error"] == "site_not_found"
    assert error_of(http, joe, "allocate_metro_number", fmt, site_id=site_id, sid=[B])["error"] == "number_is_lite"
    assert error_of(http, joe, "allocate_metro_number", fmt, site_id=site_id, sid=[C]) == as_sent(
        {"error": "already_allocated", "message": "Number is already allocated to another metro site",
         "sids": [sid_of(C)]}, fmt)
    assert error_of(http, joe, "assign_number", fmt, sid=[C], type="lite")["error"] == "metro_allocated"
    assert error_of(http, joe, "remove_metro_site_number", fmt)["parameter"] == "site_id"
    assert error_of(http, joe, "remove_metro_site_number", fmt, site_id="999")["error"] == "site_not_found"
