"""Start and stop server processes for benchmarks."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def polytrack_command(*args: str) -> list[str]:
    """`polytrack ...` with the interpreter running the benchmark (the project's venv)."""
    return [sys.executable, "-m", "polytrack", *args]


def child_env() -> dict[str, str]:
    """Children run the code of the tree this bench lives in, whatever the venv was installed from."""
    pythonpath = os.pathsep.join([str(ROOT), str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])
    return {**os.environ, "PYTHONPATH": pythonpath}


def run_polytrack(*args: str) -> str:
    """Run one `polytrack ...` command to completion; its standard output."""
    done = subprocess.run(polytrack_command(*args), cwd=ROOT, env=child_env(), capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"polytrack {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


@contextmanager
def running(argv: list[str], ready_url: str, *, log_path: Path, timeout: float = 60.0):
    """Run `argv` until the block ends; wait until GET `ready_url` answers 200 first."""
    with open(log_path, "wb") as log:
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env=child_env(), start_new_session=True)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{' '.join(argv)} exited with {process.returncode}; see {log_path}")
            try:
                if httpx.get(ready_url, timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{ready_url} not ready after {timeout:.0f} s; see {log_path}")
            time.sleep(0.1)
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
