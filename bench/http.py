"""HTTP throughput: one cheap authenticated call per API, as a ratio to a bare Starlette app.

    python -m bench http [--duration 10] [--connections 32] [--rounds 3] [--only payt,mapp] [--read-cache off]

In one run: a fresh temporary SQLite database seeded with the demo data; polytrack and the
hello app both on Granian with one worker; rate limits on (their cost is measured) but set
high enough not to trip. Rounds alternate hello and each call, and the median of each is
reported, so slow drift of the machine hits both sides alike. Every call's answer is checked
before and after its load (a rate-limited or failing call is an error, not a figure). When a
call is a POST (Mapp's JSON-RPC), hello also answers the same POST, as a second baseline row:
Granian's cost of reading a request body, which no API work can avoid. `--read-cache off`
measures the calls with polytrack's read caches off (every call reads the database).

To add a call: write a `prepare` function that logs in if needed and returns the `Request`
to replay plus a check of its answer, and list it in CALLS.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from urllib.parse import urlencode

import httpx

from bench import servers, wrk
from bench.wrk import Request

# Limits high enough never to trip during a run (the limiter still does its work per call).
HIGH = 1_000_000_000
RATE_LIMIT_SETTINGS = {
    "payt": {"calls_per_minute": HIGH},
    "mapp": {"requests_per_period": HIGH, "requests_per_period_sec": HIGH},
    "avidtrak": {"calls_per_minute": HIGH},
    "trackier": {"calls_per_minute": HIGH},
}


class Unavailable(Exception):
    """The API (or the operation) is not built yet; the call is left out of this run."""


Check = Callable[[httpx.Response], bool]


@dataclass
class Call:
    name: str  # shown in the table
    api: str  # key in `polytrack demo credentials`
    prepare: Callable[[httpx.Client, dict], tuple[str, Request, Check]]  # -> (label, request, check)


def _replay(client: httpx.Client, request: Request) -> httpx.Response:
    return client.request(request.method, request.path, headers=request.headers, content=request.body or None)


def _first_working(client: httpx.Client, candidates: list[tuple[str, Request, Check]]) -> tuple[str, Request, Check]:
    """The first candidate whose answer passes its check (preferred operation first)."""
    for label, request, check in candidates:
        if check(_replay(client, request)):
            return label, request, check
    raise Unavailable("no candidate operation answered as expected")


def _payt_json(response: httpx.Response) -> dict:
    """PAYT datasets carry unquoted `new Date(ms)` cells (JavaScript, not JSON): read them as numbers."""
    return json.loads(re.sub(r"new Date\((-?\d+)\)", r"\1", response.text))


def _payt_envelope_ok(response: httpx.Response) -> bool:
    return response.status_code == 200 and _payt_json(response).get("status") == "ok"


def _payt_reason(reason: str) -> Check:
    def check(response: httpx.Response) -> bool:
        body = _payt_json(response)
        return body.get("status") == "error" and body["errors"][0]["reason"] == reason
    return check


def payt(client: httpx.Client, creds: dict):
    c = creds["payt"]
    login = client.get("/api2.ashx", params={"op": "Authenticate", "subop": "Login", "username": c["username"], "password": c["password"]})
    ticket = login.json().get("ticketid")
    if not ticket:
        raise Unavailable(f"login failed: {login.text[:200]}")
    query = lambda **p: "/api2.ashx?" + urlencode({**p, "ticket": ticket})  # noqa: E731
    return _first_working(client, [
        ("Group/GetByTypeID", Request("GET", query(op="Group", subop="GetByTypeID", groupTypeID=3)), _payt_envelope_ok),
        # Until Group/GetByTypeID exists: ticket check + rate-limit hit + error envelope.
        ("ticket check only (Group/GetByTypeID not built)", Request("GET", query(op="Bench", subop="NoSuchOp")),
         _payt_reason("unsupported_query_operation")),
    ])


def trackerpro(client: httpx.Client, creds: dict):
    c = creds["trackerpro"]
    query = lambda **p: "/trackerpro_admin.ashx?" + urlencode({"key": c["key"], **p})  # noqa: E731
    return _first_working(client, [
        ("Vehicle/GetAllVehiclesForClientID",
         Request("GET", query(op="Vehicle", subop="GetAllVehiclesForClientID", company=c.get("company", "demo"))), _payt_envelope_ok),
        ("admin key check only (Vehicle/GetAllVehiclesForClientID not built)", Request("GET", query(op="Bench", subop="NoSuchOp")),
         _payt_reason("unsupported_query_operation")),
    ])


def _jsonrpc(method: str, params: dict) -> str:
    return json.dumps({"version": "1.1", "method": method, "params": params, "id": 1})


def mapp(client: httpx.Client, creds: dict):
    c = creds["mapp"]
    path = httpx.URL(c["url"]).path
    headers = {"Content-Type": "application/json"}
    login = client.post(path, headers=headers, content=_jsonrpc("login", {"login": c["login"], "pass": c["pass"], "customerId": c["customerId"]}))
    token = login.json().get("result") if login.status_code == 200 else None
    if not isinstance(token, str):
        raise Unavailable(f"login failed: {login.text[:200]}")

    def check(response: httpx.Response) -> bool:
        return response.status_code == 200 and isinstance(response.json().get("result"), list)

    request = Request("POST", path, headers, _jsonrpc("getDynamicTimeIntervalList", {"token": token}))
    return _first_working(client, [("getDynamicTimeIntervalList", request, check)])


def avidtrak(client: httpx.Client, creds: dict):
    c = creds["avidtrak"]
    path = httpx.URL(c["url"]).path + "?" + urlencode({"pincode": c["client_pincode"], "format": "json", "method": "get_remaining_balance"})

    def check(response: httpx.Response) -> bool:
        return response.status_code == 200 and response.json().get("code") == 1

    return _first_working(client, [("get_remaining_balance", Request("GET", path), check)])


def trackier(client: httpx.Client, creds: dict):
    c = creds["trackier"]
    path = httpx.URL(c["url"]).path.rstrip("/") + "/advertiser"

    def check(response: httpx.Response) -> bool:
        return response.status_code == 200 and "data" in response.json()

    return _first_working(client, [("GET /api/advertiser", Request("GET", path, {"X-Api-Key": c["network_api_key"]}), check)])


CALLS = [
    Call("PAYT", "payt", payt),
    Call("TrackerPro", "trackerpro", trackerpro),
    Call("Mapp", "mapp", mapp),
    Call("AvidTrak", "avidtrak", avidtrak),
    Call("Trackier", "trackier", trackier),
]


def _config_toml(read_cache: str = "auto") -> str:
    lines = ["# written by bench/http.py: limits on, but never tripped", "rate_limits = true", "call_log = true",
             f'read_cache = "{read_cache}"']
    for api, knobs in RATE_LIMIT_SETTINGS.items():
        lines.append(f"[{api}]")
        lines.extend(f"{key} = {value}" for key, value in knobs.items())
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench http", description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load per measurement")
    parser.add_argument("--connections", type=int, default=32, help="concurrent wrk connections")
    parser.add_argument("--rounds", type=int, default=3, help="measurements per target (median reported)")
    parser.add_argument("--only", default="", help="comma-separated credential keys, e.g. payt,mapp")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    parser.add_argument("--read-cache", default="auto", choices=("auto", "on", "off"),
                        help="polytrack's read_cache setting (off: every call reads the database)")
    args = parser.parse_args(argv)
    only = {name.strip() for name in args.only.split(",") if name.strip()}

    with tempfile.TemporaryDirectory(prefix="polytrack-bench-") as tmp:
        tmpdir = Path(tmp)
        db = f"sqlite:///{tmpdir / 'bench.db'}"
        config = tmpdir / "bench.toml"
        config.write_text(_config_toml(args.read_cache))
        servers.run_polytrack("demo", "seed", "--db", db)

        hello_port, polytrack_port = servers.free_port(), servers.free_port()
        hello_url, polytrack_url = f"http://127.0.0.1:{hello_port}", f"http://127.0.0.1:{polytrack_port}"
        hello_cmd = [sys.executable, "-m", "bench.hello_app", "127.0.0.1", str(hello_port)]
        polytrack_cmd = servers.polytrack_command(
            "serve", "--host", "127.0.0.1", "--port", str(polytrack_port), "--workers", "1",
            "--db", db, "--config", str(config), "--osmand-port", "0",
        )
        with servers.running(hello_cmd, hello_url + "/", log_path=tmpdir / "hello.log"), \
                servers.running(polytrack_cmd, polytrack_url + "/_polytrack/health", log_path=tmpdir / "polytrack.log"):
            creds = json.loads(servers.run_polytrack("demo", "credentials", "--json", "--base-url", polytrack_url, "--db", db))
            targets: list[tuple[str, str, str, Request, Check | None]] = [("hello", "GET /", hello_url, Request("GET", "/"), None)]
            skipped: list[str] = []
            with httpx.Client(base_url=polytrack_url, timeout=10) as client:
                for call in CALLS:
                    if only and call.api not in only:
                        continue
                    if call.api not in creds:
                        skipped.append(f"{call.name}: package not built yet")
                        continue
                    try:
                        label, request, check = call.prepare(client, creds)
                    except (Unavailable, httpx.HTTPError, ValueError, KeyError) as exc:
                        skipped.append(f"{call.name}: {exc}")
                        continue
                    targets.append((call.name, label, polytrack_url, request, check))
                    if request.body and not any(name == "hello POST" for name, *_ in targets):
                        # The same body to the baseline: how much of the gap is the server's cost of a body.
                        targets.insert(1, ("hello POST", f"POST / ({len(request.body)}-byte body)", hello_url,
                                           Request("POST", "/", request.headers, request.body), None))

            figures: dict[str, list[wrk.WrkResult]] = {name: [] for name, *_ in targets}
            for round_number in range(args.rounds):
                for name, _label, base, request, check in targets:
                    result = wrk.run(base, request, duration=args.duration, connections=args.connections)
                    if result.bad_responses:
                        raise SystemExit(f"{name}: {result.bad_responses} bad responses under load")
                    if check is not None:
                        with httpx.Client(base_url=base, timeout=10) as client:
                            if not check(_replay(client, request)):
                                raise SystemExit(f"{name}: answer no longer as expected after load (rate limited?)")
                    figures[name].append(result)
                    print(f"round {round_number + 1}: {name:<11} {result.requests_per_second:9.0f} req/s", file=sys.stderr)

    hello_rps = statistics.median(r.requests_per_second for r in figures["hello"])
    rows = []
    for name, label, _base, _request, _check in targets:
        runs = figures[name]
        rps = statistics.median(r.requests_per_second for r in runs)
        rows.append({
            "target": name, "call": label, "req_per_s": round(rps), "ratio": round(rps / hello_rps, 2),
            "p50_ms": round(statistics.median(r.latency_p50_ms for r in runs), 2),
            "p99_ms": round(statistics.median(r.latency_p99_ms for r in runs), 2),
        })
    print(f"\nwrk -t1 -c{args.connections} -d{args.duration:g}s, {args.rounds} rounds (median), Granian 1 worker, SQLite,"
          f" read_cache={args.read_cache}; ratios to hello (GET)\n")
    print(f"| {'target':<11} | {'call':<40} | {'req/s':>7} | {'ratio':>5} | {'p50 ms':>6} | {'p99 ms':>6} |")
    print(f"|{'-' * 13}|{'-' * 42}|{'-' * 9}|{'-' * 7}|{'-' * 8}|{'-' * 8}|")
    for row in rows:
        print(f"| {row['target']:<11} | {row['call']:<40} | {row['req_per_s']:>7} | {row['ratio']:>5.2f} | {row['p50_ms']:>6} | {row['p99_ms']:>6} |")
    for line in skipped:
        print(f"skipped: {line}")
    if args.json:
        print(json.dumps({"rows": rows, "skipped": skipped}, indent=2))
    return 0
