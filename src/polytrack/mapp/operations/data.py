"""Exporting, importing and deleting data: declared, not implemented yet. Each authenticates
like the finished methods (deleteTvData with customerId + login + pass, the others by token),
then answers "Not implemented yet: <method>"."""

from __future__ import annotations

from polytrack.mapp.operations.base import AUTH_ACCOUNT, AUTH_TOKEN, registry

registry.planned("exportData", auth=AUTH_TOKEN)
registry.planned("importData", auth=AUTH_TOKEN)
registry.planned("deleteTvData", auth=AUTH_ACCOUNT)
