"""Dispatch and combine: the all-to-all of one MoE layer (or a split dense FFN / the LM head).

Default (the paper's all-to-all, PAPER.md sections 3 and 9): one send per expert chiplet to/from the
attention chiplet, routed through its group's switch. With ``a2a-dedup{switch-multicast}`` the
dispatch is relayed: one multicast copy per group up to the switch, then the switch forwards each
chiplet its copies; with ``switch-reduce`` the combine's partial sums are summed in the switch
(``reduce``) before one vector per token goes up. A relay is cut into ``relay_chunks`` pieces and
every leg out of a switch depends on the leg that brought its data in. Split experts' partial
outputs are added on the attention chiplet after the combine.
"""

from __future__ import annotations

from mozartc.analysis.blocks import ATTENTION_SIDE
from mozartc.analysis.traffic import dispatch_copies
from mozartc.backends.mozart.lowering import Lowering, Step, piece
from mozartc.errors import BackendError
from mozartc.ir.core import Op

#: one group's relay: (switch, [(chiplet, bytes)], uplink bytes, pieces)
Relay = tuple[str, list[tuple[str, int]], int, int]


def lower_dispatch(lw: Lowering, s: Step) -> None:
    """The dispatch: multicast relays when the layer's switches multicast, else one send per chiplet."""
    experts = lw.ops(s.layer).get("experts")
    if experts is not None and experts.attrs.get("switch_multicast") is True:
        multicast_dispatch(lw, s.op, experts)
    else:
        _direct(lw, s, to_experts=True)


def lower_combine(lw: Lowering, s: Step) -> None:
    """The combine: reduced in the switches when they reduce, else one send per chiplet; then the
    split experts' partial sums."""
    experts = lw.ops(s.layer).get("experts")
    if experts is not None and experts.attrs.get("switch_reduce") is True and lw.target.switch.reduction:
        reduced_combine(lw, s.op, experts)
    else:
        _direct(lw, s, to_experts=False)
    if experts is not None:
        partial_sums(lw, s.op, experts)


def _direct(lw: Lowering, s: Step, to_experts: bool) -> None:
    for chiplet, nbytes in a2a_bytes(lw, s.layer, "dispatch" if to_experts else "combine"):
        src, dst = (lw.root, chiplet) if to_experts else (chiplet, lw.root)
        lw.emit(s.op, chiplet, "send", s.kind, src=src, dst=dst, bytes=nbytes)


def a2a_bytes(lw: Lowering, layer: int, which: str) -> list[tuple[str, int]]:
    """Bytes per expert chiplet of one dispatch or combine (chiplets without traffic left out for experts)."""
    ops = lw.ops(layer)
    experts = ops.get("experts")
    if experts is not None:
        dim = experts.int_attr("dim")
        copies = dispatch_copies(experts, lw.tokens, dedup=experts.attrs.get("a2a_dedup") is True)
        return [(lw.experts[c], n * dim * lw.element) for c, n in enumerate(copies) if n]
    if "lm_head" in ops and which == "combine":
        return [(c, lw.tokens * 2 * lw.element) for c in lw.experts]
    return [(c, lw.tokens * _dim(ops) * lw.element) for c in lw.experts]


def partial_sums(lw: Lowering, step: Op, experts: Op) -> None:
    """Add up split experts' partial outputs on the attention chiplet after the combine.

    ``sum_e pairs_e x (shards_e - 1) x D`` additions per micro-batch (pairs scaled from the trace);
    nothing when no expert is split. The backward combine adds the shards' input gradients the same way.
    """
    m = lw.mapping(experts)
    adds = round(m.partial_sums() * lw.tokens / m.trace_tokens) * m.dim
    if adds:
        lw.emit(step, lw.root, "compute", "compute", after=lw.emitted(step), unit=lw.root, flops=adds)


def relays(lw: Lowering, experts: Op, uplink_key: str) -> list[Relay]:
    """Per group with traffic: (switch, [(chiplet, dispatch bytes)], uplink bytes, pieces).

    ``uplink_key`` names the per-group uplink bytes; chiplets with no bytes are left out; a relay is
    cut into ``relay_chunks`` pieces (no more pieces than bytes).
    """
    per_chiplet, uplink = experts.int_list_attr("dispatch_bytes"), experts.int_list_attr(uplink_key)
    chunks = experts.int_attr("relay_chunks", 1)
    per_group = lw.target.chiplets_per_group
    out: list[Relay] = []
    for group, switch in enumerate(lw.target.switches):
        members = [(lw.experts[c], per_chiplet[c]) for c in range(group * per_group, (group + 1) * per_group)
                   if per_chiplet[c] > 0]
        up = uplink[group]
        if up and members:
            out.append((switch, members, up, min(chunks, up)))
    return out


def multicast_dispatch(lw: Lowering, step: Op, experts: Op) -> None:
    """Dispatch relayed by switches that multicast (``a2a-dedup{switch-multicast}``, beyond the paper).

    Per group, the uplink carries one copy per token and group (``uplink_bytes``) into the switch,
    which forwards each chiplet its copies (``dispatch_bytes``). Both legs are cut into
    ``relay_chunks`` pieces; leaf piece ``k`` depends on uplink piece ``k`` (store and forward per
    piece), so data leaves the switch only after it entered.
    """
    for switch, members, up, pieces in relays(lw, experts, "uplink_bytes"):
        for k in range(pieces):
            into = lw.emit(step, switch, "send", "all_to_all", src=lw.root, dst=switch, bytes=piece(up, k, pieces))
            for chiplet, nbytes in members:
                part = piece(nbytes, k, pieces)
                if part:
                    lw.emit(step, chiplet, "send", "all_to_all", after=(into,), src=switch, dst=chiplet, bytes=part)


def reduced_combine(lw: Lowering, step: Op, experts: Op) -> None:
    """Combine reduced in the switches (``a2a-dedup{switch-reduce}``, beyond the paper).

    Per group and piece: every chiplet sends its partial sums into the switch, the adder tree sums
    them (``reduce`` after those sends, reading all their bytes) and one vector per token and group
    (``group_bytes``) goes up after the reduction.
    """
    for switch, members, back, pieces in relays(lw, experts, "group_bytes"):
        for k in range(pieces):
            legs, read = [], 0
            for chiplet, nbytes in members:
                part = piece(nbytes, k, pieces)
                if part:
                    legs.append(lw.emit(step, chiplet, "send", "all_to_all", src=chiplet, dst=switch, bytes=part))
                    read += part
            if not legs:
                continue
            summed = lw.emit(step, switch, "reduce", "all_to_all", after=legs, unit=switch,
                             bytes=-(-read // len(legs)), inputs=len(legs))
            lw.emit(step, switch, "send", "all_to_all", after=(summed,), src=switch, dst=lw.root,
                    bytes=piece(back, k, pieces))


def _dim(ops: dict[str, Op]) -> int:
    for name in (*ATTENTION_SIDE, "mlp", "lm_head"):
        if name in ops and isinstance(ops[name].attrs.get("dim"), int):
            return ops[name].int_attr("dim")
    raise BackendError("block without a hidden dimension")
