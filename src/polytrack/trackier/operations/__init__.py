"""Trackier's operations: every endpoint of the API, declared on one registry (base.py), with
one module per family. Importing a module declares its operations; adding one is a handler
with its declaration in its family's module (replacing its `planned(...)` line)."""

from __future__ import annotations

from polytrack.kernel.operations import Registry
# Imported to declare their operations, in the order of Trackier's docs (`polytrack apis` lists
# them so): the Network API, then the Advertiser and Affiliate APIs.
from polytrack.trackier.operations import (  # noqa: F401
    advertisers,
    affiliates,
    campaigns,
    goals,
    dictionary,
    network,
    advertiser_api,
    affiliate_api,
)
from polytrack.trackier.operations.base import registry


def registries() -> list[Registry]:
    return [registry]
