"""The Affiliate API: what an affiliate's own key may call. An affiliate sees the active
campaigns it may run (never their destination URL or revenue), its own links, stats and
conversions, and asks for access to permission-only campaigns."""

from __future__ import annotations

from urllib.parse import urlencode

from polytrack.trackier import campaigns, errors, goals, postbacks, reports, self_service
from polytrack.trackier.campaigns import MODELS
from polytrack.trackier.errors import TrackierError
from polytrack.trackier.fields import as_number
from polytrack.trackier.operations.advertiser_api import account as own_account, account_schema
from polytrack.trackier.operations.base import AFFILIATE, TrackierCall, operation, report_list
from polytrack.trackier.operations.network import log_answer, log_fields, log_query, paged_log
from polytrack.trackier.schema import (
    ANY, BOOLEAN, DAY, INTEGER, NUMBER, OBJECT_ID, PAGING, PERIOD, STRING, Param, array, choice, enum, envelope,
    form, ids, map_of, named, nullable, obj, one_of, words,
)
from polytrack.trackier.shapes import (
    CAMPAIGN_FIELDS, LINK, USER, campaign_object, day, link_object, tracking_url, user_object,
)

DEFAULT_PAGE_SIZE = 10
CONVERSION_LOG_PAGE = 200
AFFILIATE_COLUMNS = {
    "_id": "Conversion ID", "cid": "Click ID", "source": "Source", "elapsed_time": "Click to Conversion Time",
    "method": "Conversion Method", "sale": "Sale Amount", "ipaddr": "Conversion IP", "click_ip": "Click IP",
    "city": "City", "region": "Region", "isp": "Carrier (ISP)", **{f"p{n}": f"P{n}" for n in range(1, 11)},
    "sub1": "SUB1", "sub2": "SUB2", "os": "Operating System (OS)", "type": "Type", "goalId": "Goal ID",
    "txnId": "Txn ID", "urlId": "Landing Page", "device_id": "Device ID", "note": "Note",
    "referer": "Image Pixel Referer", "cref": "Click Referer", "payout": "Payout", "revenue": "Revenue",
    "gaid": "GAID", "idfa": "IDFA", "app_id": "App ID", "app_name": "App Name", "aid": "Android ID",
    "cr_name": "Creative Name", "sl": "Smart Link", "brand": "Device Brand", "conn": "Connection Type",
    "click_ua": "Click User Agent", "lat": "Latitude", "long": "Longitude", "adid": "Campaign", "pid": "Publisher",
    "country": "Country (GEO)", "browser": "Browser", "device": "Device", "created": "Created", "status": "Status",
    "clickIp": "Click IP", "advertiser_id": "Advertiser ID", "advertiser_long_id": "Advertiser Long ID",
    "advertiser_name": "Advertiser Name", "publisher_id": "Publisher ID", "publisher_long_id": "Publisher Long ID",
    "publisher_name": "Publisher Name", "campaign_id": "Campaign ID", "campaign_long_id": "Campaign Long ID",
    "campaign_name": "Campaign Name", "goal_id": "Goal ID", "goal_name": "Goal Title", "url_long_id": "URL Long ID",
    "url_title": "URL Title",
}

# what an affiliate does not see of a campaign: removed, or shown as null
HIDDEN = ("coverage", "blocked_pubs", "whitelist_pubs", "fallback_url")
BLANKED = ("user_id", "url")
VISIBLE = {name: nullable(schema) if name in BLANKED else schema
           for name, schema in CAMPAIGN_FIELDS.items() if name not in HIDDEN}
TRACKING_LINK = obj(url=STRING, live=BOOLEAN)
COMMISSION = obj(rate=NUMBER, coverage=array(STRING), model=STRING, description=nullable(STRING), ad_id=OBJECT_ID)
GOAL = obj(id=OBJECT_ID, title=STRING, value=STRING, payout_model=STRING,
           payouts=array(obj(coverage=array(STRING), payout=NUMBER)))
LISTED_CAMPAIGN = named("AffiliateCampaignWithParts", obj({
    **VISIBLE, "commissions": array(COMMISSION), "tracking_link": nullable(TRACKING_LINK), "impressionUrl": STRING,
    "creatives": array(ANY), "goals": array(GOAL)}))
PERMISSION = {"hasPermission": BOOLEAN, "permRequired": BOOLEAN}
POSTBACK = obj({"org_id": OBJECT_ID, "user_id": OBJECT_ID, "ad_id": nullable(OBJECT_ID), "event": STRING,
                "data": STRING, "type": STRING, "_id": OBJECT_ID, "live": BOOLEAN, "created": DAY,
                "modified": nullable(DAY), "meta": map_of(ANY)})
# the self-service account's actions, and `postback` with its fields
ACCOUNT_BODY = form(**{**self_service.ACCOUNT_BODY["properties"], **postbacks.POSTBACK_FIELDS,
                       "action": choice((*self_service.ACCOUNT_ACTIONS, "postback"))}, required=("action",))
PERFORMANCE = {"clicks": INTEGER, "conversions": INTEGER, "impressions": INTEGER}


def _link(call: TrackierCall, campaign) -> dict | None:
    """{"url", "live"} of the affiliate's link on the campaign, or None without one."""
    link = campaigns.find_link(call.db, campaign, call.user_id)
    if link is None:
        return None
    domains = campaigns.tracking_domains(call.db, call.network)
    return {"url": tracking_url(link, domains, call.services.settings.public_base_url()), "live": bool(link.live)}


def _impression_url(call: TrackierCall, campaign) -> str:
    domains = campaigns.tracking_domains(call.db, call.network)
    base = f"http://{domains[0]}" if domains else call.services.settings.public_base_url()
    publisher = self_service.own_user(call.db, call.network, call.user_id)
    return f"{base}/imp?campaign_id={campaign.display_id}&pub_id={publisher.display_id}"


def _commissions(call: TrackierCall, campaign) -> list[dict]:
    """The affiliate's payout (`rate`) per commission, its own publisher payout where one applies."""
    publisher = self_service.own_user(call.db, call.network, call.user_id)
    overrides = [row for row in campaigns.list_pub_payouts(call.db, campaign, publisher=publisher.object_id)
                 if row.goal_id is None]
    found = []
    for row in campaigns.list_commissions(call.db, campaign):
        rate = overrides[0].rate_micros if overrides else row.rate_micros
        found.append({"rate": as_number(rate), "coverage": campaigns.loads(row.coverage, []),
                      "model": campaign.comm_model, "description": row.description, "ad_id": campaign.object_id})
    return found


def _campaign(call: TrackierCall, row) -> dict:
    found = campaign_object(row, call.network)
    found.update(dict.fromkeys(BLANKED))  # the destination and the advertiser stay hidden
    for name in HIDDEN:
        found.pop(name)
    return found


def _goals(call: TrackierCall, campaign) -> list[dict]:
    rows = [row for row in goals.list_goals(call.db, campaign) if row.type != "private"]
    payouts = goals.list_payouts(call.db, [row.id for row in rows])
    return [{"id": row.object_id, "title": row.title, "value": row.value, "payout_model": row.model,
             "payouts": [{"coverage": campaigns.loads(p.coverage, []), "payout": as_number(p.payout_micros)}
                         for p in payouts[row.id]]} for row in rows]


@operation("GET", "/affiliate/campaigns", roles=AFFILIATE, cacheable=True, query=(
    *PAGING, Param("model", enum(*MODELS), "this commission model only"),
    Param("status", STRING, "requestPermission: the permission-only campaigns it has no access to yet")),
    answer=envelope({"campaigns": array(LISTED_CAMPAIGN), "total": INTEGER, "page": INTEGER,
                     "domains": array(STRING)}))
def campaigns_list(call: TrackierCall) -> dict:
    limit, page = call.paging(default_limit=DEFAULT_PAGE_SIZE)
    assert limit is not None
    model = (call.query.get("model") or "").strip().lower() or None
    if model is not None and model not in MODELS:
        raise errors.invalid({"model": [f"Model must be one of: {', '.join(MODELS)}"]})
    rows, total = self_service.affiliate_campaigns(
        call.db, call.network, call.user_id, permission_only=call.query.get("status") == "requestPermission",
        model=model, limit=limit, page=page)
    return {"success": True, "data": {"campaigns": [
        {**_campaign(call, row), "commissions": _commissions(call, row), "tracking_link": _link(call, row),
         "impressionUrl": _impression_url(call, row), "creatives": [], "goals": _goals(call, row)} for row in rows],
        "total": total, "page": page, "domains": campaigns.tracking_domains(call.db, call.network)}}


@operation("GET", "/affiliate/campaigns/{campaignId}", roles=AFFILIATE, cacheable=True, answer=envelope({
    "campaign": obj({**VISIBLE, "meta": obj(permission=BOOLEAN)}), "commissions": array(COMMISSION),
    "tracking_link": nullable(TRACKING_LINK), "impressionUrl": STRING,
    "permission": obj({**PERMISSION, "access": nullable(obj({"_id": OBJECT_ID, "live": BOOLEAN}))}),
    "domains": array(STRING)}))
def campaign_get(call: TrackierCall) -> dict:
    row = self_service.affiliate_campaign(call.db, call.network, call.user_id, call.path_params["campaignId"])
    access = self_service.access_of(call.db, row, call.user_id)
    return {"success": True, "data": {
        "campaign": {**_campaign(call, row), "meta": {"permission": row.visibility != "public"}},
        "commissions": _commissions(call, row), "tracking_link": _link(call, row),
        "impressionUrl": _impression_url(call, row),
        "permission": {"hasPermission": self_service.may_run(call.db, row, call.user_id),
                       "permRequired": row.visibility != "public",
                       "access": {"_id": access.object_id, "live": bool(access.live)} if access else None},
        "domains": campaigns.tracking_domains(call.db, call.network)}}


@operation("GET", "/affiliate/link/{campaignId}", roles=AFFILIATE, cacheable=True,
           answer=envelope({"tracking_link": TRACKING_LINK}))
def link_get(call: TrackierCall) -> dict:
    row = self_service.affiliate_campaign(call.db, call.network, call.user_id, call.path_params["campaignId"])
    link = _link(call, row)
    if link is None:
        raise TrackierError(errors.NOT_FOUND)
    return {"success": True, "data": {"tracking_link": link}}


@operation("POST", "/affiliate/link/{campaignId}", roles=AFFILIATE, writes=True,
           answer=one_of(envelope({"tracking_link": TRACKING_LINK}), envelope({"message": STRING})))
def link_create(call: TrackierCall) -> dict:
    row = self_service.affiliate_campaign(call.db, call.network, call.user_id, call.path_params["campaignId"])
    if not self_service.may_run(call.db, row, call.user_id):
        return {"success": False, "data": {"message": "Permission required!!"}}
    campaigns.create_link(call.db, call.services.clock, call.network, row, call.user_id, {}, live=True)
    return {"success": True, "data": {"tracking_link": _link(call, row)}}


@operation("GET", "/affiliate/customReport", roles=AFFILIATE, query=(
    *PERIOD, words("group", reports.AFFILIATE_GROUPING_MAP, "groupings (default adid)"),
    words("fields", reports.AFFILIATE_FIELD_MAP, "metrics (default grossClicks, totalConversions, payout)"),
    ids("adid", "these of its campaigns only", not_found=True)), answer=envelope({
        **reports.REPORT, "ads": array(obj({"_id": OBJECT_ID, "title": STRING})), "groupingMap": map_of(STRING),
        "query": obj(start=DAY, end=DAY, group=array(STRING), pid=array(OBJECT_ID), fields=array(STRING)),
        "report_currency": STRING, "fieldMap": map_of(STRING)}))
def custom_report(call: TrackierCall) -> dict:
    period = reports.date_range(call.query, call.network, call.services.clock.timestamp(), default_days=1)
    groups = report_list(call, "group") or ["adid"]
    fields = report_list(call, "fields") or list(reports.AFFILIATE_DEFAULT_FIELDS)
    problems = {}
    if unknown := [g for g in groups if g not in reports.AFFILIATE_GROUPING_MAP]:
        problems["group"] = [f"Unknown grouping: {', '.join(unknown[:5])}"]
    if unknown := [f for f in fields if f not in reports.AFFILIATE_FIELD_MAP]:
        problems["fields"] = [f"Unknown field: {', '.join(unknown[:5])}"]
    if problems:
        raise errors.invalid(problems)
    ads = [self_service.affiliate_campaign(call.db, call.network, call.user_id, ident)
           for ident in report_list(call, "adid")]
    records, total = reports.custom_report(call.db, call.network, period, groups, fields, reports.Filters(
        tuple(row.id for row in ads), (call.user_id,)))
    publisher = self_service.own_user(call.db, call.network, call.user_id)
    return {"success": True, "data": {
        "records": records, "total": total, "ads": [{"_id": row.object_id, "title": row.title} for row in ads],
        "groupingMap": reports.AFFILIATE_GROUPING_MAP,
        "query": {"start": period.start, "end": period.end, "group": groups, "pid": [publisher.object_id],
                  "fields": fields},
        "report_currency": call.network.currency, "fieldMap": reports.AFFILIATE_FIELD_MAP}}


def _account(call: TrackierCall, **extra) -> dict:
    answer = own_account(call, **extra)
    answer["data"]["postbacks"] = [postback_object(row, call) for row in postbacks.list_postbacks(call.db, call.user_id)]
    answer["data"]["payments"] = []
    return answer


def postback_object(row, call: TrackierCall) -> dict:
    return {"org_id": call.network.object_id, "user_id": self_service.own_user(call.db, call.network,
                                                                               call.user_id).object_id,
            "ad_id": row.campaign_object_id, "event": row.event, "data": row.url, "type": "url", "_id": row.object_id,
            "live": bool(row.live), "created": day(row.created_at, call.network),
            "modified": day(row.modified_at, call.network), "meta": {}}


@operation("GET", "/affiliate/account", roles=AFFILIATE,
           answer=account_schema(patched=False, postback=POSTBACK, payments=True))
def account_get(call: TrackierCall) -> dict:
    return _account(call)


@operation("PATCH", "/affiliate/account", roles=AFFILIATE, writes=True, body=ACCOUNT_BODY,
           answer=account_schema(patched=True, postback=POSTBACK, payments=True))
def account_patch(call: TrackierCall) -> dict:
    # besides the documented actions, `postback` sets the affiliate's postback URL
    if call.body.get("action") == "postback":
        postbacks.set_postback(call.db, call.services.clock, call.network, call.user_id, call.body)
        return _account(call, errors=[], message="Postback updated successfully!!")
    user = self_service.own_user(call.db, call.network, call.user_id)
    message, problems = self_service.edit_account(call.db, call.services.clock, user, call.body)
    answer = _account(call, errors=problems, message=message or problems[0])
    answer["success"] = not problems
    return answer


@operation("POST", "/affiliate/requestAccess/{campaignId}", roles=AFFILIATE, writes=True,
           body=self_service.ACCESS_REQUEST_BODY, answer=envelope({
               "message": STRING, "access": obj({"_id": OBJECT_ID, "created": DAY, "live": BOOLEAN})}))
def request_access(call: TrackierCall) -> dict:
    row = self_service.affiliate_campaign(call.db, call.network, call.user_id, call.path_params["campaignId"])
    access, new = self_service.request_access(call.db, call.services.clock, row, call.user_id, call.body)
    return {"success": True, "data": {
        "message": "Access Requested!!" if new else "Access has already been requested!!",
        "access": {"_id": access.object_id, "created": day(access.created_at, call.network),
                   "live": bool(access.live)}}}


@operation("GET", "/affiliate/conversions", roles=AFFILIATE, query=log_query(AFFILIATE_COLUMNS, publishers=False),
           answer=log_answer(keyed=False))
def conversions(call: TrackierCall) -> dict:
    # records are a list; `revenue` shows the affiliate's payout (affiliates never see revenue)
    fields = log_fields(call, AFFILIATE_COLUMNS, ["_id", "cid", "campaign_name", "payout", "status", "created"])
    return paged_log(call, AFFILIATE_COLUMNS, fields, CONVERSION_LOG_PAGE, keyed=False,
                     always=("status", "referer", "method"), publisher=call.user_id, replace={"revenue": "payout"})


# Legacy: gone from the newest docs, still called by clients written against the older ones.
@operation("GET", "/affiliate/payout", roles=AFFILIATE, query=PERIOD,
           answer=envelope({"user": USER, **reports.stats_schema(revenue=False)}))
def payout(call: TrackierCall) -> dict:
    # the network's affiliate-earnings answer, for the caller
    user = self_service.own_user(call.db, call.network, call.user_id)
    period = reports.date_range(call.query, call.network, call.services.clock.timestamp(), default_days=7)
    days, total = reports.stats(call.db, call.network, period, reports.Filters(publishers=(user.id,)),
                                revenue=False, country_top=10)
    return {"success": True, "data": {"user": user_object(user, call.network), "stats": days, "total": total}}


@operation("GET", "/affiliate/report", roles=AFFILIATE, query=PERIOD, answer=envelope({
    "links": array(LINK), "performance": array(obj(created=STRING, **PERFORMANCE, revenue=NUMBER)),
    "start": DAY, "end": DAY, "campaigns": array(obj({
        "_id": OBJECT_ID, "image": nullable(STRING), "title": STRING, "preview_url": nullable(STRING),
        "category": array(ANY), "live": BOOLEAN, "description": nullable(STRING)})),
    "campaigns_revenue": map_of(obj(**PERFORMANCE, payout=NUMBER, revenue=NUMBER))}))
def legacy_report(call: TrackierCall) -> dict:
    # `revenue` is the affiliate's earning here (its payout), as the old docs say
    period = reports.date_range(call.query, call.network, call.services.clock.timestamp(), default_days=7)
    mine = reports.Filters(publishers=(call.user_id,))
    days, _ = reports.custom_report(call.db, call.network, period, ["created"],
                                    ["grossClicks", "approvedConversions", "impressions", "payout"], mine)
    by_campaign, _ = reports.custom_report(call.db, call.network, period, ["campaign_long_id"],
                                           ["grossClicks", "approvedConversions", "impressions", "payout"], mine)
    publisher = self_service.own_user(call.db, call.network, call.user_id)
    links, shown = [], []
    for row, link in self_service.linked_campaigns(call.db, call.network, call.user_id):
        links.append(link_object(link, publisher.object_id, row.object_id, call.network))
        shown.append({"_id": row.object_id, "image": row.image, "title": row.title, "preview_url": row.preview_url,
                      "category": campaigns.loads(row.category, []), "live": bool(row.live),
                      "description": row.description})
    return {"success": True, "data": {
        "links": links,
        "performance": [{"created": r["created"], "clicks": r["grossClicks"], "conversions": r["approvedConversions"],
                         "impressions": r["impressions"], "revenue": r["payout"]} for r in reversed(days)],
        "start": period.start, "end": period.end, "campaigns": shown,
        "campaigns_revenue": {r["campaign_long_id"]: {
            "clicks": r["grossClicks"], "conversions": r["approvedConversions"], "impressions": r["impressions"],
            "payout": r["payout"], "revenue": r["payout"]} for r in by_campaign}}}


@operation("GET", "/affiliate/campaign-search", roles=AFFILIATE, query=(
    *PAGING, *(Param(f"p{n}", STRING, "added to each tracking link") for n in (1, 2, 3)),
    Param("p4", STRING, "the deep link whose site the campaigns' preview URLs are on")), answer=envelope({
        "campaigns": array(obj({"_id": OBJECT_ID, "display_id": INTEGER, "title": STRING,
                                "preview_url": nullable(STRING), "tracking_link": nullable(TRACKING_LINK),
                                "permission": obj(PERMISSION)})),
        "pagination": obj(page=INTEGER, totalPages=INTEGER)}))
def campaign_search(call: TrackierCall) -> dict:
    """The affiliate's campaigns whose preview URL is on the deep link's (p4) site; p1-p3 are
    added to each tracking link."""
    limit, page = call.paging(default_limit=DEFAULT_PAGE_SIZE)
    assert limit is not None
    site = self_service.site_of(call.query.get("p4") or "")
    rows, _ = self_service.affiliate_campaigns(call.db, call.network, call.user_id, permission_only=False, model=None,
                                               limit=1000, page=1)
    matching = [row for row in rows if site and self_service.site_of(row.preview_url or "") == site]
    extra = urlencode({name: call.query.get(name) or "" for name in ("p1", "p2", "p3")})
    found = []
    for row in matching[(page - 1) * limit: page * limit]:
        link = _link(call, row)
        found.append({"_id": row.object_id, "display_id": row.display_id, "title": row.title,
                      "preview_url": row.preview_url,
                      "tracking_link": {**link, "url": f"{link['url']}?{extra}"} if link else None,
                      "permission": {"hasPermission": self_service.may_run(call.db, row, call.user_id),
                                     "permRequired": row.visibility != "public"}})
    return {"success": True, "data": {"campaigns": found, "pagination": {
        "page": page, "totalPages": max(1, -(-len(matching) // limit))}}}
