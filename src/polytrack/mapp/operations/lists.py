"""The built-in lists: dynamic time intervals, analysis objects and metrics, per language.

They are fixed per language, so each is built and encoded once at import (`Encoded`) and the
wire splices the text into the envelope: these are the cheapest token calls.
"""

from __future__ import annotations

from polytrack.mapp import catalog, domain
from polytrack.mapp.operations.base import AUTH_TOKEN, MappCall, registry
from polytrack.mapp.rpc import LANGUAGES, Encoded

_INTERVALS_BY_LANGUAGE = {
    language: Encoded([{"name": entry.title(language), "code": entry.key} for entry in catalog.DYNAMIC_TIME_INTERVALS])
    for language in LANGUAGES
}

# Account-configured objects (custom parameters, content groups) and custom metrics join these
# lists once accounts can define them; no account can yet, so customMetrics is empty and the
# lists are fixed per language.
_OBJECTS_AND_METRICS_BY_LANGUAGE = {
    language: Encoded({
        "analysisObjects": catalog.sorted_titles(catalog.ANALYSIS_OBJECTS, language),
        "metrics": catalog.sorted_titles(catalog.METRICS, language),
        "customMetrics": [],
    })
    for language in LANGUAGES
}


@registry.operation("getDynamicTimeIntervalList", auth=AUTH_TOKEN)
def get_dynamic_time_interval_list(call: MappCall) -> Encoded:
    assert call.caller is not None  # AUTH_TOKEN found it
    by_language = _INTERVALS_BY_LANGUAGE
    return by_language.get(call.caller.language) or by_language[domain.DEFAULT_LANGUAGE]


@registry.operation("getAnalysisObjectsAndMetricsList", auth=AUTH_TOKEN)
def get_analysis_objects_and_metrics_list(call: MappCall) -> Encoded:
    assert call.caller is not None  # AUTH_TOKEN found it
    by_language = _OBJECTS_AND_METRICS_BY_LANGUAGE
    return by_language.get(call.caller.language) or by_language[domain.DEFAULT_LANGUAGE]
