"""PAYT and TrackerPro operations, one module per op family. Importing this package registers
every handler in wire.PAYT_OPS / wire.TRACKERPRO_OPS.

Each module holds the queries for its operations (plain SQLAlchemy Core over payt tables) and
a thin handler that reads parameters from the `Call` and returns a dataset built from the
column registry in `schemas`.
"""

from polytrack.payt.ops import groups, launch, reports, tasks, vehicles  # noqa: F401
