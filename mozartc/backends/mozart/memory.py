"""Weight, gradient and activation traffic, and the optimizer update.

- ``load_weights`` / ``store_weights`` / ``load_grads`` / ``store_grads``: per chiplet holding the
  block, from/to the DRAM of its node (attention chiplet: its stacks, bytes split evenly; expert
  chiplet: its group's stack); expert chiplets of a group load in the schedule's ``order``
  (heaviest cluster first for ``load-desc``), so a group's shared DRAM serves them in that order.
  A weight load streamed in tiles is lowered with its compute step (:mod:`.compute`).
- ``update``: the optimizer's FLOPs on the chiplets holding the block, in the same shares.
- ``save_act`` / ``load_act``: the attention chiplet to/from its DRAM; with ``block = experts`` (or
  ``dense``) every expert chiplet to/from its group's DRAM, the step's bytes split in proportion to
  what each chiplet keeps (:func:`mozartc.analysis.traffic.expert_act_bytes`; evenly for a split
  dense FFN).
"""

from __future__ import annotations

from mozartc.backends.mozart.lowering import Lowering, Step, tiles


def lower_weights(lw: Lowering, s: Step) -> None:
    """A weight load (deferred to its compute step when tiled) or a weight/gradient transfer."""
    if s.op.name == "load_weights" and tiles(s.op) > 1:
        lw.pending[s.op.result_name or ""] = s.op
        return
    to_dram = s.kind == "dram_save"
    for unit, share in lw.shares(s.layer, s.block, s.op.int_attr("bytes", 0)):
        lw.transfer(s.op, "store" if to_dram else "load", s.kind, unit, share, to_dram=to_dram)


def lower_update(lw: Lowering, s: Step) -> None:
    """The optimizer step's FLOPs on every chiplet holding the block, in the block's shares."""
    total = s.op.int_attr("bytes") if "bytes" in s.op.attrs else s.op.int_attr("flops", 0)
    for unit, share in lw.shares(s.layer, s.block, total):
        lw.emit(s.op, unit, "compute", s.kind, unit=unit, flops=share)


def lower_activations(lw: Lowering, s: Step) -> None:
    """Saving or restoring activations: the attention chiplet's, or the expert chiplets' shares."""
    nbytes = s.op.int_attr("bytes")
    save = s.op.name == "save_act"
    op = "store" if save else "load"
    if s.block in ("experts", "dense"):
        for unit, share in lw.act_shares(s.layer, s.block, nbytes):
            if share:
                lw.transfer(s.op, op, s.kind, unit, share, to_dram=save)
    else:
        lw.transfer(s.op, op, s.kind, lw.root, nbytes, to_dram=save)
