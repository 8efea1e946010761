"""A throwaway PostgreSQL cluster for the test suite.

initdb refuses to run as root, and CI runs as root: then the cluster is created and run as the
`postgres` system user (the Debian package creates it). The cluster lives in a temporary
directory, listens on a free loopback port, and is destroyed at the end of the session.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


class ClusterError(RuntimeError):
    pass


def _binary(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    if candidates:
        return candidates[0]
    raise ClusterError(f"PostgreSQL binary {name!r} not found; `make test` installs the Debian package postgresql")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="polytrack-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0
        self.url = f"postgresql+psycopg://polytrack@127.0.0.1:{self.port}/polytrack"

    def _run(self, argv: list[str]) -> subprocess.CompletedProcess:
        if self.as_postgres:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise ClusterError(f"{' '.join(argv)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def start(self) -> "Cluster":
        if self.as_postgres:
            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)
        self._run([_binary("initdb"), "-D", str(self.data), "-U", "polytrack", "--auth=trust", "-E", "UTF8", "--no-locale"])
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run([_binary("pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.root / "log"), "-w", "-t", "60", "start"])
        self._wait_ready()
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=polytrack dbname=postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE polytrack")
        return self

    def _wait_ready(self) -> None:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise ClusterError("PostgreSQL did not start listening")

    def stop(self) -> None:
        try:
            self._run([_binary("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"])
        except ClusterError:
            pass
        shutil.rmtree(self.root, ignore_errors=True)
