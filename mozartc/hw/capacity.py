"""Does a training step's state fit in the target's DRAM? (PAPER.md section 7: 48 GB vs Qwen3's ~61 GB.)

Required bytes = weights + gradients + optimizer state::

    weights   = params * bytes_per_param
    gradients = params * bytes_per_param              (one gradient per weight, same precision)
    optimizer = params * OPTIMIZERS[name].state_bytes(bytes_per_param)

Available bytes = sum of ``capacity_mb * 2**20`` over every DRAM stack. Sizes in messages are
decimal GB (1e9 bytes); the DRAM total is also shown in GiB, the unit its stacks are sold in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from mozartc.errors import CapacityError
from mozartc.hw.target import Target
from mozartc.optimizers import OPTIMIZERS

CapacityMode = Literal["error", "warn"]


@dataclass(frozen=True)
class CapacityReport:
    """Outcome of a capacity check; ``message`` has both sizes in GB."""

    optimizer: str
    params: int
    bytes_per_param: int
    weights_bytes: int
    gradients_bytes: int
    optimizer_bytes: int
    available_bytes: int
    fits: bool
    message: str

    @property
    def required_bytes(self) -> int:
        """Weights + gradients + optimizer state."""
        return self.weights_bytes + self.gradients_bytes + self.optimizer_bytes


def _gb(nbytes: float) -> str:
    return f"{nbytes / 1e9:.1f} GB"


def check_capacity(params_total: int, bytes_per_param: int, target: Target, optimizer: str = "sgd",
                   mode: CapacityMode = "error") -> CapacityReport:
    """Compare what a training step keeps in DRAM with the target's DRAM capacity.

    ``mode="error"`` raises CapacityError (with the report's message) when it does not fit;
    ``mode="warn"`` returns the report with ``fits=False`` for the caller to record.
    """
    if optimizer not in OPTIMIZERS:
        raise CapacityError(f"unknown optimizer '{optimizer}' (expected one of: {', '.join(OPTIMIZERS)})",
                            where="optimizer")
    if mode not in ("error", "warn"):
        raise CapacityError(f"capacity mode must be 'error' or 'warn', got '{mode}'", where="capacity")
    if params_total < 0 or bytes_per_param <= 0:
        raise CapacityError("parameter count must be >= 0 and bytes per parameter > 0", where="capacity")
    opt = OPTIMIZERS[optimizer]
    weights = params_total * bytes_per_param
    optim = params_total * opt.state_bytes(bytes_per_param)
    available = target.dram_capacity_bytes
    required = 2 * weights + optim
    fits = required <= available
    stacks = f"{len(target.dram)} stacks, {available / 2**30:.1f} GiB"
    parts = f"weights {_gb(weights)} + gradients {_gb(weights)}"
    if optim:
        parts += (f" + {optimizer} state {_gb(optim)}: {opt.what}, "
                  f"{opt.state_bytes(bytes_per_param)} B/param")
    verdict = "fits in" if fits else "does not fit in"
    message = (f"training state of {params_total / 1e9:.2f}B parameters needs {_gb(required)} ({parts}); "
               f"it {verdict} the target's {_gb(available)} of DRAM ({stacks})")
    if not fits and weights > available:
        message += "; even the weights alone do not fit"
    report = CapacityReport(optimizer, params_total, bytes_per_param, weights, weights, optim, available,
                            fits, message)
    if not fits and mode == "error":
        where = str(target.source) if target.source else target.name
        raise CapacityError(message + " (use `capacity='warn'` to continue)", where=where)
    return report
