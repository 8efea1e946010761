"""Trackier click redirects: throughput as a ratio to the bare hello app, and latency at a fixed
rate.

    python -m bench trackier-clicks [--duration 10] [--connections 32] [--rounds 3] [--rate 1000]
                                    [--scale 1.0] [--campaigns 40] [--affiliates 60]
    python -m bench trackier-clicks --in-process [--connections 32] [--rounds 5]

In one run: a fresh temporary SQLite database seeded with the demo data plus a bench network of
`--campaigns` running campaigns (some with landing pages, some CPC, one in ten with a generous
daily click cap, so caps are counted for real) and `--affiliates` affiliates, each with a tracking
link on every campaign. The clicks are varied: both link forms (`/{linkId}` and
`/click?campaign_id=&pub_id=`, by display ids), every campaign and affiliate, sub-ids, sources,
landing pages, a dozen user agents and a few hundred visitor addresses (`ipaddr`), shuffled, so
no identical click comes twice in a row and the unique-click marking sees new and repeated
visitors. Every click is recorded and committed, then answered 302 with its cookie.

Throughput: polytrack and the hello app on Granian with one worker each; wrk cycles through the
clicks (a Lua request function) and GET / of hello, alternating, median of the rounds. Latency:
h2load (bench/fixedrate.py) sends the same clicks at a fixed `--rate` requests per second for
`--duration` seconds, whatever the answers' pace, and reports p50 / p99 / max of every click
(its user agent is h2load's own; the paths vary as above), once with h2load's clients in step
(bursts of 20 every 20 ms at 1,000/s) and once spread (one request every millisecond; see
bench/fixedrate.py). `--scale` multiplies duration and rate (0.05 for a quick check);
`--rounds 0` measures latency only.

`--in-process` calls both ASGI apps directly (no HTTP server, no sockets) with the same clicks,
`--connections` at a time, and reports µs per request (wall and CPU time of the process; the
CPU figure moves less when the machine is shared), also with one at a time, and what folding
the spooled clicks into the click table costs per click (`click_fold`: a worker does it in a
thread, every half second).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx

from bench import fixedrate, inprocess, servers, wrk
from bench.inprocess import Call, cost
from bench.http import _config_toml
from bench.wrk import Request

AGENTS = (
    "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 12; SM-G991B) AppleWebKit/537.36 Chrome/119.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 Chrome/121.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 Version/16.6 Mobile Safari/604.1",
    "Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) AppleWebKit/605.1.15 Version/17.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 Version/17.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36",
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
)
COUNTRIES = ("IN", "IN", "US", "US", "GB", "DE", "BR", "")


def provision(db: str, campaigns: int, affiliates: int) -> list[tuple[str, str]]:
    """The bench network on a seeded database; returns its clicks' targets as (link path,
    click-form query) pairs, one per link."""
    from polytrack.config import Settings
    from polytrack.services import Services
    from polytrack.trackier import campaigns as trackier_campaigns
    from polytrack.trackier import domain

    services = Services.build(Settings(db=db))
    clock = services.clock
    targets = []
    with services.transaction() as conn:
        network = domain.create_network(conn, clock, name="Bench Network", timezone="Asia/Kolkata")
        # the click form's display ids also exist in the demo network: the Host decides
        trackier_campaigns.set_tracking_domains(conn, network, ["127.0.0.1"])
        advertiser = domain.create_user(conn, clock, network, user_type="advertiser", data={
            "name": "Bench Advertiser", "email": "bench-advertiser@polytrack.example", "password": "bench-password"})
        publishers = [domain.create_user(conn, clock, network, user_type="publisher", data={
            "name": f"Bench Affiliate {n}", "email": f"bench-affiliate{n}@polytrack.example",
            "password": "bench-password"}) for n in range(affiliates)]
        for n in range(campaigns):
            data = {"title": f"Bench Campaign {n}", "advertiser_id": advertiser.object_id, "status": "active",
                    "url": f"https://offer{n}.example/land?cid={{click_id}}&aff={{aff_id}}&s1={{p1}}&src={{source}}",
                    "model": "cpc" if n % 5 == 4 else "cpa", "fallback_url": f"https://offer{n}.example/closed",
                    "commissions": [{"payout": 0.2, "revenue": 0.3, "coverage": ["ALL"]},
                                    {"payout": 0.4, "revenue": 0.6, "coverage": ["US", "GB"]}]}
            if n % 10 == 9:  # counted on every click, never reached
                data["caps"] = [{"type": "click", "daily": 10_000_000}]
            campaign, _, _ = trackier_campaigns.create_campaign(conn, clock, network, data)
            if n % 3 == 0:
                trackier_campaigns.create_landing_page(conn, clock, campaign, {
                    "title": "Landing", "preview_url": f"https://offer{n}.example/",
                    "url": f"https://offer{n}.example/lp?cid={{click_id}}&c={{campaign_id}}"})
            for publisher in publishers:
                link, _ = trackier_campaigns.create_link(conn, clock, network, campaign, publisher.id, {}, live=True)
                targets.append((f"/{link.object_id}", {"campaign_id": campaign.display_id,
                                                       "pub_id": publisher.display_id}))
    services.engine.dispose()
    return targets


def click_requests(targets: list[tuple[str, str]], count: int, seed: int = 7) -> list[tuple[str, str]]:
    """`count` varied clicks as (path with query, user agent), shuffled: both link forms, sub-ids,
    sources, landing pages, visitor addresses (some repeat, for the unique-click marking)."""
    chance = random.Random(seed)
    requests = []
    for n in range(count):
        link_path, ids = chance.choice(targets)
        params: dict[str, object] = {"p1": f"s{chance.randint(1, 500)}", "ipaddr": f"198.51.{chance.randint(0, 3)}."
                                     f"{chance.randint(1, 250)}"}
        if chance.random() < 0.5:
            params["source"] = f"site{chance.randint(1, 40)}"
        if chance.random() < 0.3:
            params["p2"] = f"kw-{chance.randint(1, 9999)}"
        if chance.random() < 0.2:
            params["url_id"] = 1
        if n % 2:
            path = "/click?" + urlencode({**ids, **params})
        else:
            path = link_path + "?" + urlencode(params)
        requests.append((path, chance.choice(AGENTS)))
    return requests


def _lua(requests: list[tuple[str, str]]) -> str:
    """A wrk request function cycling through the clicks."""
    items = ",\n".join(f'{{{wrk._lua_string(path)}, {wrk._lua_string(agent)}}}' for path, agent in requests)
    return (f"local clicks = {{\n{items}\n}}\nlocal counter = 0\n"
            "request = function()\n  counter = counter + 1\n  local click = clicks[(counter % #clicks) + 1]\n"
            '  return wrk.format("GET", click[1], {["User-Agent"] = click[2]})\nend\n')


def in_process(args) -> int:
    from bench.hello_app import create_app as hello_app
    from polytrack.app import create_app
    from polytrack.kernel.hot import CollectedDB
    from polytrack.trackier import spool
    from polytrack.config import Settings
    from polytrack.services import Services

    with tempfile.TemporaryDirectory(prefix="polytrack-bench-") as tmp:
        db = f"sqlite:///{Path(tmp) / 'clicks.db'}"
        servers.run_polytrack("demo", "seed", "--db", db)
        clicks = click_requests(provision(db, args.campaigns, args.affiliates), 20_000)
        services = Services.build(Settings(db=db))
        app, hello = create_app(services=services), hello_app()
        chance = random.Random(11)
        position = 0

        def next_click() -> Call:
            nonlocal position
            position += 1
            path, agent = clicks[position % len(clicks)]
            country = chance.choice(COUNTRIES)
            headers = ((b"host", b"127.0.0.1"), (b"user-agent", agent.encode()))
            return Call("GET", path, headers + (((b"cf-ipcountry", country.encode()),) if country else ()))

        fold_db = CollectedDB(services.engine)

        def fold(clicks: int) -> tuple[float, float]:
            """Fold the spooled clicks (what the worker does in a thread); µs per click."""
            wall, cpu = time.perf_counter(), time.process_time()
            spool.settle(fold_db)
            return (time.perf_counter() - wall) / clicks * 1e6, (time.process_time() - cpu) / clicks * 1e6

        async def rounds():
            clicked = (200, 302)
            await cost(app, next_click, 8000, args.connections, accepted=clicked)  # warm caches (every link's target)
            fold(8000)
            figures: dict[str, list] = {"hello": [], "click": [], "click_fold": [], "click_one_at_a_time": []}
            for _ in range(args.rounds):
                figures["hello"].append(await cost(hello, lambda: Call("GET", "/"), 3200, args.connections))
                figures["click"].append(await cost(app, next_click, 3200, args.connections, accepted=clicked))
                figures["click_fold"].append(fold(3200))
                figures["click_one_at_a_time"].append(await cost(app, next_click, 640, 1, accepted=clicked))
                fold(640)
            return figures

        figures = asyncio.run(rounds())
        fold_db.close()
        services.engine.dispose()
    inprocess.report(figures, "click", as_json=args.json)
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench trackier-clicks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load per measurement")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections")
    parser.add_argument("--rounds", type=int, default=3, help="throughput measurements per target (median)")
    parser.add_argument("--rate", type=float, default=1000.0, help="requests per second of the latency run")
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies duration and rate")
    parser.add_argument("--campaigns", type=int, default=40, help="running campaigns of the bench network")
    parser.add_argument("--affiliates", type=int, default=60, help="affiliates, each linked to every campaign")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    parser.add_argument("--in-process", action="store_true", help="ASGI calls without HTTP (µs per request)")
    args = parser.parse_args(argv)
    if args.in_process:
        args.rounds = args.rounds if "--rounds" in argv else 5
        return in_process(args)
    # wrk takes whole seconds
    duration, rate = float(max(1, round(args.duration * args.scale))), max(5.0, args.rate * args.scale)

    with tempfile.TemporaryDirectory(prefix="polytrack-bench-") as tmp:
        tmpdir = Path(tmp)
        db = f"sqlite:///{tmpdir / 'clicks.db'}"
        config = tmpdir / "bench.toml"
        config.write_text(_config_toml())
        servers.run_polytrack("demo", "seed", "--db", db)
        clicks = click_requests(provision(db, args.campaigns, args.affiliates), 20_000)
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
            targets = [("hello", hello_url, Request("GET", "/"), ""),
                       ("click", polytrack_url, Request("GET", click_path), _lua(clicks))]
            figures: dict[str, list[wrk.WrkResult]] = {name: [] for name, _, _, _ in targets}
            for round_number in range(args.rounds):
                for name, base, request, lua in targets:
                    result = wrk.run(base, request, duration=duration, connections=args.connections, lua=lua)
                    if result.bad_responses:
                        raise SystemExit(f"{name}: {result.bad_responses} bad responses under load")
                    figures[name].append(result)
                    print(f"round {round_number + 1}: {name:<6} {result.requests_per_second:9.0f} req/s",
                          file=sys.stderr)
            paths = [path for path, _ in clicks]
            latency = fixedrate.run(polytrack_url, paths, rate=rate, duration=duration)
            spread = fixedrate.run(polytrack_url, paths, rate=rate, duration=duration, spread=True)
            for result in (latency, spread):
                if result.failures:
                    raise SystemExit(f"click: {result.failures} of {result.requests} failed at a fixed rate")
            # the floor: the same rates against the bare hello app
            hello_latency = fixedrate.run(hello_url, ["/"], rate=rate, duration=duration)
            hello_spread = fixedrate.run(hello_url, ["/"], rate=rate, duration=duration, spread=True)

    summary: dict = {"fixed_rate": latency.as_dict(), "fixed_rate_spread": spread.as_dict(),
                     "hello_fixed_rate": hello_latency.as_dict(), "hello_fixed_rate_spread": hello_spread.as_dict()}
    if args.rounds:
        hello_rps = statistics.median(r.requests_per_second for r in figures["hello"])
        click_rps = statistics.median(r.requests_per_second for r in figures["click"])
        summary.update(hello_req_per_s=round(hello_rps), click_req_per_s=round(click_rps),
                       ratio=round(click_rps / hello_rps, 2))
        print(f"\nwrk -t1 -c{args.connections} -d{duration:g}s, {args.rounds} rounds (median), Granian 1 worker, "
              "SQLite\n")
        print(f"| target | req/s | ratio |\n|---|---|---|\n| hello GET / | {round(hello_rps)} | 1.00 |\n"
              f"| varied clicks (302, recorded) | {round(click_rps)} | {summary['ratio']:.2f} |")
    print(f"\nh2load at {latency.rate:g} req/s for {duration:g} s\n\n| target | clients | p50 ms | p99 ms | max ms |"
          "\n|---|---|---|---|---|")
    for target, name, result in (("clicks", "in step", latency), ("clicks", "spread", spread),
                                 ("hello GET /", "in step", hello_latency), ("hello GET /", "spread", hello_spread)):
        print(f"| {target} | {name} | {result.p50_ms} | {result.p99_ms} | {result.max_ms} |")
    if args.json:
        print(json.dumps(summary, indent=2))
    return 0
