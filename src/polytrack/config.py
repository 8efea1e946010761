"""Server configuration: defaults < TOML file < POLYTRACK_* environment < command-line flags."""

from __future__ import annotations

import dataclasses
import json
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ENV_PREFIX = "POLYTRACK_"


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
    log_level: str = "warning"
    # Per-API knobs, as "api.key" -> value, e.g. {"payt.calls_per_minute": 60}.
    api: dict = field(default_factory=dict)

    def public_base_url(self) -> str:
        if self.base_url:
            return self.base_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}"

    def api_setting(self, name: str, default):
        value = self.api.get(name, default)
        return type(default)(value) if default is not None and not isinstance(value, type(default)) else value

    def to_env(self) -> dict[str, str]:
        """All settings as one environment variable, for worker processes."""
        return {ENV_PREFIX + "SETTINGS_JSON": json.dumps(dataclasses.asdict(self))}


_FIELDS = {f.name: f for f in dataclasses.fields(Settings)}


def _coerce(name: str, raw):
    kind = type(getattr(Settings(), name))
    if kind is bool and isinstance(raw, str):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if kind is dict and isinstance(raw, str):
        return json.loads(raw)
    return kind(raw)


def load_settings(*, config_file: str | None = None, overrides: dict | None = None, environ=None) -> Settings:
    environ = os.environ if environ is None else environ
    packed = environ.get(ENV_PREFIX + "SETTINGS_JSON")
    if packed:
        settings = Settings(**json.loads(packed))
    else:
        settings = Settings()
        config_file = config_file or environ.get(ENV_PREFIX + "CONFIG")
        if config_file:
            with open(Path(config_file), "rb") as fh:
                data = tomllib.load(fh)
            data = data.get("polytrack", data)
            for key, value in data.items():
                if key in _FIELDS:
                    setattr(settings, key, _coerce(key, value))
                elif isinstance(value, dict):
                    # [payt] calls_per_minute = 60  ->  api["payt.calls_per_minute"]
                    for sub, subvalue in value.items():
                        settings.api[f"{key}.{sub}"] = subvalue
        for name in _FIELDS:
            env_value = environ.get(ENV_PREFIX + name.upper())
            if env_value is not None and env_value != "":
                setattr(settings, name, _coerce(name, env_value))
    for name, value in (overrides or {}).items():
        if value is not None:
            setattr(settings, name, _coerce(name, value))
    return settings
