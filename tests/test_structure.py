"""The package's structure holds: no import cycle, layers that do not reach back, small modules.

The import graph is grimp's (every ``import`` in a module, function-level ones included; imports
under ``if TYPE_CHECKING:`` are left out since they never run), plus what grimp leaves out: ``from
pkg import name`` runs ``pkg/__init__``, and ``importlib.import_module("x")`` imports ``x``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import grimp
import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "mozartc"
MAX_LINES = 400

# (importer package, imported package): the lower layer never reaches back to the higher one
FORBIDDEN = [
    ("mozartc.executor", "mozartc.backends"),
    ("mozartc.executor", "mozartc.passes"),
    ("mozartc.isa", "mozartc.backends"),
    ("mozartc.ir", "mozartc.passes"),
    ("mozartc.solvers", "mozartc.ir"),
    ("mozartc.solvers", "mozartc.passes"),
    ("mozartc.analysis", "mozartc.passes"),
    ("mozartc.backends", "mozartc.passes"),
    ("mozartc.hw", "mozartc.ir"),
    ("mozartc.traces", "mozartc.frontend"),
]


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("mozartc", exclude_type_checking_imports=True)


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node that runs at import or call time: ``if TYPE_CHECKING:`` bodies left out."""
    found: list[ast.AST] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        found.append(node)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and ast.unparse(child.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
                stack.extend(child.orelse)
                continue
            stack.append(child)
    return found


def _edges_grimp_misses(modules: set[str]) -> set[tuple[str, str]]:
    """Imports grimp does not record as an edge: ``from pkg import name`` also runs ``pkg/__init__``
    (grimp records only ``pkg.name`` when that is a module), and ``importlib.import_module("x")``."""
    edges = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        importer = _module_name(path)
        for node in _runtime_nodes(ast.parse(path.read_text(), str(path))):
            target = None
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                target = node.module
            elif (isinstance(node, ast.Call) and ast.unparse(node.func).endswith("import_module")
                  and node.args and isinstance(node.args[0], ast.Constant)):
                target = str(node.args[0].value)
            if target in modules and target != importer:
                edges.add((importer, target))
    return edges


def test_no_import_cycle(graph: grimp.ImportGraph) -> None:
    imports = nx.DiGraph()
    for module in graph.modules:
        imports.add_node(module)
        imports.add_edges_from((module, imported) for imported in graph.find_modules_directly_imported_by(module))
    imports.add_edges_from(_edges_grimp_misses(set(graph.modules)))
    cycles = [sorted(c) for c in nx.strongly_connected_components(imports) if len(c) > 1]
    assert cycles == []


@pytest.mark.parametrize(("importer", "imported"), FORBIDDEN)
def test_forbidden_import(graph: grimp.ImportGraph, importer: str, imported: str) -> None:
    chains = graph.find_shortest_chains(importer=importer, imported=imported, as_packages=True)
    assert not chains, f"{importer} reaches {imported}: {sorted(chains)}"


def test_no_module_over_400_lines() -> None:
    long = {str(p.relative_to(PACKAGE)): n for p in sorted(PACKAGE.rglob("*.py"))
            if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def test_few_isinstance_asserts() -> None:
    """Typed data replaces type checks by assertion (issue 14): at most 5 in the package."""
    count = sum(p.read_text().count("assert isinstance") for p in PACKAGE.rglob("*.py"))
    assert count <= 5
