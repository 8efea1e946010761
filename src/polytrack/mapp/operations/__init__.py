"""Mapp's JSON-RPC methods: the registry (base.py) and one handler module per family. The
modules are imported in the order the methods are listed (`polytrack apis`)."""

from __future__ import annotations

from polytrack.kernel.operations import Registry
from polytrack.mapp.operations import session  # noqa: F401  (each module declares its methods)
from polytrack.mapp.operations import lists  # noqa: F401
from polytrack.mapp.operations import analysis  # noqa: F401
from polytrack.mapp.operations import data  # noqa: F401
from polytrack.mapp.operations.base import registry


def registries() -> list[Registry]:
    return [registry]
