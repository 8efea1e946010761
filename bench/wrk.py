"""Load a URL with wrk (Debian package `wrk`; `make bench` installs it) and read its figures."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field


@dataclass
class Request:
    """One HTTP request, replayed by wrk as fast as the server answers."""

    method: str
    path: str  # path and query string
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""


@dataclass
class WrkResult:
    requests_per_second: float
    requests: int
    latency_p50_ms: float
    latency_p99_ms: float
    bad_responses: int  # non-2xx/3xx answers plus socket errors


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _script(request: Request) -> str:
    lines = [f"wrk.method = {_lua_string(request.method)}", f"wrk.path = {_lua_string(request.path)}"]
    if request.body:
        lines.append(f"wrk.body = {_lua_string(request.body)}")
    for name, value in request.headers.items():
        lines.append(f"wrk.headers[{_lua_string(name)}] = {_lua_string(value)}")
    return "\n".join(lines) + "\n"


def _milliseconds(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def run(base_url: str, request: Request, *, duration: float, connections: int, threads: int = 1,
        lua: str = "") -> WrkResult:
    """`lua`: more of wrk's script after the request's (a `request` function that varies it)."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk not found: `make bench` installs it (Debian package wrk)")
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(_script(request) + lua)
        script.flush()
        argv = [
            "wrk", f"-t{threads}", f"-c{connections}", f"-d{duration:g}s", "--latency",
            "-s", script.name, base_url.rstrip("/") + "/",
        ]
        out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    latency = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.M))

    def pct(key: str) -> float:
        m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", latency.get(key, "0ms"))
        return _milliseconds(m.group(1), m.group(2)) if m else 0.0

    bad = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses:\s+(\d+)", out))
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if errors:
        bad += sum(int(n) for n in errors.groups())
    return WrkResult(rps, total, pct("50"), pct("99"), bad)
