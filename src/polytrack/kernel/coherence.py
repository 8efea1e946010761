"""Per-process read caches that stay correct while other processes write.

An API call that reads what it read a moment ago (its credentials, a folder list) should not
pay for the database again: one SQLite read costs more than the rest of such a call under load
(bench/RESULTS.md). But every worker process writes to the same database, so a process may only
reuse what it read if it knows nobody committed a change since.

`Generation` is that knowledge: 64-bit values in a small memory-mapped file every process of
one database maps (next to a SQLite file; in the temporary directory for PostgreSQL). Every
commit that changes data the APIs read writes a fresh random value there, after the commit;
reading it costs a memory load. A reader takes the value before it reads the database and tags
what it caches with it; a cached entry is used only while the value is unchanged. So a reader
never keeps data older than a commit whose writer has returned, in any process on the machine.

Two values: `main` moves with every change, except those of the ingest paths, which only write
collected data (positions and what is derived from them) and move `collected`. A cache of
answers that report on collected data follows both (`follows_collected=True`); credentials,
accounts and configuration follow `main` only, so a steady stream of device fixes does not
empty them.

Who bumps: the engine (`kernel.sql.install_commit_hook` wraps its dialect's commit: after a
commit that changed rows), `kernel.hot.HotDB` (its transactions and autocommit writes, except statements
marked as bookkeeping: rate-limit counters, token touches, the call log), and so the PAYT
ingest, which writes on a HotDB of its own.

Writes from outside polytrack (a sqlite3 shell, another host's server on the same PostgreSQL)
do not bump. Cached entries therefore also expire after `MAX_AGE_SECONDS`, and the cache is off
by default on PostgreSQL, where servers on several hosts may share one database (the
`read_cache` setting).
"""

from __future__ import annotations

import mmap
import os
import struct
import tempfile
import threading
import time
from pathlib import Path

from polytrack.kernel.dbfiles import server_digest, sqlite_file

_VALUE = struct.Struct("<Q")
_BOTH = struct.Struct("<QQ")  # main, collected
_COLLECTED_OFFSET = _VALUE.size
_FILE_SIZE = mmap.PAGESIZE

# A cached entry is reread after this long even if no bump was seen (outside writers).
MAX_AGE_SECONDS = 1.0
MAX_ENTRIES = 10_000
# What values may add up to (by the sizes their callers give) before the cache starts over.
MAX_BYTES = 16 * 1024 * 1024


class Generation:
    """The shared change marker of one database (see the module docstring)."""

    def __init__(self, path: Path | None):
        """`path`: the shared file (created if missing); None: this process only (an
        in-memory SQLite database has no other process)."""
        self.path = path
        self._map: bytearray | mmap.mmap
        if path is None:
            self._map = bytearray(_BOTH.size)
        else:
            self._map = _map_file(path)

    def current(self) -> int:
        """Moves with every change but those to collected data."""
        return _VALUE.unpack_from(self._map, 0)[0]

    def current_with_collected(self) -> int:
        """Moves with every change (the XOR of two random values changes when either does)."""
        main, collected = _BOTH.unpack_from(self._map, 0)
        return main ^ collected

    def bump(self, *, collected: bool = False) -> None:
        """Mark a committed change (`collected`: it wrote only collected data). A random value
        rather than a counter: two processes bumping at once need no lock, and whatever value
        wins differs from every earlier one."""
        offset = _COLLECTED_OFFSET if collected else 0
        _VALUE.pack_into(self._map, offset, int.from_bytes(os.urandom(8), "little"))


def _map_file(path: Path) -> mmap.mmap:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)  # as the database file: the umask decides
    try:
        if os.fstat(fd).st_size < _FILE_SIZE:
            os.ftruncate(fd, _FILE_SIZE)  # zero-filled; a new file reads as generation 0
        return mmap.mmap(fd, _FILE_SIZE)
    finally:
        os.close(fd)


_generations: dict[str, Generation] = {}
_generations_lock = threading.Lock()


def generation_for(url) -> Generation:
    """The one Generation of this process for the database at `url` (an SQLAlchemy URL)."""
    key = url.render_as_string(hide_password=False) if hasattr(url, "render_as_string") else str(url)
    with _generations_lock:
        found = _generations.get(key)
        if found is None:
            found = _generations[key] = Generation(_path_for(url))
        return found


def _path_for(url) -> Path | None:
    if url.get_backend_name() == "sqlite":
        database = sqlite_file(url)
        return None if database is None else Path(database + "-generation")
    # PostgreSQL: one file per server and database, in the shared temporary directory.
    return Path(tempfile.gettempdir()) / f"polytrack-{server_digest(url)}.generation"


class CoherentCache:
    """A dict of values read from the database, dropped whenever the generation changes.

    Use: `snapshot = cache.snapshot()` before reading the database; after the read,
    `cache.store(key, value, snapshot)`; later, `cache.lookup(key)` returns it (or None) while
    no commit changed anything. Values are shared by every call of the process: treat as
    read-only. One event-loop thread uses a cache in practice; the dict operations are atomic
    under the GIL, so other threads are safe too.
    """

    __slots__ = ("generation", "enabled", "max_entries", "max_bytes", "max_age", "_current", "_seen", "_entries",
                 "_bytes")

    def __init__(self, generation: Generation, *, enabled: bool = True, follows_collected: bool = False,
                 max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES, max_age: float = MAX_AGE_SECONDS):
        self.generation = generation
        self.enabled = enabled
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.max_age = max_age
        self._current = generation.current_with_collected if follows_collected else generation.current
        self._seen = self._current()
        self._entries: dict = {}
        self._bytes = 0  # sizes stored since the cache last started over (an upper bound)

    def lookup(self, key):
        if not self.enabled:
            return None
        current = self._current()
        if current != self._seen:
            self.clear()
            self._seen = current
            return None
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] < time.monotonic():
            self._entries.pop(key, None)
            return None
        return entry[1]

    def snapshot(self) -> int:
        return self._current()

    def store(self, key, value, snapshot: int, size: int = 0) -> None:
        """Keep `value`, read after `snapshot` was taken; `size`: its bytes, for values that can
        be large (rendered answers). Ignored if anything was committed since the cache last
        emptied (the value may predate it), and for a value over the whole byte budget."""
        if not self.enabled or snapshot != self._seen or size > self.max_bytes:
            return
        if len(self._entries) >= self.max_entries or self._bytes + size > self.max_bytes:
            self.clear()  # simplest bound; a full cache is refilled by the next calls
        self._entries[key] = (time.monotonic() + self.max_age, value)
        self._bytes += size

    def get_or_load(self, key, load, *, size=None):
        """The value for `key`: from the cache, else `load()` (run after a snapshot, and kept;
        a None it returns is never kept). `size(value)`: its bytes, for the byte budget."""
        found = self.lookup(key)
        if found is None:
            snapshot = self.snapshot()
            found = load()
            if found is not None:
                self.store(key, found, snapshot, size(found) if size is not None else 0)
        return found

    def discard(self, key) -> None:
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries = {}
        self._bytes = 0


def read_through(cache: CoherentCache | None, key, load):
    """`cache.get_or_load(key, load)`; without a cache, `load()`."""
    return load() if cache is None else cache.get_or_load(key, load)
