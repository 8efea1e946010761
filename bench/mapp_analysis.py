"""Mapp getAnalysisData over HTTP on a month of hits, beside DuckDB on the same raw hits.

    python -m bench mapp-analysis [--hits 10000000] [--days 30] [--calls 10] [--db URL] [--json]

Writes `--hits` page impressions (visits of four pages over `--days` days, 2,000 page names)
straight into a fresh database (SQLite in a temporary directory unless `--db` names another,
e.g. a PostgreSQL URL), serves polytrack (one worker) and times getAnalysisData Pages x
(Page Impressions, Visits) with the wildcard page filter `*product*` over the whole range:
the first call (which builds the daily pre-aggregates), the median of `--calls` after it, and
the median with forceRawData. DuckDB runs the same query on the same hits loaded from CSV;
the ratio is polytrack's median over DuckDB's. Every answer is checked against DuckDB's rows.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import httpx
from sqlalchemy import create_engine, insert

from bench import servers

CUSTOMER_ID = "123451234512345"
PAGES = [f"product.{category}.{n}" for category in ("shoes", "shirts", "bags", "hats") for n in range(350)] + [
    f"category.{n}" for n in range(500)] + ["home", "search", "basket", "checkout"]
FILTER = "*product*"
CHUNK = 20_000


def write_hits(path: Path, hits: int, days: int, first_day: date) -> int:
    """CSV of (visit, visitor, page, time_ms, day): visits of four page impressions."""
    rng = random.Random(7)
    start = datetime(first_day.year, first_day.month, first_day.day, tzinfo=timezone.utc)
    with open(path, "w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["visit_id", "visitor", "page", "time_ms", "day"])
        for visit in range(1, hits // 4 + 1):
            at = start + timedelta(days=rng.randrange(days), seconds=rng.randrange(3600, 20 * 3600))
            visitor = f"v{rng.randrange(max(1, hits // 12))}"
            for step in range(4):
                moment = at + timedelta(seconds=40 * step)
                out.writerow([visit, visitor, rng.choice(PAGES), int(moment.timestamp() * 1000), moment.date().isoformat()])
    return hits // 4 * 4


def load_polytrack(url: str, path: Path) -> None:
    """The hits and their visits as the pixel would have stored them (bypassing the pixel: the
    analysis is measured, not the ingest)."""
    from polytrack.mapp.tables import mapp_accounts, mapp_day_changes, mapp_hits, mapp_visits

    engine = create_engine(url)
    with engine.begin() as db:
        account_id = db.execute(mapp_accounts.select().where(mapp_accounts.c.customer_id == CUSTOMER_ID)).first().id
    base = {"account_id": account_id, "received_ms": 0, "kind": "page", "bot": False, "new_session": False,
            "page_url": "", "referrer": "", "search_phrase": "", "campaign": "", "action": "", "customer": "",
            "browser": "Chrome", "os": "Linux", "device": "Desktop", "country": "DE", "order_value_cents": 0,
            "quantity": 0, "is_order": False, "query": "", "user_agent": "", "week": "", "weekday": 0, "hour": "12",
            "minute": "00", "is_exit": False, "is_bounce": False}
    days: set[str] = set()
    with open(path, newline="") as handle, engine.begin() as db:
        hits, visits = [], []
        for row in csv.DictReader(handle):
            visit_id, time_ms, position = int(row["visit_id"]), int(row["time_ms"]), len(hits) % 4
            hits.append({**base, "visitor": row["visitor"], "time_ms": time_ms, "page": row["page"], "visit_id": visit_id,
                         "duration_ms": 40_000, "day": row["day"], "is_entry": position == 0})
            if position == 0:
                days.add(row["day"])
                visits.append({"id": visit_id, "account_id": account_id, "visitor": row["visitor"], "customer": "",
                               "start_ms": time_ms, "end_ms": time_ms + 120_000, "day": row["day"], "hits": 4,
                               "page_impressions": 4, "entry_page": row["page"], "exit_page": "", "bounce": False,
                               "campaign": "", "referrer": "", "entry_source": "direct", "browser": "Chrome",
                               "os": "Linux", "device": "Desktop", "country": "DE"})
            if len(hits) >= CHUNK:
                db.execute(insert(mapp_visits), visits)
                db.execute(insert(mapp_hits), hits)
                hits, visits = [], []
        if hits:
            db.execute(insert(mapp_visits), visits)
            db.execute(insert(mapp_hits), hits)
        db.execute(insert(mapp_day_changes), [{"account_id": account_id, "day": day, "changes": 1} for day in sorted(days)])
    engine.dispose()


def duckdb_query(path: Path, start_ms: int, stop_ms: int, calls: int) -> tuple[float, list]:
    con = duckdb.connect()
    con.execute(f"CREATE TABLE hits AS SELECT * FROM read_csv_auto('{path}')")
    sql = ("SELECT page, count(*) AS pi, count(DISTINCT visit_id) AS visits FROM hits "
           "WHERE time_ms BETWEEN ? AND ? AND lower(page) LIKE '%product%' GROUP BY page ORDER BY pi DESC, page LIMIT 1000")
    durations, rows = [], []
    for _ in range(calls):
        started = time.perf_counter()
        rows = con.execute(sql, [start_ms, stop_ms]).fetchall()
        durations.append(time.perf_counter() - started)
    return statistics.median(durations) * 1000, rows


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench mapp-analysis", description=__doc__.split("\n\n")[0])
    parser.add_argument("--hits", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--calls", type=int, default=10)
    parser.add_argument("--db", help="database URL (default: SQLite in a temporary directory)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    first_day = date(2024, 5, 1)
    last_day = first_day + timedelta(days=args.days - 1)
    window = {"startTime": first_day.isoformat(), "stopTime": last_day.isoformat()}
    with tempfile.TemporaryDirectory(prefix="polytrack-bench-") as tmp:
        tmpdir = Path(tmp)
        db = args.db or f"sqlite:///{tmpdir / 'analysis.db'}"
        config = tmpdir / "bench.toml"
        config.write_text("rate_limits = false\n")
        servers.run_polytrack("migrate", "--db", db)
        servers.run_polytrack("admin", "mapp", "create-account", "--title", "Bench", "--customer-id", CUSTOMER_ID,
                              "--timezone", "UTC", "--db", db)
        servers.run_polytrack("admin", "mapp", "create-user", "--login", "bench", "--pass", "bench-pass",
                              "--customer-id", CUSTOMER_ID, "--db", db)
        csv_path = tmpdir / "hits.csv"
        started = time.perf_counter()
        hits = write_hits(csv_path, args.hits, args.days, first_day)
        load_polytrack(db, csv_path)
        build_seconds = time.perf_counter() - started
        start_ms = int(datetime(first_day.year, first_day.month, first_day.day, tzinfo=timezone.utc).timestamp() * 1000)
        stop_ms = start_ms + args.days * 86_400_000 - 1
        duck_ms, duck_rows = duckdb_query(csv_path, start_ms, stop_ms, args.calls)
        expected = [[page, str(pi), str(visits)] for page, pi, visits in duck_rows]

        port = servers.free_port()
        url = f"http://127.0.0.1:{port}"
        command = servers.polytrack_command("serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
                                            "--db", db, "--config", str(config), "--osmand-port", "0")
        with servers.running(command, url + "/_polytrack/health", log_path=tmpdir / "polytrack.log"), \
                httpx.Client(base_url=url, timeout=600) as client:
            def rpc(method: str, params: dict):
                body = client.post("/cgi-bin/wt/JSONRPC.cgi", json={"method": method, "params": params, "version": "1.1"}).json()
                if "result" not in body:
                    raise SystemExit(f"{method} failed: {body}")
                return body["result"]

            token = rpc("login", {"customerId": CUSTOMER_ID, "login": "bench", "pass": "bench-pass"})
            config_body = {"analysisObjects": [{"title": "Pages"}], "metrics": [{"title": "Page Impressions"}, {"title": "Visits"}],
                           "analysisFilter": {"filterRules": [{"objectTitle": "Pages", "comparator": "=", "filter": FILTER}]},
                           "hideFooters": 1, **window}

            def timed(raw: int) -> list[float]:
                durations = []
                for _ in range(args.calls if raw else args.calls + 1):
                    started = time.perf_counter()
                    result = rpc("getAnalysisData", {"token": token, "analysisConfig": {**config_body, "forceRawData": raw}})
                    durations.append((time.perf_counter() - started) * 1000)
                    by_page = sorted(result["analysisData"], key=lambda row: (-int(row[1]), row[0]))
                    if by_page[:1000] != expected:
                        raise SystemExit("polytrack's rows differ from DuckDB's")
                return durations

            daily = timed(0)
            raw = timed(1)
    figures = {"hits": hits, "days": args.days, "database": db.split(":")[0], "build_seconds": round(build_seconds, 1),
               "first_call_ms": round(daily[0], 1), "median_ms": round(statistics.median(daily[1:]), 1),
               "raw_median_ms": round(statistics.median(raw), 1), "duckdb_median_ms": round(duck_ms, 1),
               "ratio_to_duckdb": round(statistics.median(daily[1:]) / duck_ms, 2) if duck_ms else None}
    print(f"getAnalysisData Pages x (Page Impressions, Visits), filter {FILTER!r}, {hits} hits over {args.days} days "
          f"({figures['database']}): first {figures['first_call_ms']} ms, median {figures['median_ms']} ms, "
          f"raw {figures['raw_median_ms']} ms; DuckDB {figures['duckdb_median_ms']} ms; ratio {figures['ratio_to_duckdb']}")
    if args.json:
        print(json.dumps(figures))
    return 0
