"""All-to-all traffic of one MoE layer per micro-batch, from the trace statistics and the placement.

With ``T`` tokens per micro-batch, ``D`` hidden size and ``b`` bytes per element, the copies a
chiplet receives in the dispatch scale the trace's counts to the micro-batch
(``copies = round(count * T / trace_tokens)``):

- per expert (standard expert parallelism): ``count = sum of expert_load over the chiplet's cluster``,
  so the total is ``k x T`` copies;
- deduplicated (one copy per destination chiplet, PAPER.md section 3): ``count = cluster_tokens``,
  so the total is ``C_T x T`` copies.

``bytes = copies x D x b``. A group's uplink (attention chiplet -> switch) carries the sum over its
chiplets. The combine returns one vector per copy along the reverse route (for a split expert, one
partial sum per shard).

Activations an expert chiplet saves for the backward pass (:func:`expert_act_bytes`): the copies it
received (``copies x D x b``) plus, per (token, expert) pair it served, ``ffn_tensors`` FFN-size
tensors of its width (``pairs x F_c x ffn_tensors x b`` with ``F_c = F``, or ``F / shards`` for a
shard; SwiGLU's backward needs the gate and up outputs, so 2 without recomputation), where
``pairs = round(sum of expert_load over the cluster x T / trace_tokens)``.
These go to the chiplet's group DRAM, so a group's DRAM traffic follows its workload: the quantity
``allocate`` balances (PAPER.md section 5).
"""

from __future__ import annotations

from dataclasses import dataclass

from mozartc.analysis.experts import ExpertsMapping
from mozartc.errors import PassError
from mozartc.ir.core import Module, Op


def dispatch_copies(op: Op, tokens: int, dedup: bool) -> list[int]:
    """Copies each expert chiplet receives per micro-batch of ``tokens`` tokens (chiplet order)."""
    m = ExpertsMapping.from_op(op, placed=True)
    counts = m.cluster_tokens if dedup else tuple(m.cluster_pairs(c) for c in range(len(m.clusters)))
    copies = [0] * len(m.placed())
    for cluster, chiplet in enumerate(m.placed()):
        copies[chiplet] = round(counts[cluster] * tokens / m.trace_tokens)
    return copies


def uplink_sums(per_chiplet: list[int], per_group: int) -> list[int]:
    """Per group, the sum over its chiplets (chiplet ``c`` is in group ``c // per_group``)."""
    groups = len(per_chiplet) // per_group
    return [sum(per_chiplet[g * per_group:(g + 1) * per_group]) for g in range(groups)]


def expert_pairs(op: Op, tokens: int) -> list[int]:
    """(token, expert) pairs each expert chiplet serves per micro-batch of ``tokens`` (chiplet order)."""
    return dispatch_copies(op, tokens, dedup=False)


def expert_act_bytes(op: Op, tokens: int, element: int, ffn_tensors: int) -> list[int]:
    """Bytes each expert chiplet saves for backward per micro-batch (module docstring), chiplet order."""
    m = ExpertsMapping.from_op(op, placed=True)
    copies = dispatch_copies(op, tokens, dedup=op.attrs.get("a2a_dedup") is True)
    out = [0] * len(copies)
    for cluster, chiplet in enumerate(m.placed()):
        pairs = round(m.cluster_pairs(cluster) * tokens / m.trace_tokens)
        out[chiplet] = (copies[chiplet] * m.dim + pairs * m.cluster_ffn_width(cluster) * ffn_tensors) * element
    return out


@dataclass(frozen=True)
class CopiesPerToken:
    """The paper's ``C_T`` two ways (PAPER.md section 3), averaged over the MoE layers.

    ``sent``: copies of a token the dispatch actually sends, the layout's distinct destination
    chiplets per token with ``a2a-dedup`` and ``top_k`` (one per selected expert) without; this is
    Table 4's C_T. ``layout``: distinct expert chiplets per token of the clustering, whether or not
    the dispatch deduplicates (what ``a2a-dedup`` would reach).
    """

    sent: float
    layout: float


def copies_per_token(module: Module) -> CopiesPerToken | None:
    """:class:`CopiesPerToken` of a clustered module; None without MoE layers or a clustering.

    ``layout`` is the clustering's ``C_T`` (the mean over layers ``expert-cluster`` records);
    ``sent`` is that with every ``experts`` op deduplicated, else the mean over layers of the
    per-layer ``C_T`` (deduplicated layers) or ``top_k`` (the others).
    """
    clustering = module.attrs.get("clustering")
    layout = clustering.get("C_T") if isinstance(clustering, dict) else None
    experts = list(module.ops_named("experts"))
    if isinstance(layout, bool) or not isinstance(layout, int | float) or not experts:
        return None
    if all(op.attrs.get("a2a_dedup") is True for op in experts):
        return CopiesPerToken(float(layout), float(layout))
    per_layer = [_layer_c_t(op) if op.attrs.get("a2a_dedup") is True else float(op.int_attr("top_k"))
                 for op in experts]
    return CopiesPerToken(sum(per_layer) / len(per_layer), float(layout))


def _layer_c_t(op: Op) -> float:
    value = op.attrs.get("C_T")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PassError(f"{op.label()} has no C_T: run expert-cluster first")
    return float(value)

