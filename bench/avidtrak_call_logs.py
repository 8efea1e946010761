"""AvidTrak call_logs for one month out of many recorded calls (goal: <= 200 ms at 1M calls).

    python -m bench avidtrak-call-logs [--calls 1000000] [--accounts 100] [--months 12] [--requests 60]
                                       [--db URL] [--reuse]

The demo data plus `--accounts` pro clients of the demo agency (fixed pincodes) and `--calls`
calls to their numbers, spread over `--months` months from January 2024, as the webhooks write
them (callers, statuses, durations, costs, channels and attribution vary), written in bulk with
a progress bar. Then `polytrack serve` (one worker) answers `--requests` call_logs requests as
clients send them: different clients, different months, the whole month as dates or with
times, or a part of it, json or xml, shuffled so no request repeats the one before. The median,
90th percentile and worst time of a whole request are reported, with the rows returned, and the
database's plan of the query (which index it uses).

`--db URL` (an SQLite file or PostgreSQL) keeps the data; with `--reuse`, a database that
already holds this run's calls is not written again, only measured (the output says so).
Without `--db`, a temporary SQLite file. `--calls 3000 --accounts 5 --requests 10` is the
small scale that checks the module runs.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx

from bench import servers

BATCH = 10_000
START = datetime(2024, 1, 1)
CALL_SID_PREFIX = "CAbench"
STATUSES = ["answered"] * 6 + ["no-answer", "busy", "canceled", "failed"]
CHANNELS = ["gppc", "gseo", "bppc", "direct", "universal", "linksource"]


def pincode_of(n: int) -> str:
    return f"77{n:08d}"


def _bench_clients(services, accounts: int):
    """The bench's clients of the demo agency (created if missing): [(account_id, payer_id)]."""
    from polytrack.avidtrak import domain
    from polytrack.avidtrak.server_keys import server_keys
    from polytrack.kernel.sql import transaction

    keys = server_keys(services.settings)
    found = []
    with transaction(services.engine) as db:
        agency = domain.account_by_userid(db, "acme_agency")
        assert agency is not None, "the demo data first"
        for n in range(accounts):
            client = domain.account_by_userid(db, f"bench{n:04d}")
            if client is None:
                client = domain.create_account(db, keys, services.clock.now(), kind="client", agency=agency,
                                               userid=f"bench{n:04d}", password="Bench2024", account_type="pro",
                                               pincode=pincode_of(n)).account
            found.append((client.id, agency.id))
    return found


def stored_calls(services) -> int:
    from polytrack.kernel.sql import Statement

    return services.hot.one(Statement("SELECT count(*) FROM avidtrak_calls WHERE call_sid LIKE ?"),
                            (CALL_SID_PREFIX + "%",))[0]


def seed_calls(services, calls: int, accounts: int, months: int) -> None:
    """`calls` calls to the numbers of the bench's `accounts` clients, in batches of fixed
    INSERTs (executemany on the driver), deterministic."""
    from rich.progress import Progress

    from polytrack.avidtrak.values import stored_moment, stored_money
    from polytrack.kernel.sql import Statement, transaction

    clients = _bench_clients(services, accounts)
    insert = Statement("""
        INSERT INTO avidtrak_calls (call_sid, account_id, payer_id, sid, number_type, tracking_number, caller_number,
            caller_name, caller_city, caller_state, caller_zip, caller_country, call_start, call_end, duration,
            billable_minutes, cost, call_status, forwarded_to, recording_url, channel, campaign, campaign_id, adgroup,
            keyword, landing_page, referrer, visit_id, match_type, dial_plan, step)
        VALUES (?, ?, ?, ?, 'local', ?, ?, ?, 'BALTIMORE', 'MD', '21201', 'US', ?, ?, ?, ?, ?, ?, ?, ?, ?, '', NULL,
                '', ?, ?, ?, NULL, ?, ?, 1)""")
    rng = random.Random(20240101)
    span = timedelta(days=30.4 * months).total_seconds()
    dialect = services.engine.dialect.name
    with Progress() as progress:
        task = progress.add_task("writing calls", total=calls)
        for first in range(0, calls, BATCH):
            rows = []
            for n in range(first, min(calls, first + BATCH)):
                account_id, payer_id = clients[rng.randrange(accounts)]
                line = rng.randrange(8)
                start = START + timedelta(seconds=int(span * n / calls) + rng.randrange(60))
                status = rng.choice(STATUSES)
                duration = rng.randint(10, 900) if status == "answered" else 0
                minutes = -(-duration // 60)
                attributed = rng.random() < 0.3
                rows.append((
                    f"{CALL_SID_PREFIX}{n:026x}", account_id, payer_id, f"PNbench{account_id:08d}{line:019d}",
                    f"41077{account_id % 100:02d}{line:03d}", f"443555{rng.randrange(10000):04d}",
                    rng.choice(["", "SMITH JOHN", "DOE JANE"]), stored_moment(dialect, start),
                    stored_moment(dialect, start + timedelta(seconds=duration)), duration, minutes,
                    stored_money(dialect, Decimal(minutes) * Decimal("0.05")), status,
                    "4105559876" if status == "answered" else "", "https://api.twilio.com/rec/RE1.mp3"
                    if status == "answered" and line % 2 else "", rng.choice(CHANNELS),
                    rng.choice(["emergency plumber", "water heater repair"]) if attributed else "",
                    "https://www.joesplumbing.example/?gclid=x" if attributed else "",
                    "https://www.google.com/" if attributed else "",
                    "post_session" if attributed else "none", '[["4105559876", "", false]]'))
            with transaction(services.engine) as db:
                db.many(insert, rows)
            progress.advance(task, len(rows))


def requests_to_make(accounts: int, months: int, count: int, seed: int = 3) -> list[dict]:
    """call_logs requests as clients send them, shuffled, no request equal to the one before."""
    rng = random.Random(seed)
    made: list[dict] = []
    while len(made) < count:
        month = START.replace(year=START.year + (START.month - 1 + rng.randrange(months)) // 12,
                              month=(START.month - 1 + rng.randrange(months)) % 12 + 1)
        last_day = ((month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)).day
        shape = rng.choice(["dates", "times", "part", "dates"])
        if shape == "dates":
            dates = {"startdate": f"{month:%Y-%m}-01", "enddate": f"{month:%Y-%m}-{last_day}"}
        elif shape == "times":
            dates = {"startdate": f"{month:%Y-%m}-01 00:00:00", "enddate": f"{month:%Y-%m}-{last_day} 23:59:59"}
        else:
            first = rng.randint(1, 14)
            dates = {"startdate": f"{month:%Y-%m}-{first:02d}", "enddate": f"{month:%Y-%m}-{first + 14:02d}"}
        request = {"pincode": pincode_of(rng.randrange(accounts)), "method": "call_logs",
                   "format": rng.choice(["json", "json", "xml"]), **dates}
        if rng.random() < 0.3:  # the vendor's own examples capitalise the date names
            request["Startdate"], request["Enddate"] = request.pop("startdate"), request.pop("enddate")
        if not made or request != made[-1]:
            made.append(request)
    return made


def query_plan(services, account_id: int) -> str:
    """How the database finds one client's month (the call_logs query)."""
    from sqlalchemy import select

    from polytrack.avidtrak.tables import avidtrak_calls as calls

    query = select(calls).where(calls.c.account_id == account_id, calls.c.call_start >= datetime(2024, 3, 1),
                                calls.c.call_start <= datetime(2024, 3, 31, 23, 59, 59)) \
        .order_by(calls.c.call_start, calls.c.id)
    compiled = query.compile(services.engine, compile_kwargs={"literal_binds": True})
    prefix = "EXPLAIN QUERY PLAN " if services.engine.dialect.name == "sqlite" else "EXPLAIN "
    with services.engine.connect() as conn:
        rows = conn.exec_driver_sql(prefix + str(compiled)).all()
    return " | ".join(str(row[-1]) for row in rows)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench avidtrak-call-logs", description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=1_000_000, help="recorded calls in all (the scale)")
    parser.add_argument("--accounts", type=int, default=100)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--db", help="database URL to keep the data in (default: a temporary SQLite file)")
    parser.add_argument("--reuse", action="store_true", help="measure only, if --db already holds the calls")
    args = parser.parse_args(argv)
    from polytrack.config import Settings
    from polytrack.services import Services

    with tempfile.TemporaryDirectory(prefix="polytrack-bench-") as tmp:
        tmpdir = Path(tmp)
        db = args.db or f"sqlite:///{tmpdir / 'bench.db'}"
        servers.run_polytrack("demo", "seed", "--db", db)
        services = Services.build(Settings(db=db))
        try:
            already = stored_calls(services)
            reused = args.reuse and already == args.calls
            if reused:
                print(f"reusing the {already} calls already in the database", file=sys.stderr)
            elif already:
                raise SystemExit(f"the database holds {already} bench calls, not {args.calls}: "
                                 "use --reuse with the same --calls, or another --db")
            else:
                seed_calls(services, args.calls, args.accounts, args.months)
            clients = _bench_clients(services, args.accounts)
            plan = query_plan(services, clients[0][0])
        finally:
            services.engine.dispose()
        port = servers.free_port()
        url = f"http://127.0.0.1:{port}"
        command = servers.polytrack_command("serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
                                            "--db", db, "--osmand-port", "0")
        with servers.running(command, url + "/_polytrack/health", log_path=tmpdir / "polytrack.log"):
            times, rows = [], []
            with httpx.Client(base_url=url, timeout=60) as client:
                for params in requests_to_make(args.accounts, args.months, args.requests):
                    started = time.perf_counter()
                    response = client.get("/webservice/api.php", params=params)
                    times.append((time.perf_counter() - started) * 1000)
                    if params["format"] == "json":
                        answer = response.json()
                        if answer["code"] != 1:
                            raise SystemExit(f"call_logs answered {answer}")
                        rows.append(len(answer["data"]))
                    elif b"<code>1</code>" not in response.content:
                        raise SystemExit(f"call_logs answered {response.text[:300]}")
    times.sort()
    result = {"calls": args.calls, "accounts": args.accounts, "months": args.months, "reused": reused,
              "requests": len(times), "rows_median": statistics.median(rows) if rows else None,
              "median_ms": round(statistics.median(times), 1), "p90_ms": round(times[int(len(times) * 0.9)], 1),
              "max_ms": round(times[-1], 1), "query_plan": plan}
    print(json.dumps(result))
    return 0
