"""Trackier custom report grouped by campaign and day over many recorded clicks, over HTTP.

    python -m bench trackier-report [--clicks 10000000] [--campaigns 20] [--days 30] [--calls 5]
                                    [--scale 1.0] [--db URL]

Builds the demo network, `--campaigns` more running campaigns, and `--clicks` clicks spread over
`--days` days before today (a conversion for one click in 50), written in bulk straight into
the tables with the columns the tracking side fills (local day included); serves polytrack (one
worker) and times `GET /api/network/customReport?group[]=adid&group[]=created` over the whole
period, sequentially: the first call and the median of `--calls`. Every answer is checked (one
record per campaign and day with traffic, the clicks summing to what was written). `--scale`
multiplies the clicks (0.0001 for a quick check). `--db`: a database to use instead of a
temporary SQLite file (e.g. a PostgreSQL URL; it is wiped first).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import httpx

from bench import servers
from bench.http import _config_toml

BATCH = 50_000


def build(db_url: str, *, clicks: int, campaigns: int, days: int) -> int:
    """The demo, more campaigns, and the clicks and conversions; how many campaigns run."""
    from polytrack.config import Settings
    from polytrack.demo import seed_demo
    from polytrack.kernel.db import make_engine, upgrade, wipe
    from polytrack.kernel.dates import zone
    from polytrack.services import Services
    from polytrack.trackier import campaigns as campaign_domain
    from polytrack.trackier import demo, domain
    from polytrack.trackier.tables import trackier_campaigns, trackier_clicks, trackier_conversions, trackier_users

    upgrade(db_url)
    engine = make_engine(db_url)
    wipe(engine)
    services = Services.build(Settings(db=db_url), engine=engine)
    seed_demo(services)
    with services.transaction() as db:
        network = domain.network_by_object_id(db, demo.DEMO_NETWORK_ID)
        assert network is not None
        for n in range(campaigns):
            campaign_domain.create_campaign(db, services.clock, network, {
                "title": f"Bench campaign {n + 1:03d}", "url": "https://shop.example/?c={click_id}", "status": "active",
                "advertiser_id": demo.DEMO_ADVERTISERS[n % 2]["_id"],
                "commissions": [{"payout": 1, "revenue": 2}]})
        campaign_ids = db.execute(trackier_campaigns.select().with_only_columns(trackier_campaigns.c.id)
                                  .where(trackier_campaigns.c.network_id == network.id)).scalars().all()
        publisher_ids = db.execute(trackier_users.select().with_only_columns(trackier_users.c.id).where(
            trackier_users.c.network_id == network.id, trackier_users.c.type == "publisher")).scalars().all()
    chance = random.Random(7)
    local = zone(network.timezone)
    today = datetime.now(local).replace(hour=0, minute=0, second=0, microsecond=0)
    first = (today - timedelta(days=days)).timestamp()
    span = days * 86400
    written = 0
    while written < clicks:
        size = min(BATCH, clicks - written)
        click_rows, conversion_rows = [], []
        with engine.begin() as conn:
            base_id = conn.execute(trackier_clicks.select().with_only_columns(
                trackier_clicks.c.id).order_by(trackier_clicks.c.id.desc()).limit(1)).scalar() or 0
            for n in range(size):
                at = first + chance.random() * span
                moment = datetime.fromtimestamp(at, local)
                day = moment.year * 10000 + moment.month * 100 + moment.day
                campaign, publisher = chance.choice(campaign_ids), chance.choice(publisher_ids)
                click_rows.append({
                    "id": base_id + n + 1, "object_id": f"{int(at):08x}{written + n:016x}", "network_id": network.id,
                    "campaign_id": campaign, "publisher_id": publisher, "landing_page_id": None, "created_at": at,
                    "ipaddr": f"198.51.{n % 250}.{n % 200}", "country": chance.choice(("IN", "US", "GB")),
                    "device": "mobile", "os": "Android", "browser": "Chrome", "source": None,
                    "is_unique": n % 3 == 0, "rejected": None, "payout_micros": 0, "revenue_micros": 0,
                    "params": "{}", "day": day, "referer_host": None})
                if n % 50 == 0:
                    conversion_rows.append({
                        "object_id": f"{int(at):08x}{written + n:016x}"[::-1], "network_id": network.id,
                        "click_id": base_id + n + 1, "campaign_id": campaign, "publisher_id": publisher,
                        "goal_id": None, "goal_slot": 0, "created_at": at + 60, "status": "approved",
                        "method": "PostBack URL", "txn_id": None, "sale_micros": None, "currency": None,
                        "payout_micros": 1_000_000, "revenue_micros": 2_000_000, "ipaddr": None, "note": None,
                        "params": "{}", "day": day})
            conn.execute(trackier_clicks.insert(), click_rows)
            if conversion_rows:
                conn.execute(trackier_conversions.insert(), conversion_rows)
        written += size
        print(f"{written} clicks written", end="\r", flush=True)
    print()
    engine.dispose()
    return len(campaign_ids)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench trackier-report", description=__doc__.split("\n\n")[0])
    parser.add_argument("--clicks", type=int, default=10_000_000)
    parser.add_argument("--campaigns", type=int, default=20)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--calls", type=int, default=5)
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies the clicks")
    parser.add_argument("--db", default="", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    clicks = max(100, int(args.clicks * args.scale))
    with tempfile.TemporaryDirectory(prefix="polytrack-bench-") as tmp:
        tmpdir = Path(tmp)
        db = args.db or f"sqlite:///{tmpdir / 'report.db'}"
        started = time.perf_counter()
        running_campaigns = build(db, clicks=clicks, campaigns=args.campaigns, days=args.days)
        build_seconds = time.perf_counter() - started
        config = tmpdir / "bench.toml"
        config.write_text(_config_toml())
        port = servers.free_port()
        url = f"http://127.0.0.1:{port}"
        command = servers.polytrack_command("serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
                                            "--db", db, "--config", str(config), "--osmand-port", "0")
        with servers.running(command, url + "/_polytrack/health", log_path=tmpdir / "polytrack.log"):
            creds = json.loads(servers.run_polytrack("demo", "credentials", "--json", "--base-url", url,
                                                     "--db", db))["trackier"]
            today = datetime.now().date()
            params = {"group[]": ["adid", "created"], "fields[]": ["grossClicks", "approvedConversions", "payout"],
                      "start": (today - timedelta(days=args.days + 1)).isoformat(), "end": today.isoformat()}
            durations = []
            with httpx.Client(base_url=url, timeout=600, headers={"X-Api-Key": creds["network_api_key"]}) as client:
                for _ in range(args.calls + 1):
                    began = time.perf_counter()
                    answer = client.get("/api/network/customReport", params=params)
                    durations.append((time.perf_counter() - began) * 1000)
                    data = answer.json()["data"]
                    counted = data["total"]["grossClicks"]
                    if answer.status_code != 200 or counted < clicks:
                        raise SystemExit(f"report answered {answer.status_code}, {counted} clicks of {clicks}")
                    if len(data["records"]) > running_campaigns * (args.days + 2):
                        raise SystemExit(f"{len(data['records'])} records: more than campaigns x days")
    summary = {"clicks": clicks, "campaigns": running_campaigns, "days": args.days, "records": len(data["records"]),
               "build_s": round(build_seconds, 1), "first_ms": round(durations[0], 1),
               "median_ms": round(statistics.median(durations[1:]), 1), "database": db.split(":")[0]}
    print(f"\ncustomReport group[]=adid&group[]=created over {clicks} clicks ({running_campaigns} campaigns x "
          f"{args.days} days, {summary['database']}): first {summary['first_ms']} ms, median of {args.calls} "
          f"{summary['median_ms']} ms ({summary['records']} records; data built in {summary['build_s']} s)")
    if args.json:
        print(json.dumps(summary, indent=2))
    return 0
