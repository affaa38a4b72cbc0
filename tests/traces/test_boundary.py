"""mozartc/traces knows no model: it imports nothing from mozartc/frontend (issue 14)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "mozartc" / "traces"


def _imported_modules(path: Path) -> list[str]:
    """Every module ``path`` imports, at any depth (function-local imports too), made absolute."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against mozartc.traces
                base = ["mozartc", "traces"][: max(0, 2 - (node.level - 1))]
                names.append(".".join([*base, node.module or ""]).rstrip("."))
            else:
                names.append(node.module or "")
            names.extend(f"{names[-1]}.{alias.name}" for alias in node.names)
    return names


def test_no_frontend_import_in_the_source() -> None:
    files = sorted(PACKAGE.glob("*.py"))
    assert len(files) >= 5
    offending = {f.name: [m for m in _imported_modules(f)
                          if m.split(".")[:2] == ["mozartc", "frontend"] or m.split(".")[0] == "torch"]
                 for f in files}
    assert {name: mods for name, mods in offending.items() if mods} == {}


def test_the_scan_sees_relative_and_local_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from ..frontend import presets\n    import torch\n")
    assert _imported_modules(sample) == ["mozartc.frontend", "mozartc.frontend.presets", "torch"]


def test_importing_and_generating_loads_no_frontend() -> None:
    code = (
        "import sys\n"
        "from mozartc.traces import TraceShape, synthesize_model, trace_to_bytes\n"
        "trace_to_bytes(synthesize_model(TraceShape(layer_ids=(0, 1), num_experts=16, top_k=2), 100))\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(('mozartc.frontend', 'torch')))\n"
        "assert not loaded, loaded\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=PACKAGE.parents[1], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
