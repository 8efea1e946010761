"""config: defaults < TOML file < POLYTRACK_* environment < command-line flags."""

import dataclasses
import re
from pathlib import Path

import pytest

from polytrack.cli import build_parser
from polytrack.config import ConfigError, Settings, load_settings, parse_api_assignment

README = Path(__file__).resolve().parent.parent / "README.md"


def toml(tmp_path, text: str) -> str:
    path = tmp_path / "polytrack.toml"
    path.write_text(text)
    return str(path)


def test_defaults():
    s = load_settings(environ={})
    assert (s.host, s.port, s.workers, s.db) == ("127.0.0.1", 8080, 1, "sqlite:///./polytrack.db")
    assert (s.admin_token, s.base_url, s.osmand_port, s.rate_limits, s.call_log, s.log_level, s.api) == (
        "", "", 5055, True, True, "warning", {})


def test_toml_beats_defaults(tmp_path):
    path = toml(tmp_path, 'port = 9000\nrate_limits = false\n[payt]\ncalls_per_minute = 60\n')
    s = load_settings(config_file=path, environ={})
    assert s.port == 9000 and s.rate_limits is False and s.api == {"payt.calls_per_minute": 60}
    assert s.host == "127.0.0.1"


def test_toml_polytrack_table_and_api_table(tmp_path):
    path = toml(tmp_path, '[polytrack]\nworkers = 3\napi = {"mapp.requests_per_period" = 5}\n[polytrack.trackier]\ncalls_per_minute = 7\n')
    s = load_settings(config_file=path, environ={})
    assert s.workers == 3 and s.api == {"mapp.requests_per_period": 5, "trackier.calls_per_minute": 7}


def test_environment_beats_toml(tmp_path):
    path = toml(tmp_path, 'port = 9000\nhost = "0.0.0.0"\n[payt]\ncalls_per_minute = 60\nticket_idle_seconds = 30\n')
    env = {"POLYTRACK_PORT": "9100", "POLYTRACK_RATE_LIMITS": "off", "POLYTRACK_API": '{"payt.calls_per_minute": 5}'}
    s = load_settings(config_file=path, environ=env)
    assert s.port == 9100 and s.host == "0.0.0.0" and s.rate_limits is False
    # merged knob by knob: the environment's knob wins, the file's other knob stays
    assert s.api == {"payt.calls_per_minute": 5, "payt.ticket_idle_seconds": 30}


def test_flags_beat_environment(tmp_path):
    path = toml(tmp_path, 'port = 9000\nlog_level = "info"\n')
    env = {"POLYTRACK_PORT": "9100", "POLYTRACK_WORKERS": "4", "POLYTRACK_API": '{"a.b": 1, "a.c": 2}'}
    s = load_settings(config_file=path, environ=env, overrides={"port": 9200, "workers": None, "api": {"a.b": 3}})
    assert s.port == 9200 and s.workers == 4 and s.log_level == "info"  # None = flag not given
    assert s.api == {"a.b": 3, "a.c": 2}


def test_config_file_from_environment(tmp_path):
    path = toml(tmp_path, 'admin_token = "from-file"\n')
    assert load_settings(environ={"POLYTRACK_CONFIG": path}).admin_token == "from-file"


def test_empty_environment_values_are_ignored():
    assert load_settings(environ={"POLYTRACK_PORT": ""}).port == 8080


@pytest.mark.parametrize("text,expected", [("1", True), ("yes", True), ("ON", True), ("0", False), ("false", False), ("no", False)])
def test_booleans_from_environment(text, expected):
    assert load_settings(environ={"POLYTRACK_CALL_LOG": text}).call_log is expected


@pytest.mark.parametrize("env,fragment", [
    ({"POLYTRACK_PORT": "eighty"}, "POLYTRACK_PORT: port must be int"),
    ({"POLYTRACK_RATE_LIMITS": "maybe"}, "rate_limits must be bool"),
    ({"POLYTRACK_API": "[1, 2]"}, "api must be dict"),
    ({"POLYTRACK_API": "{not json"}, "api must be dict"),
])
def test_bad_environment_values_name_the_variable(env, fragment):
    with pytest.raises(ConfigError, match=re.escape(fragment)):
        load_settings(environ=env)


@pytest.mark.parametrize("text,fragment", [
    ("port = 'x'\n", "port must be int"),
    ("port = 80.5\n", "port must be int"),
    ("prot = 8080\n", "unknown setting 'prot'"),
    ("port = \n", "not valid TOML"),
])
def test_bad_toml_files_are_config_errors(tmp_path, text, fragment):
    with pytest.raises(ConfigError, match=re.escape(fragment)):
        load_settings(config_file=toml(tmp_path, text), environ={})


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_settings(config_file=str(tmp_path / "nope.toml"), environ={})


def test_packed_settings_for_workers_round_trip():
    original = Settings(port=9, workers=2, api={"payt.calls_per_minute": 3}, rate_limits=False)
    assert load_settings(environ=original.to_env()) == original


@pytest.mark.parametrize("changes,fragment", [
    ({"port": 0}, "port"), ({"port": 70000}, "port"), ({"osmand_port": -1}, "osmand_port"),
    ({"workers": 0}, "workers"), ({"log_level": "loud"}, "log_level"), ({"db": ""}, "db"),
    ({"read_cache": "yes"}, "read_cache"),
])
def test_check_refuses_unusable_values(changes, fragment):
    with pytest.raises(ConfigError, match=fragment):
        dataclasses.replace(Settings(), **changes).check()
    assert Settings(osmand_port=0).check()


@pytest.mark.parametrize("text,expected", [
    ("payt.calls_per_minute=60", ("payt.calls_per_minute", 60)),
    ("mapp.x = 1.5", ("mapp.x", 1.5)),
    ("a.flag=true", ("a.flag", True)),
    ("a.name=hello world", ("a.name", "hello world")),
    ('a.name="quoted"', ("a.name", "quoted")),
])
def test_api_assignments(text, expected):
    assert parse_api_assignment(text) == expected


@pytest.mark.parametrize("text", ["novalue", "nodot=1", "=1"])
def test_bad_api_assignments(text):
    with pytest.raises(ConfigError):
        parse_api_assignment(text)


def test_public_base_url():
    assert Settings().public_base_url() == "http://127.0.0.1:8080"
    assert Settings(host="0.0.0.0", port=81).public_base_url() == "http://127.0.0.1:81"
    assert Settings(host="::1").public_base_url() == "http://[::1]:8080"
    assert Settings(base_url="https://track.example/").public_base_url() == "https://track.example"


def test_api_setting_casts_to_the_default_type():
    s = Settings(api={"payt.calls_per_minute": "60", "x.y": 2})
    assert s.api_setting("payt.calls_per_minute", 600) == 60
    assert s.api_setting("x.y", 1.0) == 2.0 and s.api_setting("missing", 7) == 7


def _serve_options() -> set[str]:
    parser = build_parser()
    serve = parser._subparsers._group_actions[0].choices["serve"]
    return {option for action in serve._actions for option in action.option_strings}


def test_every_setting_has_a_serve_flag():
    options = _serve_options()
    for field in dataclasses.fields(Settings):
        flag = "--set" if field.name == "api" else "--" + field.name.replace("_", "-")
        assert flag in options, f"no flag for setting {field.name}"


def test_flag_values_reach_the_settings():
    from polytrack.cli import settings_from

    args = build_parser().parse_args(["serve", "--port", "9300", "--no-rate-limits", "--set", "payt.calls_per_minute=5"])
    s = settings_from(args, port=args.port, rate_limits=args.rate_limits, api=dict([parse_api_assignment(args.set[0])]))
    assert s.port == 9300 and s.rate_limits is False and s.api["payt.calls_per_minute"] == 5


def test_readme_documents_every_setting():
    text = README.read_text()
    table = [line for line in text.splitlines() if line.startswith("|")]
    for field in dataclasses.fields(Settings):
        env = "POLYTRACK_" + field.name.upper()
        rows = [line for line in table if f"`{env}`" in line]
        assert rows, f"README configuration table lacks {env}"
        flag = "--set" if field.name == "api" else "--" + field.name.replace("_", "-")
        assert f"`{flag}" in rows[0], f"README row of {field.name} lacks its flag"


def test_api_setting_reads_booleans_and_numbers_written_as_text():
    from polytrack.config import ConfigError, Settings

    settings = Settings(api={"x.flag": "false", "y.flag": "On", "z.count": "42", "bad.count": "many"})
    assert settings.api_setting("x.flag", True) is False
    assert settings.api_setting("y.flag", False) is True
    assert settings.api_setting("z.count", 7) == 42
    assert settings.api_setting("missing", 7) == 7
    with pytest.raises(ConfigError):
        settings.api_setting("bad.count", 7)


def test_read_cache_is_on_for_sqlite_and_off_for_postgresql_unless_set():
    assert Settings().read_cache_on("sqlite") and not Settings().read_cache_on("postgresql")
    assert Settings(read_cache="on").read_cache_on("postgresql")
    assert not Settings(read_cache="off").read_cache_on("sqlite")
