"""All-to-all traffic of one MoE layer per micro-batch, from the trace statistics and the placement.

With ``T`` tokens per micro-batch, ``D`` hidden size and ``b`` bytes per element, the copies a
chiplet receives in the dispatch scale the trace's counts to the micro-batch
(``copies = round(count * T / trace_tokens)``):

- per expert (standard expert parallelism): ``count = sum of expert_load over the chiplet's cluster``,
  so the total is ``k x T`` copies;
- deduplicated (one copy per destination chiplet, PAPER.md section 3): ``count = cluster_tokens``,
  so the total is ``C_T x T`` copies.

``bytes = copies x D x b``. A group's uplink (attention chiplet -> switch) carries the sum over its
chiplets. The combine returns one vector per copy along the reverse route.

Activations an expert chiplet saves for the backward pass (:func:`expert_act_bytes`): the copies it
received (``copies x D x b``) plus, per (token, expert) pair it served, ``ffn_tensors`` FFN-size
tensors (``pairs x F x ffn_tensors x b``; SwiGLU's backward needs the gate and up outputs, so 2
without recomputation). ``pairs = round(sum of expert_load over the cluster x T / trace_tokens)``.
These go to the chiplet's group DRAM, so a group's DRAM traffic follows its workload: the quantity
``allocate`` balances (PAPER.md section 5).
"""

from __future__ import annotations

from mozartc.errors import PassError
from mozartc.ir.core import Op


def _ints(op: Op, key: str) -> list[int]:
    value = op.attrs.get(key)
    if not isinstance(value, list):
        raise PassError(f"{op.label()} has no '{key}': run expert-cluster and allocate first")
    return [v for v in value if isinstance(v, int)]


def dispatch_copies(op: Op, tokens: int, dedup: bool) -> list[int]:
    """Copies each expert chiplet receives per micro-batch of ``tokens`` tokens (chiplet order)."""
    clusters = op.attrs.get("clusters")
    if not isinstance(clusters, list):
        raise PassError(f"{op.label()} has no clusters: run expert-cluster first")
    trace_tokens = op.attrs.get("trace_tokens")
    if not isinstance(trace_tokens, int) or trace_tokens <= 0:
        raise PassError(f"{op.label()} has no trace_tokens: run expert-cluster first")
    chiplets = _ints(op, "chiplets")
    if dedup:
        counts = _ints(op, "cluster_tokens")
    else:
        load = _ints(op, "expert_load")
        counts = [sum(load[e] for e in c if isinstance(e, int)) for c in clusters if isinstance(c, list)]
    copies = [0] * len(chiplets)
    for cluster, chiplet in enumerate(chiplets):
        copies[chiplet] = round(counts[cluster] * tokens / trace_tokens)
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
    dim, ffn = op.attrs.get("dim"), op.attrs.get("ffn_dim")
    if not isinstance(dim, int) or not isinstance(ffn, int):
        raise PassError(f"{op.label()} needs integer dim and ffn_dim")
    copies = dispatch_copies(op, tokens, dedup=op.attrs.get("a2a_dedup") is True)
    pairs = expert_pairs(op, tokens)
    return [(c * dim + p * ffn * ffn_tensors) * element for c, p in zip(copies, pairs, strict=True)]
