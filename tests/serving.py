"""Real server processes for tests: `polytrack serve` as a subprocess, talked to over a socket."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.pgcluster import free_port

SRC = Path(__file__).resolve().parent.parent / "src"


def polytrack(*args: str) -> list[str]:
    return [sys.executable, "-m", "polytrack", *args]


def child_env(**extra: str) -> dict[str, str]:
    """The test's environment minus any POLYTRACK_* settings, so only the flags given count."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLYTRACK_")}
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")])
    env.update(extra)
    return env


def run(*args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(polytrack(*args), capture_output=True, text=True, timeout=timeout, env=child_env(**env))


class Server:
    """`polytrack serve ...` until stopped; output collected in a file."""

    def __init__(self, *args: str, cwd: Path, port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = cwd / f"serve-{self.port}.log"
        argv = polytrack("serve", "--host", "127.0.0.1", "--port", str(self.port), *args)
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd=cwd, env=child_env(),
                                            start_new_session=True)

    def wait_ready(self, timeout: float = 60) -> "Server":
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited with {self.process.returncode}:\n{self.output()}")
            try:
                if httpx.get(self.url + "/_polytrack/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"server not ready after {timeout} s:\n{self.output()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        """Signal the server (as a service manager or Ctrl-C would) and wait for it to exit."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
                raise AssertionError(f"server ignored {signal.Signals(sig).name} for {timeout} s:\n{self.output()}")
        # Whatever the main process left behind (workers, extra listeners) must be gone too.
        try:
            os.killpg(self.process.pid, 0)
        except ProcessLookupError:
            pass
        else:
            os.killpg(self.process.pid, signal.SIGKILL)
            raise AssertionError("server left child processes running")
        return self.process.returncode

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def __enter__(self) -> "Server":
        return self.wait_ready()

    def __exit__(self, *exc) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
