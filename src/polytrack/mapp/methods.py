"""The JSON/RPC methods. Each handler gets a `Call` whose caller wire.py has already
authenticated (per the method's `auth`) and returns the `result` value.

Methods of later issues are registered too, so they authenticate exactly like the finished
ones and then answer "Not implemented yet: <method>" instead of inventing results.
"""

from __future__ import annotations

from polytrack.mapp import catalog, domain
from polytrack.mapp.rpc import (
    AUTH_ACCOUNT, AUTH_LOGIN, AUTH_NONE, AUTH_TOKEN, AUTH_TOKEN_SOFT, LANGUAGES, Call, Encoded,
    not_implemented, rpc_method,
)


@rpc_method("getConnectionTest", auth=AUTH_NONE)
def get_connection_test(call: Call) -> str:
    return "Connection successful"


@rpc_method("login", auth=AUTH_ACCOUNT)
def login(call: Call) -> str:
    return domain.issue_token(call.conn, call.services.tokens, call.caller,
                              idle_seconds=call.config.token_idle_seconds)


@rpc_method("logout", auth=AUTH_TOKEN_SOFT)
def logout(call: Call) -> str:
    # "1" when a live token was deleted, "0" otherwise, never an error: clients log out in a
    # `finally:` block. wire.py has already deleted an expired token on sight.
    if not call.token:
        return "0"
    return "1" if domain.revoke_token(call.conn, call.services.tokens, call.token) else "0"


@rpc_method("getAccountList", auth=AUTH_LOGIN)
def get_account_list(call: Call) -> list[dict]:
    return domain.accounts_of(call.conn, call.user.id)


# The interval list is fixed per language: built and encoded once, not per call.
_INTERVALS_BY_LANGUAGE = {
    language: Encoded([{"name": entry.title(language), "code": entry.key} for entry in catalog.DYNAMIC_TIME_INTERVALS])
    for language in LANGUAGES
}


@rpc_method("getDynamicTimeIntervalList", auth=AUTH_TOKEN)
def get_dynamic_time_interval_list(call: Call) -> Encoded:
    return _INTERVALS_BY_LANGUAGE.get(call.caller.language) or _INTERVALS_BY_LANGUAGE[domain.DEFAULT_LANGUAGE]


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


@rpc_method("getAnalysisObjectsAndMetricsList", auth=AUTH_TOKEN)
def get_analysis_objects_and_metrics_list(call: Call) -> Encoded:
    by_language = _OBJECTS_AND_METRICS_BY_LANGUAGE
    return by_language.get(call.caller.language) or by_language[domain.DEFAULT_LANGUAGE]


def _later(name: str, auth: str) -> None:
    def handler(call: Call):
        raise not_implemented(name)

    rpc_method(name, auth=auth)(handler)


for _name in ("getCustomReportsList", "getAnalysisData", "getReportData", "exportData", "importData"):
    _later(_name, AUTH_TOKEN)
_later("deleteTvData", AUTH_ACCOUNT)
