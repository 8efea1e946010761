"""PAYT's and TrackerPro's operations (base.py: the registries, the call, the hooks), one module
per operation family. Importing this package declares every operation."""

from __future__ import annotations

from polytrack.kernel.operations import Registry
from polytrack.payt.operations import auth, groups, launch, reports, tasks, vehicles  # noqa: F401  (they declare)
from polytrack.payt.operations.base import PAYT, TRACKERPRO


def registries() -> list[Registry]:
    return [PAYT, TRACKERPRO]
