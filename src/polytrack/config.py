"""Server configuration: defaults < TOML file < POLYTRACK_* environment < command-line flags.

Every field of `Settings` is one setting: TOML key `name` (top level or under `[polytrack]`),
environment variable `POLYTRACK_<NAME>`, flag `--<name>` of `polytrack serve` (see cli.py).
Per-API knobs live in `api` as "<api>.<knob>": TOML `[payt] calls_per_minute = 60`, environment
`POLYTRACK_API='{"payt.calls_per_minute": 60}'`, flag `--set payt.calls_per_minute=60`; the
three sources are merged knob by knob, with the same precedence.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ENV_PREFIX = "POLYTRACK_"
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")
READ_CACHE_MODES = ("auto", "on", "off")


class ConfigError(ValueError):
    """A setting that cannot be used; the message names it."""


@dataclass
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 1
    db: str = "sqlite:///./polytrack.db"
    # Operator token for /_polytrack/; empty = admin HTTP API closed (the demo sets its fixed one).
    admin_token: str = ""
    # Public base URL used in printed credentials and generated links; empty = http://host:port.
    base_url: str = ""
    # Separate listener for GPS devices speaking the OsmAnd protocol (Traccar uses 5055); 0 = off.
    osmand_port: int = 5055
    rate_limits: bool = True
    call_log: bool = True
    # Per-process caches of what API calls read (kernel.coherence): auto = on for SQLite, off
    # for PostgreSQL (servers on other hosts sharing it would not invalidate them); on | off.
    read_cache: str = "auto"
    log_level: str = "warning"
    # Per-API knobs, as "api.key" -> value, e.g. {"payt.calls_per_minute": 60}.
    api: dict = field(default_factory=dict)

    def public_base_url(self) -> str:
        if self.base_url:
            return self.base_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"  # an IPv6 address in a URL
        return f"http://{host}:{self.port}"

    def api_setting(self, name: str, default):
        """A per-API knob ("payt.calls_per_minute"), converted to the type of its default.
        Text from the environment or a flag reads as a boolean the way people write it."""
        value = self.api.get(name, default)
        if default is None or isinstance(value, type(default)):
            return value
        if isinstance(default, bool):
            flag = _truth(value, blank=False)
            if flag is None:
                raise ConfigError(f"api.{name} must be true or false, got {value!r}")
            return flag
        try:
            return type(default)(value)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"api.{name} must be a {type(default).__name__}, got {value!r}") from exc

    def read_cache_on(self, dialect: str) -> bool:
        return self.read_cache == "on" or (self.read_cache == "auto" and dialect == "sqlite")

    def to_env(self) -> dict[str, str]:
        """All settings as one environment variable, for worker processes."""
        return {ENV_PREFIX + "SETTINGS_JSON": json.dumps(dataclasses.asdict(self))}

    def check(self) -> "Settings":
        """Raise ConfigError for values the server cannot run with."""
        for name in ("port", "osmand_port"):
            value = getattr(self, name)
            if not 0 <= value <= 65535 or (name == "port" and value == 0):
                raise ConfigError(f"{name} must be a TCP port (1-65535{', or 0 for off' if name == 'osmand_port' else ''}), got {value}")
        if self.workers < 1:
            raise ConfigError(f"workers must be at least 1, got {self.workers}")
        if self.log_level not in LOG_LEVELS:
            raise ConfigError(f"log_level must be one of {', '.join(LOG_LEVELS)}, got {self.log_level!r}")
        if not self.db:
            raise ConfigError("db must be a database URL")
        if self.read_cache not in READ_CACHE_MODES:
            raise ConfigError(f"read_cache must be one of {', '.join(READ_CACHE_MODES)}, got {self.read_cache!r}")
        return self


_FIELDS = {f.name: f for f in dataclasses.fields(Settings)}
_DEFAULTS = Settings()


def _truth(value, *, blank: bool | None = None) -> bool | None:
    """A boolean the way people write one (true/false, yes/no, on/off, 1/0); `blank` for "";
    None when it is none of these."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    return blank if text == "" else None


def _coerce(name: str, raw, source: str):
    """`raw` (from TOML, the environment or a flag) as the type of setting `name`."""
    kind = type(getattr(_DEFAULTS, name))
    try:
        if kind is bool:
            flag = _truth(raw)
            if flag is None:
                raise ValueError(raw)
            return flag
        if kind is dict:
            value = json.loads(raw) if isinstance(raw, str) else raw
            if not isinstance(value, dict):
                raise ValueError(raw)
            return dict(value)
        if kind is int and isinstance(raw, float) or kind is int and isinstance(raw, bool):
            raise ValueError(raw)
        return kind(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{source}: {name} must be {kind.__name__}, got {raw!r}") from exc


def parse_api_assignment(text: str) -> tuple[str, object]:
    """`payt.calls_per_minute=60` -> ("payt.calls_per_minute", 60); values are read as TOML values
    when they parse as one (numbers, true/false, quoted strings), else kept as text."""
    name, sep, raw = text.partition("=")
    name = name.strip()
    if not sep or "." not in name:
        raise ConfigError(f"--set expects <api>.<knob>=<value>, got {text!r}")
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return name, value


def _read_toml(path: str) -> dict:
    try:
        with open(Path(path), "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"configuration file not found: {path}") from exc
    except OSError as exc:
        raise ConfigError(f"cannot read configuration file {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"configuration file {path} is not valid TOML: {exc}") from exc
    return data.get("polytrack", data)


def load_settings(*, config_file: str | None = None, overrides: dict | None = None, environ=None) -> Settings:
    """Settings from defaults < TOML file < POLYTRACK_* environment < `overrides` (the flags;
    None = not given). Worker processes read the one packed variable `serve` hands them."""
    environ = os.environ if environ is None else environ
    packed = environ.get(ENV_PREFIX + "SETTINGS_JSON")
    if packed:
        return Settings(**json.loads(packed))
    settings = Settings()
    config_file = config_file or environ.get(ENV_PREFIX + "CONFIG")
    if config_file:
        source = f"configuration file {config_file}"
        for key, value in _read_toml(config_file).items():
            if key == "api":
                settings.api.update(_coerce("api", value, source))
            elif key in _FIELDS:
                setattr(settings, key, _coerce(key, value, source))
            elif isinstance(value, dict):
                # [payt] calls_per_minute = 60  ->  api["payt.calls_per_minute"]
                settings.api.update({f"{key}.{sub}": subvalue for sub, subvalue in value.items()})
            else:
                raise ConfigError(f"{source}: unknown setting {key!r}")
    for name in _FIELDS:
        env_value = environ.get(ENV_PREFIX + name.upper())
        if env_value is not None and env_value != "":
            value = _coerce(name, env_value, f"environment variable {ENV_PREFIX}{name.upper()}")
            if name == "api":
                settings.api.update(value)
            else:
                setattr(settings, name, value)
    for name, value in (overrides or {}).items():
        if value is None:
            continue
        if name == "api":
            settings.api.update(value)
        else:
            setattr(settings, name, _coerce(name, value, f"--{name.replace('_', '-')}"))
    return settings
