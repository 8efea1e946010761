"""Signed AvidTrak voice webhooks: routing decisions per second, as a ratio to the bare hello app
(goal >= 0.5).

    python -m bench avidtrak-webhooks [--calls 20000] [--numbers 60] [--duration 10] [--rounds 3]
    python -m bench avidtrak-webhooks --in-process [--calls 4000] [--rounds 5]

The demo data plus `--numbers` more tracking numbers (every channel, a third with a round robin,
some with recording, a whisper or a greeting) in a temporary SQLite database. The traffic is
what Twilio sends for `--calls` distinct calls, each signed with the sandbox's token: the
incoming call (routing decision, TwiML), the <Dial> result of the first receiving number
(answered, or no answer and then the second one's), and the final status callback (duration,
talk time charged). Callers and numbers vary; calls to the demo's pro numbers are attributed to
the website visits that were shown them (a minority of the calls). The calls are sent in waves
of 64: the incoming calls of a wave, then their dial results, then their status callbacks, so a
call's steps arrive in order while requests of different calls interleave.

HTTP mode: `polytrack serve` and the hello app on Granian with one worker each, wrk replays the
pool (come round again, requests are retries: answered from what is stored, so size the pool
above the requests a run makes; the printed `new_calls` says how many were new).
`--calls 200 --duration 1 --rounds 1` is the small scale.

`--in-process` calls both ASGI apps directly (no HTTP server, no sockets), 32 concurrent
clients, and prints µs per request (wall and CPU) for the webhook mix and for the hello app's
POST; `--calls 300 --rounds 1` is the small scale.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode

import httpx

from bench import inprocess, servers, wrk
from bench.inprocess import Call, cost
from bench.wrk import Request

SERVER = ("127.0.0.1", 8000)  # in-process: the host the requests are signed for
WAVE = 64  # calls whose steps are sent together (above the connections, so each step follows the last)
ACCOUNT_SID = "AC" + "0" * 32
# The demo's numbers: (number, has a round robin); calls to the pro ones meet recorded visits.
DEMO_NUMBERS = [("4105550100", True), ("4105550103", False), ("4105550104", False), ("4105550105", False),
                ("4105550102", False), ("4105550101", False)]
CHANNELS = ["gppc", "gseo", "bppc", "bseo", "yppc", "direct", "linksource", "universal", ""]


def provision(db: str, extra_numbers: int) -> list[tuple[str, bool]]:
    """The demo, plus `extra_numbers` numbers of joesplumbing (area code 443) configured in
    every way the routing decision knows. Returns every number calls go to."""
    from decimal import Decimal

    from polytrack.avidtrak import billing, demo, domain, numbers
    from polytrack.avidtrak.providers import SandboxProvider
    from polytrack.config import Settings
    from polytrack.services import Services

    servers.run_polytrack("demo", "seed", "--db", db)
    services = Services.build(Settings(db=db))
    targets = list(DEMO_NUMBERS)
    try:
        with services.transaction() as tx:
            joe = domain.account_by_userid(tx, "joesplumbing")
            agency = domain.account_by_userid(tx, "acme_agency")
            assert joe is not None and agency is not None
            now = services.clock.now()
            domain.add_credit(tx, agency, Decimal("100000.00"), "bench credit", now)
            prices = billing.Prices.from_settings(services.settings.api_setting)
            wanted = [f"4435550{100 + k}" for k in range(min(extra_numbers, 100))]
            numbers.purchase(tx, SandboxProvider("bench"), prices, owner=joe, number_type="local", country="US",
                             wanted=wanted, now=now, tz_name="UTC")
            for k, number in enumerate(wanted):
                channel = CHANNELS[k % len(CHANNELS)]
                if channel:
                    numbers.assign(tx, joe, [number], channel, now)
                if k % 5 == 0:
                    numbers.set_forwarding(tx, joe, "sid", [number], f"41055{5000 + k:05d}", "")
                has_list = k % 3 == 0
                if has_list:
                    numbers.insert_round_robin(tx, joe, [number], [
                        numbers.Entry(f"41066{k:03d}01", "", "desk"), numbers.Entry(f"41066{k:03d}02", "12", "cell"),
                        numbers.Entry(f"41066{k:03d}03", "", "backup")], k % 2 == 0, 2 + k % 4)
                settings: dict = {}
                if k % 4 == 0:
                    settings["recording"] = True
                if k % 6 == 0:
                    settings["whisper_message"] = f"Call for line {k} & co"
                if k % 7 == 0:
                    settings["greet_caller"] = "Thanks for calling <Joe's> Plumbing"
                if settings:
                    numbers.update_settings(tx, joe, [number], settings)
                targets.append((number, has_list))
        _ = demo  # the demo's numbers are the first targets
    finally:
        services.engine.dispose()
    return targets


def traffic(base_url: str, token: str, targets: list[tuple[str, bool]], calls: int,
            seed: int = 7) -> list[tuple[str, str, str]]:
    """(path with query, form body, X-Twilio-Signature) for every request of `calls` calls."""
    from polytrack.avidtrak.voice import signature

    rng = random.Random(seed)
    requests: list[tuple[str, str, str]] = []

    def signed(path: str, params: list[tuple[str, str]]) -> tuple[str, str, str]:
        return path, urlencode(params), signature(token, base_url + path, params)

    for wave_start in range(0, calls, WAVE):
        wave = []
        for n in range(wave_start, min(calls, wave_start + WAVE)):
            number, has_list = rng.choice(targets)
            call_sid = f"CA{rng.getrandbits(64):016x}{n:016x}"
            caller = f"+1{rng.choice(['443', '410', '301', '202'])}555{rng.randint(0, 9999):04d}"
            answered_at = rng.choice([1, 1, 1, 2, 0])
            common = [("AccountSid", ACCOUNT_SID), ("CallSid", call_sid), ("From", caller), ("To", "+1" + number),
                      ("Direction", "inbound"), ("ApiVersion", "2010-04-01")]
            incoming = signed("/voice/incoming", common + [
                ("CallStatus", "ringing"), ("CallerName", rng.choice(["", "SMITH JOHN", "DOE JANE"])),
                ("FromCity", "BALTIMORE"), ("FromState", "MD"), ("FromZip", "21201"), ("FromCountry", "US")])
            dials = []
            for step in (1, 2) if has_list and answered_at != 1 else (1,):
                status = "completed" if step == answered_at else rng.choice(["no-answer", "no-answer", "busy"])
                dials.append(signed(f"/voice/dial-result?step={step}", common + [
                    ("CallStatus", "in-progress"), ("DialCallStatus", status),
                    ("DialCallDuration", str(rng.randint(20, 400)) if status == "completed" else "0")]))
            final = signed("/voice/status", common + [("CallStatus", "completed"),
                                                      ("CallDuration", str(rng.randint(5, 600)))])
            wave.append((incoming, dials, final))
        requests += [incoming for incoming, _, _ in wave]
        requests += [dials[0] for _, dials, _ in wave]
        requests += [dials[1] for _, dials, _ in wave if len(dials) > 1]
        requests += [final for _, _, final in wave]
    return requests


def _lua(pool: list[tuple[str, str, str]]) -> str:
    entries = ",\n".join(f'{{"{path}", "{body}", "{sig}"}}' for path, body, sig in pool)
    return f"""
local pool = {{{entries}}}
local counter = 0
request = function()
  counter = counter + 1
  local entry = pool[(counter - 1) % #pool + 1]
  return wrk.format("POST", entry[1], {{["Content-Type"] = "application/x-www-form-urlencoded",
    ["X-Twilio-Signature"] = entry[3]}}, entry[2])
end
"""


def in_process(args) -> int:
    from bench.hello_app import create_app as hello_app
    from polytrack.app import create_app
    from polytrack.avidtrak import demo
    from polytrack.config import Settings
    from polytrack.services import Services

    with tempfile.TemporaryDirectory(prefix="polytrack-bench-") as tmp:
        db = f"sqlite:///{Path(tmp) / 'bench.db'}"
        targets = provision(db, args.numbers)
        services = Services.build(Settings(db=db))
        app, hello = create_app(services=services), hello_app()
        host = f"{SERVER[0]}:{SERVER[1]}"
        token = demo.credentials("", services.settings)["avidtrak"]["twilio_auth_token"]
        form = (b"content-type", b"application/x-www-form-urlencoded")
        pool = [Call("POST", path, (form, (b"x-twilio-signature", sig.encode())), body.encode())
                for path, body, sig in traffic(f"http://{host}", token, targets, args.calls)]
        hello_request = Call("POST", "/", ((b"content-type", b"text/plain"),),
                             b"From=%2B14435550100&To=%2B14105550100")

        async def rounds():
            async with app.router.lifespan_context(app):
                figures: dict[str, list] = {"hello": [], "webhooks": []}
                chunk = len(pool) // args.rounds
                for k in range(args.rounds):
                    figures["hello"].append(await cost(hello, lambda: hello_request, chunk, args.connections,
                                                       server=SERVER))
                    # in order: a call's steps follow each other within a wave
                    requests = iter(pool[k * chunk:(k + 1) * chunk])
                    figures["webhooks"].append(await cost(app, lambda: next(requests), chunk, args.connections,
                                                          accepted=(200, 204), server=SERVER))
                return figures

        figures = asyncio.run(rounds())
        services.engine.dispose()
    inprocess.report(figures, "webhooks")
    print(f"{len(pool)} requests for {args.calls} calls to {len(targets)} numbers")
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench avidtrak-webhooks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=None, help="distinct calls in the pool (the scale)")
    parser.add_argument("--numbers", type=int, default=60, help="tracking numbers besides the demo's (at most 100)")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--in-process", action="store_true", help="ASGI calls without HTTP (µs per request)")
    args = parser.parse_args(argv)
    if args.in_process:
        args.calls, args.rounds = args.calls or 4000, args.rounds or 5
        return in_process(args)
    args.calls, args.rounds = args.calls or 20_000, args.rounds or 3
    with tempfile.TemporaryDirectory(prefix="polytrack-bench-") as tmp:
        tmpdir = Path(tmp)
        db = f"sqlite:///{tmpdir / 'bench.db'}"
        targets = provision(db, args.numbers)
        hello_port, port = servers.free_port(), servers.free_port()
        hello_url, url = f"http://127.0.0.1:{hello_port}", f"http://127.0.0.1:{port}"
        hello_cmd = [sys.executable, "-m", "bench.hello_app", "127.0.0.1", str(hello_port)]
        command = servers.polytrack_command("serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
                                            "--db", db, "--osmand-port", "0")
        with servers.running(hello_cmd, hello_url + "/", log_path=tmpdir / "hello.log"), \
                servers.running(command, url + "/_polytrack/health", log_path=tmpdir / "polytrack.log"):
            creds = json.loads(servers.run_polytrack("demo", "credentials", "--json", "--base-url", url, "--db", db))
            pool = traffic(url, creds["avidtrak"]["twilio_auth_token"], targets, args.calls)
            with httpx.Client(base_url=url, timeout=10) as client:
                path, body, sig = pool[0]
                first = client.post(path, content=body, headers={
                    "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": sig})
                if first.status_code != 200 or b"<Response" not in first.content:
                    raise SystemExit(f"the webhook did not answer TwiML: {first.status_code} {first.text[:200]}")
            hello, hooks, total = [], [], 0
            for _ in range(args.rounds):
                hello.append(wrk.run(hello_url, Request("POST", "/", body="From=%2B14435550100"),
                                     duration=args.duration, connections=args.connections).requests_per_second)
                result = wrk.run(url, Request("POST", "/voice/incoming"), duration=args.duration,
                                 connections=args.connections, lua=_lua(pool))
                if result.bad_responses:
                    raise SystemExit(f"{result.bad_responses} bad responses under load")
                hooks.append(result.requests_per_second)
                total += result.requests
    rps, hello_rps = statistics.median(hooks), statistics.median(hello)
    print(json.dumps({"requests_per_s": round(rps), "hello_per_s": round(hello_rps), "ratio": round(rps / hello_rps, 2),
                      "pool": len(pool), "calls": args.calls, "numbers": len(targets),
                      "new_calls": min(total + 1, len(pool)) * args.calls // len(pool), "requests": total + 1}))
    return 0
