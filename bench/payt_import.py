"""PAYT bulk import: rows per second of `polytrack payt import` on SQLite.

    python -m bench payt-import [--rows 1000000] [--vehicles 10] [--interval 10]

Writes a CSV of `--rows` positions (vehicles driving and parking on a street grid, one fix
every `--interval` seconds, day and night), provisions the vehicles in a fresh SQLite
database, and runs the real command (`polytrack payt import FILE --quiet`) in a child
process. Reported: the importer's own wall time (parse + insert + derivation) and rows/s,
with derivation shown separately, and the trips/stops/daily rows it derived.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import tempfile
import time
from pathlib import Path

from bench import servers

START = 1_717_200_000  # 2024-06-01 00:00 UTC


def write_csv(path: Path, *, vehicles: int, rows_per_vehicle: int, interval: int = 10, seed: int = 7) -> int:
    """Positions of `vehicles` vehicles; each alternates drives (20-60 min at 20-70 km/h along
    grid streets) and stops (10 min - 2 h). Returns the number of rows written."""
    written = 0
    with open(path, "w") as out:
        out.write("device,timestamp,lat,lon,speed,heading\n")
        for v in range(vehicles):
            rng = random.Random(seed + v)
            lat, lon = 51.45 + rng.random() * 0.1, -0.25 + rng.random() * 0.3
            t, left, driving, speed, heading = START, 0, False, 0.0, 0.0
            lines = []
            for _ in range(rows_per_vehicle):
                if left <= 0:
                    driving = not driving
                    left = rng.randint(120, 360) if driving else rng.randint(60, 720)
                    heading = rng.choice((0.0, 90.0, 180.0, 270.0))
                if driving:
                    if rng.random() < 0.05:  # turn at a junction
                        heading = rng.choice((0.0, 90.0, 180.0, 270.0))
                    speed = rng.uniform(20, 70)
                    step = speed / 3.6 * interval
                    # stay inside the area: head back towards the centre when straying
                    if abs(lat - 51.5) > 0.08 or abs(lon + 0.1) > 0.2:
                        heading = 180.0 if lat > 51.5 else 0.0
                    lat += step * math.cos(math.radians(heading)) / 111_320
                    lon += step * math.sin(math.radians(heading)) / (111_320 * math.cos(math.radians(lat)))
                else:
                    speed = 0.0
                lines.append(f"bench-{v},{t},{lat:.6f},{lon:.6f},{speed:.1f},{heading:.0f}\n")
                t += interval
                left -= 1
                if len(lines) >= 50_000:
                    out.writelines(lines)
                    lines = []
            out.writelines(lines)
            written += rows_per_vehicle
    return written


def provision(db: str, vehicles: int) -> None:
    from polytrack.config import Settings
    from polytrack.kernel.db import upgrade
    from polytrack.payt import admin as payt_admin
    from polytrack.payt import fleet
    from polytrack.services import Services

    upgrade(db)
    services = Services.build(Settings(db=db))
    payt_admin.create_user(services, company="bench", email="bench@bench.example", password="bench-password")
    with services.engine.begin() as conn:
        client_id = fleet.client_id_for(conn, "bench")
        for n in range(vehicles):
            fleet.create_vehicle(conn, services.clock, client_id, registration=f"BN{n:03d}",
                                 device_identifier=f"bench-{n}")
    services.engine.dispose()


def derived_counts(db: str) -> dict:
    from sqlalchemy import create_engine, text

    engine = create_engine(db)
    with engine.connect() as conn:
        counts = {name: conn.execute(text(f"SELECT count(*) FROM payt_{name}")).scalar()
                  for name in ("positions", "trips", "stops", "daily_stats", "events")}
    engine.dispose()
    return counts


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench payt-import", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--vehicles", type=int, default=10)
    parser.add_argument("--interval", type=int, default=10, help="seconds between fixes")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="polytrack-bench-") as tmp:
        tmpdir = Path(tmp)
        db = f"sqlite:///{tmpdir / 'import.db'}"
        csv_path = tmpdir / "positions.csv"
        started = time.perf_counter()
        rows = write_csv(csv_path, vehicles=args.vehicles, rows_per_vehicle=args.rows // args.vehicles,
                         interval=args.interval)
        generated = time.perf_counter() - started
        provision(db, args.vehicles)
        started = time.perf_counter()
        report = json.loads(servers.run_polytrack("payt", "import", str(csv_path), "--quiet", "--db", db))
        wall = time.perf_counter() - started
        counts = derived_counts(db)
        size_mb = csv_path.stat().st_size / 1e6
    figures = {"rows": rows, "csv_mb": round(size_mb, 1), "imported": report["imported"], "bad_rows": report["bad_rows"],
               "import_seconds": report["seconds"], "derive_seconds": report["derive_seconds"],
               "rows_per_second": round(report["imported"] / report["seconds"]),
               "command_wall_seconds": round(wall, 2), **{f"derived_{k}": v for k, v in counts.items()}}
    print(f"generated {rows} rows ({size_mb:.0f} MB CSV) in {generated:.1f} s")
    print(f"polytrack payt import: {report['imported']} rows in {report['seconds']:.2f} s "
          f"({figures['rows_per_second']} rows/s), of which derivation {report['derive_seconds']:.2f} s; "
          f"command wall time {wall:.2f} s")
    print("derived: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    if args.json:
        print(json.dumps(figures))
    return 0 if report["imported"] == rows and report["bad_rows"] == 0 else 1
