"""Analyses and reports: declared, not implemented yet. Each authenticates by token (or
customerId + login + pass instead) like the finished methods, then answers
"Not implemented yet: <method>"."""

from __future__ import annotations

from polytrack.mapp.operations.base import AUTH_TOKEN, registry

registry.planned("getCustomReportsList", auth=AUTH_TOKEN)
registry.planned("getAnalysisData", auth=AUTH_TOKEN)
registry.planned("getReportData", auth=AUTH_TOKEN)
