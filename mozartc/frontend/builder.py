"""Where the lowering puts ops: the IR module body, one region per layer, unique value names.

:class:`IRBuilder` holds the insertion point (the module's top level, or the region of the layer being
lowered) and emits ops there with fresh result names: ``l3.attn``, ``l3.norm2``, ``res_2`` (norms and
residual adds are numbered within a layer, other repeats get ``_2``, ``_3``, ...). Layers open in
increasing order, once each; a closed layer is ``kind = moe`` when it holds an ``experts`` op.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mozartc.errors import FrontendError
from mozartc.ir.attrs import Attr, Ident
from mozartc.ir.core import Item, Op, Region, Value
from mozartc.ir.types import RoutingType, TensorType

#: The result name of each op kind (before layer prefix and numbering).
VALUE_BASE = {
    "embed": "embed", "rmsnorm": "norm", "attention": "attn", "router": "router", "experts": "experts",
    "shared_experts": "shared", "mlp": "mlp", "lm_head": "logits", "add": "res",
}
NUMBERED_IN_LAYER = frozenset({"norm", "res"})


@dataclass
class _Scope:
    """The region being filled (None: module top level) and name counters."""

    region: Region | None = None
    counts: dict[str, int] = field(default_factory=dict)


class IRBuilder:
    """The module body under construction; ``param_bytes`` is the bytes of one parameter element."""

    def __init__(self, where: str, param_bytes: int) -> None:
        self.where, self.bytes = where, param_bytes
        self.body: list[Item] = []
        self.top = _Scope()
        self.scope = self.top
        self.kinds: dict[str, str] = {}
        self.names: set[str] = set()
        self.last_layer = -1

    def fail(self, path: str, message: str) -> FrontendError:
        """A FrontendError located at the capture source, its message starting with the module path."""
        return FrontendError(f"{path or '<root>'}: {message}", where=self.where)

    # ---- ops --------------------------------------------------------------------------------
    def weighted(self, name: str, x: Value, attrs: dict[str, Attr], params: int, flops: int,
                 rtype: TensorType | RoutingType, extra: list[str] | None = None) -> Value:
        """Emit a weight-holding op: ``attrs`` then ``params``, ``param_bytes``, ``flops_per_token``."""
        attrs = {**attrs, "params": params, "param_bytes": params * self.bytes, "flops_per_token": flops}
        return self.emit(Op(name, [x.name, *(extra or [])], attrs), VALUE_BASE[name], rtype)

    def emit(self, op: Op, base: str, rtype: TensorType | RoutingType) -> Value:
        """Append ``op`` at the insertion point with a fresh result named from ``base``."""
        value = Value(self._fresh(base), rtype)
        op.result = value
        self.kinds[value.name] = op.name
        (self.scope.region.body if self.scope.region is not None else self.body).append(op)
        return value

    def emit_add(self, a: Value, b: Value) -> Value:
        """``a + b`` (``flops_per_token = dim``); named ``moe`` when it sums routed and shared experts."""
        if a.type != b.type or not isinstance(a.type, TensorType):
            raise self.fail(self.path_hint(), f"cannot add %{a.name} ({a.type}) and %{b.name} ({b.type})")
        fused = {self.kinds.get(a.name), self.kinds.get(b.name)} == {"experts", "shared_experts"}
        op = Op("add", [a.name, b.name], {"flops_per_token": a.type.shape[-1]})
        return self.emit(op, "moe" if fused else "res", a.type)

    def _fresh(self, base: str) -> str:
        region = self.scope.region
        prefix = f"l{region.index}." if region is not None else ""
        n = self.scope.counts.get(base, 0) + 1
        self.scope.counts[base] = n
        if region is not None and base in NUMBERED_IN_LAYER:
            name = f"{prefix}{base}{n}"
        else:
            name = f"{prefix}{base}" if n == 1 else f"{prefix}{base}_{n}"
        while name in self.names:
            name += "_"
        self.names.add(name)
        return name

    # ---- layers -----------------------------------------------------------------------------
    def enter(self, index: int | None, path: str) -> None:
        """Move the insertion point to layer ``index`` (None: the top level), closing the current one."""
        current = self.scope.region.index if self.scope.region is not None else None
        if index == current:
            return
        self.close_layer()
        if index is None:
            return
        if index <= self.last_layer:
            raise self.fail(path, f"layer {index} runs after layer {self.last_layer}; layers must run "
                                  "once each, in increasing order")
        self.last_layer = index
        region = Region("layer", index, {"kind": Ident("dense")})
        self.scope = _Scope(region)
        self.body.append(region)

    def close_layer(self) -> None:
        """Close the current layer (``kind = moe`` if it holds an ``experts`` op); back to the top level."""
        region = self.scope.region
        if region is None:
            return
        if any(op.name == "experts" for op in region.ops()):
            region.attrs["kind"] = Ident("moe")
        self.scope = self.top

    def path_hint(self) -> str:
        """``layer i`` inside a layer, else ``<root>``: where an error without a module path happened."""
        return f"layer {self.scope.region.index}" if self.scope.region is not None else "<root>"
