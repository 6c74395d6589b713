"""The import direction of DESIGN.md holds: api → commands → ledger; projections, audit → ledger.

``ledger`` imports none of the other packages; ``commands``, ``projections`` and ``audit`` do
not import ``api`` or each other.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "ledger": {"commands", "projections", "audit", "api", "bench"},
    "commands": {"projections", "audit", "api", "bench"},
    "projections": {"commands", "audit", "api", "bench"},
    "audit": {"commands", "projections", "api", "bench"},
}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_run_one_way(package: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & FORBIDDEN[package])
        for path in (ROOT / package).rglob("*.py")
        if imported_packages(path) & FORBIDDEN[package]
    }
    assert offenders == {}


def _module_of(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports_within(package: str) -> dict[str, set[str]]:
    """Each module of ``package`` → the modules of it that it imports, anywhere in its body."""
    modules = {_module_of(p): p for p in (ROOT / package).rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name in modules)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.update(f"{node.module}.{a.name}" for a in node.names
                             if f"{node.module}.{a.name}" in modules)
                if node.module in modules:
                    found.add(node.module)
        graph[name] = found - {name}
    return graph


def _a_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle, as the modules along it, or [] when there is none."""
    state: dict[str, int] = {}  # 1: on the path being followed, 2: done
    path: list[str] = []

    def visit(module: str) -> list[str]:
        state[module] = 1
        path.append(module)
        for imported in sorted(graph.get(module, ())):
            if state.get(imported) == 1:
                return [*path[path.index(imported):], imported]
            if imported not in state and (cycle := visit(imported)):
                return cycle
        path.pop()
        state[module] = 2
        return []

    for module in sorted(graph):
        if module not in state and (cycle := visit(module)):
            return cycle
    return []


@pytest.mark.parametrize("package", ["api", "commands", "projections", "audit", "ledger"])
def test_no_module_imports_another_that_imports_it_back(package: str) -> None:
    """Shared helpers live in a module of their own; the ``tabien`` command modules once
    imported ``api.cli``'s private helpers while it imported them (issue 15)."""
    assert _a_cycle(_imports_within(package)) == []


def test_a_cycle_is_found_when_there_is_one() -> None:
    assert _a_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _a_cycle({"a": {"b"}, "b": set()}) == []
