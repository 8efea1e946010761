"""The shape of the code: no import cycles anywhere in src/, and no API package imports the CLI.

The import graph is read from the source: every `import` and `from ... import`, at module level,
inside a function (a lazy import still ties two modules together) or under `if TYPE_CHECKING:`
(an import for the type checker alone never runs, but still makes one module's design depend on
the other's; PAYT's motion and derive once leaned on each other that way).
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
API_PACKAGES = ("payt", "mapp", "avidtrak", "trackier")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules() -> dict[str, Path]:
    return {module_name(path): path for path in SRC.rglob("*.py") if "migrations/versions" not in path.as_posix()}


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The polytrack modules `name` imports: `from a.b import c` is module a.b.c if that is a
    module, else a.b."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in modules else base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return {imported for imported in found if imported in modules and imported != name}


def import_graph() -> dict[str, set[str]]:
    modules = all_modules()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def connect(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def test_the_reader_sees_imports_and_finds_a_cycle():
    graph = import_graph()
    assert "polytrack.kernel.sql" in graph["polytrack.kernel.hot"]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles_in_src():
    assert cycles(import_graph()) == []


def test_no_api_package_imports_the_cli():
    offenders = sorted(
        f"{name} imports polytrack.cli"
        for name, imported in import_graph().items()
        if name.split(".")[1:2] and name.split(".")[1] in API_PACKAGES and "polytrack.cli" in imported
    )
    assert offenders == []


def test_the_kernel_knows_no_api():
    offenders = sorted(
        f"{name} imports {target}"
        for name, imported in import_graph().items() if name.startswith("polytrack.kernel")
        for target in imported if target.split(".")[1] in API_PACKAGES
    )
    assert offenders == []
