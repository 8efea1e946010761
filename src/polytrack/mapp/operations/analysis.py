"""Analyses and reports. getAnalysisData runs the analysis engine (mapp/analysis/); the report
methods are declared, not implemented yet: they authenticate by token (or customerId + login +
pass instead) like the finished methods, then answer "Not implemented yet: <method>"."""

from __future__ import annotations

from polytrack.kernel.dates import zone
from polytrack.mapp.analysis import engine
from polytrack.mapp.analysis.config import read_analysis
from polytrack.mapp.operations.base import AUTH_TOKEN, MappCall, registry

registry.planned("getCustomReportsList", auth=AUTH_TOKEN)


# It writes: the daily pre-aggregates of the days whose hits changed are brought up to date
# before they answer (mapp/analysis/daily.py). Not cacheable: "today" moves with the clock.
@registry.operation("getAnalysisData", writes=True, auth=AUTH_TOKEN)
def get_analysis_data(call: MappCall) -> dict:
    caller = call.caller
    assert caller is not None  # AUTH_TOKEN found it
    account_zone = zone(caller.timezone)
    now = call.services.clock.now()
    analysis = read_analysis(call.params.raw("analysisConfig"), language=caller.language,
                             today=now.astimezone(account_zone).date(),
                             default_row_limit=call.settings.default_row_limit)
    return engine.run(call.db, analysis, account_id=caller.account_id, zone=account_zone, now=now)


registry.planned("getReportData", auth=AUTH_TOKEN)
