"""The IR verifier: structural invariants every module must hold between passes.

Checks, in text order: module attributes; known ops and regions; operand counts; SSA (every operand
defined earlier, every value defined once); result kinds; attribute presence and kinds; op-specific
rules from :mod:`mozartc.ir.ops` (shapes, expert counts, top_k <= experts, cluster coverage).
The first violation raises :class:`~mozartc.errors.VerifyError` naming the op and its line:column
(for modules built in memory, the line:column of the printed form).
"""

from __future__ import annotations

import difflib

from mozartc.errors import VerifyError
from mozartc.ir.attrs import Attr, attr_kind
from mozartc.ir.core import Item, Loc, Module, Op, Region
from mozartc.ir.ops import KIND_TEXT, MODULE_ATTRS, OP_SPECS, REGION_KINDS, OpSpec, attr_matches
from mozartc.ir.printer import print_module
from mozartc.ir.types import DTYPE_BYTES, EventType, RoutingType, TensorType, Type

_RESULT_KINDS = {"tensor": TensorType, "routing": RoutingType, "event": EventType}


class _Failure(Exception):
    def __init__(self, item: object, message: str) -> None:
        super().__init__(message)
        self.item = item
        self.message = message


def _suggest(name: str, options: list[str]) -> str:
    close = difflib.get_close_matches(name, options, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _check_attrs(owner: object, label: str, attrs: dict[str, Attr], required: dict[str, str],
                 optional: dict[str, str], choices: dict[str, tuple[str, ...]]) -> None:
    for key, kind in required.items():
        if key not in attrs:
            raise _Failure(owner, f"{label}: missing attribute '{key}' ({KIND_TEXT[kind]})")
    for key, kind in {**required, **optional}.items():
        if key in attrs and not attr_matches(kind, attrs[key]):
            raise _Failure(owner, f"{label}: attribute '{key}' must be {KIND_TEXT[kind]}, "
                                  f"got {attr_kind(attrs[key])} {attrs[key]!r}")
    for key, allowed in choices.items():
        if key in attrs and attrs[key] not in allowed:
            raise _Failure(owner, f"{label}: attribute '{key}' must be one of {', '.join(allowed)}, "
                                  f"got {attrs[key]}")


class _Verifier:
    def __init__(self, module: Module) -> None:
        self.module = module
        self.defined: dict[str, Type] = {}
        self.dtype = str(module.attrs.get("dtype", ""))

    def run(self) -> None:
        _check_attrs(self.module, f"module @{self.module.name}", self.module.attrs, MODULE_ATTRS, {}, {})
        if self.dtype not in DTYPE_BYTES:
            raise _Failure(self.module, f"module @{self.module.name}: dtype must be one of "
                                        f"{', '.join(DTYPE_BYTES)}, got {self.dtype}")
        self.items(self.module.body)

    def items(self, items: list[Item]) -> None:
        seen_layers: list[int] = []
        for item in items:
            if isinstance(item, Region):
                self.region(item, seen_layers)
            else:
                self.op(item)

    def region(self, region: Region, seen_layers: list[int]) -> None:
        if region.kind not in REGION_KINDS:
            raise _Failure(region, f"unknown region kind '{region.kind}'; expected one of: "
                                   f"{', '.join(sorted(REGION_KINDS))}{_suggest(region.kind, list(REGION_KINDS))}")
        if REGION_KINDS[region.kind] and region.index is None:
            raise _Failure(region, f"{region.label()} needs an index")
        if region.kind == "layer" and region.index is not None:
            if seen_layers and region.index <= seen_layers[-1]:
                raise _Failure(region, f"{region.label()} must come after layer {seen_layers[-1]} "
                                       "(layer indices strictly increase)")
            seen_layers.append(region.index)
        self.items(region.body)

    def op(self, op: Op) -> None:
        spec = OP_SPECS.get(op.name)
        if spec is None:
            raise _Failure(op, f"unknown op '{op.name}'{_suggest(op.name, list(OP_SPECS))}; "
                               f"expected one of: {', '.join(sorted(OP_SPECS))}")
        label = op.label()
        if not spec.variadic and len(op.operands) != len(spec.operands):
            raise _Failure(op, f"{label}: expects {len(spec.operands)} operand(s) "
                               f"({', '.join(spec.operands) or 'none'}), got {len(op.operands)}")
        types: list[Type] = []
        for name in op.operands:
            if name not in self.defined:
                raise _Failure(op, f"{label}: operand %{name} is used before it is defined")
            types.append(self.defined[name])
        self.result(op, spec, label)
        _check_attrs(op, label, op.attrs, spec.attrs, spec.optional, spec.choices)
        self.dtypes(op, label)
        if spec.check is not None:
            problems = spec.check(op, types)
            if problems:
                raise _Failure(op, f"{label}: {problems[0]}")
        if op.result is not None:
            self.defined[op.result.name] = op.result.type

    def result(self, op: Op, spec: OpSpec, label: str) -> None:
        if spec.result == "none":
            if op.result is not None:
                raise _Failure(op, f"{label}: defines no value, but the text gives %{op.result.name}")
            return
        if op.result is None:
            raise _Failure(op, f"{label}: must define a {spec.result} value")
        if op.result.name in self.defined:
            raise _Failure(op, f"{label}: %{op.result.name} is already defined (SSA values are defined once)")
        if not isinstance(op.result.type, _RESULT_KINDS[spec.result]):
            raise _Failure(op, f"{label}: result must be a {spec.result}, got {op.result.type}")

    def dtypes(self, op: Op, label: str) -> None:
        rtype = op.result.type if op.result is not None else None
        if isinstance(rtype, TensorType) and op.name != "input" and rtype.dtype != self.dtype:
            raise _Failure(op, f"{label}: result element type {rtype.dtype} differs from the module "
                               f"dtype {self.dtype}")
        if "params" in op.attrs and "param_bytes" in op.attrs:
            params, nbytes = op.attrs["params"], op.attrs["param_bytes"]
            want = params * DTYPE_BYTES[self.dtype] if isinstance(params, int) else None
            if nbytes != want:
                raise _Failure(op, f"{label}: param_bytes ({nbytes}) must equal params x "
                                   f"{DTYPE_BYTES[self.dtype]} bytes ({want})")


def verify(module: Module, filename: str | None = None) -> None:
    """Raise :class:`VerifyError` at the first broken invariant of ``module``; return None if it holds.

    ``filename`` names the text the module came from; items without a parsed location are located in
    the module's printed form (``<printed IR>:line:col``).
    """
    try:
        _Verifier(module).run()
    except _Failure as failure:
        loc: Loc | None = getattr(failure.item, "loc", None)
        source = filename or "<input>"
        if loc is None:
            record: dict[int, Loc] = {}
            print_module(module, record)
            loc = record.get(id(failure.item), (1, 1))
            source = "<printed IR>"
        raise VerifyError(failure.message, where=f"{source}:{loc[0]}:{loc[1]}") from None
