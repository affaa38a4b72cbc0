"""The paper's experiment grid and published numbers (PAPER.md section 9, Table 4)."""

from __future__ import annotations

from dataclasses import dataclass

#: The three paper models (PAPER.md section 8), in the paper's order.
PAPER_MODELS: tuple[str, ...] = ("qwen3-30b-a3b", "olmoe-1b-7b-0924", "deepseek-moe-16b-base")

#: The ablation ladder (PAPER.md section 9), weakest first; each rung must be faster than the last.
LADDER: tuple[str, ...] = ("baseline", "mozart-a", "mozart-b", "mozart-c")

#: Sequence lengths and DRAM kinds the paper sweeps.
PAPER_SEQ_LENS: tuple[int, ...] = (128, 256, 512)
DRAM_KINDS: tuple[str, ...] = ("hbm2", "ssd")

#: Table 4 is measured at this sequence length on this DRAM.
TABLE4_SEQ_LEN = 256
TABLE4_DRAM = "hbm2"

#: A Table 4 cell misses when |mozartc - paper| exceeds these.
LATENCY_TOLERANCE = 0.05
C_T_TOLERANCE = 0.25


@dataclass(frozen=True)
class PaperCell:
    """One (model, pipeline) row of Table 4: latency normalised to baseline, and C_T."""

    latency: float
    c_t: float


#: Table 4 (sequence length 256, HBM2): model -> pipeline -> published numbers.
TABLE4: dict[str, dict[str, PaperCell]] = {
    "qwen3-30b-a3b": {"mozart-a": PaperCell(0.73, 8.0), "mozart-b": PaperCell(0.59, 6.58),
                      "mozart-c": PaperCell(0.52, 5.77)},
    "olmoe-1b-7b-0924": {"mozart-a": PaperCell(0.63, 8.0), "mozart-b": PaperCell(0.48, 6.84),
                         "mozart-c": PaperCell(0.422, 5.63)},
    "deepseek-moe-16b-base": {"mozart-a": PaperCell(0.67, 6.0), "mozart-b": PaperCell(0.56, 5.56),
                              "mozart-c": PaperCell(0.46, 4.32)},
}
