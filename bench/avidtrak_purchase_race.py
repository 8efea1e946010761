"""N concurrent AvidTrak purchases of one number: exactly one may win.

    python -m bench avidtrak-purchase-race [--buyers 50] [--workers 4] [--db sqlite|postgresql-url]

A temporary SQLite database (or the PostgreSQL database given by URL, which it must be free to
fill), `--buyers` agencies with credit, `polytrack serve` with `--workers` processes, and
`--buyers` threads that each send purchase_number for the same number at once (a barrier
releases them together). Reports the winners (must be 1), the refusals by error id, and how long
the burst took; fails when more or fewer than one purchase succeeded, or when a balance shows
a charge for a refused purchase. `--buyers 5 --workers 2` is the small scale.
"""

from __future__ import annotations

import argparse
import collections
import json
import tempfile
import threading
import time
from pathlib import Path

import httpx

from bench import servers

NUMBER = "4105550150"


def make_agencies(db_url: str, count: int) -> list[str]:
    """`count` agencies with 10.00 each; their pincodes."""
    from decimal import Decimal

    from polytrack.avidtrak import domain
    from polytrack.avidtrak.server_keys import server_keys
    from polytrack.config import Settings
    from polytrack.kernel.sql import transaction
    from polytrack.services import Services

    services = Services.build(Settings(db=db_url))
    keys, now = server_keys(services.settings), services.clock.now()
    pincodes = []
    with transaction(services.engine) as db:
        for n in range(count):
            created = domain.create_account(db, keys, now, kind="agency", userid=f"racer{n:04d}", password="Racer2024")
            domain.add_credit(db, created.account, Decimal("10.00"), "bench", now)
            pincodes.append(created.pincode)
    services.engine.dispose()
    return pincodes


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench avidtrak-purchase-race", description=__doc__.split("\n\n")[0])
    parser.add_argument("--buyers", type=int, default=50, help="concurrent purchases (the scale)")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--db", default="", help="a database URL (default: a temporary SQLite file)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="polytrack-bench-") as tmp:
        tmpdir = Path(tmp)
        db = args.db or f"sqlite:///{tmpdir / 'bench.db'}"
        servers.run_polytrack("migrate", "--db", db)
        pincodes = make_agencies(db, args.buyers)
        port = servers.free_port()
        url = f"http://127.0.0.1:{port}"
        command = servers.polytrack_command("serve", "--host", "127.0.0.1", "--port", str(port), "--workers",
                                            str(args.workers), "--db", db, "--osmand-port", "0")
        with servers.running(command, url + "/_polytrack/health", log_path=tmpdir / "polytrack.log"):
            barrier = threading.Barrier(args.buyers)
            outcomes: list[str] = []

            def buy(pincode: str) -> None:
                with httpx.Client(base_url=url, timeout=60) as client:
                    barrier.wait()
                    answer = client.post("/webservice/api.php", data={
                        "pincode": pincode, "format": "json", "method": "purchase_number", "number_type": "local",
                        "number[]": NUMBER}).json()
                outcomes.append("purchased" if answer["code"] == 1 else answer["data"]["error"])

            threads = [threading.Thread(target=buy, args=(pincode,)) for pincode in pincodes]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - started
            with httpx.Client(base_url=url, timeout=60) as client:
                balances = collections.Counter(
                    client.get("/webservice/api.php", params={"pincode": pincode, "format": "json",
                                                              "method": "get_remaining_balance"}).json()["data"]["balance"]
                    for pincode in pincodes)
    counts = collections.Counter(outcomes)
    print(json.dumps({"buyers": args.buyers, "workers": args.workers, "outcomes": dict(counts),
                      "balances": dict(balances), "seconds": round(elapsed, 3)}))
    if counts["purchased"] != 1 or balances != collections.Counter({"10.00": args.buyers - 1, "8.00": 1}):
        raise SystemExit("not exactly one winner, or a refused purchase was charged")
    return 0
