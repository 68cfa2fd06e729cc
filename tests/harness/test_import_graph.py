"""The package's import graph has no circle, counting every import: at the top of a module,
inside a function, or only for the type checker.

A circle held apart by a lazy or a ``TYPE_CHECKING`` import still ties the modules together:
none of them can be read, tested or moved without the others. The client, custody and the
reader once formed one; this keeps the next one from forming unnoticed.
"""

from __future__ import annotations

import ast
from pathlib import Path

import authfuzz

PACKAGE = Path(authfuzz.__file__).resolve().parent


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = ("authfuzz", *path.relative_to(PACKAGE).with_suffix("").parts)
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, *([base] if base else [])])
                targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
            for target in targets:
                if target in modules and target != name:
                    graph[name].add(target)
                    break
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_of_authfuzz_imports_itself_back() -> None:
    assert cycles(import_graph()) == []


def test_the_graph_sees_lazy_and_type_checking_imports() -> None:
    """The check could not fail if it missed the imports circles hide behind."""
    graph = import_graph()
    assert "authfuzz.custody.ledger" in graph["authfuzz.client.client"]  # top-level
    assert "authfuzz.client.messages" in graph["authfuzz.custody.ledger"]  # TYPE_CHECKING only
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c"]]


def test_the_plugin_s_ground_floor_imports_none_of_its_neighbours() -> None:
    """``authfuzz.plugin.config`` is what every module of the wing builds on."""
    neighbours = {
        m for m in import_graph()["authfuzz.plugin.config"] if m.startswith("authfuzz.plugin")
    }
    assert neighbours == set()
