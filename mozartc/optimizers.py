"""Optimizers mozartc models: the state each keeps and the work of its update, in one place.

The paper does not name its optimizer (PAPER.md, open points); ``compile --optimizer`` chooses one.
Per parameter of ``b`` bytes:

- state bytes = ``state_copies x b + fp32_copies x 4`` (read by the DRAM capacity check,
  :mod:`mozartc.hw.capacity`, and written back with the weights by ``stream-schedule``);
- update FLOPs = ``update_flops`` (the elementwise work of one step, counted from the update rule;
  ``stream-schedule`` charges it to the chiplets that hold the block).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Optimizer:
    """One optimizer's per-parameter state and update work, with where the numbers come from."""

    name: str
    state_copies: int
    fp32_copies: int
    update_flops: int
    what: str
    source: str

    def state_bytes(self, bytes_per_param: int) -> int:
        """Bytes of optimizer state per parameter."""
        return self.state_copies * bytes_per_param + self.fp32_copies * 4


OPTIMIZERS: dict[str, Optimizer] = {
    o.name: o
    for o in (
        Optimizer("sgd", 0, 0, 2, "no state", "plain SGD keeps no state (torch.optim.SGD with momentum=0); "
                  "update w -= lr*g: 2 FLOPs"),
        Optimizer("momentum", 1, 0, 4, "momentum buffer", "one momentum buffer like the parameter "
                  "(torch.optim.SGD momentum_buffer = clone of the gradient); v = mu*v + g, w -= lr*v: 4 FLOPs"),
        Optimizer("adam", 2, 0, 12, "exp_avg + exp_avg_sq", "exp_avg and exp_avg_sq like the parameter "
                  "(torch.optim.Adam/AdamW: torch.zeros_like(p) for each); m, v, bias corrections, rsqrt, "
                  "update: 12 FLOPs"),
        Optimizer("adam-mixed", 0, 3, 14, "fp32 master + exp_avg + exp_avg_sq",
                  "mixed-precision Adam: fp32 master weights, exp_avg and exp_avg_sq, "
                  "12 bytes/param (ZeRO, Rajbhandari et al. 2020, section 3.1); Adam's 12 FLOPs plus the "
                  "fp32 master update and the cast back: 14"),
    )
}
