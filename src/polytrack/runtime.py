"""Process-wide tuning that every server process applies once its app is built."""

from __future__ import annotations

import gc


def freeze_startup_heap() -> None:
    """Keep the objects that exist once the app is built (modules, SQLAlchemy's metadata, route
    tables: most of the heap, and they live as long as the process) out of the garbage
    collector's full passes. Without this a full pass walks all of them every few seconds under
    load and stalls every request in flight for 30-40 ms (bench/RESULTS.md). Called from the
    ASGI lifespan startup, in each worker process."""
    gc.collect()
    gc.freeze()
