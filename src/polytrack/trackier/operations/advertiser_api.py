"""The Advertiser API: what an advertiser's own key may call. Everything is scoped to the
advertiser's own campaigns; advertisers see revenue (what they are charged), never payouts."""

from __future__ import annotations

from polytrack.trackier import campaigns, errors, jobs, logs, reports, self_service
from polytrack.trackier.operations.base import ADVERTISER, TrackierCall, operation, report_list
from polytrack.trackier.operations.network import (
    NETWORK_SUMMARY, log_answer, log_fields, log_query, network_summary, paged_log,
)
from polytrack.trackier.schema import (
    ANY, BOOLEAN, INTEGER, NUMBER, OBJECT_ID, PAGING, PERIOD, STRING, array, envelope, ids, map_of, named, nullable,
    obj, words,
)
from polytrack.trackier.shapes import (
    CAMPAIGN_FIELDS, CAP, PHP_DATE, USER, campaign_object, cap_object, php_date, revenue_text, user_object,
)

CONVERSION_LOG_PAGE = 100
ADVERTISER_COLUMNS = {name: label for name, label in logs.CONVERSION_COLUMNS.items()
                      if not name.startswith("publisher") and name not in ("pid", "note", "payout", "revenue", "ro", "status")}
ADVERTISER_COLUMNS["country"] = "Country"
DEFAULT_LOG_FIELDS = ["_id", "cid", "campaign_id", "campaign_name", "method", "ipaddr", "created", "sub1"]
HIDDEN = ("coverage", "blocked_pubs", "whitelist_pubs")  # what an advertiser does not see of its campaigns

VISIBLE = {name: schema for name, schema in CAMPAIGN_FIELDS.items() if name not in HIDDEN}
COMMISSION = obj(revenue=STRING, coverage=array(STRING), model=STRING, description=nullable(STRING))
CAMPAIGN_PARTS = {"commissions": array(COMMISSION), "caps": array(CAP)}
CAMPAIGN = named("AdvertiserCampaign", obj(VISIBLE))
LISTED_CAMPAIGN = named("AdvertiserCampaignWithParts", obj({**VISIBLE, **CAMPAIGN_PARTS}))


def account_schema(*, patched: bool, postback: dict = ANY, payments: bool = False) -> dict:
    """The self-service account answers (an affiliate's adds `payments`; a PATCH adds `errors`
    and `message`)."""
    return envelope({"postbacks": array(postback), "invoices": array(ANY), "network": obj(NETWORK_SUMMARY),
                     "user": USER, **({"errors": array(STRING), "message": STRING} if patched else {}),
                     **({"payments": array(ANY)} if payments else {})})


def _campaign(call: TrackierCall, row) -> dict:
    """The campaign without what the advertiser does not see (payouts)."""
    found = campaign_object(row, call.network)
    for name in HIDDEN:
        found.pop(name)
    return found


def _commissions(call: TrackierCall, row) -> list[dict]:
    return [{"revenue": revenue_text(c.revenue_micros, row.comm_model), "coverage": campaigns.loads(c.coverage, []),
             "model": row.comm_model, "description": c.description}
            for c in campaigns.list_commissions(call.db, row)]


@operation("GET", "/advertiser/campaigns", roles=ADVERTISER, cacheable=True, query=PAGING,
           answer=envelope({"campaigns": array(LISTED_CAMPAIGN), "total": INTEGER, "page": INTEGER}))
def campaigns_list(call: TrackierCall) -> dict:
    limit, page = call.paging(default_limit=20)
    assert limit is not None
    rows, total = self_service.advertiser_campaigns(call.db, call.network, call.user_id, limit=limit, page=page)
    return {"success": True, "data": {"campaigns": [
        {**_campaign(call, row), "commissions": _commissions(call, row),
         "caps": [cap_object(cap, row) for cap in campaigns.list_caps(call.db, row)]} for row in rows],
        "total": total, "page": page}}


@operation("GET", "/advertiser/campaigns/{campaignId}", roles=ADVERTISER, cacheable=True,
           answer=envelope({"campaign": CAMPAIGN, **CAMPAIGN_PARTS}))
def campaign_get(call: TrackierCall) -> dict:
    row = self_service.advertiser_campaign(call.db, call.network, call.user_id, call.path_params["campaignId"])
    return {"success": True, "data": {"campaign": _campaign(call, row), "commissions": _commissions(call, row),
                                      "caps": [cap_object(cap, row) for cap in campaigns.list_caps(call.db, row)]}}


def _filters(call: TrackierCall, campaign_ids=()) -> reports.Filters:
    return reports.Filters(campaigns=tuple(campaign_ids), advertiser=call.user_id)


@operation("GET", "/advertiser/campaignStats/{id}", roles=ADVERTISER, query=PERIOD,
           answer=envelope(reports.stats_schema(payout=False)))
def campaign_stats(call: TrackierCall) -> dict:
    row = self_service.advertiser_campaign(call.db, call.network, call.user_id, call.path_params["id"])
    period = reports.date_range(call.query, call.network, call.services.clock.timestamp(), default_days=7)
    days, total = reports.stats(call.db, call.network, period, _filters(call, [row.id]), payout=False)
    return {"success": True, "data": {"stats": days, "total": total}}


@operation("GET", "/advertiser/report", roles=ADVERTISER, query=PERIOD, answer=envelope({
    "performance": array(obj(created=STRING, clicks=INTEGER, conversions=INTEGER, impressions=INTEGER, debit=NUMBER)),
    "start": STRING, "end": STRING}))
def report(call: TrackierCall) -> dict:
    # newest day first; debit is what the advertiser is charged
    period = reports.date_range(call.query, call.network, call.services.clock.timestamp(), default_days=7)
    records, _ = reports.custom_report(call.db, call.network, period, ["created"],
                                       ["grossClicks", "approvedConversions", "impressions", "revenue"],
                                       _filters(call))
    return {"success": True, "data": {"performance": [
        {"created": r["created"], "clicks": r["grossClicks"], "conversions": r["approvedConversions"],
         "impressions": r["impressions"], "debit": r["revenue"]} for r in reversed(records)],
        "start": period.start, "end": period.end}}


@operation("GET", "/advertiser/customReport", roles=ADVERTISER, query=(
    *PERIOD, words("group", reports.ADVERTISER_GROUPING_MAP, "groupings (default adid)"),
    ids("adid", "its campaigns only", not_found=True)), answer=envelope({
        "ads": array(obj({"_id": OBJECT_ID, "title": STRING})), "records": reports.REPORT["records"],
        "groupingMap": map_of(STRING), "total": reports.REPORT["total"],
        "query": obj(start=STRING, end=STRING, group=array(STRING), fields=array(STRING))}))
def custom_report(call: TrackierCall) -> dict:
    # records keyed by the groups' labels; traffic metrics only when there is some, revenue always
    period = reports.date_range(call.query, call.network, call.services.clock.timestamp(), default_days=1)
    groups = report_list(call, "group") or ["adid"]
    if unknown := [g for g in groups if g not in reports.ADVERTISER_GROUPING_MAP]:
        raise errors.invalid({"group": [f"Unknown grouping: {', '.join(unknown[:5])}"]})
    ads = [self_service.advertiser_campaign(call.db, call.network, call.user_id, ident)
           for ident in report_list(call, "adid")]
    records, total = reports.custom_report(call.db, call.network, period, groups, reports.ADVERTISER_FIELDS,
                                           _filters(call, [row.id for row in ads]),
                                           label_keys=reports.ADVERTISER_GROUPING_MAP)
    trimmed = [{k: v for k, v in record.items() if v != 0 or k == "revenue" or k in reports.ADVERTISER_GROUPING_MAP.values()}
               for record in records]
    return {"success": True, "data": {
        "ads": [{"_id": row.object_id, "title": row.title} for row in ads], "records": trimmed,
        "groupingMap": reports.ADVERTISER_GROUPING_MAP, "total": total,
        "query": {"start": period.start, "end": period.end, "group": groups, "fields": reports.ADVERTISER_FIELDS}}}


def account(call: TrackierCall, **extra) -> dict:
    user = self_service.own_user(call.db, call.network, call.user_id)
    return {"success": True, "data": {"postbacks": [], "invoices": [], "network": network_summary(call),
                                      "user": user_object(user, call.network), **extra}}


@operation("GET", "/advertiser/account", roles=ADVERTISER, answer=account_schema(patched=False))
def account_get(call: TrackierCall) -> dict:
    return account(call)


@operation("PATCH", "/advertiser/account", roles=ADVERTISER, writes=True, body=self_service.ACCOUNT_BODY,
           answer=account_schema(patched=True))
def account_patch(call: TrackierCall) -> dict:
    user = self_service.own_user(call.db, call.network, call.user_id)
    message, problems = self_service.edit_account(call.db, call.services.clock, user, call.body)
    answer = account(call, errors=problems, message=message or problems[0])
    answer["success"] = not problems
    return answer


# the API's index page truncates the path; clients copied it
@operation("POST", "/advertiser/conversion-import", roles=ADVERTISER, writes=True, after=jobs.run_pending,
           aliases=("/advertiser/conversion-impor",), body=jobs.IMPORT_BODY, answer=envelope({
               "message": STRING, "job": obj({
                   "orgId": OBJECT_ID, "type": STRING, "subType": STRING, "relatedObject": obj(sendPostback=STRING),
                   "resource": STRING, "resourceId": nullable(STRING), "state": STRING, "logs": array(ANY),
                   "_id": OBJECT_ID, "live": BOOLEAN, "created": PHP_DATE, "modified": nullable(PHP_DATE),
                   "meta": map_of(ANY)})}))
def conversion_import(call: TrackierCall) -> dict:
    job = jobs.queue_import(call.db, call.services.clock, call.network, call.body, user_id=call.user_id)
    return {"success": True, "data": {"message": "Job has been queued!!", "job": {
        "orgId": call.network.object_id, "type": "import", "subType": "job_import_conversion_v2",
        "relatedObject": {"sendPostback": "1" if jobs.sends_postbacks(job) else "0"}, "resource": "Conversion",
        "resourceId": None, "state": job.status, "logs": [], "_id": job.object_id, "live": False,
        "created": php_date(job.created_at), "modified": None, "meta": {}}}}


@operation("GET", "/advertiser/conversion-logs", roles=ADVERTISER, query=log_query(ADVERTISER_COLUMNS, publishers=True),
           answer=log_answer(keyed=False))
def conversion_logs(call: TrackierCall) -> dict:
    # records are a list here (the network's are keyed by _id)
    fields = log_fields(call, ADVERTISER_COLUMNS, DEFAULT_LOG_FIELDS)
    return paged_log(call, ADVERTISER_COLUMNS, fields, CONVERSION_LOG_PAGE, keyed=False,
                     always=("status", "referer"), advertiser=call.user_id)
