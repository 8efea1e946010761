"""Trackier click redirects: throughput as a ratio to the bare hello app, and latency at a fixed
rate.

    python -m bench trackier-clicks [--duration 10] [--connections 32] [--rounds 3] [--rate 1000]
                                    [--scale 1.0]

In one run: a fresh temporary SQLite database seeded with the demo data; polytrack and the hello
app on Granian with one worker each. Throughput: wrk replays the demo's click URL (every click
is recorded and committed, then answered 302 with its cookie) and GET / of hello, alternating,
median of the rounds. Latency: an open-loop client sends the click at `--rate` requests per
second for `--duration` seconds (each request at its planned time, whatever the answers do) and
reports p50 / p99 / max and how many were late or failed. `--scale` multiplies duration and rate
(0.05 for a quick check). Every answer is checked to be a redirect to the campaign.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench import servers, wrk
from bench.http import _config_toml
from bench.wrk import Request


async def fixed_rate(url: str, rate: float, duration: float, connections: int) -> dict:
    """Send GET `url` `rate` times a second for `duration` seconds, each at its planned time;
    latencies in ms of the answers, counted from the planned time (so a stalled server's queue
    shows in them)."""
    total = max(1, int(rate * duration))
    latencies: list[float] = []
    failures = 0
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:
        start = time.perf_counter() + 0.2

        async def one(index: int) -> None:
            nonlocal failures
            planned = start + index / rate
            await asyncio.sleep(max(0.0, planned - time.perf_counter()))
            try:
                response = await client.get(url, follow_redirects=False)
                if response.status_code != 302:
                    failures += 1
            except httpx.HTTPError:
                failures += 1
            latencies.append((time.perf_counter() - planned) * 1000)

        await asyncio.gather(*(one(index) for index in range(total)))
    latencies.sort()
    return {"rate": rate, "requests": total, "failures": failures,
            "p50_ms": round(statistics.median(latencies), 2),
            "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 2),
            "max_ms": round(latencies[-1], 2)}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench trackier-clicks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load per measurement")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections")
    parser.add_argument("--rounds", type=int, default=3, help="throughput measurements per target (median)")
    parser.add_argument("--rate", type=float, default=1000.0, help="requests per second of the latency run")
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies duration and rate")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args(argv)
    # wrk takes whole seconds
    duration, rate = float(max(1, round(args.duration * args.scale))), max(5.0, args.rate * args.scale)

    with tempfile.TemporaryDirectory(prefix="polytrack-bench-") as tmp:
        tmpdir = Path(tmp)
        db = f"sqlite:///{tmpdir / 'clicks.db'}"
        config = tmpdir / "bench.toml"
        config.write_text(_config_toml())
        servers.run_polytrack("demo", "seed", "--db", db)
        hello_port, polytrack_port = servers.free_port(), servers.free_port()
        hello_url, polytrack_url = f"http://127.0.0.1:{hello_port}", f"http://127.0.0.1:{polytrack_port}"
        hello_cmd = [sys.executable, "-m", "bench.hello_app", "127.0.0.1", str(hello_port)]
        polytrack_cmd = servers.polytrack_command(
            "serve", "--host", "127.0.0.1", "--port", str(polytrack_port), "--workers", "1",
            "--db", db, "--config", str(config), "--osmand-port", "0",
        )
        with servers.running(hello_cmd, hello_url + "/", log_path=tmpdir / "hello.log"), \
                servers.running(polytrack_cmd, polytrack_url + "/_polytrack/health", log_path=tmpdir / "polytrack.log"):
            creds = json.loads(servers.run_polytrack("demo", "credentials", "--json", "--base-url", polytrack_url,
                                                     "--db", db))["trackier"]
            click_path = httpx.URL(creds["click_url"]).path
            first = httpx.get(polytrack_url + click_path, follow_redirects=False)
            if first.status_code != 302 or "casino.example" not in first.headers.get("location", ""):
                raise SystemExit(f"the demo click does not redirect: {first.status_code} {first.text[:200]}")
            targets = [("hello", hello_url, Request("GET", "/")), ("click", polytrack_url, Request("GET", click_path))]
            figures: dict[str, list[wrk.WrkResult]] = {name: [] for name, _, _ in targets}
            for round_number in range(args.rounds):
                for name, base, request in targets:
                    result = wrk.run(base, request, duration=duration, connections=args.connections)
                    if result.bad_responses:
                        raise SystemExit(f"{name}: {result.bad_responses} bad responses under load")
                    figures[name].append(result)
                    print(f"round {round_number + 1}: {name:<6} {result.requests_per_second:9.0f} req/s",
                          file=sys.stderr)
            latency = asyncio.run(fixed_rate(polytrack_url + click_path, rate, duration, args.connections))

    hello_rps = statistics.median(r.requests_per_second for r in figures["hello"])
    click_rps = statistics.median(r.requests_per_second for r in figures["click"])
    summary = {"hello_req_per_s": round(hello_rps), "click_req_per_s": round(click_rps),
               "ratio": round(click_rps / hello_rps, 2), "fixed_rate": latency}
    print(f"\nwrk -t1 -c{args.connections} -d{duration:g}s, {args.rounds} rounds (median), Granian 1 worker, SQLite\n")
    print(f"| target | req/s | ratio |\n|---|---|---|\n| hello GET / | {round(hello_rps)} | 1.00 |\n"
          f"| click /{{linkId}} (302, recorded) | {round(click_rps)} | {summary['ratio']:.2f} |")
    print(f"\nat {latency['rate']:g} req/s for {duration:g} s: p50 {latency['p50_ms']} ms, p99 {latency['p99_ms']} ms,"
          f" max {latency['max_ms']} ms, {latency['failures']} failed of {latency['requests']}")
    if args.json:
        print(json.dumps(summary, indent=2))
    return 0
