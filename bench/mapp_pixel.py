"""Mapp's tracking pixel over HTTP: hits per second on one worker, as a ratio to the bare hello
app, and batches from concurrent senders.

    python -m bench mapp-pixel [--duration 10] [--connections 32] [--senders 10] [--batch-lines 100] [--json]
    python -m bench mapp-pixel --in-process [--connections 32] [--rounds 5]

Serves polytrack (one worker, SQLite) with one account and the hello app; wrk sends
`GET /<trackId>/wt?p=...` hits (each one a new visitor's page view, so every hit is stored and
sessionised) and `GET /` to the hello app for `--duration` seconds each; then `--senders`
threads post `POST /<trackId>/batch` bodies of `--batch-lines` hits each for `--duration`
seconds. Every hit is acknowledged only once stored, and the stored count is checked at the end.
A worker's background sessionisation yields to its busy pixel for up to 15 s of backlog
(collect/sessions.py), so a `--duration` of 10 measures a burst; `--duration 60` the rate
sustained while sessionisation keeps up. The output says how many hits were still pending.

The hits are varied as a site's traffic is: a few thousand visitors who each come back for
several page views in a row, 300 pages in content groups, referrers and search phrases, campaign
entries, custom parameters, clicks and orders, and a dozen browsers' user agents.

`--in-process` calls both ASGI apps directly (no HTTP server, no sockets) with the same varied
hits, `--connections` at a time, and reports µs per request (wall and CPU time of the process),
then the background sessionisation of what the pixel stored, in µs per hit.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from bench import inprocess, servers, wrk
from bench.inprocess import Call, cost

TRACK_ID = "123451234512345"
# wrk sends varied hits: 5,000 visitors, 300 pages in 6 content groups, a referrer on one hit in
# seven, a campaign on one in eleven, a click on one in five, an order on one in 40
VARIED_HITS = """
counter = 0
local referrers = {"https%3A%2F%2Fwww.google.de%2Fsearch%3Fq%3Dred%2Bshoes", "https%3A%2F%2Fnews.example.org%2Fa",
                   "https%3A%2F%2Fwww.bing.com%2Fsearch%3Fq%3Dsale"}
request = function()
  counter = counter + 1
  local visitor = math.random(1, 5000)
  local page = math.random(0, 299)
  local path = string.format("/%s/wt?p=600,shop.product.%d,1,1920x1080,24,1,%d,0,1280x720,0&eid=w%d&cg1=group%d&cp3=v%d",
    "{track}", page, 1700000000000 + counter, visitor, page % 6, counter % 17)
  if counter % 7 == 0 then path = path .. "&pu=https%3A%2F%2Fshop.example%2Fp" .. page .. "&r=" .. referrers[counter % 3 + 1] end
  if counter % 11 == 0 then path = path .. "&mc=newsletter." .. (counter % 4) end
  if counter % 5 == 0 then path = path .. "&ct=add.to.basket" end
  if counter % 40 == 0 then path = path .. "&ba=sku" .. page .. "&co=" .. (page + 9.99) .. "&qn=1&oi=o" .. counter end
  return wrk.format(nil, path)
end
"""
USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36 Edg/124.0",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
]


def varied_hit(counter: int, start_ms: int = 1_717_200_000_000) -> str:
    """The query string of hit number `counter`: like VARIED_HITS, with the visitor and page
    drawn from the counter (deterministic), one hit per visitor every few seconds."""
    visitor = (counter * 7919) % 5000
    page = (counter * 104_729) % 300
    query = (f"p=600,shop.product.{page},1,1920x1080,24,1,{start_ms + counter * 50},0,1280x720,0&eid=w{visitor}"
             f"&cg1=group{page % 6}&cp3=v{counter % 17}&la=de-{'DE' if counter % 3 else 'AT'}")
    if counter % 7 == 0:
        query += f"&pu=https%3A%2F%2Fshop.example%2Fp{page}&r=https%3A%2F%2Fwww.google.de%2Fsearch%3Fq%3Dred%2Bshoes"
    if counter % 11 == 0:
        query += f"&mc=newsletter.{counter % 4}"
    if counter % 5 == 0:
        query += "&ct=add.to.basket"
    if counter % 40 == 0:
        query += f"&ba=sku{page}&co={page + 9.99}&qn=1&oi=o{counter}"
    return query


def in_process(args) -> int:
    import asyncio

    from bench.hello_app import create_app as hello_app
    from polytrack.app import create_app
    from polytrack.config import Settings
    from polytrack.mapp.collect.sessions import Sessioniser
    from polytrack.services import Services

    with tempfile.TemporaryDirectory(prefix="polytrack-bench-") as tmp:
        db = f"sqlite:///{Path(tmp) / 'pixel.db'}"
        servers.run_polytrack("migrate", "--db", db)
        servers.run_polytrack("admin", "mapp", "create-account", "--title", "Bench", "--customer-id", TRACK_ID, "--db", db)
        services = Services.build(Settings(db=db))
        pixel, hello = create_app(services=services), hello_app()
        start_ms = int(time.time() * 1000) - 3_600_000
        counter = 0

        def next_hit() -> Call:
            nonlocal counter
            counter += 1
            agent = USER_AGENTS[counter % len(USER_AGENTS)]
            return Call("GET", f"/{TRACK_ID}/wt?{varied_hit(counter, start_ms)}", ((b"user-agent", agent.encode()),))

        async def rounds():
            await cost(pixel, next_hit, 640, args.connections)  # warm caches
            figures: dict[str, list] = {"hello": [], "pixel": [], "pixel_one_at_a_time": []}
            for _ in range(args.rounds):
                figures["hello"].append(await cost(hello, lambda: Call("GET", "/"), 3200, args.connections))
                figures["pixel"].append(await cost(pixel, next_hit, 3200, args.connections))
                figures["pixel_one_at_a_time"].append(await cost(pixel, next_hit, 640, 1))
            return figures

        figures = asyncio.run(rounds())
        # what the pixel left for the background: sessionised here, timed per hit
        with sqlite3.connect(Path(tmp) / "pixel.db") as check:
            settled = check.execute("SELECT count(*) FROM mapp_hits WHERE pending").fetchone()[0]
        wall, cpu = time.perf_counter(), time.process_time()
        Sessioniser(services).settle_all()
        session_cost = ((time.perf_counter() - wall) / max(settled, 1) * 1e6,
                        (time.process_time() - cpu) / max(settled, 1) * 1e6)
        services.engine.dispose()
    inprocess.report(figures, "pixel", as_json=args.json)
    print(f"sessionised afterwards {settled} hits: {session_cost[0]:.1f} µs/hit wall  {session_cost[1]:.1f} µs CPU")
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench mapp-pixel", description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--senders", type=int, default=10)
    parser.add_argument("--batch-lines", type=int, default=100)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--pixel-alone", action="store_true",
                        help="no background sessionisation while the pixel is loaded (it shares the cores otherwise)")
    parser.add_argument("--in-process", action="store_true", help="ASGI calls without HTTP (µs per request)")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    if args.in_process:
        return in_process(args)
    with tempfile.TemporaryDirectory(prefix="polytrack-bench-") as tmp:
        tmpdir = Path(tmp)
        db_path = tmpdir / "pixel.db"
        db = f"sqlite:///{db_path}"
        servers.run_polytrack("migrate", "--db", db)
        servers.run_polytrack("admin", "mapp", "create-account", "--title", "Bench", "--customer-id", TRACK_ID, "--db", db)
        hello_port, port = servers.free_port(), servers.free_port()
        hello_url, url = f"http://127.0.0.1:{hello_port}", f"http://127.0.0.1:{port}"
        hello_cmd = [sys.executable, "-m", "bench.hello_app", "127.0.0.1", str(hello_port)]
        command = servers.polytrack_command("serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
                                            "--db", db, "--osmand-port", "0")
        if args.pixel_alone:  # hits stay pending: no sessionisation shares the machine's cores
            command += ["--set", "mapp.background_sessions=false"]
        with servers.running(hello_cmd, hello_url + "/", log_path=tmpdir / "hello.log"), \
                servers.running(command, url + "/_polytrack/health", log_path=tmpdir / "polytrack.log"):
            hello = wrk.run(hello_url, wrk.Request("GET", "/"), duration=args.duration, connections=args.connections)
            pixel = wrk.run(url, wrk.Request("GET", f"/{TRACK_ID}/wt?p=600,home"), duration=args.duration,
                            connections=args.connections, lua=VARIED_HITS.replace("{track}", TRACK_ID))
            if pixel.bad_responses:
                raise SystemExit(f"pixel: {pixel.bad_responses} bad responses under load")
            sent = [0] * args.senders
            stop_at = time.monotonic() + args.duration

            def sender(index: int) -> None:
                with httpx.Client(base_url=url, timeout=60) as client:
                    batch = 0
                    while time.monotonic() < stop_at:
                        first = (index * 1_000_003 + batch * args.batch_lines)
                        body = "\n".join("wt?" + varied_hit(first + k) for k in range(args.batch_lines))
                        response = client.post(f"/{TRACK_ID}/batch", content=body)
                        if response.status_code != 200:
                            raise RuntimeError(f"batch answered {response.status_code}")
                        sent[index] += args.batch_lines
                        batch += 1

            started = time.perf_counter()
            threads = [threading.Thread(target=sender, args=(index,)) for index in range(args.senders)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            batch_seconds = time.perf_counter() - started
        with sqlite3.connect(db_path) as check:
            stored, pending = check.execute("SELECT count(*), count(*) FILTER (WHERE pending) FROM mapp_hits").fetchone()
    expected = pixel.requests + sum(sent)
    if stored < expected:
        raise SystemExit(f"{expected} hits acknowledged, {stored} stored")
    figures = {"hello_rps": round(hello.requests_per_second), "pixel_hits_per_second": round(pixel.requests_per_second),
               "ratio_to_hello": round(pixel.requests_per_second / hello.requests_per_second, 2),
               "pixel_p99_ms": pixel.latency_p99_ms, "batch_senders": args.senders, "batch_lines": args.batch_lines,
               "batch_hits_per_second": round(sum(sent) / batch_seconds), "stored": stored,
               "pending_at_end": pending}
    # the background sessionisation yields to a busy pixel for up to 15 s of backlog: a run
    # longer than that shows the rate it sustains with sessionisation keeping up
    print(f"pixel GET: {figures['pixel_hits_per_second']} hits/s ({figures['ratio_to_hello']} of hello's "
          f"{figures['hello_rps']}/s, p99 {pixel.latency_p99_ms} ms); {args.senders} senders of {args.batch_lines}-line "
          f"batches: {figures['batch_hits_per_second']} hits/s; {stored} hits stored, {pending} of them not yet "
          "sessionised when the server stopped")
    if args.json:
        print(json.dumps(figures))
    return 0
