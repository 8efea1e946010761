"""polytrack.trackier.client: a method for every endpoint, and a whole flow through it."""

import pytest

from polytrack.trackier import admin as trackier_admin
from polytrack.trackier.client import ENDPOINTS, TrackierClient, TrackierError, TrackingClient
from polytrack.trackier.operations import registries


def test_the_client_has_every_endpoint():
    [registry] = registries()
    declared = {(op.options["method"], op.options["template"]) for op in registry}
    assert set(ENDPOINTS.values()) == declared and len(ENDPOINTS) == len(declared) == 103
    assert all(callable(getattr(TrackierClient, name)) for name in ENDPOINTS)


def test_a_flow_through_the_client(http, services, key, network):
    api = TrackierClient("http://testserver/api", key, http=http)
    advertiser = api.create_advertiser(body={"name": "A", "email": "a@example.com", "password": "s3cret-pass"})
    affiliate = api.create_affiliate(body={"name": "P", "email": "p@example.com", "password": "s3cret-pass"})
    campaign = api.create_campaign(body={
        "title": "C", "url": "https://shop.example/?c={click_id}", "advertiser_id": advertiser["data"]["user"]["_id"],
        "status": "active", "commissions": [{"payout": 1, "revenue": 2}]})["data"]["campaign"]
    api.create_goal(body={"goal": {"title": "G", "value": "g", "type": "public", "ad_id": campaign["_id"],
                                   "model": "fixed"}, "payouts": [{"payout": 3, "revenue": 4, "coverage": ["ALL"]}]})
    assert [g["goal"]["value"] for g in api.campaign_goals(campaign["_id"])["goals"]] == ["g"]
    link = api.create_link(affiliate["data"]["user"]["_id"], campaign["_id"])["data"]["link"]

    tracking = TrackingClient("http://testserver", http=http)
    click = tracking.click(link["_id"], p1="x")
    click_id = click.headers["location"].split("c=")[1]
    assert tracking.postback(click_id, network["security_token"], goal_value="g")["status"] == "approved"

    report = api.custom_report(group=["adid", "goalName"], fields=["grossClicks", "payout"])["data"]
    assert report["records"] == [{"adid": "C", "goalName": "", "grossClicks": 1, "payout": 0},
                                 {"adid": "C", "goalName": "G", "grossClicks": 0, "payout": 3}]
    own = TrackierClient("http://testserver/api", trackier_admin.create_api_key(
        services, network_id=network["_id"], role="affiliate", user_id=affiliate["data"]["user"]["_id"])["key"],
        http=http)
    assert own.affiliate_conversions()["count"] == 1
    with pytest.raises(TrackierError) as refused:
        api.get_campaign("5dfa0000000000000000ffff")
    assert (refused.value.status, refused.value.code) == (404, 31)
    with pytest.raises(TypeError):
        api.get_campaign()
