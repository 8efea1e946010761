"""A write through every public write path empties the read caches of another worker (issue 7, item 2).

"Another worker" is another process mapping the database's generation file (kernel.coherence).
Each case is checked twice: by a `Generation` of our own on the server's file (a second
mapping, as a second worker in this process would hold) and by a real second OS process that
keeps caches of its own on that file (`peer`). Before the write both hold a value; after it,
a value kept by a cache that follows the marker the write should move must be gone.

Write paths are what users reach: the operator API over HTTP, every API operation that writes,
what the hot path deletes on sight (expired tokens), the OsmAnd ingest and the CLI. The cases
live in tests/write_paths/, one module per owner. Three listings keep them complete, so a new
write path cannot be forgotten: the app's operator routes, the CLI's commands and the
operations every API's registries declare with `writes=True`. Read-only calls are negative
controls: they must leave the caches alone, so this test can fail.
"""

from __future__ import annotations

import argparse
import re

import pytest
from starlette.routing import Mount

from polytrack import cli
from polytrack.apis import all_packages
from tests.write_paths import cases_avidtrak, cases_core, cases_mapp, cases_trackier  # noqa: F401 (they register)
from tests.write_paths.harness import CASES, Env, Peer, generation_path


@pytest.fixture(scope="module")
def peer(engine):
    started = Peer(generation_path(engine))
    try:
        yield started
    finally:
        started.close()


@pytest.fixture
def settings(settings):
    # The frozen clock would trip Mapp's documented 5 requests per 10 s.
    settings.api.update({"mapp.requests_per_period": 1_000_000, "mapp.requests_per_period_sec": 1_000_000})
    return settings


# --- the tests ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(CASES))
def test_a_write_empties_the_caches_of_another_worker(name, http, services, clock, database_url, engine, peer, tmp_path):
    CASES[name].run(Env(http, services, clock, database_url, engine, peer, tmp_path))


def operator_write_routes(app) -> set[tuple[str, str]]:
    """(method, path template) of every operator route that is not a GET."""
    found = set()

    def walk(routes, prefix):
        for route in routes:
            if isinstance(route, Mount):
                walk(route.routes, prefix + route.path)
            elif (prefix + getattr(route, "path", "")).startswith("/_polytrack"):
                found.update((method, prefix + route.path) for method in route.methods or ()
                             if method not in ("GET", "HEAD"))

    walk(app.routes, "")
    return found


def test_every_operator_write_route_has_a_case(app):
    routes = operator_write_routes(app)
    covered = {route for entry in CASES.values() for route in entry.routes}
    assert ("POST", "/_polytrack/reset") in routes and ("POST", "/_polytrack/payt/users") in routes
    assert sorted(routes - covered) == [], "operator routes that write with no case in tests/write_paths/"
    assert sorted(covered - routes) == [], "cases for operator routes that no longer exist"


# Commands that write nothing of their own: `serve` writes what `migrate` and `demo seed` write
# (and then serves the write paths of the cases); the others only read.
READ_ONLY_COMMANDS = {("serve",), ("apis",), ("demo", "credentials"), ("admin", "payt", "unknown-devices"),
                      ("admin", "avidtrak", "ledger")}


def cli_commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """Every leaf command of the CLI, as the words that name it."""
    subparsers = [action for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
    if not subparsers:
        return {prefix}
    return {command for action in subparsers for name, sub in action.choices.items()
            for command in cli_commands(sub, prefix + (name,))}


def test_every_cli_command_that_writes_has_a_case():
    commands = cli_commands(cli.build_parser())
    covered = {command for entry in CASES.values() for command in entry.commands}
    assert ("admin", "reset") in commands and ("payt", "import") in commands
    assert sorted(commands - covered - READ_ONLY_COMMANDS) == [], "CLI commands with no case in tests/write_paths/"
    assert sorted((covered | READ_ONLY_COMMANDS) - commands) == [], "cases for CLI commands that no longer exist"


def _spelling(name: str) -> str:
    """An operation's name however its registry spells the separators: 'Authenticate/Login',
    'authenticate.login' -> 'authenticate login'."""
    return " ".join(re.split(r"[^0-9a-z{}]+", name.lower())).strip()


@pytest.mark.parametrize("package", [package.name for package in all_packages()])
def test_every_writing_operation_has_a_case(package):
    found = {entry.name: entry for entry in all_packages()}[package]
    writing = {(registry.api, operation.name) for registry in found.registries() for operation in registry
               if operation.writes and operation.implemented}
    covered = {_spelling(name) for entry in CASES.values() for owner, name in entry.operations if owner == package}
    missing = sorted(f"{api} {name}" for api, name in writing if _spelling(name) not in covered)
    assert missing == [], f"{package}: operations declared writes=True with no case in tests/write_paths/"
