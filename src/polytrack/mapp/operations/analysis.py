"""Analyses and reports: getAnalysisData runs the analysis engine (mapp/analysis/); reports
(mapp/reports.py) are lists of analyses run the same way."""

from __future__ import annotations

from datetime import datetime, time

from polytrack.kernel.dates import zone
from polytrack.mapp import reports
from polytrack.mapp.custom_metrics import custom_metrics
from polytrack.mapp.analysis import categories, engine
from polytrack.mapp.analysis.config import read_analysis
from polytrack.mapp.analysis.definition import Analysis
from polytrack.mapp.operations.base import AUTH_TOKEN, MappCall, registry
from polytrack.mapp.rpc import RpcError, invalid_parameter



@registry.operation("getCustomReportsList", auth=AUTH_TOKEN)
def get_custom_reports_list(call: MappCall) -> list[dict]:
    assert call.caller is not None  # AUTH_TOKEN found it
    return reports.report_list(call.db, call.caller.account_id)


def caught_up(call: MappCall, account_id: int, analyses: list[Analysis]) -> None:
    """What the analyses read made current: the account's hits still waiting for
    sessionisation (so a caller reads what it has just sent), and the pre-aggregates of the
    analyses' days if the background work has not refreshed them yet. Each in a transaction of
    its own, only when something is due; the analyses themselves only read."""
    sessions = call.sessions
    sessions.catch_up(account_id)
    for analysis in analyses:
        for kept_by in engine.pre_aggregates_read(analysis):
            sessions.freshen(account_id, kept_by, analysis.start.date(), analysis.stop.date())


# Not cacheable: "today" moves with the clock, and hits keep coming.
@registry.operation("getAnalysisData", auth=AUTH_TOKEN)
def get_analysis_data(call: MappCall) -> dict:
    caller = call.caller
    assert caller is not None  # AUTH_TOKEN found it
    account_zone = zone(caller.timezone)
    now = call.services.clock.now()
    analysis = read_analysis(call.params.raw("analysisConfig"), language=caller.language,
                             today=now.astimezone(account_zone).date(),
                             default_row_limit=call.settings.default_row_limit,
                             custom=custom_metrics(call.db, caller.account_id),
                             categories=categories.objects(call.db, caller.account_id))
    caught_up(call, caller.account_id, [analysis])
    return engine.run(call.db, analysis, account_id=caller.account_id, zone=account_zone, now=now)


@registry.operation("getReportData", auth=AUTH_TOKEN)
def get_report_data(call: MappCall) -> dict:
    caller = call.caller
    assert caller is not None  # AUTH_TOKEN found it
    title = call.params.text("report_name", required=True)
    language = call.params.language() or caller.language
    start = call.params.date_time("time_start")
    stop = call.params.date_time("time_stop", end_of_day=True)
    footer = call.params.raw("footerIdentifier")
    if footer is not None and not isinstance(footer, str):
        raise invalid_parameter("footerIdentifier")
    found = reports.find_report(call.db, caller.account_id, title)
    if found is None:
        raise RpcError("Report not found")
    report, analyses = found
    account_zone = zone(caller.timezone)
    now = call.services.clock.now()
    custom = custom_metrics(call.db, caller.account_id)
    imported = categories.objects(call.db, caller.account_id)
    prepared = []
    for kind, config in analyses:
        config = dict(config)
        if start or stop:  # the call's range wins over each analysis's own (okr sends only a start)
            for key in ("dynamicTime", "dynamicTimeInterval", "timeInterval"):
                config.pop(key, None)
            first = start or datetime.combine(stop.date(), time())  # type: ignore[union-attr]
            last = stop or datetime.combine(first.date(), time(23, 59, 59))
            config["startTime"], config["stopTime"] = f"{first:%Y-%m-%d %H:%M:%S}", f"{last:%Y-%m-%d %H:%M:%S}"
        if footer is not None:
            config["footerIdentifier"] = footer
        if kind == "status":
            config.update(hideFooters=0, footerIdentifier="-")
        prepared.append((kind, read_analysis(config, language=language, today=now.astimezone(account_zone).date(),
                                             default_row_limit=call.settings.default_row_limit, custom=custom,
                                             categories=imported)))
    caught_up(call, caller.account_id, [analysis for _, analysis in prepared])
    results = []
    for kind, analysis in prepared:
        result = engine.run(call.db, analysis, account_id=caller.account_id, zone=account_zone, now=now)
        results.append(engine.as_status(result, language) if kind == "status" else result)
    return {"author": report["author"], "title": report["title"], "description": report["description"],
            "analyses": results}
