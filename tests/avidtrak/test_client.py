"""The package's client names every method, in JSON and XML, GET and POST."""

import pytest

from polytrack.avidtrak.client import METHODS, AvidTrakClient, AvidTrakError
from polytrack.avidtrak.operations import registries
from tests.avidtrak.conftest import FORMATS, URL, as_sent

pytestmark = pytest.mark.usefixtures("services")


def test_the_client_knows_every_method_of_the_registry():
    (registry,) = registries()
    assert sorted(METHODS) == sorted(operation.name for operation in registry)
    with pytest.raises(AttributeError):
        AvidTrakClient(URL, "1").no_such_method


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("use_post", [False, True])
def test_every_method_through_the_client(http, agency, pro_client, fmt, use_post):
    """Each method once by its name: a success or the API's own code-0 error, never anything else."""
    joe = AvidTrakClient(URL, pro_client["pincode"], fmt, http=http, use_post=use_post)
    acme = AvidTrakClient(URL, agency["pincode"], fmt, http=http, use_post=use_post)
    bought = joe.purchase_number(number_type="local", number=["4105550100"])
    sid = bought[0]["sid"]
    assert joe.assign_number(sid=[sid], type="gppc")[0]["assign_label"] == "Google PPC"
    assert joe.list_numbers()[0]["sid"] == sid
    assert joe.search_number(quantity=1, number_type="local", area_code="410")[0]["number"] == "4105550101"
    assert joe.set_forwarding(type="pro", forward_number="4105559876")["updated"][0]["sid"] == sid
    entry = joe.insert_round_robin(sid=sid, forwarding_number=["4105551111"])[0]["round_robin_list_id"]
    assert joe.list_round_robin(sid=sid)[0]["round_robin_list_id"] == entry
    assert joe.edit_round_robin(sid=sid, round_robin_list_id=entry, forwarding_number="4105551112")[
        "forwarding_number"] == "4105551112"
    assert joe.delete_round_robin(sid=sid, round_robin_list_id=entry)["deleted"] == as_sent(1, fmt)
    assert joe.update_number_setting(sid=sid, recording=1)[0]["recording"] == as_sent(1, fmt)
    assert joe.remove_forwarding(type="sid", sid=[sid])["type"] == "sid"
    assert joe.set_smart_replacement(action="add", site_phone=["4105557000"])["site_phones"] == ["4105557000"]
    site = joe.add_metro_site_number(site_number="4105557100", title="Towson", forward_number="4105557199")
    assert joe.allocate_metro_number(site_id=site["site_id"], sid=[sid])["allocated"][0]["sid"] == sid
    assert joe.list_metro_numbers()[0]["site_id"] == site["site_id"]
    assert joe.remove_metro_site_number(site_id=site["site_id"])["site_id"] == site["site_id"]
    lite = joe.purchase_number(number_type="local", number=["4105550101"])[0]["sid"]
    assert joe.add_lite_campaign(title="Mailer", sid=lite)["status"] == "active"
    assert joe.lite_campaign(startdate="2024-06-12")[0]["title"] == "Mailer"
    for method, params in [("all_lite_calls", {}), ("call_logs", {}), ("visit_data", {"filter": "gppc"})]:
        with pytest.raises(AvidTrakError) as empty:
            getattr(joe, method)(**params)
        assert empty.value.error == "no_data"
    assert joe.update_user_details(fullname="Joe")["fullname"] == "Joe"
    assert joe.get_remaining_balance()["billed_to"] == "agency"
    assert joe.return_number(sid=[lite], location="agency")[0]["status"] == "returned"
    client = acme.create_account(userid="newshop", password="Newshop1", account_type="lite")
    assert {row["userid"] for row in acme.client_list()} == {"joesplumbing", "newshop"}
    assert acme.transfer_number(sid=[lite], client_pin=client["pincode"])[0]["to"] == "newshop"
