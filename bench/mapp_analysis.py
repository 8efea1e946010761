"""Mapp getAnalysisData over HTTP on a month of hits, beside DuckDB on the same raw hits.

    python -m bench mapp-analysis [--hits 10000000] [--days 30] [--calls 40] [--db URL [--reuse]] [--csv PATH]
                                  [--kinds pages,pages+entries,"pages x days"] [--rebuild] [--json]

Builds `--hits` page impressions (visits of four page impressions over `--days` days, 2,000
page names, a few browsers) deterministically, writes them into the database (SQLite in a
temporary directory unless `--db` names a SQLite file or a PostgreSQL URL) the way sessionised
hits are stored, and into a CSV for DuckDB. With `--reuse`, a database that already holds this
data (the bench account with exactly `--hits` hits) is not written again, only measured; the
CSV is regenerated when it is missing (same seed, same hits).

Then one worker serves polytrack and `--calls` getAnalysisData calls are timed, drawn from a
mix of analyses in a shuffled order that never repeats a call back to back: Pages x (Page
Impressions, Visits) (the issue's analysis), Pages x (Page Impressions, Visits, Entries) and
the pivot Pages x Days x (Page Impressions, Visits), each with one of several wildcard page
filters and one of several whole-day ranges inside the month. DuckDB answers every call's query
on the raw hits and every answer is checked against DuckDB's rows. Reported: a first call, the
issue's analysis over the whole month (on a database just written it brings the month's daily
pre-aggregates of Pages up to date), then medians per analysis kind for polytrack and DuckDB,
and the ratio polytrack / DuckDB for the issue's analysis over the whole month.

`--rebuild` first deletes the bench account's pre-aggregates and times, in this process, what
the first analysis after a bulk load does: the month's pre-aggregates of Pages and of the days'
totals computed from the raw hits (seconds each, and this process's CPU seconds).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sqlite3
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import duckdb
import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench import servers

CUSTOMER_ID = "123451234512345"
PAGES = [f"product.{category}.{n}" for category in ("shoes", "shirts", "bags", "hats") for n in range(350)] + [
    f"category.{n}" for n in range(500)] + ["home", "search", "basket", "checkout"]
BROWSERS = ("Chrome", "Firefox", "Safari", "Edge")
FILTERS = ("*product*", "*shoes*", "product.bags.*", "*.12*", "category.*")
VISIT_STEP_S = 40
PROGRESS_EVERY = 1_000_000
WRITE_BATCH = 50_000

_HIT_COLUMNS = ("account_id", "visitor", "time_ms", "received_ms", "kind", "bot", "new_session", "page", "page_url",
                "referrer", "search_phrase", "campaign", "action", "customer", "browser", "os", "device", "country",
                "order_value_cents", "quantity", "is_order", "query", "user_agent", "visit_id", "duration_ms", "day",
                "week", "weekday", "hour", "minute", "is_entry", "is_exit", "is_bounce")
_VISIT_COLUMNS = ("id", "account_id", "visitor", "customer", "start_ms", "end_ms", "day", "hits", "page_impressions",
                  "entry_page", "exit_page", "bounce", "campaign", "referrer", "entry_source", "browser", "os", "device",
                  "country")


def generate(hits: int, days: int, first_day: date) -> Iterator[tuple]:
    """Visits of four page impressions: (visit id, visitor, browser, [(page, time_ms, day), x4])."""
    rng = random.Random(7)
    start = datetime(first_day.year, first_day.month, first_day.day, tzinfo=timezone.utc)
    for visit in range(1, hits // 4 + 1):
        at = start + timedelta(days=rng.randrange(days), seconds=rng.randrange(3600, 20 * 3600))
        visitor = f"v{rng.randrange(max(1, hits // 12))}"
        browser = BROWSERS[rng.randrange(len(BROWSERS))]
        steps = []
        for step in range(4):
            moment = at + timedelta(seconds=VISIT_STEP_S * step)
            steps.append((rng.choice(PAGES), int(moment.timestamp() * 1000), moment.date().isoformat()))
        yield visit, visitor, browser, steps


def write_csv(path: Path, hits: int, days: int, first_day: date) -> None:
    with open(path, "w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["visit_id", "visitor", "browser", "page", "time_ms", "day", "is_entry"])
        for visit, visitor, browser, steps in generate(hits, days, first_day):
            for position, (page, time_ms, day) in enumerate(steps):
                out.writerow([visit, visitor, browser, page, time_ms, day, int(position == 0)])


def _rows(account_id: int, hits: int, days: int, first_day: date) -> Iterator[tuple[list[tuple], list[tuple]]]:
    """Batches of (hit rows, visit rows) as sessionised hits are stored."""
    hit_rows: list[tuple] = []
    visit_rows: list[tuple] = []
    for visit, visitor, browser, steps in generate(hits, days, first_day):
        for position, (page, time_ms, day) in enumerate(steps):
            hit_rows.append((account_id, visitor, time_ms, time_ms, "page", False, False, page, "", "", "", "", "", "",
                             browser, "Linux", "Desktop", "DE", 0, 0, False, "", "", visit, VISIT_STEP_S * 1000, day,
                             "", 0, "12", "00", position == 0, position == 3, False))
        first, last = steps[0], steps[-1]
        visit_rows.append((visit, account_id, visitor, "", first[1], last[1], first[2], 4, 4, first[0], last[0], False,
                           "", "", "direct", browser, "Linux", "Desktop", "DE"))
        if len(hit_rows) >= WRITE_BATCH:
            yield hit_rows, visit_rows
            hit_rows, visit_rows = [], []
    if hit_rows:
        yield hit_rows, visit_rows


def load_polytrack(url: str, account_id: int, hits: int, days: int, first_day: date) -> None:
    """The hits and their visits as sessionisation would have stored them, bypassing the pixel
    (the analysis is measured, not the ingest): executemany in big batches on SQLite, COPY on
    PostgreSQL, with progress printed."""
    written, started = 0, time.perf_counter()

    def progress(count: int) -> None:
        nonlocal written
        before, written = written, written + count
        if written // PROGRESS_EVERY != before // PROGRESS_EVERY or written == hits:
            rate = written / max(time.perf_counter() - started, 1e-9)
            print(f"  written {written:,} of {hits:,} hits ({rate:,.0f}/s)", flush=True)

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        con = sqlite3.connect(parsed.database)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=OFF")
        con.execute("PRAGMA cache_size=-1000000")  # 1 GB: the indexes stay in memory while they grow
        hit_sql = f"INSERT INTO mapp_hits ({', '.join(_HIT_COLUMNS)}) VALUES ({', '.join('?' * len(_HIT_COLUMNS))})"
        visit_sql = f"INSERT INTO mapp_visits ({', '.join(_VISIT_COLUMNS)}) VALUES ({', '.join('?' * len(_VISIT_COLUMNS))})"
        with con:
            for hit_rows, visit_rows in _rows(account_id, hits, days, first_day):
                con.executemany(visit_sql, visit_rows)
                con.executemany(hit_sql, hit_rows)
                progress(len(hit_rows))
        con.close()
        return
    import psycopg

    # two connections, one COPY each (a connection runs one COPY at a time): the hits are
    # generated once
    target = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(target) as visits_con, psycopg.connect(target) as hits_con:
        with visits_con.cursor().copy(f"COPY mapp_visits ({', '.join(_VISIT_COLUMNS)}) FROM STDIN") as visits_copy, \
                hits_con.cursor().copy(f"COPY mapp_hits ({', '.join(_HIT_COLUMNS)}) FROM STDIN") as hits_copy:
            for hit_rows, visit_rows in _rows(account_id, hits, days, first_day):
                for row in visit_rows:
                    visits_copy.write_row(row)
                for row in hit_rows:
                    hits_copy.write_row(row)
                progress(len(hit_rows))
    with psycopg.connect(target, autocommit=True) as con:
        # visit ids were given: the pixel's later visits must come after them
        con.execute("SELECT setval(pg_get_serial_sequence('mapp_visits', 'id'), (SELECT max(id) FROM mapp_visits))")
        con.execute("ANALYZE mapp_hits")
        con.execute("ANALYZE mapp_visits")


def prepare_database(url: str, args, first_day: date) -> tuple[bool, float]:
    """Make sure the database holds the bench's account, user and hits; (written now?, seconds)."""
    servers.run_polytrack("migrate", "--db", url)
    engine = create_engine(url)
    with engine.connect() as db:
        account = db.execute(text("SELECT id FROM mapp_accounts WHERE customer_id = :c"), {"c": CUSTOMER_ID}).first()
        stored = db.execute(text("SELECT count(*) FROM mapp_hits WHERE account_id = :a"),
                            {"a": account[0]}).scalar() if account else 0
    engine.dispose()
    if account is not None and args.reuse and stored == args.hits // 4 * 4:
        return False, 0.0
    if account is not None:
        raise SystemExit(f"{url} already holds the bench account with {stored} hits: pass --reuse to measure it "
                         f"as it is (with --hits {stored}), or give another --db")
    servers.run_polytrack("admin", "mapp", "create-account", "--title", "Bench", "--customer-id", CUSTOMER_ID,
                          "--timezone", "UTC", "--db", url)
    servers.run_polytrack("admin", "mapp", "create-user", "--login", "bench", "--pass", "bench-pass",
                          "--customer-id", CUSTOMER_ID, "--db", url)
    engine = create_engine(url)
    with engine.connect() as db:
        account_id = db.execute(text("SELECT id FROM mapp_accounts WHERE customer_id = :c"), {"c": CUSTOMER_ID}).scalar()
    engine.dispose()
    started = time.perf_counter()
    load_polytrack(url, account_id, args.hits, args.days, first_day)
    engine = create_engine(url)
    with engine.begin() as db:  # every day changed once: the first analysis builds its pre-aggregates
        db.execute(text("INSERT INTO mapp_day_changes (account_id, day, changes) "
                        "SELECT DISTINCT account_id, day, 1 FROM mapp_visits WHERE account_id = :a"), {"a": account_id})
    engine.dispose()
    return True, time.perf_counter() - started


def rebuild(url: str) -> dict[str, float]:
    """The bench account's month of pre-aggregates (Pages, then the days' totals) deleted and
    computed again from the raw hits, each in one transaction as the first analysis after a
    bulk load does; seconds (wall and this process's CPU) per object."""
    from polytrack.kernel.dates import zone
    from polytrack.kernel.db import make_engine
    from polytrack.kernel.sql import transaction
    from polytrack.mapp.analysis import daily
    from polytrack.mapp.analysis.definition import builtin

    engine = make_engine(url)
    with engine.begin() as db:
        account_id = db.execute(text("SELECT id FROM mapp_accounts WHERE customer_id = :c"), {"c": CUSTOMER_ID}).scalar()
        for table in ("mapp_daily", "mapp_daily_fresh"):
            db.execute(text(f"DELETE FROM {table} WHERE account_id = :a"), {"a": account_id})
    figures = {}
    for dimension in (builtin("pages"), None):
        name = dimension.en if dimension is not None else "day totals"
        started, cpu = time.perf_counter(), time.process_time()
        with transaction(engine) as db:
            days = daily.refresh(db, account_id, zone("UTC"), dimension, date.min, date.max)
        figures[name] = round(time.perf_counter() - started, 2)
        print(f"  rebuilt the pre-aggregates of {name}: {days} days in {figures[name]:.1f} s "
              f"({time.process_time() - cpu:.1f} s CPU in this process)", flush=True)
    engine.dispose()
    return figures


# --- the mix of calls ---------------------------------------------------------------------------

KINDS = {
    # the analysis
    "pages": (["Pages"], ["Page Impressions", "Visits"]),
    "pages+entries": (["Pages"], ["Page Impressions", "Visits", "Entries"]),
    "pages x days": (["Pages", "Days"], ["Page Impressions", "Visits"]),
}


def ranges(days: int) -> list[tuple[int, int]]:
    """Whole-day ranges inside the month (first day, last day, 0-based): the whole month and
    parts of it."""
    found = [(0, days - 1), (0, min(6, days - 1)), (min(7, days - 1), min(20, days - 1)),
             (max(0, days - 10), days - 1), (days // 2, days // 2)]
    return list(dict.fromkeys(found))


def like(pattern: str) -> str:
    return pattern.replace("%", "\\%").replace("_", "\\_").replace("*", "%")


def duckdb_answer(con, kind: str, pattern: str, first: str, last: str) -> tuple[float, list[list[str]]]:
    # the Days object shows DD.MM.YYYY
    keys = "page, strftime(CAST(day AS DATE), '%d.%m.%Y')" if kind == "pages x days" else "page"
    entries = ", sum(is_entry)" if kind == "pages+entries" else ""
    sql = (f"SELECT {keys}, count(*), count(DISTINCT visit_id){entries} FROM hits WHERE day BETWEEN ? AND ? "
           f"AND lower(page) LIKE ? ESCAPE '\\' GROUP BY ALL")
    started = time.perf_counter()
    rows = con.execute(sql, [first, last, like(pattern.lower())]).fetchall()
    seconds = time.perf_counter() - started
    return seconds * 1000, sorted([str(cell) for cell in row] for row in rows)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench mapp-analysis", description=__doc__.split("\n\n")[0])
    parser.add_argument("--hits", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--calls", type=int, default=40)
    parser.add_argument("--db", help="database URL (default: SQLite in a temporary directory)")
    parser.add_argument("--reuse", action="store_true", help="measure the data --db already holds instead of writing it")
    parser.add_argument("--csv", type=Path, help="the hits for DuckDB (default: beside a SQLite --db, else temporary)")
    parser.add_argument("--kinds", default=",".join(KINDS),
                        help=f"the analyses of the mix, comma-separated (default: all of {', '.join(KINDS)})")
    parser.add_argument("--rebuild", action="store_true",
                        help="delete the month's pre-aggregates and time computing them again (Pages, day totals)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    kinds = [kind.strip() for kind in args.kinds.split(",") if kind.strip()]
    if not kinds or any(kind not in KINDS for kind in kinds):
        parser.error(f"--kinds: choose from {', '.join(KINDS)}")
    if args.reuse and not args.db:
        parser.error("--reuse needs --db")
    first_day = date(2024, 5, 1)
    day_names = [(first_day + timedelta(days=k)).isoformat() for k in range(args.days)]
    with tempfile.TemporaryDirectory(prefix="polytrack-bench-") as tmp:
        tmpdir = Path(tmp)
        db = args.db or f"sqlite:///{tmpdir / 'analysis.db'}"
        csv_path = args.csv
        if csv_path is None:
            sqlite_file = make_url(db).database if make_url(db).get_backend_name() == "sqlite" else None
            csv_path = Path(f"{sqlite_file}.hits-{args.hits}-{args.days}.csv") if args.db and sqlite_file else tmpdir / "hits.csv"
        written, build_seconds = prepare_database(db, args, first_day)
        print(f"{'wrote' if written else 'reused'} {args.hits // 4 * 4:,} hits in {db.split('?')[0]}"
              + (f" ({build_seconds:.0f} s)" if written else " (not written again: --reuse)"), flush=True)
        rebuild_seconds = rebuild(db) if args.rebuild else None
        if not csv_path.exists():
            write_csv(csv_path, args.hits, args.days, first_day)
        duck = duckdb.connect()
        duck.execute(f"CREATE TABLE hits AS SELECT * FROM read_csv_auto('{csv_path}', types={{'day': 'VARCHAR'}})")

        mix = [(kind, pattern, span) for kind in kinds for pattern in FILTERS for span in ranges(args.days)]
        rng = random.Random(11)
        # the first call, not counted in the medians: the analysis over the whole month,
        # which brings the month's pre-aggregates of Pages up to date (on a database just
        # written, the hits of every day are new to them)
        calls: list[tuple] = [("pages", FILTERS[0], (0, args.days - 1))]
        while len(calls) < args.calls + 1:
            choice = rng.choice(mix)
            if not calls or calls[-1] != choice:
                calls.append(choice)
        config_file = tmpdir / "bench.toml"
        config_file.write_text("rate_limits = false\n")
        port = servers.free_port()
        url = f"http://127.0.0.1:{port}"
        command = servers.polytrack_command("serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
                                            "--db", db, "--config", str(config_file), "--osmand-port", "0")
        figures: dict[str, list[tuple[float, float]]] = {}
        first_call_ms = None
        with servers.running(command, url + "/_polytrack/health", log_path=tmpdir / "polytrack.log"), \
                httpx.Client(base_url=url, timeout=600) as client:
            def rpc(method: str, params: dict):
                body = client.post("/cgi-bin/wt/JSONRPC.cgi", json={"method": method, "params": params, "version": "1.1"}).json()
                if "result" not in body:
                    raise SystemExit(f"{method} failed: {body}")
                return body["result"]

            token = rpc("login", {"customerId": CUSTOMER_ID, "login": "bench", "pass": "bench-pass"})
            for kind, pattern, (first, last) in calls:
                objects, metrics = KINDS[kind]
                config = {"analysisObjects": [{"title": title, "rowLimit": 10_000} for title in objects],
                          "metrics": [{"title": title} for title in metrics],
                          "analysisFilter": {"filterRules": [{"objectTitle": "Pages", "comparator": "=", "filter": pattern}]},
                          "hideFooters": 1, "startTime": day_names[first], "stopTime": day_names[last]}
                started = time.perf_counter()
                result = rpc("getAnalysisData", {"token": token, "analysisConfig": config})
                ms = (time.perf_counter() - started) * 1000
                duck_ms, expected = duckdb_answer(duck, kind, pattern, day_names[first], day_names[last])
                rows = result["analysisData"]
                if sorted(rows) != expected:
                    raise SystemExit(f"{kind} {pattern} {day_names[first]}..{day_names[last]}: polytrack's rows differ "
                                     f"from DuckDB's ({len(rows)} and {len(expected)} rows)")
                if first_call_ms is None:
                    first_call_ms = ms
                    continue
                whole = "month" if (first, last) == (0, args.days - 1) else "part"
                figures.setdefault(f"{kind} {whole}", []).append((ms, duck_ms))
    medians = {name: (statistics.median(m for m, _ in pairs), statistics.median(d for _, d in pairs), len(pairs))
               for name, pairs in sorted(figures.items())}
    for name, (ms, duck_ms, count) in medians.items():
        print(f"  {name:22s} {count:3d} calls: polytrack median {ms:8.1f} ms, DuckDB {duck_ms:8.1f} ms, "
              f"ratio {ms / duck_ms:.2f}")
    headline = medians.get("pages month")
    summary = {"hits": args.hits // 4 * 4, "days": args.days, "database": db.split(":")[0], "written": written,
               "build_seconds": round(build_seconds, 1), "first_call_ms": round(first_call_ms or 0, 1),
               "calls": len(calls) - 1, "rebuild_seconds": rebuild_seconds,
               "medians": {name: {"ms": round(ms, 1), "duckdb_ms": round(duck_ms, 1), "calls": count}
                           for name, (ms, duck_ms, count) in medians.items()}}
    if headline:
        summary["pages_month_ms"] = round(headline[0], 1)
        summary["pages_month_ratio_to_duckdb"] = round(headline[0] / headline[1], 2)
        print(f"getAnalysisData Pages x (Page Impressions, Visits), wildcard page filters, the whole {args.days} days of "
              f"{summary['hits']:,} hits ({summary['database']}): median {headline[0]:.1f} ms, DuckDB {headline[1]:.1f} ms, "
              f"ratio {headline[0] / headline[1]:.2f}; first call {summary['first_call_ms']} ms; every answer matched DuckDB's")
    if args.json:
        print(json.dumps(summary))
    return 0
