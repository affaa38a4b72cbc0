"""The routing shape of a MoE model: what a routing trace of it has, and nothing of its architecture.

The synthetic generator takes a :class:`TraceShape`; the frontend makes one from a model spec
(``trace_shape`` in ``frontend/resolve.py``), so this package never needs the frontend.
"""

from __future__ import annotations

from dataclasses import dataclass

from mozartc.errors import TraceError


@dataclass(frozen=True)
class TraceShape:
    """Routed experts, top-k and MoE layer ids of one model (the fields a trace records about it).

    ``layer_ids`` are the model layer indices of the MoE layers, in order (one trace layer each);
    ``num_shared_experts`` always-active experts take no routing decision and are only recorded.
    """

    layer_ids: tuple[int, ...]
    num_experts: int
    top_k: int
    num_shared_experts: int = 0
    model: str = ""

    def __post_init__(self) -> None:
        where = f"trace shape of '{self.model}'" if self.model else "trace shape"
        if not self.layer_ids:
            raise TraceError("a trace shape needs at least one MoE layer", where=where)
        if any(i < 0 for i in self.layer_ids) or len(set(self.layer_ids)) != len(self.layer_ids):
            raise TraceError(f"layer ids must be distinct and >= 0, got {list(self.layer_ids)}", where=where)
        if self.num_experts <= 0 or not 0 < self.top_k <= self.num_experts:
            raise TraceError(f"top_k {self.top_k} must lie in 1..num_experts ({self.num_experts})", where=where)
        if self.num_shared_experts < 0:
            raise TraceError(f"num_shared_experts must be >= 0, got {self.num_shared_experts}", where=where)

    @property
    def num_layers(self) -> int:
        """Number of MoE layers (trace layers)."""
        return len(self.layer_ids)
