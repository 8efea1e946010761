"""What a write-path case can do: the other worker (a second OS process), the Env a case runs
in, and the `case` decorator that registers it in CASES."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from unittest import mock

from polytrack import cli
from polytrack.kernel import db as kernel_db
from polytrack.kernel.coherence import CoherentCache, Generation, generation_for
from tests.conftest import ADMIN_TOKEN

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
KEY, VALUE = "answer", "read before the write"
LONG = 3600.0  # the test caches' max_age: an entry must not age out while a case runs

# What a write must do to the other worker's caches: "main" follows every change but collected
# data's, "collected" (follows_collected=True) follows every change. True: the value is kept.
MAIN = {"main": False, "collected": False}  # a change: both empty
COLLECTED = {"main": True, "collected": False}  # collected data only: the main cache stays
NOTHING = {"main": True, "collected": True}  # a read
# Positions and what is derived from them (imports, re-derivation): the cache following
# collected data must empty; the main one may (the engine moves main today) or may not.
DERIVED = {"collected": False}

T = 1718180000  # 2024-06-12 08:13:20 UTC, before the frozen clock's noon
PASSWORD = "pw-123456"
BOSS = "boss@acme.example"
SHOP = "100000000000001"
MAPP_PATH = "/cgi-bin/wt/JSONRPC.cgi"


# --- the other worker --------------------------------------------------------------------------

_PEER = r"""
import json, sys
from pathlib import Path
from polytrack.kernel.coherence import CoherentCache, Generation

generation = Generation(Path(sys.argv[1]))
caches = {"main": CoherentCache(generation, max_age=3600.0),
          "collected": CoherentCache(generation, follows_collected=True, max_age=3600.0)}
for line in sys.stdin:
    if line.strip() == "store":
        for cache in caches.values():
            cache.lookup("answer")  # catch up with the marker first
            cache.store("answer", "read before the write", cache.snapshot())
    print(json.dumps({name: cache.lookup("answer") is not None for name, cache in caches.items()}), flush=True)
"""


class Peer:
    """A second OS process mapping the generation file, with one cache of each kind."""

    def __init__(self, path: Path):
        self.process = subprocess.Popen([sys.executable, "-c", _PEER, str(path)], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)

    def ask(self, command: str) -> dict:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, f"the peer process ended (exit status {self.process.poll()})"
        return json.loads(line)

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()



def generation_path(engine) -> Path:
    path = generation_for(engine.url).path
    assert path is not None, "the test database must be a file (an in-memory one has no other worker)"
    return path


# --- what a case can do -------------------------------------------------------------------------

@dataclass
class Env:
    http: object
    services: object
    clock: object
    database_url: str
    engine: object
    peer: Peer
    tmp_path: Path
    notes: dict = field(default_factory=dict)  # what the set-ups made, by name
    refill: Callable[[], None] | None = None  # inside `write`: fill the caches again

    # -- the caches of another worker

    @contextlib.contextmanager
    def write(self, expected: dict = MAIN):
        """Fill the other worker's caches, run the block (the write), then check them."""
        generation = Generation(generation_path(self.engine))  # a mapping of our own, not the server's
        caches = {"main": CoherentCache(generation, max_age=LONG),
                  "collected": CoherentCache(generation, follows_collected=True, max_age=LONG)}

        def fill():
            for cache in caches.values():
                cache.lookup(KEY)
                cache.store(KEY, VALUE, cache.snapshot())
            assert {name: cache.lookup(KEY) == VALUE for name, cache in caches.items()} == NOTHING
            assert self.peer.ask("store") == NOTHING

        fill()
        self.refill = fill
        try:
            yield
        finally:
            self.refill = None
        here = {name: caches[name].lookup(KEY) is not None for name in expected}
        there = {name: kept for name, kept in self.peer.ask("check").items() if name in expected}
        assert here == expected, f"another worker's caches in this process after the write (True: kept): {here}"
        assert there == expected, f"another OS process's caches after the write (True: kept): {there}"

    # -- the operator API and the CLI

    def op(self, method: str, path: str, **data) -> dict:
        response = self.http.request(method, path, json=data, headers=ADMIN)
        assert response.status_code in (200, 201), (method, path, response.status_code, response.text)
        return response.json()

    def cli(self, *args: str, refill: bool = True) -> str:
        """`polytrack ARGS --db <the test database>`; its output. Every command that opens the
        database migrates it first, and the migration moves the marker whether or not it changed
        anything (`polytrack migrate` is a case of its own): with `refill`, the caches are filled
        again once the migration is done, so that only the command's own write can empty them."""
        upgrade = kernel_db.upgrade
        migrated = []

        def upgrade_then_refill(url):
            upgrade(url)
            migrated.append(url)
            if self.refill is not None:
                self.refill()

        out, err = io.StringIO(), io.StringIO()
        with contextlib.ExitStack() as stack:
            stack.enter_context(contextlib.redirect_stdout(out))
            stack.enter_context(contextlib.redirect_stderr(err))
            if refill:
                for module in (kernel_db, cli):
                    if getattr(module, "upgrade", None) is upgrade:
                        stack.enter_context(mock.patch.object(module, "upgrade", upgrade_then_refill))
            status = cli.main([*args, "--db", self.database_url])
        assert status == 0, (args, status, err.getvalue())
        # Else the migration's own move of the marker, after the caches were filled, would
        # hide a command whose write moves nothing.
        assert migrated or not refill, f"polytrack {' '.join(args)} no longer migrates through kernel.db.upgrade"
        return out.getvalue()

    # -- the APIs

    def payt(self, op: str, subop: str, **params) -> dict:
        return self.http.get("/api2.ashx", params={"op": op, "subop": subop, **params}).json()

    def trackerpro(self, op: str, subop: str, **params) -> dict:
        return self.http.get("/trackerpro_admin.ashx", params={"key": self.admin_key(), "op": op, "subop": subop,
                                                               **params}).json()

    def mapp(self, method: str, **params) -> dict:
        response = self.http.post(MAPP_PATH, json={"params": params, "version": "1.1", "method": method})
        assert response.status_code == 200
        return response.json()

    def osmand(self, t: int, device: str = "phone-1") -> None:
        response = self.http.get("/osmand", params={"id": device, "lat": "51.5", "lon": "-0.12", "timestamp": str(t)})
        assert response.status_code == 200, response.text

    # -- set-ups (each made once per case)

    def _once(self, name: str, make: Callable):
        if name not in self.notes:
            self.notes[name] = make()
        return self.notes[name]

    def payt_client(self) -> str:
        """Client "acme" (without a user: a password costs a deliberately slow hash)."""
        if "payt_user" not in self.notes:
            self._once("payt_client", lambda: self.op("POST", "/_polytrack/payt/clients", company="acme"))
        return "acme"

    def payt_user(self) -> str:
        """Client "acme" with the user boss@acme.example."""
        self._once("payt_user", lambda: self.op("POST", "/_polytrack/payt/users", company="acme", email=BOSS,
                                                password=PASSWORD))
        return "acme"

    def ticket(self) -> str:
        self.payt_user()

        def login():
            body = self.payt("Authenticate", "Login", username=BOSS, password=PASSWORD)
            assert body["status"] == "ok", body
            return body["ticketid"]
        return self._once("ticket", login)

    def admin_key(self) -> str:
        return self._once("admin_key", lambda: self.op("POST", "/_polytrack/payt/admin-keys", name="integrator",
                                                       key="0123456789ABCDEF0123456789ABCDEF")["key"])

    def ssid(self) -> str:
        def register():
            body = self.trackerpro("Admin", "Register", company="acme", email=BOSS, password=PASSWORD)
            assert body["status"] == "ok", body
            return body["value"]
        return self._once("ssid", register)

    def launch_token(self) -> str:
        def launch():
            body = self.trackerpro("Admin", "Launch", ssid=self.ssid())
            assert body["status"] == "ok", body
            return body["value"]
        return self._once("launch_token", launch)

    def group(self) -> int:
        self.payt_client()
        return self._once("group", lambda: self.op("POST", "/_polytrack/payt/groups", company="acme", type_id=3,
                                                   description="Vans")["id"])

    def vehicle(self) -> int:
        """A vehicle of acme fitted with device phone-1."""
        self.payt_client()
        return self._once("vehicle", lambda: self.op("POST", "/_polytrack/payt/vehicles", company="acme",
                                                     registration="AB12 CDE", device_identifier="phone-1")["id"])

    def grant(self) -> int:
        self.payt_user()
        group = self.group()
        self._once("grant", lambda: self.op("POST", "/_polytrack/payt/permissions", company="acme", email=BOSS,
                                            group_id=group))
        return group

    def mapp_user(self) -> str:
        def make():
            self.op("POST", "/_polytrack/mapp/accounts", title="Shop", customerId=SHOP)
            self.op("POST", "/_polytrack/mapp/users", login="alice", **{"pass": "alice-pass"}, customerIds=[SHOP])
            return "alice"
        return self._once("mapp_user", make)

    def mapp_token(self) -> str:
        self.mapp_user()

        def login():
            body = self.mapp("login", customerId=SHOP, login="alice", **{"pass": "alice-pass"})
            assert "result" in body, body
            return body["result"]
        return self._once("mapp_token", login)

    def agency(self) -> str:
        return self._once("agency", lambda: self.op("POST", "/_polytrack/avidtrak/accounts", kind="agency",
                                                    userid="acme_agency", password="AcmePass1") and "acme_agency")

    def network(self) -> str:
        return self._once("network", lambda: self.op("POST", "/_polytrack/trackier/networks", name="Acme Network")["_id"])

    def trackier_key(self) -> str:
        return self._once("trackier_key", lambda: self.op("POST", f"/_polytrack/trackier/networks/{self.network()}/api-keys",
                                                          role="network")["key"])


@dataclass(frozen=True)
class Case:
    run: Callable[[Env], None]
    routes: tuple[tuple[str, str], ...] = ()  # (method, operator path template) it covers
    operations: tuple[tuple[str, str], ...] = ()  # (API package, operation name) it covers
    commands: tuple[tuple[str, ...], ...] = ()  # CLI commands it covers


CASES: dict[str, Case] = {}


def case(name: str, *, routes=(), operations=(), commands=()):
    def register(run):
        assert name not in CASES, name
        CASES[name] = Case(run, tuple(routes), tuple(operations), tuple(commands))
        return run
    return register
