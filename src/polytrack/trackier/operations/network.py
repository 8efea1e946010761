"""Network API: the network's own account, tracking links, stats and reports, conversion and
click logs, conversion import and its jobs, referral links (network keys)."""

from __future__ import annotations

import json

from polytrack.kernel.params import Params

from polytrack.trackier import campaigns, dictionary, domain, errors, jobs, logs, referrals, reports
from polytrack.trackier.domain import USER_CURRENCIES
from polytrack.trackier.errors import TrackierError
from polytrack.trackier.fields import as_number
from polytrack.trackier.operations.base import TrackierCall, operation, report_list
from polytrack.trackier.schema import (
    ANY, BOOLEAN, DAY, INTEGER, NUMBER, OBJECT_ID, PAGING, PERIOD, STRING, Param, array, envelope, ids, map_of,
    message_only, named, nullable, obj, one_of, words,
)
from polytrack.trackier.shapes import LINK, PHP_DATE, day, link_object, php_date, tracking_url


CONVERSION_LOG_PAGE = 500
CLICK_LOG_PAGE = 1000

NETWORK_SUMMARY = {
    "name": STRING, "domain": nullable(STRING), "url": nullable(STRING),
    "appearance": obj(email=STRING, support=STRING, termsurl=STRING, hlogo=STRING, logo=STRING),
    "region": obj(currency=STRING, zone=STRING), "created": DAY}
ACCOUNT = envelope({"currencyCodes": array(STRING), "network": obj({
    **NETWORK_SUMMARY, "_id": OBJECT_ID, "live": BOOLEAN, "modified": nullable(DAY),
    "meta": obj(bill=obj(mic=STRING, tcc=STRING), widgets=array(STRING), widget=obj(
        top10pubs=array(obj({"_id": OBJECT_ID, "username": nullable(STRING), "count": INTEGER})),
        top10ads=array(obj({"_id": OBJECT_ID, "clicks": INTEGER}))))})})
LINK_ANSWER = {"tracking_link": STRING, "link": LINK}
NAMED_ID = obj({"_id": OBJECT_ID, "display_id": INTEGER, "name": STRING})
TITLED_ID = obj({"_id": OBJECT_ID, "display_id": INTEGER, "title": STRING})
LOG_VALUE = one_of(nullable(STRING), NUMBER, PHP_DATE)  # a log column's value: text, number, date or null
LOG_RECORD = map_of(LOG_VALUE)  # the requested columns (fields[]) and those always shown


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


def widgets(call: TrackierCall) -> dict:
    """The account page's widgets over the last 30 days: the ten affiliates with the most
    approved conversions, the ten campaigns with the most clicks."""
    period = reports.date_range(Params([]), call.network, call.services.clock.timestamp(), default_days=30)
    by_publisher = reports.aggregate(call.db, call.network, period, ["publisher"])
    by_campaign = reports.aggregate(call.db, call.network, period, ["campaign"])
    names = reports.names_of(call.db, call.network)
    top_publishers = sorted(((sums["approved"], key) for (key,), sums in by_publisher.items() if sums["approved"]),
                            reverse=True)[:10]
    top_campaigns = sorted(((sums["gross_clicks"], key) for (key,), sums in by_campaign.items()
                            if sums["gross_clicks"]), reverse=True)[:10]
    usernames = {row.id: row.username for row in domain.list_users(call.db, call.network, user_type="publisher")}
    return {"top10pubs": [{"_id": names.publishers[key][2], "username": usernames.get(key), "count": count}
                          for count, key in top_publishers],
            "top10ads": [{"_id": names.campaigns[key][2], "clicks": clicks} for clicks, key in top_campaigns]}


def _account(call: TrackierCall, row) -> dict:
    network = network_object(row, call)
    network["meta"].update(widgets=["top10pubs", "top10ads"], widget=widgets(call))
    return {"success": True, "data": {"currencyCodes": list(USER_CURRENCIES), "network": network}}


# not cacheable: its widgets cover the last 30 days, which move with the clock
@operation("GET", "/network/account", answer=ACCOUNT)
def get_account(call: TrackierCall) -> dict:
    return _account(call, dictionary.network_row(call.db, call.network))


@operation("PATCH", "/network/account", writes=True, body=dictionary.ACCOUNT_BODY, answer=ACCOUNT)
def edit_account(call: TrackierCall) -> dict:
    return _account(call, dictionary.edit_network(call.db, call.services.clock, call.network, call.body))


def _link_answer(call: TrackierCall, link, publisher, campaign) -> dict:
    domains = campaigns.tracking_domains(call.db, call.network)
    return {"tracking_link": tracking_url(link, domains, call.services.settings.public_base_url()),
            "link": link_object(link, publisher.object_id, campaign.object_id, call.network)}


@operation("GET", "/network/link/{affiliate_id}/{campaign_id}", cacheable=True, answer=envelope(LINK_ANSWER))
def get_link(call: TrackierCall) -> dict:
    publisher = campaigns.find_publisher(call.db, call.network, call.path_params["affiliate_id"])
    campaign = campaigns.find_campaign(call.db, call.network, call.path_params["campaign_id"])
    link = campaigns.find_link(call.db, campaign, publisher.id)
    if link is None:
        raise TrackierError(errors.NOT_FOUND)
    return {"success": True, "data": _link_answer(call, link, publisher, campaign)}


@operation("POST", "/network/link/{affiliate_id}/{campaign_id}", writes=True, body=campaigns.LINK_BODY,
           answer=envelope({"message": STRING, **LINK_ANSWER}))
def create_link(call: TrackierCall) -> dict:
    publisher = campaigns.find_publisher(call.db, call.network, call.path_params["affiliate_id"])
    campaign = campaigns.find_campaign(call.db, call.network, call.path_params["campaign_id"])
    link, created = campaigns.create_link(call.db, call.services.clock, call.network, campaign, publisher.id, call.body,
                                          live=True)
    if not created:  # idempotent, as the docs show: success false, the existing link
        return {"success": False, "data": {"message": "Link already exists!!",
                                           **_link_answer(call, link, publisher, campaign)}}
    return {"success": True, "data": {"message": "Link Created!!", **_link_answer(call, link, publisher, campaign)}}


@operation("GET", "/network/stats", query=PERIOD, answer=envelope(reports.stats_schema()))
def network_stats(call: TrackierCall) -> dict:
    period = reports.date_range(call.query, call.network, call.services.clock.timestamp(), default_days=7)
    days, total = reports.stats(call.db, call.network, period)
    return {"success": True, "data": {"stats": days, "total": total}}


def _ids(call: TrackierCall, name: str, find) -> tuple[list, list[int]]:
    """The rows a report's id filter names (by _id or display id); 400/20 for an unknown one."""
    rows = []
    for ident in report_list(call, name):
        try:
            rows.append(find(call.db, call.network, ident))
        except TrackierError:
            raise errors.invalid({name: [f"Unknown id: {ident[:30]}"]}) from None
    return rows, [row.id for row in rows]


@operation("GET", "/network/customReport", query=(
    *PERIOD, words("group", reports.GROUPING_MAP, "groupings (default adid)"),
    words("fields", reports.FIELD_MAP, "metrics (default grossClicks, payout, revenue, profit, approvedConversions)"),
    ids("adid", "campaigns only"), ids("pid", "publishers only")), answer=envelope({
        **reports.REPORT, "affs": array(NAMED_ID), "ads": array(TITLED_ID), "groupingMap": map_of(STRING),
        "report_currency": STRING, "query": obj(start=DAY, end=DAY, group=array(STRING), fields=array(STRING)),
        "fieldMap": map_of(STRING)}))
def custom_report(call: TrackierCall) -> dict:
    period = reports.date_range(call.query, call.network, call.services.clock.timestamp(), default_days=1)
    groups = report_list(call, "group") or ["adid"]
    fields = report_list(call, "fields") or list(reports.DEFAULT_FIELDS)
    problems = {}
    if unknown := [g for g in groups if g not in reports.GROUPING_MAP]:
        problems["group"] = [f"Unknown grouping: {', '.join(unknown[:5])}"]
    if unknown := [f for f in fields if f not in reports.FIELD_MAP]:
        problems["fields"] = [f"Unknown field: {', '.join(unknown[:5])}"]
    if problems:
        raise errors.invalid(problems)
    ads, campaign_ids = _ids(call, "adid", campaigns.find_campaign)
    _, publisher_ids = _ids(call, "pid", campaigns.find_publisher)
    records, total = reports.custom_report(call.db, call.network, period, groups, fields,
                                           reports.Filters(tuple(campaign_ids), tuple(publisher_ids)))
    affiliates = domain.list_users(call.db, call.network, user_type="publisher")
    return {"success": True, "data": {
        "records": records, "total": total,
        "affs": [{"_id": row.object_id, "display_id": row.display_id, "name": row.name} for row in affiliates],
        "ads": [{"_id": row.object_id, "display_id": row.display_id, "title": row.title} for row in ads],
        "groupingMap": reports.GROUPING_MAP, "report_currency": call.network.currency,
        "query": {"start": period.start, "end": period.end, "group": groups, "fields": fields},
        "fieldMap": reports.FIELD_MAP}}

def log_query(columns: dict, *, publishers: bool) -> tuple[Param, ...]:
    """The query parameters `log_fields` and `paged_log` read, for a log of these columns."""
    matched = [name for name in columns if name in logs.FILTERABLE and name not in ("adid", "pid")]
    return (*PERIOD, *PAGING, words("fields", columns, "the columns shown"), ids("adid", "campaigns only"),
            *([ids("pid", "publishers only")] if publishers else []),
            Param("cid", STRING, "click ids only", many=True), Param("_id", STRING, "conversion ids only", many=True),
            words("query", matched, "columns to match: each named column's own parameter holds the value"),
            *(Param(name, STRING, f"the value of {name} to match, when query[] names it") for name in matched))


def log_answer(*, keyed: bool) -> dict:
    """What `paged_log` answers (no `data` wrapper): records keyed by _id or listed."""
    return obj(success=BOOLEAN, query=QUERY_ECHO, limit=INTEGER, page=INTEGER, columns=map_of(STRING),
               records=map_of(LOG_RECORD) if keyed else array(LOG_RECORD), count=INTEGER)


# the query as understood: the period, the fields, and each filter named by query[] (the
# affiliate's also cid and _id)
QUERY_ECHO = {"type": "object", "required": ["start", "end", "fields"],
              "properties": {"start": DAY, "end": DAY, "fields": array(STRING)}, "additionalProperties": ANY}


@operation("GET", "/network/conversions", query=log_query(logs.CONVERSION_COLUMNS, publishers=True),
           answer=log_answer(keyed=True))
def conversion_logs(call: TrackierCall) -> dict:
    # no `data` wrapper; records keyed by the conversion's _id
    fields = log_fields(call, logs.CONVERSION_COLUMNS, logs.DEFAULT_CONVERSION_FIELDS)
    return paged_log(call, logs.CONVERSION_COLUMNS, fields, CONVERSION_LOG_PAGE, keyed=True,
                     always=("status", "referer"))


def log_fields(call: TrackierCall, columns: dict, default: list[str]) -> list[str]:
    """`fields[]`, each a key of `columns`; 400/20 otherwise."""
    fields = report_list(call, "fields") or list(default)
    if unknown := [f for f in fields if f not in columns]:
        raise errors.invalid({"fields": [f"Unknown field: {', '.join(unknown[:5])}"]})
    return fields


def paged_log(call: TrackierCall, columns: dict, fields: list[str], default_limit: int, *, keyed: bool, always: tuple[str, ...],
              advertiser: int | None = None, publisher: int | None = None, replace: dict | None = None) -> dict:
    """A conversion log answer (network, advertiser or affiliate): the period's conversions,
    filtered by `adid[]`, `pid[]`, `cid` / `cid[]`, `_id` / `_id[]` and the columns of this log
    that `query[]` names (logs.column_matches), one page of them (`count` is every match), all
    in SQL; `keyed`: records by _id, else a list. `replace`: columns shown with another's value
    (the affiliate's `revenue` is its payout, and is filtered as such)."""
    period = reports.date_range(call.query, call.network, call.services.clock.timestamp(), default_days=7)
    limit, page = call.paging(default_limit=default_limit)
    assert limit is not None
    _, campaign_ids = _ids(call, "adid", campaigns.find_campaign)
    publisher_ids = [publisher] if publisher is not None else _ids(call, "pid", campaigns.find_publisher)[1]
    named = report_list(call, "query")
    # further columns to match (each the value of its own parameter), by the column they show
    matches = [((replace or {}).get(name, name), call.query.get(name) or "") for name in named
               if name in columns and name in logs.FILTERABLE and name not in ("adid", "pid")]
    rows, count = logs.conversion_page(call.db, call.network, period, campaigns=campaign_ids,
                                       publishers=publisher_ids, advertiser=advertiser,
                                       click_ids=report_list(call, "cid"), conversion_ids=report_list(call, "_id"),
                                       matches=matches, limit=limit, page=page)
    page_records = [logs.conversion_record(row, call.network) for row in rows]
    for shown, source in (replace or {}).items():
        for record in page_records:
            record[shown] = record[source]
    shown_records = [{**{f: record[f] for f in fields}, **{f: record[f] for f in always}} for record in page_records]
    echo: dict = {"start": period.start, "end": period.end, "fields": fields}
    for name in named:
        echo[name] = report_list(call, name) if name in ("adid", "pid") else call.query.get(name)
    if publisher is not None:
        echo.update(cid=report_list(call, "cid"), _id=report_list(call, "_id"))
    return {"success": True, "query": echo, "limit": limit, "page": page,
            "columns": columns,
            "records": {record["_id"]: shown for record, shown in zip(page_records, shown_records)} if keyed
            else shown_records,
            "count": count}


def network_summary(call: TrackierCall) -> dict:
    """The network as the self-service accounts show it."""
    found = network_object(dictionary.network_row(call.db, call.network), call)
    return {name: found[name] for name in ("name", "domain", "url", "region", "appearance", "created")}


@operation("GET", "/network/clicks", query=(
    *PERIOD, *PAGING, words("fields", logs.CLICK_FIELD_MAP, "the columns shown"),
    ids("campaign_id", "campaigns only"), ids("publisher_id", "publishers only")), answer=envelope({
        "clicks": array(LOG_RECORD), "fieldMap": map_of(STRING),
        "query": obj(start=DAY, end=DAY, campaign_id=array(STRING), publisher_id=array(STRING), fields=array(STRING)),
        "pagination": obj(per_page=INTEGER, current_page=INTEGER, total=INTEGER)}))
def click_logs(call: TrackierCall) -> dict:
    period = reports.date_range(call.query, call.network, call.services.clock.timestamp(), default_days=7)
    limit, page = call.paging(default_limit=CLICK_LOG_PAGE)
    assert limit is not None
    fields = log_fields(call, logs.CLICK_FIELD_MAP, logs.DEFAULT_CLICK_FIELDS)
    _, campaign_ids = _ids(call, "campaign_id", campaigns.find_campaign)
    _, publisher_ids = _ids(call, "publisher_id", campaigns.find_publisher)
    rows, total = logs.click_page(call.db, call.network, period, campaigns=campaign_ids, publishers=publisher_ids,
                                  limit=limit, page=page)
    shown = list(dict.fromkeys([*fields, *(c for f in fields for c in logs.CLICK_COMPANIONS.get(f, ())),
                                *logs.CLICK_ALWAYS]))
    clicks = []
    for row in rows:
        record = logs.click_record(row, call.network)
        clicks.append({name: record[name] for name in shown})
    return {"success": True, "data": {
        "clicks": clicks, "fieldMap": logs.CLICK_FIELD_MAP,
        "query": {"start": period.start, "end": period.end, "campaign_id": report_list(call, "campaign_id"),
                  "publisher_id": report_list(call, "publisher_id"), "fields": fields},
        "pagination": {"per_page": limit, "current_page": page, "total": total}}}


JOB = named("Job", obj({"name": STRING, "_id": OBJECT_ID, "created": PHP_DATE, "status": STRING}))


def job_object(row) -> dict:
    return {"name": row.name, "_id": row.object_id, "created": php_date(row.created_at), "status": row.status}


@operation("POST", "/network/conversion-import", writes=True, after=jobs.run_pending, body=jobs.IMPORT_BODY,
           answer=envelope({"message": STRING, "job": obj({"_id": OBJECT_ID, "status": STRING, "created": PHP_DATE})}))
def conversion_import(call: TrackierCall) -> dict:
    job = jobs.queue_import(call.db, call.services.clock, call.network, call.body)
    return {"success": True, "data": {"message": "Job has been queued!!",
                                      "job": {"_id": job.object_id, "status": job.status,
                                              "created": php_date(job.created_at)}}}


@operation("GET", "/jobs", answer=envelope({"jobs": array(JOB)}))
def list_jobs(call: TrackierCall) -> dict:
    return {"success": True, "data": {"jobs": [job_object(row) for row in jobs.list_jobs(call.db, call.network)]}}


# a poll also finishes jobs a stopped server left behind (after the answer)
@operation("GET", "/jobs/{id}", after=jobs.run_pending, answer=envelope({
    "job": JOB, "logs": array(obj(object=STRING, priority=INTEGER, message=STRING, created=STRING))}))
def get_job(call: TrackierCall) -> dict:
    job = jobs.find_job(call.db, call.network, call.path_params["id"])
    return {"success": True, "data": {"job": job_object(job), "logs": json.loads(job.logs)[::-1]}}


REFERRAL_FIELDS = {
    "user_id": OBJECT_ID, "recurring": BOOLEAN, "type": STRING, "base": STRING, "rate": NUMBER, "_id": OBJECT_ID,
    "live": BOOLEAN, "created": STRING, "modified": nullable(STRING)}
PUBLISHERS = array(obj({"_id": OBJECT_ID, "name": STRING, "username": nullable(STRING)}))
REFERRAL_SAVED = envelope({"message": STRING, "referral": obj(REFERRAL_FIELDS), "publishers": PUBLISHERS})


def referral_object(row, call: TrackierCall) -> dict:
    return {"user_id": row.user_object_id, "recurring": bool(row.recurring), "type": row.type, "base": row.base,
            "rate": as_number(row.rate_micros), "_id": row.object_id, "live": bool(row.live),
            "created": logs.local_time(row.created_at, call.network),
            "modified": logs.local_time(row.modified_at, call.network) if row.modified_at else None}


def _publishers(call: TrackierCall) -> list[dict]:
    return [{"_id": row.object_id, "name": row.name, "username": row.username}
            for row in domain.list_users(call.db, call.network, user_type="publisher")]


@operation("GET", "/network/referral", cacheable=True, answer=envelope({
    "referrals": array(obj({**REFERRAL_FIELDS, "signUps": INTEGER})), "publishers": PUBLISHERS}))
def list_referrals(call: TrackierCall) -> dict:
    # signUps: publishers who signed up through the link; polytrack has no sign-up page, so 0
    return {"success": True, "data": {
        "referrals": [{**referral_object(row, call), "signUps": 0}
                      for row in referrals.list_referrals(call.db, call.network)],
        "publishers": _publishers(call)}}


@operation("POST", "/network/referral", writes=True, body=referrals.REFERRAL_BODY, answer=REFERRAL_SAVED)
def create_referral(call: TrackierCall) -> dict:
    row = referrals.create_referral(call.db, call.services.clock, call.network, call.body)
    return {"success": True, "data": {"message": "Referral Link Created!!", "referral": referral_object(row, call),
                                      "publishers": _publishers(call)}}


@operation("PATCH", "/network/referral/{id}", writes=True, body=referrals.REFERRAL_EDIT_BODY, answer=REFERRAL_SAVED)
def edit_referral(call: TrackierCall) -> dict:
    row = referrals.edit_referral(call.db, call.services.clock, call.network, call.path_params["id"], call.body)
    return {"success": True, "data": {"message": "Referral link Updated!!", "referral": referral_object(row, call),
                                      "publishers": _publishers(call)}}


@operation("DELETE", "/network/referral/{id}", writes=True, answer=message_only())
def delete_referral(call: TrackierCall) -> dict:
    referrals.delete_referral(call.db, call.services.clock, call.network, call.path_params["id"])
    return {"success": True, "data": {"message": "Referral Link Deleted!!"}}
