"""docs/ir.md stays true: every op of the op table is documented with its operands and attributes."""

from __future__ import annotations

from mozartc.ir.ops import OP_SPECS
from tests.conftest import REPO


def _doc_rows() -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    for line in (REPO / "docs" / "ir.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[0].startswith("`") and cells[0].endswith("`"):
            rows[cells[0].strip("`")] = cells
    return rows


def test_every_op_is_documented_with_its_signature() -> None:
    rows = _doc_rows()
    assert set(rows) == set(OP_SPECS)
    for name, spec in OP_SPECS.items():
        operands, result, required, optional = rows[name][1:5]
        assert operands == (", ".join(spec.operands) or "-"), name
        assert result == spec.result, name
        assert sorted(a.strip() for a in required.split(",") if a.strip() != "-") == sorted(spec.attrs), name
        documented_optional = sorted(a.split("(")[0].strip() for a in optional.split(", ") if a.strip() != "-"
                                     and not a.strip().startswith(("none", "head", "full")))
        assert documented_optional == sorted(spec.optional), name
