"""The registry of API packages. The kernel and app know only this interface, never an API."""

from __future__ import annotations

import argparse
import importlib
from dataclasses import dataclass
from typing import Any, Callable

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
    # demo credentials for `polytrack demo credentials`: demo_credentials(base_url, settings or
    # None for the defaults) -> {name: {...}}
    demo_credentials: Callable[[str, Any], dict]
    # operator routes mounted under /_polytrack/<name>: admin_routes(services) -> list
    admin_routes: Callable = _nothing
    # add `polytrack admin <name> ...` (and other) subcommands:
    # register_cli(root_subparsers, admin_subparsers, CliKit) -> None
    register_cli: Callable = _nothing
    # the API's operation registries (kernel.operations.Registry), every operation declared:
    # registries() -> [Registry, ...]; `polytrack apis` and GET /_polytrack/apis list them
    registries: Callable = _nothing
    # extra listeners (e.g. the OsmAnd device port): extra_servers(settings) -> [(port, "module:factory")]
    extra_servers: Callable = _nothing
    # one curl command per API for the README / `make run` banner: curl_examples(base_url, creds) -> [str]
    curl_examples: Callable = _nothing
    # work each worker does in the background while it serves (a queue's sender, a refresh):
    # background_tasks(services) -> [coroutine function taking no argument]; each is started
    # when the worker starts and cancelled when it stops, so it must keep its state durable
    background_tasks: Callable = _nothing


def lazy(target: str) -> Callable:
    """"polytrack.mapp.demo:seed" -> a function that imports the module when first called (so the
    registry can list every package without importing their code) and calls that function."""
    module_name, attribute = target.split(":")

    def call(*args, **kwargs):
        return getattr(importlib.import_module(module_name), attribute)(*args, **kwargs)

    call.__name__ = attribute
    call.__qualname__ = target
    return call


def conventional_package(name: str, **overrides) -> ApiPackage:
    """An ApiPackage whose modules follow the layout: tables.py, wire.routes, demo.seed /
    credentials / curl_examples, admin.admin_routes / register_cli. `overrides` replace entries."""
    base = f"polytrack.{name}"
    entries: dict[str, Callable] = dict(
        import_tables=lambda: importlib.import_module(f"{base}.tables"),
        routes=lazy(f"{base}.wire:routes"),
        seed_demo=lazy(f"{base}.demo:seed"),
        demo_credentials=lazy(f"{base}.demo:credentials"),
        curl_examples=lazy(f"{base}.demo:curl_examples"),
        admin_routes=lazy(f"{base}.admin:admin_routes"),
        register_cli=lazy(f"{base}.admin:register_cli"),
        registries=lazy(f"{base}.operations:registries"),
    )
    entries.update(overrides)
    return ApiPackage(name=name, **entries)


class CliError(Exception):
    """A command failed for a reason the user can fix: printed as one line, exit status 2."""


@dataclass(frozen=True)
class CliKit:
    """What `polytrack` hands each package's `register_cli`, so packages never import the CLI."""

    # add --db and --config to a subcommand's parser
    add_db_flags: Callable[[argparse.ArgumentParser], None]
    # settings from those flags, the database migrated, the services built: open_services(args)
    open_services: Callable[[argparse.Namespace], Any]


def all_packages() -> list[ApiPackage]:
    return [importlib.import_module(name).package for name in PACKAGE_MODULES]


def operations_table(packages: list[ApiPackage]) -> list[dict]:
    """Every operation of every API, with whether it is implemented: read from the operation
    registries, so it cannot drift from what the server answers."""
    table = []
    for package in packages:
        for registry in package.registries():
            operations = list(registry)
            table.append({
                "api": registry.api,
                "implemented": sum(1 for operation in operations if operation.implemented),
                "operations": [{"name": operation.name, "implemented": operation.implemented,
                                "writes": operation.writes, "cacheable": operation.cacheable}
                               for operation in operations],
            })
    return table
