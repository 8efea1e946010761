"""Network API: the network's own account, tracking links, stats and reports, conversion and
click logs, conversion import and its jobs, referral links (network keys)."""

from __future__ import annotations

import json

from polytrack.trackier import campaigns, dictionary, errors, jobs
from polytrack.trackier.domain import USER_CURRENCIES
from polytrack.trackier.errors import TrackierError
from polytrack.trackier.operations.base import TrackierCall, operation, planned
from polytrack.trackier.shapes import day, link_object, php_date, tracking_url


def network_object(row, call: TrackierCall) -> dict:
    """The network as the account page shows it. `domain` is the first label of its `url`."""
    host = (row.url or "").split("://")[-1].split("/")[0]
    return {
        "name": row.name, "domain": host.split(".")[0] if host else None, "url": row.url,
        "appearance": {"email": row.support_email or "", "support": row.support_url or "",
                       "termsurl": row.terms_url or "", "hlogo": "", "logo": ""},
        "region": {"currency": row.currency, "zone": row.timezone},
        "_id": row.object_id, "live": bool(row.live), "created": day(row.created_at, call.network),
        "modified": day(row.modified_at, call.network),
        "meta": {"bill": {"mic": "", "tcc": ""}},
    }


def _account(call: TrackierCall, row) -> dict:
    return {"success": True, "data": {"currencyCodes": list(USER_CURRENCIES), "network": network_object(row, call)}}


@operation("GET", "/network/account", cacheable=True)
def get_account(call: TrackierCall) -> dict:
    return _account(call, dictionary.network_row(call.db, call.network))


@operation("PATCH", "/network/account", writes=True)
def edit_account(call: TrackierCall) -> dict:
    return _account(call, dictionary.edit_network(call.db, call.services.clock, call.network, call.body))


def _link_answer(call: TrackierCall, link, publisher, campaign) -> dict:
    domains = campaigns.tracking_domains(call.db, call.network)
    return {"tracking_link": tracking_url(link, domains, call.services.settings.public_base_url()),
            "link": link_object(link, publisher.object_id, campaign.object_id, call.network)}


@operation("GET", "/network/link/{affiliate_id}/{campaign_id}", cacheable=True)
def get_link(call: TrackierCall) -> dict:
    publisher = campaigns.find_publisher(call.db, call.network, call.path_params["affiliate_id"])
    campaign = campaigns.find_campaign(call.db, call.network, call.path_params["campaign_id"])
    link = campaigns.find_link(call.db, campaign, publisher)
    if link is None:
        raise TrackierError(errors.NOT_FOUND)
    return {"success": True, "data": _link_answer(call, link, publisher, campaign)}


@operation("POST", "/network/link/{affiliate_id}/{campaign_id}", writes=True)
def create_link(call: TrackierCall) -> dict:
    publisher = campaigns.find_publisher(call.db, call.network, call.path_params["affiliate_id"])
    campaign = campaigns.find_campaign(call.db, call.network, call.path_params["campaign_id"])
    link, created = campaigns.create_link(call.db, call.services.clock, call.network, campaign, publisher, call.body,
                                          live=True)
    if not created:  # idempotent, as the docs show: success false, the existing link
        return {"success": False, "data": {"message": "Link already exists!!",
                                           **_link_answer(call, link, publisher, campaign)}}
    return {"success": True, "data": {"message": "Link Created!!", **_link_answer(call, link, publisher, campaign)}}


planned("GET", "/network/stats")
planned("GET", "/network/customReport")
planned("GET", "/network/conversions")
planned("GET", "/network/clicks")

def job_object(row) -> dict:
    return {"name": row.name, "_id": row.object_id, "created": php_date(row.created_at), "status": row.status}


@operation("POST", "/network/conversion-import", writes=True, after=jobs.run_pending)
def conversion_import(call: TrackierCall) -> dict:
    job = jobs.queue_import(call.db, call.services.clock, call.network, call.body)
    return {"success": True, "data": {"message": "Job has been queued!!",
                                      "job": {"_id": job.object_id, "status": job.status,
                                              "created": php_date(job.created_at)}}}


@operation("GET", "/jobs")
def list_jobs(call: TrackierCall) -> dict:
    return {"success": True, "data": {"jobs": [job_object(row) for row in jobs.list_jobs(call.db, call.network)]}}


# a poll also finishes jobs a stopped server left behind (after the answer)
@operation("GET", "/jobs/{id}", after=jobs.run_pending)
def get_job(call: TrackierCall) -> dict:
    job = jobs.find_job(call.db, call.network, call.path_params["id"])
    return {"success": True, "data": {"job": job_object(job), "logs": json.loads(job.logs)[::-1]}}


planned("GET", "/network/referral")
planned("POST", "/network/referral")
planned("PATCH", "/network/referral/{id}")
planned("DELETE", "/network/referral/{id}")
