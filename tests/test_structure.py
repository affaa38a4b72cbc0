"""The package's structure holds: no import cycle, layers that do not reach back, small modules.

The import graph is grimp's (every ``import`` in a module, function-level ones included; imports
under ``if TYPE_CHECKING:`` are left out since they never run).
"""

from __future__ import annotations

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


def test_no_import_cycle(graph: grimp.ImportGraph) -> None:
    imports = nx.DiGraph()
    for module in graph.modules:
        imports.add_node(module)
        imports.add_edges_from((module, imported) for imported in graph.find_modules_directly_imported_by(module))
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
