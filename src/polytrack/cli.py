"""polytrack serve | migrate | demo ... | admin ... (each API package adds its own commands)."""

from __future__ import annotations

import argparse
import json
import os
import sys

from polytrack.apis import CliError, CliKit, all_packages, operations_table
from polytrack.config import ConfigError, LOG_LEVELS, load_settings, parse_api_assignment


def _add_db_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", help="database URL (sqlite:///path or postgresql://...)")
    parser.add_argument("--config", help="TOML configuration file")


def settings_from(args, **extra):
    overrides = {"db": getattr(args, "db", None), **extra}
    return load_settings(config_file=getattr(args, "config", None), overrides=overrides)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="polytrack", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the server (applies migrations first)")
    _add_db_flags(serve)
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default 8080)")
    serve.add_argument("--workers", type=int, help="worker processes (default 1)")
    serve.add_argument("--osmand-port", type=int, help="OsmAnd device listener port (default 5055; 0 = off)")
    serve.add_argument("--admin-token", help="token for the /_polytrack/ operator API (empty = closed)")
    serve.add_argument("--base-url", help="public base URL for printed credentials and links")
    serve.add_argument("--log-level", choices=LOG_LEVELS, help="server log level (default warning)")
    serve.add_argument("--rate-limits", action=argparse.BooleanOptionalAction, default=None,
                       help="enforce the APIs' rate limits (default on)")
    serve.add_argument("--call-log", action=argparse.BooleanOptionalAction, default=None,
                       help="log every API call to kernel_call_log (default on)")
    serve.add_argument("--read-cache", choices=("auto", "on", "off"), default=None,
                       help="per-process caches of what calls read (default auto: on for SQLite)")
    serve.add_argument("--set", action="append", default=[], metavar="API.KNOB=VALUE",
                       help="a per-API setting, e.g. payt.calls_per_minute=60 (repeatable)")
    serve.add_argument("--demo", action="store_true", help="load the demo data and print credentials and curl commands")
    serve.set_defaults(func=cmd_serve)

    migrate = sub.add_parser("migrate", help="apply database migrations")
    _add_db_flags(migrate)
    migrate.set_defaults(func=cmd_migrate)

    demo = sub.add_parser("demo", help="demo data and sandbox credentials")
    demo_sub = demo.add_subparsers(dest="demo_command", required=True)
    creds = demo_sub.add_parser("credentials", help="print the fixed demo credentials")
    creds.add_argument("--json", action="store_true", help="machine-readable output")
    creds.add_argument("--base-url", default=None, help="base URL to put in the printed URLs")
    _add_db_flags(creds)
    creds.set_defaults(func=cmd_demo_credentials)
    seed = demo_sub.add_parser("seed", help="load the demo data (skips what is already there)")
    _add_db_flags(seed)
    seed.set_defaults(func=cmd_demo_seed)

    apis = sub.add_parser("apis", help="every operation of every API, and whether it is implemented")
    apis.add_argument("--json", action="store_true", help="machine-readable output")
    apis.set_defaults(func=cmd_apis)

    admin = sub.add_parser("admin", help="provision accounts and credentials")
    admin_sub = admin.add_subparsers(dest="api", required=True)
    reset = admin_sub.add_parser("reset", help="delete all data (keeps the schema)")
    _add_db_flags(reset)
    reset.set_defaults(func=cmd_reset)

    kit = CliKit(add_db_flags=_add_db_flags, open_services=open_services)
    for package in all_packages():
        package.register_cli(sub, admin_sub, kit)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # usage errors: argparse prints them and exits with 2
    try:
        return args.func(args) or 0
    except KeyboardInterrupt:
        return 130
    except (CliError, ConfigError) as exc:
        return _fail(str(exc), 2)
    except Exception as exc:
        message = _operational_message(exc)
        if message is None:
            raise  # a bug: keep the traceback
        return _fail(message, 1)


def _fail(message: str, code: int) -> int:
    print(f"polytrack: {message}", file=sys.stderr)
    return code


def _operational_message(exc: Exception) -> str | None:
    """A one-line message for failures of the environment (database unreachable, bad URL,
    migration trouble, files), None for anything else."""
    from alembic.util import CommandError
    from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError

    if isinstance(exc, DBAPIError):
        detail = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else type(exc).__name__
        return f"database error: {detail}"
    if isinstance(exc, ArgumentError):
        return f"bad database URL: {exc}"
    if isinstance(exc, (SQLAlchemyError, CommandError)):
        return f"database error: {str(exc).splitlines()[0]}"
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc}{': ' + str(exc.filename) if exc.filename else ''}"
    return None


def open_services(args):
    """Settings + migrated database + services, for commands that work on the data."""
    from polytrack.kernel.db import upgrade
    from polytrack.services import Services

    settings = settings_from(args)
    upgrade(settings.db)
    return Services.build(settings)


def cmd_migrate(args) -> int:
    from polytrack.kernel.db import upgrade

    settings = settings_from(args)
    upgrade(settings.db)
    print(f"database at {settings.db} is up to date")
    return 0


def cmd_reset(args) -> int:
    from polytrack.kernel.db import wipe

    services = open_services(args)
    wipe(services.engine)
    print("all data deleted")
    return 0


def cmd_demo_seed(args) -> int:
    from polytrack.demo import seed_demo

    seed_demo(open_services(args))
    print("demo data loaded")
    return 0


def cmd_apis(args) -> int:
    table = operations_table(all_packages())
    if args.json:
        print(json.dumps({"apis": table}, indent=2))
        return 0
    for api in table:
        print(f"{api['api']}: {api['implemented']} of {len(api['operations'])} operations implemented")
        for operation in api["operations"]:
            print(f"  {'yes' if operation['implemented'] else 'no ':<4} {operation['name']}")
    return 0


def cmd_demo_credentials(args) -> int:
    from polytrack.demo import credentials

    settings = settings_from(args)  # --config, POLYTRACK_* (e.g. POLYTRACK_OSMAND_PORT)
    base = args.base_url or settings.public_base_url()
    if args.json:
        print(json.dumps(credentials(base, settings), indent=2))
    else:
        print_banner(base, settings)
    return 0


def print_banner(base_url: str, settings, *, database: str | None = None, file=None) -> None:
    """The demo credentials of every API and one curl command each, for a person at a terminal;
    `settings`: the server's (the device listener's URL follows its port)."""
    from rich.console import Console

    from polytrack.demo import credentials, curl_examples

    # soft_wrap: long lines are never broken by rich, so every value and command pastes whole.
    console = Console(file=file or sys.stdout, highlight=False, soft_wrap=True)
    creds = credentials(base_url, settings)
    console.print()
    console.print(f"[bold]polytrack[/bold] sandbox at [bold cyan]{base_url}[/bold cyan]"
                  + (f"  [dim](database {database})[/dim]" if database else ""))
    console.print()
    for name, values in creds.items():
        console.print(f"[bold]{_API_TITLES.get(name, name):<18}[/bold] [cyan]{values.get('url', '')}[/cyan]")
        shown = "   ".join(f"[dim]{k}[/dim] [green]{_shown(v)}[/green]" for k, v in values.items() if k != "url")
        console.print(f"{'':<18} {shown}")
    console.print("\n[bold]Try it[/bold] from another shell (copy a whole line):\n")
    for name, command in curl_examples(base_url, settings):
        console.print(f"[dim]# {_API_TITLES.get(name, name)}[/dim]")
        # Plain text, never wrapped or re-styled, so the line can be pasted as it is.
        console.print(command, markup=False, highlight=False, soft_wrap=True)
    console.print()
    console.file.flush()


_API_TITLES = {"payt": "PAYT v2", "trackerpro": "TrackerPro Admin", "mapp": "Mapp JSON/RPC", "avidtrak": "AvidTrak",
               "trackier": "Trackier v1", "admin": "operator API"}


def _shown(value) -> str:
    from rich.markup import escape

    return escape(", ".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value))


def cmd_serve(args) -> int:
    from polytrack.demo import DEMO_ADMIN_TOKEN, seed_demo
    from polytrack.kernel.db import upgrade
    from polytrack.services import Services

    extra = {
        "host": args.host, "port": args.port, "workers": args.workers, "osmand_port": args.osmand_port,
        "admin_token": args.admin_token, "base_url": args.base_url, "log_level": args.log_level,
        "rate_limits": args.rate_limits, "call_log": args.call_log,
        "read_cache": args.read_cache,
        "api": dict(parse_api_assignment(item) for item in args.set) or None,
    }
    settings = settings_from(args, **extra).check()
    for port in (settings.port, settings.osmand_port):
        if port:
            _check_can_listen(settings.host, port)
    if args.demo and not settings.admin_token:
        settings.admin_token = DEMO_ADMIN_TOKEN
    upgrade(settings.db)
    if args.demo:
        services = Services.build(settings)
        seed_demo(services)
        services.engine.dispose()
        print_banner(settings.public_base_url(), settings, database=settings.db)
    else:
        print(f"polytrack serving {settings.public_base_url()} (database {settings.db}, "
              f"{settings.workers} worker{'s' if settings.workers != 1 else ''})", flush=True)
    os.environ.update(settings.to_env())
    return run_granian(settings)


def _check_can_listen(host: str, port: int) -> None:
    """Fail with a message before starting, rather than with the server's traceback."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise CliError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    family, kind, proto, _name, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise CliError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc


def run_granian(settings) -> int:
    """Main API listener plus any extra listeners (e.g. the OsmAnd device port), each a Granian
    server in its own process (not daemonic: Granian starts worker processes of its own)."""
    import multiprocessing

    extra = [(port, target) for package in all_packages() for port, target in package.extra_servers(settings)]
    children = []
    for port, target in extra:
        child = multiprocessing.Process(target=serve_target, args=(target, settings.host, port, 1, settings.log_level))
        child.start()
        children.append(child)
    try:
        serve_target("polytrack.app:asgi_factory", settings.host, settings.port, settings.workers, settings.log_level)
    finally:
        for child in children:
            child.terminate()  # SIGTERM: its Granian stops its worker cleanly
        for child in children:
            child.join(15)
            if child.is_alive():
                child.kill()
    return 0


def serve_target(target: str, host: str, port: int, workers: int, log_level: str) -> None:
    from granian import Granian
    from granian.constants import Interfaces
    from granian.log import LogLevels

    Granian(
        target, address=host, port=port, workers=max(1, workers), interface=Interfaces.ASGI,
        factory=True, log_level=LogLevels(log_level), log_access=False,
    ).serve()
