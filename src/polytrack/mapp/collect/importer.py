"""`polytrack mapp import FILE`: hit logs into the hit store, through the pixel's own reading
and storing (so imported hits are sessionised like live ones; re-importing stores them again).

One hit per line: `TIMESTAMP<TAB>HIT[<TAB>USER AGENT]` (without tabs: `TIMESTAMP HIT`). The
timestamp is when the hit arrived: epoch seconds, epoch milliseconds or ISO 8601 (UTC unless it
carries an offset). The hit is a pixel query string (`p=...&eid=...`) or a path with one
(`/<trackId>/wt?p=...`, whose Track ID wins over `--track-id`). Empty lines and lines starting
with `#` are skipped.
"""

from __future__ import annotations

import contextlib
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, ContextManager, Iterable, Iterator

from polytrack.kernel.sql import Db
from polytrack.mapp.collect.pixel import Hit, Malformed, parse_hit
from polytrack.mapp.collect.sessions import BATCH_HITS as SESSIONISE_BATCH_HITS, sessionise_pending
from polytrack.kernel.hot import CollectedDB
from polytrack.mapp.collect.store import Destination, destination, store_hits

BATCH_HITS = 2000  # hits per transaction
_PATH = re.compile(r"^/?(?:(\d{1,32})/)?wt[A-Za-z0-9_.-]*$")


class ImportFailed(Exception):
    """The import cannot start (no such file)."""


@dataclass
class ImportReport:
    lines: int = 0
    stored: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)  # the first rejected lines, with the reason
    seconds: float = 0.0

    def reject(self, number: int, reason: str) -> None:
        self.rejected[reason] = self.rejected.get(reason, 0) + 1
        if len(self.examples) < 20:
            self.examples.append(f"line {number}: {reason}")

    def as_dict(self) -> dict:
        return {"lines": self.lines, "stored": self.stored, "rejected": self.rejected, "examples": self.examples,
                "seconds": round(self.seconds, 2)}


def parse_timestamp_ms(text: str) -> int:
    text = text.strip()
    if text.isdigit():
        number = int(text)
        return number if len(text) >= 12 else number * 1000
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise Malformed("unreadable timestamp") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp() * 1000)


def read_line(text: str, default_track_id: str | None) -> tuple[str, int, str, str]:
    """(track id, received ms, query, user agent) of one log line; raises Malformed."""
    fields = text.split("\t") if "\t" in text else text.split(" ", 1)
    if len(fields) < 2:
        raise Malformed("no hit after the timestamp")
    received_ms = parse_timestamp_ms(fields[0])
    hit_text = fields[1].strip()
    agent = fields[2].strip() if len(fields) > 2 else ""
    track_id = default_track_id
    if "?" in hit_text:
        path, _, hit_text = hit_text.partition("?")
        found = _PATH.match(path.strip())
        if found is None:
            raise Malformed("not a pixel path")
        track_id = found[1] or track_id
    if not track_id:
        raise Malformed("no track id (give --track-id)")
    return track_id, received_ms, hit_text, agent


def store_log(transaction: Callable[[], ContextManager[Db]], lookup: Callable[[str], Destination | None],
              entries: Iterable[tuple[int, str]], *, default_track_id: str | None, report: ImportReport,
              progress: Callable[[int], None] | None = None) -> None:
    """Read numbered log lines and store their hits in batches, each batch in one
    `transaction()` with their sessionisation (an import is answered complete); `lookup` finds
    a Track ID's account (asked once per Track ID)."""
    destinations: dict[str, Destination | None] = {}
    batch: list[tuple[Destination, Hit]] = []

    def flush() -> None:
        if batch:
            with transaction() as db:
                store_hits(db, batch)
                for account_id, account_zone in {(where.account_id, where.zone) for where, _ in batch}:
                    while sessionise_pending(db, account_id, account_zone) == SESSIONISE_BATCH_HITS:
                        pass
            report.stored += len(batch)
            batch.clear()

    for number, text in entries:
        report.lines += 1
        if progress is not None:
            progress(1)
        if not text.strip() or text.startswith("#"):
            continue
        try:
            track_id, received_ms, query, agent = read_line(text.rstrip("\r\n"), default_track_id)
            hit = parse_hit(query, received_ms=received_ms, user_agent=agent)
        except Malformed as exc:
            report.reject(number, exc.reason)
            continue
        if track_id not in destinations:
            destinations[track_id] = lookup(track_id)
        target = destinations[track_id]
        if target is None:
            report.reject(number, "unknown track id")
            continue
        batch.append((target, hit))
        if len(batch) >= BATCH_HITS:
            flush()
    flush()


def import_file(services, path, *, track_id: str | None = None, show_progress: bool = False) -> ImportReport:
    path = Path(path)
    if not path.is_file():
        raise ImportFailed(f"no such file: {path}")
    report = ImportReport()
    started = time.perf_counter()
    collected = CollectedDB(services.engine)
    progress = _progress(path) if show_progress else None
    try:
        with progress or contextlib.nullcontext():
            task = progress.add_task(f"importing {path.name}", total=_count_lines(path)) if progress else None
            with open(path, encoding="utf-8", errors="replace") as stream:
                store_log(collected.transaction, lambda track: destination(collected, track), _numbered(stream),
                          default_track_id=track_id, report=report,
                          progress=(lambda n: progress.advance(task, n)) if progress is not None and task is not None else None)
    finally:
        collected.close()
    report.seconds = time.perf_counter() - started
    return report


def _numbered(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    return ((number, line) for number, line in enumerate(lines, start=1))


def _count_lines(path: Path) -> int:
    with open(path, "rb") as stream:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: stream.read(1 << 20), b""))


def _progress(path: Path):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
