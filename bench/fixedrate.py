"""Latency at a fixed request rate, with h2load (Debian package `nghttp2-client`; `make bench`
installs it).

wrk measures how fast a server answers when every connection sends its next request as soon as
the last is answered; latency there is a property of the load, not of the server. A user's
question is another one: at the rate my traffic arrives, how long does a request take? So
h2load sends at a fixed rate (`--rps` per client, HTTP/1.1, one request in flight per
connection), cycling through varied request paths, and writes every request's start time,
status and duration to a log that we read percentiles from. A Python client cannot do this on
the same cores as the server: its own scheduling delay dwarfs a millisecond figure.

Clients: enough that each sends at most 50 requests a second, so a request that takes a few
milliseconds never delays the next one of its connection. One h2load process starts its
clients' timers together, so at 1,000 requests/s 20 requests arrive at once every 20 ms: the
last of each burst waits for the 19 before it. Browsers and servers that click and post
independently do not arrive in step, so `spread=True` runs one h2load process per client,
started 1/rate seconds apart: the same rate, one request at a time at even intervals."""

from __future__ import annotations

import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

MAX_RATE_PER_CLIENT = 50


@dataclass
class FixedRateResult:
    rate: float  # requests per second asked for
    achieved_rate: float  # requests per second sent
    requests: int
    failures: int  # no answer, or an answer outside 2xx/3xx
    p50_ms: float
    p99_ms: float
    max_ms: float

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def run(base_url: str, paths: list[str], *, rate: float, duration: float, spread: bool = False) -> FixedRateResult:
    """GET each of `paths` (path and query string, cycled) against `base_url` at `rate` requests
    per second in all, for `duration` seconds after a one-second warm-up; `spread`: the clients
    out of step (see the module's docstring)."""
    if shutil.which("h2load") is None:
        raise RuntimeError("h2load not found: `make bench` installs it (Debian package nghttp2-client)")
    clients = max(1, -(-int(rate) // MAX_RATE_PER_CLIENT))
    per_client = max(1, round(rate / clients))
    with tempfile.TemporaryDirectory() as scratch:
        uris = Path(scratch) / "uris"
        base = base_url.rstrip("/")
        uris.write_text("".join(f"{base}{path}\n" for path in paths))
        processes = clients if spread else 1
        logs = [Path(scratch) / f"log{number}" for number in range(processes)]
        running = []
        for log in logs:
            argv = ["h2load", "--h1", "-c", str(clients // processes), "--rps", str(per_client), "-D",
                    f"{duration:g}", "--warm-up-time", "1", "-i", str(uris), "--log-file", str(log)]
            running.append(subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
            if spread:
                time.sleep(1 / (per_client * clients))
        for process, argv_log in zip(running, logs):
            _, errors = process.communicate()
            if process.returncode:
                raise RuntimeError(f"h2load failed ({argv_log.name}): {errors}")
        # one line per request: start (µs since the epoch), HTTP status (-1: none), µs to the answer
        rows = [line.split("\t") for log in logs for line in log.read_text().splitlines() if line]
    durations_ms = sorted(int(row[2]) / 1000 for row in rows)
    statuses = [int(row[1]) for row in rows]
    starts = sorted(int(row[0]) for row in rows)
    span_s = (starts[-1] - starts[0]) / 1e6 if len(starts) > 1 else duration
    return FixedRateResult(
        rate=rate,
        achieved_rate=round(len(rows) / span_s, 1) if span_s else 0.0,
        requests=len(rows),
        failures=sum(1 for status in statuses if not 200 <= status < 400),
        p50_ms=round(statistics.median(durations_ms), 2) if rows else 0.0,
        p99_ms=round(durations_ms[min(len(durations_ms) - 1, int(len(durations_ms) * 0.99))], 2) if rows else 0.0,
        max_ms=round(durations_ms[-1], 2) if rows else 0.0,
    )
