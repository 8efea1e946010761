"""The built-in lists: dynamic time intervals, analysis objects and metrics, per language.

They are fixed per language, so each is built and encoded once at import (`Encoded`) and the
wire splices the text into the envelope: these are the cheapest token calls.
"""

from __future__ import annotations

from polytrack.mapp import catalog, domain
from polytrack.mapp.analysis import categories
from polytrack.mapp.custom_metrics import custom_metrics
from polytrack.mapp.operations.base import AUTH_TOKEN, MappCall, registry
from polytrack.mapp.rpc import LANGUAGES, Encoded

_INTERVALS_BY_LANGUAGE = {
    language: Encoded([{"name": entry.title(language), "code": entry.key} for entry in catalog.DYNAMIC_TIME_INTERVALS])
    for language in LANGUAGES
}

# The built-in objects and metrics per language; an account's content groups, custom
# parameters and imported category columns join the objects, its custom metrics (operator API) make customMetrics.
_OBJECTS_AND_METRICS_BY_LANGUAGE = {
    language: {
        "analysisObjects": catalog.sorted_titles(catalog.ANALYSIS_OBJECTS, language),
        "metrics": catalog.sorted_titles(catalog.METRICS, language),
        "customMetrics": [],
    }
    for language in LANGUAGES
}
_ENCODED_BY_LANGUAGE = {language: Encoded(lists) for language, lists in _OBJECTS_AND_METRICS_BY_LANGUAGE.items()}


@registry.operation("getDynamicTimeIntervalList", auth=AUTH_TOKEN)
def get_dynamic_time_interval_list(call: MappCall) -> Encoded:
    assert call.caller is not None  # AUTH_TOKEN found it
    by_language = _INTERVALS_BY_LANGUAGE
    return by_language.get(call.caller.language) or by_language[domain.DEFAULT_LANGUAGE]


@registry.operation("getAnalysisObjectsAndMetricsList", auth=AUTH_TOKEN)
def get_analysis_objects_and_metrics_list(call: MappCall) -> Encoded | dict:
    assert call.caller is not None  # AUTH_TOKEN found it
    language = call.caller.language if call.caller.language in _ENCODED_BY_LANGUAGE else domain.DEFAULT_LANGUAGE
    # parameter names are noted as hits are sessionised: the caller's own hits first
    call.sessions.catch_up(call.caller.account_id)
    parameters = domain.parameter_titles(call.db, call.caller.account_id)
    parameters += [dimension.en for dimension in categories.objects(call.db, call.caller.account_id).values()]
    custom = sorted(custom_metrics(call.db, call.caller.account_id), key=lambda title: (title.casefold(), title))
    if not parameters and not custom:
        return _ENCODED_BY_LANGUAGE[language]
    lists = _OBJECTS_AND_METRICS_BY_LANGUAGE[language]
    objects = sorted([*lists["analysisObjects"], *parameters], key=lambda title: (title.casefold(), title))
    return {**lists, "analysisObjects": objects, "customMetrics": custom}
