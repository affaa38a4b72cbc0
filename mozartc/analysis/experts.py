"""A typed view of a mapped ``experts`` op: its clusters, shards, routing counts and placement.

Every pass and backend that reads the mapping of an MoE layer goes through :class:`ExpertsMapping`
instead of digging in ``op.attrs``; a missing or malformed attribute is one :class:`PassError` that
names the op and the pass to run.

**Clusters and shards.** ``clusters[c]`` lists the experts cluster ``c`` holds; cluster ``c`` goes to
one expert chiplet. With at least as many experts as chiplets every expert is in exactly one cluster
(``expert_shards`` all 1). With fewer experts than chiplets an expert is *split*: expert ``e`` appears
in ``expert_shards[e]`` clusters, each holding ``1 / expert_shards[e]`` of its FFN (the columns of
the gate and up projections and the rows of the down projection); every shard receives all of the
expert's tokens and returns a partial sum that the attention chiplet adds up
(``(shards - 1) x D`` additions per token and expert).
"""

from __future__ import annotations

from dataclasses import dataclass

from mozartc.errors import PassError
from mozartc.ir.attrs import Attr
from mozartc.ir.core import Op


def _ints(op: Op, key: str, needs: str) -> tuple[int, ...]:
    value = op.attrs.get(key)
    if not isinstance(value, list):
        raise PassError(f"{op.label()} has no integer list '{key}': run {needs} first")
    out: list[int] = []
    for v in value:
        if isinstance(v, bool) or not isinstance(v, int):
            raise PassError(f"{op.label()}: '{key}' must hold integers, got {v!r}")
        out.append(v)
    return tuple(out)


def _int(op: Op, key: str, needs: str = "the frontend") -> int:
    value = op.attrs.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise PassError(f"{op.label()} has no integer '{key}': run {needs} first")
    return value


@dataclass(frozen=True)
class ExpertsMapping:
    """What ``expert-cluster`` (and ``allocate``) decided for one MoE layer (module docstring).

    ``expert_load[e]``: token-expert pairs of expert ``e`` in the trace; ``cluster_tokens[c]``: trace
    tokens that select an expert of cluster ``c`` (the copies a deduplicated dispatch sends it);
    ``chiplets[c]``: the expert chiplet of cluster ``c`` (None before ``allocate``).
    """

    experts: int
    top_k: int
    dim: int
    ffn_dim: int
    expert_params: int
    clusters: tuple[tuple[int, ...], ...]
    expert_shards: tuple[int, ...]
    expert_load: tuple[int, ...]
    cluster_tokens: tuple[int, ...]
    trace_tokens: int
    chiplets: tuple[int, ...] | None = None

    @classmethod
    def from_op(cls, op: Op, placed: bool = False) -> ExpertsMapping:
        """Read ``op``; ``placed`` also requires the ``allocate`` pass's ``chiplets``."""
        clusters = op.attrs.get("clusters")
        if not isinstance(clusters, list) or not all(isinstance(c, list) for c in clusters):
            raise PassError(f"{op.label()} has no clusters: run expert-cluster first")
        members = tuple(tuple(int(e) for e in c if isinstance(e, int)) for c in clusters if isinstance(c, list))
        experts = _int(op, "experts")
        shards = (_ints(op, "expert_shards", "expert-cluster") if "expert_shards" in op.attrs
                  else (1,) * experts)
        chiplets = None
        if placed or "chiplets" in op.attrs:
            chiplets = _ints(op, "chiplets", "allocate")
        return cls(experts=experts, top_k=_int(op, "top_k"), dim=_int(op, "dim"), ffn_dim=_int(op, "ffn_dim"),
                   expert_params=_int(op, "expert_params"), clusters=members, expert_shards=shards,
                   expert_load=_ints(op, "expert_load", "expert-cluster"),
                   cluster_tokens=_ints(op, "cluster_tokens", "expert-cluster"),
                   trace_tokens=_int(op, "trace_tokens", "expert-cluster"), chiplets=chiplets)

    def write(self, op: Op, c_t: float | None = None) -> None:
        """Store the clustering attributes on ``op`` (``expert_shards`` only when an expert is split;
        ``C_T``, the layer's copies per token, when given)."""
        op.attrs["clusters"] = [list[Attr](c) for c in self.clusters]
        if any(s != 1 for s in self.expert_shards):
            op.attrs["expert_shards"] = list[Attr](self.expert_shards)
        if c_t is not None:
            op.attrs["C_T"] = round(c_t, 6)
        op.attrs["expert_load"] = list[Attr](self.expert_load)
        op.attrs["cluster_tokens"] = list[Attr](self.cluster_tokens)
        op.attrs["trace_tokens"] = self.trace_tokens
        if self.chiplets is not None:
            op.attrs["chiplets"] = list[Attr](self.chiplets)

    @property
    def split(self) -> bool:
        """Whether some expert is split over several chiplets."""
        return any(s > 1 for s in self.expert_shards)

    def placed(self) -> tuple[int, ...]:
        """``chiplets`` (PassError when ``allocate`` has not run)."""
        if self.chiplets is None:
            raise PassError("experts op has no chiplets: run allocate first")
        return self.chiplets

    def shard_params(self, e: int) -> int:
        """Parameters of one shard of expert ``e`` (rounded up)."""
        return -(-self.expert_params // self.expert_shards[e])

    def shard_ffn(self, e: int) -> int:
        """FFN width of one shard of expert ``e`` (rounded up)."""
        return -(-self.ffn_dim // self.expert_shards[e])

    def cluster_params(self, c: int) -> int:
        """Parameters cluster ``c`` holds: its experts, or their shards."""
        return sum(self.shard_params(e) for e in self.clusters[c])

    def cluster_work(self, c: int) -> float:
        """Cluster ``c``'s share of the layer's expert compute, in token-expert pairs of the trace
        (a shard does ``1 / shards`` of its expert's work)."""
        return sum(self.expert_load[e] / self.expert_shards[e] for e in self.clusters[c])

    def cluster_pairs(self, c: int) -> int:
        """Token-expert pairs cluster ``c`` serves in the trace (a shard serves all its expert's tokens)."""
        return sum(self.expert_load[e] for e in self.clusters[c])

    def cluster_ffn_width(self, c: int) -> int:
        """FFN width of cluster ``c``'s members: ``ffn_dim``, or a shard's for a split expert (a cluster
        holds either whole experts or one shard)."""
        widths = {self.shard_ffn(e) for e in self.clusters[c]}
        if len(widths) != 1:
            raise PassError(f"cluster {c} mixes whole experts and shards: {sorted(widths)}")
        return widths.pop()

    def partial_sums(self) -> int:
        """Additions per token-expert pair summed over the trace to combine split experts' partial
        outputs: ``sum_e load_e x (shards_e - 1)`` (multiply by ``D`` for the FLOPs)."""
        return sum(load * (s - 1) for load, s in zip(self.expert_load, self.expert_shards, strict=True))
