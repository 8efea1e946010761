"""The OsmAnd ingest's group commit (kernel.groupcommit): what one batch item is, and how a
batch of positions is stored and derived in one transaction.

A position must not fail its neighbours: everything that can be checked is checked before a
fix joins a batch, and when the batch's transaction fails anyway (a vehicle deleted meanwhile,
a database error) it is rolled back and every request's fixes are stored again on their own,
so each request gets its own answer (stored, 400, or 503)."""

from __future__ import annotations

from dataclasses import dataclass

from polytrack.kernel.sql import Db
from polytrack.payt import derive
from polytrack.payt.motion import VehicleContext


@dataclass(slots=True)
class Prepared:
    """A validated fix, ready to store: its vehicle's context and the payt_positions row
    (vehicle_id, device_id, fix_ms, received_ms, lat, lon, speed_kph, heading, altitude,
    accuracy, battery, ignition)."""

    identifier: str
    context: VehicleContext
    row: tuple


def vehicle_order(fixes: list[Prepared]) -> list[int]:
    """Indexes of `fixes` sorted by vehicle, arrival order kept within a vehicle: derivation
    needs only the latter, and taking vehicles' row locks in one global order means two
    processes' batches (or a batch and a recomputation) never wait on each other in a cycle."""
    return sorted(range(len(fixes)), key=lambda k: fixes[k].row[0])


def apply_in_order(db: Db, rules: derive.Rules, fixes: list[Prepared]) -> list[str]:
    """Store and derive `fixes` in the caller's transaction; outcomes in the order given."""
    order = vehicle_order(fixes)
    outcomes = derive.apply_live_many(db, rules, [(fixes[k].context, fixes[k].row) for k in order])
    by_arrival: list[str] = [""] * len(fixes)
    for k, outcome in zip(order, outcomes):
        by_arrival[k] = outcome
    return by_arrival
