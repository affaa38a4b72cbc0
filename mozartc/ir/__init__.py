"""The mozartc IR: data structures, text form (printer + lark parser) and verifier.

Typical use::

    from mozartc.ir import parse_module, print_module, verify
    module = parse_module(text, "model.mir")
    verify(module, "model.mir")
    assert print_module(module) == text
"""

from mozartc.ir.attrs import Attr, Ident
from mozartc.ir.core import Item, Module, Op, Region, Value
from mozartc.ir.parser import parse_file, parse_module
from mozartc.ir.printer import print_module
from mozartc.ir.types import DTYPE_BYTES, EventType, RoutingType, TensorType, Type
from mozartc.ir.verifier import verify

__all__ = [
    "DTYPE_BYTES", "Attr", "EventType", "Ident", "Item", "Module", "Op", "Region", "RoutingType",
    "TensorType", "Type", "Value", "parse_file", "parse_module", "print_module", "verify",
]
