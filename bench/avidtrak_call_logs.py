"""AvidTrak call_logs for one month out of many recorded calls (goal: <= 200 ms at 1M calls).

    python -m bench avidtrak-call-logs [--calls 1000000] [--accounts 100] [--months 12] [--requests 20]

A temporary SQLite database with the demo data and `--calls` more calls, spread evenly over
`--accounts` pro clients of the demo agency and `--months` months (written in bulk, the rows the
webhooks write). Then `polytrack serve` (one worker) answers call_logs of one client for one
month `--requests` times; the median and worst time of a whole request are reported, with the
number of rows it returned. `--calls 2000` is the small scale that checks the module runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx

from bench import servers

BATCH = 20_000
START = datetime(2024, 1, 1)


def seed_calls(db_url: str, calls: int, accounts: int, months: int) -> str:
    """`accounts` clients of the demo agency and `calls` calls to their numbers; the pincode of
    the first client."""
    from sqlalchemy import insert

    from polytrack.avidtrak import domain
    from polytrack.avidtrak.server_keys import server_keys
    from polytrack.avidtrak.tables import avidtrak_calls
    from polytrack.config import Settings
    from polytrack.kernel.clock import SystemClock
    from polytrack.kernel.sql import transaction
    from polytrack.services import Services

    services = Services.build(Settings(db=db_url))
    keys = server_keys(services.settings)
    with transaction(services.engine) as db:
        agency = domain.account_by_userid(db, "acme_agency")
        assert agency is not None, "the demo data first"
        clients = [domain.create_account(db, keys, SystemClock().now(), kind="client", agency=agency,
                                         userid=f"bench{n:04d}", password="Bench2024", account_type="pro")
                   for n in range(accounts)]
    span = timedelta(days=30 * months).total_seconds()
    written = 0
    while written < calls:
        rows = []
        for n in range(written, min(calls, written + BATCH)):
            client = clients[n % accounts]
            start = START + timedelta(seconds=span * n / calls)
            rows.append({
                "call_sid": f"CAbe{n:030x}", "account_id": client.account.id, "payer_id": agency.id,
                "sid": f"PN{client.account.id:032x}", "number_type": "local", "tracking_number": "4105550100",
                "caller_number": f"443555{n % 10000:04d}", "caller_name": "", "caller_city": "BALTIMORE",
                "caller_state": "MD", "caller_zip": "21201", "caller_country": "US", "call_start": start,
                "call_end": start + timedelta(seconds=125), "duration": 125, "billable_minutes": 3,
                "cost": Decimal("0.15"), "call_status": "answered", "forwarded_to": "4105559876",
                "recording_url": "", "channel": "gppc", "campaign": "", "campaign_id": None, "adgroup": "",
                "keyword": "emergency plumber", "landing_page": "https://www.joesplumbing.example/?gclid=x",
                "referrer": "https://www.google.com/", "visit_id": None, "match_type": "none",
                "dial_plan": '[["4105559876", "", false]]', "step": 1})
        with transaction(services.engine) as db:
            db.execute(insert(avidtrak_calls), rows)
        written += len(rows)
        print(f"seeded {written} calls", file=sys.stderr)
    services.engine.dispose()
    return clients[0].pincode


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench avidtrak-call-logs", description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=1_000_000, help="recorded calls in all (the scale)")
    parser.add_argument("--accounts", type=int, default=100)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="polytrack-bench-") as tmp:
        tmpdir = Path(tmp)
        db = f"sqlite:///{tmpdir / 'bench.db'}"
        servers.run_polytrack("demo", "seed", "--db", db)
        pincode = seed_calls(db, args.calls, args.accounts, args.months)
        port = servers.free_port()
        url = f"http://127.0.0.1:{port}"
        command = servers.polytrack_command("serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
                                            "--db", db, "--osmand-port", "0")
        month = {"startdate": "2024-03-01", "enddate": "2024-03-31"}
        params = {"pincode": pincode, "format": "json", "method": "call_logs", **month}
        with servers.running(command, url + "/_polytrack/health", log_path=tmpdir / "polytrack.log"):
            times, rows = [], 0
            with httpx.Client(base_url=url, timeout=60) as client:
                for _ in range(args.requests):
                    started = time.perf_counter()
                    answer = client.get("/webservice/api.php", params=params).json()
                    times.append((time.perf_counter() - started) * 1000)
                    if answer["code"] != 1:
                        raise SystemExit(f"call_logs answered {answer}")
                    rows = len(answer["data"])
    result = {"calls": args.calls, "accounts": args.accounts, "months": args.months, "rows_returned": rows,
              "median_ms": round(statistics.median(times), 1), "max_ms": round(max(times), 1)}
    print(json.dumps(result))
    return 0
