"""Signed AvidTrak voice webhooks: routing decisions per second, as a ratio to the bare hello app
(goal >= 0.5).

    python -m bench avidtrak-webhooks [--calls 20000] [--duration 10] [--rounds 3] [--connections 32]

Demo data in a temporary SQLite database, `polytrack serve` and the hello app on Granian with
one worker each. wrk replays a pool of `--calls` distinct incoming calls to the demo's Google PPC
number (a round robin, recording, a whisper), each with its own CallSid and its own
X-Twilio-Signature made with the sandbox's token: every request checks the signature, stores a
call, runs the routing decision and answers TwiML. Once the pool is used up the calls come round
again as retries (the same CallSid: the stored decision), so size the pool above the requests a
run makes (the printed `new_calls` says how many were new). `--calls 200 --duration 1
--rounds 1` is the small scale.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode

import httpx

from bench import servers, wrk
from bench.wrk import Request

NUMBER = "+14105550100"


def _lua(pool: list[tuple[str, str]]) -> str:
    bodies = ",\n".join(f'"{body}"' for body, _ in pool)
    signatures = ",\n".join(f'"{signature}"' for _, signature in pool)
    return f"""
local bodies = {{{bodies}}}
local signatures = {{{signatures}}}
local counter = 0
request = function()
  counter = counter + 1
  local k = (counter - 1) % #bodies + 1
  return wrk.format("POST", "/voice/incoming", {{["Content-Type"] = "application/x-www-form-urlencoded",
    ["X-Twilio-Signature"] = signatures[k]}}, bodies[k])
end
"""


def signed_pool(url: str, token: str, calls: int) -> list[tuple[str, str]]:
    from polytrack.avidtrak.voice import signature

    pool = []
    for n in range(calls):
        params = [("CallSid", f"CAbe{n:030x}"), ("AccountSid", "AC" + "0" * 32), ("From", f"+1443555{n % 10000:04d}"),
                  ("To", NUMBER), ("CallStatus", "ringing"), ("Direction", "inbound"), ("ApiVersion", "2010-04-01")]
        pool.append((urlencode(params), signature(token, url, params)))
    return pool


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench avidtrak-webhooks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=20_000, help="distinct signed calls in the pool (the scale)")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="polytrack-bench-") as tmp:
        tmpdir = Path(tmp)
        db = f"sqlite:///{tmpdir / 'bench.db'}"
        servers.run_polytrack("demo", "seed", "--db", db)
        hello_port, port = servers.free_port(), servers.free_port()
        hello_url, url = f"http://127.0.0.1:{hello_port}", f"http://127.0.0.1:{port}"
        hello_cmd = [sys.executable, "-m", "bench.hello_app", "127.0.0.1", str(hello_port)]
        command = servers.polytrack_command("serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
                                            "--db", db, "--osmand-port", "0")
        with servers.running(hello_cmd, hello_url + "/", log_path=tmpdir / "hello.log"), \
                servers.running(command, url + "/_polytrack/health", log_path=tmpdir / "polytrack.log"):
            creds = json.loads(servers.run_polytrack("demo", "credentials", "--json", "--base-url", url, "--db", db))
            pool = signed_pool(url + "/voice/incoming", creds["avidtrak"]["twilio_auth_token"], args.calls)
            with httpx.Client(base_url=url, timeout=10) as client:
                body, signature = pool[0]
                first = client.post("/voice/incoming", content=body, headers={
                    "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature})
                if first.status_code != 200 or b"<Dial" not in first.content:
                    raise SystemExit(f"the webhook did not answer a dial: {first.status_code} {first.text[:200]}")
            hello, hooks, total = [], [], 0
            for _ in range(args.rounds):
                hello.append(wrk.run(hello_url, Request("GET", "/"), duration=args.duration,
                                     connections=args.connections).requests_per_second)
                result = wrk.run(url, Request("POST", "/voice/incoming"), duration=args.duration,
                                 connections=args.connections, lua=_lua(pool))
                if result.bad_responses:
                    raise SystemExit(f"{result.bad_responses} bad responses under load")
                hooks.append(result.requests_per_second)
                total += result.requests
    rps, hello_rps = statistics.median(hooks), statistics.median(hello)
    print(json.dumps({"decisions_per_s": round(rps), "hello_per_s": round(hello_rps), "ratio": round(rps / hello_rps, 2),
                      "pool": args.calls, "new_calls": min(total + 1, args.calls), "requests": total + 1}))
    return 0
