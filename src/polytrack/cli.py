"""polytrack serve | migrate | demo ... | admin ... (each API package adds its own commands)."""

from __future__ import annotations

import argparse
import json
import os
import sys

from polytrack.apis import all_packages
from polytrack.config import load_settings


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
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int)
    serve.add_argument("--osmand-port", type=int, help="OsmAnd device listener port (0 = off)")
    serve.add_argument("--admin-token", help="token for the /_polytrack/ operator API")
    serve.add_argument("--demo", action="store_true", help="load the demo data into an empty database and print credentials")
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
    seed = demo_sub.add_parser("seed", help="load the demo data")
    _add_db_flags(seed)
    seed.set_defaults(func=cmd_demo_seed)

    admin = sub.add_parser("admin", help="provision accounts and credentials")
    admin_sub = admin.add_subparsers(dest="api", required=True)
    reset = admin_sub.add_parser("reset", help="delete all data (keeps the schema)")
    _add_db_flags(reset)
    reset.set_defaults(func=cmd_reset)

    for package in all_packages():
        package.register_cli(sub, admin_sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args) or 0
    except KeyboardInterrupt:
        return 130
    except CliError as exc:
        print(f"polytrack: {exc}", file=sys.stderr)
        return 2


class CliError(Exception):
    pass


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


def cmd_demo_credentials(args) -> int:
    from polytrack.demo import credentials, curl_examples

    base = args.base_url or settings_from(args).public_base_url()
    if args.json:
        print(json.dumps(credentials(base), indent=2))
    else:
        print_banner(base)
    return 0


def print_banner(base_url: str) -> None:
    from polytrack.demo import credentials, curl_examples

    creds = credentials(base_url)
    print(f"\npolytrack demo sandbox at {base_url}\n")
    for name, values in creds.items():
        shown = ", ".join(f"{k}={v}" for k, v in values.items() if k != "url")
        print(f"  {name:<11} {values.get('url', '')}\n              {shown}")
    print("\nTry (from another shell):\n")
    for _name, line in curl_examples(base_url):
        print(f"  {line}\n")
    sys.stdout.flush()


def cmd_serve(args) -> int:
    from polytrack.demo import DEMO_ADMIN_TOKEN, seed_demo
    from polytrack.kernel.db import upgrade
    from polytrack.services import Services

    extra = {
        "host": args.host, "port": args.port, "workers": args.workers,
        "osmand_port": args.osmand_port, "admin_token": args.admin_token,
    }
    settings = settings_from(args, **extra)
    if args.demo and not settings.admin_token:
        settings.admin_token = DEMO_ADMIN_TOKEN
    upgrade(settings.db)
    if args.demo:
        services = Services.build(settings)
        seed_demo(services)
        services.engine.dispose()
        print_banner(settings.public_base_url())
    os.environ.update(settings.to_env())
    return run_granian(settings)


def run_granian(settings) -> int:
    """Main API listener plus any extra listeners (e.g. the OsmAnd device port), each a Granian server."""
    import multiprocessing

    extra = [(port, target) for package in all_packages() for port, target in package.extra_servers(settings)]
    children = []
    for port, target in extra:
        child = multiprocessing.Process(target=serve_target, args=(target, settings.host, port, 1, settings.log_level), daemon=True)
        child.start()
        children.append(child)
    try:
        serve_target("polytrack.app:asgi_factory", settings.host, settings.port, settings.workers, settings.log_level)
    finally:
        for child in children:
            child.terminate()
    return 0


def serve_target(target: str, host: str, port: int, workers: int, log_level: str) -> None:
    from granian import Granian
    from granian.constants import Interfaces

    Granian(
        target, address=host, port=port, workers=max(1, workers), interface=Interfaces.ASGI,
        factory=True, log_level=log_level, log_access=False,
    ).serve()
