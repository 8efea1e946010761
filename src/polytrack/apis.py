"""The registry of API packages. The kernel and app know only this interface, never an API."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Callable

PACKAGE_MODULES = ("polytrack.payt", "polytrack.mapp", "polytrack.avidtrak", "polytrack.trackier")


def _nothing(*_args, **_kwargs):
    return []


@dataclass
class ApiPackage:
    name: str
    # import the package's tables module(s) so they register on kernel.db.metadata
    import_tables: Callable[[], None]
    # Starlette routes answering the API at its original paths: routes(services) -> list
    routes: Callable
    # load the fixed demo data into the database: seed_demo(services, conn)
    seed_demo: Callable
    # demo credentials for `polytrack demo credentials`: demo_credentials(base_url) -> {name: {...}}
    demo_credentials: Callable[[str], dict]
    # operator routes mounted under /_polytrack/<name>: admin_routes(services) -> list
    admin_routes: Callable = _nothing
    # add `polytrack admin <name> ...` (and other) subcommands: register_cli(root, admin) -> None
    register_cli: Callable = _nothing
    # extra listeners (e.g. the OsmAnd device port): extra_servers(settings) -> [(port, "module:factory")]
    extra_servers: Callable = _nothing
    # one curl command per API for the README / `make run` banner: curl_examples(base_url, creds) -> [str]
    curl_examples: Callable = _nothing
    extra: dict = field(default_factory=dict)


def all_packages() -> list[ApiPackage]:
    return [importlib.import_module(name).package for name in PACKAGE_MODULES]
