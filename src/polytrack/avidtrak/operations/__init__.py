"""AvidTrak's methods, each declared once on `registry` (base.py); every method name the API
knows is declared, those without a handler yet with `registry.planned`."""

from __future__ import annotations

from polytrack.avidtrak.operations import accounts, calls, numbers, routing, tracking  # noqa: F401  (they declare)
from polytrack.avidtrak.operations.base import registry
from polytrack.kernel.operations import Registry


def registries() -> list[Registry]:
    return [registry]
