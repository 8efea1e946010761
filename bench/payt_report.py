"""PAYT Report/Detailed level 0 over HTTP on a month of dense data.

    python -m bench payt-report [--vehicles 10] [--days 30] [--interval 10] [--calls 20]

Builds 10 vehicles x 30 days at one fix per 10 s (2.6 million positions) through the importer
(`polytrack payt import`, which also derives trips, stops and daily stats), serves polytrack
(one worker, SQLite), logs in and times `op=Report&subop=Detailed&levelOfDetail=0` for the
whole month and all vehicles (300 summary rows), then for one day, sequentially; reports the
first call and the median of `--calls`. Every answer is checked (status ok, expected rows).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from bench import servers
from bench.payt_import import derived_counts, provision, write_csv


def timed_calls(client: httpx.Client, params: dict, calls: int, expect_rows: int) -> tuple[float, float]:
    durations = []
    for _ in range(calls):
        started = time.perf_counter()
        body = client.get("/api2.ashx", params=params).text
        durations.append(time.perf_counter() - started)
        data = json.loads(body.replace("new Date(", "").replace(")", "")) if "new Date(" in body else json.loads(body)
        if data.get("status") != "ok":
            raise RuntimeError(f"Report/Detailed failed: {body[:300]}")
        rows = len(data["dataset"]["tables"][0]["rows"])
        if rows != expect_rows:
            raise RuntimeError(f"expected {expect_rows} rows, got {rows}")
    return durations[0] * 1000, statistics.median(durations[1:] or durations) * 1000


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench payt-report", description=__doc__.split("\n\n")[0])
    parser.add_argument("--vehicles", type=int, default=10)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--interval", type=int, default=10)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    per_vehicle = args.days * 86400 // args.interval
    with tempfile.TemporaryDirectory(prefix="polytrack-bench-") as tmp:
        tmpdir = Path(tmp)
        db = f"sqlite:///{tmpdir / 'report.db'}"
        csv_path = tmpdir / "positions.csv"
        rows = write_csv(csv_path, vehicles=args.vehicles, rows_per_vehicle=per_vehicle, interval=args.interval)
        provision(db, args.vehicles)
        started = time.perf_counter()
        report = json.loads(servers.run_polytrack("payt", "import", str(csv_path), "--quiet", "--db", db))
        build_seconds = time.perf_counter() - started
        csv_path.unlink()
        counts = derived_counts(db)
        port = servers.free_port()
        url = f"http://127.0.0.1:{port}"
        command = servers.polytrack_command("serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
                                            "--db", db, "--osmand-port", "0")
        with servers.running(command, url + "/_polytrack/health", log_path=tmpdir / "polytrack.log"), \
                httpx.Client(base_url=url, timeout=120) as client:
            login = client.get("/api2.ashx", params={"op": "Authenticate", "subop": "Login", "clientname": "",
                                                     "username": "bench@bench.example", "password": "bench-password"})
            ticket = login.json()["ticketid"]
            base = {"op": "Report", "subop": "Detailed", "levelOfDetail": "0", "vehicleIDs": "0", "groupIDs": "0",
                    "ticket": ticket, "dtm": "o"}
            month = {**base, "startDate": "20240601", "endDate": f"202406{1 + args.days:02d}" if args.days < 30 else "20240701"}
            day = {**base, "startDate": "20240615", "endDate": "20240616"}
            month_first, month_median = timed_calls(client, month, args.calls, args.vehicles * args.days)
            day_first, day_median = timed_calls(client, day, args.calls, args.vehicles)
    figures = {"positions": rows, "imported": report["imported"], "build_seconds": round(build_seconds, 1),
               "import_rows_per_second": round(report["imported"] / report["seconds"]),
               "daily_rows": counts["daily_stats"], "trips": counts["trips"],
               "month_first_ms": round(month_first, 1), "month_median_ms": round(month_median, 1),
               "day_first_ms": round(day_first, 1), "day_median_ms": round(day_median, 1)}
    print(f"built {rows} positions ({args.vehicles} vehicles x {args.days} days, 1 fix / {args.interval} s) "
          f"through the importer in {build_seconds:.1f} s ({figures['import_rows_per_second']} rows/s)")
    print(f"Report/Detailed level 0, {args.days} days x all vehicles ({args.vehicles * args.days} rows): "
          f"first {month_first:.1f} ms, median {month_median:.1f} ms")
    print(f"Report/Detailed level 0, one day x all vehicles ({args.vehicles} rows): "
          f"first {day_first:.1f} ms, median {day_median:.1f} ms")
    if args.json:
        print(json.dumps(figures))
    return 0
