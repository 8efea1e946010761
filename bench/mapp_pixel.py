"""Mapp's tracking pixel over HTTP: hits per second on one worker, as a ratio to the bare hello
app, and batches from concurrent senders.

    python -m bench mapp-pixel [--duration 10] [--connections 32] [--senders 10] [--batch-lines 100] [--json]

Serves polytrack (one worker, SQLite) with one account and the hello app; wrk sends
`GET /<trackId>/wt?p=...` hits (each one a new visitor's page view, so every hit is stored and
sessionised) and `GET /` to the hello app for `--duration` seconds each; then `--senders`
threads post `POST /<trackId>/batch` bodies of `--batch-lines` hits each for `--duration`
seconds. Every hit is acknowledged only once stored, and the stored count is checked at the end.
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

from bench import servers, wrk

TRACK_ID = "123451234512345"
# wrk varies the visitor per request, so hits do not pile up in one visitor's window
VARY_VISITOR = """
counter = 0
request = function()
  counter = counter + 1
  return wrk.format(nil, string.format("/%s/wt?p=600,product.%d,1,1920x1080,24,1,0,0,1280x720,0&eid=w%d-%d",
    "{track}", counter % 500, counter, math.random(1, 1000000000)))
end
"""


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench mapp-pixel", description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--senders", type=int, default=10)
    parser.add_argument("--batch-lines", type=int, default=100)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
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
        with servers.running(hello_cmd, hello_url + "/", log_path=tmpdir / "hello.log"), \
                servers.running(command, url + "/_polytrack/health", log_path=tmpdir / "polytrack.log"):
            hello = wrk.run(hello_url, wrk.Request("GET", "/"), duration=args.duration, connections=args.connections)
            pixel = wrk.run(url, wrk.Request("GET", f"/{TRACK_ID}/wt?p=600,home"), duration=args.duration,
                            connections=args.connections, lua=VARY_VISITOR.replace("{track}", TRACK_ID))
            if pixel.bad_responses:
                raise SystemExit(f"pixel: {pixel.bad_responses} bad responses under load")
            sent = [0] * args.senders
            stop_at = time.monotonic() + args.duration

            def sender(index: int) -> None:
                with httpx.Client(base_url=url, timeout=60) as client:
                    batch = 0
                    while time.monotonic() < stop_at:
                        body = "\n".join(f"wt?p=600,page.{k % 50},1,0,0,0,0,0,0,0&eid=s{index}-{batch}-{k // 5}"
                                         for k in range(args.batch_lines))
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
            stored = check.execute("SELECT count(*) FROM mapp_hits").fetchone()[0]
    expected = pixel.requests + sum(sent)
    if stored < expected:
        raise SystemExit(f"{expected} hits acknowledged, {stored} stored")
    figures = {"hello_rps": round(hello.requests_per_second), "pixel_hits_per_second": round(pixel.requests_per_second),
               "ratio_to_hello": round(pixel.requests_per_second / hello.requests_per_second, 2),
               "pixel_p99_ms": pixel.latency_p99_ms, "batch_senders": args.senders, "batch_lines": args.batch_lines,
               "batch_hits_per_second": round(sum(sent) / batch_seconds), "stored": stored}
    print(f"pixel GET: {figures['pixel_hits_per_second']} hits/s ({figures['ratio_to_hello']} of hello's "
          f"{figures['hello_rps']}/s, p99 {pixel.latency_p99_ms} ms); {args.senders} senders of {args.batch_lines}-line "
          f"batches: {figures['batch_hits_per_second']} hits/s; {stored} hits stored")
    if args.json:
        print(json.dumps(figures))
    return 0
