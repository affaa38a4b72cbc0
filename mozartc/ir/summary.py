"""Model-level facts read off a module's ops: layer counts, experts, parameter totals, FLOPs.

``params_total`` sums every op's ``params``; ``params_active`` counts what one token touches:
every op's ``params`` except routed experts, plus ``top_k x expert_params`` per ``experts`` op.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from mozartc.ir.attrs import Attr
from mozartc.ir.core import Module, Region


@dataclass(frozen=True)
class ModelSummary:
    """What ``mozartc inspect --json`` prints."""

    model: str
    dtype: str
    seq_len: int
    micro_batch: int
    layers: int
    moe_layers: int
    experts: int
    shared_experts: int
    top_k: int
    hidden: int
    params_total: int
    params_active: int
    param_bytes_total: int
    flops_per_token_fwd: int
    #: per MoE layer, each DRAM group's share of the expert workload (after ``allocate``)
    group_load: list[list[float]] = field(default_factory=list)
    #: mean over layers of C_T of the clustering (after ``expert-cluster``), else None
    c_t: float | None = None
    #: per chiplet, peak SRAM bytes by holder and capacity (after ``stream-schedule`` on a target):
    #: ``{chiplet: {capacity, peak, weights, gradients, activations}}``, plus ``tiled`` blocks per unit
    sram: dict[str, object] = field(default_factory=dict)
    #: multi-token-prediction modules of the checkpoint (module attribute ``mtp_layers``): stated by the
    #: frontend, in no op, so in neither ``params_total`` nor ``flops_per_token_fwd``
    mtp_layers: int = 0

    def to_json(self) -> dict[str, object]:
        """A plain dict for JSON output."""
        out = asdict(self)
        out["C_T"] = out.pop("c_t")
        return out


def summarize(module: Module) -> ModelSummary:
    """Read the :class:`ModelSummary` of a verified module (see the module docstring for formulas)."""
    total = active = nbytes = flops = 0
    experts = shared = top_k = hidden = 0
    moe_layers = 0
    for op in module.ops():
        params = op.int_attr("params", 0)
        total += params
        nbytes += op.int_attr("param_bytes", 0)
        flops += op.int_attr("flops_per_token", 0)
        if op.name == "experts":
            k = op.int_attr("top_k", 0)
            active += k * op.int_attr("expert_params", 0)
            experts = max(experts, op.int_attr("experts", 0))
            top_k = max(top_k, k)
        else:
            active += params
        if op.name == "shared_experts":
            shared = max(shared, op.int_attr("experts", 0))
        if op.name == "embed":
            hidden = op.int_attr("dim", 0)
    for layer in module.layers():
        if any(op.name == "experts" for op in layer.ops()):
            moe_layers += 1
    group_load = [_shares(op.attrs.get("group_load")) for op in module.ops_named("experts")
                  if isinstance(op.attrs.get("group_load"), list)]
    clustering = module.attrs.get("clustering")
    c_t = clustering.get("C_T") if isinstance(clustering, dict) else None
    schedule = next((r for r in module.body if isinstance(r, Region) and r.kind == "schedule"), None)
    sram = schedule.attrs.get("sram") if schedule is not None else None
    return ModelSummary(
        model=str(module.attrs.get("model", module.name)),
        dtype=str(module.attrs.get("dtype", "")),
        seq_len=module.int_attr("seq_len", 0),
        micro_batch=module.int_attr("micro_batch", 0),
        layers=len(module.layers()),
        moe_layers=moe_layers,
        experts=experts,
        shared_experts=shared,
        top_k=top_k,
        hidden=hidden,
        params_total=total,
        params_active=active,
        param_bytes_total=nbytes,
        flops_per_token_fwd=flops,
        group_load=group_load,
        c_t=float(c_t) if isinstance(c_t, int | float) and not isinstance(c_t, bool) else None,
        mtp_layers=module.int_attr("mtp_layers", 0),
        sram=_plain(sram) if isinstance(sram, dict) else {},
    )


def _plain(value: dict[str, Attr]) -> dict[str, object]:
    """An attribute dict as plain JSON values (identifiers as strings)."""
    return {k: _plain(v) if isinstance(v, dict) else v if isinstance(v, int | float | bool) else str(v)
            for k, v in value.items()}


def _shares(loads: object) -> list[float]:
    values = [v for v in loads if isinstance(v, int)] if isinstance(loads, list) else []
    total = sum(values) or 1
    return [round(v / total, 6) for v in values]
