"""Trackier custom report over many recorded clicks, over HTTP: grouped by campaign and day (the
goal: <= 300 ms over 10M clicks on SQLite), and the other groupings the daily summary answers.

    python -m bench trackier-report [--clicks 10000000] [--campaigns 20] [--affiliates 20] [--days 90]
                                    [--calls 30] [--scale 1.0] [--db URL] [--reuse]

Builds a network of its own ("bench-report ..."; its name records the parameters) with
`--campaigns` running campaigns (two goals each), `--affiliates` affiliates and `--clicks` clicks
spread over `--days` days ending 2025-12-31 (a conversion for one click in 40, of several
statuses and goals; some refused clicks), written in bulk straight into the tables with the
columns the tracking side fills (local day included), and the daily summary summed from the
same rows as they are written (a rich progress bar shows both). `--db`: a SQLite file or a
PostgreSQL URL instead of a temporary SQLite file; `--reuse`: if that database already holds
this run's data (same parameters), skip writing and only measure (the output says so).

Then polytrack serves (one worker) and `--calls` custom reports are timed one after another,
varied and shuffled, never the same call twice in a row: groupings (campaign + day, day,
affiliate + day, campaign + affiliate, advertiser + month, goal, campaign alone), date ranges (the
whole period, a month, a week) and filters (one or a few campaigns or affiliates). Reported: the
median and max of the campaign + day calls and of all calls. Every answer is checked (HTTP 200;
the whole-period campaign + day report counts every accepted click written). Then `--calls`
/network/stats calls (the five numbers and the count maps per day) over whole, month and week
periods. `--scale` multiplies the clicks (0.0001 for a quick check).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx
from rich.progress import Progress

from bench import servers
from bench.http import _config_toml

BATCH = 50_000
LAST_DAY = date(2025, 12, 31)
NETWORK_KEY = "bench-report-network-key-00000000000000000"
GROUPINGS = (["adid", "created"], ["created"], ["pid", "created"], ["adid", "pid"], ["advertiser", "month"],
             ["goalName"], ["adid"])
FIELDS = ["grossClicks", "uniqueClicks", "approvedConversions", "pendingTotalConversions", "payout", "revenue",
          "profit", "cr", "epc"]
CLICK_COLUMNS = ("object_id", "network_id", "campaign_id", "publisher_id", "landing_page_id", "created_at", "ipaddr",
                 "country", "device", "os", "browser", "source", "is_unique", "rejected", "payout_micros",
                 "revenue_micros", "params", "day", "referer_host")
CONVERSION_COLUMNS = ("object_id", "network_id", "click_id", "campaign_id", "publisher_id", "goal_id", "goal_slot",
                      "created_at", "status", "method", "txn_id", "sale_micros", "currency", "payout_micros",
                      "revenue_micros", "ipaddr", "note", "params", "day")


def network_name(clicks: int, campaigns: int, affiliates: int, days: int) -> str:
    return f"bench-report {clicks} clicks {campaigns} campaigns {affiliates} affiliates {days} days"


def _insert(cursor, dialect: str, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Bulk rows: COPY on PostgreSQL, executemany on SQLite."""
    if dialect == "postgresql":
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        if not cursor.connection.in_transaction:  # our SQLite connections autocommit: one transaction per batch
            cursor.execute("BEGIN")
        cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                           rows)


def build(db_url: str, *, clicks: int, campaigns: int, affiliates: int, days: int, reuse: bool) -> bool:
    """The bench network and its traffic; False when `reuse` found them already written."""
    from polytrack.config import Settings
    from polytrack.kernel.db import make_engine, upgrade
    from polytrack.services import Services
    from polytrack.trackier import campaigns as campaign_domain
    from polytrack.trackier import domain, goals, summary
    from polytrack.trackier.tables import trackier_networks

    upgrade(db_url)
    engine = make_engine(db_url)
    services = Services.build(Settings(db=db_url), engine=engine)
    name = network_name(clicks, campaigns, affiliates, days)
    with engine.connect() as conn:
        existing = conn.execute(trackier_networks.select().where(trackier_networks.c.name.like("bench-report %"))).all()
    if reuse and [row.name for row in existing] == [name]:
        engine.dispose()
        return False
    if existing:
        from polytrack.kernel.db import wipe
        wipe(engine)
    clock = services.clock
    with services.transaction() as db:
        network = domain.create_network(db, clock, name=name, timezone="Asia/Kolkata")
        domain.create_api_key(db, clock, network=network, role="network", key=NETWORK_KEY, ips=[])
        advertisers = [domain.create_user(db, clock, network, user_type="advertiser", data={
            "name": f"Advertiser {n}", "email": f"adv{n}@bench.example", "password": "bench-password"}).id
            for n in range(3)]
        publishers = [domain.create_user(db, clock, network, user_type="publisher", data={
            "name": f"Affiliate {n:03d}", "email": f"aff{n}@bench.example", "password": "bench-password"}).id
            for n in range(affiliates)]
        campaign_goals: dict[int, list[int]] = {}
        for n in range(campaigns):
            campaign, _, _ = campaign_domain.create_campaign(db, clock, network, {
                "title": f"Bench campaign {n + 1:03d}", "url": "https://shop.example/?c={click_id}",
                "status": "active", "advertiser_id": str(advertisers[n % 3]),
                "commissions": [{"payout": 1, "revenue": 2}]})
            for value in ("reg", "ftd"):
                goals.create_goal(db, clock, network, {"goal": {"title": value.upper(), "value": value,
                                                                "type": "public", "ad_id": campaign.object_id,
                                                                "model": "fixed"}})
            campaign_goals[campaign.id] = [goal.id for goal in goals.list_goals(db, campaign)]
    campaign_ids = list(campaign_goals)
    chance = random.Random(7)
    from polytrack.kernel.dates import zone
    local = zone(network.timezone)
    # each day's key, start and length in the network's zone, worked out once (not per click)
    first_day = LAST_DAY - timedelta(days=days - 1)
    day_spans = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        begin = datetime(day.year, day.month, day.day, tzinfo=local).timestamp()
        following = day + timedelta(days=1)
        end = datetime(following.year, following.month, following.day, tzinfo=local).timestamp()
        day_spans.append((day.year * 10000 + day.month * 100 + day.day, begin, end - begin))
    # the daily summary of what is written: (campaign, publisher, goal slot, day) -> its sums
    sums: dict[tuple, dict[str, int]] = {}
    raw = engine.raw_connection()
    cursor = raw.cursor()
    if engine.dialect.name == "sqlite":
        # the clicks come in random time order, so five indexes take random inserts: SQLite's
        # default 2 MB page cache is too small for them; a bulk load is no place for syncs
        cursor.execute("PRAGMA cache_size = -2000000")
        cursor.execute("PRAGMA synchronous = OFF")
        cursor.execute("PRAGMA foreign_keys = OFF")  # the bench writes only ids it has just created
    click_id = 0
    with Progress() as progress:
        writing = progress.add_task("clicks and conversions", total=clicks)
        written = 0
        while written < clicks:
            size = min(BATCH, clicks - written)
            click_rows, conversion_rows = [], []
            for _ in range(size):
                click_id += 1
                day, begin, length = chance.choice(day_spans)
                at = begin + chance.random() * length
                campaign, publisher = chance.choice(campaign_ids), chance.choice(publishers)
                rejected = "geo" if click_id % 97 == 0 else None
                unique = click_id % 3 == 0
                click_rows.append((f"{int(at):08x}{click_id:016x}", network.id, campaign, publisher, None, at,
                                   f"198.51.{click_id % 250}.{click_id % 200}", chance.choice(("IN", "US", "GB")),
                                   "mobile", "Android", "Chrome", None, unique, rejected, 0, 0, "{}", day, None))
                row = sums.setdefault((campaign, publisher, 0, day), dict.fromkeys(summary.COLUMNS, 0))
                if rejected:
                    row["rejected_clicks"] += 1
                    continue
                row["gross_clicks"] += 1
                row["unique_clicks"] += unique
                if click_id % 40 == 0:
                    goal_slot = chance.choice([0, 0, *campaign_goals[campaign]])
                    status = chance.choice(("approved", "approved", "approved", "pending", "rejected"))
                    payout, revenue = (1_000_000, 2_000_000) if goal_slot == 0 else (5_000_000, 8_000_000)
                    elapsed = chance.randint(10, 20000)
                    conversion_rows.append((f"{int(at):08x}{click_id:016x}"[::-1], network.id, click_id, campaign,
                                            publisher, goal_slot or None, goal_slot, at + elapsed, status,
                                            "PostBack URL", None, None, None, payout, revenue, None, None, "{}", day))
                    # the conversion's day is the click's here (elapsed < 1 day is near enough for a bench)
                    row = sums.setdefault((campaign, publisher, goal_slot, day), dict.fromkeys(summary.COLUMNS, 0))
                    row[status] += 1
                    row["gross_revenue"] += revenue
                    if status == "approved":
                        row["payout"] += payout
                        row["revenue"] += revenue
                        if goal_slot == 0:
                            row["default_payout"] += payout
                            row["default_revenue"] += revenue
                            row["default_conversions"] += 1
                        bucket = next(n for n, high in enumerate((120, 600, 1800, 18000, None), 1)
                                      if high is None or elapsed < high)
                        row[f"elapsed{bucket}"] += 1
                    elif status == "pending":
                        row["pending_payout"] += payout
                        row["pending_revenue"] += revenue
            _insert(cursor, engine.dialect.name, "trackier_clicks", ("id", *CLICK_COLUMNS),
                    [(n, *row) for n, row in enumerate(click_rows, click_id - size + 1)])
            _insert(cursor, engine.dialect.name, "trackier_conversions", CONVERSION_COLUMNS, conversion_rows)
            raw.commit()
            written += size
            progress.update(writing, completed=written)
        summing = progress.add_task("daily summary", total=len(sums))
        rows = [(network.id, *key, *(values[name] for name in summary.COLUMNS)) for key, values in sums.items()]
        for offset in range(0, len(rows), BATCH):
            _insert(cursor, engine.dialect.name, "trackier_daily_stats",
                    ("network_id", "campaign_id", "publisher_id", "goal_slot", "day", *summary.COLUMNS),
                    rows[offset:offset + BATCH])
            progress.update(summing, advance=len(rows[offset:offset + BATCH]))
        raw.commit()
    print("the stats' count maps ...")
    with services.transaction() as db:
        summary.add_network_click_meta(db, network.id)
    if engine.dialect.name == "postgresql":  # the bulk rows bypassed the sequence
        cursor.execute("SELECT setval(pg_get_serial_sequence('trackier_clicks', 'id'), (SELECT MAX(id) FROM "
                       "trackier_clicks))")
        raw.commit()
    cursor.execute("ANALYZE")
    raw.commit()
    raw.close()
    engine.dispose()
    return True


def calls(count: int, *, campaigns: list[str], affiliates: list[str], days: int, seed: int = 3) -> list[dict]:
    """`count` varied report calls, shuffled, no identical call twice in a row; the first is
    the whole period by campaign and day (checked against what was written)."""
    chance = random.Random(seed)
    first_day = LAST_DAY - timedelta(days=days - 1)
    whole = {"start": first_day.isoformat(), "end": LAST_DAY.isoformat()}
    made = [{"group[]": ["adid", "created"], "fields[]": FIELDS, **whole}]
    while len(made) < count:
        span = chance.choice((days, min(days, 31), min(days, 7)))
        begin = first_day + timedelta(days=chance.randint(0, days - span))
        params: dict = {"group[]": chance.choice(GROUPINGS + (["adid", "created"],) * 3), "fields[]": FIELDS,
                        "start": begin.isoformat(), "end": (begin + timedelta(days=span - 1)).isoformat()}
        kind = chance.random()
        if kind < 0.25:
            params["adid[]"] = chance.sample(campaigns, chance.randint(1, min(3, len(campaigns))))
        elif kind < 0.4:
            params["pid[]"] = chance.sample(affiliates, chance.randint(1, min(3, len(affiliates))))
        if params != made[-1]:
            made.append(params)
    return made


def stats_calls(count: int, *, days: int, seed: int = 5) -> list[dict]:
    """`count` /network/stats periods: the whole period, a month or a week, anywhere in it,
    never the same twice in a row."""
    chance = random.Random(seed)
    first_day = LAST_DAY - timedelta(days=days - 1)
    made: list[dict] = []
    while len(made) < count:
        span = chance.choice((days, min(days, 31), min(days, 7)))
        begin = first_day + timedelta(days=chance.randint(0, days - span))
        params = {"start": begin.isoformat(), "end": (begin + timedelta(days=span - 1)).isoformat()}
        if not made or params != made[-1]:
            made.append(params)
    return made


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench trackier-report", description=__doc__.split("\n\n")[0])
    parser.add_argument("--clicks", type=int, default=10_000_000)
    parser.add_argument("--campaigns", type=int, default=20)
    parser.add_argument("--affiliates", type=int, default=20)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies the clicks")
    parser.add_argument("--db", default="", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--reuse", action="store_true", help="keep the data --db already holds for these parameters")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    clicks = max(100, int(args.clicks * args.scale))
    with tempfile.TemporaryDirectory(prefix="polytrack-bench-") as tmp:
        tmpdir = Path(tmp)
        db = args.db or f"sqlite:///{tmpdir / 'report.db'}"
        started = time.perf_counter()
        wrote = build(db, clicks=clicks, campaigns=args.campaigns, affiliates=args.affiliates, days=args.days,
                      reuse=args.reuse)
        build_seconds = time.perf_counter() - started
        print("data written" if wrote else "--reuse: the database already holds this data; nothing written",
              f"({build_seconds:.1f} s)")
        config = tmpdir / "bench.toml"
        config.write_text(_config_toml())
        port = servers.free_port()
        url = f"http://127.0.0.1:{port}"
        command = servers.polytrack_command("serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
                                            "--db", db, "--config", str(config), "--osmand-port", "0")
        with servers.running(command, url + "/_polytrack/health", log_path=tmpdir / "polytrack.log"), \
                httpx.Client(base_url=url, timeout=600, headers={"X-Api-Key": NETWORK_KEY}) as client:
            campaigns = [c["_id"] for c in client.get("/api/campaign", params={"active": 0, "limit": 1000}).json()[
                "data"]["campaigns"]]
            affiliates = [a["_id"] for a in client.get("/api/affiliate", params={"limit": 1000}).json()["data"][
                "affiliates"]]
            timings: list[tuple[list[str], float]] = []
            for number, params in enumerate(calls(args.calls, campaigns=campaigns, affiliates=affiliates,
                                                  days=args.days)):
                began = time.perf_counter()
                answer = client.get("/api/network/customReport", params=params)
                timings.append((params["group[]"], (time.perf_counter() - began) * 1000))
                if answer.status_code != 200:
                    raise SystemExit(f"report answered {answer.status_code}: {answer.text[:300]}")
                if number == 0:
                    counted = answer.json()["data"]["total"]["grossClicks"]
                    expected = clicks - clicks // 97
                    if counted != expected:
                        raise SystemExit(f"the report counts {counted} accepted clicks of {expected} written")
            # /network/stats (five numbers and the count maps per day) over varied periods
            stats_timings = []
            for params in stats_calls(args.calls, days=args.days):
                began = time.perf_counter()
                answer = client.get("/api/network/stats", params=params)
                stats_timings.append((time.perf_counter() - began) * 1000)
                if answer.status_code != 200:
                    raise SystemExit(f"stats answered {answer.status_code}: {answer.text[:300]}")
    by_day = [ms for groups, ms in timings if groups == ["adid", "created"]]
    every = [ms for _, ms in timings]
    figures = {"clicks": clicks, "database": db.split(":")[0], "reused": not wrote, "calls": len(every),
               "campaign_day_median_ms": round(statistics.median(by_day), 1),
               "campaign_day_max_ms": round(max(by_day), 1), "all_median_ms": round(statistics.median(every), 1),
               "all_max_ms": round(max(every), 1), "stats_median_ms": round(statistics.median(stats_timings), 1),
               "stats_max_ms": round(max(stats_timings), 1)}
    print(f"\ncustomReport over {clicks} clicks ({args.campaigns} campaigns, {args.affiliates} affiliates, "
          f"{args.days} days, {figures['database']}): campaign + day median {figures['campaign_day_median_ms']} ms "
          f"(max {figures['campaign_day_max_ms']}, {len(by_day)} calls); every grouping median "
          f"{figures['all_median_ms']} ms (max {figures['all_max_ms']}, {len(every)} calls); /network/stats "
          f"median {figures['stats_median_ms']} ms (max {figures['stats_max_ms']}, {len(stats_timings)} calls)")
    if args.json:
        print(json.dumps(figures, indent=2))
    return 0
