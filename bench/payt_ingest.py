"""PAYT position ingest over HTTP (OsmAnd protocol), as a ratio to a bare Starlette app.

    python -m bench payt-ingest [--duration 10] [--connections 32] [--rounds 3] [--devices 64]
    python -m bench payt-ingest --in-process [--connections 32] [--rounds 5] [--devices 64]

A fresh SQLite database with one client and `--devices` vehicles; polytrack serves with one
worker and its device listener (the OsmAnd port, also one worker); the hello app likewise.
wrk posts positions with a Lua script: every request names the next device in turn with that
device's next timestamp (10 s later than its previous fix) and a position a little further on,
so each one is a new, in-order fix that goes through the whole path: device lookup, duplicate
check, live derivation of trips, stops and daily stats, commit (concurrent requests share a
group commit). Rounds alternate hello and ingest; medians are reported. Afterwards the stored
positions are counted: every 200 must be a stored fix.

`--in-process` calls both ASGI apps directly (no HTTP server, no sockets) with the same
requests, `--connections` at a time, and reports µs per request (wall and CPU time of the
process; the CPU figure moves less when the machine is shared), also with one at a time.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import inprocess, servers, wrk
from bench.inprocess import Call, cost

LUA = """
local devices = {devices}
local counter = 0
local start = {start}
request = function()
  local k = counter % devices
  local step = math.floor(counter / devices)
  counter = counter + 1
  local lat = 51.45 + (k % 16) * 0.01 + step * 0.0002
  local lon = -0.20 + math.floor(k / 16) * 0.01
  local path = "/?id=bench-" .. k .. "&lat=" .. string.format("%.6f", lat) .. "&lon=" .. string.format("%.6f", lon)
    .. "&timestamp=" .. (start + step * 10) .. "&speed=" .. (step % 40 < 30 and "14.5" or "0") .. "&bearing=0&batt=90"
  return wrk.format("GET", path)
end
"""


def provision(db: str, devices: int) -> None:
    """A client with `devices` vehicles, each fitted with device bench-<n>."""
    from polytrack.config import Settings
    from polytrack.kernel.db import upgrade
    from polytrack.payt import admin as payt_admin
    from polytrack.payt import fleet
    from polytrack.services import Services

    upgrade(db)
    services = Services.build(Settings(db=db))
    payt_admin.create_client(services, company="bench")
    with services.engine.begin() as conn:
        client_id = fleet.client_id_for(conn, "bench")
        for n in range(devices):
            fleet.create_vehicle(conn, services.clock, client_id, registration=f"BN{n:03d}", device_identifier=f"bench-{n}")
    services.engine.dispose()


def run_wrk_script(url: str, script: str, *, duration: float, connections: int) -> wrk.WrkResult:
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as file:
        file.write(script)
        file.flush()
        out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{duration:g}s", "--latency", "-s", file.name, url],
                             capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    bad = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses:\s+(\d+)", out))
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if errors:
        bad += sum(int(n) for n in errors.groups())
    return wrk.WrkResult(rps, total, 0.0, 0.0, bad)


def wait_for(url: str, timeout: float = 30.0) -> None:
    """Until the device port answers anything (a bare GET is a 400 there)."""
    import time

    import httpx

    deadline = time.monotonic() + timeout
    while True:
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def count_positions(db: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(db)
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM payt_positions")).scalar()
    engine.dispose()
    return count


def _query(counter: int, devices: int, start: int) -> bytes:
    """The Lua script's request number `counter`, as a query string."""
    k, step = counter % devices, counter // devices
    lat, lon = 51.45 + (k % 16) * 0.01 + step * 0.0002, -0.20 + (k // 16) * 0.01
    speed = "14.5" if step % 40 < 30 else "0"
    return (f"id=bench-{k}&lat={lat:.6f}&lon={lon:.6f}&timestamp={start + step * 10}&speed={speed}"
            f"&bearing=0&batt=90").encode()


def in_process(args) -> int:
    import asyncio

    from bench.hello_app import create_app as hello_app
    from polytrack.config import Settings
    from polytrack.payt.ingest import build_osmand_app
    from polytrack.services import Services

    with tempfile.TemporaryDirectory(prefix="polytrack-bench-") as tmp:
        db = f"sqlite:///{Path(tmp) / 'ingest.db'}"
        provision(db, args.devices)
        services = Services.build(Settings(db=db))
        ingest, hello = build_osmand_app(services), hello_app()
        counter = 0

        def next_query() -> Call:
            nonlocal counter
            counter += 1
            return Call("GET", "/?" + _query(counter - 1, args.devices, 1_717_200_000).decode())

        async def rounds():
            device_port = ("127.0.0.1", 5055)
            await cost(ingest, next_query, 640, args.connections, server=device_port)  # warm caches
            figures: dict[str, list] = {"hello": [], "ingest": [], "ingest_one_at_a_time": []}
            for _ in range(args.rounds):
                figures["hello"].append(await cost(hello, lambda: Call("GET", "/"), 3200, args.connections))
                figures["ingest"].append(await cost(ingest, next_query, 3200, args.connections, server=device_port))
                figures["ingest_one_at_a_time"].append(await cost(ingest, next_query, 640, 1, server=device_port))
            return figures

        figures = asyncio.run(rounds())
        group_commit = ingest.state.ingest.group_commit
        services.engine.dispose()
    inprocess.report(figures, "ingest", as_json=args.json)
    print(f"transactions {group_commit.batches} for {group_commit.items_stored} positions")
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench payt-ingest", description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--devices", type=int, default=64)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--in-process", action="store_true", help="ASGI calls without HTTP (µs per request)")
    args = parser.parse_args(argv)
    if args.in_process:
        args.rounds = args.rounds if "--rounds" in argv else 5
        return in_process(args)

    with tempfile.TemporaryDirectory(prefix="polytrack-bench-") as tmp:
        tmpdir = Path(tmp)
        db = f"sqlite:///{tmpdir / 'ingest.db'}"
        provision(db, args.devices)
        hello_port, main_port, device_port = servers.free_port(), servers.free_port(), servers.free_port()
        hello_url, device_url = f"http://127.0.0.1:{hello_port}/", f"http://127.0.0.1:{device_port}/"
        hello_cmd = [sys.executable, "-m", "bench.hello_app", "127.0.0.1", str(hello_port)]
        polytrack_cmd = servers.polytrack_command(
            "serve", "--host", "127.0.0.1", "--port", str(main_port), "--workers", "1", "--db", db,
            "--osmand-port", str(device_port))
        hello_runs, ingest_runs, sent, refused = [], [], 0, 0
        start = 1_717_200_000
        with servers.running(hello_cmd, hello_url, log_path=tmpdir / "hello.log"), \
                servers.running(polytrack_cmd, f"http://127.0.0.1:{main_port}/_polytrack/health",
                                log_path=tmpdir / "polytrack.log"):
            wait_for(device_url)
            for round_no in range(args.rounds):
                hello_runs.append(wrk.run(hello_url, wrk.Request("GET", "/"), duration=args.duration,
                                          connections=args.connections))
                # each round continues the timeline where the last ended, so every fix is new
                script = LUA.format(devices=args.devices, start=start)
                result = run_wrk_script(device_url, script, duration=args.duration, connections=args.connections)
                ingest_runs.append(result)
                sent += result.requests
                refused += result.bad_responses
                start += (result.requests // args.devices + 2) * 10
        stored = count_positions(db)
    hello = statistics.median(r.requests_per_second for r in hello_runs)
    ingest = statistics.median(r.requests_per_second for r in ingest_runs)
    figures = {"hello_rps": round(hello), "ingest_positions_per_s": round(ingest), "ratio": round(ingest / hello, 3),
               "requests": sent, "non_200": refused, "stored_positions": stored,
               "connections": args.connections, "duration_s": args.duration, "rounds": args.rounds,
               "devices": args.devices}
    print(f"hello (bare Starlette, 1 worker):       {hello:10.0f} req/s")
    print(f"OsmAnd ingest (device port, 1 worker):  {ingest:10.0f} positions/s   ratio {ingest / hello:.2f}")
    print(f"requests sent {sent}, non-200 {refused}, positions stored {stored}")
    if args.json:
        print(json.dumps(figures))
    # wrk counts answered requests; ones in flight at the cut-off may be stored unanswered
    return 0 if refused == 0 and stored >= sent else 1
