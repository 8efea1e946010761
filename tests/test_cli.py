"""The command line: bad usage exits non-zero with a one-line message, never a traceback."""

import socket

import pytest

from tests.serving import run


def _fails_cleanly(done, fragment: str) -> None:
    assert done.returncode != 0
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout
    assert fragment.lower() in done.stderr.lower(), done.stderr


@pytest.mark.parametrize("args,fragment", [
    ([], "usage"),
    (["nonsense"], "invalid choice"),
    (["serve", "--port", "eighty"], "invalid int value"),
    (["serve", "--log-level", "loud"], "invalid choice"),
    (["serve", "--workers", "0"], "workers must be at least 1"),
    (["serve", "--port", "70000"], "port must be a TCP port"),
    (["serve", "--set", "nodot"], "--set expects"),
    (["serve", "--db", "nosuchdriver://x/y"], "bad database URL"),
    (["migrate", "--db", "postgresql://nobody@127.0.0.1:1/none"], "database error"),
    (["migrate", "--db", "sqlite:////nonexistent-dir/sub/x.db"], "database error"),
    (["serve", "--config", "/nonexistent/polytrack.toml"], "configuration file not found"),
    (["admin", "payt", "create-user"], "required"),
    (["demo"], "required"),
])
def test_bad_usage(args, fragment):
    _fails_cleanly(run(*args), fragment)


def test_bad_environment_value():
    _fails_cleanly(run("serve", POLYTRACK_PORT="eighty"), "POLYTRACK_PORT")


def test_invalid_toml(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text("port = = 1\n")
    _fails_cleanly(run("serve", "--config", str(config)), "not valid TOML")


def test_port_in_use(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run("serve", "--port", str(port), "--db", f"sqlite:///{tmp_path / 'x.db'}", "--osmand-port", "0", timeout=60)
    _fails_cleanly(done, "address")


def test_migrate_demo_seed_and_reset(tmp_path, database_url, services):
    assert run("migrate", "--db", database_url).returncode == 0
    seeded = run("demo", "seed", "--db", database_url)
    assert seeded.returncode == 0 and "demo data loaded" in seeded.stdout
    assert run("demo", "seed", "--db", database_url).returncode == 0  # idempotent
    reset = run("admin", "reset", "--db", database_url)
    assert reset.returncode == 0 and "all data deleted" in reset.stdout


def test_banner_lists_every_api_and_one_curl_each():
    done = run("demo", "credentials", "--base-url", "http://127.0.0.1:8080")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    curls = [line for line in lines if line.startswith("curl ")]
    assert len(curls) >= 6
    for title in ("PAYT v2", "TrackerPro Admin", "Mapp JSON/RPC", "AvidTrak", "Trackier v1", "operator API"):
        assert f"# {title}" in lines, f"no curl example for {title}"
