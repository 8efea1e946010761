"""The command line: bad usage exits non-zero with a one-line message, never a traceback."""

import json
import re
import socket
import time

import httpx
import pytest

from tests.pgcluster import free_port
from tests.serving import Server, run


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


# --- the printed OsmAnd URL follows the osmand_port setting ----------------------------------

BASE = "http://127.0.0.1:8080"


@pytest.mark.parametrize("setting,expected", [
    (None, "http://127.0.0.1:5055/"),  # the default
    ("15055", "http://127.0.0.1:15055/"),
    ("0", "http://127.0.0.1:8080/osmand"),  # listener off: devices post to the main port's /osmand
])
def test_demo_credentials_print_the_osmand_url_of_the_setting(setting, expected):
    env = {} if setting is None else {"POLYTRACK_OSMAND_PORT": setting}
    as_json = run("demo", "credentials", "--json", "--base-url", BASE, **env)
    assert as_json.returncode == 0, as_json.stderr
    payt = json.loads(as_json.stdout)["payt"]
    assert payt["osmand_url"] == expected and payt["osmand_main_port_url"] == BASE + "/osmand"
    banner = run("demo", "credentials", "--base-url", BASE, **env)
    assert banner.returncode == 0, banner.stderr
    assert f"osmand_url {expected}" in banner.stdout
    if setting is not None:
        assert ":5055" not in banner.stdout


def test_demo_credentials_read_the_osmand_port_from_the_config_file(tmp_path):
    config = tmp_path / "polytrack.toml"
    config.write_text("osmand_port = 6055\n")
    done = run("demo", "credentials", "--json", "--base-url", BASE, "--config", str(config))
    assert json.loads(done.stdout)["payt"]["osmand_url"] == "http://127.0.0.1:6055/"


@pytest.mark.parametrize("listener", ["own port", "off"])
def test_serve_demo_banner_prints_the_osmand_url_devices_can_use(services, database_url, tmp_path, listener):
    osmand_port = free_port() if listener == "own port" else 0
    server = Server("--db", database_url, "--osmand-port", str(osmand_port), "--demo", cwd=tmp_path)
    with server:
        printed = re.search(r"osmand_url (\S+)", server.output())
        assert printed, server.output()
        url = printed.group(1)
        if osmand_port:
            assert url == f"http://127.0.0.1:{osmand_port}/"
        else:
            assert url == f"{server.url}/osmand"
        # the printed URL takes a position from a demo device (the device listener may still be starting)
        fix = {"id": "demo-device-1", "lat": 51.4862, "lon": -0.1229, "timestamp": int(time.time()) - 60}
        deadline = time.monotonic() + 30
        while True:
            try:
                answer = httpx.post(url, params=fix, timeout=5)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert answer.status_code == 200, answer.text
        assert ":5055" not in server.output()
