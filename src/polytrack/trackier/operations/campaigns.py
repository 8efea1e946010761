"""Network API: campaigns and what hangs off them: tracking domains, publisher access, stats,
caps, default commissions, landing pages, publisher-specific payouts (network keys). Goals are
in goals.py."""

from __future__ import annotations

from polytrack.trackier import campaigns, errors, reports
from polytrack.trackier.operations.base import TrackierCall, operation
from polytrack.trackier.schema import (
    BOOLEAN, INTEGER, PAGING, PERIOD, STRING, Param, array, enum, envelope, message_only, named, obj,
)
from polytrack.trackier.shapes import (
    CAMPAIGN, CAMPAIGN_FIELDS, CAP, COMMISSION, LANDING_PAGE, PUB_PAYOUT, campaign_object, cap_object,
    commission_object, landing_page_object, pub_payout_object,
)

DEFAULT_PAGE_SIZE = 20
CAMPAIGN_WITH_COMMISSIONS = named("CampaignWithCommissions", obj(
    {**CAMPAIGN_FIELDS, "commissions": array(COMMISSION)}))
STATS = envelope(reports.stats_schema())
CAPS = envelope({"caps": array(CAP)})
# landing-page answers hold the whole list; writes add a top-level message
LANDING_PAGES = obj(success=BOOLEAN, message=STRING, data=obj(landing_pages=array(LANDING_PAGE)), optional=["message"])
PUB_PAYOUTS = envelope({"payouts": array(PUB_PAYOUT)})
PUB_PAYOUTS_SAVED = envelope({"payouts": array(PUB_PAYOUT)}, message=STRING)


def campaign_with_commissions(call: TrackierCall, campaign) -> tuple[dict, list[dict]]:
    rows = campaigns.list_commissions(call.db, campaign)
    return (campaign_object(campaign, call.network, rows),
            [commission_object(row, campaign, call.network) for row in rows])


@operation("POST", "/campaign", writes=True, body=campaigns.CAMPAIGN_BODY, answer=envelope({
    "campaign": CAMPAIGN, "commissions": array(COMMISSION), "caps": array(CAP), "message": STRING}))
def create_campaign(call: TrackierCall) -> dict:
    campaign, commissions, caps = campaigns.create_campaign(call.db, call.services.clock, call.network, call.body)
    return {"success": True, "data": {
        "campaign": campaign_object(campaign, call.network, commissions),
        "commissions": [commission_object(row, campaign, call.network) for row in commissions],
        "caps": [cap_object(row, campaign) for row in caps],
        "message": "Campaign created Successfully!!"}}


@operation("POST", "/campaign/{id}", writes=True, body=campaigns.CAMPAIGN_EDIT_BODY,
           answer=envelope({"campaign": CAMPAIGN, "message": STRING}))
def edit_campaign(call: TrackierCall) -> dict:
    # the body's `action` says which fields change
    campaign, message = campaigns.edit_campaign(call.db, call.services.clock, call.network, call.path_params["id"],
                                                call.body)
    found, _ = campaign_with_commissions(call, campaign)
    return {"success": True, "data": {"campaign": found, "message": message}}


@operation("GET", "/campaign", cacheable=True,
           query=(*PAGING, Param("active", enum("0", "1"), "1 (default): active only")),
           answer=envelope({"campaigns": array(CAMPAIGN_WITH_COMMISSIONS), "total": INTEGER, "page": INTEGER,
                            "limit": INTEGER}))
def list_campaigns(call: TrackierCall) -> dict:
    limit, page = call.paging(default_limit=DEFAULT_PAGE_SIZE)
    assert limit is not None
    active = (call.query.get("active") or "1").strip()
    if active not in ("0", "1", ""):
        raise errors.invalid({"active": ["Active must be 0 or 1"]})
    rows, total = campaigns.list_campaigns(call.db, call.network, active_only=active != "0", limit=limit, page=page)
    listed = []
    for row in rows:
        found, commissions = campaign_with_commissions(call, row)
        listed.append({**found, "commissions": commissions})
    return {"success": True, "data": {"campaigns": listed, "total": total, "page": page, "limit": limit}}


@operation("GET", "/campaign/{id}", cacheable=True,
           answer=envelope({"campaign": CAMPAIGN, "commissions": array(COMMISSION)}))
def get_campaign(call: TrackierCall) -> dict:
    found, commissions = campaign_with_commissions(call, campaigns.find_campaign(call.db, call.network,
                                                                                 call.path_params["id"]))
    return {"success": True, "data": {"campaign": found, "commissions": commissions}}


@operation("DELETE", "/campaign/{id}", writes=True, answer=message_only())
def delete_campaign(call: TrackierCall) -> dict:
    campaigns.delete_campaign(call.db, call.services.clock, call.network, call.path_params["id"])
    return {"success": True, "data": {"message": "Campaign Deleted!!"}}


@operation("GET", "/campaign/stats/{id}", query=PERIOD, answer=STATS)
def campaign_stats(call: TrackierCall) -> dict:
    return _campaign_stats(call, None)


@operation("GET", "/campaign/stats/{id}/{affId}", query=PERIOD, answer=STATS)
def campaign_affiliate_stats(call: TrackierCall) -> dict:
    return _campaign_stats(call, call.path_params["affId"])


def _campaign_stats(call: TrackierCall, affiliate: str | None) -> dict:
    campaign = campaigns.find_campaign(call.db, call.network, call.path_params["id"])
    publishers = (campaigns.find_publisher(call.db, call.network, affiliate).id,) if affiliate else ()
    period = reports.date_range(call.query, call.network, call.services.clock.timestamp(), default_days=7)
    days, total = reports.stats(call.db, call.network, period, reports.Filters((campaign.id,), publishers))
    return {"success": True, "data": {"stats": days, "total": total}}



@operation("GET", "/campaign/domains", cacheable=True, answer=envelope({"domains": array(STRING)}))
def get_domains(call: TrackierCall) -> dict:
    return {"success": True, "data": {"domains": campaigns.tracking_domains(call.db, call.network)}}


@operation("PUT", "/campaign/domains", writes=True, body=campaigns.DOMAINS_BODY,
           answer=envelope({"message": STRING, "domains": array(STRING)}))
def put_domains(call: TrackierCall) -> dict:
    domains = campaigns.set_tracking_domains(call.db, call.network, call.body.get("domains"))
    if domains is None:  # as the docs show: HTTP 200, success false, the list unchanged
        return {"success": False, "data": {"message": "Invalid Request Body!!",
                                           "domains": campaigns.tracking_domains(call.db, call.network)}}
    base = call.services.settings.public_base_url()
    return {"success": True, "data": {
        "message": f"Domains Updated!! Point each domain (a CNAME or A record) at this server ({base}); "
                   "tracking links then use http://<domain>/<link id>.",
        "domains": domains}}


@operation("POST", "/campaign/assign-publisher", writes=True, body=campaigns.ACCESS_BODY, answer=message_only())
def assign_publisher(call: TrackierCall) -> dict:
    campaigns.assign_publishers(call.db, call.services.clock, call.network, call.body)
    return {"success": True, "data": {"message": "Campaign Access Granted"}}


# --- caps -------------------------------------------------------------------------------------

def _caps(call: TrackierCall, campaign, rows) -> list[dict]:
    return [cap_object(row, campaign) for row in rows]


@operation("POST", "/caps/{campId}", writes=True, body=campaigns.CAPS_BODY,
           answer=envelope({"caps": array(CAP)}, message=STRING))
def create_caps(call: TrackierCall) -> dict:
    campaign = campaigns.find_campaign(call.db, call.network, call.path_params["campId"])
    rows = campaigns.create_caps(call.db, call.services.clock, call.network, campaign, call.body)
    # `message` at the top level, next to `data`, as the docs show
    return {"success": True, "data": {"caps": _caps(call, campaign, rows)}, "message": "CAP Added Successfully"}


@operation("GET", "/caps/{campId}", cacheable=True, answer=CAPS)
def list_caps(call: TrackierCall) -> dict:
    campaign = campaigns.find_campaign(call.db, call.network, call.path_params["campId"])
    return {"success": True, "data": {"caps": _caps(call, campaign, campaigns.list_caps(call.db, campaign))}}


@operation("GET", "/caps/{campId}/{capId}", cacheable=True, answer=CAPS)
def get_cap(call: TrackierCall) -> dict:
    campaign = campaigns.find_campaign(call.db, call.network, call.path_params["campId"])
    cap = campaigns.find_cap(call.db, campaign, call.path_params["capId"])
    return {"success": True, "data": {"caps": _caps(call, campaign, [cap])}}


@operation("POST", "/caps/{campId}/{capId}", writes=True, body=campaigns.CAP_BODY,
           answer=envelope({"caps": array(CAP)}, message=STRING))
def edit_cap(call: TrackierCall) -> dict:
    campaign = campaigns.find_campaign(call.db, call.network, call.path_params["campId"])
    cap = campaigns.edit_cap(call.db, call.network, campaign, call.path_params["capId"], call.body)
    return {"success": True, "message": "CAP Updated Successfully", "data": {"caps": _caps(call, campaign, [cap])}}


@operation("DELETE", "/caps/{campId}/{capId}", writes=True, answer=message_only())
def delete_cap(call: TrackierCall) -> dict:
    campaign = campaigns.find_campaign(call.db, call.network, call.path_params["campId"])
    campaigns.delete_cap(call.db, campaign, call.path_params["capId"])
    return {"success": True, "data": {"message": "CAP removed from database!!"}}


# --- default commissions ----------------------------------------------------------------------

@operation("POST", "/commissions/{campId}", writes=True, body=campaigns.COMMISSION_BODY,
           answer=envelope({"commission": COMMISSION, "message": STRING}))
def create_commission(call: TrackierCall) -> dict:
    campaign = campaigns.find_campaign(call.db, call.network, call.path_params["campId"])
    row = campaigns.create_commission(call.db, call.services.clock, campaign, call.body)
    return {"success": True, "data": {"commission": commission_object(row, campaign, call.network),
                                      "message": "Commission Saved Successfully!!"}}


@operation("GET", "/commissions/{campId}", cacheable=True, answer=envelope({"commissions": array(COMMISSION)}))
def list_commissions(call: TrackierCall) -> dict:
    campaign = campaigns.find_campaign(call.db, call.network, call.path_params["campId"])
    _, commissions = campaign_with_commissions(call, campaign)
    return {"success": True, "data": {"commissions": commissions}}


@operation("GET", "/commissions/{campId}/{id}", cacheable=True, answer=envelope({"commission": COMMISSION}))
def get_commission(call: TrackierCall) -> dict:
    campaign = campaigns.find_campaign(call.db, call.network, call.path_params["campId"])
    row = campaigns.find_commission(call.db, campaign, call.path_params["id"])
    return {"success": True, "data": {"commission": commission_object(row, campaign, call.network)}}


@operation("POST", "/commissions/{campId}/{id}", writes=True, body=campaigns.COMMISSION_EDIT_BODY,
           answer=envelope({"commission": COMMISSION, "message": STRING}))
def edit_commission(call: TrackierCall) -> dict:
    campaign = campaigns.find_campaign(call.db, call.network, call.path_params["campId"])
    row = campaigns.edit_commission(call.db, call.services.clock, campaign, call.path_params["id"], call.body)
    return {"success": True, "data": {"commission": commission_object(row, campaign, call.network),
                                      "message": "Commission Updated!!"}}


@operation("DELETE", "/commissions/{campId}/{id}", writes=True, answer=message_only())
def delete_commission(call: TrackierCall) -> dict:
    campaign = campaigns.find_campaign(call.db, call.network, call.path_params["campId"])
    campaigns.delete_commission(call.db, campaign, call.path_params["id"])
    return {"success": True, "data": {"message": "Commission Deleted!!"}}


# --- landing pages: every answer holds the campaign's whole list -------------------------------

def _landing_pages(call: TrackierCall, campaign, message: str | None) -> dict:
    pages = [landing_page_object(row) for row in campaigns.list_landing_pages(call.db, campaign)]
    answer: dict = {"success": True}
    if message:
        answer["message"] = message
    answer["data"] = {"landing_pages": pages}
    return answer


@operation("POST", "/campaign/lpages/{campId}", writes=True, body=campaigns.LANDING_PAGE_BODY, answer=LANDING_PAGES)
def create_landing_page(call: TrackierCall) -> dict:
    campaign = campaigns.find_campaign(call.db, call.network, call.path_params["campId"])
    campaigns.create_landing_page(call.db, call.services.clock, campaign, call.body)
    return _landing_pages(call, campaign, "Landing page added Successfully")


@operation("GET", "/campaign/lpages/{campId}", cacheable=True, answer=LANDING_PAGES)
def list_landing_pages(call: TrackierCall) -> dict:
    campaign = campaigns.find_campaign(call.db, call.network, call.path_params["campId"])
    return _landing_pages(call, campaign, None)


@operation("POST", "/campaign/lpages/{campId}/{lpId}", writes=True, body=campaigns.LANDING_PAGE_EDIT_BODY,
           answer=LANDING_PAGES)
def edit_landing_page(call: TrackierCall) -> dict:
    campaign = campaigns.find_campaign(call.db, call.network, call.path_params["campId"])
    campaigns.edit_landing_page(call.db, call.services.clock, campaign, call.path_params["lpId"], call.body)
    return _landing_pages(call, campaign, "Landing page updated Successfully")


@operation("DELETE", "/campaign/lpages/{campId}/{lpId}", writes=True, answer=LANDING_PAGES)
def delete_landing_page(call: TrackierCall) -> dict:
    campaign = campaigns.find_campaign(call.db, call.network, call.path_params["campId"])
    campaigns.delete_landing_page(call.db, campaign, call.path_params["lpId"])
    return _landing_pages(call, campaign, "Landing page deleted Successfully")


# --- publisher-specific payouts: the second id is a publisher's on GET, a payout's on POST and
# DELETE. The older /network/pub-payout paths answer the same.

@operation("POST", "/campaign/pub-payout/{campId}", writes=True, body=campaigns.PUB_PAYOUT_BODY,
           answer=PUB_PAYOUTS_SAVED)
def create_pub_payout(call: TrackierCall) -> dict:
    campaign = campaigns.find_campaign(call.db, call.network, call.path_params["campId"])
    row = campaigns.create_pub_payout(call.db, call.services.clock, call.network, campaign, call.body)
    return {"success": True, "message": "Publisher Specific Payout Created Successfully",
            "data": {"payouts": [pub_payout_object(row, campaign)]}}


@operation("GET", "/campaign/pub-payout/{campId}", cacheable=True, aliases=("/network/pub-payout/{campId}",),
           answer=PUB_PAYOUTS)
def list_pub_payouts(call: TrackierCall) -> dict:
    campaign = campaigns.find_campaign(call.db, call.network, call.path_params["campId"])
    rows = campaigns.list_pub_payouts(call.db, campaign)
    return {"success": True, "data": {"payouts": [pub_payout_object(row, campaign) for row in rows]}}


@operation("GET", "/campaign/pub-payout/{campId}/{publisherId}", cacheable=True,
           aliases=("/network/pub-payout/{campId}/{publisherId}",), answer=PUB_PAYOUTS)
def publisher_pub_payouts(call: TrackierCall) -> dict:
    campaign = campaigns.find_campaign(call.db, call.network, call.path_params["campId"])
    publisher = campaigns.find_publisher(call.db, call.network, call.path_params["publisherId"])
    rows = campaigns.list_pub_payouts(call.db, campaign, publisher=publisher.object_id)
    return {"success": True, "data": {"payouts": [pub_payout_object(row, campaign) for row in rows]}}


@operation("POST", "/campaign/pub-payout/{campId}/{payoutId}", writes=True, body=campaigns.PUB_PAYOUT_EDIT_BODY,
           answer=PUB_PAYOUTS_SAVED)
def edit_pub_payout(call: TrackierCall) -> dict:
    campaign = campaigns.find_campaign(call.db, call.network, call.path_params["campId"])
    row = campaigns.edit_pub_payout(call.db, call.network, campaign, call.path_params["payoutId"], call.body)
    return {"success": True, "message": "Publisher Specific Payout Updated Successfully",
            "data": {"payouts": [pub_payout_object(row, campaign)]}}


@operation("DELETE", "/campaign/pub-payout/{campId}/{payoutId}", writes=True,
           answer=envelope(message=STRING))
def delete_pub_payout(call: TrackierCall) -> dict:
    campaign = campaigns.find_campaign(call.db, call.network, call.path_params["campId"])
    campaigns.delete_pub_payout(call.db, campaign, call.path_params["payoutId"])
    return {"success": True, "message": "Publisher Specific Payout Deleted Successfully"}
