"""The Makefile as a new user meets it: `make run ARGS=...` and `make clean`."""

import shutil
import subprocess
from pathlib import Path

import pytest

from polytrack.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def serve_line(*make_args: str) -> str:
    """The `polytrack serve` command `make run` would run (make -n: nothing is run)."""
    done = subprocess.run(["make", "-n", "run", *make_args], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    (line,) = [line for line in done.stdout.splitlines() if "polytrack serve" in line]
    return line


def test_make_run_passes_args_to_serve():
    assert serve_line().rstrip().endswith("serve --demo --host 127.0.0.1 --port 8080 --db sqlite:///./polytrack.db")
    line = serve_line('ARGS=--no-rate-limits --set mapp.requests_per_period_sec=0 --port 9090')
    assert line.endswith("--db sqlite:///./polytrack.db --no-rate-limits --set mapp.requests_per_period_sec=0 --port 9090")
    # a flag given again in ARGS wins over make run's own
    args = build_parser().parse_args(line.split("polytrack ", 1)[1].split())
    assert args.port == 9090 and args.rate_limits is False and args.set == ["mapp.requests_per_period_sec=0"]


def test_make_clean_leaves_only_the_sources(tmp_path):
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    kept = ["src/polytrack/cli.py", "tests/test_cli.py", "tests/js/package.json", "bench/out/results.txt", "tools/new_migration.py", "README.md"]
    made = [".venv/bin/polytrack", "polytrack.db", "polytrack.db-wal", "polytrack.db-shm", "polytrack.db-generation",
            "polytrack.db-avidtrak.secret", "tests/js/node_modules/@webtrekk-smart-pixel/core/index.js",
            "src/polytrack.egg-info/PKG-INFO", ".hypothesis/examples/x", ".pytest_cache/v/x", ".mypy_cache/3.11/x",
            "src/polytrack/__pycache__/cli.cpython-311.pyc", "src/polytrack/payt/__pycache__/x.pyc",
            "tests/__pycache__/x.pyc", "bench/__pycache__/x.pyc", "tools/__pycache__/x.pyc"]
    for name in kept + made:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    done = subprocess.run(["make", "clean"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    left = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert left == sorted(["Makefile", *kept])
    assert not (tmp_path / "src/polytrack/__pycache__").exists() and not (tmp_path / ".venv").exists()
