"""Lowering of a traced fx graph into a mozartc IR :class:`~mozartc.ir.core.Module`.

An Interpreter-style walk: one handler per fx opcode (``placeholder``, ``call_module``,
``call_function``, ``call_method``, ``get_attr``, ``output``); the environment maps each fx node to
the IR value it became. Leaf modules become ops through their :class:`BlockInfo`; ``add`` becomes
``add``; getitem / dropout / dtype casts alias their input; anything else is an unrecognised
computation and raises :class:`FrontendError` naming the module it sits in.

Layers: an op belongs to ``layer i`` when its module path has an integer component ``i``
(``model.layers.3.mlp.gate`` -> 3); nodes without a path (e.g. a residual add written in the root's
forward) stay in the current layer; a leaf outside every layer closes it. A layer is ``kind = moe``
when it holds an ``experts`` op, else ``dense``. The regions, the insertion point and the value names
are :class:`~mozartc.frontend.builder.IRBuilder`'s.

Each op's ``params``, ``param_bytes`` and ``flops_per_token`` follow the formulas of
:mod:`mozartc.frontend.costs` (docs/frontend.md).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import fx, nn

from mozartc.errors import FrontendError
from mozartc.frontend.blocks import BLOCK_KINDS, BlockInfo
from mozartc.frontend.builder import IRBuilder
from mozartc.frontend.costs import as_int, block_flops, experts_flops, lm_head_flops, router_flops, vector_params
from mozartc.frontend.tracer import ExtraBlocks, find_describer
from mozartc.ir.attrs import Attr, Ident
from mozartc.ir.core import Item, Module, Op, Value
from mozartc.ir.types import DTYPE_BYTES, RoutingType, TensorType

ADD_FUNCTIONS: tuple[Any, ...] = (operator.add, operator.iadd, torch.add)
ALIAS_FUNCTIONS: tuple[Any, ...] = (F.dropout, torch.clone, torch.Tensor.contiguous)
ALIAS_METHODS = frozenset({"contiguous", "to", "type", "float", "half", "bfloat16", "clone", "type_as"})
IDENT_ATTRS = frozenset({"qk_norm", "act", "variant", "scoring", "topk_method"})
_INDEX = re.compile(r"(?:^|\.)(\d+)(?:\.|$)")


@dataclass(frozen=True)
class CaptureOptions:
    """Shape and dtype of the captured step: ``micro_batch x seq_len`` tokens of ``dtype``."""

    seq_len: int
    micro_batch: int
    dtype: str

    @property
    def tokens(self) -> int:
        """Tokens per micro-batch: ``micro_batch * seq_len``."""
        return self.micro_batch * self.seq_len

    def hidden(self, dim: int) -> TensorType:
        """``tensor<B x S x dim x dtype>``."""
        return TensorType((self.micro_batch, self.seq_len, dim), self.dtype)


def layer_index(path: str) -> int | None:
    """The first integer component of a module path (``model.layers.3.mlp`` -> 3), or None."""
    match = _INDEX.search(path)
    return int(match.group(1)) if match else None


def tensor_type(value: Value) -> TensorType:
    """The tensor type of ``value`` (callers only pass tensor values)."""
    if not isinstance(value.type, TensorType):
        raise TypeError(f"%{value.name} is not a tensor: {value.type}")
    return value.type


def _with_idents(info: BlockInfo) -> BlockInfo:
    """``info`` with the enum-like attributes (qk_norm, act, variant) as :class:`Ident` words."""
    attrs = {k: Ident(v) if k in IDENT_ATTRS and isinstance(v, str) else v for k, v in info.attrs.items()}
    return BlockInfo(info.kind, attrs, info.flops_per_token, info.parts)


class FxLowering:
    """Lower one traced graph of ``root`` into IR; call :meth:`run` once."""

    def __init__(self, root: nn.Module, graph: fx.Graph, opts: CaptureOptions, where: str,
                 extra_blocks: ExtraBlocks | None = None) -> None:
        self.root, self.graph, self.opts, self.where = root, graph, opts, where
        self.extra_blocks = extra_blocks
        self.env: dict[fx.Node, Any] = {}
        self.ir = IRBuilder(where, DTYPE_BYTES[opts.dtype])
        self.counted: set[int] = set()

    # ---- driver ---------------------------------------------------------------------------
    def run(self) -> list[Item]:
        """Lower every node in graph order; return the module body."""
        handlers: dict[str, Callable[[fx.Node], Any]] = {
            "placeholder": self.placeholder, "get_attr": lambda n: None, "call_module": self.call_module,
            "call_function": self.call_function, "call_method": self.call_method, "output": self.output,
        }
        for node in self.graph.nodes:
            self.env[node] = handlers[node.op](node)
        self.ir.close_layer()
        return self.ir.body

    def fail(self, path: str, message: str) -> FrontendError:
        """A FrontendError located at the capture source, its message starting with the module path."""
        return self.ir.fail(path, message)

    # ---- opcode handlers --------------------------------------------------------------------
    def placeholder(self, node: fx.Node) -> Value | None:
        if any(isinstance(op, Op) and op.name == "input" for op in self.ir.body):
            return None
        shape = (self.opts.micro_batch, self.opts.seq_len)
        return self.ir.emit(Op("input"), "tokens", TensorType(shape, "i64"))

    def output(self, node: fx.Node) -> None:
        values = [v for v in self._flat(node.args) if isinstance(v, Value)]
        if not values:
            raise self.fail("<root>", "the model's forward returns no tensor computed from the tokens")
        self.ir.close_layer()
        self.ir.body.append(Op("output", [values[0].name]))

    def call_module(self, node: fx.Node) -> Value | None:
        path = str(node.target)
        module = self.root.get_submodule(path)
        self.ir.enter(layer_index(path), path)
        describe = find_describer(module, self.extra_blocks)
        if describe is not None:
            info = describe(module)
        elif isinstance(module, nn.Linear) and self.ir.scope.region is None:
            info = BlockInfo("lm_head", {"vocab": module.out_features, "dim": module.in_features})
        elif isinstance(module, nn.Dropout | nn.Identity):
            return self._alias(node)
        else:
            raise self.unrecognised(node, f"module '{path}' ({type(module).__name__})")
        info = _with_idents(info)
        if info.kind not in BLOCK_KINDS:
            raise self.fail(path, f"describe returned kind '{info.kind}'; expected one of: "
                                  f"{', '.join(BLOCK_KINDS)}")
        missing = [k for k in BLOCK_KINDS[info.kind] if k not in info.attrs]
        if missing:
            raise self.fail(path, f"{info.kind} block description lacks attribute(s) {', '.join(missing)}")
        return self.lower_block(path, module, info, node)

    def call_function(self, node: fx.Node) -> Any:
        if node.target in ADD_FUNCTIONS:
            return self._add(node)
        if node.target is operator.getitem:
            return self._getitem(node)
        if node.target in ALIAS_FUNCTIONS:
            return self._alias(node)
        name = getattr(node.target, "__name__", str(node.target))
        raise self.unrecognised(node, f"function '{name}'")

    def call_method(self, node: fx.Node) -> Any:
        if node.target in ("add", "add_"):
            return self._add(node)
        if node.target in ALIAS_METHODS:
            return self._alias(node)
        raise self.unrecognised(node, f"tensor method '.{node.target}()'")

    # ---- blocks -----------------------------------------------------------------------------
    def lower_block(self, path: str, module: nn.Module, info: BlockInfo, node: fx.Node) -> Value:
        attrs = dict(info.attrs)
        args = [v for v in self._flat((node.args, node.kwargs)) if isinstance(v, Value)]
        tensors = [v for v in args if isinstance(v.type, TensorType)]
        if not tensors:
            raise self.fail(path, f"{info.kind} block gets no tensor computed from the tokens")
        x = tensors[0]
        if info.kind == "moe":
            return self.lower_moe(path, module, info, x)
        shared = any(id(p) in self.counted for p in module.parameters())  # e.g. a tied LM head
        params = self.measure(module.parameters())
        if info.kind == "embed":
            rtype = TensorType((*tensor_type(x).shape, as_int(attrs["dim"])), self.opts.dtype)
            return self.ir.weighted("embed", x, attrs, params, 0, rtype)
        if info.kind == "lm_head":
            shape = (*tensor_type(x).shape[:-1], as_int(attrs["vocab"]))
            attrs = {"vocab": attrs["vocab"], "dim": attrs["dim"], "tied": shared,
                     **{k: v for k, v in attrs.items() if k not in ("vocab", "dim", "tied")}}
            flops = lm_head_flops(attrs, vector_params(module))
            return self.ir.weighted("lm_head", x, attrs, params, flops, TensorType(shape, self.opts.dtype))
        if info.kind == "router":
            per_token = info.flops_per_token
            if per_token is None:
                per_token = router_flops(attrs, vector_params(module))
            return self.router(x, attrs, params, per_token)
        if info.kind == "experts":
            routing = [v for v in args if isinstance(v.type, RoutingType)]
            if not routing:
                raise self.fail(path, "experts block gets no routing (the router's top-k ids) as input")
            return self.experts(x, routing[0], attrs, params, info.flops_per_token, vector_params(module))
        flops = block_flops(info.kind, attrs, module, params, self.opts.seq_len)
        if info.flops_per_token is not None:
            flops = info.flops_per_token
        if info.kind in ("mlp", "shared_experts"):
            attrs.setdefault("act", Ident("swiglu"))
        return self.ir.weighted(info.kind, x, attrs, params, flops, tensor_type(x))

    def router(self, x: Value, attrs: dict[str, Attr], params: int, flops: int | None) -> Value:
        k = as_int(attrs["top_k"])
        if flops is None:
            flops = router_flops(attrs)
        xt = tensor_type(x)
        tokens = xt.numel // xt.shape[-1]
        return self.ir.weighted("router", x, attrs, params, flops, RoutingType(tokens, k))

    def experts(self, x: Value, routing: Value, attrs: dict[str, Attr], params: int,
                flops: int | None, biases: int = 0) -> Value:
        count, k = as_int(attrs["experts"]), as_int(attrs["top_k"])
        per = params // count
        if per * count != params:
            raise self.fail(self.ir.path_hint(), f"experts hold {params} parameters, not a multiple of "
                                               f"{count} experts")
        attrs.setdefault("act", Ident("swiglu"))
        ordered = {key: attrs[key] for key in ("experts", "top_k", "dim", "ffn_dim", "act")}
        ordered.update({key: v for key, v in attrs.items() if key not in ordered})
        ordered["expert_params"] = per
        if flops is None:
            flops = experts_flops(k, per, biases // count)
        return self.ir.weighted("experts", x, ordered, params, flops, tensor_type(x), extra=[routing.name])

    def lower_moe(self, path: str, module: nn.Module, info: BlockInfo, x: Value) -> Value:
        """A fused MoE block: router + experts (+ shared_experts + add), params from ``info.parts``."""
        a = dict(info.attrs)
        for part in ("router", "experts"):
            if part not in info.parts:
                raise self.fail(path, f"moe block description needs parts['{part}']: the names of the "
                                      "submodules or parameters that hold it")
        base = {"dim": a["dim"]}
        router_attrs = {"experts": a["experts"], "top_k": a["top_k"], **base}
        if "norm_topk_prob" in a:
            router_attrs["norm_topk_prob"] = a["norm_topk_prob"]
        routing = self.router(x, router_attrs, self.measure(self._part(path, module, info, "router")), None)
        exp_attrs = {"experts": a["experts"], "top_k": a["top_k"], **base, "ffn_dim": a["ffn_dim"],
                     "act": a.get("act", Ident("swiglu"))}
        y = self.experts(x, routing, exp_attrs, self.measure(self._part(path, module, info, "experts")), None)
        shared = a.get("shared_experts", 0)
        if not shared:
            return y
        if "shared_experts" not in info.parts or "shared_ffn_dim" not in a:
            raise self.fail(path, "moe block with shared_experts needs attrs['shared_ffn_dim'] and "
                                  "parts['shared_experts']")
        sp = self.measure(self._part(path, module, info, "shared_experts"))
        s_attrs = {"experts": shared, **base, "ffn_dim": a["shared_ffn_dim"], "act": a.get("act", Ident("swiglu"))}
        s = self.ir.weighted("shared_experts", x, s_attrs, sp, 2 * sp, tensor_type(x))
        return self.ir.emit_add(y, s)

    def _part(self, path: str, module: nn.Module, info: BlockInfo, role: str) -> Iterator[nn.Parameter]:
        for name in info.parts[role]:
            try:
                yield from module.get_submodule(name).parameters()
            except AttributeError:
                try:
                    yield module.get_parameter(name)
                except AttributeError:
                    raise self.fail(path, f"parts['{role}'] names '{name}', which is neither a "
                                          "submodule nor a parameter of the block") from None

    # ---- helpers ----------------------------------------------------------------------------
    def measure(self, parameters: Iterator[nn.Parameter]) -> int:
        """Elements of the parameters not counted at an earlier op (each tensor counted once)."""
        total = 0
        for p in parameters:
            if id(p) not in self.counted:
                self.counted.add(id(p))
                total += p.numel()
        return total

    def _add(self, node: fx.Node) -> Value | None:
        self._enter_from_stack(node)
        operands = [self.env.get(a) if isinstance(a, fx.Node) else None for a in node.args[:2]]
        values = [v for v in operands if isinstance(v, Value)]
        if len(values) < 2:
            return values[0] if values else None
        a, b = values
        return self.ir.emit_add(a, b)

    def _getitem(self, node: fx.Node) -> Any:
        src = self.env.get(node.args[0]) if isinstance(node.args[0], fx.Node) else None
        if isinstance(src, tuple | list):
            index = node.args[1]
            return src[index] if isinstance(index, int) and -len(src) <= index < len(src) else None
        return src

    def _alias(self, node: fx.Node) -> Any:
        first = node.args[0] if node.args else None
        return self.env.get(first) if isinstance(first, fx.Node) else None

    def _flat(self, args: Any) -> Iterator[Any]:
        if isinstance(args, fx.Node):
            value = self.env.get(args)
            yield from (value if isinstance(value, tuple | list) else [value])
        elif isinstance(args, tuple | list):
            for a in args:
                yield from self._flat(a)
        elif isinstance(args, dict):
            for a in args.values():
                yield from self._flat(a)

    # ---- layers -----------------------------------------------------------------------------
    def _enter_from_stack(self, node: fx.Node) -> None:
        stack = node.meta.get("nn_module_stack") or {}
        paths = [str(v[0]) for v in stack.values()]
        index = next((i for i in (layer_index(p) for p in paths) if i is not None), None)
        if index is not None:
            self.ir.enter(index, paths[-1])

    def unrecognised(self, node: fx.Node, what: str) -> FrontendError:
        """The error for computation outside every recognised block, naming the enclosing module."""
        stack = node.meta.get("nn_module_stack") or {}
        paths = [str(v[0]) for v in stack.values() if str(v[0]) != str(node.target)]
        owner = paths[-1] if paths else (str(node.target).rpartition(".")[0] if node.op == "call_module" else "")
        owner_cls = type(self.root.get_submodule(owner)).__name__ if owner else type(self.root).__name__
        return self.fail(owner, f"cannot recognise this {owner_cls} block: it computes with {what} outside "
                                "any known block. If it is an MoE block, give its class a mozartc_describe() "
                                "method returning BlockInfo(kind='moe', ...) or pass "
                                f"extra_blocks={{{owner_cls}: describe_fn}} to capture() (see docs/frontend.md)")


def lower_graph(root: nn.Module, graph: fx.Graph, name: str, model: str, opts: CaptureOptions, where: str,
                extra_blocks: ExtraBlocks | None = None) -> Module:
    """The IR module of ``graph`` (traced from ``root``): header attributes, then the lowered body."""
    body = FxLowering(root, graph, opts, where, extra_blocks).run()
    attrs: dict[str, Attr] = {"model": model, "dtype": Ident(opts.dtype), "seq_len": opts.seq_len,
                              "micro_batch": opts.micro_batch}
    return Module(name, attrs, body)
