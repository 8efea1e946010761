"""What a request costs the app alone: ASGI calls made in the benchmark's own process, with no
HTTP server and no sockets (the `--in-process` mode of the collection benchmarks).

`cost` sends requests `concurrency` at a time and gives wall and CPU time per request; the CPU
figure moves less when the machine is shared. The bare hello app measured the same way is the
yardstick: the HTTP ratios of bench/RESULTS.md follow from the two costs and Granian's own."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True, slots=True)
class Call:
    method: str
    path: str  # path and query string
    headers: tuple[tuple[bytes, bytes], ...] = ()
    body: bytes = b""


async def send(app, call: Call, *, server: tuple[str, int] = ("127.0.0.1", 8080)) -> int:
    """One request to an ASGI app; returns the answer's status."""
    path, _, query = call.path.partition("?")
    headers = [(b"host", f"{server[0]}:{server[1]}".encode())] if not any(
        name == b"host" for name, _ in call.headers) else []
    if call.body:
        headers.append((b"content-length", str(len(call.body)).encode()))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": call.method,
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query.encode(),
             "root_path": "", "headers": [*headers, *call.headers], "client": ("127.0.0.1", 1), "server": server}
    status: list[int] = []
    delivered = False

    async def receive():
        nonlocal delivered
        if delivered:
            return {"type": "http.disconnect"}
        delivered = True
        return {"type": "http.request", "body": call.body, "more_body": False}

    async def reply(message):
        if message["type"] == "http.response.start":
            status.append(message["status"])

    await app(scope, receive, reply)
    return status[0]


async def cost(app, next_call: Callable[[], Call], requests: int, concurrency: int, *,
               accepted: tuple[int, ...] = (200,), server: tuple[str, int] = ("127.0.0.1", 8080)) -> tuple[float, float]:
    """(wall µs, CPU µs) per request for `requests` calls drawn from `next_call`, `concurrency`
    at a time; an answer outside `accepted` stops the benchmark."""

    async def client(count: int) -> None:
        for _ in range(count):
            call = next_call()
            status = await send(app, call, server=server)
            if status not in accepted:
                raise SystemExit(f"{call.method} {call.path[:120]}: answered {status}")

    per_client = requests // concurrency
    wall, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(client(per_client) for _ in range(concurrency)))
    done = per_client * concurrency
    return (time.perf_counter() - wall) / done * 1e6, (time.process_time() - cpu) / done * 1e6


def report(figures: dict[str, list[tuple[float, float]]], subject: str, *, as_json: bool = False) -> None:
    """Print the median of each target's rounds and the CPU ratio of hello to `subject`."""
    median = {name: tuple(statistics.median(run[i] for run in runs) for i in (0, 1)) for name, runs in figures.items()}
    for name, (wall, cpu) in median.items():
        print(f"{name:22s} {wall:7.1f} µs/request wall  {cpu:7.1f} µs CPU")
    print(f"ratio hello/{subject} (CPU): {median['hello'][1] / median[subject][1]:.2f}")
    if as_json:
        print(json.dumps({name: {"wall_us": round(wall, 1), "cpu_us": round(cpu, 1)}
                          for name, (wall, cpu) in median.items()}))
